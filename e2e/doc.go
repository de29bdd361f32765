// Package e2e checks traces end to end in a real Jaeger: the client-and-server
// example and a mixed zipkin/jaeger fleet send their spans to Jaeger's agent,
// collector and Zipkin receiver, and the traces are read back from Jaeger's
// query API and checked for their shape.
//
// The tests need a running Jaeger and the build tag e2e:
//
//	scripts/jaeger.sh start
//	go test -race -tags e2e ./e2e/
//	scripts/jaeger.sh stop
//
// The query client and the shape checker are ordinary code, tested without
// Jaeger on recorded query answers in testdata/.
package e2e
