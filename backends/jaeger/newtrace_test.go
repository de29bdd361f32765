package jaeger_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/jaeger"
	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/propagation"
)

// jaeger-client-go's flag bits, on the wire.
const (
	wireSampled = 1
	wireDebug   = 2
)

// TestNewTrace: a context with a trace id and no span id, as core imports
// for a trace it began, starts a root span with that trace id, no parent,
// the decision and the baggage; its child continues it. Proved on the wire.
func TestNewTrace(t *testing.T) {
	const high, low = 0x1234567890abcdef, 0xabcdef0123456789
	bag := []propagation.BaggageItem{{Key: "user", Value: "ann"}, {Key: "user", Value: "bob"}}
	for _, tc := range []struct {
		name      string
		high      uint64
		sampling  propagation.Sampling
		wantFlags int32 // 0: nothing on the wire
		want      propagation.Sampling
	}{
		{"128-bit sampled", high, propagation.SamplingYes, wireSampled, propagation.SamplingYes},
		{"64-bit sampled", 0, propagation.SamplingYes, wireSampled, propagation.SamplingYes},
		{"debug", high, propagation.SamplingDebug, wireSampled | wireDebug, propagation.SamplingDebug},
		{"deferred is sampled", high, propagation.SamplingDeferred, wireSampled, propagation.SamplingYes},
		{"not sampled", high, propagation.SamplingNo, 0, propagation.SamplingNo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := jaegertest.NewHTTP(t)
			tr, err := jaeger.New(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: c.Endpoint()})
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
			root.SetOperationName("renamed") // the decision is final: not taken again
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
			wire := wireSpans(t, c)
			if tc.wantFlags == 0 {
				if len(wire) != 0 {
					t.Fatalf("a trace not sampled sent %d spans", len(wire))
				}
				return
			}
			if len(wire) != 2 {
				t.Fatalf("the collector has %d spans, want 2", len(wire))
			}
			r, ch := wire["renamed"], wire["child"]
			trace := conformance.ID128(tc.high, low)
			if r.span.TraceID != trace || r.span.ParentID != "" || r.raw.ParentSpanId != 0 || len(r.raw.References) != 0 {
				t.Errorf("root [trace %s parent %q refs %v], want [trace %s, no parent]", r.span.TraceID, r.span.ParentID, r.raw.References, trace)
			}
			if r.span.SpanID != conformance.ID(rc.SpanID) || r.span.SpanID == "" {
				t.Errorf("root's span id %q, its context's %x", r.span.SpanID, rc.SpanID)
			}
			if ch.span.TraceID != trace || ch.span.ParentID != r.span.SpanID {
				t.Errorf("child [trace %s parent %s], want [trace %s parent %s]", ch.span.TraceID, ch.span.ParentID, trace, r.span.SpanID)
			}
			if r.raw.Flags != tc.wantFlags || ch.raw.Flags != tc.wantFlags {
				t.Errorf("flags: root %d, child %d; want %d", r.raw.Flags, ch.raw.Flags, tc.wantFlags)
			}
			if kind, _ := r.span.Tag("span.kind"); kind != "server" {
				t.Errorf("root's span.kind %q", kind)
			}
			if _, ok := r.span.Tag("sampler.type"); ok {
				t.Error("root tagged sampler.type: core decided, not a jaeger sampler")
			}
			if d := r.span.Start.Sub(start); d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("root started at %v, want %v", r.span.Start, start)
			}
		})
	}
}

// TestNewTraceStartOptions: the new trace's context is recognised however
// the reference comes (as a value, a pointer as core passes it, in an
// option of another kind, among many options); two spans started from one
// context are two roots.
func TestNewTraceStartOptions(t *testing.T) {
	const low = 0x42
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
		{"nine options", func(sc opentracing.SpanContext) []opentracing.StartSpanOption {
			opts := []opentracing.StartSpanOption{ext.SpanKindRPCClient, opentracing.ChildOf(sc)}
			for i := range 7 {
				opts = append(opts, opentracing.Tag{Key: fmt.Sprint("t", i), Value: i})
			}
			return opts
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := jaegertest.NewHTTP(t)
			tr, err := jaeger.New(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: c.Endpoint()})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			sc, err := tr.ImportSpanContext(propagation.SpanContext{TraceID: low, Sampling: propagation.SamplingYes})
			if err != nil {
				t.Fatal(err)
			}
			tr.StartSpan("a", tc.opts(sc)...).Finish()
			tr.StartSpan("b", tc.opts(sc)...).Finish()
			_ = tr.Close()
			wire := wireSpans(t, c)
			a, b := wire["a"], wire["b"]
			if len(wire) != 2 || a.span.TraceID != "42" || b.span.TraceID != "42" || a.span.ParentID != "" || b.span.ParentID != "" || a.span.SpanID == b.span.SpanID {
				t.Errorf("want two roots of trace 42, got %+v and %+v", a.span, b.span)
			}
		})
	}
}

