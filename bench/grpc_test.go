package bench

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	otgrpc "github.com/opentracing-contrib/go-grpc"
	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/grpctrace"
)

// BenchmarkUnary measures one unary call, client and server in one process
// over an in-memory connection (bufconn), bare (and with stats handlers that
// do nothing: gRPC's own cost of the stats API) and traced on both sides by:
//
//	jaeger/otgrpc     opentracing-contrib/go-grpc's interceptors over the
//	                  jaeger-client-go tracer of traceplug's jaeger backend
//	jaeger/otgrpc+tags  the same, adding grpctrace's tags (sameTags)
//	jaeger/traceplug  grpctrace's stats handlers over that same backend
//	jaeger/traceplug-interceptors  grpctrace's interceptors, likewise
//	otel/otelgrpc     otelgrpc's stats handlers over the OpenTelemetry SDK
//	                  TracerProvider of traceplug's otel backend (W3C)
//	otel/otelgrpc+attrs  the same, with the attributes grpctrace's spans
//	                  have and otelgrpc's do not (sameAttributes)
//	otel/traceplug    grpctrace's stats handlers over that same backend
//
// Each pair shares one tracer, sampling everything and exporting for real
// to a loopback sink that discards (jaeger: UDP datagrams; otel: OTLP/HTTP),
// so the difference within a pair is the instrumentation's own cost. Spans
// are sent when a batch is full (a datagram; 512 spans), so that sending
// them is measured, by size only, so that what a call costs does not
// depend on how fast the machine runs it (callgrind's runs are fifty times
// slower; flushing on a timer made their counts vary). Besides ns/op
// (wall time) it reports cpu-ns/op, the process's CPU time per call, which a
// busy machine disturbs far less.
func BenchmarkUnary(b *testing.B) {
	b.Run("bare", func(b *testing.B) { benchUnary(b, nil, nil) })
	b.Run("bare+noop-stats-handlers", func(b *testing.B) {
		benchUnary(b, []grpc.ServerOption{grpc.StatsHandler(noopStats{})}, []grpc.DialOption{grpc.WithStatsHandler(noopStats{})})
	})
	b.Run("jaeger/otgrpc", func(b *testing.B) {
		tr := benchJaeger(b)
		ot := tr.Unwrap()
		benchUnary(b,
			[]grpc.ServerOption{grpc.UnaryInterceptor(otgrpc.OpenTracingServerInterceptor(ot))},
			[]grpc.DialOption{grpc.WithUnaryInterceptor(otgrpc.OpenTracingClientInterceptor(ot))})
	})
	b.Run("jaeger/otgrpc+tags", func(b *testing.B) {
		tr := benchJaeger(b)
		ot := tr.Unwrap()
		benchUnary(b,
			[]grpc.ServerOption{grpc.UnaryInterceptor(otgrpc.OpenTracingServerInterceptor(ot, otgrpc.SpanDecorator(sameTags)))},
			[]grpc.DialOption{grpc.WithUnaryInterceptor(otgrpc.OpenTracingClientInterceptor(ot, otgrpc.SpanDecorator(sameTags)))})
	})
	b.Run("jaeger/traceplug", func(b *testing.B) {
		tr := benchJaeger(b)
		benchUnary(b,
			[]grpc.ServerOption{grpc.StatsHandler(grpctrace.ServerHandler(tr))},
			[]grpc.DialOption{grpc.WithStatsHandler(grpctrace.ClientHandler(tr))})
	})
	b.Run("jaeger/traceplug-interceptors", func(b *testing.B) {
		tr := benchJaeger(b)
		benchUnary(b,
			[]grpc.ServerOption{grpc.UnaryInterceptor(grpctrace.UnaryServerInterceptor(tr))},
			[]grpc.DialOption{grpc.WithUnaryInterceptor(grpctrace.UnaryClientInterceptor(tr))})
	})
	b.Run("otel/otelgrpc", func(b *testing.B) {
		tr := benchOtel(b)
		opts := []otelgrpc.Option{
			otelgrpc.WithTracerProvider(tr.Unwrap().(*otel.Tracer).TracerProvider()),
			otelgrpc.WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})),
		}
		benchUnary(b,
			[]grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(opts...))},
			[]grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler(opts...))})
	})
	b.Run("otel/otelgrpc+attrs", func(b *testing.B) {
		tr := benchOtel(b)
		opts := []otelgrpc.Option{
			otelgrpc.WithTracerProvider(tr.Unwrap().(*otel.Tracer).TracerProvider()),
			otelgrpc.WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})),
			otelgrpc.WithSpanAttributes(sameAttributes...),
		}
		benchUnary(b,
			[]grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(opts...))},
			[]grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler(opts...))})
	})
	b.Run("otel/traceplug", func(b *testing.B) {
		tr := benchOtel(b)
		benchUnary(b,
			[]grpc.ServerOption{grpc.StatsHandler(grpctrace.ServerHandler(tr))},
			[]grpc.DialOption{grpc.WithStatsHandler(grpctrace.ClientHandler(tr))})
	})
}

