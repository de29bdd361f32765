// Package conformance is the behaviour contract every traceplug backend meets,
// as a test suite any backend can run: traceplug's own backends run it in
// conformance_test, and a third-party backend runs it the same way.
//
// The suite checks what a backend actually sends. For each property it starts
// a fresh collector that decodes the backend's real wire format into the
// neutral [Span] model, builds a fresh tracer with [core.New] pointed at it,
// drives real HTTP requests over loopback, closes the tracer, and reads back
// what the collector decoded.
//
// # Running it for a backend
//
// A backend provides a [Harness]: its registry name, a function that starts a
// collector for one subtest, and the capabilities it lacks, each with the
// reason (the checks that need them are skipped, saying why). Then:
//
//	package mybackend_test
//
//	import (
//		"testing"
//
//		"github.com/traceplug/traceplug/conformance"
//		_ "example.com/mybackend" // registers "mybackend"
//		"example.com/mybackend/mybackendtest"
//	)
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, conformance.Harness{
//			Name:    "mybackend",
//			Backend: "mybackend",
//			Start: func(t *testing.T) conformance.Collector {
//				c := mybackendtest.NewCollector(t) // listens on 127.0.0.1, stopped by t.Cleanup
//				return c                           // has Options() and Spans()
//			},
//			Lacks: map[conformance.Capability]string{
//				conformance.B3: "the client library has no B3 propagator",
//			},
//		})
//	}
//
// Run it with -race; each property is its own subtest (go test -run
// 'TestConformance/baggage'), and -v prints one line per property.
//
// The package uses only the standard library, opentracing-go and traceplug's
// core, propagation and sampling packages, so that importing it costs a
// backend nothing else.
package conformance
