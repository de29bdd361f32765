package core_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
)

// spanLog is a Recorder that keeps every span it is given.
type spanLog struct {
	mu    sync.Mutex
	spans []core.FinishedSpan
}

func (l *spanLog) RecordSpan(s core.FinishedSpan) {
	l.mu.Lock()
	l.spans = append(l.spans, s)
	l.mu.Unlock()
}

func (l *spanLog) all() []core.FinishedSpan {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]core.FinishedSpan(nil), l.spans...)
}

// byOp returns the only recorded span named op.
func (l *spanLog) byOp(t *testing.T, op string) core.FinishedSpan {
	t.Helper()
	var found []core.FinishedSpan
	for _, s := range l.all() {
		if s.Operation == op {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d recorded spans named %q, want 1; recorded: %+v", len(found), op, l.all())
	}
	return found[0]
}

// ids returns the span id of sc, or "" when sc is nil.
func spanID(tr *core.Tracer, sc opentracing.SpanContext) string {
	if sc == nil {
		return ""
	}
	_, id, _ := tr.SpanContextIDs(sc)
	return id
}

// TestRecorderSeesServerClientAndChildSpans serves a request that calls
// another handler through Transport and starts a child span: the Recorder
// gets all four, each with its parent, kind, status and redacted URL.
func TestRecorderSeesServerClientAndChildSpans(t *testing.T) {
	rec := &spanLog{}
	tr, _ := newMock(t, core.WithTraceAll(true), core.WithRecorder(rec))
	client := &http.Client{Transport: tr.Transport(nil)}
	mux := http.NewServeMux()
	var base string
	mux.HandleFunc("GET /front", func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", base+"/back/7?access_token=S3CRET&page=2", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	})
	mux.HandleFunc("GET /back/{id}", func(w http.ResponseWriter, r *http.Request) {
		child, _ := opentracing.StartSpanFromContextWithTracer(r.Context(), tr, "db query")
		time.Sleep(time.Millisecond)
		ext.Error.Set(child, true)
		child.Finish()
		child.Finish() // a second finish is not recorded twice
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(tr.Middleware(mux))
	defer srv.Close()
	base = srv.URL

	resp, err := http.Get(srv.URL + "/front?sig=S3CRET")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	spans := rec.all()
	if len(spans) != 4 {
		t.Fatalf("recorded %d spans, want 4: %+v", len(spans), spans)
	}
	if s := tr.Stats(); s.Finished != 3 {
		t.Errorf("Stats().Finished = %d, want 3 (children are not counted there)", s.Finished)
	}
	front := rec.byOp(t, "GET /front")
	call := rec.byOp(t, "HTTP GET")
	back := rec.byOp(t, "GET /back/{id}")
	child := rec.byOp(t, "db query")
	for _, c := range []struct {
		name   string
		s      core.FinishedSpan
		kind   core.SpanKind
		parent opentracing.SpanContext
		status int
		err    bool
		url    string
	}{
		{"front", front, core.KindServer, nil, 200, false, "/front?sig=REDACTED"},
		{"client", call, core.KindClient, front.Span.Context(), 503, true, base + "/back/7?access_token=REDACTED&page=2"},
		{"back", back, core.KindServer, call.Span.Context(), 503, true, "/back/7?access_token=REDACTED&page=2"},
		{"child", child, core.KindInternal, back.Span.Context(), 0, true, ""},
	} {
		if c.s.Kind != c.kind || c.s.Status != c.status || c.s.Error != c.err || c.s.URL != c.url {
			t.Errorf("%s: kind %v status %d error %v url %q, want %v %d %v %q",
				c.name, c.s.Kind, c.s.Status, c.s.Error, c.s.URL, c.kind, c.status, c.err, c.url)
		}
		if got, want := spanID(tr, c.s.Parent), spanID(tr, c.parent); got != want {
			t.Errorf("%s: parent %q, want %q", c.name, got, want)
		}
		if c.s.Duration <= 0 || c.s.End.IsZero() || time.Since(c.s.End) > time.Minute {
			t.Errorf("%s: end %v duration %v", c.name, c.s.End, c.s.Duration)
		}
	}
	if child.Duration < time.Millisecond || back.Duration < child.Duration || front.Duration < back.Duration {
		t.Errorf("durations do not nest: front %v, back %v, child %v", front.Duration, back.Duration, child.Duration)
	}
	start := func(s core.FinishedSpan) time.Time { return s.End.Add(-s.Duration) }
	if start(child).Before(start(back)) || start(back).Before(start(call)) || start(call).Before(start(front)) {
		t.Error("starts are out of order")
	}
	if front.End.Before(call.End) || call.End.Before(back.End) || back.End.Before(child.End) {
		t.Error("ends are out of order")
	}
	// The backend got the same end times, and the server and client spans
	// the same start times.
	for _, s := range mockOf(tr).FinishedSpans() {
		got := rec.byOp(t, s.Operation)
		if !s.Finish.Equal(got.End) {
			t.Errorf("%s: the backend says it ended at %v, the recorder %v", s.Operation, s.Finish, got.End)
		}
		if (got.Kind == core.KindServer || got.Kind == core.KindClient) && !s.Start.Equal(start(got)) {
			t.Errorf("%s: the backend says it started at %v, the recorder %v", s.Operation, s.Start, start(got))
		}
	}
	// The backend got the same spans.
	if n := len(mockOf(tr).FinishedSpans()); n != 4 {
		t.Errorf("the backend recorded %d spans, want 4", n)
	}
}

// TestRecordedChildSpans: a span started through the Tracer is the
// backend's span, wrapped; it takes its kind and error from its tags, its
// name from SetOperationName, its start from StartTime, and its own
// children, started with its Tracer(), are recorded too.
func TestRecordedChildSpans(t *testing.T) {
	rec := &spanLog{}
	tr, m := newMock(t, core.WithRecorder(rec))

	start := time.Now().Add(-time.Second)
	s := tr.StartSpan("draft", ext.SpanKindRPCClient, opentracing.StartTime(start))
	s.SetOperationName("publish").SetTag("error", "true")
	grandchild := s.Tracer().StartSpan("grandchild", opentracing.ChildOf(s.Context()))
	grandchild.Finish()
	ctx := opentracing.ContextWithSpan(context.Background(), s)
	if opentracing.SpanFromContext(ctx) != s {
		t.Error("the span in the context is not the one put there")
	}
	s.Finish()

	got := rec.byOp(t, "publish")
	if got.Kind != core.KindClient || !got.Error || !got.End.Add(-got.Duration).Equal(start) || got.Duration < time.Second {
		t.Errorf("recorded %+v", got)
	}
	gc := rec.byOp(t, "grandchild")
	if spanID(tr, gc.Parent) != spanID(tr, s.Context()) {
		t.Error("the grandchild's parent is not the span")
	}
	if gc.Kind != core.KindInternal || gc.Error {
		t.Errorf("grandchild recorded %+v", gc)
	}
	spans := m.FinishedSpans()
	if len(spans) != 2 || spans[1].Operation != "publish" || spans[1].Tags["error"] != "true" {
		t.Errorf("the backend recorded %+v", spans)
	}
}

// hookTracer is the mock tracer with a context hook, as OpenTelemetry's
// bridge has: it records the spans the hook is given.
type hookTracer struct {
	*mock.Tracer
	mu    sync.Mutex
	given []opentracing.Span
}

func (h *hookTracer) ContextWithSpanHook(ctx context.Context, span opentracing.Span) context.Context {
	h.mu.Lock()
	h.given = append(h.given, span)
	h.mu.Unlock()
	return ctx
}

// TestRecordedSpanKeepsTheBackendsContextHook: putting a recorded span in
// a context hands the backend's hook the backend's own span.
func TestRecordedSpanKeepsTheBackendsContextHook(t *testing.T) {
	inner, err := mock.New(backend.Config{ServiceName: "hook", SampleRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	h := &hookTracer{Tracer: inner}
	tr, err := core.Wrap(h, core.WithRecorder(&spanLog{}))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	span, _ := opentracing.StartSpanFromContextWithTracer(context.Background(), tr, "child")
	defer span.Finish()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.given) != 1 {
		t.Fatalf("the hook ran %d times, want 1", len(h.given))
	}
	if h.given[0] == span || h.given[0].Context() == nil {
		t.Errorf("the hook was given %T, not the backend's span", h.given[0])
	}
}

// TestWithoutRecorderSpansAreTheBackends: no wrapper without a Recorder.
func TestWithoutRecorderSpansAreTheBackends(t *testing.T) {
	tr, _ := newMock(t)
	span := tr.StartSpan("plain")
	defer span.Finish()
	if _, ok := span.Tracer().(*mock.Tracer); !ok {
		t.Errorf("span.Tracer() is %T, want the backend's", span.Tracer())
	}
	if tr.Settings().Recorder {
		t.Error("Settings().Recorder without a Recorder")
	}
}

type panickyRecorder struct{}

func (panickyRecorder) RecordSpan(core.FinishedSpan) { panic("recorder bug") }

// TestRecorderPanicsAreCounted: a panicking Recorder never breaks a request.
func TestRecorderPanicsAreCounted(t *testing.T) {
	tr, _ := newMock(t, core.WithTraceAll(true), core.WithRecorder(panickyRecorder{}))
	w := do(tr.Middleware(ok), newRequest("/"))
	if w.Code != 200 || w.Body.String() != "ok" {
		t.Errorf("response %d %q", w.Code, w.Body.String())
	}
	tr.StartSpan("child").Finish()
	if s := tr.Stats(); s.CallbackPanics != 2 || s.Finished != 1 {
		t.Errorf("Stats %+v, want 2 callback panics and 1 finished span", s)
	}
}

// TestRecorderSeesPanicsAndTransportErrors: a handler's panic and a failed
// round trip are errors, with no status.
func TestRecorderSeesPanicsAndTransportErrors(t *testing.T) {
	rec := &spanLog{}
	tr, _ := newMock(t, core.WithTraceAll(true), core.WithRecorder(rec))
	func() {
		defer func() { _ = recover() }()
		do(tr.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })), newRequest("/p"))
	}()
	rt := tr.Transport(roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("refused") }))
	if _, err := rt.RoundTrip(httptest.NewRequest("POST", "http://u:pw@h.example/x?token=T0P#frag", nil)); err == nil {
		t.Fatal("no error")
	}
	server := rec.byOp(t, "HTTP GET")
	if server.Status != 0 || !server.Error {
		t.Errorf("panicking handler recorded as %+v", server)
	}
	client := rec.byOp(t, "HTTP POST")
	if client.Status != 0 || !client.Error || client.URL != "http://h.example/x?token=REDACTED" {
		t.Errorf("failed round trip recorded as %+v", client)
	}
}

