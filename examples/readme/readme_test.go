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
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// block is a fenced code block of the README.
type block struct {
	lang, text string
	line       int    // of the opening fence, from 1
	source     string // the snippet marker's path[#name] just before it, if any
}

var marker = regexp.MustCompile(`^<!-- snippet: (\S+) -->$`)

// blocks returns the README's fenced code blocks.
func blocks(t *testing.T, text string) []block {
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
			if m := marker.FindStringSubmatch(lines[i-1]); m != nil {
				b.source = m[1]
			}
		}
		var body []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			body = append(body, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("README.md:%d: the code block never ends", b.line)
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

// TestGoSnippetsAreRealCode: every Go block of the README is, byte for byte,
// a file or a region of a file of this module that compiles and that a test
// runs: the snippet marker before the block says which.
func TestGoSnippetsAreRealCode(t *testing.T) {
	var n int
	for _, b := range blocks(t, readme(t)) {
		if b.lang != "go" {
			continue
		}
		n++
		if b.source == "" {
			t.Errorf("README.md:%d: a Go block without a <!-- snippet: path[#name] --> line before it", b.line)
			continue
		}
		if want := snippet(t, b.source); b.text != want {
			t.Errorf("README.md:%d: the block differs from %s; it should read:\n%s", b.line, b.source, want)
		}
	}
	if n < 5 {
		t.Errorf("only %d Go blocks in the README", n)
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
		}
	}
	for _, want := range []string{
		"Go 1.26 or later",
		"go get github.com/traceplug/traceplug ",
		"go get github.com/traceplug/traceplug/backends/jaeger",
		"go get github.com/traceplug/traceplug/backends/zipkin",
		"go get github.com/traceplug/traceplug/backends/lightstep",
		"go get github.com/traceplug/traceplug/backends/otel",
		"## Moving to OpenTelemetry",
		"| `lightstep` | `ottrace` |",
		"JAEGER_VERSION=v1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the README lacks %q", want)
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
	tr := decorator(mux)
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
	tr, admin := debugPage()
	defer tr.Close()
	tr.Middleware(http.HandlerFunc(checkout)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/checkout", nil))
	w := httptest.NewRecorder()
	admin.ServeHTTP(w, httptest.NewRequest("GET", "/debug/traceplug?format=json", nil))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "HTTP GET") {
		t.Fatalf("the page answered %d %.300s: want the traced request's operation", w.Code, w.Body.String())
	}
}
