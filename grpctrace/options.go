package grpctrace

import (
	"context"
	"fmt"
	"strings"
)

// An Option configures a handler or an interceptor of this package. Options
// are applied in order; list options append.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is what the options set, frozen into an instrumentation when a
// handler or interceptor is built.
type config struct {
	methods  []string
	filter   func(ctx context.Context, fullMethod string) bool
	metadata []string
	public   bool
	publicFn func(ctx context.Context, fullMethod string) bool
}

// WithMethods names methods to trace, by full name ("/pkg.Service/Method"):
// the counterpart of [core.Tracer.Trace], django_opentracing's decorator.
//
// With trace-all off (the default of [core.WithTraceAll]), a server traces
// only the methods named here, and a client, when it is given WithMethods,
// only those too (without it, a client traces every call, as
// [core.Tracer.Transport] traces every request). With trace-all on, every
// method is traced, and WithMethods only declares names: a server names
// spans after the methods it knows (see [ServerHandler]), and these count as
// known.
//
// A name that is not of the form /service/method makes the handler or
// interceptor constructor panic: it is a wiring mistake, found at start-up.
func WithMethods(fullMethods ...string) Option {
	return optionFunc(func(c *config) { c.methods = append(c.methods, fullMethods...) })
}

// WithFilter sets a function that decides, per call, whether a method that
// would be traced is: calls for which it returns false are served (or sent)
// without a span. ctx is the call's context, with its incoming (server) or
// outgoing (client) metadata. It must be safe for concurrent use.
//
// The default is [DefaultFilter], which leaves out gRPC's health checks and
// server reflection. WithFilter replaces it: call DefaultFilter from f to
// keep those out. nil leaves the default.
func WithFilter(f func(ctx context.Context, fullMethod string) bool) Option {
	return optionFunc(func(c *config) {
		if f != nil {
			c.filter = f
		}
	})
}

// Excluded lists the method-name prefixes [DefaultFilter] leaves untraced:
// gRPC's health checking protocol (probed every few seconds by load
// balancers and orchestrators) and server reflection (grpcurl, debuggers).
var excluded = []string{
	"/grpc.health.v1.Health/",
	"/grpc.reflection.v1.ServerReflection/",
	"/grpc.reflection.v1alpha.ServerReflection/",
}

// DefaultFilter is the filter used unless [WithFilter] sets another: it
// returns false for gRPC's health checks (/grpc.health.v1.Health/) and
// server reflection (/grpc.reflection.v1.ServerReflection/ and
// v1alpha), true for every other method.
func DefaultFilter(_ context.Context, fullMethod string) bool {
	for _, p := range excluded {
		if strings.HasPrefix(fullMethod, p) {
			return false
		}
	}
	return true
}

// WithMetadata tags the values of the named metadata keys (matched in lower
// case) on server spans, from the incoming metadata, and on client spans,
// from the outgoing metadata, each as the tag rpc.grpc.request.metadata.KEY
// (several values joined by ","). No metadata is tagged by default.
//
// Values are redacted and capped as the HTTP side's traced headers are, by
// the tracer's own settings: a key that contains an entry of its redaction
// list ([core.DefaultRedactedHeaders] and [core.WithRedactedHeaders], so
// "authorization", cookies, keys, tokens) is tagged "REDACTED", never its
// value; a value longer than [core.WithMaxTagLength] is cut. Binary keys
// ("-bin") are never tagged.
func WithMetadata(keys ...string) Option {
	return optionFunc(func(c *config) {
		for _, k := range keys {
			if k = strings.ToLower(strings.TrimSpace(k)); k != "" && !strings.HasSuffix(k, "-bin") {
				c.metadata = append(c.metadata, k)
			}
		}
	})
}

// WithPublicEndpoint sets whether every call a server traces, or passes
// through untraced, came to a public endpoint (true), whose callers are
// outside the service's trust boundary, as [core.WithPublicEndpoint] says
// for a whole tracer: the server span starts a new trace, sampled by the
// tracer's own sampler whatever the call's metadata says, with a
// FollowsFrom reference (a span link, on the otel backend) to the caller's
// span context; the caller's baggage is dropped; the calls the handler
// makes carry the new trace, never the caller's, even with the incoming
// metadata copied onward. The default, false, continues the caller's trace
// unless the tracer was built with core.WithPublicEndpoint(true), which
// this option cannot undo. It has no effect on clients.
func WithPublicEndpoint(on bool) Option {
	return optionFunc(func(c *config) { c.public = on })
}

// WithPublicEndpointFn sets a function that decides, per call, whether a
// server's call came to a public endpoint, as [WithPublicEndpoint](true)
// treats it: for example, public unless the peer
// (google.golang.org/grpc/peer.FromContext(ctx)) is on the service's own
// network. ctx is the call's context, with its incoming metadata. It is
// called for each call the server traces, and for each it passes through
// untraced; it must be safe for concurrent use, and if it panics the call
// counts as public. WithPublicEndpoint(true), or the tracer's
// core.WithPublicEndpoint(true), wins over it. nil leaves the default.
func WithPublicEndpointFn(f func(ctx context.Context, fullMethod string) bool) Option {
	return optionFunc(func(c *config) { c.publicFn = f })
}

func newConfig(opts []Option) *config {
	c := &config{filter: DefaultFilter}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	return c
}

// splitMethod splits "/pkg.Service/Method" into "pkg.Service" and "Method".
func splitMethod(full string) (service, method string, ok bool) {
	rest, found := strings.CutPrefix(full, "/")
	if !found {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 || i == len(rest)-1 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

func checkMethod(full string) {
	if _, _, ok := splitMethod(full); !ok {
		panic(fmt.Sprintf("grpctrace: WithMethods(%q): a method's full name is /package.Service/Method", full))
	}
}
