package otel_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
)

// TestOTelCodeInRequestsThatRecordNothing: in a request core does not
// sample, and in one it does not trace (trace-all off), OpenTelemetry code
// on the backend's provider continues the caller's trace with its decision,
// through core's CarriedContext hand-off.
func TestOTelCodeInRequestsThatRecordNothing(t *testing.T) {
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	for _, tc := range []struct {
		name    string
		opts    []core.Option
		flags   string
		sampled bool
	}{
		{"unsampled", []core.Option{core.WithTraceAll(true), core.WithSampleRate(0)}, "00", false},
		{"untraced, caller sampled", nil, "01", true},
		{"untraced, caller unsampled", nil, "00", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := oteltest.New(t)
			tr, ot := newTracer(t, c, tc.opts...)
			var got trace.SpanContext
			h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, span := ot.TracerProvider().Tracer("lib").Start(r.Context(), "lib work")
				got = span.SpanContext()
				span.End()
			}))
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-"+tc.flags)
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got.TraceID().String() != traceID || got.IsSampled() != tc.sampled {
				t.Errorf("OpenTelemetry span: trace %s sampled %v, want %s sampled %v", got.TraceID(), got.IsSampled(), traceID, tc.sampled)
			}
		})
	}
}

// TestOTelBaggageThroughTransport: baggage a handler sets through
// OpenTelemetry's API (with no OpenTelemetry span started) leaves with the
// calls it makes through traceplug's Transport, in a sampled request and
// in one that records nothing, beside the request's own baggage.
func TestOTelBaggageThroughTransport(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []core.Option
	}{
		{"sampled", []core.Option{core.WithTraceAll(true)}},
		{"unsampled", []core.Option{core.WithTraceAll(true), core.WithSampleRate(0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := oteltest.New(t)
			tr, _ := newTracer(t, c, tc.opts...)
			var sent http.Header
			down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sent = r.Header.Clone() }))
			defer down.Close()
			client := &http.Client{Transport: tr.Transport(nil)}
			h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				m, _ := baggage.NewMember("tenant", "acme")
				b, _ := baggage.FromContext(r.Context()).SetMember(m)
				req, _ := http.NewRequestWithContext(baggage.ContextWithBaggage(r.Context(), b), "GET", down.URL, nil)
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}))
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("baggage", "user=ann")
			h.ServeHTTP(httptest.NewRecorder(), r)
			got := sent.Get("baggage")
			if !strings.Contains(got, "tenant=acme") || !strings.Contains(got, "user=ann") {
				t.Errorf("baggage sent %q, want tenant=acme and user=ann", got)
			}
		})
	}
}

// TestUnsampledRequestCostsOneAllocation: a request core does not sample,
// whose handler runs no OpenTelemetry code, costs the backend nothing: its
// current span is made only if OpenTelemetry code asks for it
// (backend.CarriedKey), and the request costs core's one allocation.
func TestUnsampledRequestCostsOneAllocation(t *testing.T) {
	c := oteltest.New(t)
	tr, _ := newTracer(t, c, core.WithTraceAll(true), core.WithSampleRate(0))
	h := tr.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
	w := httptest.NewRecorder()
	if n := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, r) }); n > 1 {
		t.Errorf("an unsampled request costs %v allocations, want 1", n)
	}
}
