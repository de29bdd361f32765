// Package sampling decides which traces a service keeps: the samplers that
// [github.com/traceplug/traceplug/core] consults, once, where a trace enters
// the service (a request's server span, or a new root), before any span is
// recorded.
//
// Its vocabulary is OpenTelemetry's, the names and arguments of
// OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG ([Parse]): always_on,
// always_off, traceidratio, their parentbased_ forms, and jaeger_remote and
// parentbased_jaeger_remote, which follow the strategies a Jaeger agent,
// collector or Jaeger v2's remote_sampling extension serves ([NewJaegerRemote]).
// On top of any of them, [NewRules] applies rules per operation (the span's
// name, such as "GET /healthz"): a probability or a rate limit in traces per
// second, first match wins.
//
// Ratios are decided from the trace id, so that every service at one ratio
// keeps the same traces: [TraceIDRatio] as OpenTelemetry's TraceIDRatioBased
// does, and a Jaeger strategy's probabilities as jaeger-client-go does.
//
// Samplers are safe for concurrent use. A sampler that polls (the Jaeger
// remote sampler) runs a goroutine until its Close.
package sampling
