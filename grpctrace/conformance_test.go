package grpctrace_test

import (
	"testing"

	_ "github.com/traceplug/traceplug/backends/jaeger"
	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	_ "github.com/traceplug/traceplug/backends/lightstep"
	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	"github.com/traceplug/traceplug/backends/mock/mocktest"
	_ "github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	_ "github.com/traceplug/traceplug/backends/zipkin"
	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"github.com/traceplug/traceplug/grpctrace/grpcconformance"
)

// The gRPC contract over every built-in backend and transport, read back
// from each backend's in-process collector.

func TestConformanceMock(t *testing.T)       { grpcconformance.Run(t, mocktest.Harness()) }
func TestConformanceJaegerUDP(t *testing.T)  { grpcconformance.Run(t, jaegertest.Harness("udp")) }
func TestConformanceJaegerHTTP(t *testing.T) { grpcconformance.Run(t, jaegertest.Harness("http")) }
func TestConformanceZipkin(t *testing.T)     { grpcconformance.Run(t, zipkintest.Harness()) }
func TestConformanceLightstepHTTP(t *testing.T) {
	grpcconformance.Run(t, lightsteptest.Harness("http"))
}
func TestConformanceLightstepGRPC(t *testing.T) {
	grpcconformance.Run(t, lightsteptest.Harness("grpc"))
}
func TestConformanceOtelHTTP(t *testing.T) { grpcconformance.Run(t, oteltest.Harness("http")) }
func TestConformanceOtelGRPC(t *testing.T) { grpcconformance.Run(t, oteltest.Harness("grpc")) }
