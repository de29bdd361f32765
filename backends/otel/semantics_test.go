package otel_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	otlog "github.com/opentracing/opentracing-go/log"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/propagation"
)

// TestErrorStatusKeepsLogMessage: an error log with a message puts
// the message in the span's status; an error=true tag set afterwards (as
// traceplug's middleware sets for a 5xx, after a handler that logged its
// error and answered 500) must not wipe it. BUG: SetTag("error", true)
// calls SetStatus(Error, "") and the SDK replaces an ERROR status's
// description with the later one.
func TestErrorStatusKeepsLogMessage(t *testing.T) {
	c := oteltest.New(t)
	tr, ot := newTracer(t, c, core.WithTraceAll(true))
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span := opentracing.SpanFromContext(r.Context())
		span.LogFields(otlog.String("event", "error"), otlog.String("message", "db down"))
		w.WriteHeader(500)
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	s := ot.StartSpan("direct")
	s.LogKV("event", "error", "message", "timeout")
	ext.Error.Set(s, true)
	s.Finish()
	_ = tr.Close()

	spans := oteltest.ByName(c.OTLPSpans())
	for name, want := range map[string]string{"GET": "db down", "direct": "timeout"} {
		st := spans[name].GetStatus()
		if st.GetCode() != tracepb.Status_STATUS_CODE_ERROR || st.GetMessage() != want {
			t.Errorf("%s: status %v, want ERROR %q", name, st, want)
		}
	}
}

// TestAttributeLimitAsSDK: with more tags than the SDK's attribute
// count limit, what reaches the collector is what the SDK keeps when each
// tag is set as it comes (the first 128 keys, later values of those keys
// applied, the rest dropped and counted), start tags included.
func TestAttributeLimitAsSDK(t *testing.T) {
	c := oteltest.New(t)
	_, ot := newTracer(t, c)
	rec := tracetest.NewSpanRecorder()
	ref := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("ref")
	_, want := ref.Start(context.Background(), "limited", trace.WithAttributes(attribute.String("start", "s")))

	s := ot.StartSpan("limited", opentracing.Tag{Key: "start", Value: "s"})
	for i := range 200 {
		k := fmt.Sprintf("k%03d", i)
		s.SetTag(k, i)
		want.SetAttributes(attribute.Int(k, i))
	}
	for _, k := range []string{"k000", "k150", "start"} {
		s.SetTag(k, "updated")
		want.SetAttributes(attribute.String(k, "updated"))
	}
	s.Finish()
	want.End()
	_ = ot.Close()

	got := oteltest.ByName(c.OTLPSpans())["limited"]
	exp := rec.Ended()[0]
	gotAttrs := map[string]any{}
	for _, kv := range got.GetAttributes() {
		gotAttrs[kv.GetKey()] = fmt.Sprint(oteltest.Value(kv.GetValue()))
	}
	wantAttrs := map[string]any{}
	for _, kv := range exp.Attributes() {
		wantAttrs[string(kv.Key)] = kv.Value.Emit()
	}
	if fmt.Sprint(sorted(gotAttrs)) != fmt.Sprint(sorted(wantAttrs)) {
		t.Errorf("attributes differ from the SDK's per-call behaviour:\n got %v\nwant %v", sorted(gotAttrs), sorted(wantAttrs))
	}
	if int(got.GetDroppedAttributesCount()) != exp.DroppedAttributes() {
		t.Errorf("dropped %d, SDK drops %d", got.GetDroppedAttributesCount(), exp.DroppedAttributes())
	}
}

func sorted(m map[string]any) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%v", k, v))
	}
	sort.Strings(out)
	return out
}

// TestConcurrentSpanUse: every span method, from many goroutines at
// once, before, during and after Finish (run with -race); one span on the
// wire, with the tags set before Finish.
func TestConcurrentSpanUse(t *testing.T) {
	c := oteltest.New(t)
	tr, ot := newTracer(t, c)
	s := ot.StartSpan("busy")
	s.SetTag("before", true)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				s.SetTag(fmt.Sprintf("g%d", g), i)
				s.LogFields(otlog.Int("i", i))
				s.LogKV("event", "error", "message", "m")
				s.SetBaggageItem(fmt.Sprintf("b%d", g), fmt.Sprint(i))
				_ = s.BaggageItem("b0")
				s.SetOperationName("busy")
				sc := s.Context()
				sc.ForeachBaggageItem(func(k, v string) bool { return true })
				h := http.Header{}
				_ = tr.Inject(sc, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
				var buf bytes.Buffer
				_ = tr.Inject(sc, opentracing.Binary, &buf)
				ot.StartSpan("child", opentracing.ChildOf(sc)).Finish()
				_ = opentracing.ContextWithSpan(context.Background(), s)
				if i == 100 && g == 0 {
					s.Finish()
				}
			}
		})
	}
	wg.Wait()
	s.Finish()
	s.FinishWithOptions(opentracing.FinishOptions{})
	_ = tr.Close()
	var busy int
	for _, sp := range c.Spans() {
		if sp.Operation == "busy" {
			busy++
			if v, _ := sp.Tag("before"); v != "true" {
				t.Errorf("busy: tag before=%q", v)
			}
		}
	}
	if busy != 1 {
		t.Errorf("%d spans busy, want 1", busy)
	}
}

