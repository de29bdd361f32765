package zipkin

import (
	"github.com/opentracing/opentracing-go"
	zipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/propagation"
)

var (
	_ opentracing.Tracer        = (*Tracer)(nil)
	_ backend.SpanContextCodec  = (*Tracer)(nil)
	_ backend.NativePropagation = (*Tracer)(nil)
)

// NativePropagation implements [backend.NativePropagation]: the B3 headers of
// the b3_inject param, "b3multi" (zipkin-go's X-B3-* headers) by default,
// then W3C trace context and baggage, read and written by default so that
// OpenTelemetry services on either side continue the trace with no
// configuration.
func (t *Tracer) NativePropagation() string { return t.native + "," + backend.DefaultPropagation }

// ExportSpanContext implements [backend.SpanContextCodec]. Both halves of a
// 128-bit trace id are kept, and the parent id; zipkin's debug flag is
// SamplingDebug, and a context whose decision is still open (as a B3 header
// without X-B3-Sampled left it) is SamplingDeferred. A span context of
// zipkin-go-opentracing itself, without baggage, is accepted too. A new
// trace's context (see [Tracer.ImportSpanContext]) exports as it was
// imported, without a span id.
func (t *Tracer) ExportSpanContext(sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	var c spanContext
	switch v := sc.(type) {
	case spanContext:
		c = v
	case zipkinot.SpanContext:
		c.SpanContext = v
	default:
		return propagation.SpanContext{}, false
	}
	var psc propagation.SpanContext
	if !c.TraceID.Empty() {
		psc.TraceIDHigh, psc.TraceID, psc.SpanID = c.TraceID.High, c.TraceID.Low, uint64(c.ID)
		if c.ParentID != nil {
			psc.ParentID = uint64(*c.ParentID)
		}
		switch {
		case c.Debug:
			psc.Sampling = propagation.SamplingDebug
		case c.Sampled == nil:
			psc.Sampling = propagation.SamplingDeferred
		case *c.Sampled:
			psc.Sampling = propagation.SamplingYes
		default:
			psc.Sampling = propagation.SamplingNo
		}
	}
	psc.Baggage = propagation.BaggageItems(c.baggage)
	return psc, true
}

// ImportSpanContext implements [backend.SpanContextCodec]. A deferred decision
// stays open, so that zipkin-go's sampler takes it when the first span of
// the trace starts here, on the trace id, as for a B3 header without
// X-B3-Sampled; debug is zipkin's debug flag. The parent id is kept (a
// shared server span, with shared_spans, reports it). Tracestate is dropped:
// zipkin's span context has no place for it. Of two baggage items with one
// key, the first wins.
//
// A psc without ids but with baggage or a sampling decision (B3's "b3: 0",
// or a lone X-B3-Sampled) gives a context from which spans start a new trace
// carrying that baggage, and that decision, as zipkin-go does for such B3
// headers.
//
// A psc with a trace id and no span id is a new trace that core began: the
// span that [Tracer.StartSpan] starts with the context as its first
// reference is the trace's root. It has psc's trace id (128 bits when
// TraceIDHigh is not 0), no parent id (even with shared_spans), a random
// span id of its own, psc's baggage, and psc's decision: SamplingYes (or
// SamplingDeferred) sampled, SamplingDebug zipkin's debug, SamplingNo not
// sampled (and not reported).
func (t *Tracer) ImportSpanContext(psc propagation.SpanContext) (opentracing.SpanContext, error) {
	var c spanContext
	switch {
	case psc.IsValid():
		c.TraceID = model.TraceID{High: psc.TraceIDHigh, Low: psc.TraceID}
		c.ID = model.ID(psc.SpanID)
		if psc.ParentID != 0 {
			parent := model.ID(psc.ParentID)
			c.ParentID = &parent
		}
	case psc.TraceIDHigh != 0 || psc.TraceID != 0: // a new trace
		c.TraceID = model.TraceID{High: psc.TraceIDHigh, Low: psc.TraceID}
		if psc.Sampling == propagation.SamplingDeferred {
			psc.Sampling = propagation.SamplingYes
		}
	case len(psc.Baggage) == 0 && psc.Sampling == propagation.SamplingDeferred:
		return nil, opentracing.ErrSpanContextNotFound
	}
	switch psc.Sampling {
	case propagation.SamplingDebug:
		c.Debug = true // zipkin-go leaves Sampled unset with debug
	case propagation.SamplingYes, propagation.SamplingNo:
		sampled := psc.Sampling == propagation.SamplingYes
		c.Sampled = &sampled
	}
	c.baggage = psc.BaggageMap()
	return c, nil
}
