package interop_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	"github.com/traceplug/traceplug/conformance"
)

// TestW3C: OpenTelemetry's otelhttp on the SDK (W3C traceparent and baggage)
// against traceplug on each backend with WithPropagation("tracecontext,baggage"),
// sampled and not:
//   - an otelhttp client (otelhttp.NewTransport) calls a traceplug server
//     (tracer.Middleware);
//   - a traceplug client (tracer.Transport) calls an otelhttp server
//     (otelhttp.NewHandler);
//   - an otelhttp client calls a traceplug service, whose client calls an
//     otelhttp server: what OpenTelemetry sees of its own trace on the way
//     back.
func TestW3C(t *testing.T) {
	for _, h := range backends() {
		tp := traceplug(h, "tracecontext,baggage")
		for _, c := range []struct {
			name  string
			chain []mk
		}{
			{"otelhttp to traceplug", []mk{otelhttpNode(), tp}},
			{"traceplug to otelhttp", []mk{tp, otelhttpNode()}},
			{"otelhttp to traceplug to otelhttp", []mk{otelhttpNode(), tp, otelhttpNode()}},
		} {
			for _, sampled := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s/%s/sampled=%v", h.Name, c.name, sampled), func(t *testing.T) {
					interop(t, sampled, c.chain...)
				})
			}
		}
	}
}

// TestW3CLightstep64BitTraceIDs: an otelhttp client (W3C, 128-bit trace id)
// calls a traceplug lightstep service (WithPropagation("tracecontext,baggage")),
// whose client calls an otelhttp server. Lightstep holds 64-bit trace ids:
// the service continues the trace under the low 64 bits of OpenTelemetry's
// trace id, with the right parent and the baggage, and reports that to its
// collector; on the way back, traceparent carries those 64 bits padded with
// 16 zeros, so that OpenTelemetry sees trace 0000000000000000<low 64 bits>:
// a trace other than the one it started, though linked to it by parent ids.
func TestW3CLightstep64BitTraceIDs(t *testing.T) {
	hops := interop(t, true, otelhttpNode(), traceplug(lightsteptest.Harness("http"), "tracecontext,baggage"), otelhttpNode())
	origin := hops[0].view.trace
	if len(origin) <= 16 {
		t.Skipf("OpenTelemetry drew a trace id with a zero high half (%s): nothing to truncate", origin)
	}
	low := fmt.Sprintf("%016s", origin[len(origin)-16:])
	for _, s := range hops[1].spans {
		if s.TraceID != conformance.NormalizeID(low) {
			t.Errorf("the lightstep service reported trace %s, want %s, the low 64 bits of %s", s.TraceID, conformance.NormalizeID(low), origin)
		}
	}
	tp := hops[2].header.Get("Traceparent")
	if want := "00-" + strings.Repeat("0", 16) + low + "-"; !strings.HasPrefix(tp, want) {
		t.Errorf("on the way back, traceparent is %q, want it to start %q", tp, want)
	}
	if got := hops[2].view.trace; got == origin || got != conformance.NormalizeID(low) {
		t.Errorf("the otelhttp server sees trace %s; want %s (the low half of %s)", got, conformance.NormalizeID(low), origin)
	}
}
