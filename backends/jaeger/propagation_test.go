package jaeger_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	jaegerclient "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/zipkin"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/jaeger"
	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/propagation"
)

// serve runs tr's middleware around a handler that answers with the baggage
// item "user", and sends it one request with header.
func serve(t *testing.T, tr *core.Tracer, header http.Header) string {
	t.Helper()
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := tr.GetSpan(r); s != nil {
			_, _ = io.WriteString(w, s.BaggageItem("user"))
		}
	})))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("served %d", resp.StatusCode)
	}
	return string(body)
}

// TestB3SingleHeader (issue 13): under WithPropagation("b3"), jaeger read
// only the X-B3-* headers (jaeger-client-go's B3 propagator knows no other)
// and started a new trace for a request with the single b3 header.
func TestB3SingleHeader(t *testing.T) {
	const trace, span = "463ac35c9f6413ad", "a2fb4a1d1a96d312"
	for _, tp := range transports {
		t.Run(tp.name, func(t *testing.T) {
			c := tp.start(t)
			tr := newTracer(t, c, core.WithPropagation("b3"), core.WithTraceAll(true))
			serve(t, tr, http.Header{"B3": {trace + "-" + span + "-1"}})
			_ = tr.Close()
			spans := waitSpans(t, c, 1)
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			if s := spans[0]; s.TraceID != trace || s.ParentID != span {
				t.Errorf("span [trace %s parent %s], want the b3 header's [trace %s parent %s]", s.TraceID, s.ParentID, trace, span)
			}
		})
	}
}

// TestEveryFormatOnTheJaegerTracer: span.Tracer() is jaeger-client-go's
// tracer, which is what opentracing-go's harness and go-stdlib's nethttp
// inject with; it writes and reads the configured formats, not only
// uber-trace-id.
func TestEveryFormatOnTheJaegerTracer(t *testing.T) {
	c := jaegertest.NewUDP(t)
	tr := newTracer(t, c, core.WithPropagation("tracecontext,baggage,b3"))
	s := tr.StartSpan("x")
	defer s.Finish()
	s.SetBaggageItem("user", "ann")
	h := http.Header{}
	if err := s.Tracer().Inject(s.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	if h.Get("Traceparent") == "" || h.Get("B3") == "" || h.Get("Baggage") != "user=ann" || h.Get("Uber-Trace-Id") != "" {
		t.Errorf("headers %v: want traceparent, baggage and b3, and no uber-trace-id", h)
	}
	sc, err := s.Tracer().Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(http.Header{"Traceparent": {h.Get("Traceparent")}}))
	if err != nil {
		t.Fatal(err)
	}
	want := s.Context().(jaegerclient.SpanContext)
	if got := sc.(jaegerclient.SpanContext); got.TraceID() != want.TraceID() || got.SpanID() != want.SpanID() || !got.IsSampled() {
		t.Errorf("extracted %v, want %v", got, want)
	}
	// Invalid carriers and foreign contexts, as OpenTracing requires.
	if sc, err := s.Tracer().Extract(opentracing.HTTPHeaders, "not a carrier"); sc != nil || err != opentracing.ErrInvalidCarrier {
		t.Errorf("Extract from a string: %v, %v", sc, err)
	}
	if err := s.Tracer().Inject(opentracing.NoopTracer{}.StartSpan("").Context(), opentracing.TextMap, opentracing.TextMapCarrier{}); err != opentracing.ErrInvalidSpanContext {
		t.Errorf("Inject of a foreign context: %v", err)
	}
}

