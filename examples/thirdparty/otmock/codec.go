package otmock

import (
	"fmt"
	"math"
	"strconv"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/traceplug/traceplug/propagation"
)

// NativePropagation implements [backend.NativePropagation]: mocktracer's own
// headers (mockpfx-ids-*) are for tests, so otmock's native format is W3C
// trace context and baggage.
func (t *Tracer) NativePropagation() string {
	return propagation.TraceContext + "," + propagation.Baggage
}

// ExportSpanContext implements [backend.SpanContextCodec] for
// mocktracer.MockSpanContext, otmock's span context and mocktracer's. The
// ids are read as unsigned (mocktracer stores them in an int), the sampled
// flag is SamplingYes or SamplingNo, and the baggage items are sorted by
// key. A context without ids gives its baggage alone, and a new trace's
// (see ImportSpanContext) its trace id without a span id.
func (t *Tracer) ExportSpanContext(sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	c, ok := sc.(mocktracer.MockSpanContext)
	if !ok {
		return propagation.SpanContext{}, false
	}
	var psc propagation.SpanContext
	if c.TraceID != 0 {
		psc.TraceID, psc.SpanID = fromInt(c.TraceID), fromInt(c.SpanID)
		psc.Sampling = propagation.SamplingNo
		if c.Sampled {
			psc.Sampling = propagation.SamplingYes
		}
	}
	psc.Baggage = propagation.BaggageItems(c.Baggage)
	return psc, true
}

// ImportSpanContext implements [backend.SpanContextCodec]: it returns the
// mocktracer.MockSpanContext that spans continuing psc start from.
//
// mocktracer's context holds less than psc can say. The high half of a
// 128-bit trace id is dropped (the trace continues under its low 64 bits),
// and so are the tracestate and the parent id. SamplingDebug becomes
// sampled, and a caller's deferred decision is taken here, with the sample
// rate. On a 32-bit platform, ids over 32 bits are an error: the span starts
// a trace of its own, sampled at the sample rate. Of two baggage items with
// one key, the first wins.
//
// A psc with a trace id and no span id is a new trace that core began, and
// whose decision it took: the span started as a child of the returned
// context is that trace's root, with no parent, a span id of its own, and
// psc's decision (sampled unless SamplingNo: otmock does not sample it
// again) and baggage. mocktracer starts exactly that span from a context
// with a trace id and span id 0.
//
// A psc without ids but with baggage gives a context without ids, from
// which otmock's StartSpan starts a new trace carrying that baggage.
func (t *Tracer) ImportSpanContext(psc propagation.SpanContext) (opentracing.SpanContext, error) {
	var c mocktracer.MockSpanContext
	switch {
	case psc.TraceID != 0 || psc.TraceIDHigh != 0: // a trace to continue, or a new one (no span id)
		if strconv.IntSize == 32 && (psc.TraceID > math.MaxUint32 || psc.SpanID > math.MaxUint32) {
			return nil, fmt.Errorf("otmock: span context %016x:%016x: mocktracer's ids are ints of 32 bits on this platform: %w",
				psc.TraceID, psc.SpanID, opentracing.ErrInvalidSpanContext)
		}
		if psc.TraceID == 0 { // a 128-bit id whose low half is 0 has nothing left
			return nil, fmt.Errorf("otmock: trace id %016x%016x: its low 64 bits, all mocktracer can hold, are 0: %w",
				psc.TraceIDHigh, psc.TraceID, opentracing.ErrInvalidSpanContext)
		}
		c.TraceID, c.SpanID = toInt(psc.TraceID), toInt(psc.SpanID)
		if psc.Sampling == propagation.SamplingDeferred && psc.SpanID != 0 {
			c.Sampled = t.sample()
		} else {
			c.Sampled = psc.Sampling.IsSampled(true)
		}
	case len(psc.Baggage) == 0:
		return nil, opentracing.ErrSpanContextNotFound
	}
	c.Baggage = psc.BaggageMap()
	return c, nil
}

// fromInt reads a mocktracer id as the unsigned number it stands for: the
// bits of the int, at the platform's width.
func fromInt(id int) uint64 { return uint64(uint(id)) }

// toInt stores an id in mocktracer's int; it must fit (see ImportSpanContext).
func toInt(id uint64) int { return int(uint(id)) }
