package otel

import (
	"context"
	"encoding/binary"
	"slices"

	"github.com/opentracing/opentracing-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/propagation"
)

var (
	_ core.SpanContextCodec  = (*Tracer)(nil)
	_ core.NativePropagation = (*Tracer)(nil)
)

// NativePropagation implements [core.NativePropagation]: the formats of
// OTEL_PROPAGATORS when it is set, else W3C trace context and baggage, as
// OpenTelemetry's SDKs do. traceplug's own setting (WithPropagation,
// TRACEPLUG_PROPAGATION) wins over both.
func (t *Tracer) NativePropagation() string { return t.native }

// ExportSpanContext implements [core.SpanContextCodec]. A trace id's upper 8
// bytes become TraceIDHigh; the W3C sampled flag becomes SamplingYes or
// SamplingNo; the random flag (W3C Level 2) is kept.
func (t *Tracer) ExportSpanContext(sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	c, ok := sc.(*spanContext)
	if !ok || !c.sc.IsValid() {
		return propagation.SpanContext{}, false
	}
	tid, sid := c.sc.TraceID(), c.sc.SpanID()
	psc := propagation.SpanContext{
		TraceIDHigh: binary.BigEndian.Uint64(tid[:8]),
		TraceID:     binary.BigEndian.Uint64(tid[8:]),
		SpanID:      binary.BigEndian.Uint64(sid[:]),
		Sampling:    propagation.SamplingNo,
		TraceState:  c.sc.TraceState().String(),
	}
	if c.sc.IsSampled() {
		psc.Sampling = propagation.SamplingYes
	}
	psc.Random = c.sc.TraceFlags().IsRandom()
	if len(c.baggage) > 0 {
		psc.Baggage = slices.Clone(c.baggage)
	}
	return psc, true
}

// ImportSpanContext implements [core.SpanContextCodec]. OpenTelemetry has no
// deferred sampling decision nor debug flag: a deferred decision is taken
// here, by the sampler of new traces on the trace id (so that it is the
// decision a root span of that trace would get), and debug means sampled.
// The parent id is dropped. A tracestate that does not parse is dropped, as
// W3C says. Baggage items that OpenTelemetry's baggage refuses (an empty
// key, text that is not UTF-8) are dropped. A psc without ids but with baggage gives a context from which spans start a new
// trace carrying that baggage.
func (t *Tracer) ImportSpanContext(psc propagation.SpanContext) (opentracing.SpanContext, error) {
	var scc trace.SpanContextConfig
	if psc.IsValid() {
		binary.BigEndian.PutUint64(scc.TraceID[:8], psc.TraceIDHigh)
		binary.BigEndian.PutUint64(scc.TraceID[8:], psc.TraceID)
		binary.BigEndian.PutUint64(scc.SpanID[:], psc.SpanID)
		scc.Remote = true
		scc.TraceState, _ = trace.ParseTraceState(psc.TraceState)
		sampled := psc.Sampling.IsSampled(false)
		if psc.Sampling == propagation.SamplingDeferred {
			sampled = t.sampledByDefault(scc.TraceID)
		}
		scc.TraceFlags = trace.TraceFlags(0).WithSampled(sampled).WithRandom(psc.Random)
	} else if len(psc.Baggage) == 0 {
		return nil, opentracing.ErrSpanContextNotFound
	}
	return &spanContext{sc: trace.NewSpanContext(scc), baggage: validItems(psc.Baggage)}, nil
}

// sampledByDefault is the decision the sampler of new traces takes for a
// trace id.
func (t *Tracer) sampledByDefault(id trace.TraceID) bool {
	p := sdktrace.SamplingParameters{ParentContext: context.Background(), TraceID: id}
	return t.root.ShouldSample(p).Decision == sdktrace.RecordAndSample
}

// noopSpan is a span of OpenTelemetry's no-op tracer.
var noopSpan = func() trace.Span {
	_, s := noop.NewTracerProvider().Tracer("").Start(context.Background(), "")
	return s
}()
