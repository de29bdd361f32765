package conformance_test

import (
	_ "github.com/traceplug/traceplug/backends/jaeger"
	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	_ "github.com/traceplug/traceplug/backends/lightstep"
	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	_ "github.com/traceplug/traceplug/backends/zipkin"
	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"testing"

	"github.com/traceplug/traceplug/backends/mock/mocktest"
	"github.com/traceplug/traceplug/conformance"
)

func TestMock(t *testing.T) { conformance.Run(t, mocktest.Harness()) }

func TestJaegerUDP(t *testing.T)  { conformance.Run(t, jaegertest.Harness("udp")) }
func TestJaegerHTTP(t *testing.T) { conformance.Run(t, jaegertest.Harness("http")) }

func TestZipkin(t *testing.T) { conformance.Run(t, zipkintest.Harness()) }

func TestLightstepHTTP(t *testing.T) { conformance.Run(t, lightsteptest.Harness("http")) }
func TestLightstepGRPC(t *testing.T) { conformance.Run(t, lightsteptest.Harness("grpc")) }
