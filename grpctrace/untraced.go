package grpctrace

import (
	"context"

	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/traceplug/traceplug/instrument"
	"github.com/traceplug/traceplug/internal/ctxkey"
)

// This file holds what a server does with a call it does not trace
// (trace-all off and the method not named by WithMethods, or filtered out):
// it records nothing, but the trace that came with the call, and its
// sampling decision, go on to the calls the handler makes, as
// core.Tracer.Middleware does for an HTTP request and OpenTelemetry's
// non-recording spans do.

// passOn returns ctx, the context of a server call of fullMethod the tracer
// does not trace, carrying the trace of the call's incoming metadata, if it
// has one, for the calls the handler makes ([instrument.ContextWithIncoming]);
// for a call to a public endpoint, an empty trace instead, so that those
// calls start their own ([instrument.ContextWithPublicIncoming]). A call
// without a trace in its metadata costs a lookup of the metadata and a pass
// over its keys, and no allocation: ctx is returned as it is. So is a ctx
// that has a span already (a stats handler or an interceptor before this one
// put it there).
func (in *instrumentation) passOn(ctx context.Context, fullMethod string) context.Context {
	if opentracing.SpanFromContext(ctx) != nil {
		return ctx
	}
	md := incomingMetadata(ctx)
	if len(md) == 0 {
		return ctx
	}
	if in.publicCall(ctx, fullMethod) {
		return instrument.ContextWithPublicIncoming(in.tr, ctx, opentracing.HTTPHeadersCarrier(md))
	}
	return instrument.ContextWithIncoming(in.tr, ctx, opentracing.HTTPHeadersCarrier(md))
}

// incomingKey is the key gRPC keeps a call's incoming metadata under in its
// context, or nil if it could not be caught.
var incomingKey = ctxkey.Catch(func(ctx context.Context) { _, _ = metadata.FromIncomingContext(ctx) })

// incomingMetadata returns ctx's incoming metadata, to read only: gRPC's
// own map when its key was caught (metadata.FromIncomingContext copies every
// key and value, for a caller that may change them), else that copy. Its
// keys may be in any case (gRPC's are lower case; a map set by hand with
// metadata.NewIncomingContext may not be), as the tracer's extraction reads
// them.
func incomingMetadata(ctx context.Context) metadata.MD {
	if incomingKey != nil {
		md, _ := ctx.Value(incomingKey).(metadata.MD)
		return md
	}
	md, _ := metadata.FromIncomingContext(ctx)
	return md
}

// untracedStream gives an untraced stream's handler a context that carries
// the incoming trace.
type untracedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *untracedStream) Context() context.Context { return s.ctx }
