package oteltest

import (
	"testing"

	"github.com/traceplug/traceplug/conformance"
)

// A Fault is a way for a collector to fail: conformance's, so that every
// backend's fault tests speak of the same faults.
type Fault = conformance.Fault

// The faults a collector started by [FaultyEndpoint] can have.
const (
	// Down: nothing listens on the endpoint.
	Down = conformance.Down
	// Silent: connections are accepted, and never read or answered.
	Silent = conformance.Silent
	// Slow: every request is answered with success after 5s.
	Slow = conformance.Slow
	// Failing: every request is answered with an error at once (HTTP 500,
	// gRPC Internal).
	Failing = conformance.Failing
)

// FaultyEndpoint starts a collector on 127.0.0.1 failing with f over
// transport "http" or a registered one ("grpc", with otlpgrpctest
// imported), stopped when the test ends, and returns its endpoint for
// core.WithEndpoint. A transport no linked package registered fails the
// test, saying which import is missing.
func FaultyEndpoint(t testing.TB, transport string, f Fault) string {
	t.Helper()
	if transport == "http" {
		return conformance.FaultyHTTP(t, f) + "/v1/traces"
	}
	tr, ok := registered.lookup(transport)
	if !ok {
		t.Fatal(notLinked(transport))
	}
	return tr.Faulty(t, f)
}
