package grpctrace

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync/atomic"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/instrument"
	"github.com/traceplug/traceplug/internal/ctxkey"
)

// ctxKey keys a traced call's state in its context, per Tracer and side, so
// that a server handler and a server interceptor (or a client handler and a
// client interceptor) on one Tracer trace a call once, and two Tracers never
// see each other's calls.
type ctxKey struct {
	tr     *core.Tracer
	client bool
}

// call is one traced call's state. It is also the call's context: on a
// server, the handler's context, in which opentracing.SpanFromContext finds
// the span once it has started (so that a call costs one context, and a
// stats handler can start the span after TagRPC returned the context).
type call struct {
	context.Context
	in     *instrumentation
	client bool
	stream bool
	// oneResponse: a client stats handler's call is answered with one
	// message (it is not a server stream).
	oneResponse bool
	method      *method

	started atomic.Bool // span and hooked are set
	span    opentracing.Span
	hooked  context.Context // Context with the span, by the backend's hook
	ended   atomic.Bool

	sent, received atomic.Int64
	md             map[string][]string // a server's incoming metadata, from InHeader

	// The span's peer tags and start options, held here so that passing
	// them allocates nothing.
	tags  [2]opentracing.Tag
	npeer int                   // peer tags in tags
	local net.Addr              // a server's own address, for OpenTelemetry's server.address
	peer  *connPeer             // or the connection's, when it has them
	start instrument.SpanBuffer // what the tracer's StartSpan gets

	// A client's outgoing metadata's writer, and room for the values it
	// writes (a format's keys: W3C's traceparent, tracestate, baggage).
	out  mdWriter
	vals [4]string
}

// Value makes the call's state its context: the state under its key, and on
// a server, once started, the span under opentracing's key (and whatever the
// backend's hook put in its context).
func (c *call) Value(key any) any {
	if k, ok := key.(ctxKey); ok && k.tr == c.in.tr && k.client == c.client {
		return c
	}
	if !c.client && c.started.Load() {
		if key == spanKey && spanKey != nil {
			return c.span
		}
		if c.hooked != nil {
			return c.hooked.Value(key)
		}
	}
	return c.Context.Value(key)
}

// traced returns the state of the call ctx belongs to, traced on the given
// side by in's tracer (by in itself, or by another handler or interceptor
// on the same tracer), or nil.
func (in *instrumentation) traced(ctx context.Context, client bool) *call {
	if c, ok := ctx.(*call); ok && c.in == in && c.client == client {
		return c
	}
	c, _ := ctx.Value(in.key(client)).(*call)
	return c
}

// key is the context key of in's tracer's calls on a side.
func (in *instrumentation) key(client bool) any {
	if client {
		return in.keys[1]
	}
	return in.keys[0]
}

// startServer starts a server call's span: the state's metadata is the
// incoming context.
func (c *call) startServer(peer int) {
	in := c.in
	var carrier opentracing.TextMapReader
	if c.md != nil {
		carrier = opentracing.HTTPHeadersCarrier(c.md)
	}
	var opts startOptions
	start := instrument.StartServerSpan
	if in.publicCall(c.Context, c.method.full) {
		start = instrument.StartPublicServerSpan
	}
	span := start(in.tr, &c.start, c.method.name, carrier, c.startOptions(&opts, peer)...)
	in.tagMetadata(span, c.md)
	in.serverAddress(span, c.local)
	c.span = span
	if in.hook != nil {
		c.hooked = in.hook.ContextWithSpanHook(c.Context, span)
	}
	c.started.Store(true)
}

// startOptions holds a span's start options, on the stack of the call that
// starts it: the tracer copies them (into its instrument.SpanBuffer).
type startOptions [2 + len(method{}.tags)]opentracing.StartSpanOption

