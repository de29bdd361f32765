package console_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/console"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newTracer is a Tracer on a console tracer printing to the returned buffer.
func newTracer(t *testing.T, cfg backend.Config, opts ...core.Option) (*core.Tracer, *syncBuffer) {
	t.Helper()
	if cfg.ServiceName == "" {
		cfg.ServiceName, cfg.SampleRate = "svc", 1
	}
	out := &syncBuffer{}
	ct, err := console.NewWriter(out, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := core.Wrap(ct, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr, out
}

// traces splits the output into traces, one string each.
func traces(out string) []string {
	var got []string
	for _, block := range strings.SplitAfter(out, "\ntrace ") {
		if block = strings.TrimSuffix(block, "trace "); strings.TrimSpace(block) != "" {
			got = append(got, strings.TrimPrefix(block, "trace "))
		}
	}
	return got
}

// TestClientAndServerInOneProcess: a request traced by the middleware that
// calls this same process over HTTP through the traced transport prints
// one trace, once, when the outer request's span finishes, with every span
// under its parent.
func TestClientAndServerInOneProcess(t *testing.T) {
	tr, out := newTracer(t, backend.Config{}, core.WithTraceAll(true))
	mux := http.NewServeMux()
	srv := httptest.NewServer(tr.Middleware(mux))
	defer srv.Close()
	client := &http.Client{Transport: tr.Transport(nil)}
	mux.HandleFunc("GET /front", func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", srv.URL+"/back", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.Copy(w, resp.Body)
		resp.Body.Close()
	})
	mux.HandleFunc("GET /back", func(w http.ResponseWriter, r *http.Request) {
		span, _ := opentracing.StartSpanFromContextWithTracer(r.Context(), tr, "work")
		span.LogKV("event", "done")
		span.Finish()
	})
	resp, err := http.Get(srv.URL + "/front")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := traces(out.String())
	if len(got) != 1 {
		t.Fatalf("printed %d traces, want 1:\n%s", len(got), out)
	}
	lines := strings.Split(got[0], "\n")
	traceID, _, _ := strings.Cut(lines[0], " ")
	if !strings.Contains(lines[0], "(service svc, 4 spans, ") {
		t.Errorf("header %q", lines[0])
	}
	for _, want := range []string{
		"\n  GET /front [server] ",
		"\n    HTTP GET [client] ",
		"\n      GET /back [server] ",
		"\n        work ",
		"\n            +", // the log, under work
		"event=done",
		"http.status_code=200",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if n := len(traceID); n != 16 && n != 32 {
		t.Errorf("trace id %q", traceID)
	}
	s := tr.Stats()
	if s.Reported != 4 || s.Dropped != 0 {
		t.Errorf("stats %+v, want 4 reported", s)
	}
}

// TestLateAndHeldSpans: a child that outlives its root prints on its own,
// marked late; a trace whose root is still open at Shutdown prints then,
// marked incomplete; a span finished after Shutdown is dropped and counted.
func TestLateAndHeldSpans(t *testing.T) {
	tr, out := newTracer(t, backend.Config{})
	root := tr.StartSpan("root")
	late := tr.StartSpan("late child", opentracing.ChildOf(root.Context()))
	root.Finish()
	if got := traces(out.String()); len(got) != 1 || !strings.Contains(got[0], "1 span,") {
		t.Fatalf("after the root: %q", out)
	}
	late.Finish()
	if got := traces(out.String()); len(got) != 2 || !strings.Contains(got[1], "late: finished after the rest of its trace printed") {
		t.Fatalf("after the late child: %q", out)
	}

	open := tr.StartSpan("never finished")
	tr.StartSpan("done", opentracing.ChildOf(open.Context())).Finish()
	if len(traces(out.String())) != 2 {
		t.Fatalf("a trace printed before its root finished: %q", out)
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := traces(out.String()); len(got) != 3 || !strings.Contains(got[2], "incomplete: shut down before its root finished") {
		t.Fatalf("after Shutdown: %q", out)
	}
	open.Finish()
	s := tr.Stats()
	if s.Reported != 3 || s.DroppedBy[backend.DropClosed] != 1 {
		t.Errorf("stats %+v: want 3 reported, 1 finished after close", s)
	}
}

func TestUnsampledIsPropagatedNotPrinted(t *testing.T) {
	tr, out := newTracer(t, backend.Config{ServiceName: "svc", SampleRate: 0})
	span := tr.StartSpan("op")
	h := http.Header{}
	if err := tr.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	span.Finish()
	if out.String() != "" || !strings.HasSuffix(h.Get("traceparent"), "-00") {
		t.Fatalf("output %q, headers %v", out, h)
	}
}

// TestIDsMatchTheOutput: the trace id a handler's log record gets is the
// one its trace prints under.
func TestIDsMatchTheOutput(t *testing.T) {
	tr, out := newTracer(t, backend.Config{}, core.WithTraceAll(true))
	var traceID string
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		traceID, _, _ = tr.ContextIDs(r.Context())
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if traceID == "" || !strings.HasPrefix(out.String(), "trace "+traceID+" ") {
		t.Fatalf("ContextIDs gave %q; output:\n%s", traceID, out)
	}
}

func TestEndpoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traces.txt")
	tr, err := core.New("console", core.WithEndpoint(path), core.WithServiceName("filed"))
	if err != nil {
		t.Fatal(err)
	}
	tr.StartSpan("op").Finish()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), "(service filed, 1 span, ") {
		t.Fatalf("file: %q, %v", b, err)
	}

	for _, tc := range []struct {
		name string
		opt  core.Option
		want string
	}{
		{"url", core.WithEndpoint("http://127.0.0.1:9411/api/v2/spans"), `traceplug: backend "console": endpoint "http://127.0.0.1:9411/api/v2/spans": want stderr (the default), stdout, or a file's path`},
		{"missing directory", core.WithEndpoint(filepath.Join(t.TempDir(), "no", "such", "dir", "x")), `traceplug: backend "console": endpoint: open `},
		{"param", core.WithParam("colour", "red"), `traceplug: backend "console": unknown param "colour" (console takes no params)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := core.New("console", tc.opt)
			if !errors.Is(err, core.ErrBadOption) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrBadOption saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), core.ErrBadOption.Error()) {
				t.Errorf("%q repeats the sentinel's text", err)
			}
		})
	}
}

// TestTooManyOpenTraces: traces whose roots never finish are held up to a
// bound; spans beyond it are dropped and counted, and Shutdown says so.
func TestTooManyOpenTraces(t *testing.T) {
	tr, _ := newTracer(t, backend.Config{})
	var open []opentracing.Span
	for range 1000 {
		root := tr.StartSpan("open root")
		tr.StartSpan("child", opentracing.ChildOf(root.Context())).Finish()
		open = append(open, root)
	}
	tr.StartSpan("one too many").Finish()
	if s := tr.Stats(); s.DroppedBy[backend.DropQueueFull] != 1 {
		t.Fatalf("stats %+v: want 1 dropped as queue full", s)
	}
	err := tr.Shutdown(context.Background())
	if !errors.Is(err, core.ErrSpansLost) || !strings.Contains(err.Error(), "1 span lost: 1 queue full (1000 reported)") {
		t.Fatalf("Shutdown: %v", err)
	}
	_ = open
}

func TestConcurrentUse(t *testing.T) {
	tr, out := newTracer(t, backend.Config{}, core.WithTraceAll(true))
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span, _ := opentracing.StartSpanFromContextWithTracer(r.Context(), tr, "child")
		span.SetTag("k", "v").LogKV("event", "e")
		span.SetBaggageItem("b", "1")
		span.Finish()
	}))
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		}()
	}
	wg.Wait()
	if n := len(traces(out.String())); n != 50 {
		t.Fatalf("%d traces printed, want 50", n)
	}
	if s := tr.Stats(); s.Reported != 100 {
		t.Fatalf("stats %+v", s)
	}
}
