package grpctrace

import (
	"context"

	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"

	"github.com/traceplug/traceplug/core"
)

// ServerHandler returns a [stats.Handler] that traces the calls a gRPC
// server serves with tr, installed with grpc.StatsHandler:
//
//	srv := grpc.NewServer(grpc.StatsHandler(grpctrace.ServerHandler(tracer)))
//
// With trace-all on ([core.WithTraceAll]), every call is traced; with it off
// (the default), only the methods named by [WithMethods]. Either way
// [WithFilter] has the last word; by default gRPC's health checks and
// reflection are not traced ([DefaultFilter]).
//
// Each traced call gets one server span, from the moment the server routes
// it to its handler until the handler returns (for a stream, its whole
// life), continuing the trace in the call's metadata in the tracer's
// propagation formats ([core.WithPropagation]). The span is in the handler's
// context ([opentracing.SpanFromContext]), so client calls made with that
// context through [ClientHandler] or [UnaryClientInterceptor] are its
// children. See the package documentation for its name and tags.
//
// A call it does not trace, or whose trace the tracer's sampler leaves out,
// records nothing, but its handler's context carries the trace that came in
// the call's metadata, with the caller's sampling decision, so that the
// calls the handler makes continue that trace
// ([instrument.ContextWithIncoming]).
//
// A call to a method the server does not have is never routed, and gets no
// span (the client's span says Unimplemented), unless the server has a
// grpc.UnknownServiceHandler: then the span is named [UnknownMethod]. A
// stats handler does not see the server, and tells such a call from a
// registered method's by its shape: unary calls and one-way streams are
// registered (the unknown service handler's are bidirectional), and a
// bidirectional stream is named after its method if the method is known
// (named by WithMethods or described by a protobuf service linked into the
// program: a service registered without a descriptor, as other codecs'
// generated code does, needs WithMethods for its bidirectional streams).
//
// A stats handler cannot see a handler's panic: use
// [UnaryServerInterceptor] and [StreamServerInterceptor] as well, or alone,
// to record panics. With both, a call is traced once.
//
// ServerHandler panics if tr is nil or a name given to WithMethods is not a
// method's full name. The handler is safe for concurrent use.
func ServerHandler(tr *core.Tracer, opts ...Option) stats.Handler {
	return &serverHandler{in: newInstrumentation(tr, opts)}
}

type serverHandler struct{ in *instrumentation }

// TagRPC implements [stats.Handler]: a traced call's context becomes its
// state. The span starts at Begin, which only calls routed to a handler get
// (an unknown method's call gets no End either).
func (h *serverHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	if h.in.traced(ctx, false) != nil {
		return ctx
	}
	if !h.in.serves(ctx, info.FullMethodName) {
		return h.in.passOn(ctx, info.FullMethodName)
	}
	return &call{Context: ctx, in: h.in, method: h.in.method(info.FullMethodName, true, false)}
}

// HandleRPC implements [stats.Handler].
func (h *serverHandler) HandleRPC(ctx context.Context, s stats.RPCStats) {
	c := h.in.traced(ctx, false)
	if c == nil || c.in != h.in {
		return
	}
	switch s := s.(type) {
	case *stats.InHeader:
		c.md = s.Header
		c.local = s.LocalAddr
		if p, ok := c.Context.Value(connKey{}).(*connPeer); ok {
			c.peer = p
		} else {
			c.npeer = h.in.peerTags(s.RemoteAddr, &c.tags)
		}
	case *stats.Begin:
		if c.started.Load() {
			return
		}
		c.stream = s.IsClientStream || s.IsServerStream
		if !c.method.known && !(s.IsClientStream && s.IsServerStream) {
			// Not bidirectional, so not the unknown service handler's:
			// a registered method, named after itself.
			c.method = h.in.method(c.method.full, true, true)
		}
		c.startServer(c.npeer)
	case *stats.InPayload:
		c.received.Add(1)
	case *stats.OutPayload:
		c.sent.Add(1)
	case *stats.End:
		c.end(s.Error)
	}
}

// TagConn implements [stats.Handler]: connections are not traced, but the
// tags that name the peer are made once per connection.
func (h *serverHandler) TagConn(ctx context.Context, info *stats.ConnTagInfo) context.Context {
	p := &connPeer{}
	p.n = h.in.peerTags(info.RemoteAddr, &p.tags)
	return context.WithValue(ctx, connKey{}, p)
}

// connPeer is a connection's peer tags, shared by its calls, read-only.
type connPeer struct {
	tags [2]opentracing.Tag
	n    int
}

