package zipkin_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/openzipkin/zipkin-go/model"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/zipkin"
	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"github.com/traceplug/traceplug/propagation"
)

// TestNewTrace: a context with a trace id and no span id, as core imports
// for a trace it began, starts a root span with that trace id, no parent id,
// the decision and the baggage; its child continues it. Proved on the wire.
func TestNewTrace(t *testing.T) {
	const high, low = 0x1234567890abcdef, 0xabcdef0123456789
	bag := []propagation.BaggageItem{{Key: "user", Value: "ann"}, {Key: "user", Value: "bob"}}
	for _, tc := range []struct {
		name     string
		shared   bool // the shared_spans param
		high     uint64
		sampling propagation.Sampling
		want     propagation.Sampling
	}{
		{"128-bit sampled", false, high, propagation.SamplingYes, propagation.SamplingYes},
		{"64-bit sampled", false, 0, propagation.SamplingYes, propagation.SamplingYes},
		{"debug", false, high, propagation.SamplingDebug, propagation.SamplingDebug},
		{"deferred is sampled", false, high, propagation.SamplingDeferred, propagation.SamplingYes},
		{"not sampled", false, high, propagation.SamplingNo, propagation.SamplingNo},
		{"shared spans", true, high, propagation.SamplingYes, propagation.SamplingYes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := zipkintest.New(t)
			tr, err := zipkin.New(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: c.Endpoint(),
				Params: map[string]string{"shared_spans": fmt.Sprint(tc.shared)}})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			sc, err := tr.ImportSpanContext(propagation.SpanContext{TraceIDHigh: tc.high, TraceID: low, Sampling: tc.sampling, Baggage: bag})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now().Add(-time.Second)
			root := tr.StartSpan("root", opentracing.ChildOf(sc), ext.SpanKindRPCServer, opentracing.StartTime(start))
			if got := root.BaggageItem("user"); got != "ann" {
				t.Errorf("root's baggage item %q, want ann (the first)", got)
			}
			rc, _ := tr.ExportSpanContext(root.Context())
			if rc.TraceIDHigh != tc.high || rc.TraceID != low || rc.SpanID == 0 || rc.ParentID != 0 || rc.Sampling != tc.want {
				t.Errorf("root's context %+v, want trace %x%016x, a span id, no parent, %v", rc, tc.high, uint64(low), tc.want)
			}
			child := tr.StartSpan("child", opentracing.ChildOf(root.Context()))
			cc, _ := tr.ExportSpanContext(child.Context())
			if cc.TraceIDHigh != tc.high || cc.TraceID != low || cc.ParentID != rc.SpanID || cc.Sampling != tc.want || child.BaggageItem("user") != "ann" {
				t.Errorf("child's context %+v, want a child of %+v", cc, rc)
			}
			child.Finish()
			root.Finish()
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}
			if errs := c.Errors(); len(errs) > 0 {
				t.Fatalf("the collector could not decode: %v", errs)
			}
			models := c.Models()
			if tc.want == propagation.SamplingNo {
				if len(models) != 0 {
					t.Fatalf("a trace not sampled sent %d spans", len(models))
				}
				return
			}
			wire := map[string]model.SpanModel{}
			for _, m := range models {
				wire[m.Name] = m
			}
			r, ch := wire["root"], wire["child"]
			if len(models) != 2 || r.ID == 0 || ch.ID == 0 {
				t.Fatalf("the collector has %d spans, want root and child: %+v", len(models), models)
			}
			trace := model.TraceID{High: tc.high, Low: low}
			if r.TraceID != trace || r.ParentID != nil || r.Shared || r.ID != model.ID(rc.SpanID) || r.Kind != model.Server {
				t.Errorf("root [trace %v id %v parent %v shared %v kind %v], want [trace %v id %x, no parent, not shared, SERVER]",
					r.TraceID, r.ID, r.ParentID, r.Shared, r.Kind, trace, rc.SpanID)
			}
			if ch.TraceID != trace || ch.ParentID == nil || *ch.ParentID != r.ID {
				t.Errorf("child [trace %v parent %v], want [trace %v parent %v]", ch.TraceID, ch.ParentID, trace, r.ID)
			}
			debug := tc.want == propagation.SamplingDebug
			if r.Debug != debug || ch.Debug != debug {
				t.Errorf("debug: root %v, child %v; want %v", r.Debug, ch.Debug, debug)
			}
			if d := r.Timestamp.Sub(start); d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("root started at %v, want %v", r.Timestamp, start)
			}
		})
	}
}

// TestNewTraceStartOptions: the new trace's context is recognised however
// the reference comes (as a value, a pointer as core passes it, in an
// option of another kind); two spans started from one context are two
// roots, however many start at once.
func TestNewTraceStartOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts func(sc opentracing.SpanContext) []opentracing.StartSpanOption
	}{
		{"ChildOf", func(sc opentracing.SpanContext) []opentracing.StartSpanOption {
			return []opentracing.StartSpanOption{opentracing.ChildOf(sc)}
		}},
		{"FollowsFrom", func(sc opentracing.SpanContext) []opentracing.StartSpanOption {
			return []opentracing.StartSpanOption{opentracing.FollowsFrom(sc)}
		}},
		{"pointer with kind", func(sc opentracing.SpanContext) []opentracing.StartSpanOption {
			ref := opentracing.ChildOf(sc)
			return []opentracing.StartSpanOption{&ref, ext.SpanKindRPCServer}
		}},
		{"RPCServerOption", func(sc opentracing.SpanContext) []opentracing.StartSpanOption {
			return []opentracing.StartSpanOption{ext.RPCServerOption(sc)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := zipkintest.New(t)
			tr, err := zipkin.New(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: c.Endpoint()})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			const n = 20
			done := make(chan struct{})
			for i := range n {
				go func() {
					defer func() { done <- struct{}{} }()
					sc, err := tr.ImportSpanContext(propagation.SpanContext{TraceID: uint64(i + 1), Sampling: propagation.SamplingYes})
					if err != nil {
						t.Error(err)
						return
					}
					tr.StartSpan(fmt.Sprint(i+1, " a"), tc.opts(sc)...).Finish()
					tr.StartSpan(fmt.Sprint(i+1, " b"), tc.opts(sc)...).Finish()
				}()
			}
			for range n {
				<-done
			}
			_ = tr.Close()
			models := c.Models()
			if len(models) != 2*n {
				t.Fatalf("%d spans, want %d", len(models), 2*n)
			}
			ids := map[model.ID]bool{}
			for _, m := range models {
				num, _, _ := strings.Cut(m.Name, " ")
				trace, _ := strconv.ParseUint(num, 10, 64)
				if m.TraceID != (model.TraceID{Low: trace}) || m.ParentID != nil || ids[m.ID] {
					t.Errorf("span %q: [trace %v id %v parent %v], want a root of trace %x with an id of its own", m.Name, m.TraceID, m.ID, m.ParentID, trace)
				}
				ids[m.ID] = true
			}
		})
	}
}