// TestAcrossAPIs: spans of both APIs in one process, each found from
// contexts that the other made, with baggage and the sampled flag.
func TestAcrossAPIs(t *testing.T) {
	c := oteltest.New(t)
	tr, ot := newTracer(t, c)
	otelTracer := ot.TracerProvider().Tracer("semantics")

	root := tr.StartSpan("ot.root")
	root.SetBaggageItem("user", "ann")
	ctx := opentracing.ContextWithSpan(context.Background(), root)
	if got, want := trace.SpanFromContext(ctx).SpanContext(), spanContextOf(t, ot, root.Context()); !got.Equal(want) {
		t.Errorf("trace.SpanFromContext on an OpenTracing context: %v, want %v", got, want)
	}
	ctx1, child := otelTracer.Start(ctx, "otel.child")
	view := opentracing.SpanFromContext(ctx1)
	if view == nil || !spanContextOf(t, ot, view.Context()).Equal(child.SpanContext()) {
		t.Fatalf("opentracing.SpanFromContext on an OpenTelemetry span's context: %v", view)
	}
	if view.BaggageItem("user") != "ann" {
		t.Errorf("baggage lost from OpenTracing parent to the view of its OpenTelemetry child")
	}
	if view.Tracer() != opentracing.Tracer(ot) {
		t.Errorf("view.Tracer() is %T", view.Tracer())
	}
	// An OpenTracing span started from the OpenTelemetry context, with the
	// view's context as its parent.
	gc, ctx2 := opentracing.StartSpanFromContextWithTracer(ctx1, tr, "ot.grandchild")
	if gc.BaggageItem("user") != "ann" {
		t.Errorf("baggage lost through an OpenTelemetry span")
	}
	if got := trace.SpanFromContext(ctx2).SpanContext(); !got.Equal(spanContextOf(t, ot, gc.Context())) {
		t.Errorf("trace.SpanFromContext after StartSpanFromContext: %v", got)
	}
	_, leaf := otelTracer.Start(ctx2, "otel.leaf")
	leaf.End()
	gc.Finish()
	view.SetTag("via.view", "yes")
	child.End()
	root.Finish()
	_ = tr.Close()

	spans := oteltest.ByName(c.OTLPSpans())
	for ch, p := range map[string]string{"otel.child": "ot.root", "ot.grandchild": "otel.child", "otel.leaf": "ot.grandchild"} {
		if !bytes.Equal(spans[ch].GetParentSpanId(), spans[p].GetSpanId()) || !bytes.Equal(spans[ch].GetTraceId(), spans[p].GetTraceId()) {
			t.Errorf("%s is not a child of %s", ch, p)
		}
		if f := spans[ch].GetFlags() &^ 0xff; f != 0x100 {
			t.Errorf("%s: flags %#x, want a local parent", ch, f)
		}
	}
	if v, _ := oteltest.Attributes(spans["otel.child"])["via.view"]; v != "yes" {
		t.Errorf("a tag set through the view is missing: %v", spans["otel.child"].GetAttributes())
	}
}

func spanContextOf(t *testing.T, ot *otel.Tracer, sc opentracing.SpanContext) trace.SpanContext {
	t.Helper()
	p, ok := ot.ExportSpanContext(sc)
	if !ok {
		t.Fatalf("not the backend's span context: %T", sc)
	}
	var tid trace.TraceID
	var sid trace.SpanID
	for i := range 8 {
		tid[i] = byte(p.TraceIDHigh >> (56 - 8*i))
		tid[8+i] = byte(p.TraceID >> (56 - 8*i))
		sid[i] = byte(p.SpanID >> (56 - 8*i))
	}
	var flags trace.TraceFlags
	if p.Sampling.IsSampled(false) {
		flags = trace.FlagsSampled
	}
	ts, _ := trace.ParseTraceState(p.TraceState)
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags, TraceState: ts})
}

