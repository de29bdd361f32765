package grpctrace

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/opentracing/opentracing-go"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/instrument"
)

// UnknownMethod names the server span of a call to a method the server does
// not know (see [ServerHandler]): its name came from the network, and a span
// name must not take arbitrary values.
const UnknownMethod = "grpc.unknown_method"

// maxCachedMethods bounds the methods whose names and tag values an
// instrumentation keeps, so that a client forwarding arbitrary methods (a
// proxy) cannot grow it without end.
const maxCachedMethods = 4096

// instrumentation is what a handler or an interceptor reads on every call,
// frozen when it is built.
type instrumentation struct {
	tr       *core.Tracer
	traceAll bool
	named    map[string]bool
	filter   func(ctx context.Context, fullMethod string) bool
	metadata []metadataTag
	// public and publicFn say which server calls come to a public
	// endpoint (WithPublicEndpoint, WithPublicEndpointFn).
	public   bool
	publicFn func(ctx context.Context, fullMethod string) bool
	// hook puts a span in a context for a backend that keeps spans in
	// contexts of its own (OpenTelemetry's bridge).
	hook opentracing.TracerContextWithSpanExtension

	methods sync.Map // full method name -> *method
	cached  atomic.Int64

	// keys are ctxKey{tr, false} and ctxKey{tr, true}, boxed once: a
	// two-word key converted to an interface on every lookup would allocate.
	keys [2]any

	addrs addrCache // peer.address values, boxed

	// The tracer's conventions (core.WithConventions): ot writes
	// OpenTracing's tags, otel OpenTelemetry's attributes (as otelgrpc
	// writes them), otelRun names spans and sets their status as
	// OpenTelemetry's conventions do.
	ot, otel, otelRun bool
}

type metadataTag struct{ key, tag string }

func newInstrumentation(tr *core.Tracer, opts []Option) *instrumentation {
	if tr == nil {
		panic("grpctrace: a nil *core.Tracer")
	}
	c := newConfig(opts)
	in := &instrumentation{tr: tr, traceAll: tr.TraceAll(), filter: c.filter, public: c.public, publicFn: c.publicFn}
	names, both := instrument.Conventions(tr)
	in.otelRun = names == backend.ConventionsOpenTelemetry
	in.ot, in.otel = !in.otelRun || both, in.otelRun || both
	for _, m := range c.methods {
		checkMethod(m)
		if in.named == nil {
			in.named = map[string]bool{}
		}
		in.named[m] = true
	}
	for _, k := range c.metadata {
		in.metadata = append(in.metadata, metadataTag{key: k, tag: "rpc.grpc.request.metadata." + k})
	}
	in.hook, _ = tr.Unwrap().(opentracing.TracerContextWithSpanExtension)
	in.keys = [2]any{ctxKey{tr, false}, ctxKey{tr, true}}
	return in
}

// serves reports whether a server traces a call of fullMethod: with trace-all
// on, every method; else the named ones; either way only those the filter
// lets through.
func (in *instrumentation) serves(ctx context.Context, fullMethod string) bool {
	if !in.traceAll && !in.named[fullMethod] {
		return false
	}
	return in.filter(ctx, fullMethod)
}

// publicCall reports whether a server call of fullMethod came to a public
// endpoint by this package's options (the tracer's own
// core.WithPublicEndpoint applies in core besides). A panic in the user's
// function makes the call public, the safe answer.
func (in *instrumentation) publicCall(ctx context.Context, fullMethod string) (public bool) {
	if in.public {
		return true
	}
	if in.publicFn == nil {
		return false
	}
	defer func() {
		if recover() != nil {
			public = true
		}
	}()
	return in.publicFn(ctx, fullMethod)
}

// sends reports whether a client traces a call of fullMethod: every method,
// or with trace-all off and methods named, the named ones; only those the
// filter lets through.
func (in *instrumentation) sends(ctx context.Context, fullMethod string) bool {
	if !in.traceAll && in.named != nil && !in.named[fullMethod] {
		return false
	}
	return in.filter(ctx, fullMethod)
}

// method is what spans of one method are named and tagged with, built once
// per method.
type method struct {
	name  string
	full  string // the full method name, as the call gave it
	known bool
	// tags are rpc.system, rpc.service and rpc.method (OpenTracing's
	// conventions), or rpc.system.name and rpc.method (OpenTelemetry's),
	// given at start one by one (as an opentracing.Tags map, a tracer
	// would iterate a map); the first ntags are set.
	tags  [4]opentracing.Tag
	ntags int
}

