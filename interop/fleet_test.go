package interop_test

import (
	"fmt"
	"testing"

	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
)

// TestMixedFleet: three services in one process, mid-migration between
// formats, sampled and not:
//   - an otelhttp client (W3C) calls a traceplug jaeger service with
//     WithPropagation("tracecontext,baggage,jaeger"), which reads W3C first
//     and writes W3C and uber-trace-id/uberctx-*, and whose client calls a
//     jaeger-client-go service (go-stdlib nethttp, uber-trace-id): one trace
//     id (OpenTelemetry's 128 bits) across the three, each server span a
//     child of the previous service's client span, the baggage end to end;
//   - the other way: jaeger-client-go calls the traceplug service with
//     WithPropagation("jaeger,tracecontext,baggage"), which calls an
//     otelhttp server.
func TestMixedFleet(t *testing.T) {
	jh := jaegertest.Harness("http")
	for _, c := range []struct {
		name  string
		chain []mk
	}{
		{"otelhttp to traceplug jaeger to jaeger-client-go", []mk{otelhttpNode(), traceplug(jh, "tracecontext,baggage,jaeger"), jaegerNative()}},
		{"jaeger-client-go to traceplug jaeger to otelhttp", []mk{jaegerNative(), traceplug(jh, "jaeger,tracecontext,baggage"), otelhttpNode()}},
	} {
		for _, sampled := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/sampled=%v", c.name, sampled), func(t *testing.T) {
				interop(t, sampled, c.chain...)
			})
		}
	}
}
