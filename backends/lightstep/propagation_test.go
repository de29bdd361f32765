package lightstep_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	lightstepgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/harness"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/lightstep"
	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/propagation"
)

// relay is a traced service that calls an untraced one through Transport
// and answers with the baggage item "user" it read.
type relay struct {
	url  string
	sent http.Header // the last outgoing call's headers
}

func newRelay(t *testing.T, tr *core.Tracer) *relay {
	t.Helper()
	rl := &relay{}
	next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rl.sent = r.Header.Clone() }))
	t.Cleanup(next.Close)
	client := &http.Client{Transport: tr.Transport(nil)}
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", next.URL, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
		}
		if s := tr.GetSpan(r); s != nil {
			_, _ = io.WriteString(w, s.BaggageItem("user"))
		}
	})))
	t.Cleanup(srv.Close)
	rl.url = srv.URL
	return rl
}

func (rl *relay) get(t *testing.T, h http.Header) string {
	t.Helper()
	req, _ := http.NewRequest("GET", rl.url, nil)
	for k, v := range h {
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

// TestLightstepB3Peers (issue 13): between this backend on B3 and a service
// on lightstep-tracer-go's own B3 propagator, baggage was lost both ways
// (this backend wrote and read baggage-*, lightstep-tracer-go ot-baggage-*),
// and lightstep-tracer-go's unpadded ids ("abc") were refused.
func TestLightstepB3Peers(t *testing.T) {
	c := lightsteptest.New(t)
	tr := newTracer(t, c, "http", core.WithPropagation("b3multi"), core.WithTraceAll(true))
	rl := newRelay(t, tr)

	// lightstep-tracer-go to this backend.
	h := http.Header{}
	in := lightstepgo.SpanContext{TraceID: 0xabc, SpanID: 0x12, Sampled: "true", Baggage: map[string]string{"user": "ann"}}
	if err := lightstepgo.B3Propagator.Inject(in, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	if h.Get("X-B3-Traceid") != "abc" {
		t.Fatalf("lightstep-tracer-go no longer writes unpadded ids: %v", h)
	}
	if body := rl.get(t, h); body != "ann" {
		t.Errorf("the handler read baggage %q from lightstep-tracer-go's headers %v, want ann", body, h)
	}

	// This backend to lightstep-tracer-go.
	out, err := lightstepgo.B3Propagator.Extract(opentracing.HTTPHeadersCarrier(rl.sent))
	if err != nil {
		t.Fatalf("lightstep-tracer-go's B3 propagator cannot read %v: %v", rl.sent, err)
	}
	got := out.(lightstepgo.SpanContext)
	if got.TraceID != 0xabc || got.Baggage["user"] != "ann" {
		t.Errorf("lightstep-tracer-go read %+v from %v, want trace abc and baggage user=ann", got, rl.sent)
	}
	_ = tr.Close()
	spans := c.Spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		if s.TraceID != "abc" {
			t.Errorf("span %v is not in lightstep-tracer-go's trace abc", s)
		}
		if s.Operation == "HTTP GET" && s.Tags["span.kind"] == "server" && s.ParentID != "12" {
			t.Errorf("server span %v, want parent 12", s)
		}
		if got.SpanID != 0 && s.Tags["span.kind"] == "client" && s.SpanID != strings.TrimLeft(rl.sent.Get("X-B3-Spanid"), "0") {
			t.Errorf("client span %v, but X-B3-SpanId %s went out", s, rl.sent.Get("X-B3-Spanid"))
		}
	}
}

// TestTraceparent128: what happens to a 128-bit W3C trace at lightstep,
// whose spans carry 64-bit trace ids (lightstep-tracer-go copies only the
// low half of a parent's trace id to a child, and its wire formats have
// room for no more): the spans report the low 64 bits, and the next service
// gets the low 64 bits zero-padded, a different W3C trace id. Tracestate is
// not passed on.
func TestTraceparent128(t *testing.T) {
	const high, low, parent = "4bf92f3577b34da6", "a3ce929d0e0e4736", "00f067aa0ba902b7"
	c := lightsteptest.New(t)
	tr := newTracer(t, c, "http", core.WithPropagation("tracecontext,baggage"), core.WithTraceAll(true))
	rl := newRelay(t, tr)
	body := rl.get(t, http.Header{"Traceparent": {"00-" + high + low + "-" + parent + "-01"}, "Tracestate": {"k=v"}, "Baggage": {"user=ann"}})
	if body != "ann" {
		t.Errorf("baggage %q", body)
	}
	tp := strings.Split(rl.sent.Get("Traceparent"), "-")
	if len(tp) != 4 || tp[1] != "0000000000000000"+low || tp[3] != "01" {
		t.Errorf("outgoing traceparent %q, want the low half zero-padded, sampled", rl.sent.Get("Traceparent"))
	}
	if ts := rl.sent.Get("Tracestate"); ts != "" {
		t.Errorf("outgoing tracestate %q: lightstep has no place for it", ts)
	}
	_ = tr.Close()
	spans := c.Spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		if s.TraceID != low {
			t.Errorf("span %v, want trace id %s (the low half)", s, low)
		}
	}
}

// TestEveryFormat: the formats of the list, on the backend's own tracer too
// (span.Tracer(), which opentracing-go's harness and go-stdlib's nethttp
// inject with).
func TestEveryFormat(t *testing.T) {
	tr, err := lightstep.New(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: "http://127.0.0.1:1", Propagation: "jaeger,ottrace"})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	s := tr.StartSpan("x")
	defer s.Finish()
	s.SetBaggageItem("user", "ann")
	h := http.Header{}
	if err := s.Tracer().Inject(s.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	if h.Get("Uber-Trace-Id") == "" || h.Get("Ot-Tracer-Traceid") == "" || h.Get("Uberctx-User") != "ann" || h.Get("Ot-Baggage-User") != "ann" {
		t.Errorf("headers %v: want jaeger's and ottrace's", h)
	}
	sc, err := s.Tracer().Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(http.Header{"Uber-Trace-Id": h["Uber-Trace-Id"]}))
	if err != nil {
		t.Fatal(err)
	}
	want := s.Context().(lightstepgo.SpanContext)
	if got := sc.(lightstepgo.SpanContext); got.TraceID != want.TraceID || got.SpanID != want.SpanID || got.Sampled != "true" {
		t.Errorf("extracted %+v, want %+v", got, want)
	}
}

