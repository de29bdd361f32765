// Package grpctrace traces gRPC servers and clients with a traceplug
// [core.Tracer]: the same tracer, backend, propagation formats, limits and
// redaction as the HTTP middleware, so that one trace crosses HTTP and gRPC
// services alike.
//
// It is its own module (github.com/traceplug/traceplug/grpctrace), so that
// gRPC never enters the dependencies of a program that does not use it.
//
// # Stats handlers
//
// gRPC's stats handlers are the way current grpc-go recommends to
// instrument a server or a client: they see every call, its messages, and
// how it ends.
//
//	tracer, err := core.New("jaeger", core.WithServiceName("orders"), core.WithTraceAll(true))
//	if err != nil { ... }
//	defer tracer.Close() // flushes buffered spans
//
//	srv := grpc.NewServer(grpc.StatsHandler(grpctrace.ServerHandler(tracer)))
//	conn, err := grpc.NewClient(target,
//		grpc.WithStatsHandler(grpctrace.ClientHandler(tracer)),
//		grpc.WithTransportCredentials(insecure.NewCredentials()))
//
// For applications built on interceptors there are [UnaryServerInterceptor],
// [StreamServerInterceptor], [UnaryClientInterceptor] and
// [StreamClientInterceptor]. The server interceptors also record a handler's
// panic, which a stats handler cannot see; installed beside a handler on the
// same tracer, they trace nothing twice.
//
// # What gets traced
//
// As for HTTP (and django_opentracing), either every call is traced
// ([core.WithTraceAll](true)) or only the methods the application names with
// [WithMethods], the decorator's counterpart:
//
//	grpctrace.ServerHandler(tracer, grpctrace.WithMethods("/shop.Orders/Place", "/shop.Orders/Cancel"))
//
// A client traces every call it makes, as [core.Tracer.Transport] traces
// every request, unless trace-all is off and it is given WithMethods. By
// default gRPC's health checks (/grpc.health.v1.Health/) and server
// reflection (/grpc.reflection.v1.ServerReflection/, v1alpha) are never
// traced: they are probes, not work. [WithFilter] replaces that rule
// ([DefaultFilter]) with the application's own.
//
// # Spans
//
// A server span per served call, a client span per call (per attempt, when
// gRPC retries), from start to end: for a stream, its whole life, ending
// however it ends (the last message, an error status, the client's
// cancellation or deadline, its ClientConn closing). Each is named after the
// full method, "/package.Service/Method" (on a server, only a method it
// knows, and on a proxy's client only a method its server knows: see
// [ServerHandler], [ClientHandler] and [UnknownMethod]), and tagged:
//
//	span.kind                    server or client
//	component                    traceplug
//	rpc.system                   grpc
//	rpc.service, rpc.method      "package.Service", "Method"
//	rpc.grpc.status_code         the status code, as a number (0 for OK)
//	error                        true on a server for Unknown, DeadlineExceeded,
//	                             Unimplemented, Internal, Unavailable and DataLoss;
//	                             on a client for every code but OK (OpenTelemetry's
//	                             semantic conventions), with an error log: event,
//	                             error.kind (the code's name) and message (the
//	                             status message, capped)
//	peer.ipv4 or peer.ipv6 and   on a server span, the client's address (peer.address
//	peer.port, or peer.address   when it is not an IP address: a Unix socket, bufconn)
//	peer.address                 on a client span, the server's address once
//	                             connected (a client interceptor's: the target)
//	rpc.grpc.messages_sent,      on streams: the messages the side sent and
//	rpc.grpc.messages_received   received
//	rpc.grpc.request.metadata.K  only for the keys named by [WithMetadata],
//	                             redacted and capped as HTTP headers are
//	traceplug.extract_error      on a server span whose incoming context was
//	                             malformed: the span is a new root, the call is served
//
// A handler's panic, under the server interceptors, adds error=true and an
// error log with the message, finishes the span and goes on.
//
// Those are OpenTracing's conventions, the default of every backend but
// otel. In OpenTelemetry's (the otel backend's default, or
// core.WithConventions("opentelemetry")), spans are what otelgrpc writes:
// named "package.Service/Method", with rpc.system.name=grpc, rpc.method
// ("package.Service/Method"), server.address and server.port (the server's
// address, on both sides; the client interceptor writes none), and
// rpc.response.status_code ("OK", "NOT_FOUND", ...); an error by the rules
// above sets the status to ERROR with the status message; no component,
// peer, message counts or error log. docs/attributes.md has the table.
//
// # Propagation
//
// The trace travels in the call's metadata, in every format of the tracer's
// [core.WithPropagation] list (the backend's native one by default), through
// the tracer's Inject and Extract over a TextMap carrier: the same headers
// as HTTP, with lower-case keys as gRPC requires. A server continues the
// first valid context among the listed formats, with its baggage within
// [core.WithBaggageLimits]; malformed metadata starts a new root trace,
// tagged traceplug.extract_error, and the call is served. The server span is
// in the handler's context ([opentracing.SpanFromContext]), and client calls
// made from a traced HTTP handler or a traced call are its children, as
// [core.Tracer.Transport]'s requests are. A span context injected into the
// outgoing metadata by hand (as django_opentracing's documentation shows
// for an RPC) is continued too.
//
// A call that is not traced still passes its trace on, as
// [core.Tracer.Middleware] passes an untraced request's: a server call left
// out (trace-all off and the method not named by [WithMethods], or
// filtered out) records nothing, but its handler's context carries the
// trace of its metadata, with the caller's sampling decision, so the calls
// the handler makes continue the caller's trace, sampled or not, rather
// than start new ones. A traced call that the tracer's sampler leaves out
// ([core.WithSampler], [core.WithSampleRate]) is the same: no span is
// recorded or counted in [core.Tracer.Stats], and the calls made under it
// carry its trace, marked not sampled (a new trace's ids included, when it
// came with none), as OpenTelemetry's non-recording spans do.
//
// A server whose callers are outside the service's trust boundary is a
// public endpoint: with core.WithPublicEndpoint(true) on the tracer, or
// [WithPublicEndpoint] or [WithPublicEndpointFn] on the server's handler or
// interceptor, a call's server span starts a new trace, sampled by the
// tracer's own sampler whatever the metadata says, with a FollowsFrom
// reference (a span link on the otel backend) to the caller's span; the
// caller's baggage is dropped, and the calls the handler makes carry the new
// trace, never the caller's, even with the incoming metadata forwarded.
//
// # Metadata
//
// No metadata is tagged unless [WithMetadata] names keys; then a key whose
// name contains an entry of the tracer's redaction list ("authorization",
// cookies, keys, tokens, ...) is tagged REDACTED, and values are capped at
// [core.WithMaxTagLength], exactly as HTTP's traced headers.
package grpctrace