type connKey struct{}

// HandleConn implements [stats.Handler]; connections are not traced.
func (h *serverHandler) HandleConn(context.Context, stats.ConnStats) {}

// UnaryServerInterceptor returns an interceptor that traces the unary calls
// a gRPC server serves with tr, as [ServerHandler] does, for applications
// built on interceptors:
//
//	grpc.NewServer(grpc.ChainUnaryInterceptor(grpctrace.UnaryServerInterceptor(tracer)))
//
// It also records a handler's panic on the span (error=true and an error
// log with the message), finishes the span, and re-raises the panic. Beside
// ServerHandler on the same tracer, it traces nothing twice: it records the
// panics of the calls the handler traces. It panics as ServerHandler does.
func UnaryServerInterceptor(tr *core.Tracer, opts ...Option) grpc.UnaryServerInterceptor {
	in := newInstrumentation(tr, opts)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if c := in.tracedByHandler(ctx); c != nil {
			defer c.recordPanic()
			return handler(ctx, req)
		}
		if !in.serves(ctx, info.FullMethod) {
			return handler(in.passOn(ctx, info.FullMethod), req)
		}
		// gRPC calls unary interceptors only for registered methods (the
		// unknown service handler is a stream).
		c := in.startIntercepted(ctx, info.FullMethod, true, true)
		defer c.recordPanic()
		resp, err := handler(c, req)
		c.end(err)
		return resp, err
	}
}

// StreamServerInterceptor returns an interceptor that traces the streams a
// gRPC server serves with tr, as [ServerHandler] does, counting the messages
// the handler sends and receives, and recording a panic as
// [UnaryServerInterceptor] does:
//
//	grpc.NewServer(grpc.ChainStreamInterceptor(grpctrace.StreamServerInterceptor(tracer)))
//
// A stream handled by a grpc.UnknownServiceHandler is named [UnknownMethod]
// unless the method is known (see [ServerHandler]).
func StreamServerInterceptor(tr *core.Tracer, opts ...Option) grpc.StreamServerInterceptor {
	in := newInstrumentation(tr, opts)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx := ss.Context()
		if c := in.tracedByHandler(ctx); c != nil {
			defer c.recordPanic()
			return handler(srv, ss)
		}
		if !in.serves(ctx, info.FullMethod) {
			if out := in.passOn(ctx, info.FullMethod); out != ctx {
				ss = &untracedStream{ServerStream: ss, ctx: out}
			}
			return handler(srv, ss)
		}
		// A registered service's handler gets its implementation; the
		// unknown service handler gets nil.
		c := in.startIntercepted(ctx, info.FullMethod, true, srv != nil)
		c.stream = true
		defer c.recordPanic()
		err := handler(srv, &serverStream{ServerStream: ss, c: c})
		c.end(err)
		return err
	}
}

// tracedByHandler returns the state of a call a ServerHandler (or another
// interceptor) on the same tracer traces, or nil.
func (in *instrumentation) tracedByHandler(ctx context.Context) *call {
	c, _ := ctx.Value(in.key(false)).(*call)
	return c
}

// startIntercepted starts a traced call's span for an interceptor, with the
// call's incoming metadata and peer.
func (in *instrumentation) startIntercepted(ctx context.Context, fullMethod string, server, registered bool) *call {
	md, _ := metadata.FromIncomingContext(ctx)
	c := &call{Context: ctx, in: in, md: md, method: in.method(fullMethod, server, registered)}
	n := 0
	if p, ok := peer.FromContext(ctx); ok {
		n = in.peerTags(p.Addr, &c.tags)
		c.local = p.LocalAddr
	}
	c.startServer(n)
	if spanKey == nil {
		c.Context = opentracing.ContextWithSpan(c.Context, c.span)
	}
	return c
}

// recordPanic records a panic on the call's span, finishes it and re-raises
// the panic; deferred, it does nothing when there is none.
func (c *call) recordPanic() {
	if v := recover(); v != nil {
		c.panicked(v)
		panic(v)
	}
}

// serverStream counts the messages a traced stream's handler sends and
// receives, and gives it the call's context.
type serverStream struct {
	grpc.ServerStream
	c *call
}

func (s *serverStream) Context() context.Context { return s.c }

func (s *serverStream) SendMsg(m any) error {
	err := s.ServerStream.SendMsg(m)
	if err == nil {
		s.c.sent.Add(1)
	}
	return err
}

func (s *serverStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil {
		s.c.received.Add(1)
	}
	return err
}
