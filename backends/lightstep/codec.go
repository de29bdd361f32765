package lightstep

import (
	lightstep "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"
	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/propagation"
)

var (
	_ opentracing.Tracer        = (*Tracer)(nil)
	_ backend.SpanContextCodec  = (*Tracer)(nil)
	_ backend.NativePropagation = (*Tracer)(nil)
)

// NativePropagation implements [backend.NativePropagation]: the OpenTracing
// basic tracer's ot-tracer-* headers, lightstep-tracer-go's own, then W3C
// trace context and baggage, read and written by default so that
// OpenTelemetry services on either side continue the trace with no
// configuration.
func (t *Tracer) NativePropagation() string {
	return propagation.OTTrace + "," + backend.DefaultPropagation
}

// ExportSpanContext implements [backend.SpanContextCodec]. Sampled "false" is
// SamplingNo and anything else SamplingYes, as lightstep-tracer-go records
// every span not marked "false". TraceIDUpper is kept, though only a
// context imported with a 128-bit trace id has one: lightstep's spans carry
// 64-bit trace ids. A context that [Tracer.ImportSpanContext] made for a new
// trace exports as it was imported: its trace id and decision, no span id.
func (t *Tracer) ExportSpanContext(sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	c, ok := sc.(lightstep.SpanContext)
	if !ok {
		return propagation.SpanContext{}, false
	}
	var psc propagation.SpanContext
	if c.TraceID != 0 {
		psc.TraceIDHigh, psc.TraceID, psc.SpanID = c.TraceIDUpper, c.TraceID, c.SpanID
		psc.Sampling = propagation.SamplingYes
		if c.Sampled == "false" {
			psc.Sampling = propagation.SamplingNo
		}
	}
	psc.Baggage = propagation.BaggageItems(c.Baggage)
	return psc, true
}

// ImportSpanContext implements [backend.SpanContextCodec]. Lightstep has no
// deferred decision and no debug flag: a deferred decision is taken here, at
// the sample rate, on the trace id (so that every lightstep service of the
// trace takes the same one), and debug means sampled. The upper half of a
// 128-bit trace id is kept in the context, but lightstep-tracer-go's spans
// drop it: the trace continues as its low 64 bits. The parent id and
// tracestate are dropped. Of two baggage items with one key, the first wins.
//
// A psc with a trace id but no span id (SpanID 0) is a new trace, as core
// hands it over once it has decided to start one: a span started from the
// context (ChildOf, through [Tracer.StartSpan]) is a root, with no parent,
// psc's trace id, a new random span id (as lightstep-tracer-go makes every
// span id), psc's decision (SamplingNo: not sampled, nothing reported; any
// other, deferred included: sampled, whatever the sample rate) and baggage;
// its children continue it as usual. lightstep-tracer-go's spans hold 64-bit
// trace ids: the root's is the low 64 bits of a 128-bit one (and a trace id
// whose low 64 bits are 0, which lightstep cannot hold, gets a new random
// one).
//
// A psc without ids but with baggage or a sampling decision gives a context
// from which spans start a new trace carrying that baggage and decision (a
// deferred one taken at the sample rate).
func (t *Tracer) ImportSpanContext(psc propagation.SpanContext) (opentracing.SpanContext, error) {
	valid := psc.IsValid()
	newTrace := !valid && (psc.TraceIDHigh != 0 || psc.TraceID != 0)
	if !valid && !newTrace && len(psc.Baggage) == 0 && psc.Sampling == propagation.SamplingDeferred {
		return nil, opentracing.ErrSpanContextNotFound
	}
	c := lightstep.SpanContext{Sampled: "true"}
	if valid || newTrace {
		// A new trace's context has no span id: lightstep-tracer-go starts
		// its child with the context's trace id, no parent and a new span
		// id.
		c.TraceIDUpper, c.TraceID, c.SpanID = psc.TraceIDHigh, psc.TraceID, psc.SpanID
	}
	switch {
	case psc.Sampling == propagation.SamplingNo:
		c.Sampled = "false"
	case psc.Sampling != propagation.SamplingDeferred, newTrace:
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