type wireSpan struct {
	span conformance.Span
	raw  *j.Span
}

// wireSpans returns the spans the collector decoded, by operation.
func wireSpans(t *testing.T, c *jaegertest.Collector) map[string]wireSpan {
	t.Helper()
	if errs := c.Errors(); len(errs) > 0 {
		t.Fatalf("the collector could not decode: %v", errs)
	}
	out := map[string]wireSpan{}
	for _, b := range c.Batches() {
		for i, s := range jaegertest.Convert(b) {
			out[s.Operation] = wireSpan{s, b.Spans[i]}
		}
	}
	return out
}

// TestDefaultSampler: JAEGER_SAMPLER_* in core's vocabulary.
func TestDefaultSampler(t *testing.T) {
	vars := []string{"JAEGER_SAMPLER_TYPE", "JAEGER_SAMPLER_PARAM", "JAEGER_SAMPLING_ENDPOINT",
		"JAEGER_SAMPLER_REFRESH_INTERVAL", "JAEGER_SAMPLER_MANAGER_HOST_PORT", "JAEGER_AGENT_HOST"}
	for _, tc := range []struct {
		name         string
		env          map[string]string
		sampler, arg string
		ok           bool
	}{
		{"unset", nil, "", "", false},
		{"param alone", map[string]string{"JAEGER_SAMPLER_PARAM": "0.5"}, "", "", false},
		{"const 1", map[string]string{"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "1"}, "parentbased_always_on", "", true},
		{"const 0", map[string]string{"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "0"}, "parentbased_always_off", "", true},
		{"const without param", map[string]string{"JAEGER_SAMPLER_TYPE": "const"}, "parentbased_always_off", "", true},
		{"probabilistic", map[string]string{"JAEGER_SAMPLER_TYPE": "probabilistic", "JAEGER_SAMPLER_PARAM": "0.25"}, "parentbased_traceidratio", "0.25", true},
		{"ratelimiting", map[string]string{"JAEGER_SAMPLER_TYPE": "ratelimiting", "JAEGER_SAMPLER_PARAM": "2.5"}, "parentbased_traceplug_ratelimiting", "2.5", true},
		{"remote, defaults", map[string]string{"JAEGER_SAMPLER_TYPE": "remote"},
			"parentbased_jaeger_remote", "endpoint=http://127.0.0.1:5778/sampling,initialSamplingRate=0.001", true},
		{"remote, all set", map[string]string{"JAEGER_SAMPLER_TYPE": "remote", "JAEGER_SAMPLER_PARAM": "0.1",
			"JAEGER_SAMPLING_ENDPOINT": "http://sampling:5778/sampling", "JAEGER_SAMPLER_REFRESH_INTERVAL": "30s"},
			"parentbased_jaeger_remote", "endpoint=http://sampling:5778/sampling,initialSamplingRate=0.1,pollingIntervalMs=30000", true},
		{"remote, agent host", map[string]string{"JAEGER_SAMPLER_TYPE": "remote", "JAEGER_AGENT_HOST": "agent"},
			"parentbased_jaeger_remote", "endpoint=http://agent:5778/sampling,initialSamplingRate=0.001", true},
		{"endpoint alone", map[string]string{"JAEGER_SAMPLING_ENDPOINT": "http://sampling:5778/sampling"},
			"parentbased_jaeger_remote", "endpoint=http://sampling:5778/sampling,initialSamplingRate=0.001", true},
		{"unknown", map[string]string{"JAEGER_SAMPLER_TYPE": "adaptive", "JAEGER_SAMPLER_PARAM": "3"}, "adaptive", "3", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range vars {
				t.Setenv(v, tc.env[v])
			}
			tr, err := jaeger.New(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: "udp://127.0.0.1:6831"})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			name, arg, ok := tr.DefaultSampler()
			if name != tc.sampler || arg != tc.arg || ok != tc.ok {
				t.Errorf("DefaultSampler() = %q, %q, %v; want %q, %q, %v", name, arg, ok, tc.sampler, tc.arg, tc.ok)
			}
		})
	}
}
