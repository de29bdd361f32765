package readme

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
)

// root is the repository's root, from this package's directory.
const root = "../.."

func readme(t *testing.T) string {
	t.Helper()
	return document(t, "README.md")
}

// document returns the text of the file name, a path from the root.
func document(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// snippetDocuments are the documents whose Go blocks are all snippets: the
// README, and the pages of docs/ that take its sections further.
var snippetDocuments = []string{"README.md", "docs/guide.md", "docs/debugpage.md"}

// block is a fenced code block of the README.
type block struct {
	lang, text string
	line       int    // of the opening fence, from 1
	before     string // the line just before it
	source     string // the snippet marker's path[#name] just before it, if any
}

var marker = regexp.MustCompile(`^<!-- snippet: (\S+) -->$`)

// blocks returns the fenced code blocks of text, the README's unless
// name says which document it is.
func blocks(t *testing.T, text string, name ...string) []block {
	t.Helper()
	lines := strings.Split(text, "\n")
	var out []block
	for i := 0; i < len(lines); i++ {
		lang, ok := strings.CutPrefix(lines[i], "```")
		if !ok {
			continue
		}
		b := block{lang: lang, line: i + 1}
		if i > 0 {
			b.before = lines[i-1]
			if m := marker.FindStringSubmatch(lines[i-1]); m != nil {
				b.source = m[1]
			}
		}
		var body []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			body = append(body, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("%s:%d: the code block never ends", append(name, "README.md")[0], b.line)
		}
		b.text = strings.Join(body, "\n") + "\n"
		out = append(out, b)
	}
	return out
}

// snippet returns what a marker's source names: a whole file, or the
// region NAME of it, less the region's common indentation.
func snippet(t *testing.T, source string) string {
	t.Helper()
	path, name, region := strings.Cut(source, "#")
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatalf("snippet %s: %v", source, err)
	}
	if !region {
		return string(b)
	}
	var lines []string
	in, found := false, false
	for _, l := range strings.Split(string(b), "\n") {
		switch trimmed := strings.TrimSpace(l); {
		case trimmed == "// snippet:"+name:
			in, found = true, true
		case in && trimmed == "// end snippet":
			in = false
		case in:
			lines = append(lines, l)
		}
	}
	if !found || in {
		t.Fatalf("snippet %s: no region %q ... %q in %s", source, "// snippet:"+name, "// end snippet", path)
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	indent := ""
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		lead := l[:len(l)-len(strings.TrimLeft(l, "\t"))]
		if i == 0 || len(lead) < len(indent) {
			indent = lead
		}
	}
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, indent)
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestGoSnippetsAreRealCode: every Go block of the README (and of the docs
// that take its sections further) is, byte for byte, a file or a region of a
// file that compiles and that a test runs: the snippet marker before the
// block says which.
func TestGoSnippetsAreRealCode(t *testing.T) {
	for _, name := range snippetDocuments {
		var n int
		for _, b := range blocks(t, document(t, name), name) {
			if b.lang != "go" {
				continue
			}
			n++
			if b.source == "" {
				t.Errorf("%s:%d: a Go block without a <!-- snippet: path[#name] --> line before it", name, b.line)
				continue
			}
			if want := snippet(t, b.source); b.text != want {
				t.Errorf("%s:%d: the block differs from %s; it should read:\n%s", name, b.line, b.source, want)
			}
		}
		if name == "README.md" && n < 5 {
			t.Errorf("only %d Go blocks in the README", n)
		}
	}
}

// TestFirstLines: the README opens with the demo and the test command, and
// nothing else.
func TestFirstLines(t *testing.T) {
	first := blocks(t, readme(t))[0]
	var commands []string
	for _, l := range strings.Split(strings.TrimSpace(first.text), "\n") {
		cmd, _, _ := strings.Cut(l, "#")
		commands = append(commands, strings.TrimSpace(cmd))
	}
	if first.lang != "sh" || strings.Join(commands, "; ") != "go run ./examples/clientserver; go test -race work" {
		t.Fatalf("the README's first block is %s %q; want the demo and the test command", first.lang, commands)
	}
}

// TestCommands: the README's commands are the ones that work.
func TestCommands(t *testing.T) {
	text := readme(t)
	for _, b := range blocks(t, text) {
		if b.lang != "sh" {
			continue
		}
		for _, l := range strings.Split(b.text, "\n") {
			if strings.Contains(l, "-fuzztime") && !regexp.MustCompile(`-fuzztime \d+x\b`).MatchString(l) {
				t.Errorf("README.md:%d: %q: fuzz with an execution count (-fuzztime 20000x): a duration is flaky on Go 1.26", b.line, l)
			}
			if strings.Contains(l, "go test") && strings.Contains(l, " ./...") {
				t.Errorf("README.md:%d: %q: ./... covers one module; go test work covers every module of go.work", b.line, l)
			}
			if strings.HasPrefix(strings.TrimSpace(l), "go get github.com/traceplug/") {
				t.Errorf("README.md:%d: %q: traceplug is not published, so go get answers 403; the recipe's replace lines are how to use it", b.line, l)
			}
		}
	}
	for _, want := range []string{
		"Go 1.26 or later",
		"## Moving to OpenTelemetry",
		"JAEGER_VERSION=v1",
		"scripts/jaeger.sh strategies",
		"http://127.0.0.1:16686/api/",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the README lacks %q", want)
		}
	}
}

