package otel_test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/propagation"
)

// newTrace is the span context core hands ot to start a new trace that core
// decided to sample (or not): a trace id, no span id.
func newTrace(t testing.TB, ot *otel.Tracer, sampling propagation.Sampling) opentracing.SpanContext {
	t.Helper()
	sc, err := ot.ImportSpanContext(propagation.SpanContext{TraceIDHigh: 0x1234, TraceID: 0xabcd, Sampling: sampling})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// OTLP's SpanFlags bits: W3C sampled and random, and whether the parent is
// remote.
const (
	flagSampled     = 0x01
	flagRandom      = 0x02
	flagHasIsRemote = 0x100
	flagIsRemote    = 0x200
)

// TestNewTraceFromCore: a context with a trace id and no span id, as core
// hands it over once it decided to start a new trace, makes the span
// started from it a root of that trace: psc's trace id (128 or 64 bits), no
// parent, a new span id, psc's decision (debug and deferred mean sampled),
// tracestate, random flag and baggage; its children, in both APIs, continue
// it. What counts is what the collector decoded.
func TestNewTraceFromCore(t *testing.T) {
	const high, low = 0x1234567890abcdef, 0xabcdef0123456789
	baggage := []propagation.BaggageItem{{Key: "user", Value: "ann"}}
	for _, tc := range []struct {
		name    string
		psc     propagation.SpanContext
		sampled bool
	}{
		{"128-bit", propagation.SpanContext{TraceIDHigh: high, TraceID: low, Sampling: propagation.SamplingYes, Baggage: baggage,
			TraceState: "vendor=1,other=x", Random: true}, true},
		{"64-bit", propagation.SpanContext{TraceID: low, Sampling: propagation.SamplingYes, Baggage: baggage}, true},
		{"debug", propagation.SpanContext{TraceIDHigh: high, TraceID: low, Sampling: propagation.SamplingDebug, Baggage: baggage}, true},
		{"deferred", propagation.SpanContext{TraceIDHigh: high, TraceID: low, Baggage: baggage}, true},
		{"not sampled", propagation.SpanContext{TraceIDHigh: high, TraceID: low, Sampling: propagation.SamplingNo, Baggage: baggage}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := oteltest.New(t)
			ot, err := otel.New(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: c.Endpoint("http")})
			if err != nil {
				t.Fatal(err)
			}
			defer ot.Close()
			var wantTrace [16]byte
			binary.BigEndian.PutUint64(wantTrace[:8], tc.psc.TraceIDHigh)
			binary.BigEndian.PutUint64(wantTrace[8:], tc.psc.TraceID)
			wantSampling := propagation.SamplingNo
			if tc.sampled {
				wantSampling = propagation.SamplingYes
			}

			parent, err := ot.ImportSpanContext(tc.psc)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := ot.ExportSpanContext(parent); !ok || got.TraceIDHigh != tc.psc.TraceIDHigh || got.TraceID != tc.psc.TraceID ||
				got.SpanID != 0 || got.Sampling != wantSampling || got.TraceState != tc.psc.TraceState || got.Random != tc.psc.Random ||
				!sameBaggage(got.Baggage, baggage) {
				t.Errorf("the imported context exports as %+v, want %+v with sampling %v", got, tc.psc, wantSampling)
			}

			start := time.Now().Add(-time.Second).Truncate(time.Microsecond)
			root := ot.StartSpan("root", opentracing.ChildOf(parent), ext.SpanKindRPCServer,
				opentracing.Tag{Key: "http.method", Value: "GET"}, opentracing.StartTime(start))
			rc, ok := ot.ExportSpanContext(root.Context())
			if !ok || rc.TraceIDHigh != tc.psc.TraceIDHigh || rc.TraceID != tc.psc.TraceID || rc.SpanID == 0 ||
				rc.Sampling != wantSampling || rc.TraceState != tc.psc.TraceState || rc.Random != tc.psc.Random {
				t.Errorf("the root's context %+v: want trace %x%016x, a span id, sampling %v", rc, tc.psc.TraceIDHigh, tc.psc.TraceID, wantSampling)
			}
			if !sameBaggage(rc.Baggage, baggage) || root.BaggageItem("user") != "ann" {
				t.Errorf("the root's baggage %v, want %v", rc.Baggage, baggage)
			}
			root.Finish()
			child := ot.StartSpan("child", opentracing.ChildOf(root.Context()))
			cc, _ := ot.ExportSpanContext(child.Context())
			if cc.TraceIDHigh != rc.TraceIDHigh || cc.TraceID != rc.TraceID || cc.SpanID == rc.SpanID || cc.Sampling != wantSampling ||
				child.BaggageItem("user") != "ann" {
				t.Errorf("the child's context %+v does not continue the root's %+v", cc, rc)
			}
			child.Finish()
			ctx := opentracing.ContextWithSpan(t.Context(), root)
			_, oc := ot.TracerProvider().Tracer("test").Start(ctx, "otel.child")
			if oc.SpanContext().TraceID() != trace.TraceID(wantTrace) || oc.SpanContext().IsSampled() != tc.sampled {
				t.Errorf("the OpenTelemetry child %v/%v, want trace %x sampled %v",
					oc.SpanContext().TraceID(), oc.SpanContext().IsSampled(), wantTrace, tc.sampled)
			}
			oc.End()
			if err := ot.Close(); err != nil {
				t.Fatal(err)
			}

			spans := oteltest.ByName(c.OTLPSpans())
			if !tc.sampled {
				if len(spans) != 0 || len(c.Errors()) > 0 {
					t.Errorf("a trace handed as not sampled exported %d spans (errors %v)", len(spans), c.Errors())
				}
				if st := ot.BackendStats(); st.Reported != 0 || len(st.Dropped) != 0 || st.Pending != 0 {
					t.Errorf("spans not sampled were counted: %+v", st)
				}
				return
			}
			if len(spans) != 3 {
				t.Fatalf("the collector decoded %d spans, want root, child and otel.child (errors %v)", len(spans), c.Errors())
			}
			r := spans["root"]
			var sid [8]byte
			binary.BigEndian.PutUint64(sid[:], rc.SpanID)
			if !bytes.Equal(r.TraceId, wantTrace[:]) || len(r.ParentSpanId) != 0 || !bytes.Equal(r.SpanId, sid[:]) {
				t.Errorf("root: trace %x span %x parent %x, want trace %x span %x and no parent", r.TraceId, r.SpanId, r.ParentSpanId, wantTrace, sid)
			}
			wantFlags := uint32(flagSampled | flagHasIsRemote)
			if tc.psc.Random {
				wantFlags |= flagRandom
			}
			if r.Flags != wantFlags || r.TraceState != tc.psc.TraceState {
				t.Errorf("root: flags %#x tracestate %q, want %#x (sampled, parent not remote) and %q", r.Flags, r.TraceState, wantFlags, tc.psc.TraceState)
			}
			if r.Kind != tracepb.Span_SPAN_KIND_SERVER || oteltest.Attributes(r)["http.method"] != "GET" ||
				r.StartTimeUnixNano != uint64(start.UnixNano()) {
				t.Errorf("root: kind %v, attributes %v, start %d: want the start options' server, http.method=GET, %d",
					r.Kind, oteltest.Attributes(r), r.StartTimeUnixNano, start.UnixNano())
			}
			for _, name := range []string{"child", "otel.child"} {
				s := spans[name]
				if !bytes.Equal(s.TraceId, wantTrace[:]) || !bytes.Equal(s.ParentSpanId, sid[:]) || s.Flags&flagIsRemote != 0 {
					t.Errorf("%s: trace %x parent %x flags %#x, want trace %x and the root %x, a local parent", name, s.TraceId, s.ParentSpanId, s.Flags, wantTrace, sid)
				}
			}
		})
	}
}

