package interop_test

import (
	"fmt"
	"testing"

	"github.com/traceplug/traceplug/backends/mock/mocktest"
)

// TestLightstepTracerGo: lightstep-tracer-go's own tracer (in-memory
// recorder), traced through go-stdlib's nethttp, against traceplug on each
// backend:
//   - with its default propagator (ot-tracer-*, ot-baggage-*), a
//     lightstep-tracer-go client calls a traceplug server with
//     WithPropagation("ottrace"), and a traceplug client with "ottrace" calls
//     a lightstep-tracer-go server;
//   - with lightstep.B3Propagator (X-B3-*, baggage as ot-baggage-*), a
//     lightstep-tracer-go client calls a traceplug server with
//     WithPropagation("b3") and ("b3multi") (both read X-B3-*), and a
//     traceplug client with "b3multi", or "b3,b3multi", calls a
//     lightstep-tracer-go server: traceplug writes baggage-* and
//     ot-baggage-* on B3, so baggage crosses both ways. A traceplug client
//     with "b3" alone writes only the single b3 header, which
//     lightstep-tracer-go cannot read: see
//     TestLightstepB3PropagatorReadsNoSingleHeader.
//
// lightstep-tracer-go has no sampler: it starts sampled traces only, so the
// unsampled runs are those where traceplug starts the trace and
// lightstep-tracer-go must honour "not sampled" (ot-tracer-sampled: false).
// Its B3 propagator does not honour X-B3-Sampled: 0 (it records any span not
// marked "false"), so there is no unsampled run over B3.
func TestLightstepTracerGo(t *testing.T) {
	for _, h := range backends() {
		ot, single, multi, both := traceplug(h, "ottrace"), traceplug(h, "b3"), traceplug(h, "b3multi"), traceplug(h, "b3,b3multi")
		for _, c := range []struct {
			name      string
			chain     []mk
			unsampled bool
		}{
			{"lightstep-tracer-go ot-tracer to traceplug ottrace", []mk{lightstepNative(false), ot}, false},
			{"traceplug ottrace to lightstep-tracer-go ot-tracer", []mk{ot, lightstepNative(false)}, true},
			{"lightstep-tracer-go B3 to traceplug b3", []mk{lightstepNative(true), single}, false},
			{"lightstep-tracer-go B3 to traceplug b3multi", []mk{lightstepNative(true), multi}, false},
			{"traceplug b3multi to lightstep-tracer-go B3", []mk{multi, lightstepNative(true)}, false},
			{"traceplug b3,b3multi to lightstep-tracer-go B3", []mk{both, lightstepNative(true)}, false},
		} {
			for _, sampled := range []bool{true, false} {
				if !sampled && !c.unsampled {
					continue
				}
				t.Run(fmt.Sprintf("%s/%s/sampled=%v", h.Name, c.name, sampled), func(t *testing.T) {
					interop(t, sampled, c.chain...)
				})
			}
		}
	}
}

// TestLightstepB3PropagatorReadsNoSingleHeader documents a limit of
// lightstep-tracer-go, not of traceplug: its B3Propagator reads X-B3-* only,
// never the single b3 header. A traceplug client with WithPropagation("b3")
// writes the single header (as OTEL_PROPAGATORS defines b3), with baggage as
// baggage-tenant and ot-baggage-tenant; a lightstep-tracer-go server behind
// it finds no context, starts a new trace, and drops the baggage too (its
// propagator reads ot-baggage-* only along with a context). To reach
// lightstep-tracer-go over B3, write X-B3-*: WithPropagation("b3multi"), or
// "b3,b3multi" for both kinds of reader (TestLightstepTracerGo).
func TestLightstepB3PropagatorReadsNoSingleHeader(t *testing.T) {
	hops := run(t, true, traceplug(mocktest.Harness(), "b3"), lightstepNative(true))
	client := only(t, hops[0], "client")
	server := only(t, hops[1], "server")
	if client == nil || server == nil {
		t.FailNow()
	}
	h := hops[1].header
	wc, err := readWire("b3", h)
	if err != nil || wc.trace != client.TraceID || wc.span != client.SpanID {
		t.Errorf("traceplug [b3] wrote %+v (%v), want trace %s span %s in the b3 header: %s", wc, err, client.TraceID, client.SpanID, show(h))
	}
	if h.Get("X-B3-Traceid") != "" {
		t.Errorf("traceplug [b3] wrote X-B3-* too: %s", show(h))
	}
	if v, _ := wireBaggage("ot-baggage-", h); v != bagValue {
		t.Errorf("traceplug [b3] did not write ot-baggage-%s: %s", bagKey, show(h))
	}
	if server.ParentID != "" || server.TraceID == low64(client.TraceID) {
		t.Errorf("lightstep-tracer-go continued the trace from the b3 header (span %s): it reads it now, so move this case into TestLightstepTracerGo", server)
	}
	if hops[1].view.baggage != "" {
		t.Errorf("lightstep-tracer-go read baggage %q without a context", hops[1].view.baggage)
	}
}
