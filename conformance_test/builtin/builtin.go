// Package builtin lists the conformance harnesses of traceplug's built-in
// backends, one per transport, for the test modules that run something over
// every backend: the conformance suite here, the fault tests in faults_test.
// Importing it links every built-in backend.
package builtin

import (
	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	"github.com/traceplug/traceplug/backends/mock/mocktest"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"github.com/traceplug/traceplug/conformance"

	_ "github.com/traceplug/traceplug/backends/jaeger"
	_ "github.com/traceplug/traceplug/backends/lightstep"
	_ "github.com/traceplug/traceplug/backends/otel"
	_ "github.com/traceplug/traceplug/backends/otel/otlpgrpc/otlpgrpctest" // oteltest's transport "grpc", and the gRPC exporter
	_ "github.com/traceplug/traceplug/backends/zipkin"
)

// Harnesses returns a harness for every built-in backend over every
// transport, named backend/transport ("jaeger/udp").
func Harnesses() []conformance.Harness {
	return []conformance.Harness{
		mocktest.Harness(),
		jaegertest.Harness("udp"),
		jaegertest.Harness("http"),
		zipkintest.Harness(),
		lightsteptest.Harness("http"),
		lightsteptest.Harness("grpc"),
		oteltest.Harness("http"),
		oteltest.Harness("grpc"),
	}
}
