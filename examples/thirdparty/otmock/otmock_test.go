package otmock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/propagation"
	"github.com/traceplug/traceplug/sampling"

	"example.com/thirdparty/otmock"
	"example.com/thirdparty/otmock/otmocktest"
)

func TestRegistered(t *testing.T) {
	if !slices.Contains(core.Backends(), "otmock") {
		t.Fatalf("core.Backends() = %v, want otmock among them", core.Backends())
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		opts []core.Option
		want string
	}{
		{"unknown param", []core.Option{core.WithParam("batch_sise", "10")}, `did you mean "batch_size"?`},
		{"bad queue size", []core.Option{core.WithParam("queue_size", "0")}, `"queue_size": "0" is not a positive integer`},
		{"bad duration", []core.Option{core.WithParam("timeout", "soon")}, `"timeout": "soon" is not a duration`},
		{"zero interval", []core.Option{core.WithParam("flush_interval", "0s")}, "must be positive durations"},
		{"bad endpoint", []core.Option{core.WithEndpoint("udp://127.0.0.1:1")}, "want the collector's URL"},
		{"bad propagation", []core.Option{core.WithPropagation("zipkin")}, "propagation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, err := core.New("otmock", c.opts...)
			if err == nil {
				tr.Close()
				t.Fatal("no error")
			}
			if !errors.Is(err, core.ErrBadOption) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q: want one wrapping core.ErrBadOption that says %q", err, c.want)
			}
		})
	}
}