// noopStats is a stats handler that does nothing: what gRPC itself spends
// on any stats handler (the events, a copy of the incoming metadata).
type noopStats struct{}

func (noopStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (noopStats) HandleRPC(context.Context, stats.RPCStats)                         {}
func (noopStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (noopStats) HandleConn(context.Context, stats.ConnStats)                       {}

// sameTags makes otgrpc's spans carry the tags grpctrace's do (the peer's
// address, rpc.system, rpc.service, rpc.method and rpc.grpc.status_code),
// through its span decorator, for a comparison at equal tags: every tag
// costs the tracer's reporter its encoding.
func sameTags(ctx context.Context, span opentracing.Span, method string, _, _ any, err error) {
	service, name, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	span.SetTag("rpc.system", "grpc")
	span.SetTag("rpc.service", service)
	span.SetTag("rpc.method", name)
	span.SetTag("rpc.grpc.status_code", int(status.Code(err)))
	if p, ok := peer.FromContext(ctx); ok {
		if a, ok := p.Addr.(*net.TCPAddr); ok {
			span.SetTag("peer.ipv4", a.IP.String())
			span.SetTag("peer.port", uint16(a.Port))
		} else {
			span.SetTag("peer.address", p.Addr.String())
		}
	} else {
		span.SetTag("peer.address", "passthrough:///bufnet")
	}
}

// sameAttributes makes otelgrpc's spans carry as many attributes as
// grpctrace's, for a comparison at equal attributes, as sameTags does for
// otgrpc: grpctrace's have component and rpc.service beside otelgrpc 0.71's
// rpc.method, rpc.system.name, server.address and
// rpc.response.status_code (grpctrace's rpc.system, rpc.method, peer.address
// and rpc.grpc.status_code), 6 to its 4.
var sameAttributes = []attribute.KeyValue{
	attribute.String("component", "traceplug"),
	attribute.String("rpc.service", "grpc.testing.TestService"),
}

type benchService struct {
	testgrpc.UnimplementedTestServiceServer
}

func (benchService) EmptyCall(context.Context, *testgrpc.Empty) (*testgrpc.Empty, error) {
	return &testgrpc.Empty{}, nil
}

func benchUnary(b *testing.B, so []grpc.ServerOption, do []grpc.DialOption) {
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(so...)
	testgrpc.RegisterTestServiceServer(srv, benchService{})
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	do = append(do,
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	cc, err := grpc.NewClient("passthrough:///bufnet", do...)
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Close()
	c := testgrpc.NewTestServiceClient(cc)
	ctx := context.Background()
	in := &testgrpc.Empty{}
	if _, err := c.EmptyCall(ctx, in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		if _, err := c.EmptyCall(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// benchJaeger is traceplug's jaeger backend, trace-all, reporting over UDP
// to a socket that discards what it reads.
func benchJaeger(b *testing.B) *core.Tracer {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			if _, _, err := conn.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	tr, err := core.New("jaeger", core.WithEndpoint("udp://"+conn.LocalAddr().String()), core.WithTraceAll(true), core.WithServiceName("bench"),
		core.WithParam("flush_interval", "1h"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = tr.Close()
		_ = conn.Close()
		<-done
	})
	return tr
}

// benchOtel is traceplug's otel backend, trace-all, exporting OTLP/HTTP to
// a server that discards what it receives.
func benchOtel(b *testing.B) *core.Tracer {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	tr, err := core.New("otel", core.WithEndpoint(sink.URL+"/v1/traces"), core.WithTraceAll(true), core.WithServiceName("bench"),
		core.WithParam("export_interval", "1h"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = tr.Close()
		sink.Close()
	})
	return tr
}
