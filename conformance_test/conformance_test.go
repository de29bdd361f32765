package conformance_test

import (
	"testing"

	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	"github.com/traceplug/traceplug/backends/mock/mocktest"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"github.com/traceplug/traceplug/conformance"

	_ "github.com/traceplug/traceplug/backends/jaeger"
	_ "github.com/traceplug/traceplug/backends/lightstep"
	_ "github.com/traceplug/traceplug/backends/otel"
	_ "github.com/traceplug/traceplug/backends/zipkin"
)

func TestMock(t *testing.T) { conformance.Run(t, mocktest.Harness()) }

func TestJaegerUDP(t *testing.T)  { conformance.Run(t, jaegertest.Harness("udp")) }
func TestJaegerHTTP(t *testing.T) { conformance.Run(t, jaegertest.Harness("http")) }

func TestZipkin(t *testing.T) { conformance.Run(t, zipkintest.Harness()) }

func TestLightstepHTTP(t *testing.T) { conformance.Run(t, lightsteptest.Harness("http")) }
func TestLightstepGRPC(t *testing.T) { conformance.Run(t, lightsteptest.Harness("grpc")) }

func TestOtelHTTP(t *testing.T) { conformance.Run(t, oteltest.Harness("http")) }
func TestOtelGRPC(t *testing.T) { conformance.Run(t, oteltest.Harness("grpc")) }
