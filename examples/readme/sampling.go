package readme

import (
	"net/http"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/sampling"
)

// newSampledTracer is the Sampling snippet: per-route rules in code over
// the fleet's sampler (OTEL_TRACES_SAMPLER, TRACEPLUG_SAMPLER, or every
// trace when neither is set).
func newSampledTracer(mux *http.ServeMux) (http.Handler, *core.Tracer, error) {
	// snippet:sampling
	tracer, err := core.New("mock",
		core.WithTraceAll(true),
		core.WithSamplingRules(
			sampling.Rule{Operation: "GET /healthz", Ratio: 0},     // never
			sampling.Rule{Operation: "GET /search", PerSecond: 10}, // 10 traces a second
			sampling.Rule{Operation: "POST /orders", Ratio: 1},     // every one
		), // the rest: as the sampler says
	)
	if err != nil {
		return nil, nil, err
	}
	handler := tracer.Middleware(mux) // around the ServeMux: rules see the route
	// end snippet
	return handler, tracer, nil
}
