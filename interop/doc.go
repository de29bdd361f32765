// Package interop holds tests in which traceplug's backends talk to other
// projects' own clients (and to each other) over real HTTP on loopback. It is
// a test-only module, so that those clients' dependencies never reach a
// module users import.
//
// Each test builds a world of chained services (world_test.go): a real
// client each, traceplug on one of its backends (traceplug_test.go, spans
// read back from the backend's in-process collector) or another project's
// (peers_test.go: otelhttp on the OpenTelemetry SDK, zipkin-go's middleware
// and transport, jaeger-client-go and lightstep-tracer-go through go-stdlib's
// nethttp, each with an in-memory recorder). One request crosses the chain,
// and the test checks, on the wire (read by wire_test.go, independently of
// every client) and in what each side recorded, the trace id, the parent
// span ids, the sampling decision and the baggage.
//
//	w3c_test.go             otelhttp (W3C) and traceplug, both ways, and back
//	b3_test.go              zipkin-go (b3, X-B3-*) and traceplug
//	jaeger_test.go          jaeger-client-go (uber-trace-id) and traceplug
//	lightstep_test.go       lightstep-tracer-go (ot-tracer-*, B3) and traceplug
//	fleet_test.go           otelhttp, traceplug and jaeger-client-go in one trace
//	zipkin_jaeger_test.go   traceplug's zipkin and jaeger backends on B3
//	nocfg_chain_test.go     otelhttp → each backend → otelgrpc, nothing configured
//	withglobal_test.go      OpenTelemetry's API, otelhttp and otelgrpc inside a
//	                        request traced WithGlobal; baggage both ways
package interop
