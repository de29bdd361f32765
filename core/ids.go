package core

import (
	"context"
	"strings"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/propagation"
)

// SpanContextIDs returns the trace and span ids of sc, a span context of t's
// backend, as lower-case hex: the trace id in 32 digits when it has 128 bits,
// else 16; the span id in 16. ok is false when sc is nil or another tracer's,
// or when the backend cannot say. A tracer given to [Wrap] that is no
// [SpanContextCodec] (jaeger-client-go's, zipkin-go-opentracing's, ...) says
// through its own Inject, read back in any format [propagation] knows, at
// the cost of that injection. It is safe for concurrent use.
func (t *Tracer) SpanContextIDs(sc opentracing.SpanContext) (traceID, spanID string, ok bool) {
	if sc == nil {
		return "", "", false
	}
	var psc propagation.SpanContext
	if cs := t.carried(sc); cs != nil {
		psc, ok = cs.context(), true
	} else if t.prop != nil {
		psc, ok = t.prop.Codec().ExportSpanContext(sc)
	} else {
		psc, ok = injectedContext(t.ot, sc)
	}
	if !ok || !psc.IsValid() {
		return "", "", false
	}
	var b [32]byte
	if psc.TraceIDHigh != 0 {
		traceID = string(appendHex16(appendHex16(b[:0], psc.TraceIDHigh), psc.TraceID))
	} else {
		traceID = string(appendHex16(b[:0], psc.TraceID))
	}
	return traceID, string(appendHex16(b[:0], psc.SpanID)), true
}

// ContextIDs returns the trace and span ids of the span in ctx (as
// [opentracing.SpanFromContext] finds it: a traced request's span, in its
// handler, or a child span started from it), as [Tracer.SpanContextIDs]
// renders them: what a log line needs to be found from its trace, and the
// trace from it ([Tracer.LogHandler] adds them to log records). ok is false
// when ctx holds no span of t's backend, or the backend cannot say. It works
// on every built-in backend but none, and on the stock tracers of
// jaeger-client-go, zipkin-go-opentracing and lightstep-tracer-go given to
// [Wrap]; it is safe for concurrent use.
//
//	if traceID, _, ok := tracer.ContextIDs(r.Context()); ok {
//		w.Header().Set("X-Trace-Id", traceID) // for the caller to quote in a bug report
//	}
func (t *Tracer) ContextIDs(ctx context.Context) (traceID, spanID string, ok bool) {
	span := opentracing.SpanFromContext(ctx)
	if span == nil {
		return "", "", false
	}
	return t.SpanContextIDs(span.Context())
}

// anyFormat reads every format propagation knows.
var anyFormat = func() propagation.Propagator {
	p, err := propagation.Parse(strings.Join([]string{propagation.TraceContext, propagation.Jaeger,
		propagation.B3Multi, propagation.B3, propagation.OTTrace}, ","))
	if err != nil {
		panic(err)
	}
	return p
}()

// injectedContext is sc as ot injects it, read back by propagation: the ids
// of a tracer that is no SpanContextCodec.
func injectedContext(ot opentracing.Tracer, sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	c := opentracing.TextMapCarrier{}
	if ot == nil || ot.Inject(sc, opentracing.TextMap, c) != nil {
		return propagation.SpanContext{}, false
	}
	psc, err := anyFormat.Extract(c)
	return psc, err == nil
}

// appendHex16 appends v as 16 lower-case hex digits.
func appendHex16(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, digits[v>>shift&0xf])
	}
	return b
}
