package zipkin_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/harness"
	zipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"
	zipkingo "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/propagation/b3"
	zipkinreporter "github.com/openzipkin/zipkin-go/reporter"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/zipkin"
	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/propagation"
)

func newBackend(t *testing.T, rate float64) *zipkin.Tracer {
	t.Helper()
	c := zipkintest.New(t)
	tr, err := zipkin.New(backend.Config{ServiceName: "s", SampleRate: rate, Endpoint: c.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// TestBinaryAndInvalidCarriers (issue 13): zipkin-go-opentracing has no
// Binary format (it hands the carrier to its text propagator), and answered
// an invalid carrier with a context; opentracing-go's harness
// (TestBinaryPropagation, TestMandatoryFormats, TestInvalidExtract) failed.
func TestBinaryAndInvalidCarriers(t *testing.T) {
	tr := newBackend(t, 1)
	s := tr.StartSpan("x")
	defer s.Finish()
	s.SetBaggageItem("User", "ann")
	var buf bytes.Buffer
	if err := s.Tracer().Inject(s.Context(), opentracing.Binary, &buf); err != nil {
		t.Fatalf("Binary Inject: %v", err)
	}
	sc, err := s.Tracer().Extract(opentracing.Binary, &buf)
	if err != nil {
		t.Fatalf("Binary Extract: %v", err)
	}
	got, _ := tr.ExportSpanContext(sc)
	want, _ := tr.ExportSpanContext(s.Context())
	if got.TraceID != want.TraceID || got.SpanID != want.SpanID || len(got.Baggage) != 1 || got.Baggage[0] != (propagation.BaggageItem{Key: "User", Value: "ann"}) {
		t.Errorf("Binary round trip gave %+v, want %+v", got, want)
	}
	for _, format := range []any{opentracing.Binary, opentracing.TextMap, opentracing.HTTPHeaders} {
		if sc, err := s.Tracer().Extract(format, harness.NotACarrier{}); sc != nil || err != opentracing.ErrInvalidCarrier {
			t.Errorf("Extract(%v, not a carrier) = %v, %v; want nil, ErrInvalidCarrier", format, sc, err)
		}
		if err := s.Tracer().Inject(s.Context(), format, harness.NotACarrier{}); err != opentracing.ErrInvalidCarrier {
			t.Errorf("Inject(%v, not a carrier) = %v, want ErrInvalidCarrier", format, err)
		}
		if err := s.Tracer().Inject(harness.ForeignSpanContext{}, format, &buf); err != opentracing.ErrInvalidSpanContext {
			t.Errorf("Inject(a foreign context, %v) = %v, want ErrInvalidSpanContext", format, err)
		}
	}
	if err := s.Tracer().Inject(s.Context(), "smoke signals", nil); err != opentracing.ErrUnsupportedFormat {
		t.Errorf("an unknown format: %v", err)
	}
}

// TestOpenTracingHarness runs opentracing-go's API checks on the backend's
// own tracer.
func TestOpenTracingHarness(t *testing.T) {
	harness.RunAPIChecks(t, func() (opentracing.Tracer, func()) {
		c := zipkintest.New(t)
		tr, err := zipkin.New(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: c.Endpoint()})
		if err != nil {
			t.Fatal(err)
		}
		return tr, func() { _ = tr.Close() }
	}, harness.CheckEverything(), harness.UseProbe(probe{}))
}

type probe struct{}

func (probe) SameTrace(a, b opentracing.Span) bool {
	x, y := ids(a.Context()), ids(b.Context())
	return x.IsValid() && x.TraceID == y.TraceID && x.TraceIDHigh == y.TraceIDHigh
}

func (probe) SameSpanContext(s opentracing.Span, sc opentracing.SpanContext) bool {
	x, y := ids(s.Context()), ids(sc)
	return x.IsValid() && x.TraceID == y.TraceID && x.SpanID == y.SpanID
}

func ids(sc opentracing.SpanContext) propagation.SpanContext {
	psc, _ := (&zipkin.Tracer{}).ExportSpanContext(sc)
	return psc
}

// TestCodec converts span contexts both ways, field by field.
func TestCodec(t *testing.T) {
	tr := newBackend(t, 1)
	for name, in := range map[string]propagation.SpanContext{
		"128-bit with parent": {TraceIDHigh: 0x80f198ee56343ba8, TraceID: 0x463ac35c9f6413ad, SpanID: 7, ParentID: 3, Sampling: propagation.SamplingYes},
		"not sampled":         {TraceID: 1, SpanID: 2, Sampling: propagation.SamplingNo},
		"debug":               {TraceID: 1, SpanID: 2, Sampling: propagation.SamplingDebug},
		"deferred":            {TraceID: 1, SpanID: 2, Sampling: propagation.SamplingDeferred},
		"baggage":             {TraceID: 1, SpanID: 2, Sampling: propagation.SamplingYes, Baggage: []propagation.BaggageItem{{Key: "User", Value: "ann"}}},
	} {
		sc, err := tr.ImportSpanContext(in)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := tr.ExportSpanContext(sc)
		if !ok || got.TraceIDHigh != in.TraceIDHigh || got.TraceID != in.TraceID || got.SpanID != in.SpanID ||
			got.ParentID != in.ParentID || got.Sampling != in.Sampling || len(got.Baggage) != len(in.Baggage) {
			t.Errorf("%s: round trip gave %+v, want %+v", name, got, in)
		}
	}
	// Tracestate has no place in zipkin's span context.
	sc, _ := tr.ImportSpanContext(propagation.SpanContext{TraceID: 1, SpanID: 2, TraceState: "k=v"})
	if got, _ := tr.ExportSpanContext(sc); got.TraceState != "" {
		t.Errorf("tracestate %q kept", got.TraceState)
	}
	// A context of zipkin-go-opentracing itself is one of ours.
	plain := zipkinot.Wrap(mustZipkin(t)).StartSpan("plain")
	defer plain.Finish()
	if got, ok := tr.ExportSpanContext(plain.Context()); !ok || !got.IsValid() {
		t.Errorf("zipkin-go-opentracing's own context: %+v, %v", got, ok)
	}
}

func mustZipkin(t *testing.T) *zipkingo.Tracer {
	zt, err := zipkingo.NewTracer(zipkinreporter.NewNoopReporter())
	if err != nil {
		t.Fatal(err)
	}
	return zt
}

// TestSamplingOnlyContext: a B3 decision without ids ("b3: 0") decides the
// new trace, as zipkin-go does.
func TestSamplingOnlyContext(t *testing.T) {
	for _, tc := range []struct {
		rate     float64
		sampling propagation.Sampling
		want     bool
	}{{1, propagation.SamplingNo, false}, {0, propagation.SamplingYes, true}, {0, propagation.SamplingDebug, true}} {
		tr := newBackend(t, tc.rate)
		sc, err := tr.ImportSpanContext(propagation.SpanContext{Sampling: tc.sampling})
		if err != nil {
			t.Fatal(err)
		}
		s := tr.StartSpan("root", opentracing.ChildOf(sc))
		got, _ := tr.ExportSpanContext(s.Context())
		s.Finish()
		if !got.IsValid() || got.ParentID != 0 || got.Sampling.IsSampled(!tc.want) != tc.want {
			t.Errorf("rate %v, decision %v: span %+v", tc.rate, tc.sampling, got)
		}
	}
	if _, err := newBackend(t, 1).ImportSpanContext(propagation.SpanContext{}); err != opentracing.ErrSpanContextNotFound {
		t.Errorf("an empty context: %v", err)
	}
}

// TestBaggageOverB3: baggage travels as baggage- headers (jaeger's B3
// propagator reads them; ot-baggage- too, for lightstep-tracer-go's), and
// zipkin-go's own B3 headers continue the trace.
func TestBaggageOverB3(t *testing.T) {
	c := zipkintest.New(t)
	tr := newTracer(t, c, core.WithTraceAll(true))
	var sent http.Header
	next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sent = r.Header.Clone() }))
	defer next.Close()
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", next.URL, nil)
		if resp, err := (&http.Client{Transport: tr.Transport(nil)}).Do(req); err == nil {
			resp.Body.Close()
		}
		_, _ = io.WriteString(w, tr.GetSpan(r).BaggageItem("user"))
	})))
	defer srv.Close()
	// zipkin-go's own B3 injection, plus a baggage header.
	zt := mustZipkin(t)
	parent := zt.StartSpan("client")
	defer parent.Finish()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	if err := b3.InjectHTTP(req)(parent.Context()); err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Baggage-User", "ann")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ann" {
		t.Errorf("the handler read baggage %q, want ann", body)
	}
	trace := parent.Context().TraceID.String()
	if sent.Get("Baggage-User") != "ann" || sent.Get("Ot-Baggage-User") != "ann" || sent.Get("X-B3-Traceid") != trace {
		t.Errorf("outgoing headers %v", sent)
	}
	spans := closeAndRead(t, tr, c)
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		if s.TraceID != conformance.NormalizeID(trace) {
			t.Errorf("span %v: not in zipkin-go's trace %s", s, trace)
		}
	}
}