// TestRecorderUnderNone: the none backend records nothing.
func TestRecorderUnderNone(t *testing.T) {
	rec := &spanLog{}
	tr, err := core.New("none", core.WithTraceAll(true), core.WithRecorder(rec))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	do(tr.Middleware(ok), newRequest("/"))
	tr.StartSpan("x").Finish()
	if n := len(rec.all()); n != 0 {
		t.Errorf("recorded %d spans under none", n)
	}
}

// TestRecorderAllocations: without a Recorder the request path allocates
// as before; with one, the server path allocates nothing more.
func TestRecorderAllocations(t *testing.T) {
	measure := func(opts ...core.Option) float64 {
		tr, m := newMock(t, append([]core.Option{core.WithTraceAll(true)}, opts...)...)
		mux := http.NewServeMux()
		mux.Handle("GET /items/{id}", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		h := tr.Middleware(mux)
		r := httptest.NewRequest("GET", "/items/42?page=2", nil)
		w := httptest.NewRecorder()
		return testing.AllocsPerRun(200, func() {
			h.ServeHTTP(w, r)
			m.Reset()
		})
	}
	without, with := measure(), measure(core.WithRecorder(nopRecorder{}))
	if with != without {
		t.Errorf("a server request allocates %v times with a Recorder, %v without", with, without)
	}
}

type nopRecorder struct{}

func (nopRecorder) RecordSpan(core.FinishedSpan) {}

// TestSettings: the settings a debug page shows, the endpoint's secrets
// redacted.
func TestSettings(t *testing.T) {
	tr, _ := newMock(t, core.WithServiceName("shop"), core.WithSampleRate(0.5), core.WithTraceAll(true),
		core.WithPropagation("b3,tracecontext"), core.WithRecorder(nopRecorder{}))
	want := core.Settings{Backend: "mock", ServiceName: "shop", SampleRate: 0.5, TraceAll: true,
		Propagation: "b3,tracecontext", Recorder: true}
	if got := tr.Settings(); got != want {
		t.Errorf("Settings() = %+v, want %+v", got, want)
	}

	wrapped, err := core.Wrap(opentracing.NoopTracer{}, core.WithServiceName("ignored"), core.WithEndpoint("http://u:p@h"))
	if err != nil {
		t.Fatal(err)
	}
	defer wrapped.Close()
	if s := wrapped.Settings(); s.Backend != "" || s.ServiceName != "" || s.Endpoint != "" || s.SampleRate != 0 {
		t.Errorf("a wrapped tracer's settings: %+v", s)
	}
}

func TestSpanKindString(t *testing.T) {
	var names []string
	for k := core.KindInternal; k <= core.KindConsumer+1; k++ {
		names = append(names, k.String())
	}
	if got := strings.Join(names, ","); got != "internal,server,client,producer,consumer,internal" {
		t.Errorf("kinds: %s", got)
	}
}
