package otlpgrpc_test

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/traceplug/traceplug/backends/otel/internal/transporttest"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	_ "github.com/traceplug/traceplug/backends/otel/otlpgrpc/otlpgrpctest" // the collector's transport "grpc", and the exporter
	"github.com/traceplug/traceplug/conformance"
)

// The tests that the otel backend passes over every OTLP transport
// (transporttest), over gRPC; the otel module's tests of the same names run
// them over HTTP.

// grpcTransport is OTLP over gRPC, for transporttest.
var grpcTransport = transporttest.Transport{
	Name: "grpc",
	StartTLS: func(t *testing.T, rec *transporttest.Recorder, conf *tls.Config) string {
		return "grpcs://" + startGRPC(t, recorder{rec: rec}, conf)
	},
	StartEcho: func(t *testing.T) string { return "grpc://" + startGRPC(t, echo{}, nil) },
}

func TestConformanceGRPC(t *testing.T) { conformance.Run(t, oteltest.Harness("grpc")) }

func TestBurstSmallQueue(t *testing.T) { transporttest.BurstSmallQueue(t, grpcTransport) }

func TestBurstQueueSized(t *testing.T) { transporttest.BurstQueueSized(t, grpcTransport) }

func TestCollectorFaultsAccounting(t *testing.T) {
	transporttest.CollectorFaultsAccounting(t, grpcTransport)
}

func TestShutdownHungCollector(t *testing.T) { transporttest.ShutdownHungCollector(t, grpcTransport) }

func TestPartialSuccess(t *testing.T) { transporttest.PartialSuccess(t, grpcTransport) }

func TestOversizedSpanLosesOnlyItself(t *testing.T) {
	transporttest.OversizedSpanLosesOnlyItself(t, grpcTransport)
}

func TestRefusedConnectionFailsFast(t *testing.T) {
	transporttest.RefusedConnectionFailsFast(t, grpcTransport)
}

func TestTLSCertificate(t *testing.T) { transporttest.TLSCertificate(t, grpcTransport) }

func TestMutualTLS(t *testing.T) { transporttest.MutualTLS(t, grpcTransport) }

func TestCertificatesOfAPlaintextEndpoint(t *testing.T) {
	transporttest.CertificatesOfAPlaintextEndpoint(t, grpcTransport)
}

func TestEnvHeaders(t *testing.T) { transporttest.EnvHeaders(t, grpcTransport) }

func TestHeadersNeverLogged(t *testing.T) { transporttest.HeadersNeverLogged(t, grpcTransport) }

func TestAdversarialOtelEveryValue(t *testing.T) {
	transporttest.AdversarialOtelEveryValue(t, grpcTransport)
}

func TestAdversarialOtelInvalidUTF8(t *testing.T) {
	transporttest.AdversarialOtelInvalidUTF8(t, grpcTransport)
}

func TestAdversarialOtelHugeAndManyTags(t *testing.T) {
	transporttest.AdversarialOtelHugeAndManyTags(t, grpcTransport)
}

func TestAdversarialOtelTimesAnd128Bit(t *testing.T) {
	transporttest.AdversarialOtelTimesAnd128Bit(t, grpcTransport)
}

func TestAdversarialOtelCloseFlushesAndLateSpans(t *testing.T) {
	transporttest.AdversarialOtelCloseFlushesAndLateSpans(t, grpcTransport)
}

// startGRPC serves svc's TraceService on 127.0.0.1, over TLS with conf
// unless it is nil, until the test ends, and returns its address.
func startGRPC(t *testing.T, svc coltracepb.TraceServiceServer, conf *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var opts []grpc.ServerOption
	if conf != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(conf)))
	}
	srv := grpc.NewServer(opts...)
	coltracepb.RegisterTraceServiceServer(srv, svc)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return ln.Addr().String()
}

// recorder is a transporttest.Recorder's TraceService: it keeps each
// request's spans, and the common name of the client's certificate.
type recorder struct {
	coltracepb.UnimplementedTraceServiceServer
	rec *transporttest.Recorder
}

func (r recorder) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	var state *tls.ConnectionState
	if p, ok := peer.FromContext(ctx); ok {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok {
			state = &info.State
		}
	}
	r.rec.Record(req.GetResourceSpans(), state)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// echo is a TraceService that refuses every call, echoing the x-api-key
// metadata, as transporttest.Transport.StartEcho says.
type echo struct {
	coltracepb.UnimplementedTraceServiceServer
}

func (echo) Export(ctx context.Context, _ *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	return nil, status.Errorf(codes.Unauthenticated, "bad key %s for tenant", strings.Join(md.Get("x-api-key"), ","))
}
