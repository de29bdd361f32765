// Package instrument is for the authors of instrumentation packages: a
// package that traces another protocol with a [core.Tracer] (grpctrace
// traces gRPC with it) starts and finishes its spans here, so that they are
// made as core.Tracer.Middleware and core.Tracer.Transport make theirs: the
// same extraction (every format of core.WithPropagation, the baggage limits,
// the extract-error tag, baggage that came without a trace), the same
// sampling decision where a trace enters the service, the same component
// tag, the same accounting in core.Tracer.Stats, the same panic record, and
// the same redaction and caps of tag values. Applications need none of it.
//
// A router adapter needs none of the span functions: core.Tracer.ServeRoute
// serves a routed HTTP request. It may implement [ResponseState] on the
// writer it hands core, when its router's writer tracks the response's
// status and size already, so that core reads them rather than wrapping the
// writer.
//
// A server call:
//
//	span := instrument.StartServerSpan(tracer, &call.buf, "/pkg.Service/Method", opentracing.HTTPHeadersCarrier(md))
//	defer instrument.FinishSpan(tracer, span)
//	ctx = opentracing.ContextWithSpan(ctx, span)
//
// Every function is safe for concurrent use.
package instrument

import (
	"context"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/hooks"
)

// SpanBuffer holds a span's start options while [StartServerSpan] or
// [StartClientSpan] starts it: the parent reference, the kind and component
// tags and the caller's options, which go to the backend's tracer as one
// slice. An instrumentation package that keeps state per call embeds one in
// it, and starting the call's span then costs no allocation of its own. The
// zero value is ready to use; a buffer serves one start at a time, and
// holds nothing once the start returns that the caller must keep.
type SpanBuffer struct {
	b hooks.SpanBuffer
}

func (b *SpanBuffer) inner() *hooks.SpanBuffer {
	if b == nil {
		return nil
	}
	return &b.b
}

// StartServerSpan starts a span for an incoming call named operation, as
// core.Tracer.Middleware starts one for a request: a child of the span
// context that carrier holds in any format of core.WithPropagation (read as
// the TextMap format; keys in any case), with span.kind=server and
// component=traceplug, and opts (tags the backend should see at start, such
// as the peer). The incoming baggage is held to core.WithBaggageLimits;
// baggage that came without a trace is put on the new root span; a
// malformed context starts a new root tagged "traceplug.extract_error" with
// the reason. carrier may be nil (no incoming context). For gRPC metadata,
// pass opentracing.HTTPHeadersCarrier(md): it reads the map without copying
// it. buf holds the start options (see [SpanBuffer]); nil allocates one.
//
// The span is sampled, or not, as t's sampler decides (see
// core.WithSampler): an unsampled span records nothing, but its context
// passes the trace and the decision on to the calls made under it. The span
// counts in core.Stats.Started; finish it with [FinishSpan].
//
// On a tracer built with core.WithPublicEndpoint(true), every call is a
// public endpoint's, as [StartPublicServerSpan] starts it.
func StartServerSpan(t *core.Tracer, buf *SpanBuffer, operation string, carrier opentracing.TextMapReader, opts ...opentracing.StartSpanOption) opentracing.Span {
	return hooks.StartServerSpan(t, buf.inner(), operation, carrier, false, opts)
}

// StartPublicServerSpan is [StartServerSpan] for a call to a public
// endpoint, whose caller is outside the service's trust boundary (see
// core.WithPublicEndpoint): an instrumentation package calls it for the
// calls its own per-call option says are public (grpctrace's
// WithPublicEndpointFn). The span starts a new trace, sampled by t's sampler
// as any new trace whatever the carrier's decision (debug flags included),
// with a FollowsFrom reference to the carrier's span context when it is
// valid, and without the carrier's baggage; the calls made under it carry
// the new trace. A tracer whose sampling core does not decide (a tracer
// given to core.Wrap that samples by itself) starts it as StartServerSpan
// does.
func StartPublicServerSpan(t *core.Tracer, buf *SpanBuffer, operation string, carrier opentracing.TextMapReader, opts ...opentracing.StartSpanOption) opentracing.Span {
	return hooks.StartServerSpan(t, buf.inner(), operation, carrier, true, opts)
}

