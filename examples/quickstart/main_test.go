package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"github.com/traceplug/traceplug/conformance"
)

// These tests run the Quick start as a user does: built with go build, as
// a process, stopped with SIGTERM.

// binDir holds the Quick start's binary while the tests run.
var binDir string

func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "quickstart"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// build compiles the Quick start once per test binary.
var build = sync.OnceValues(func() (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(binDir, "quickstart")
	if out, err := exec.Command(goCmd, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// process is a running Quick start.
type process struct {
	cmd *exec.Cmd
	url string // where it serves /items/42

	mu     sync.Mutex
	stderr strings.Builder
	done   chan struct{} // stderr read to the end
}

// start runs the Quick start with env added to the test's environment, and
// waits for it to listen.
func start(t *testing.T, env ...string) *process {
	t.Helper()
	bin, err := build()
	if err != nil {
		t.Skipf("cannot build the Quick start: %v", err)
	}
	p := &process{cmd: exec.Command(bin), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), append([]string{"PORT=0"}, env...)...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	listening := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		url := regexp.MustCompile(`msg=listening url=(\S+)`)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := url.FindStringSubmatch(sc.Text()); m != nil {
				listening <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case p.url = <-listening:
	case <-p.done:
		t.Fatalf("the Quick start exited:\n%s", p.output())
	case <-time.After(30 * time.Second):
		t.Fatalf("the Quick start did not listen within 30s:\n%s", p.output())
	}
	return p
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// get requests /items/42 n times.
func (p *process) get(t *testing.T, n int) {
	t.Helper()
	for range n {
		resp, err := http.Get(p.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != "item 42\n" {
			t.Fatalf("GET %s: %s %q", p.url, resp.Status, body)
		}
	}
}

// stop sends SIGTERM and waits for the process to exit, successfully.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() {
		<-p.done
		exited <- p.cmd.Wait()
	}()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the Quick start exited with %v:\n%s", err, p.output())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the Quick start did not stop within 30s of SIGTERM:\n%s", p.output())
	}
}

// logTraceIDs returns the trace ids of the "get item" log lines.
func logTraceIDs(t *testing.T, stderr string) []string {
	t.Helper()
	var ids []string
	re := regexp.MustCompile(`msg="get item" id=42 trace_id=([0-9a-f]{16,32}) span_id=[0-9a-f]{16}\n`)
	for _, m := range re.FindAllStringSubmatch(stderr, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// TestQuickStartOnZipkin: on a real backend, against an in-process
// collector, every request's span reaches the collector by the time the
// process exits on SIGTERM, and each log line's trace id is its span's.
func TestQuickStartOnZipkin(t *testing.T) {
	c := zipkintest.New(t)
	p := start(t, "TRACEPLUG_BACKEND=zipkin", "TRACEPLUG_ENDPOINT="+c.Endpoint())
	const requests = 5
	p.get(t, requests)
	p.stop(t)

	spans := c.Spans()
	var traces []string
	servers := map[string]string{} // span id by trace id
	for _, s := range spans {
		if s.Operation == "get /items/{id}" && s.Service == "shop" { // zipkin lower-cases names
			traces = append(traces, s.TraceID)
			servers[s.TraceID] = s.SpanID
		}
	}
	for _, s := range spans {
		if s.Operation == "load item" && s.ParentID != servers[s.TraceID] {
			t.Errorf("span %v is not a child of its request's span", s)
		}
	}
	if len(spans) != 2*requests || len(traces) != requests {
		t.Fatalf("the collector received %d spans, want %d, a request's and its child's:\n%v\n%s", len(spans), 2*requests, spans, p.output())
	}
	var logged []string
	for _, id := range logTraceIDs(t, p.output()) {
		logged = append(logged, conformance.NormalizeID(id)) // as the collector's spans have it
	}
	slices.Sort(traces)
	slices.Sort(logged)
	if !slices.Equal(traces, logged) {
		t.Errorf("trace ids: collected %v, logged %v", traces, logged)
	}
	if !strings.Contains(p.output(), fmt.Sprintf("msg=stopped spans_reported=%d spans_dropped=0", 2*requests)) {
		t.Errorf("no stats at exit:\n%s", p.output())
	}
}

// TestQuickStartOnConsole: on the console backend, each request's trace
// prints, under the trace id its log line has.
func TestQuickStartOnConsole(t *testing.T) {
	p := start(t, "TRACEPLUG_BACKEND=console")
	p.get(t, 2)
	p.stop(t)
	out := p.output()
	ids := logTraceIDs(t, out)
	if len(ids) != 2 {
		t.Fatalf("%d log lines with ids, want 2:\n%s", len(ids), out)
	}
	for _, id := range ids {
		if !strings.Contains(out, "trace "+id+" (service shop, 2 spans, ") {
			t.Errorf("no trace %s printed:\n%s", id, out)
		}
	}
	if !strings.Contains(out, "\n  GET /items/{id} [server] ") || !strings.Contains(out, "\n    load item ") {
		t.Errorf("no server span with its child printed:\n%s", out)
	}
}

// TestQuickStartDefaultsToConsole: without TRACEPLUG_BACKEND it runs on the
// console backend, its default (as the demo does), and the environment
// still overrides its other defaults: TRACEPLUG_SERVICE_NAME names the
// service.
func TestQuickStartDefaultsToConsole(t *testing.T) {
	p := start(t, "TRACEPLUG_BACKEND=", "TRACEPLUG_SERVICE_NAME=checkout")
	p.get(t, 1)
	p.stop(t)
	out := p.output()
	ids := logTraceIDs(t, out)
	if len(ids) != 1 || !strings.Contains(out, "trace "+ids[0]+" (service checkout, 2 spans, ") {
		t.Fatalf("want one trace of the service checkout printed:\n%s", out)
	}
}

// TestQuickStartSaysWhatIsMissing: a backend it does not link fails saying
// what to import.
func TestQuickStartSaysWhatIsMissing(t *testing.T) {
	bin, err := build()
	if err != nil {
		t.Skipf("cannot build the Quick start: %v", err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "TRACEPLUG_BACKEND=jaeger", "PORT=0")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `unknown backend "jaeger" in TRACEPLUG_BACKEND (registered: console, mock, none, zipkin; forgotten import _ "github.com/traceplug/traceplug/backends/jaeger"?)`) {
		t.Fatalf("%v:\n%s", err, out)
	}
}
