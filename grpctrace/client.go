package grpctrace

import (
	"context"
	"io"
	"strings"

	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/instrument"
)

// ClientHandler returns a [stats.Handler] that traces the calls a gRPC
// client makes with tr, installed with grpc.WithStatsHandler:
//
//	conn, err := grpc.NewClient(target, grpc.WithStatsHandler(grpctrace.ClientHandler(tracer)), ...)
//
// Every call is traced (as [core.Tracer.Transport] traces every request),
// unless trace-all is off and [WithMethods] names methods, then only those;
// [WithFilter] has the last word (by default health checks and reflection
// are not traced, [DefaultFilter]).
//
// Each traced call (each attempt, when gRPC retries) gets a client span, a
// child of the span in the call's context (a traced HTTP request's, or a
// traced call's on a server), or, when there is none, of a span context
// injected by hand into the outgoing metadata, or else a new root. The span
// is injected into the outgoing metadata in every format of the tracer's
// [core.WithPropagation] list, replacing keys the metadata already had of
// those formats, and finishes when the call ends, however it ends (for a
// stream: the last message received, an error, the client's cancellation or
// deadline). A call that is not traced still carries the trace of the span
// in its context, if any.
//
// The span's status is the one gRPC gives the handler. When a server's
// answer beats the request onto the wire (a trailers-only Unimplemented,
// for one), gRPC ends the attempt as if OK and gives the status only to the
// caller; a call answered with one message that got none cannot be OK, so
// its span then says Unknown, an error. The interceptors see the status the
// caller sees. gRPC gives a stats handler no call whose context ended before
// its first attempt (a deadline already past): such a call gets a span only
// from [UnaryClientInterceptor] or [StreamClientInterceptor].
//
// A client span is named after the method the call names, but for a proxy's
// call forwarded from a server call of the same tracer whose method the
// server does not know (named [UnknownMethod]): the name came from the
// network, and the client span is named [UnknownMethod] too.
//
// ClientHandler panics if tr is nil or a name given to WithMethods is not a
// method's full name. The handler is safe for concurrent use.
func ClientHandler(tr *core.Tracer, opts ...Option) stats.Handler {
	return &clientHandler{in: newInstrumentation(tr, opts)}
}

type clientHandler struct{ in *instrumentation }

// TagRPC implements [stats.Handler]: it starts the client span, and returns
// the call's context with the span injected into its outgoing metadata.
func (h *clientHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	if h.in.traced(ctx, true) != nil { // traced by a client interceptor on the same tracer
		return ctx
	}
	if !h.in.sends(ctx, info.FullMethodName) {
		return h.in.propagate(ctx)
	}
	c, out := h.in.startClient(ctx, info.FullMethodName, "")
	c.Context = out
	return c
}

// HandleRPC implements [stats.Handler].
func (h *clientHandler) HandleRPC(ctx context.Context, s stats.RPCStats) {
	c := h.in.traced(ctx, true)
	if c == nil || c.in != h.in {
		return
	}
	switch s := s.(type) {
	case *stats.Begin:
		c.stream = s.IsClientStream || s.IsServerStream
		c.oneResponse = !s.IsServerStream
	case *stats.OutHeader:
		// The peer is known only now, after the span started: as
		// peer.address, which every tracer keeps (zipkin's takes peer.ipv4
		// and peer.port only at start).
		if s.RemoteAddr != nil && h.in.ot {
			c.span.SetTag("peer.address", h.in.addrs.box(s.RemoteAddr.String()))
		}
		h.in.serverAddress(c.span, s.RemoteAddr)
	case *stats.OutPayload:
		c.sent.Add(1)
	case *stats.InPayload:
		c.received.Add(1)
	case *stats.End:
		err := s.Error
		if err == nil && c.oneResponse && c.received.Load() == 0 {
			// gRPC says OK, but a call answered with one message cannot
			// succeed without it (gRPC itself fails such a call, Internal):
			// the call failed and gRPC lost its status on the way here. It
			// does when a request is written to a stream the server has
			// already closed (a trailers-only answer, Unimplemented, say,
			// that beats the request): SendMsg gets io.EOF, and the attempt
			// ends with it as if OK; only the caller, from RecvMsg, ever
			// sees the status.
			err = errStatusLost
		}
		c.end(err)
	}
}