// method returns the name and tags of fullMethod's spans. On a server
// (server true), a method is named after itself only when it is known:
// named by WithMethods, described by a protobuf service linked into the
// program (protoc-gen-go registers every generated file), or, for the
// interceptors, routed to a registered service (registered true). Any other
// name came from the network (a server's grpc.UnknownServiceHandler sees
// every method a client makes up), and the span is named [UnknownMethod],
// the tags holding the method's name capped.
func (in *instrumentation) method(fullMethod string, server, registered bool) *method {
	if m, ok := in.methods.Load(fullMethod); ok {
		if m := m.(*method); m.known || !server {
			return m
		}
	}
	svc, meth, ok := splitMethod(fullMethod)
	if !ok {
		svc, meth = fullMethod, ""
	}
	m := &method{name: fullMethod, full: fullMethod}
	if in.ot {
		m.tags[0] = opentracing.Tag{Key: "rpc.system", Value: "grpc"}
		m.tags[1] = opentracing.Tag{Key: "rpc.service", Value: instrument.TagValue(in.tr, "", svc)}
		m.ntags = 2
		if !in.otelRun { // with both, rpc.method is the conventions' whose names the spans have
			m.tags[2] = opentracing.Tag{Key: "rpc.method", Value: instrument.TagValue(in.tr, "", meth)}
			m.ntags = 3
		}
	}
	if in.otel {
		// otelgrpc's: the full method without its leading "/", which is
		// also the span's name; none for a method not in that form.
		m.tags[m.ntags] = opentracing.Tag{Key: "rpc.system.name", Value: "grpc"}
		m.ntags++
		if full, ok := strings.CutPrefix(fullMethod, "/"); ok && (in.otelRun || !in.ot) {
			m.tags[m.ntags] = opentracing.Tag{Key: "rpc.method", Value: instrument.TagValue(in.tr, "", full)}
			m.ntags++
		}
		if in.otelRun {
			m.name = strings.TrimPrefix(fullMethod, "/")
		}
	}
	if server {
		m.known = ok && (in.named[fullMethod] || registered || described(svc, meth))
		if !m.known {
			m.name = UnknownMethod
			return m // never cached: the network chose it
		}
	} else if len(m.name) > 256 {
		m.name = instrument.TagValue(in.tr, "", m.name)
	}
	if in.cached.Add(1) <= maxCachedMethods {
		in.methods.Store(fullMethod, m)
	}
	return m
}

// described reports whether a protobuf service linked into the program has
// the method.
func described(service, method string) bool {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
	if err != nil {
		return false
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	return ok && sd.Methods().ByName(protoreflect.Name(method)) != nil
}

// peerTags sets the tags that say who the peer is, into tags, and returns
// how many: peer.ipv4 or peer.ipv6 and peer.port for an IP address,
// peer.address for any other (a Unix socket, bufconn).
func (in *instrumentation) peerTags(addr net.Addr, tags *[2]opentracing.Tag) int {
	if addr == nil || !in.ot {
		return 0 // OpenTelemetry's conventions (otelgrpc's) have no peer
	}
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP != nil {
		key := "peer.ipv6"
		if tcp.IP.To4() != nil {
			key = "peer.ipv4"
		}
		tags[0] = opentracing.Tag{Key: key, Value: tcp.IP.String()}
		tags[1] = opentracing.Tag{Key: "peer.port", Value: uint16(tcp.Port)}
		return 2
	}
	tags[0] = opentracing.Tag{Key: "peer.address", Value: in.addrs.box(addr.String())}
	return 1
}

// addrCache holds peer addresses as tag values: every call on a connection
// is tagged with the same address, and a string made a tag value (an
// interface) is a new allocation each time. A slot holds the address last
// boxed among those that hash to it.
type addrCache [16]atomic.Pointer[boxedAddr]

type boxedAddr struct {
	s string
	v any // s
}

// box returns s as a tag value.
func (a *addrCache) box(s string) any {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	slot := &a[h%uint32(len(a))]
	if b := slot.Load(); b != nil && b.s == s {
		return b.v
	}
	b := &boxedAddr{s: s, v: s}
	slot.Store(b)
	return b.v
}

// serverAddress tags span with server.address and server.port, the
// server's address, as otelgrpc does, in OpenTelemetry's conventions.
func (in *instrumentation) serverAddress(span opentracing.Span, addr net.Addr) {
	if !in.otel || addr == nil {
		return
	}
	hostport := addr.String()
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		span.SetTag("server.address", instrument.TagValue(in.tr, "", hostport))
		return
	}
	span.SetTag("server.address", instrument.TagValue(in.tr, "", host))
	if p, err := strconv.Atoi(port); err == nil {
		span.SetTag("server.port", p)
	}
}

// tagMetadata tags span with the metadata WithMetadata names.
func (in *instrumentation) tagMetadata(span opentracing.Span, md map[string][]string) {
	for _, m := range in.metadata {
		if vs := md[m.key]; len(vs) > 0 {
			span.SetTag(m.tag, instrument.TagValue(in.tr, m.key, strings.Join(vs, ",")))
		}
	}
}