// TestRecipe: the README's recipe for using traceplug before it is
// published, which scripts/outside-module.sh runs, replaces the root module
// and every nested module a program may import: each backend's, grpctrace's
// and each router adapter's.
func TestRecipe(t *testing.T) {
	var recipe *block
	for _, b := range blocks(t, readme(t)) {
		if strings.HasPrefix(b.before, "<!-- recipe:") {
			recipe = &b
			break
		}
	}
	if recipe == nil {
		t.Fatal("the README has no code block after a <!-- recipe: ... --> line: scripts/outside-module.sh runs that block")
	}
	want := []string{"."}
	for _, pattern := range []string{"backends/*/go.mod", "backends/*/*/go.mod", "grpctrace/go.mod", "routers/*/go.mod"} {
		mods, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mods {
			rel, err := filepath.Rel(root, filepath.Dir(m))
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, filepath.ToSlash(rel))
		}
	}
	for _, dir := range want {
		path, local := "github.com/traceplug/traceplug", `"$TRACEPLUG"`
		if dir != "." {
			path, local = path+"/"+dir, `"$TRACEPLUG/`+dir+`"`
		}
		if line := "-replace " + path + "=" + local; !strings.Contains(recipe.text, line) {
			t.Errorf("README.md:%d: the recipe lacks %s", recipe.line, line)
		}
	}
}

// The snippets, run.

func useTracer(t *testing.T, opts ...core.Option) *mock.Tracer {
	t.Helper()
	tr, err := core.New("mock", opts...)
	if err != nil {
		t.Fatal(err)
	}
	old := tracer
	tracer = tr
	t.Cleanup(func() {
		tracer = old
		_ = tr.Close()
	})
	return tr.Unwrap().(*mock.Tracer)
}

func TestDecoratorSnippet(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/about", func(w http.ResponseWriter, r *http.Request) {})
	tr, err := decorator(mux)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for _, path := range []string{"/about", "/checkout"} {
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	spans := tr.Unwrap().(*mock.Tracer).FinishedSpans()
	if len(spans) != 1 || spans[0].Operation != "readme.checkout" || spans[0].Tags["path"] != "/checkout" {
		t.Fatalf("spans %+v: want one, for checkout", spans)
	}
}

func TestGetSpanSnippet(t *testing.T) {
	m := useTracer(t, core.WithTraceAll(true))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", getItem)
	tracer.Middleware(mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/items/42", nil))
	spans := m.FinishedSpans()
	if len(spans) != 3 {
		t.Fatalf("spans %+v", spans)
	}
	sql, db, server := spans[0], spans[1], spans[2]
	if server.Tags["item"] != "42" || server.Logs[0].Fields["event"] != "cache miss" ||
		db.Operation != "db query" || db.ParentID != server.SpanID ||
		sql.Operation != "SELECT items" || sql.ParentID != db.SpanID {
		t.Fatalf("spans %+v", spans)
	}
}

func TestTransportSnippet(t *testing.T) {
	m := useTracer(t, core.WithTraceAll(true))
	var header http.Header
	next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { header = r.Header }))
	defer next.Close()
	tracer.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := transport(r, next.URL)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	spans := m.FinishedSpans()
	if len(spans) != 2 || fmt.Sprint(spans[0].Tags["span.kind"]) != "client" || spans[0].ParentID != spans[1].SpanID {
		t.Fatalf("spans %+v", spans)
	}
	if want := fmt.Sprintf("%016x", spans[0].SpanID); !strings.Contains(header.Get("Traceparent"), want) {
		t.Errorf("traceparent %q lacks the client span %s", header.Get("Traceparent"), want)
	}
}

func TestLogsSnippet(t *testing.T) {
	m := useTracer(t, core.WithTraceAll(true))
	stdout := os.Stdout
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout = w
	mux := http.NewServeMux()
	logs(mux)
	os.Stdout = stdout
	tracer.Middleware(mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/orders/7", nil))
	w.Close()
	var out bytes.Buffer
	_, _ = io.Copy(&out, r)
	s := m.FinishedSpans()[0]
	want := fmt.Sprintf(`"msg":"get order","id":"7","trace_id":"%s","span_id":"%016x"}`, s.TraceIDHex(), s.SpanID)
	if !strings.Contains(out.String(), want) {
		t.Fatalf("logged %q, want %s", out.String(), want)
	}
}

// TestDebugPageSnippet: the page the snippet mounts shows a request the
// tracer traced.
func TestDebugPageSnippet(t *testing.T) {
	tr, admin, err := debugPage()
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tr.Middleware(http.HandlerFunc(checkout)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/checkout", nil))
	w := httptest.NewRecorder()
	admin.ServeHTTP(w, httptest.NewRequest("GET", "/debug/traceplug?format=json", nil))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "HTTP GET") {
		t.Fatalf("the page answered %d %.300s: want the traced request's operation", w.Code, w.Body.String())
	}
}
