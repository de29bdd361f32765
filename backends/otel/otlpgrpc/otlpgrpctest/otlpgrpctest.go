// Package otlpgrpctest serves the oteltest collector over OTLP/gRPC, with
// go.opentelemetry.io/proto/otlp's generated TraceService: importing it
// registers the transport "grpc" with oteltest, and links the otel
// backend's gRPC exporter (otlpgrpc), so that a test can export over gRPC:
//
//	import _ "github.com/traceplug/traceplug/backends/otel/otlpgrpc/otlpgrpctest"
//
//	c := oteltest.New(t) // serves HTTP and gRPC
//	tracer, _ := core.New("otel", c.Options("grpc")...)
//
// oteltest.FaultyEndpoint(t, "grpc", f) and oteltest.Harness("grpc") take
// the transport too. A request's gRPC metadata is its headers
// (oteltest.Collector.Headers), and a faulty collector's failure is the
// gRPC status Internal. The package's init only registers.
package otlpgrpctest

import (
	"context"
	"net"
	"net/http"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // the server reads gzip-compressed requests
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/traceplug/traceplug/backends/otel/oteltest"
	_ "github.com/traceplug/traceplug/backends/otel/otlpgrpc" // the exporter that speaks to this collector
	"github.com/traceplug/traceplug/conformance"
)

func init() { oteltest.RegisterTransport("grpc", oteltest.Transport{Serve: serve, Faulty: faulty}) }

// listen listens on a random port of 127.0.0.1, failing t if it cannot.
func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("otlpgrpctest: %v", err)
	}
	return ln
}

// start serves svc's TraceService on ln, and returns a function that stops
// the server and returns when it has stopped.
func start(ln net.Listener, svc coltracepb.TraceServiceServer) (stop func()) {
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, svc)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	return func() { srv.Stop(); <-done }
}

// serve is the transport's oteltest.Transport.Serve.
func serve(t testing.TB, c *oteltest.Collector) (endpoint string, stop func()) {
	ln := listen(t)
	return "grpc://" + ln.Addr().String(), start(ln, service{c: c})
}

// service hands the requests of the TraceService to an oteltest collector.
type service struct {
	coltracepb.UnimplementedTraceServiceServer
	c *oteltest.Collector
}

// Export records req in the collector, with its metadata as headers, and
// answers with the partial success the collector gives.
func (s service) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	h := http.Header{}
	md, _ := metadata.FromIncomingContext(ctx)
	for k, vs := range md {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	rejected, reason := s.c.Record(&tracepb.TracesData{ResourceSpans: req.GetResourceSpans()}, h)
	resp := &coltracepb.ExportTraceServiceResponse{}
	if rejected != 0 || reason != "" {
		resp.PartialSuccess = &coltracepb.ExportTracePartialSuccess{RejectedSpans: rejected, ErrorMessage: reason}
	}
	return resp, nil
}

// faulty is the transport's oteltest.Transport.Faulty.
func faulty(t testing.TB, f oteltest.Fault) string {
	if addr := conformance.FaultyListener(t, f); addr != "" {
		return "grpc://" + addr
	}
	ln := listen(t)
	srv := grpc.NewServer()
	done := make(chan struct{})
	t.Cleanup(func() { srv.Stop(); <-done })
	// SlowWait after the server's cleanup, which then runs first: see
	// conformance.SlowWait.
	coltracepb.RegisterTraceServiceServer(srv, faultyService{f: f, wait: conformance.SlowWait(t)})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	return "grpc://" + ln.Addr().String()
}

// faultyService is a TraceService that fails with f.
type faultyService struct {
	coltracepb.UnimplementedTraceServiceServer
	f    oteltest.Fault
	wait func(context.Context)
}

// Export fails with the service's fault.
func (s faultyService) Export(ctx context.Context, _ *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	if s.f == oteltest.Slow {
		s.wait(ctx)
		if err := ctx.Err(); err != nil {
			return nil, status.FromContextError(err).Err()
		}
		return &coltracepb.ExportTraceServiceResponse{}, nil
	}
	return nil, status.Error(codes.Internal, "collector failure")
}
