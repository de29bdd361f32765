package lightstep

import (
	lightstep "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/propagation"
)

var (
	_ opentracing.Tracer     = (*Tracer)(nil)
	_ core.SpanContextCodec  = (*Tracer)(nil)
	_ core.NativePropagation = (*Tracer)(nil)
)

// NativePropagation implements [core.NativePropagation]: the OpenTracing
// basic tracer's ot-tracer-* headers, lightstep-tracer-go's own.
func (t *Tracer) NativePropagation() string { return propagation.OTTrace }

// ExportSpanContext implements [core.SpanContextCodec]. Sampled "false" is
// SamplingNo and anything else SamplingYes, as lightstep-tracer-go records
// every span not marked "false". TraceIDUpper is kept, though only a
// context imported with a 128-bit trace id has one: lightstep's spans carry
// 64-bit trace ids.
func (t *Tracer) ExportSpanContext(sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	c, ok := sc.(lightstep.SpanContext)
	if !ok {
		return propagation.SpanContext{}, false
	}
	var psc propagation.SpanContext
	if c.TraceID != 0 && c.SpanID != 0 {
		psc.TraceIDHigh, psc.TraceID, psc.SpanID = c.TraceIDUpper, c.TraceID, c.SpanID
		psc.Sampling = propagation.SamplingYes
		if c.Sampled == "false" {
			psc.Sampling = propagation.SamplingNo
		}
	}
	psc.Baggage = propagation.BaggageItems(c.Baggage)
	return psc, true
}

// ImportSpanContext implements [core.SpanContextCodec]. Lightstep has no
// deferred decision and no debug flag: a deferred decision is taken here, at
// the sample rate, on the trace id (so that every lightstep service of the
// trace takes the same one), and debug means sampled. The upper half of a
// 128-bit trace id is kept in the context, but lightstep-tracer-go's spans
// drop it: the trace continues as its low 64 bits. The parent id and
// tracestate are dropped. Of two baggage items with one key, the first wins.
//
// A psc without ids but with baggage or a sampling decision gives a context
// from which spans start a new trace carrying that baggage and decision (a
// deferred one taken at the sample rate).
func (t *Tracer) ImportSpanContext(psc propagation.SpanContext) (opentracing.SpanContext, error) {
	valid := psc.IsValid()
	if !valid && len(psc.Baggage) == 0 && psc.Sampling == propagation.SamplingDeferred {
		return nil, opentracing.ErrSpanContextNotFound
	}
	c := lightstep.SpanContext{Sampled: "true"}
	if valid {
		c.TraceIDUpper, c.TraceID, c.SpanID = psc.TraceIDHigh, psc.TraceID, psc.SpanID
	}
	switch {
	case psc.Sampling == propagation.SamplingNo:
		c.Sampled = "false"
	case psc.Sampling != propagation.SamplingDeferred:
	case valid && !sampledAt(t.rate, psc.TraceID):
		c.Sampled = "false"
	case !valid && !t.sampleRoot():
		c.Sampled = "false"
	}
	c.Baggage = psc.BaggageMap()
	return c, nil
}

// sampledAt decides a trace at rate by its (low 64-bit) trace id, as
// zipkin-go's boundary sampler and jaeger's probabilistic sampler do.
func sampledAt(rate float64, traceID uint64) bool {
	switch {
	case rate >= 1:
		return true
	case rate <= 0:
		return false
	}
	return traceID < uint64(rate*(1<<64))
}