// TestBinaryIsJaegers: the Binary format stays jaeger-client-go's, which
// other jaeger clients read.
func TestBinaryIsJaegers(t *testing.T) {
	c := jaegertest.NewUDP(t)
	tr := newTracer(t, c, core.WithPropagation("b3"), core.WithParam("trace_id_128bit", "true"))
	s := tr.StartSpan("x")
	defer s.Finish()
	s.SetBaggageItem("User", "ann")
	var buf bytes.Buffer
	if err := tr.Inject(s.Context(), opentracing.Binary, &buf); err != nil {
		t.Fatal(err)
	}
	plain, closer := jaegerclient.NewTracer("plain", jaegerclient.NewConstSampler(true), jaegerclient.NewNullReporter())
	defer closer.Close()
	sc, err := plain.Extract(opentracing.Binary, &buf)
	if err != nil {
		t.Fatal(err)
	}
	got, want := sc.(jaegerclient.SpanContext), s.Context().(jaegerclient.SpanContext)
	if got.TraceID() != want.TraceID() || got.SpanID() != want.SpanID() || want.TraceID().High == 0 {
		t.Errorf("a plain jaeger-client-go tracer read %v, want %v", got, want)
	}
	bag := map[string]string{}
	got.ForeachBaggageItem(func(k, v string) bool { bag[k] = v; return true })
	if bag["User"] != "ann" {
		t.Errorf("baggage %v", bag)
	}
}