// TestNewTraceSpanIDs: a root of a handed trace gets a new random span id
// each time, never 0, never one of psc's.
func TestNewTraceSpanIDs(t *testing.T) {
	ot, err := otel.New(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: "http://127.0.0.1:1/v1/traces"})
	if err != nil {
		t.Fatal(err)
	}
	defer ot.Close()
	parent := newTrace(t, ot, propagation.SamplingNo) // not sampled: nothing to send
	seen := map[uint64]bool{}
	for range 1000 {
		s := ot.StartSpan("root", opentracing.ChildOf(parent))
		sc, _ := ot.ExportSpanContext(s.Context())
		s.Finish()
		if sc.SpanID == 0 || seen[sc.SpanID] {
			t.Fatalf("span id %x: zero or seen before", sc.SpanID)
		}
		seen[sc.SpanID] = true
	}
}

// TestRootsWithoutHandOffAreSampled: a root started without a decision from
// core (on the backend's tracer, on its OpenTelemetry provider, or under a
// context with baggage alone) is sampled; so is a continued trace whose
// decision is deferred.
func TestRootsWithoutHandOffAreSampled(t *testing.T) {
	c := oteltest.New(t)
	ot, err := otel.New(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: c.Endpoint("http")})
	if err != nil {
		t.Fatal(err)
	}
	defer ot.Close()
	ot.StartSpan("opentracing").Finish()
	_, s := ot.TracerProvider().Tracer("test").Start(t.Context(), "opentelemetry")
	s.End()
	bag, err := ot.ImportSpanContext(propagation.SpanContext{Baggage: []propagation.BaggageItem{{Key: "k", Value: "v"}}})
	if err != nil {
		t.Fatal(err)
	}
	ot.StartSpan("baggage", opentracing.ChildOf(bag)).Finish()
	deferred, err := ot.ImportSpanContext(propagation.SpanContext{TraceID: 1, SpanID: 2})
	if err != nil {
		t.Fatal(err)
	}
	ot.StartSpan("deferred", opentracing.ChildOf(deferred)).Finish()
	if err := ot.Close(); err != nil {
		t.Fatal(err)
	}
	spans := oteltest.ByName(c.OTLPSpans())
	for _, name := range []string{"opentracing", "opentelemetry", "baggage", "deferred"} {
		if spans[name] == nil {
			t.Errorf("%s: not exported", name)
		}
	}
}
