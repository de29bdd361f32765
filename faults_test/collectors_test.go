package faults_test

import (
	"context"
	"net"
	"testing"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/traceplug/traceplug/backends/otel/oteltest"
	_ "github.com/traceplug/traceplug/backends/otel/otlpgrpc/otlpgrpctest" // oteltest's transport "grpc", and the gRPC exporter
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// fault is a way for a collector to fail, as conformance names them.
type fault = conformance.Fault

// A target is how to stand a failing collector where a backend, over one
// transport, sends: the backends and transports themselves are the
// conformance harnesses' (builtin.Harnesses).
type target struct {
	opts []core.Option
	// endpoint starts a collector failing with f and returns the endpoint to
	// give the backend, or "" when f means nothing for this transport.
	endpoint func(t *testing.T, f fault) string
}

// targets are keyed by harness name.
var targets = map[string]target{
	"jaeger/udp":     {endpoint: udpEndpoint},
	"jaeger/http":    {endpoint: func(t *testing.T, f fault) string { return conformance.FaultyHTTP(t, f) + "/api/traces" }},
	"zipkin":         {endpoint: func(t *testing.T, f fault) string { return conformance.FaultyHTTP(t, f) + "/api/v2/spans" }},
	"lightstep/http": {opts: []core.Option{core.WithParam("transport", "http")}, endpoint: func(t *testing.T, f fault) string { return conformance.FaultyHTTP(t, f) }},
	"lightstep/grpc": {opts: []core.Option{core.WithParam("transport", "grpc")}, endpoint: grpcEndpoint},
	"otel/http":      {endpoint: func(t *testing.T, f fault) string { return oteltest.FaultyEndpoint(t, "http", f) }},
	"otel/grpc":      {endpoint: func(t *testing.T, f fault) string { return oteltest.FaultyEndpoint(t, "grpc", f) }},
}

// udpEndpoint is udp://HOST:PORT of an agent failing with f: nothing there,
// or a socket nobody reads (whose buffer fills, and the kernel drops). UDP
// has no answers, slow or failing.
func udpEndpoint(t *testing.T, f fault) string {
	switch f {
	case conformance.Down:
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		addr := c.LocalAddr().String()
		c.Close()
		return "udp://" + addr
	case conformance.Silent:
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return "udp://" + c.LocalAddr().String()
	}
	return ""
}

// grpcEndpoint is http://HOST:PORT (plaintext) of a lightstep gRPC collector
// failing with f.
func grpcEndpoint(t *testing.T, f fault) string {
	if addr := conformance.FaultyListener(t, f); addr != "" {
		return "http://" + addr
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	done := make(chan struct{})
	t.Cleanup(func() { srv.Stop(); <-done })
	collectorpb.RegisterCollectorServiceServer(srv, failingCollector{f: f, wait: conformance.SlowWait(t)})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String()
}

type failingCollector struct {
	f    fault
	wait func(context.Context)
}

func (c failingCollector) Report(ctx context.Context, _ *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	if c.f == conformance.Slow {
		c.wait(ctx)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return &collectorpb.ReportResponse{}, nil
	}
	return nil, status.Error(codes.Internal, "collector failure")
}
