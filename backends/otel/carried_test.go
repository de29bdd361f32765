package otel_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceplug/traceplug/backends/otel/oteltest"
	tpprop "github.com/traceplug/traceplug/propagation"
)

// TestContextWithCarried: OpenTelemetry code in the context of a request
// that records nothing continues the carried trace with its decision, as
// otelhttp's transport does (a span from the provider of the context's
// span, then the propagator), and sees its baggage; a new trace that core
// decided not to sample has its spans as roots of that trace, recording
// nothing.
func TestContextWithCarried(t *testing.T) {
	c := oteltest.New(t)
	_, ot := newTracer(t, c)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	for _, tc := range []struct {
		name       string
		psc        tpprop.SpanContext
		wantParent bool
	}{
		{"a caller's unsampled trace", tpprop.SpanContext{TraceIDHigh: 0x4bf92f3577b34da6, TraceID: 0xa3ce929d0e0e4736, SpanID: 0x00f067aa0ba902b7, Sampling: tpprop.SamplingNo,
			Baggage: []tpprop.BaggageItem{{Key: "user", Value: "ann"}}}, true},
		{"a new trace not sampled", tpprop.SpanContext{TraceIDHigh: 0x4bf92f3577b34da6, TraceID: 0xa3ce929d0e0e4736, Sampling: tpprop.SamplingNo,
			Baggage: []tpprop.BaggageItem{{Key: "user", Value: "ann"}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ot.ContextWithCarried(context.Background(), tc.psc)
			if got := baggage.FromContext(ctx).Member("user").Value(); got != "ann" {
				t.Errorf("baggage user=%q, want ann", got)
			}
			parent := trace.SpanFromContext(ctx)
			if parent.IsRecording() {
				t.Error("the carried span records")
			}
			ctx, span := parent.TracerProvider().Tracer("otelhttp").Start(ctx, "HTTP GET", trace.WithSpanKind(trace.SpanKindClient))
			defer span.End()
			sc := span.SpanContext()
			if span.IsRecording() || sc.IsSampled() || sc.TraceID().String() != traceID || !sc.SpanID().IsValid() {
				t.Errorf("span started in the carried context: recording %v, %v; want trace %s, not sampled", span.IsRecording(), sc, traceID)
			}
			h := http.Header{}
			ot.TextMapPropagator().Inject(ctx, propagation.HeaderCarrier(h))
			if want := "00-" + traceID + "-" + sc.SpanID().String() + "-00"; h.Get("traceparent") != want {
				t.Errorf("traceparent %q, want %q", h.Get("traceparent"), want)
			}
			if !strings.Contains(h.Get("baggage"), "user=ann") {
				t.Errorf("baggage %q, want user=ann", h.Get("baggage"))
			}
			if got := parent.SpanContext().SpanID().IsValid(); got != tc.wantParent {
				t.Errorf("the carried span context has a span id: %v, want %v", got, tc.wantParent)
			}
		})
	}
	if ctx := context.Background(); ot.ContextWithCarried(ctx, tpprop.SpanContext{}) != ctx {
		t.Error("an empty span context changed the context")
	}
}
