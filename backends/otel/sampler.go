package otel

import (
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// sampler is the SDK's sampler. Core decides whether a new trace is
// sampled, and hands the backend the decision with the trace id (see
// [Tracer.ImportSpanContext]): the span started from that hand-off has as
// its parent a span context with the trace id and the decision but no span
// id, which the SDK continues (its trace id, a new span id) as a root. So:
//
//   - a span with a parent (a valid span context) is sampled when its parent
//     is, as ParentBased(AlwaysSample()) decides;
//   - a root handed a decision is sampled when the decision says so;
//   - any other root (one started on [Tracer.TracerProvider] or the SDK
//     without a parent, or through the backend's tracer without a hand-off)
//     is sampled.
//
// The tracestate is the parent's, as the SDK's samplers keep it. One
// function call and no allocation: it runs at every span's start.
type sampler struct{}

var _ sdktrace.Sampler = sampler{}

// ShouldSample implements [sdktrace.Sampler].
func (sampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	psc := trace.SpanContextFromContext(p.ParentContext)
	decision := sdktrace.RecordAndSample
	if psc.HasTraceID() && !psc.IsSampled() {
		decision = sdktrace.Drop
	}
	return sdktrace.SamplingResult{Decision: decision, Tracestate: psc.TraceState()}
}

// Description implements [sdktrace.Sampler].
func (sampler) Description() string {
	return "ParentBased{root:traceplug (core's decision, else AlwaysOnSampler)}"
}
