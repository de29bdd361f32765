package conformance

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/traceplug/traceplug/core"
)

// sentinelOp names the span the fixture sends last to know that everything
// sent before it has been decoded.
const sentinelOp = "conformance.sentinel"

// fixture is one property's world: a collector, the tracers pointed at it,
// and the servers they trace.
type fixture struct {
	t       *testing.T
	h       Harness
	col     Collector
	mu      sync.Mutex
	tracers []*core.Tracer
}

func newFixture(t *testing.T, h Harness) *fixture {
	t.Helper()
	return &fixture{t: t, h: h, col: h.Start(t)}
}

// tracer builds a tracer on the backend, pointed at the collector, closed by
// spans() or at the end of the test.
func (f *fixture) tracer(opts ...core.Option) *core.Tracer {
	f.t.Helper()
	all := append(append(f.col.Options(), f.h.Options...), opts...)
	tr, err := core.New(f.h.Backend, all...)
	if err != nil {
		f.t.Fatalf("core.New(%q): %v", f.h.Backend, err)
	}
	f.mu.Lock()
	f.tracers = append(f.tracers, tr)
	f.mu.Unlock()
	f.t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// server starts a loopback HTTP server for h, closed at the end of the test.
// Its error log is discarded: some properties panic on purpose.
func (f *fixture) server(h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	f.t.Cleanup(srv.Close)
	return srv
}

// headerRecorder starts an untraced server that keeps the headers of the
// last request it received, for checking what a Transport sent.
func (f *fixture) headerRecorder() (*httptest.Server, func() http.Header) {
	var mu sync.Mutex
	var got http.Header
	srv := f.server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		mu.Unlock()
	}))
	return srv, func() http.Header {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

// get sends a GET to url with header and returns the status and body.
func (f *fixture) get(url string, header http.Header) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// spans closes every tracer and returns all they sent (see [Drain]).
func (f *fixture) spans() []Span {
	f.t.Helper()
	f.mu.Lock()
	tracers := f.tracers
	f.tracers = nil
	f.mu.Unlock()
	sentinel := f.tracer(core.WithServiceName("conformance-sentinel"))
	f.mu.Lock()
	f.tracers = nil // Drain closes it
	f.mu.Unlock()
	return Drain(f.t, f.col, tracers, sentinel)
}

// Drain closes tracers, all exporting to col, then waits until col has
// decoded everything they sent, and returns it. To know that, it sends a
// span through sentinel, a fresh tracer exporting to col, closes it, and
// waits for that span (collectors decode in arrival order), which it leaves
// out. Decoding errors that col reports ([ErrorReporter]) fail t, as does a
// sentinel that never arrives. A suite of its own (gRPC's) calls it to read
// back what its tracers sent.
func Drain(t testing.TB, col Collector, tracers []*core.Tracer, sentinel *core.Tracer) []Span {
	t.Helper()
	for _, tr := range tracers {
		if err := tr.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	sentinel.StartSpan(sentinelOp).Finish()
	if err := sentinel.Close(); err != nil {
		t.Fatalf("closing the sentinel tracer: %v", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		all := col.Spans()
		for i, s := range all {
			if s.Operation == sentinelOp {
				if er, ok := col.(ErrorReporter); ok {
					for _, err := range er.Errors() {
						t.Errorf("the collector could not decode what the backend sent: %v", err)
					}
				}
				return append(all[:i:i], all[i+1:]...)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the collector never received the sentinel span (it has %d spans): spans are lost on Close", len(all))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// need skips the test, saying why, when the backend lacks c.
func (f *fixture) need(c Capability) {
	f.t.Helper()
	if reason, lacks := f.h.Lacks[c]; lacks {
		f.t.Skipf("%s lacks %s: %s", f.h.Name, c, reason)
	}
}

// lacks reports whether the backend lacks c, logging the harness's reason
// when it does: for checks that a missing capability changes rather than
// skips.
func (f *fixture) lacks(c Capability) bool {
	f.t.Helper()
	reason, lacks := f.h.Lacks[c]
	if lacks {
		f.t.Logf("%s lacks %s (%s): checking accordingly", f.h.Name, c, reason)
	}
	return lacks
}

// one returns the only span with operation op.
func one(t *testing.T, spans []Span, match func(Span) bool, what string) Span {
	t.Helper()
	var found []Span
	for _, s := range spans {
		if match(s) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %s, found %d among %d spans:\n%s", what, len(found), len(spans), list(spans))
	}
	return found[0]
}

// byOp matches spans named op (in any case, for wire formats that fold it).
func (f *fixture) byOp(op string) func(Span) bool {
	return func(s Span) bool { return f.sameName(s.Operation, op) }
}

func (f *fixture) sameName(got, want string) bool {
	if f.h.FoldsNames {
		return strings.EqualFold(got, want)
	}
	return got == want
}

func byKind(kind, service string) func(Span) bool {
	return func(s Span) bool {
		k, _ := s.Tag("span.kind")
		return k == kind && s.Service == service
	}
}

func list(spans []Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString("  ")
		b.WriteString(s.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// wantTag checks that s has tag key with value want (compared as strings).
func wantTag(t *testing.T, s Span, key, want string) {
	t.Helper()
	got, ok := s.Tag(key)
	switch {
	case !ok:
		t.Errorf("span %q lacks tag %q (tags: %v)", s.Operation, key, s.Tags)
	case got != want:
		t.Errorf("span %q: tag %q = %q, want %q", s.Operation, key, got, want)
	}
}

func wantNoTag(t *testing.T, s Span, key string) {
	t.Helper()
	if v, ok := s.Tags[key]; ok {
		t.Errorf("span %q has tag %q = %v, want none", s.Operation, key, v)
	}
}

// wantChild checks that child is in parent's trace with parent as its parent.
func wantChild(t *testing.T, child, parent Span) {
	t.Helper()
	if child.TraceID != parent.TraceID || child.ParentID != parent.SpanID || child.ParentID == "" {
		t.Errorf("span %q [trace %s parent %s] is not a child of %q [trace %s span %s]",
			child.Operation, child.TraceID, child.ParentID, parent.Operation, parent.TraceID, parent.SpanID)
	}
}