// TestNotSampled: a span of a trace that is not sampled records
// nothing, its children are not sampled either (in both APIs), and its
// context propagates the sampled flag as 00 in every format.
func TestNotSampled(t *testing.T) {
	c := oteltest.New(t)
	tr, ot := newTracer(t, c)
	s := ot.StartSpan("unsampled", opentracing.ChildOf(newTrace(t, ot, propagation.SamplingNo)), opentracing.Tag{Key: "a", Value: 1})
	s.SetTag("b", 2)
	s.LogKV("event", "x")
	s.SetBaggageItem("user", "ann")
	ctx := opentracing.ContextWithSpan(context.Background(), s)
	_, oc := ot.TracerProvider().Tracer("semantics").Start(ctx, "otel.unsampled")
	if oc.SpanContext().IsSampled() || oc.IsRecording() {
		t.Errorf("an OpenTelemetry child of an unsampled span is sampled or recording")
	}
	oc.End()
	h := http.Header{}
	if err := tr.Inject(s.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	if tp := h.Get("traceparent"); len(tp) != 55 || tp[53:] != "00" {
		t.Errorf("traceparent %q, want flags 00", tp)
	}
	if h.Get("baggage") != "user=ann" {
		t.Errorf("baggage header %q", h.Get("baggage"))
	}
	for _, format := range []any{opentracing.HTTPHeaders, opentracing.TextMap, opentracing.Binary} {
		var carrier any
		var buf bytes.Buffer
		switch format {
		case opentracing.Binary:
			carrier = &buf
		default:
			carrier = opentracing.TextMapCarrier{}
		}
		if err := tr.Inject(s.Context(), format, carrier); err != nil {
			t.Fatalf("%v: %v", format, err)
		}
		sc, err := tr.Extract(format, carrier)
		if err != nil {
			t.Fatalf("%v: %v", format, err)
		}
		child := ot.StartSpan("remote.child", opentracing.ChildOf(sc))
		if child.BaggageItem("user") != "ann" {
			t.Errorf("%v: baggage lost", format)
		}
		a, _ := ot.ExportSpanContext(child.Context())
		b, _ := ot.ExportSpanContext(s.Context())
		if a.Sampling.IsSampled(true) || a.TraceID != b.TraceID {
			t.Errorf("%v: child %+v of %+v", format, a, b)
		}
		child.Finish()
	}
	s.Finish()
	_ = tr.Close()
	if n := len(c.Spans()); n != 0 {
		t.Errorf("%d spans of an unsampled trace exported", n)
	}
}

// TestExceptionTypeOfErrorObject: an error log whose error.object
// field is an error (otlog.Error(err), as OpenTracing's conventions write
// it) has that error's Go type as exception.type, as the backend's own
// panics ("%T" in error.object) have. BUG: error.object is turned into an
// attribute first (fmt.Sprint: the error's text) and that text becomes
// exception.type.
func TestExceptionTypeOfErrorObject(t *testing.T) {
	c := oteltest.New(t)
	_, ot := newTracer(t, c)
	s := ot.StartSpan("failed")
	s.LogFields(otlog.String("event", "error"), otlog.String("message", "read failed"), otlog.Error(io.ErrUnexpectedEOF))
	s.Finish()
	_ = ot.Close()
	got := oteltest.ByName(c.OTLPSpans())["failed"]
	var typ any
	for _, e := range got.GetEvents() {
		if e.GetName() != "exception" {
			continue
		}
		for _, kv := range e.GetAttributes() {
			if kv.GetKey() == "exception.type" {
				typ = oteltest.Value(kv.GetValue())
			}
		}
	}
	if want := fmt.Sprintf("%T", io.ErrUnexpectedEOF); typ != want {
		t.Errorf("exception.type %q, want %q", typ, want)
	}
}

// TestLastWriteWinsAcrossAPIs: the same attribute written by
// OpenTracing code (a tag) and then by OpenTelemetry code on the span it
// finds in the context (trace.SpanFromContext(ctx).SetAttributes) keeps the
// later value, as it did with the bridge, where each SetTag reached the SDK
// span at once. BUG: tags are buffered and handed to the SDK span at
// Finish, after the OpenTelemetry write, so the earlier value wins: here
// traceplug's own tag "url.scheme" overwrites what the handler set,
// and a tag set before the handler's SetAttributes overwrites it.
func TestLastWriteWinsAcrossAPIs(t *testing.T) {
	c := oteltest.New(t)
	tr, ot := newTracer(t, c, core.WithTraceAll(true))
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opentracing.SpanFromContext(r.Context()).SetTag("user.id", "from-tag")
		trace.SpanFromContext(r.Context()).SetAttributes(
			attribute.String("url.scheme", "my-scheme"),
			attribute.String("user.id", "from-otel"))
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_ = ot.Close()
	got := oteltest.ByName(c.OTLPSpans())["GET"]
	for k, want := range map[string]string{"url.scheme": "my-scheme", "user.id": "from-otel"} {
		if v, _ := oteltest.Attributes(got)[k]; v != want {
			t.Errorf("%s=%v, want the later write %q", k, v, want)
		}
	}
}
