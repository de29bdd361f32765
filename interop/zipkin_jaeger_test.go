package interop_test

import (
	"testing"

	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
)

// TestBaggageAcrossZipkinAndJaeger: traceplug's own backends with each other,
// on B3: a traceplug zipkin service (its native X-B3-*, baggage-*) calls a
// traceplug jaeger service with WithPropagation("b3"), and the other way
// round; baggage set by the first is read by the second, in one trace.
func TestBaggageAcrossZipkinAndJaeger(t *testing.T) {
	zipkinTP, jaegerTP := traceplug(zipkintest.Harness(), ""), traceplug(jaegertest.Harness("http"), "b3")
	for _, c := range []struct {
		name  string
		chain []mk
	}{
		{"zipkin to jaeger", []mk{zipkinTP, jaegerTP}},
		{"jaeger to zipkin", []mk{jaegerTP, zipkinTP}},
	} {
		t.Run(c.name, func(t *testing.T) { interop(t, true, c.chain...) })
	}
}
