package otel

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"unsafe"
	"weak"

	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
)

// semanticsTracer is the backend's tracer on c, closed at the end of the test.
func semanticsTracer(t *testing.T, c *oteltest.Collector, opts ...core.Option) (*core.Tracer, *Tracer) {
	t.Helper()
	tr, err := core.New("otel", append(c.Options("http"), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr, tr.Unwrap().(*Tracer)
}

// TestRepeatedSetTagIsBounded: a long-lived span that updates the
// same tag over and over (a progress counter, a state) holds a bounded
// number of attributes, as the SDK span did when each SetTag went to it
// (the SDK de-duplicates once it reaches its attribute count limit, 128 by
// default). BUG: the buffer grows by one attribute per SetTag until Finish.
func TestRepeatedSetTagIsBounded(t *testing.T) {
	c := oteltest.New(t)
	_, ot := semanticsTracer(t, c)
	s := ot.startSpan("long-lived", nil)
	const n = 100_000
	for i := range n {
		s.SetTag("progress", i)
	}
	s.mu.Lock()
	held := len(s.attrs)
	s.mu.Unlock()
	if held > 128 {
		t.Errorf("after %d SetTag of one key the span holds %d attributes (%d bytes), want at most the SDK's limit of 128",
			n, held, held*int(unsafe.Sizeof(attribute.KeyValue{})))
	}
	s.Finish()
	_ = ot.Close()
	got := oteltest.ByName(c.OTLPSpans())["long-lived"]
	if v, _ := oteltest.Attributes(got)["progress"]; v != int64(n-1) {
		t.Errorf("progress=%v, want %d", v, n-1)
	}
}

// gatedSpan is an SDK span whose SetAttributes waits for a gate, so that a
// test can order another call in between.
type gatedSpan struct {
	trace.Span
	entered chan struct{}
	gate    chan struct{}
}

func (g *gatedSpan) SetAttributes(kv ...attribute.KeyValue) {
	close(g.entered)
	<-g.gate
	g.Span.SetAttributes(kv...)
}

// TestConcurrentFinishKeepsTags: two Finish calls that race (an
// OpenTracing API misuse, but a common one: a body closed while another
// goroutine reads it to EOF, a timeout and a reply) must not lose the
// span's tags. With the bridge each tag was in the SDK span already. BUG:
// the first Finish takes the buffer and hands it over after releasing the
// lock; the second finds it empty and ends the SDK span at once, so the
// first one's SetAttributes comes after End and is dropped.
func TestConcurrentFinishKeepsTags(t *testing.T) {
	c := oteltest.New(t)
	_, ot := semanticsTracer(t, c)
	s := ot.startSpan("raced", []opentracing.StartSpanOption{opentracing.Tag{Key: "start", Value: "tag"}})
	s.SetTag("late", "tag")
	g := &gatedSpan{Span: s.otel, entered: make(chan struct{}), gate: make(chan struct{})}
	s.otel = g
	var wg sync.WaitGroup
	wg.Go(s.Finish) // takes the tags, then waits in SetAttributes
	<-g.entered
	s.Finish() // the second finish: ends the SDK span
	close(g.gate)
	wg.Wait()
	_ = ot.Close()
	got := oteltest.ByName(c.OTLPSpans())["raced"]
	if got == nil {
		t.Fatal("span not exported")
	}
	for _, k := range []string{"start", "late"} {
		if _, ok := oteltest.Attributes(got)[k]; !ok {
			t.Errorf("tag %q lost to a second Finish; attributes %v", k, got.GetAttributes())
		}
	}
}

// TestSpanContextDoesNotPinSpan: an OpenTracing span context kept
// after its span finished (for a later FollowsFrom, in a queued message, in
// a cache of parents) is a small value, as the bridge's was. BUG: the
// context is a field of the span (s.own), so it keeps the whole finished
// span alive: its SDK span with every attribute and event, the buffer of
// tags (never cleared after the hand-over) and, for a request's span, the
// request's context held by its hook.
func TestSpanContextDoesNotPinSpan(t *testing.T) {
	c := oteltest.New(t)
	_, ot := semanticsTracer(t, c)
	s := ot.startSpan("pinned", nil)
	s.SetTag("payload", string(make([]byte, 1<<20)))
	w := weak.Make(s)
	sc := s.Context()
	s.Finish()
	s = nil
	for range 3 {
		runtime.GC()
	}
	if w.Value() != nil {
		t.Errorf("a span context kept after Finish keeps its finished span (and its SDK span, tags and hooked context) alive")
	}
	runtime.KeepAlive(sc)
}

// TestFallbackWithoutCaughtKeys: if catching the context keys ever
// fails (nil keys), the interop still works through the packages' own
// functions, in both directions, with baggage.
func TestFallbackWithoutCaughtKeys(t *testing.T) {
	savedOtel, savedOT := otelSpanKey, otSpanKey
	defer func() { otelSpanKey, otSpanKey = savedOtel, savedOT }()
	for _, tc := range []struct {
		name     string
		otel, ot any
	}{{"neither", nil, nil}, {"no OpenTelemetry key", nil, savedOT}, {"no OpenTracing key", savedOtel, nil}} {
		t.Run(tc.name, func(t *testing.T) {
			otelSpanKey, otSpanKey = tc.otel, tc.ot
			checkFallback(t)
		})
	}
}

func checkFallback(t *testing.T) {
	c := oteltest.New(t)
	tr, ot := semanticsTracer(t, c)
	root := tr.StartSpan("ot.root")
	root.SetBaggageItem("user", "ann")
	ctx := opentracing.ContextWithSpan(context.Background(), root)
	if got := trace.SpanFromContext(ctx).SpanContext(); !got.Equal(root.Context().(*spanContext).sc) {
		t.Errorf("trace.SpanFromContext on an OpenTracing context: %v", got)
	}
	ctx, otelChild := ot.TracerProvider().Tracer("semantics").Start(ctx, "otel.child")
	view := opentracing.SpanFromContext(ctx)
	if view == nil || !view.Context().(*spanContext).sc.Equal(otelChild.SpanContext()) {
		t.Fatalf("opentracing.SpanFromContext on an OpenTelemetry context: %v", view)
	}
	if view.BaggageItem("user") != "ann" {
		t.Errorf("the view lost its OpenTracing parent's baggage")
	}
	grandchild, ctx := opentracing.StartSpanFromContextWithTracer(ctx, tr, "ot.grandchild")
	if grandchild.BaggageItem("user") != "ann" {
		t.Errorf("the grandchild lost the baggage")
	}
	_, leaf := ot.TracerProvider().Tracer("semantics").Start(ctx, "otel.leaf")
	leaf.End()
	grandchild.Finish()
	otelChild.End()
	root.Finish()
	_ = tr.Close()
	spans := oteltest.ByName(c.OTLPSpans())
	for child, parent := range map[string]string{"otel.child": "ot.root", "ot.grandchild": "otel.child", "otel.leaf": "ot.grandchild"} {
		ch, p := spans[child], spans[parent]
		if ch == nil || p == nil {
			t.Fatalf("spans %v", spans)
		}
		if string(ch.GetParentSpanId()) != string(p.GetSpanId()) || string(ch.GetTraceId()) != string(p.GetTraceId()) {
			t.Errorf("%s is not a child of %s", child, parent)
		}
	}
}
