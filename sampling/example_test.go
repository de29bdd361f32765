package sampling_test

import (
	"fmt"

	"github.com/traceplug/traceplug/sampling"
)

// Parse reads OpenTelemetry's OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG;
// a bad value says what to write instead.
func ExampleParse() {
	s, err := sampling.Parse("parentbased_traceidratio", "0.25", sampling.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sampling.Close(s)
	fmt.Println(s.Description()[:len("ParentBased{root:TraceIDRatioBased{0.25}")])

	_, err = sampling.Parse("traceidratio", "25%", sampling.Options{})
	fmt.Println(err)
	// Output:
	// ParentBased{root:TraceIDRatioBased{0.25}
	// sampling: traceidratio: argument "25%" is not a ratio from 0 to 1, such as 0.25
}

// Rules decide by operation, first match wins; the rest go to the sampler
// under them. A decision on a trace id is the same in every service.
func ExampleNewRules() {
	rules, err := sampling.ParseRules("GET /healthz=0; POST /orders=1; * /admin/*=0")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := sampling.NewRules(rules, sampling.TraceIDRatio(0.5), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, op := range []string{"GET /healthz", "POST /orders", "GET /admin/users"} {
		fmt.Println(op, s.ShouldSample(sampling.Params{TraceID: 42, Operation: op}).Sampled)
	}
	// Trace ids whose lower 64 bits, shifted right by one, fall below half of 2⁶³.
	fmt.Println("GET /search", s.ShouldSample(sampling.Params{TraceID: 1 << 60, Operation: "GET /search"}).Sampled)
	fmt.Println("GET /search", s.ShouldSample(sampling.Params{TraceID: 1 << 63, Operation: "GET /search"}).Sampled)
	// Output:
	// GET /healthz false
	// POST /orders true
	// GET /admin/users false
	// GET /search true
	// GET /search false
}
