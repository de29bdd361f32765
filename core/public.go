package core

import (
	"net/http"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/propagation"
)

// This file holds public endpoints: servers whose callers are outside the
// service's trust boundary, whose trace context is therefore not continued.
// A request to one starts a new trace, sampled as any new trace here, whose
// server span links to the caller's context (a FollowsFrom reference), as
// otelhttp's WithPublicEndpointFn and otelgrpc's WithPublicEndpoint do.

// WithPublicEndpoint sets whether every server span the Tracer starts
// ([Tracer.Middleware], [Tracer.Trace], [Tracer.ServeRoute], and
// instrumentation packages such as grpctrace) is a public endpoint's (true),
// or continues the trace its request or call came with (false, the default).
//
// On a public endpoint the trace context a request carries, in any format of
// [WithPropagation], comes from outside and is not trusted:
//   - the server span starts a new trace (a new trace id, no parent), sampled
//     or not by the Tracer's own sampler and rules ([WithSampler],
//     [WithSampleRate], [WithSamplingRules]) as any new trace: a caller's
//     sampled flag, not-sampled flag or debug flag decides nothing, so a
//     caller can neither force the service to record a trace nor hide one;
//   - the span has a FollowsFrom reference to the caller's span context,
//     when it was valid: a span link on the otel backend (with the attribute
//     ot-span-reference-type=follows-from-ref), a FOLLOWS_FROM reference on
//     jaeger's wire; zipkin's and lightstep's wire formats have no place for
//     it, and their spans show only the new trace (see
//     docs/public-endpoint.md);
//   - the caller's baggage is dropped: it is neither on the span nor passed
//     on (the handler can still read the headers themselves);
//   - the calls the handler makes ([Tracer.Transport], grpctrace's clients)
//     carry the new trace and its decision, never the caller's, even when
//     the handler copies the request's headers onward (a reverse proxy):
//     a request that is not traced (trace-all off, filtered) passes no trace
//     on, and the calls under it start traces of their own.
//
// Put it on a service that the internet, or another organisation, calls
// directly. It needs a Tracer whose sampling core decides: every built-in
// backend's, and a tracer given to [Wrap] with a sampler chosen; for a
// tracer given to Wrap that samples by itself, or that is no
// backend.SpanContextCodec, [Wrap] returns an error wrapping
// [ErrBadOption].
// WithPublicEndpoint(true) wins over [WithPublicEndpointFn].
func WithPublicEndpoint(on bool) Option {
	return optionFunc(func(c *config) { c.public.all = on })
}

// WithPublicEndpointFn sets a function that decides, per HTTP request, whether
// it came to a public endpoint, treated as [WithPublicEndpoint] says: for
// example, public unless the request comes from the service's own network
// (r.RemoteAddr). It is called, before the handler, for each request the
// Tracer serves (traced or not) that carries a trace context, baggage or a
// sampling decision in a format the Tracer reads; a request without any is a
// new trace either way. It must be safe for concurrent use; if it panics, the
// request counts as public, and the panic in [Stats].CallbackPanics. nil
// leaves every request to WithPublicEndpoint.
//
// It decides for HTTP requests only: gRPC calls are public by
// WithPublicEndpoint(true) or grpctrace's own WithPublicEndpointFn.
func WithPublicEndpointFn(f func(r *http.Request) bool) Option {
	return optionFunc(func(c *config) { c.public.fn = f })
}

// publicPolicy is which requests and calls come to a public endpoint: all,
// or those fn says (HTTP requests only).
type publicPolicy struct {
	all bool
	fn  func(*http.Request) bool
}

// String is the policy as Settings.PublicEndpoint shows it.
func (p publicPolicy) String() string {
	switch {
	case p.all:
		return "all"
	case p.fn != nil:
		return "by function"
	}
	return ""
}

// publicAll reports whether every server span of t is a public endpoint's.
func (t *Tracer) publicAll() bool {
	return t.sampling != nil && t.sampling.public.all
}

// publicRequest reports whether r, which came with a trace context, came to
// a public endpoint.
func (t *Tracer) publicRequest(r *http.Request) bool {
	sm := t.sampling
	switch {
	case sm == nil:
		return false
	case sm.public.all:
		return true
	case sm.public.fn == nil:
		return false
	}
	return t.callPublicFn(r)
}

// callPublicFn calls the user's WithPublicEndpointFn; a panic makes r
// public, the safe answer.
func (t *Tracer) callPublicFn(r *http.Request) (public bool) {
	defer func() {
		if recover() != nil {
			t.counts.callbackPanics.Add(1)
			public = true
		}
	}()
	return t.sampling.public.fn(r)
}

// carriesTrace reports whether psc, read from a request, holds anything of a
// trace: ids, baggage or a sampling decision.
func carriesTrace(psc *propagation.SpanContext) bool {
	return psc.TraceID != 0 || psc.TraceIDHigh != 0 || len(psc.Baggage) > 0 || psc.Sampling != propagation.SamplingDeferred
}

// publicEntry makes *psc, the context a request to a public endpoint came
// with, a new trace's (empty: sampling.decide gives it ids and a decision of
// its own), and returns what the new trace links to: the caller's ids and
// tracestate, without its baggage or debug id.
func publicEntry(psc *propagation.SpanContext) (link propagation.SpanContext) {
	link, *psc = *psc, propagation.SpanContext{}
	link.Baggage, link.DebugID = nil, ""
	if link.Sampling == propagation.SamplingDebug {
		link.Sampling = propagation.SamplingYes
	}
	return link
}

// importLink returns the backend's span context for link, which a public
// endpoint's span refers to (FollowsFrom); nil when link is not valid or the
// backend cannot import it.
func (t *Tracer) importLink(link propagation.SpanContext) opentracing.SpanContext {
	if !link.IsValid() {
		return nil
	}
	sc, err := t.prop.Codec().ImportSpanContext(link)
	if err != nil {
		return nil
	}
	return sc
}

// linkedStart holds the start options of a public endpoint's span that
// links to its caller: the new trace (rq.parent, ChildOf, first, which every
// backend takes for the parent), the caller's context (FollowsFrom), the
// kind, and room for a start time.
type linkedStart struct {
	link opentracing.SpanReference
	opts [4]opentracing.StartSpanOption
}

// linkedOptions returns the start options of rq's span, a child of parent
// (the new trace) that follows from linked (the caller's context), in one
// allocation; rq.parent is set.
func linkedOptions(rq *request, parent, linked opentracing.SpanContext) []opentracing.StartSpanOption {
	ls := &linkedStart{link: opentracing.SpanReference{Type: opentracing.FollowsFromRef, ReferencedContext: linked}}
	rq.parent = opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: parent}
	ls.opts[0], ls.opts[1], ls.opts[2] = &rq.parent, &ls.link, serverKind
	return ls.opts[:3]
}
