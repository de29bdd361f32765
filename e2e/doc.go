// Package e2e checks traces end to end in a real Jaeger, v2 or v1, read back
// from its query API and checked for their shape (parents, span kinds,
// services, tags), for the receiver that took them, and for the services and
// operations the query API lists:
//
//   - the client-and-server example on the jaeger backend (agent over UDP,
//     collector over HTTP), the zipkin backend (Zipkin receiver) and the
//     otel backend (OTLP over HTTP and over gRPC);
//   - a zipkin and a jaeger service sharing a trace over B3;
//   - one trace across three formats: an otelhttp service on the
//     OpenTelemetry SDK (W3C, OTLP), a traceplug jaeger service reading W3C
//     and writing uber-trace-id too, and a jaeger-client-go service;
//   - one trace across HTTP, gRPC (grpctrace) and HTTP, on the jaeger and the
//     otel backends;
//   - hand-written OTLP spans to its OTLP receivers (HTTP and gRPC);
//   - remote sampling: a service on parentbased_jaeger_remote follows the
//     strategies Jaeger serves from its strategies file (per operation, then
//     changed, then rate limiting), and Jaeger keeps the traces they say;
//   - adaptive sampling, with Jaeger started for it (JAEGER_SAMPLING=adaptive):
//     Jaeger counts the service's sampled roots by their sampler.type and
//     sampler.param tags and moves the probabilities it serves toward its
//     target.
//
// The tests need a running Jaeger and the build tag e2e. They find which
// version runs; with JAEGER_VERSION set they also insist on it:
//
//	scripts/jaeger.sh start                  # v2; JAEGER_VERSION=v1 for v1
//	go test -race -tags e2e ./e2e/
//	scripts/jaeger.sh stop
//
// The remote sampling test rewrites the strategies file the running Jaeger
// reloads, the copy that scripts/jaeger.sh start made in its run dir
// (`scripts/jaeger.sh strategies` names it), and puts it back at the end.
// The adaptive sampling test runs only against a Jaeger started with
// JAEGER_SAMPLING=adaptive (and the other tests of sampling skip there):
//
//	JAEGER_SAMPLING=adaptive scripts/jaeger.sh start
//	JAEGER_SAMPLING=adaptive go test -race -tags e2e -run TestAdaptiveSampling ./e2e/
//
// The query client, the shape checker, the readers of each version's
// receiver evidence and of its sampling strategies are ordinary code, tested
// without Jaeger on recorded answers of both versions in testdata/v1 and
// testdata/v2.
package e2e
