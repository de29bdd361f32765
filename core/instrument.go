package core

// This file is the machinery behind package instrument: what a package that
// traces another protocol with a Tracer (grpctrace for gRPC today, others
// later) needs beyond the opentracing.Tracer methods, so that its spans are
// made as Middleware and Transport make theirs. Applications need none of
// it, so core exports none of it: instrument reaches it through
// internal/hooks, set here.

import (
	"context"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/traceplug/traceplug/internal/hooks"
	"github.com/traceplug/traceplug/propagation"
	"github.com/traceplug/traceplug/sampling"
)

func init() {
	hooks.StartServerSpan = func(t any, buf *hooks.SpanBuffer, op string, carrier opentracing.TextMapReader, public bool, opts []opentracing.StartSpanOption) opentracing.Span {
		return t.(*Tracer).startServerSpan(buf, op, carrier, public, opts...)
	}
	hooks.StartClientSpan = func(t any, buf *hooks.SpanBuffer, op string, parent opentracing.SpanContext, opts []opentracing.StartSpanOption) opentracing.Span {
		return t.(*Tracer).startClientSpan(buf, op, parent, opts...)
	}
	hooks.ContextWithIncoming = func(t any, ctx context.Context, carrier opentracing.TextMapReader, public bool) context.Context {
		return t.(*Tracer).contextWithIncoming(ctx, carrier, public)
	}
	hooks.FinishSpan = func(t any, span opentracing.Span) { t.(*Tracer).finishSpan(span) }
	hooks.RecordPanic = func(t any, span opentracing.Span, v any) { t.(*Tracer).logPanic(span, v) }
	hooks.TagValue = func(t any, name, value string) string { return t.(*Tracer).tagValue(name, value) }
	hooks.ClearContext = func(t any, h map[string][]string) { t.(*Tracer).clearContext(h) }
	hooks.Conventions = func(t any) (string, bool) { return t.(*Tracer).conventions() }
	hooks.InjectOutgoing = func(t any, ctx context.Context, sc opentracing.SpanContext, carrier opentracing.TextMapWriter) error {
		return t.(*Tracer).injectOutgoing(ctx, sc, carrier)
	}
}

// injectOutgoing is instrument.Inject: sc into carrier, with the baggage
// the backend's own API holds in ctx added, as Transport adds it.
func (t *Tracer) injectOutgoing(ctx context.Context, sc opentracing.SpanContext, carrier opentracing.TextMapWriter) error {
	if t.ctxBaggage != nil && t.prop != nil {
		if extra := t.ctxBaggage.ContextBaggage(ctx); len(extra) > 0 {
			var psc propagation.SpanContext
			if cs := t.carried(sc); cs != nil {
				psc = cs.context()
			} else if p, ok := t.prop.Codec().ExportSpanContext(sc); ok {
				psc = p
			} else {
				return t.Inject(sc, opentracing.TextMap, carrier)
			}
			psc.Baggage = mergeBaggage(psc.Baggage, extra)
			return t.prop.InjectContext(psc, opentracing.TextMap, carrier)
		}
	}
	return t.Inject(sc, opentracing.TextMap, carrier)
}

// TraceAll reports whether the tracer traces every incoming request or call
// ([WithTraceAll](true)) or only those the application names (the default):
// an instrumentation package follows it as [Tracer.Middleware] does. It is
// part of the surface for instrumentation packages.
func (t *Tracer) TraceAll() bool { return t.traceAll }

