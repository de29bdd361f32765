package oteltest

import (
	"context"
	"net"
	"testing"

	"github.com/traceplug/traceplug/conformance"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A Fault is a way for a collector to fail: conformance's, so that every
// backend's fault tests speak of the same faults.
type Fault = conformance.Fault

// The faults a collector started by [FaultyEndpoint] can have.
const (
	// Down: nothing listens on the endpoint.
	Down = conformance.Down
	// Silent: connections are accepted, and never read or answered.
	Silent = conformance.Silent
	// Slow: every request is answered with success after 5s.
	Slow = conformance.Slow
	// Failing: every request is answered with an error at once (HTTP 500,
	// gRPC Internal).
	Failing = conformance.Failing
)

// FaultyEndpoint starts a collector on 127.0.0.1 failing with f over
// transport "http" or "grpc", stopped when the test ends, and returns its
// endpoint for core.WithEndpoint.
func FaultyEndpoint(t testing.TB, transport string, f Fault) string {
	t.Helper()
	if transport != "grpc" {
		return conformance.FaultyHTTP(t, f) + "/v1/traces"
	}
	if addr := conformance.FaultyListener(t, f); addr != "" {
		return "grpc://" + addr
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("oteltest: %v", err)
	}
	srv := grpc.NewServer()
	done := make(chan struct{})
	t.Cleanup(func() { srv.Stop(); <-done })
	coltracepb.RegisterTraceServiceServer(srv, faultyService{f: f, wait: conformance.SlowWait(t)})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	return "grpc://" + ln.Addr().String()
}

type faultyService struct {
	coltracepb.UnimplementedTraceServiceServer
	f    Fault
	wait func(context.Context)
}

func (s faultyService) Export(ctx context.Context, _ *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	if s.f == Slow {
		s.wait(ctx)
		if err := ctx.Err(); err != nil {
			return nil, status.FromContextError(err).Err()
		}
		return &coltracepb.ExportTraceServiceResponse{}, nil
	}
	return nil, status.Error(codes.Internal, "collector failure")
}
