package core

// This file is the surface for instrumentation packages: what a package that
// traces another protocol with a Tracer (grpctrace for gRPC today, others
// later) needs beyond the opentracing.Tracer methods, so that its spans are
// made as Middleware and Transport make theirs: the same extraction (every
// format of WithPropagation, the baggage limits, the extract-error tag,
// baggage that came without a trace), the same component tag, the same
// accounting in Stats, the same panic record and the same redaction and caps
// of tag values. Applications need none of it.

import (
	"context"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/traceplug/traceplug/propagation"
	"github.com/traceplug/traceplug/sampling"
)

// TraceAll reports whether the tracer traces every incoming request or call
// ([WithTraceAll](true)) or only those the application names (the default):
// an instrumentation package follows it as [Tracer.Middleware] does. It is
// part of the surface for instrumentation packages.
func (t *Tracer) TraceAll() bool { return t.traceAll }

// StartServerSpan starts a span for an incoming call named operation, as
// [Tracer.Middleware] starts one for a request: a child of the span context
// that carrier holds in any format of [WithPropagation] (read as the TextMap
// format; keys in any case), with span.kind=server and component=traceplug,
// and opts (tags the backend should see at start, such as the peer). The
// incoming baggage is held to [WithBaggageLimits]; baggage that came without
// a trace is put on the new root span; a malformed context starts a new root
// tagged "traceplug.extract_error" with the reason. carrier may be nil (no
// incoming context). For gRPC metadata, pass
// opentracing.HTTPHeadersCarrier(md): it reads the map without copying it.
//
// The span counts in [Stats].Started; finish it with [Tracer.FinishSpan].
// It is part of the surface for instrumentation packages, and safe for
// concurrent use.
func (t *Tracer) StartServerSpan(operation string, carrier opentracing.TextMapReader, opts ...opentracing.StartSpanOption) opentracing.Span {
	return t.StartServerSpanIn(nil, operation, carrier, opts...)
}

// StartServerSpanIn is [Tracer.StartServerSpan] with the start options held
// in buf, which an instrumentation package keeps in its per-call state, so
// that starting the span allocates nothing of traceplug's own; nil buf is
// StartServerSpan.
//
// The span is sampled, or not, as the Tracer's sampler decides (see
// [WithSampler]): an unsampled span records nothing, but its context passes
// the trace and the decision on to the calls made under it.
func (t *Tracer) StartServerSpanIn(buf *SpanBuffer, operation string, carrier opentracing.TextMapReader, opts ...opentracing.StartSpanOption) opentracing.Span {
	var (
		parent     opentracing.SpanContext
		orphan     []propagation.BaggageItem
		extractErr error
		decision   sampling.Decision
		debugID    string
	)
	if t.sampling != nil {
		var psc propagation.SpanContext
		psc, extractErr = t.extractNeutral(carrier)
		if decision = t.sampling.decide(&psc, operation); !decision.Sampled {
			return &carrySpan{t: t, psc: psc, decided: true}
		}
		parent, debugID = t.importDecided(psc), psc.DebugID
	} else {
		parent, orphan, extractErr = t.extractContext(carrier)
	}
	span := t.startKind(buf, operation, parent, serverKind, opts)
	if extractErr != nil {
		span.SetTag(TagExtractError, t.redact.cap(extractErr.Error()))
	}
	if decision.Type != "" && decision.Type != samplerConst {
		setSamplerTags(span, decision)
	}
	if debugID != "" {
		span.SetTag(TagDebugID, t.redact.cap(debugID))
	}
	for _, it := range orphan {
		span.SetBaggageItem(it.Key, it.Value)
	}
	return span
}

// ContextWithIncoming returns ctx carrying the trace that carrier holds, for
// a call the Tracer does not trace (trace-all off, say): nothing is
// recorded, but spans started from the returned context, and the calls made
// with it ([Tracer.Transport], [Tracer.StartClientSpan]), continue the
// caller's trace and keep its sampling decision, as OpenTelemetry's
// non-recording spans do. ctx is returned as it is when carrier holds no
// trace, or the backend's span contexts cannot be carried. It is part of the
// surface for instrumentation packages, and safe for concurrent use.
func (t *Tracer) ContextWithIncoming(ctx context.Context, carrier opentracing.TextMapReader) context.Context {
	psc, ok := t.incoming(carrier)
	if !ok {
		return ctx
	}
	ctx = opentracing.ContextWithSpan(ctx, &carrySpan{t: t, psc: psc})
	if t.carriedCtx != nil {
		ctx = t.carriedCtx.ContextWithCarried(ctx, psc)
	}
	return ctx
}

// StartClientSpan starts a span for an outgoing call named operation, as
// [Tracer.Transport] starts one for a request: a child of parent (nil for a
// new root; a span context of another tracer is dropped, and the span says
// so, as [Tracer.StartSpan] does), with span.kind=client, component=traceplug
// and opts. Inject its context into the call with [Tracer.Inject].
//
// The span counts in [Stats].Started; finish it with [Tracer.FinishSpan].
// It is part of the surface for instrumentation packages, and safe for
// concurrent use.
func (t *Tracer) StartClientSpan(operation string, parent opentracing.SpanContext, opts ...opentracing.StartSpanOption) opentracing.Span {
	return t.startKind(nil, operation, parent, clientKind, opts)
}

