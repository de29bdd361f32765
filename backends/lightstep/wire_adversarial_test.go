package lightstep_test

// Adversarial wire tests: what the lightstep backend puts on the wire,
// decoded by lightsteptest with lightstep's own generated collectorpb types
// (over HTTP and gRPC), and the accounting core.Tracer.Stats exposes.

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	"github.com/opentracing/opentracing-go"
	otlog "github.com/opentracing/opentracing-go/log"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

func advSpans(c *lightsteptest.Collector) []*collectorpb.Span {
	var out []*collectorpb.Span
	for _, r := range c.Reports() {
		out = append(out, r.Spans...)
	}
	return out
}

func advTags(s *collectorpb.Span) map[string]any {
	m := map[string]any{}
	for _, kv := range s.Tags {
		switch v := kv.Value.(type) {
		case *collectorpb.KeyValue_StringValue:
			m[kv.Key] = v.StringValue
		case *collectorpb.KeyValue_IntValue:
			m[kv.Key] = v.IntValue
		case *collectorpb.KeyValue_DoubleValue:
			m[kv.Key] = v.DoubleValue
		case *collectorpb.KeyValue_BoolValue:
			m[kv.Key] = v.BoolValue
		case *collectorpb.KeyValue_JsonValue:
			m[kv.Key] = v.JsonValue
		}
	}
	return m
}

// TestAdversarialLightstepEveryValue: tags of every Go type (invalid UTF-8
// and NULs included: gogo protobuf does not check UTF-8), logs of every
// field type, odd LogKV, references, explicit times, a second finish.
func TestAdversarialLightstepEveryValue(t *testing.T) {
	for _, tp := range transports {
		t.Run(tp, func(t *testing.T) {
			c := lightsteptest.New(t)
			tr := newTracer(t, c, tp)
			start := time.Unix(1_700_000_000, 987_654_000)
			a := tr.StartSpan("ref-a", opentracing.StartTime(start))
			b := tr.StartSpan("ref-b", opentracing.StartTime(start))
			s := tr.StartSpan("every\x00value\xff",
				opentracing.FollowsFrom(b.Context()), opentracing.ChildOf(a.Context()), opentracing.ChildOf(b.Context()),
				opentracing.StartTime(start))
			for k, v := range conformance.AllTagValues() {
				s.SetTag(k, v)
			}
			s.SetBaggageItem("bag", "gage\xff")
			s.LogFields(otlog.String("s", "v\x00\xff"), otlog.Uint64("u64", math.MaxUint64), otlog.Float64("f", math.NaN()),
				otlog.Error(errors.New("e")), otlog.Object("o", struct{ B string }{"b"}), otlog.Int32("i32", -5),
				otlog.Lazy(func(e otlog.Encoder) { e.EmitString("lazy", "x") }))
			s.LogKV("odd", 1, "count")
			s.LogKV(3, "key")
			s.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(1500 * time.Microsecond)})
			s.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(time.Hour)})
			s.Finish()
			a.Finish()
			b.Finish()
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}
			if errs := c.Errors(); len(errs) > 0 {
				t.Fatalf("collector errors: %v", errs)
			}
			spans := advSpans(c)
			if len(spans) != 3 {
				t.Fatalf("collector decoded %d spans, want 3", len(spans))
			}
			conformance.CheckAccounting(t, tr, 3)
			var sp, ra, rb *collectorpb.Span
			for _, x := range spans {
				switch x.OperationName {
				case "every\x00value\xff":
					sp = x
				case "ref-a":
					ra = x
				case "ref-b":
					rb = x
				}
			}
			if sp == nil || ra == nil || rb == nil {
				t.Fatalf("span with the invalid UTF-8 name did not arrive byte-exact")
			}
			tags := advTags(sp)
			if want := conformance.InvalidText()["string.bad"]; tags["string.bad"] != want || tags["\xff\x00key"] != "bad key" {
				t.Errorf("text not sent byte-exact: %q, key %q", tags["string.bad"], tags["\xff\x00key"])
			}
			if f, _ := tags["float64.nan"].(float64); !math.IsNaN(f) {
				t.Errorf("NaN arrived as %v", tags["float64.nan"])
			}
			if tags["int64.min"] != int64(math.MinInt64) || tags["uint32"] != int64(math.MaxUint32) {
				t.Errorf("ints: %v %v", tags["int64.min"], tags["uint32"])
			}
			// uint64 max does not fit an int64: any honest encoding will do
			// (the otel backend sends it as the string the bridge writes),
			// but not another number.
			for _, k := range []string{"uint64.max", "uint"} {
				if v, ok := tags[k].(int64); ok {
					t.Errorf("tag %s = uint64 %d arrived as the int64 %d", k, uint64(math.MaxUint64), v)
				}
			}
			if got := time.Duration(sp.DurationMicros) * time.Microsecond; got != 1500*time.Microsecond {
				t.Errorf("duration %v, want the first finish's 1.5ms", got)
			}
			var parent uint64
			for _, r := range sp.References {
				if r.Relationship == collectorpb.Reference_CHILD_OF {
					parent = r.SpanContext.SpanId
				}
			}
			// lightstep-tracer-go (span.go:52-69) takes the first reference of
			// either type as the parent, and sends no other.
			if parent != rb.SpanContext.SpanId {
				t.Errorf("parent %x, want the first reference (ref-b %x)", parent, rb.SpanContext.SpanId)
			}
			t.Logf("references on the wire: %d; logs %d", len(sp.References), len(sp.Logs))
		})
	}
}

