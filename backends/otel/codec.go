package otel

import (
	"context"
	"encoding/binary"
	"slices"

	"github.com/opentracing/opentracing-go"
	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

var (
	_ backend.SpanContextCodec  = (*Tracer)(nil)
	_ backend.NativePropagation = (*Tracer)(nil)
	_ backend.CarriedContext    = (*Tracer)(nil)
	_ backend.ContextBaggage    = (*Tracer)(nil)
)

// NativePropagation implements [backend.NativePropagation]: the formats of
// OTEL_PROPAGATORS when it is set, else W3C trace context and baggage, as
// OpenTelemetry's SDKs do. traceplug's own setting (WithPropagation,
// TRACEPLUG_PROPAGATION) wins over both.
func (t *Tracer) NativePropagation() string { return t.native }

// ExportSpanContext implements [backend.SpanContextCodec]. A trace id's upper 8
// bytes become TraceIDHigh; the W3C sampled flag becomes SamplingYes or
// SamplingNo; the random flag (W3C Level 2) is kept. A context that
// [Tracer.ImportSpanContext] made for a new trace exports as it was
// imported: its trace id and decision, no span id.
func (t *Tracer) ExportSpanContext(sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	c, ok := sc.(*spanContext)
	if !ok || !c.sc.HasTraceID() {
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

// ImportSpanContext implements [backend.SpanContextCodec]. OpenTelemetry has no
// deferred sampling decision nor debug flag: a deferred decision means
// sampled (core decides which new traces are sampled; the backend samples
// what it is handed), and debug means sampled. The parent id is dropped. A
// tracestate that does not parse is dropped, as W3C says. Baggage items that
// OpenTelemetry's baggage refuses (an empty key, text that is not UTF-8)
// are dropped; of two items with one key, the last wins (as OpenTelemetry's
// OpenTracing bridge kept them).
//
// A psc with a trace id but no span id (SpanID 0) is a new trace, as core
// hands it over once it has decided to start one: a span started from the
// context (ChildOf, through [Tracer.StartSpan]) is a root, with no parent,
// psc's trace id (all 128 bits), a new random span id, psc's decision
// (SamplingNo: not sampled, nothing exported; any other: sampled), its
// tracestate, random flag and baggage; its children continue it as usual.
//
// A psc without ids but with baggage gives a context from which spans start
// a new trace carrying that baggage.
func (t *Tracer) ImportSpanContext(psc propagation.SpanContext) (opentracing.SpanContext, error) {
	if !hasTrace(psc) && len(psc.Baggage) == 0 {
		return nil, opentracing.ErrSpanContextNotFound
	}
	return &spanContext{sc: otelSpanContext(psc), baggage: validItems(psc.Baggage)}, nil
}

// hasTrace reports whether psc holds a trace id.
func hasTrace(psc propagation.SpanContext) bool { return psc.TraceIDHigh != 0 || psc.TraceID != 0 }

// otelSpanContext is the OpenTelemetry span context of psc, as
// [Tracer.ImportSpanContext] says; empty when psc holds no trace id.
func otelSpanContext(psc propagation.SpanContext) trace.SpanContext {
	var scc trace.SpanContextConfig
	if hasTrace(psc) {
		binary.BigEndian.PutUint64(scc.TraceID[:8], psc.TraceIDHigh)
		binary.BigEndian.PutUint64(scc.TraceID[8:], psc.TraceID)
		// A new trace (no span id) is the parent of a root: a span context
		// that the SDK continues (it keeps a parent's trace id even without
		// a span id) and whose flags the SDK's sampler reads (see
		// [sampler]), but that is neither valid nor remote, so that the
		// root reports no parent.
		if psc.SpanID != 0 {
			binary.BigEndian.PutUint64(scc.SpanID[:], psc.SpanID)
			scc.Remote = true
		}
		scc.TraceState, _ = trace.ParseTraceState(psc.TraceState)
		sampled := psc.Sampling != propagation.SamplingNo
		scc.TraceFlags = trace.TraceFlags(0).WithSampled(sampled).WithRandom(psc.Random)
	}
	return trace.NewSpanContext(scc)
}

// noopSpan is a span of OpenTelemetry's no-op tracer.
var noopSpan = func() trace.Span {
	_, s := noop.NewTracerProvider().Tracer("").Start(context.Background(), "")
	return s
}()
