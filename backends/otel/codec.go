package otel

import (
	"context"
	"encoding/binary"

	"github.com/opentracing/opentracing-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/propagation"
)

// otelContext is what the bridge's span contexts have and no other tracer's
// do: the bridge's (unexported) span context embeds an OpenTelemetry
// trace.SpanContext.
type otelContext interface {
	opentracing.SpanContext
	TraceID() trace.TraceID
	SpanID() trace.SpanID
	TraceFlags() trace.TraceFlags
	TraceState() trace.TraceState
	IsValid() bool
}

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
// SamplingNo.
func (t *Tracer) ExportSpanContext(sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	oc, ok := sc.(otelContext)
	if !ok || !oc.IsValid() {
		return propagation.SpanContext{}, false
	}
	tid, sid := oc.TraceID(), oc.SpanID()
	psc := propagation.SpanContext{
		TraceIDHigh: binary.BigEndian.Uint64(tid[:8]),
		TraceID:     binary.BigEndian.Uint64(tid[8:]),
		SpanID:      binary.BigEndian.Uint64(sid[:]),
		Sampling:    propagation.SamplingNo,
		TraceState:  oc.TraceState().String(),
	}
	if oc.TraceFlags().IsSampled() {
		psc.Sampling = propagation.SamplingYes
	}
	sc.ForeachBaggageItem(func(k, v string) bool {
		psc.Baggage = append(psc.Baggage, propagation.BaggageItem{Key: k, Value: v})
		return true
	})
	return psc, true
}

// ImportSpanContext implements [core.SpanContextCodec]. OpenTelemetry has no
// deferred sampling decision nor debug flag: a deferred decision is taken
// here, by the sampler of new traces on the trace id (so that it is the
// decision a root span of that trace would get), and debug means sampled.
// The parent id is dropped. A tracestate that does not parse is dropped, as
// W3C says. A psc
// without ids but with baggage gives a context from which spans start a new
// trace carrying that baggage.
func (t *Tracer) ImportSpanContext(psc propagation.SpanContext) (opentracing.SpanContext, error) {
	var scc trace.SpanContextConfig
	if psc.IsValid() {
		binary.BigEndian.PutUint64(scc.TraceID[:8], psc.TraceIDHigh)
		binary.BigEndian.PutUint64(scc.TraceID[8:], psc.TraceID)
		binary.BigEndian.PutUint64(scc.SpanID[:], psc.SpanID)
		scc.Remote = true
		scc.TraceState, _ = trace.ParseTraceState(psc.TraceState)
		if psc.Sampling.IsSampled(t.sampledByDefault(scc.TraceID)) {
			scc.TraceFlags = trace.FlagsSampled
		}
	} else if len(psc.Baggage) == 0 {
		return nil, opentracing.ErrSpanContextNotFound
	}
	ctx := context.Background()
	if len(psc.Baggage) > 0 {
		ctx = opentracing.ContextWithSpan(ctx, baggageHolder{items: psc.Baggage})
	}
	// The bridge makes its span contexts only from spans: hand it a span
	// that is nothing but the remote context, with the baggage of the
	// "active" span in ctx.
	ctx = t.bridge.ContextWithBridgeSpan(ctx, remoteSpan{Span: noopSpan, sc: trace.NewSpanContext(scc)})
	return opentracing.SpanFromContext(ctx).Context(), nil
}

// sampledByDefault is the decision the sampler of new traces takes for a
// trace id.
func (t *Tracer) sampledByDefault(id trace.TraceID) bool {
	p := sdktrace.SamplingParameters{ParentContext: context.Background(), TraceID: id}
	return t.root.ShouldSample(p).Decision == sdktrace.RecordAndSample
}

var noopSpan = func() trace.Span {
	_, s := noop.NewTracerProvider().Tracer("").Start(context.Background(), "")
	return s
}()

// remoteSpan is a span that is only a span context.
type remoteSpan struct {
	trace.Span
	sc trace.SpanContext
}

func (s remoteSpan) SpanContext() trace.SpanContext { return s.sc }

// baggageHolder is an OpenTracing span whose context is only baggage, for
// the bridge to copy.
type baggageHolder struct {
	opentracing.Span
	items []propagation.BaggageItem
}

func (b baggageHolder) Context() opentracing.SpanContext { return b }

// Tracer is what opentracing.ContextWithSpan asks of every span.
func (b baggageHolder) Tracer() opentracing.Tracer { return opentracing.NoopTracer{} }

func (b baggageHolder) ForeachBaggageItem(handler func(k, v string) bool) {
	for _, it := range b.items {
		if !handler(it.Key, it.Value) {
			return
		}
	}
}
