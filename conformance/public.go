package conformance

import (
	"testing"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/propagation"
)

// A public endpoint (core.WithPublicEndpoint) does not continue a caller's
// trace, in any format: a sampled caller at sample rate 0 records nothing
// (the caller decides nothing), and leaves with a new unsampled trace; an
// unsampled caller at sample rate 1 is recorded as a new root (a new trace
// id, no parent), whose client span's context is what the onward call
// carries.
func publicEndpoint(f *fixture) {
	f.need(CoreSampling)
	for _, format := range propagationFormats {
		for _, sampled := range []bool{true, false} {
			name := format + "/" + map[bool]string{true: "sampled", false: "unsampled"}[sampled] + "_caller"
			f.t.Run(name, func(t *testing.T) {
				g := newFixture(t, f.h)
				rate, decision := 0.0, propagation.SamplingYes
				if !sampled {
					rate, decision = 1, propagation.SamplingNo
				}
				tr := g.samplingTracer(core.WithTraceAll(true), core.WithPropagation(format), core.WithSampleRate(rate),
					core.WithServiceName(serverService), core.WithPublicEndpoint(true))
				rl := g.relay(tr)
				in := g.parentContext(format, decision)
				if code, body := g.get(rl.url, contextHeaders(format, in)); code != 200 {
					t.Fatalf("served %d %q", code, body)
				}
				out := rl.sent()
				spans := g.spans()
				caller := ID128(in.TraceIDHigh, in.TraceID)
				if sampled {
					if len(spans) != 0 {
						t.Errorf("a sampled %s caller of a public endpoint at sample rate 0: %d spans sent, want none:\n%s", format, len(spans), list(spans))
					}
					if g.checksUnsampledHeaders() {
						sc := checkOutgoing(t, format, out, "", false, "the call of a public endpoint's unsampled request")
						if got := ID128(sc.TraceIDHigh, sc.TraceID); sameTrace(format, got, caller) {
							t.Errorf("the onward call carries the caller's trace %s: a public endpoint starts its own (headers %v)", caller, out)
						}
					}
					return
				}
				server := one(t, spans, byKind("server", serverService), "server span (an unsampled "+format+" caller of a public endpoint at sample rate 1)")
				if sameTrace(format, server.TraceID, caller) || server.ParentID != "" {
					t.Errorf("server span [trace %s parent %q], want a new root, not in the caller's trace %s", server.TraceID, server.ParentID, caller)
				}
				client := one(t, spans, byKind("client", serverService), "client span")
				wantChild(t, client, server)
				sc := checkOutgoing(t, format, out, server.TraceID, true, "the call of a public endpoint's sampled request")
				if ID(sc.SpanID) != client.SpanID {
					t.Errorf("outgoing %s span id %s, want the client span's %s (headers %v)", format, ID(sc.SpanID), client.SpanID, out)
				}
			})
		}
	}
}
