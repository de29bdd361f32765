package oteltest

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// Harness describes the otel backend over transport "http" (OTLP
// HTTP/protobuf) or "grpc" (OTLP gRPC, with otlpgrpctest imported) to the
// conformance suite.
func Harness(transport string) conformance.Harness {
	return conformance.Harness{
		Name:    "otel/" + transport,
		Backend: "otel",
		// The suite's contract is written in OpenTracing's tags; the
		// backend's own conventions, OpenTelemetry's, are held to what
		// otelhttp and otelgrpc write, side by side, in
		// interop/semconv_test.go.
		Options: []core.Option{core.WithConventions("opentracing")},
		Start: func(t *testing.T) conformance.Collector {
			return &transportCollector{Collector: New(t), transport: transport}
		},
		MalformedHeaders: MalformedHeaders(),
		QueueSize: func(n int) []core.Option {
			return []core.Option{core.WithParam("queue_size", strconv.Itoa(n))}
		},
	}
}

// transportCollector points tracers at one of the collector's transports.
type transportCollector struct {
	*Collector
	transport string
}

func (c *transportCollector) Options() []core.Option { return c.Collector.Options(c.transport) }

// MalformedHeaders are broken W3C traceparent headers, each of which must
// start a new root trace.
func MalformedHeaders() []conformance.Malformed {
	const (
		trace = "0af7651916cd43dd8448eb211c80319c"
		span  = "b7ad6b7169203331"
	)
	h := func(v string) http.Header { return http.Header{"Traceparent": {v}} }
	return []conformance.Malformed{
		{Name: "traceparent empty", Header: h("")},
		{Name: "traceparent garbage", Header: h("not a traceparent")},
		{Name: "traceparent version ff", Header: h("ff-" + trace + "-" + span + "-01")},
		{Name: "traceparent short trace id", Header: h("00-" + trace[2:] + "-" + span + "-01")},
		{Name: "traceparent long span id", Header: h("00-" + trace + "-" + span + "00-01")},
		{Name: "traceparent upper case", Header: h("00-" + strings.ToUpper(trace) + "-" + strings.ToUpper(span) + "-01")},
		{Name: "traceparent non-hex trace id", Header: h("00-" + trace[:31] + "x-" + span + "-01")},
		{Name: "traceparent zero trace id", Header: h("00-" + strings.Repeat("0", 32) + "-" + span + "-01")},
		{Name: "traceparent zero span id", Header: h("00-" + trace + "-" + strings.Repeat("0", 16) + "-01")},
		{Name: "traceparent version 00 with extra field", Header: h("00-" + trace + "-" + span + "-01-extra")},
		{Name: "traceparent missing flags", Header: h("00-" + trace + "-" + span)},
		{Name: "traceparent wrong delimiter", Header: h("00_" + trace + "_" + span + "_01")},
		{Name: "traceparent huge", Header: h("00-" + strings.Repeat("a", 8192))},
	}
}