// StartClientSpanIn is [Tracer.StartClientSpan] with the start options held
// in buf, as [Tracer.StartServerSpanIn] does; nil buf is StartClientSpan.
func (t *Tracer) StartClientSpanIn(buf *SpanBuffer, operation string, parent opentracing.SpanContext, opts ...opentracing.StartSpanOption) opentracing.Span {
	var decision sampling.Decision
	switch cs := t.carried(parent); {
	case cs != nil:
		psc, imported, sampled := t.continueCarried(cs, operation)
		if !sampled {
			return &carrySpan{t: t, psc: psc, decided: true}
		}
		parent = imported
	case parent == nil && t.sampling != nil:
		carry, sc, d := t.decideRoot(operation)
		if carry != nil {
			return carry
		}
		parent, decision = sc, d
	}
	span := t.startKind(buf, operation, parent, clientKind, opts)
	if decision.Type != "" && decision.Type != samplerConst {
		setSamplerTags(span, decision)
	}
	return span
}

// SpanBuffer holds a span's start options while [Tracer.StartServerSpanIn]
// or [Tracer.StartClientSpanIn] starts it: the parent reference, the kind
// and component tags and the caller's options, which go to the backend's
// tracer as one slice. An instrumentation package that keeps state per call
// embeds one in it, and starting the call's span then costs no allocation of
// its own. The zero value is ready to use; a buffer serves one start at a
// time, and holds nothing once the start returns that the caller must keep.
// It is part of the surface for instrumentation packages.
type SpanBuffer struct {
	parent opentracing.SpanReference
	opts   [8]opentracing.StartSpanOption
}

// FinishSpan finishes span, started by [Tracer.StartServerSpan] or
// [Tracer.StartClientSpan], and counts it in [Stats].Finished. Call it once
// per span. It is part of the surface for instrumentation packages.
func (t *Tracer) FinishSpan(span opentracing.Span) {
	if _, ok := span.(*carrySpan); ok {
		return // recorded nothing, counted nothing
	}
	span.Finish()
	t.counts.finished.Add(1)
}

// RecordPanic records on span that the code it traces panicked with v, as
// [Tracer.Middleware] does: error=true and an error log with the message and
// the value's type. The caller then finishes the span and re-raises the
// panic. It is part of the surface for instrumentation packages.
func (t *Tracer) RecordPanic(span opentracing.Span, v any) {
	t.logPanic(span, v)
}

// TagValue returns value as the tracer tags an entry named name of request
// headers or call metadata, with the redaction of traced headers: "REDACTED"
// when the lower-cased name contains an entry of the redaction list
// ([DefaultRedactedHeaders], [WithRedactedHeaders]: authorization, cookies,
// keys, tokens, ...) or the value holds credentials, secret values in a URL
// or key=value pairs redacted, and the result cut to the tag length cap
// ([WithMaxTagLength]). With name "", value is only cut: use that for any
// other value that comes from the network. It is part of the surface for
// instrumentation packages, and safe for concurrent use.
func (t *Tracer) TagValue(name, value string) string {
	if name != "" {
		value = t.redact.headerValue(name, value)
	}
	return t.redact.cap(value)
}

// componentTag is component=traceplug as a start option, boxed once: given
// at start, it reaches the tracer with the other start tags in one go
// (OpenTelemetry's bridge converts a tag set later one call at a time).
var componentTag opentracing.StartSpanOption = opentracing.Tag{Key: string(ext.Component), Value: componentName}

// rootServerOpts are a root server span's start options without extras.
var rootServerOpts = []opentracing.StartSpanOption{serverKind, componentTag}

// startKind starts a span of the given kind as a child of parent (nil: a
// root), tagged component=traceplug, and counts it. Its options are put in
// buf, or in a new buffer when buf is nil.
func (t *Tracer) startKind(buf *SpanBuffer, op string, parent opentracing.SpanContext, kind opentracing.StartSpanOption, extra []opentracing.StartSpanOption) opentracing.Span {
	var all []opentracing.StartSpanOption
	switch {
	case parent == nil && len(extra) == 0 && kind == serverKind:
		all = rootServerOpts
	default:
		if buf == nil {
			buf = &SpanBuffer{}
		}
		all = buf.opts[:0]
		if parent != nil {
			buf.parent = opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: parent}
			all = append(all, &buf.parent)
		}
		all = append(append(all, kind, componentTag), extra...)
	}
	span := t.startSpan(op, all, parent != nil)
	if buf != nil {
		// Hold nothing of this span's start: the buffer may outlive it.
		buf.parent.ReferencedContext = nil
		clear(buf.opts[:min(len(all), len(buf.opts))])
	}
	t.counts.started.Add(1)
	return span
}