// TestAdversarialLightstepHugeAndManyTags: 1 MB names and values, 10k tags,
// within the report size limit (max_report_bytes splits reports).
func TestAdversarialLightstepHugeAndManyTags(t *testing.T) {
	for _, tp := range transports {
		t.Run(tp, func(t *testing.T) {
			c := lightsteptest.New(t)
			tr := newTracer(t, c, tp)
			big := strings.Repeat("y", 1<<20)
			for i := 0; i < 5; i++ { // 5 MB in all: more than gRPC's 4 MiB
				s := tr.StartSpan(big)
				s.SetTag("big", big)
				s.Finish()
			}
			m := tr.StartSpan("many")
			for i := 0; i < 10000; i++ {
				m.SetTag("tag."+strconv.Itoa(i), i)
			}
			m.Finish()
			_ = tr.Close()
			if errs := c.Errors(); len(errs) > 0 {
				t.Fatalf("collector errors: %v", errs)
			}
			spans := advSpans(c)
			st := conformance.CheckAccounting(t, tr, len(spans))
			if len(spans) != 6 {
				t.Errorf("collector decoded %d of 6 spans (stats %+v)", len(spans), st)
			}
			for _, s := range spans {
				if s.OperationName == "many" && len(s.Tags) != 10000 {
					t.Errorf("many: %d tags", len(s.Tags))
				}
				if s.OperationName == big && advTags(s)["big"] != big {
					t.Errorf("1 MB tag cut")
				}
			}
		})
	}
}

// TestAdversarialLightsteptimesAnd128Bit: finish before start, zero finish
// time, and a 128-bit traceparent continued as its low 64 bits (documented).
func TestAdversarialLightstepTimesAnd128Bit(t *testing.T) {
	for _, tp := range transports {
		t.Run(tp, func(t *testing.T) {
			c := lightsteptest.New(t)
			tr := newTracer(t, c, tp, core.WithPropagation("tracecontext"))
			start := time.Unix(1_700_000_000, 0)
			tr.StartSpan("neg", opentracing.StartTime(start)).FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(-time.Second)})
			tr.StartSpan("zero").FinishWithOptions(opentracing.FinishOptions{})
			h := http.Header{"Traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}
			parent, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
			if err != nil {
				t.Fatal(err)
			}
			tr.StartSpan("child128", opentracing.ChildOf(parent)).Finish()
			_ = tr.Close()
			spans := advSpans(c)
			conformance.CheckAccounting(t, tr, len(spans))
			if len(spans) != 3 {
				t.Fatalf("%d spans, want 3", len(spans))
			}
			for _, s := range spans {
				switch s.OperationName {
				case "neg":
					// a negative duration must not wrap to ~584,000 years
					if s.DurationMicros > uint64(time.Hour/time.Microsecond) {
						t.Errorf("finish 1s before start: duration_micros %d (a negative duration wrapped around uint64)", s.DurationMicros)
					}
				case "zero":
					if s.DurationMicros > uint64(time.Minute/time.Microsecond) {
						t.Errorf("zero finish time gave duration %dus", s.DurationMicros)
					}
				case "child128":
					if s.SpanContext.TraceId != 0x8448eb211c80319c {
						t.Errorf("trace id %x, want the low 64 bits", s.SpanContext.TraceId)
					}
				}
			}
		})
	}
}

// TestAdversarialLightstepCloseFlushesAndLateSpans: Close flushes every
// buffered span; spans finished after Close are counted, not sent; the
// middleware's Finished count matches.
func TestAdversarialLightstepCloseFlushesAndLateSpans(t *testing.T) {
	for _, tp := range transports {
		t.Run(tp, func(t *testing.T) {
			c := lightsteptest.New(t)
			tr := newTracer(t, c, tp, core.WithParam("reporting_period", "1h"), core.WithParam("min_reporting_period", "1h"), core.WithTraceAll(true))
			conformance.CheckCloseFlushes(t, tr, func() int { return len(advSpans(c)) })
		})
	}
}

