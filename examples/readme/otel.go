package readme

import (
	_ "github.com/traceplug/traceplug/backends/otel" // registers the backend "otel"
	"github.com/traceplug/traceplug/core"
)

// newOtelTracer is the Moving to OpenTelemetry snippet: the one-word swap,
// the mixed-fleet propagation, and WithGlobal, which makes the backend's
// tracer provider and propagator OpenTelemetry's globals for code that uses
// the OpenTelemetry API. The collector is the default, or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT's.
func newOtelTracer() (*core.Tracer, error) {
	// snippet:otel
	tracer, err := core.New("otel", // was core.New("jaeger", …)
		core.WithServiceName("shop"),
		core.WithTraceAll(true),
		core.WithPropagation("tracecontext,baggage,jaeger"), // read both, write both
		// OpenTracing's global tracer, and OpenTelemetry's tracer provider and
		// propagator: otel.Tracer, otelhttp and otelgrpc join the same traces
		// and propagate them, and the baggage, in the same formats.
		core.WithGlobal(),
	)
	if err != nil {
		return nil, err
	}
	// end snippet
	return tracer, nil
}