// StartClientSpan starts a span for an outgoing call named operation, as
// core.Tracer.Transport starts one for a request: a child of parent (nil for
// a new root, sampled as t's sampler decides; a span context of another
// tracer is dropped, and the span says so, as core.Tracer.StartSpan does),
// with span.kind=client, component=traceplug and opts. Inject its context
// into the call with t.Inject, after [ClearContext]. buf is as for
// [StartServerSpan]. The span counts in core.Stats.Started; finish it with
// [FinishSpan].
func StartClientSpan(t *core.Tracer, buf *SpanBuffer, operation string, parent opentracing.SpanContext, opts ...opentracing.StartSpanOption) opentracing.Span {
	return hooks.StartClientSpan(t, buf.inner(), operation, parent, opts)
}

// ContextWithIncoming returns ctx carrying the trace that carrier holds, for
// a call t does not trace (trace-all off, say): nothing is recorded, but
// spans started from the returned context, and the calls made with it
// (core.Tracer.Transport, [StartClientSpan]), continue the caller's trace
// and keep its sampling decision, as OpenTelemetry's non-recording spans
// do. ctx is returned as it is when carrier holds no trace, or the
// backend's span contexts cannot be carried. On a tracer built with
// core.WithPublicEndpoint(true) it is [ContextWithPublicIncoming].
func ContextWithIncoming(t *core.Tracer, ctx context.Context, carrier opentracing.TextMapReader) context.Context {
	return hooks.ContextWithIncoming(t, ctx, carrier, false)
}

// ContextWithPublicIncoming is [ContextWithIncoming] for a call to a public
// endpoint (see [StartPublicServerSpan]) that t does not trace: nothing of
// the trace carrier holds goes on. When carrier holds one, the returned ctx
// carries an empty trace, so that the calls made with it start traces of
// their own, decided by t's sampler, rather than continue one found in
// their outgoing metadata (a proxy's copy of its incoming metadata);
// otherwise ctx is returned as it is.
func ContextWithPublicIncoming(t *core.Tracer, ctx context.Context, carrier opentracing.TextMapReader) context.Context {
	return hooks.ContextWithIncoming(t, ctx, carrier, true)
}

// FinishSpan finishes span, started by [StartServerSpan] or
// [StartClientSpan], and counts it in core.Stats.Finished. Call it once per
// span.
func FinishSpan(t *core.Tracer, span opentracing.Span) { hooks.FinishSpan(t, span) }

// RecordPanic records on span that the code it traces panicked with v, as
// core.Tracer.Middleware does: error=true and an error log with the message
// and the value's type. The caller then finishes the span and re-raises the
// panic.
func RecordPanic(t *core.Tracer, span opentracing.Span, v any) { hooks.RecordPanic(t, span, v) }

// TagValue returns value as t tags an entry named name of request headers or
// call metadata, with the redaction of traced headers: "REDACTED" when the
// lower-cased name contains an entry of the redaction list
// (core.DefaultRedactedHeaders, core.WithRedactedHeaders: authorization,
// cookies, keys, tokens, ...) or the value holds credentials, secret values
// in a URL or key=value pairs redacted, and the result cut to the tag length
// cap (core.WithMaxTagLength). With name "", value is only cut: use that for
// any other value that comes from the network.
func TagValue(t *core.Tracer, name, value string) string { return hooks.TagValue(t, name, value) }

// Inject writes sc, the context of an outgoing call's span, into carrier
// (the call's headers or metadata) in t's propagation formats, as t.Inject
// does, with the baggage that the backend's own API holds in ctx added (on
// the otel backend, what OpenTelemetry's baggage.ContextWithBaggage put
// there), as core.Tracer.Transport adds it; ctx's value wins for a key both
// hold. Call [ClearContext] on the carrier first.
func Inject(t *core.Tracer, ctx context.Context, sc opentracing.SpanContext, carrier opentracing.TextMapWriter) error {
	return hooks.InjectOutgoing(t, ctx, sc, carrier)
}

// Conventions returns the conventions t's spans follow (see
// core.WithConventions): backend.ConventionsOpenTracing or
// backend.ConventionsOpenTelemetry, whose span names, status rules and
// attributes an instrumentation package writes; both says the other's
// attributes are written too.
func Conventions(t *core.Tracer) (names string, both bool) { return hooks.Conventions(t) }

// ClearContext deletes from h, headers or gRPC metadata about to carry a
// span context injected by t, every header of t's propagation formats,
// context or baggage, in any case of its name: stale ones (copied from an
// incoming request by a proxy, or set by hand) would otherwise travel
// beside the new context, or twice in another case of the name. Read a
// context set by hand (as the parent) before. For a tracer whose backend
// propagates by itself (it is no backend.SpanContextCodec) it does nothing:
// its formats are its own.
func ClearContext(t *core.Tracer, h map[string][]string) { hooks.ClearContext(t, h) }