// TestAdversarialLightstepBufferOverflow: more spans than max_buffered_spans
// between reports: the overflow is counted as queue full, once.
func TestAdversarialLightstepBufferOverflow(t *testing.T) {
	for _, tp := range transports {
		t.Run(tp, func(t *testing.T) {
			c := lightsteptest.New(t)
			tr := newTracer(t, c, tp, core.WithParam("max_buffered_spans", "100"),
				core.WithParam("reporting_period", "1h"), core.WithParam("min_reporting_period", "1h"))
			for i := 0; i < 250; i++ {
				tr.StartSpan("s").Finish()
			}
			_ = tr.Close()
			spans := advSpans(c)
			st := conformance.CheckAccounting(t, tr, len(spans))
			if st.Reported+st.Dropped != 250 {
				t.Errorf("Reported %d + Dropped %d != 250 (%v)", st.Reported, st.Dropped, st.DroppedBy)
			}
			if st.DroppedBy[backend.DropQueueFull] != 250-uint64(len(spans)) {
				t.Errorf("DroppedBy %v, decoded %d", st.DroppedBy, len(spans))
			}
		})
	}
}

// TestAdversarialLightstepCollectorAnswers: a collector answering 500, 429,
// 413, or slower than report_timeout: nothing is reported, every span is
// counted as dropped, and Close returns.
func TestAdversarialLightstepCollectorAnswers(t *testing.T) {
	cases := []struct {
		name  string
		code  int
		delay time.Duration
	}{{"500", 500, 0}, {"429", 429, 0}, {"413", 413, 0}, {"slow", 200, time.Minute}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int64
			stop := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				_, _ = io.Copy(io.Discard, r.Body)
				if tc.delay > 0 {
					select {
					case <-time.After(tc.delay):
					case <-r.Context().Done():
						return
					case <-stop:
						return
					}
				}
				w.WriteHeader(tc.code)
			}))
			t.Cleanup(func() { close(stop); srv.Close() })
			tr, err := core.New("lightstep", core.WithEndpoint(srv.URL), core.WithParam("transport", "http"),
				core.WithParam("report_timeout", "2s"), core.WithParam("min_reporting_period", "100ms"), core.WithParam("reporting_period", "200ms"))
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 7; i++ {
				tr.StartSpan("s").Finish()
			}
			time.Sleep(time.Second)
			begun := time.Now()
			cerr := tr.Close()
			if d := time.Since(begun); d > 30*time.Second {
				t.Errorf("Close took %v", d)
			}
			if !errors.Is(cerr, core.ErrSpansLost) {
				t.Errorf("Close = %v, want ErrSpansLost", cerr)
			}
			st := tr.Stats()
			if st.Reported != 0 || st.Dropped != 7 || st.Pending != 0 {
				t.Errorf("stats %+v, want 7 dropped", st)
			}
			t.Logf("%d requests; DroppedBy %v", hits.Load(), st.DroppedBy)
			if hits.Load() < 1 {
				t.Error("no request reached the collector")
			}
		})
	}
}

var _ = fmt.Sprint

// TestAdversarialLightstepNilStringerTag: a tag whose value is a nil pointer
// to a type whose String method does not expect nil (fmt.Sprint, which the
// otel backend and jaeger use, recovers that panic and writes "<nil>") must
// not crash the program. lightstep-tracer-go calls String() unguarded in
// its report goroutine, so the panic would come long after SetTag, on a
// goroutine the program cannot recover on. Run in a child process, since
// the panic kills it.
func TestAdversarialLightstepNilStringerTag(t *testing.T) {
	if os.Getenv("TRACEPLUG_ADV_CHILD") == "1" {
		c := lightsteptest.New(t)
		tr := newTracer(t, c, "http")
		var nilStringer *conformance.Stringer
		tr.StartSpan("nil-stringer").SetTag("stringer.nil", nilStringer).Finish()
		_ = tr.Close()
		if n := len(c.Spans()); n != 1 {
			t.Fatalf("collector decoded %d spans, want 1", n)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAdversarialLightstepNilStringerTag$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TRACEPLUG_ADV_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		text := string(out)
		if i := strings.Index(text, "panic:"); i >= 0 {
			text = text[i:]
		}
		if len(text) > 1500 {
			text = text[:1500]
		}
		t.Errorf("a span tagged with a nil fmt.Stringer crashed the program: %v\n%s", err, text)
	}
}
