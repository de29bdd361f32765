package readme

import (
	otelapi "go.opentelemetry.io/otel"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/core"
)

// newOtelTracer is the Moving to OpenTelemetry snippet: the one-word swap,
// the mixed-fleet propagation, and the provider made global for code that
// uses the OpenTelemetry API. The collector is the default, or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT's.
func newOtelTracer() (*core.Tracer, error) {
	// snippet:otel
	tracer, err := core.New("otel", // was core.New("jaeger", …)
		core.WithServiceName("shop"),
		core.WithTraceAll(true),
		core.WithPropagation("tracecontext,baggage,jaeger"), // read both, write both
	)
	if err != nil {
		return nil, err
	}
	// Code that uses the OpenTelemetry API (otel.Tracer, otelhttp, otelgrpc)
	// joins the same traces, and propagates them in the same formats.
	if ot, ok := tracer.Unwrap().(*otel.Tracer); ok {
		otelapi.SetTracerProvider(ot.TracerProvider())
		otelapi.SetTextMapPropagator(ot.TextMapPropagator())
	}
	// end snippet
	return tracer, nil
}