// TestBinaryAndInvalidCarriers: the Binary format is traceplug's, and
// invalid carriers and foreign contexts get OpenTracing's errors.
func TestBinaryAndInvalidCarriers(t *testing.T) {
	tr, err := lightstep.New(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	s := tr.StartSpan("x")
	defer s.Finish()
	s.SetBaggageItem("User", "ann")
	var buf bytes.Buffer
	if err := s.Tracer().Inject(s.Context(), opentracing.Binary, &buf); err != nil {
		t.Fatal(err)
	}
	sc, err := s.Tracer().Extract(opentracing.Binary, &buf)
	if err != nil {
		t.Fatal(err)
	}
	got, want := sc.(lightstepgo.SpanContext), s.Context().(lightstepgo.SpanContext)
	if got.TraceID != want.TraceID || got.SpanID != want.SpanID || got.Baggage["User"] != "ann" {
		t.Errorf("Binary round trip gave %+v, want %+v", got, want)
	}
	for _, format := range []any{opentracing.Binary, opentracing.TextMap, opentracing.HTTPHeaders} {
		if sc, err := s.Tracer().Extract(format, harness.NotACarrier{}); sc != nil || err != opentracing.ErrInvalidCarrier {
			t.Errorf("Extract(%v, not a carrier) = %v, %v; want nil, ErrInvalidCarrier", format, sc, err)
		}
		if err := s.Tracer().Inject(harness.ForeignSpanContext{}, format, &buf); err != opentracing.ErrInvalidSpanContext {
			t.Errorf("Inject(a foreign context, %v) = %v, want ErrInvalidSpanContext", format, err)
		}
	}
}

// TestOpenTracingHarness runs opentracing-go's API checks on the backend's
// own tracer.
func TestOpenTracingHarness(t *testing.T) {
	harness.RunAPIChecks(t, func() (opentracing.Tracer, func()) {
		c := lightsteptest.New(t)
		tr, err := lightstep.New(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: c.Endpoint("http"), Params: map[string]string{"access_token": "t"}})
		if err != nil {
			t.Fatal(err)
		}
		return tr, func() { _ = tr.Close() }
	}, harness.CheckEverything(), harness.UseProbe(probe{}))
}

