package lightstep_test

import (
	"testing"
	"time"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/lightstep"
	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	"github.com/traceplug/traceplug/propagation"
)

// TestNewTraceFromCore: a context with a trace id and no span id, as core
// hands it over once it decided to start a new trace, makes the span
// started from it a root of that trace: psc's trace id (its low 64 bits: a
// lightstep span holds no more), no parent, a new span id, psc's decision
// (debug and deferred mean sampled, whatever the sample rate) and baggage;
// its child continues it. What counts is what the collector decoded.
func TestNewTraceFromCore(t *testing.T) {
	const high, low = 0x1234567890abcdef, 0xabcdef0123456789
	baggage := []propagation.BaggageItem{{Key: "user", Value: "ann"}}
	for _, tc := range []struct {
		name    string
		rate    float64
		psc     propagation.SpanContext
		sampled bool
	}{
		{"128-bit", 1, propagation.SpanContext{TraceIDHigh: high, TraceID: low, Sampling: propagation.SamplingYes, Baggage: baggage}, true},
		{"64-bit", 1, propagation.SpanContext{TraceID: low, Sampling: propagation.SamplingYes, Baggage: baggage}, true},
		{"debug", 1, propagation.SpanContext{TraceIDHigh: high, TraceID: low, Sampling: propagation.SamplingDebug, Baggage: baggage}, true},
		{"deferred at rate 0", 0, propagation.SpanContext{TraceIDHigh: high, TraceID: low, Baggage: baggage}, true},
		{"not sampled", 1, propagation.SpanContext{TraceIDHigh: high, TraceID: low, Sampling: propagation.SamplingNo, Baggage: baggage}, false},
	} {
		for _, tp := range transports {
			t.Run(tc.name+"/"+tp, func(t *testing.T) {
				c := lightsteptest.New(t)
				tr, err := lightstep.New(backend.Config{ServiceName: "s", SampleRate: tc.rate, Endpoint: c.Endpoint(tp),
					Params: map[string]string{"access_token": "t", "transport": tp}})
				if err != nil {
					t.Fatal(err)
				}
				defer tr.Close()
				wantSampling := propagation.SamplingNo
				if tc.sampled {
					wantSampling = propagation.SamplingYes
				}

				parent, err := tr.ImportSpanContext(tc.psc)
				if err != nil {
					t.Fatal(err)
				}
				if got, ok := tr.ExportSpanContext(parent); !ok || got.TraceIDHigh != tc.psc.TraceIDHigh || got.TraceID != tc.psc.TraceID ||
					got.SpanID != 0 || got.Sampling != wantSampling || len(got.Baggage) != 1 || got.Baggage[0] != baggage[0] {
					t.Errorf("the imported context exports as %+v, want %+v with sampling %v", got, tc.psc, wantSampling)
				}

				start := time.Now().Add(-time.Second).Truncate(time.Microsecond)
				root := tr.StartSpan("root", opentracing.ChildOf(parent), ext.SpanKindRPCServer,
					opentracing.Tag{Key: "http.method", Value: "GET"}, opentracing.StartTime(start))
				rc, ok := tr.ExportSpanContext(root.Context())
				if !ok || rc.TraceIDHigh != 0 || rc.TraceID != low || rc.SpanID == 0 || rc.Sampling != wantSampling {
					t.Errorf("the root's context %+v: want trace %x, a span id, sampling %v", rc, uint64(low), wantSampling)
				}
				if root.BaggageItem("user") != "ann" || len(rc.Baggage) != 1 || rc.Baggage[0] != baggage[0] {
					t.Errorf("the root's baggage %v, want %v", rc.Baggage, baggage)
				}
				root.Finish()
				child := tr.StartSpan("child", opentracing.ChildOf(root.Context()))
				cc, _ := tr.ExportSpanContext(child.Context())
				if cc.TraceID != low || cc.SpanID == rc.SpanID || cc.Sampling != wantSampling || child.BaggageItem("user") != "ann" {
					t.Errorf("the child's context %+v does not continue the root's %+v", cc, rc)
				}
				child.Finish()
				if err := tr.Close(); err != nil {
					t.Fatal(err)
				}

				spans := map[string]*collectorpb.Span{}
				for _, s := range advSpans(c) {
					spans[s.OperationName] = s
				}
				if len(c.Errors()) > 0 {
					t.Fatalf("the collector could not decode: %v", c.Errors())
				}
				if !tc.sampled {
					if len(spans) != 0 {
						t.Errorf("a trace handed as not sampled reported %d spans", len(spans))
					}
					if st := tr.BackendStats(); st.Reported != 0 || len(st.Dropped) != 0 || st.Pending != 0 {
						t.Errorf("spans not sampled were counted: %+v", st)
					}
					return
				}
				if len(spans) != 2 {
					t.Fatalf("the collector decoded %d spans, want root and child", len(spans))
				}
				if st := tr.BackendStats(); st.Reported != 2 {
					t.Errorf("stats %+v, want 2 reported", st)
				}
				r := spans["root"]
				if r.SpanContext.TraceId != low || r.SpanContext.SpanId != rc.SpanID || len(r.References) != 0 {
					t.Errorf("root: trace %x span %x references %v, want trace %x span %x and no parent",
						r.SpanContext.TraceId, r.SpanContext.SpanId, r.References, uint64(low), rc.SpanID)
				}
				if r.SpanContext.Baggage["user"] != "ann" {
					t.Errorf("root: baggage %v on the wire, want user=ann", r.SpanContext.Baggage)
				}
				if tags := advTags(r); tags["span.kind"] != "server" || tags["http.method"] != "GET" || r.StartTimestamp == nil ||
					r.StartTimestamp.Seconds != start.Unix() || r.StartTimestamp.Nanos != int32(start.Nanosecond()) {
					t.Errorf("root: tags %v, start %v: want the start options' span.kind=server, http.method=GET, %v", tags, r.StartTimestamp, start)
				}
				ch := spans["child"]
				if ch.SpanContext.TraceId != low || len(ch.References) != 1 || ch.References[0].Relationship != collectorpb.Reference_CHILD_OF ||
					ch.References[0].SpanContext.SpanId != rc.SpanID {
					t.Errorf("child: trace %x references %v, want trace %x and CHILD_OF the root %x", ch.SpanContext.TraceId, ch.References, uint64(low), rc.SpanID)
				}
			})
		}
	}
}