// startOptions returns the span's start options, in buf: the first peer
// tags of c.tags, and the method's tags. Every tag goes in at start, so that
// the tracer takes them in one go (some, zipkin's, read the peer only then).
func (c *call) startOptions(buf *startOptions, peer int) []opentracing.StartSpanOption {
	opts := buf[:0]
	tags := &c.tags
	if c.peer != nil {
		tags, peer = &c.peer.tags, c.peer.n
	}
	for i := range peer {
		opts = append(opts, &tags[i])
	}
	for i := range c.method.ntags {
		opts = append(opts, &c.method.tags[i])
	}
	return opts
}

// end tags the span with the call's outcome and finishes it, once: err is
// the call's error, nil for OK.
func (c *call) end(err error) {
	if !c.ended.CompareAndSwap(false, true) || !c.started.Load() {
		return
	}
	span := c.span
	in := c.in
	code := codeOf(err)
	if in.ot {
		span.SetTag("rpc.grpc.status_code", boxCode(code))
	}
	if in.otel {
		span.SetTag("rpc.response.status_code", canonicalCode(code))
	}
	if isError(code, c.client) {
		ext.Error.Set(span, true)
		msg := instrument.TagValue(in.tr, "", status.Convert(err).Message())
		if in.ot {
			span.LogFields(
				log.String("event", "error"),
				log.String("error.kind", code.String()),
				log.String("message", msg),
			)
		}
		if in.otelRun && msg != "" {
			span.SetTag(core.TagStatusDescription, msg)
		}
	}
	if c.stream && in.ot {
		span.SetTag("rpc.grpc.messages_sent", c.sent.Load())
		span.SetTag("rpc.grpc.messages_received", c.received.Load())
	}
	instrument.FinishSpan(c.in.tr, span)
}

// panicked records a panic of the handler and finishes the span, without a
// status: the panic goes on, and what the peer sees depends on who recovers
// it.
func (c *call) panicked(v any) {
	if !c.ended.CompareAndSwap(false, true) {
		return
	}
	instrument.RecordPanic(c.in.tr, c.span, v)
	instrument.FinishSpan(c.in.tr, c.span)
}

// codeOf is err's status code: OK for nil, the context's for a context
// error, Unknown for an error that carries no status.
func codeOf(err error) codes.Code {
	switch {
	case err == nil:
		return codes.OK
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		if _, ok := status.FromError(err); !ok {
			return status.FromContextError(err).Code()
		}
	}
	return status.Code(err)
}

// isError reports whether code fails the call, as OpenTelemetry's semantic
// conventions for gRPC say: on a client every code but OK; on a server
// only the codes that say the server failed (a client's mistakes, such as
// NotFound or InvalidArgument, are not the server's errors).
func isError(code codes.Code, client bool) bool {
	if client {
		return code != codes.OK
	}
	switch code {
	case codes.Unknown, codes.DeadlineExceeded, codes.Unimplemented, codes.Internal, codes.Unavailable, codes.DataLoss:
		return true
	}
	return false
}

// canonicalCode is code as OpenTelemetry's rpc.response.status_code has
// it: its canonical name ("OK", "NOT_FOUND", "CANCELLED"), as otelgrpc
// writes it.
func canonicalCode(code codes.Code) string {
	if int(code) < len(canonicalCodes) {
		return canonicalCodes[code]
	}
	return "CODE(" + strconv.FormatInt(int64(code), 10) + ")"
}

var canonicalCodes = [...]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
	codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
	codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
	codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
	codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS",
	codes.Unauthenticated: "UNAUTHENTICATED",
}

// codeBoxes are the status codes as tag values, boxed once.
var codeBoxes = func() (b [17]any) {
	for i := range b {
		b[i] = i
	}
	return b
}()

func boxCode(c codes.Code) any {
	if int(c) < len(codeBoxes) {
		return codeBoxes[c]
	}
	return int(c)
}

// spanKey is the key opentracing.ContextWithSpan stores a span under. If it
// could not be caught it is nil, and a stats handler's span is not in the
// handler's context (the interceptors' still is: they use ContextWithSpan
// then).
var spanKey = ctxkey.OpenTracingSpan