type probe struct{}

func (probe) SameTrace(a, b opentracing.Span) bool {
	x, y := a.Context().(lightstepgo.SpanContext), b.Context().(lightstepgo.SpanContext)
	return x.TraceID != 0 && x.TraceID == y.TraceID
}

func (probe) SameSpanContext(s opentracing.Span, sc opentracing.SpanContext) bool {
	x, ok := sc.(lightstepgo.SpanContext)
	y := s.Context().(lightstepgo.SpanContext)
	return ok && x.TraceID == y.TraceID && x.SpanID == y.SpanID
}

// TestCodec converts span contexts both ways.
func TestCodec(t *testing.T) {
	const boundary = 1 << 63 // rate 0.5
	for _, tc := range []struct {
		name string
		rate float64
		in   propagation.SpanContext
		want propagation.SpanContext
	}{
		{"sampled, 128-bit in the context", 0, propagation.SpanContext{TraceIDHigh: 9, TraceID: 1, SpanID: 2, ParentID: 3, Sampling: propagation.SamplingYes, TraceState: "k=v"},
			propagation.SpanContext{TraceIDHigh: 9, TraceID: 1, SpanID: 2, Sampling: propagation.SamplingYes}},
		{"not sampled", 1, propagation.SpanContext{TraceID: 1, SpanID: 2, Sampling: propagation.SamplingNo},
			propagation.SpanContext{TraceID: 1, SpanID: 2, Sampling: propagation.SamplingNo}},
		{"debug is sampled", 0, propagation.SpanContext{TraceID: 1, SpanID: 2, Sampling: propagation.SamplingDebug},
			propagation.SpanContext{TraceID: 1, SpanID: 2, Sampling: propagation.SamplingYes}},
		{"deferred, under the rate's boundary", 0.5, propagation.SpanContext{TraceID: boundary - 1, SpanID: 2},
			propagation.SpanContext{TraceID: boundary - 1, SpanID: 2, Sampling: propagation.SamplingYes}},
		{"deferred, over the rate's boundary", 0.5, propagation.SpanContext{TraceID: boundary + 1, SpanID: 2},
			propagation.SpanContext{TraceID: boundary + 1, SpanID: 2, Sampling: propagation.SamplingNo}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := lightstep.New(backend.Config{ServiceName: "s", SampleRate: tc.rate, Endpoint: "http://127.0.0.1:1"})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			sc, err := tr.ImportSpanContext(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := tr.ExportSpanContext(sc); !ok || got.TraceIDHigh != tc.want.TraceIDHigh || got.TraceID != tc.want.TraceID ||
				got.SpanID != tc.want.SpanID || got.ParentID != 0 || got.Sampling != tc.want.Sampling || got.TraceState != "" {
				t.Errorf("round trip gave %+v, want %+v", got, tc.want)
			}
			child := tr.StartSpan("child", opentracing.ChildOf(sc))
			defer child.Finish()
			cc, _ := tr.ExportSpanContext(child.Context())
			if cc.TraceIDHigh != 0 || cc.TraceID != tc.want.TraceID || cc.Sampling != tc.want.Sampling {
				t.Errorf("child %+v: want the low half of the trace id and the decision of %+v", cc, tc.want)
			}
		})
	}
}
