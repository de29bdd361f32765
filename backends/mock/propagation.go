package mock

import (
	"github.com/opentracing/opentracing-go"
	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/propagation"
)

// The mock speaks every propagation format through core: it is a
// [backend.SpanContextCodec], and its own Inject and Extract use the formats of
// the user's list, W3C trace context and baggage by default.

var (
	_ backend.SpanContextCodec  = (*Tracer)(nil)
	_ backend.NativePropagation = (*Tracer)(nil)
)

// NativePropagation implements [backend.NativePropagation]: W3C trace context
// and baggage.
func (t *Tracer) NativePropagation() string { return backend.DefaultPropagation }

// ExportSpanContext implements [backend.SpanContextCodec].
func (t *Tracer) ExportSpanContext(sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	c, ok := sc.(SpanContext)
	if !ok || c.TraceID == 0 && c.TraceIDHigh == 0 {
		return propagation.SpanContext{}, false
	}
	psc := propagation.SpanContext{
		TraceIDHigh: c.TraceIDHigh,
		TraceID:     c.TraceID,
		SpanID:      c.SpanID,
		Sampling:    propagation.SamplingNo,
		Random:      c.Random,
		TraceState:  c.TraceState,
	}
	if c.Sampled {
		psc.Sampling = propagation.SamplingYes
	}
	psc.Baggage = propagation.BaggageItems(c.baggage)
	return psc, true
}

// ImportSpanContext implements [backend.SpanContextCodec]. The mock keeps all
// 128 bits of a trace id, the random flag and the tracestate; a deferred
// sampling decision is made with the tracer's sample rate.
//
// A psc with a trace id and no span id is a new trace that core decided:
// spans started as its children are roots of that trace (no parent), with
// its decision and baggage.
func (t *Tracer) ImportSpanContext(psc propagation.SpanContext) (opentracing.SpanContext, error) {
	if psc.TraceID == 0 && psc.TraceIDHigh == 0 {
		return nil, opentracing.ErrSpanContextCorrupted
	}
	c := SpanContext{
		TraceIDHigh: psc.TraceIDHigh,
		TraceID:     psc.TraceID,
		SpanID:      psc.SpanID,
		Sampled:     psc.Sampling.IsSampled(t.sample()),
		Random:      psc.Random,
		TraceState:  psc.TraceState,
	}
	c.baggage = psc.BaggageMap()
	return c, nil
}

// Inject implements [opentracing.Tracer] for the TextMap and HTTPHeaders
// formats (in the formats of the user's list) and Binary.
func (t *Tracer) Inject(sc opentracing.SpanContext, format, carrier any) error {
	return t.propagator.Inject(sc, format, carrier)
}

// Extract implements [opentracing.Tracer] for the TextMap and HTTPHeaders
// formats (the first valid context among the user's list) and Binary. A
// malformed context is [opentracing.ErrSpanContextCorrupted].
func (t *Tracer) Extract(format, carrier any) (opentracing.SpanContext, error) {
	return t.propagator.Extract(format, carrier)
}