// errStatusLost is the outcome of a call that gRPC reported OK to the stats
// handler though it cannot have succeeded: failed, status unknown.
var errStatusLost = status.Error(codes.Unknown, "the call failed without a response; gRPC gave the stats handler no status")

// TagConn implements [stats.Handler]; connections are not traced.
func (h *clientHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

// HandleConn implements [stats.Handler]; connections are not traced.
func (h *clientHandler) HandleConn(context.Context, stats.ConnStats) {}

// startClient starts a client span for a call of fullMethod made with ctx,
// and returns its state and ctx with the span in the outgoing metadata.
// target, if not empty, is tagged as peer.address.
func (in *instrumentation) startClient(ctx context.Context, fullMethod, target string) (*call, context.Context) {
	c := &call{in: in, client: true}
	if m, ok := in.methods.Load(fullMethod); ok {
		c.method = m.(*method) // a method this client has called before
	} else if sc := in.traced(ctx, false); sc != nil && !sc.method.known && sc.method.full == fullMethod {
		// A proxy forwarding a call its server does not know: the method
		// came from the network, and names no client span either (nor
		// enters the cache).
		c.method = sc.method
	} else {
		c.method = in.method(fullMethod, false, false)
	}
	peer := 0
	if target != "" && in.ot {
		c.tags[0] = opentracing.Tag{Key: "peer.address", Value: instrument.TagValue(in.tr, "", target)}
		peer = 1
	}
	md, ok := metadata.FromOutgoingContext(ctx) // a copy, ours to change
	var parent opentracing.SpanContext
	if span := opentracing.SpanFromContext(ctx); span != nil {
		parent = span.Context()
	} else if ok {
		// A span context injected by hand, as django_opentracing's
		// documentation shows for an RPC.
		parent, _ = in.tr.Extract(opentracing.TextMap, opentracing.HTTPHeadersCarrier(md))
	}
	var opts startOptions
	span := instrument.StartClientSpan(in.tr, &c.start, c.method.name, parent, c.startOptions(&opts, peer)...)
	if !ok {
		md = metadata.MD{}
	} else {
		in.tagMetadata(span, md)
	}
	instrument.ClearContext(in.tr, md) // a proxy's copy of its incoming metadata holds another context
	c.out = mdWriter{md: md, vals: c.vals[:0]}
	if err := instrument.Inject(in.tr, ctx, span.Context(), &c.out); err != nil {
		span.SetTag("traceplug.inject_error", err.Error())
	}
	c.span = span
	c.started.Store(true)
	return c, metadata.NewOutgoingContext(ctx, md)
}

// propagate returns ctx with the context of the span in it, if any, in the
// outgoing metadata: an untraced call does not break the trace.
func (in *instrumentation) propagate(ctx context.Context) context.Context {
	span := opentracing.SpanFromContext(ctx)
	if span == nil {
		return ctx
	}
	md, ok := metadata.FromOutgoingContext(ctx)
	if !ok {
		md = metadata.MD{}
	}
	instrument.ClearContext(in.tr, md)
	if instrument.Inject(in.tr, ctx, span.Context(), &mdWriter{md: md}) != nil {
		return ctx
	}
	return metadata.NewOutgoingContext(ctx, md)
}

// mdWriter writes a span context into gRPC metadata: keys in lower case, as
// gRPC requires, each replacing what the metadata had. A key or value gRPC
// would refuse (it fails the call) is left out: the trace is not worth the
// call.
type mdWriter struct {
	md metadata.MD
	// vals, when it has room, holds the values: the traced call's, whose
	// state outlives its metadata, so that a key costs no allocation.
	vals []string
}

func (w *mdWriter) Set(key, val string) {
	if !validKey(key) {
		key = strings.ToLower(key)
		if !validKey(key) {
			return
		}
	}
	if strings.HasSuffix(key, "-bin") || !validValue(val) {
		return
	}
	if n := len(w.vals); n < cap(w.vals) {
		w.vals = append(w.vals, val)
		w.md[key] = w.vals[n : n+1 : n+1]
		return
	}
	w.md[key] = []string{val}
}

// validKey: gRPC's metadata keys are 0-9 a-z - _ . only.
func validKey(k string) bool {
	if k == "" || k[0] == ':' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// validValue: gRPC's ASCII metadata values are printable ASCII and space.
func validValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// UnaryClientInterceptor returns an interceptor that traces the unary calls
// a gRPC client makes with tr, as [ClientHandler] does, for applications
// built on interceptors; the span also carries the connection's target as
// peer.address:
//
//	grpc.NewClient(target, grpc.WithChainUnaryInterceptor(grpctrace.UnaryClientInterceptor(tracer)), ...)
//
// Beside a ClientHandler on the same tracer, a call is traced once, by the
// interceptor. It panics as ClientHandler does.
func UnaryClientInterceptor(tr *core.Tracer, opts ...Option) grpc.UnaryClientInterceptor {
	in := newInstrumentation(tr, opts)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
		if in.traced(ctx, true) != nil {
			return invoker(ctx, method, req, reply, cc, callOpts...)
		}
		if !in.sends(ctx, method) {
			return invoker(in.propagate(ctx), method, req, reply, cc, callOpts...)
		}
		c, out := in.startClient(ctx, method, cc.Target())
		c.Context = out
		err := invoker(c, method, req, reply, cc, callOpts...)
		c.end(err)
		return err
	}
}

// StreamClientInterceptor returns an interceptor that traces the streams a
// gRPC client opens with tr, as [ClientHandler] does, counting the messages
// sent and received:
//
//	grpc.NewClient(target, grpc.WithChainStreamInterceptor(grpctrace.StreamClientInterceptor(tracer)), ...)
//
// The span ends when the stream does: RecvMsg returns io.EOF or an error (or,
// for a stream whose server sends one message, that message), SendMsg,
// Header or CloseSend fails, or the stream's context is cancelled or passes
// its deadline, or its ClientConn closes. As gRPC documents, a stream that
// the application neither reads to its end nor cancels never ends until
// then: nor does its span.
func StreamClientInterceptor(tr *core.Tracer, opts ...Option) grpc.StreamClientInterceptor {
	in := newInstrumentation(tr, opts)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
		if in.traced(ctx, true) != nil {
			return streamer(ctx, desc, cc, method, callOpts...)
		}
		if !in.sends(ctx, method) {
			return streamer(in.propagate(ctx), desc, cc, method, callOpts...)
		}
		c, out := in.startClient(ctx, method, cc.Target())
		c.Context = out
		c.stream = true
		// gRPC says when a stream fails however it does: cancelled, past
		// its deadline, its ClientConn closed, an error status read. An
		// end without error is seen by RecvMsg below, after it counted
		// the last message.
		// A slice of our own: the caller's may be shared, with room to spare.
		callOpts = append(callOpts[:len(callOpts):len(callOpts)], grpc.OnFinish(func(err error) {
			if err != nil {
				c.end(err)
			}
		}))
		cs, err := streamer(c, desc, cc, method, callOpts...)
		if err != nil {
			c.end(err)
			return nil, err
		}
		return &clientStream{ClientStream: cs, c: c, serverStreams: desc.ServerStreams}, nil
	}
}

// clientStream counts a traced stream's messages and ends its span when the
// stream ends.
type clientStream struct {
	grpc.ClientStream
	c             *call
	serverStreams bool
}

// finish ends the span, once.
func (s *clientStream) finish(err error) { s.c.end(err) }

func (s *clientStream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	switch {
	case err == nil:
		s.c.sent.Add(1)
	case err != io.EOF: // io.EOF: the stream ended; RecvMsg says how
		s.finish(err)
	}
	return err
}

func (s *clientStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	switch {
	case err == nil:
		s.c.received.Add(1)
		if !s.serverStreams {
			s.finish(nil)
		}
	case err == io.EOF:
		s.finish(nil)
	default:
		s.finish(err)
	}
	return err
}

func (s *clientStream) Header() (metadata.MD, error) {
	md, err := s.ClientStream.Header()
	if err != nil {
		s.finish(err)
	}
	return md, err
}

func (s *clientStream) CloseSend() error {
	err := s.ClientStream.CloseSend()
	if err != nil {
		s.finish(err)
	}
	return err
}