// startServerSpan starts an incoming call's span (see
// instrument.StartServerSpan); public says the call came to a public
// endpoint, as does t's WithPublicEndpoint(true) (see public.go).
func (t *Tracer) startServerSpan(buf *hooks.SpanBuffer, operation string, carrier opentracing.TextMapReader, public bool, opts ...opentracing.StartSpanOption) opentracing.Span {
	var (
		parent     opentracing.SpanContext
		linked     opentracing.SpanContext // a public endpoint's caller
		orphan     []propagation.BaggageItem
		extractErr error
		decision   sampling.Decision
		debugID    string
	)
	if t.sampling != nil {
		var psc, link propagation.SpanContext
		psc, extractErr = t.extractNeutral(carrier)
		public = (public || t.sampling.public.all) && carriesTrace(&psc)
		if public {
			link = publicEntry(&psc) // a new trace, linked to the caller's
		}
		if decision = t.sampling.decide(&psc, operation); !decision.Sampled {
			return &carrySpan{t: t, psc: psc, decided: true}
		}
		parent, debugID = t.importDecided(psc), psc.DebugID
		if public && parent != nil {
			linked = t.importLink(link)
		}
	} else {
		parent, orphan, extractErr = t.extractContext(carrier)
	}
	span := t.startKind(buf, operation, parent, linked, serverKind, opts)
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

// contextWithIncoming is instrument.ContextWithIncoming, or with public
// instrument.ContextWithPublicIncoming.
func (t *Tracer) contextWithIncoming(ctx context.Context, carrier opentracing.TextMapReader, public bool) context.Context {
	psc, ok := t.incoming(carrier)
	if !ok {
		return ctx
	}
	if public || t.publicAll() {
		// A public endpoint's caller's trace stops here: an empty one, so
		// that the calls made under ctx start traces of their own, even
		// from metadata copied onward.
		return opentracing.ContextWithSpan(ctx, &carrySpan{t: t})
	}
	ctx = opentracing.ContextWithSpan(ctx, &carrySpan{t: t, psc: psc})
	if t.carriedCtx != nil {
		ctx = t.carriedCtx.ContextWithCarried(ctx, psc)
	}
	return ctx
}

// startClientSpan starts an outgoing call's span (see instrument.StartClientSpan).
func (t *Tracer) startClientSpan(buf *hooks.SpanBuffer, operation string, parent opentracing.SpanContext, opts ...opentracing.StartSpanOption) opentracing.Span {
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
	span := t.startKind(buf, operation, parent, nil, clientKind, opts)
	if decision.Type != "" && decision.Type != samplerConst {
		setSamplerTags(span, decision)
	}
	return span
}

// finishSpan is instrument.FinishSpan.
func (t *Tracer) finishSpan(span opentracing.Span) {
	if _, ok := span.(*carrySpan); ok {
		return // recorded nothing, counted nothing
	}
	span.Finish()
	t.counts.finished.Add(1)
}

// tagValue is instrument.TagValue.
func (t *Tracer) tagValue(name, value string) string {
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
// root) that follows from linked (nil: none; only with a parent, which
// every backend takes from the first reference), tagged
// component=traceplug, and counts it. Its options are put in buf, or in a
// new buffer when buf is nil.
func (t *Tracer) startKind(buf *hooks.SpanBuffer, op string, parent, linked opentracing.SpanContext, kind opentracing.StartSpanOption, extra []opentracing.StartSpanOption) opentracing.Span {
	var all []opentracing.StartSpanOption
	switch {
	case parent == nil && len(extra) == 0 && kind == serverKind && t.conv&convOT != 0:
		all = rootServerOpts
	default:
		if buf == nil {
			buf = &hooks.SpanBuffer{}
		}
		all = buf.Opts[:0]
		if parent != nil {
			buf.Parent = opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: parent}
			all = append(all, &buf.Parent)
			if linked != nil {
				buf.Link = opentracing.SpanReference{Type: opentracing.FollowsFromRef, ReferencedContext: linked}
				all = append(all, &buf.Link)
			}
		}
		all = append(all, kind)
		if t.conv&convOT != 0 { // OpenTelemetry's conventions have no component
			all = append(all, componentTag)
		}
		all = append(all, extra...)
	}
	span := t.startSpan(op, all, parent != nil)
	if buf != nil {
		// Hold nothing of this span's start: the buffer may outlive it.
		buf.Parent.ReferencedContext, buf.Link.ReferencedContext = nil, nil
		clear(buf.Opts[:min(len(all), len(buf.Opts))])
	}
	t.counts.started.Add(1)
	return span
}