// newTracer builds an otmock tracer on a fresh collector.
func newTracer(t *testing.T, opts ...core.Option) (*core.Tracer, *otmocktest.Collector) {
	t.Helper()
	c := otmocktest.New(t)
	tr, err := core.New("otmock", append(c.Options(), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr, c
}

// wantAccounted checks that every span given to the backend is reported or
// dropped, as Tracer.Stats says.
func wantAccounted(t *testing.T, tr *core.Tracer, finished uint64) core.Stats {
	t.Helper()
	s := tr.Stats()
	if s.Reported+s.Dropped != finished || s.Pending != 0 {
		t.Errorf("reported %d + dropped %d (%v) != %d finished, pending %d", s.Reported, s.Dropped, s.DroppedBy, finished, s.Pending)
	}
	return s
}

func TestEverySpanReported(t *testing.T) {
	tr, c := newTracer(t, core.WithParam("batch_size", "7"), core.WithServiceName("shop"), core.WithTag("env", "ci"))
	const n = 50
	for i := range n {
		tr.StartSpan(fmt.Sprint("op", i)).Finish()
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if s := wantAccounted(t, tr, n); s.Reported != n {
		t.Errorf("reported %d, want %d", s.Reported, n)
	}
	if got := len(c.Spans()); got != n {
		t.Errorf("the collector has %d spans, want %d", got, n)
	}
	for _, b := range c.Batches() {
		if b.Service != "shop" || b.Process["env"] != "ci" || len(b.Spans) > 7 {
			t.Errorf("batch of %d spans, service %q, process %v", len(b.Spans), b.Service, b.Process)
		}
	}
	if errs := c.Errors(); len(errs) > 0 {
		t.Errorf("the collector could not decode: %v", errs)
	}
}

func TestFlushInterval(t *testing.T) {
	tr, c := newTracer(t, core.WithParam("flush_interval", "10ms"))
	tr.StartSpan("alone").Finish() // a batch of 100 never fills
	deadline := time.Now().Add(5 * time.Second)
	for len(c.Spans()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the span was not sent before Close")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRejected(t *testing.T) {
	tr, c := newTracer(t)
	c.SetStatus(http.StatusServiceUnavailable)
	for range 3 {
		tr.StartSpan("rejected").Finish()
	}
	err := tr.Close()
	if !errors.Is(err, core.ErrSpansLost) {
		t.Errorf("Close: %v, want core.ErrSpansLost", err)
	}
	if s := wantAccounted(t, tr, 3); s.DroppedBy[backend.DropRejected] != 3 {
		t.Errorf("dropped %v, want 3 %q", s.DroppedBy, backend.DropRejected)
	}
}

func TestSendFailed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	tr, err := core.New("otmock", core.WithEndpoint("http://"+addr+"/spans"))
	if err != nil {
		t.Fatal(err)
	}
	tr.StartSpan("lost").Finish()
	if err := tr.Close(); !errors.Is(err, core.ErrSpansLost) {
		t.Errorf("Close: %v, want core.ErrSpansLost", err)
	}
	if s := wantAccounted(t, tr, 1); s.DroppedBy[backend.DropSend] != 1 {
		t.Errorf("dropped %v, want 1 %q", s.DroppedBy, backend.DropSend)
	}
}

// A collector that never answers: Shutdown returns by its deadline, counts
// what it could not send, and leaves no goroutine (TestMain checks).
func TestShutdownDeadline(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer once.Do(func() { close(release) })

	tr, err := core.New("otmock", core.WithEndpoint(srv.URL),
		core.WithParam("queue_size", "10"), core.WithParam("batch_size", "2"), core.WithParam("timeout", "1m"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 100 // the queue holds 10, the first batch hangs: most are dropped
	for range n {
		tr.StartSpan("stuck").Finish() // never blocks
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = tr.Shutdown(ctx)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Shutdown took %v with a 200ms deadline", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, core.ErrSpansLost) {
		t.Errorf("Shutdown: %v, want context.DeadlineExceeded and core.ErrSpansLost", err)
	}
	s := wantAccounted(t, tr, n)
	if s.DroppedBy[backend.DropQueueFull] == 0 || s.DroppedBy[backend.DropShutdown] == 0 || s.Reported != 0 {
		t.Errorf("stats %+v: want spans dropped as %q and %q, none reported", s, backend.DropQueueFull, backend.DropShutdown)
	}

	tr.StartSpan("late").Finish()
	if s := wantAccounted(t, tr, n+1); s.DroppedBy[backend.DropClosed] != 1 {
		t.Errorf("a span finished after Shutdown: dropped %v, want 1 %q", s.DroppedBy, backend.DropClosed)
	}
	once.Do(func() { close(release) })
}

// Unsampled spans are neither sent nor counted. Core decides a trace where
// it begins, so a trace it does not sample never reaches otmock; within a
// sampled trace, mocktracer's sampling.priority tag can still unsample a
// span, which otmock then leaves out.
func TestUnsampledNotCounted(t *testing.T) {
	tr, c := newTracer(t, core.WithSamplingRules(sampling.Rule{Operation: "unsampled", Ratio: 0}))
	tr.StartSpan("unsampled").Finish()
	s := tr.StartSpan("priority 0")
	s.SetTag("sampling.priority", 0) // mocktracer's override
	s.Finish()
	tr.StartSpan("sampled").Finish()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if s := wantAccounted(t, tr, 1); s.Reported != 1 {
		t.Errorf("reported %d, want the sampled span alone", s.Reported)
	}
	if spans := c.Spans(); len(spans) != 1 || spans[0].Operation != "sampled" {
		t.Errorf("the collector has %v", spans)
	}
}

// What a span carries arrives: tags of every type, logs, including the
// deprecated Log that mocktracer refuses with a panic; a second Finish
// sends nothing.
func TestSpanContents(t *testing.T) {
	tr, c := newTracer(t)
	s := tr.StartSpan("contents")
	s.SetTag("int", 7).SetTag("bool", true).SetTag("float", 1.5).SetTag("nan", math.NaN()).
		SetTag("error", errors.New("boom")).SetTag("struct", struct{ A int }{1})
	s.LogKV("event", "kv", "n", 3)
	s.Log(opentracing.LogData{Event: "old", Payload: "style"})
	s.Finish()
	s.Finish()
	s.SetTag("after", "finish") // not sent
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	spans := c.Spans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	got := spans[0]
	for k, want := range map[string]string{"int": "7", "bool": "true", "float": "1.5", "nan": "NaN", "error": "boom", "struct": "{1}"} {
		if v, _ := got.Tag(k); v != want {
			t.Errorf("tag %s = %q, want %q", k, v, want)
		}
	}
	if _, ok := got.Tag("after"); ok {
		t.Error("a tag set after Finish was sent")
	}
	if len(got.Logs) != 2 || got.Logs[0].Fields["n"] != "3" || got.Logs[1].Fields["event"] != "old" {
		t.Errorf("logs %v", got.Logs)
	}
}

func TestUnencodable(t *testing.T) {
	tr, _ := newTracer(t)
	tr.StartSpan("year 10000", opentracing.StartTime(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))).Finish()
	tr.StartSpan("fine").Finish()
	_ = tr.Close()
	if s := wantAccounted(t, tr, 2); s.DroppedBy[otmock.DropUnencodable] != 1 || s.Reported != 1 {
		t.Errorf("stats %+v, want one %q and one reported", s, otmock.DropUnencodable)
	}
}

// The codec converts mocktracer's span context faithfully where it can.
func TestCodec(t *testing.T) {
	tr, err := otmock.New(backend.Config{ServiceName: "codec", SampleRate: 1, Endpoint: otmocktest.New(t).Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()

	in := propagation.SpanContext{TraceID: 0xfedcba9876543210, SpanID: 0x8000000000000001, Sampling: propagation.SamplingNo,
		Baggage: []propagation.BaggageItem{{Key: "b", Value: "2"}, {Key: "a", Value: "1"}, {Key: "a", Value: "dup"}}}
	sc, err := tr.ImportSpanContext(in)
	if err != nil {
		t.Fatal(err)
	}
	out, ok := tr.ExportSpanContext(sc)
	if !ok {
		t.Fatal("ExportSpanContext refused the context ImportSpanContext made")
	}
	want := propagation.SpanContext{TraceID: in.TraceID, SpanID: in.SpanID, Sampling: propagation.SamplingNo,
		Baggage: []propagation.BaggageItem{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}}
	if fmt.Sprint(out) != fmt.Sprint(want) {
		t.Errorf("round trip\n got %+v\nwant %+v", out, want)
	}

	// What mocktracer cannot hold is dropped, and the rest kept.
	lossy := propagation.SpanContext{TraceIDHigh: 0x4bf92f3577b34da6, TraceID: 0xa3ce929d0e0e4736, SpanID: 0xf067aa0ba902b7,
		ParentID: 9, Sampling: propagation.SamplingDebug, TraceState: "k=v"}
	sc, err = tr.ImportSpanContext(lossy)
	if err != nil {
		t.Fatal(err)
	}
	out, _ = tr.ExportSpanContext(sc)
	want = propagation.SpanContext{TraceID: lossy.TraceID, SpanID: lossy.SpanID, Sampling: propagation.SamplingYes}
	if fmt.Sprint(out) != fmt.Sprint(want) {
		t.Errorf("lossy import\n got %+v\nwant %+v", out, want)
	}
	if _, err := tr.ImportSpanContext(propagation.SpanContext{TraceIDHigh: 1, SpanID: 2}); err == nil {
		t.Error("a 128-bit trace id with a zero low half was imported as trace 0")
	}

	// A deferred decision is taken with the sample rate.
	sc, _ = tr.ImportSpanContext(propagation.SpanContext{TraceID: 1, SpanID: 2})
	if !sc.(mocktracer.MockSpanContext).Sampled {
		t.Error("a deferred decision at sample rate 1 was not sampled")
	}

	if _, ok := tr.ExportSpanContext(opentracing.NoopTracer{}.StartSpan("x").Context()); ok {
		t.Error("ExportSpanContext accepted another tracer's span context")
	}
	if _, err := tr.ImportSpanContext(propagation.SpanContext{}); !errors.Is(err, opentracing.ErrSpanContextNotFound) {
		t.Errorf("an empty context: %v, want opentracing.ErrSpanContextNotFound", err)
	}
}

// TestNewTraceFromCore: a context with a trace id and no span id, as core
// hands over a new trace it decided, makes the span started from it a root
// of that trace: the trace id (its low 64 bits), no parent, a span id of its
// own, the context's decision whatever the sample rate (deferred is sampled:
// core began the trace), and its baggage. Its child continues it, and a
// second span started from the context is a second root. A trace otmock
// starts itself is still sampled at the rate. What counts is what the
// collector decoded.
func TestNewTraceFromCore(t *testing.T) {
	const high, low = 0x1234567890abcdef, 0xabcdef0123456789
	baggage := []propagation.BaggageItem{{Key: "user", Value: "ann"}}
	for _, tc := range []struct {
		name     string
		rate     float64
		sampling propagation.Sampling
		sampled  bool
	}{
		{"sampled at rate 0", 0, propagation.SamplingYes, true},
		{"debug at rate 0", 0, propagation.SamplingDebug, true},
		{"deferred at rate 0", 0, propagation.SamplingDeferred, true},
		{"not sampled at rate 1", 1, propagation.SamplingNo, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := otmocktest.New(t)
			tr, err := otmock.New(backend.Config{ServiceName: "s", SampleRate: tc.rate, Endpoint: c.Endpoint()})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			want := propagation.SamplingNo
			if tc.sampled {
				want = propagation.SamplingYes
			}

			parent, err := tr.ImportSpanContext(propagation.SpanContext{TraceIDHigh: high, TraceID: low, Sampling: tc.sampling, Baggage: baggage})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := tr.ExportSpanContext(parent); fmt.Sprint(got) != fmt.Sprint(propagation.SpanContext{TraceID: low, Sampling: want, Baggage: baggage}) {
				t.Errorf("the imported context exports as %+v, want trace %x, no span id, sampling %v, baggage %v", got, uint64(low), want, baggage)
			}
			root := tr.StartSpan("root", opentracing.ChildOf(parent))
			rc, _ := tr.ExportSpanContext(root.Context())
			if rc.TraceID != low || rc.SpanID == 0 || rc.Sampling != want || root.BaggageItem("user") != "ann" {
				t.Errorf("the root's context %+v: want trace %x, a span id, sampling %v, the baggage", rc, uint64(low), want)
			}
			child := tr.StartSpan("child", opentracing.ChildOf(root.Context()))
			other := tr.StartSpan("other root", opentracing.ChildOf(parent))
			own := tr.StartSpan("own root") // otmock's own trace, at the rate
			for _, s := range []opentracing.Span{child, root, other, own} {
				s.Finish()
			}
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}

			got := map[string]otmock.Span{}
			for _, b := range c.Batches() {
				for _, s := range b.Spans {
					got[s.Operation] = s
				}
			}
			if !tc.sampled {
				if len(got) != 1 || got["own root"].SpanID == "" {
					t.Errorf("the collector has %v, want only otmock's own root, sampled at rate 1", got)
				}
				return
			}
			if len(got) != 3 {
				t.Errorf("the collector has %v, want the root, its child, the other root, and not otmock's own root at rate 0", got)
			}
			trace := fmt.Sprintf("%016x", uint64(low))
			r, o := got["root"], got["other root"]
			if r.TraceID != trace || r.ParentID != "" || r.SpanID != fmt.Sprintf("%016x", rc.SpanID) {
				t.Errorf("root %+v: want trace %s, no parent, span %016x", r, trace, rc.SpanID)
			}
			if ch := got["child"]; ch.TraceID != trace || ch.ParentID != r.SpanID {
				t.Errorf("child %+v: want trace %s, parent %s", ch, trace, r.SpanID)
			}
			if o.TraceID != trace || o.ParentID != "" || o.SpanID == r.SpanID {
				t.Errorf("other root %+v: want a second root of trace %s", o, trace)
			}
		})
	}
}

// foreign is a span context of no tracer in particular.
type foreign struct{}

func (foreign) ForeachBaggageItem(func(k, v string) bool) {}

// mocktracer panics on a reference to another tracer's span context; otmock
// drops the reference, and core's own StartSpan copes with a raw mocktracer.
func TestForeignReferences(t *testing.T) {
	tr, err := otmock.New(backend.Config{ServiceName: "foreign", SampleRate: 1, Endpoint: otmocktest.New(t).Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()

	s := tr.StartSpan("child of foreign", opentracing.ChildOf(foreign{}))
	ms := s.Context().(mocktracer.MockSpanContext)
	if ms.TraceID == 0 || ms.SpanID == 0 {
		t.Errorf("span context %+v", ms)
	}
	s.Finish()
	if v := tr.MockTracer().FinishedSpans(); len(v) != 1 || v[0].ParentID != 0 || v[0].Tag("traceplug.dropped_reference") != true {
		t.Errorf("the span is not a new root tagged traceplug.dropped_reference: %v", v)
	}

	// A parent imported from the wire, then a foreign reference: the parent wins.
	parent, err := tr.ImportSpanContext(propagation.SpanContext{TraceID: 0xabc, SpanID: 0xdef, Sampling: propagation.SamplingYes,
		Baggage: []propagation.BaggageItem{{Key: "user", Value: "ann"}}})
	if err != nil {
		t.Fatal(err)
	}
	child := tr.StartSpan("child", opentracing.FollowsFrom(foreign{}), opentracing.ChildOf(parent))
	if c := child.Context().(mocktracer.MockSpanContext); c.TraceID != 0xabc || child.BaggageItem("user") != "ann" {
		t.Errorf("child context %+v, want trace abc and the parent's baggage", c)
	}

	// core.Wrap over a raw mocktracer: core recovers mocktracer's panic.
	raw, err := core.Wrap(mocktracer.New())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rs := raw.StartSpan("raw", opentracing.ChildOf(foreign{}))
	rs.Finish()
	if m := rs.(*mocktracer.MockSpan); m.ParentID != 0 || m.Tag("traceplug.dropped_reference") != true {
		t.Errorf("core's StartSpan over mocktracer: parent %d, tags %v", m.ParentID, m.Tags())
	}
}

// Log correlation: the ids a handler reads from its request's context, and
// those core's slog handler adds to its records, are the ids the collector
// receives: they come through the codec.
func TestLogCorrelation(t *testing.T) {
	tr, c := newTracer(t, core.WithTraceAll(true))
	var mu sync.Mutex
	var trace, spanID string
	var logged bytes.Buffer
	logger := slog.New(tr.LogHandler(slog.NewJSONHandler(&logged, nil)))
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		var ok bool
		if trace, spanID, ok = tr.ContextIDs(r.Context()); !ok {
			t.Error("ContextIDs: no ids")
		}
		logger.InfoContext(r.Context(), "handled")
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	srv.Close()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	batches := c.Batches()
	mu.Lock()
	defer mu.Unlock()
	if len(batches) != 1 || len(batches[0].Spans) != 1 {
		t.Fatalf("batches %v", batches)
	}
	s := batches[0].Spans[0]
	if s.TraceID != trace || s.SpanID != spanID {
		t.Errorf("the handler read [trace %s span %s], the collector has [trace %s span %s]", trace, spanID, s.TraceID, s.SpanID)
	}
	var record map[string]any
	if err := json.Unmarshal(logged.Bytes(), &record); err != nil {
		t.Fatalf("log record %q: %v", logged.String(), err)
	}
	if record[core.LogTraceIDKey] != s.TraceID || record[core.LogSpanIDKey] != s.SpanID {
		t.Errorf("log record %v, want the collector's [trace %s span %s]", record, s.TraceID, s.SpanID)
	}
}