// TestCodec converts span contexts both ways, field by field.
func TestCodec(t *testing.T) {
	for _, tc := range []struct {
		name string
		rate float64
		in   propagation.SpanContext
		// want is what exporting the imported context gives; its Baggage
		// as a set.
		want propagation.SpanContext
	}{
		{"128-bit sampled", 0, propagation.SpanContext{TraceIDHigh: 0x80f198ee56343ba8, TraceID: 0x463ac35c9f6413ad, SpanID: 7, ParentID: 3, Sampling: propagation.SamplingYes},
			propagation.SpanContext{TraceIDHigh: 0x80f198ee56343ba8, TraceID: 0x463ac35c9f6413ad, SpanID: 7, ParentID: 3, Sampling: propagation.SamplingYes}},
		{"not sampled", 1, propagation.SpanContext{TraceID: 1, SpanID: 2, Sampling: propagation.SamplingNo},
			propagation.SpanContext{TraceID: 1, SpanID: 2, Sampling: propagation.SamplingNo}},
		{"debug", 0, propagation.SpanContext{TraceID: 1, SpanID: 2, Sampling: propagation.SamplingDebug},
			propagation.SpanContext{TraceID: 1, SpanID: 2, Sampling: propagation.SamplingDebug}},
		{"deferred, rate 1", 1, propagation.SpanContext{TraceID: 1, SpanID: 2},
			propagation.SpanContext{TraceID: 1, SpanID: 2, Sampling: propagation.SamplingYes}},
		{"deferred, rate 0", 0, propagation.SpanContext{TraceID: 1, SpanID: 2},
			propagation.SpanContext{TraceID: 1, SpanID: 2, Sampling: propagation.SamplingNo}},
		{"tracestate dropped, baggage kept with its case", 1,
			propagation.SpanContext{TraceID: 1, SpanID: 2, Sampling: propagation.SamplingYes, TraceState: "k=v",
				Baggage: []propagation.BaggageItem{{Key: "User", Value: "ann"}, {Key: "big", Value: strings.Repeat("x", 5000)}, {Key: "User", Value: "bob"}}},
			propagation.SpanContext{TraceID: 1, SpanID: 2, Sampling: propagation.SamplingYes,
				Baggage: []propagation.BaggageItem{{Key: "User", Value: "ann"}, {Key: "big", Value: strings.Repeat("x", 5000)}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := jaeger.New(backend.Config{ServiceName: "s", SampleRate: tc.rate, Endpoint: "udp://127.0.0.1:6831"})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			sc, err := tr.ImportSpanContext(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := tr.ExportSpanContext(sc)
			if !ok {
				t.Fatal("the imported context does not export")
			}
			if !sameContext(got, tc.want) {
				t.Errorf("round trip gave\n%+v, want\n%+v", got, tc.want)
			}
			// A child continues the trace with the decision.
			child := tr.StartSpan("child", opentracing.ChildOf(sc))
			defer child.Finish()
			cc, _ := tr.ExportSpanContext(child.Context())
			if cc.TraceIDHigh != tc.want.TraceIDHigh || cc.TraceID != tc.want.TraceID || cc.ParentID != tc.want.SpanID || cc.Sampling != tc.want.Sampling {
				t.Errorf("child %+v of %+v", cc, tc.want)
			}
		})
	}
}

func sameContext(a, b propagation.SpanContext) bool {
	if a.TraceIDHigh != b.TraceIDHigh || a.TraceID != b.TraceID || a.SpanID != b.SpanID || a.ParentID != b.ParentID ||
		a.Sampling != b.Sampling || a.TraceState != b.TraceState || len(a.Baggage) != len(b.Baggage) {
		return false
	}
	set := map[propagation.BaggageItem]bool{}
	for _, it := range a.Baggage {
		set[it] = true
	}
	for _, it := range b.Baggage {
		if !set[it] {
			return false
		}
	}
	return true
}

// TestBaggageOnlyContext: a context of baggage without ids starts a new trace
// that carries the baggage.
func TestBaggageOnlyContext(t *testing.T) {
	tr, err := jaeger.New(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: "udp://127.0.0.1:6831"})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	sc, err := tr.ImportSpanContext(propagation.SpanContext{Baggage: []propagation.BaggageItem{{Key: "user", Value: "ann"}}})
	if err != nil {
		t.Fatal(err)
	}
	s := tr.StartSpan("root", opentracing.ChildOf(sc))
	defer s.Finish()
	if s.BaggageItem("user") != "ann" || !s.Context().(jaegerclient.SpanContext).IsValid() {
		t.Errorf("span %v baggage %q", s.Context(), s.BaggageItem("user"))
	}
	if _, err := tr.ImportSpanContext(propagation.SpanContext{}); err != opentracing.ErrSpanContextNotFound {
		t.Errorf("an empty context: %v", err)
	}
}

// TestB3MultiWithJaegerB3Peers: a jaeger service on b3multi and a
// jaeger-client-go service on its own B3 propagator (what WithPropagation("b3")
// used to install) share traces and baggage both ways.
func TestB3MultiWithJaegerB3Peers(t *testing.T) {
	c := jaegertest.NewUDP(t)
	tr := newTracer(t, c, core.WithPropagation("b3multi"), core.WithTraceAll(true))
	peer := zipkin.NewZipkinB3HTTPHeaderPropagator()

	// Ours to the peer.
	s := tr.StartSpan("x")
	s.SetBaggageItem("user", "ann")
	h := http.Header{}
	if err := tr.Inject(s.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	s.Finish()
	got, err := peer.Extract(opentracing.HTTPHeadersCarrier(h))
	want := s.Context().(jaegerclient.SpanContext)
	if err != nil || got.TraceID() != want.TraceID() || got.SpanID() != want.SpanID() || !got.IsSampled() {
		t.Errorf("jaeger-client-go's B3 propagator read %v (%v) from %v, want %v", got, err, h, want)
	}
	bag := map[string]string{}
	got.ForeachBaggageItem(func(k, v string) bool { bag[k] = v; return true })
	if bag["user"] != "ann" {
		t.Errorf("the peer read baggage %v", bag)
	}

	// The peer's to ours.
	h = http.Header{}
	if err := peer.Inject(jaegerclient.NewSpanContext(jaegerclient.TraceID{Low: 0xabc}, 0x12, 0, true, map[string]string{"user": "bob"}), opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	if body := serve(t, tr, h); body != "bob" {
		t.Errorf("the handler read baggage %q from %v, want bob", body, h)
	}
	_ = tr.Close()
	spans := waitSpans(t, c, 2)
	if len(spans) != 2 || spans[1].TraceID != "abc" || spans[1].ParentID != "12" {
		t.Errorf("want the server span a child of the peer's abc:12:\n%v", spans)
	}
}
