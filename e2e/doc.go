// Package e2e checks traces end to end in a real Jaeger, v2 or v1: the
// client-and-server example and a mixed zipkin/jaeger fleet send their spans
// to Jaeger's agent (UDP), collector (thrift over HTTP) and Zipkin receiver,
// hand-written OTLP spans go to its OTLP receivers (HTTP and gRPC), and the
// traces are read back from Jaeger's query API and checked for their shape,
// for the receiver that took them, and for the services and operations the
// query API lists.
//
// The tests need a running Jaeger and the build tag e2e. They find which
// version runs; with JAEGER_VERSION set they also insist on it:
//
//	scripts/jaeger.sh start                  # v2; JAEGER_VERSION=v1 for v1
//	go test -race -tags e2e ./e2e/
//	scripts/jaeger.sh stop
//
// The query client, the shape checker and the readers of each version's
// receiver evidence are ordinary code, tested without Jaeger on recorded
// answers of both versions in testdata/v1 and testdata/v2.
package e2e
