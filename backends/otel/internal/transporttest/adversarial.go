package transporttest

// Adversarial wire tests: what the otel backend puts on the wire, decoded by
// oteltest with go.opentelemetry.io/proto/otlp's own generated types, and
// the accounting core.Tracer.Stats exposes.

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	otlog "github.com/opentracing/opentracing-go/log"

	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// AdvNew builds a tracer of the service adv-svc sending to endpoint, closed
// when the test ends.
func AdvNew(t *testing.T, endpoint string, opts ...core.Option) *core.Tracer {
	t.Helper()
	tr, err := core.New("otel", append([]core.Option{core.WithEndpoint(endpoint), core.WithServiceName("adv-svc")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// AdversarialOtelEveryValue: tags of every Go type, logs of every field
// type, LogKV with odd counts, baggage, several references, explicit times;
// what the collector decodes is what the package documentation promises
// (the bridge's conversions), and Stats match.
func AdversarialOtelEveryValue(t *testing.T, tp Transport) {
	c := oteltest.New(t)
	tr := AdvNew(t, c.Endpoint(tp.Name))
	start := time.Unix(1_700_000_000, 987_654_321)

	a := tr.StartSpan("ref-a", opentracing.StartTime(start))
	b := tr.StartSpan("ref-b", opentracing.StartTime(start))
	s := tr.StartSpan("every-value",
		opentracing.FollowsFrom(b.Context()),
		opentracing.ChildOf(a.Context()),
		opentracing.FollowsFrom(a.Context()),
		opentracing.ChildOf(b.Context()),
		opentracing.StartTime(start),
		opentracing.Tag{Key: "start.tag", Value: uint64(math.MaxUint64)},
	)
	for k, v := range conformance.TagValues() {
		s.SetTag(k, v)
	}
	s.SetBaggageItem("bag", "gage")
	s.SetBaggageItem("bad", "gage\xff")
	if got := s.BaggageItem("bag"); got != "gage" {
		t.Errorf("BaggageItem(bag) = %q", got)
	}
	s.LogFields(
		otlog.String("s", "v\x00"), otlog.Bool("b", true), otlog.Int("i", -3), otlog.Int32("i32", math.MinInt32),
		otlog.Int64("i64", math.MinInt64), otlog.Uint32("u32", math.MaxUint32), otlog.Uint64("u64", math.MaxUint64),
		otlog.Float32("f32", float32(math.Inf(-1))), otlog.Float64("f64", math.NaN()), otlog.Error(errors.New("err")),
		otlog.Error(nil), otlog.Object("obj", conformance.ValueStruct{A: 2}), otlog.Object("nilobj", nil), otlog.Event("ev"), otlog.Message("msg"),
		otlog.Lazy(func(fv otlog.Encoder) { fv.EmitString("lazy1", "x"); fv.EmitInt("lazy2", 2) }),
	)
	s.LogKV("odd", 1, "count")
	s.LogKV(3, "non-string key")
	s.LogKV()
	s.LogKV("k", conformance.ValueStruct{}, "k2", nil)
	s.FinishWithOptions(opentracing.FinishOptions{
		FinishTime: start.Add(1500 * time.Nanosecond),
		LogRecords: []opentracing.LogRecord{{Timestamp: start.Add(-time.Hour), Fields: []otlog.Field{otlog.String("early", "log")}}},
	})
	s.Finish() // twice: ignored
	s.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(time.Hour)})
	a.Finish()
	b.Finish()

	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if errs := c.Errors(); len(errs) > 0 {
		t.Fatalf("the collector could not decode: %v", errs)
	}
	raw := c.OTLPSpans()
	if len(raw) != 3 {
		t.Fatalf("collector decoded %d spans, want 3", len(raw))
	}
	conformance.CheckAccounting(t, tr, 3)
	by := oteltest.ByName(raw)
	sp := by["every-value"]
	if sp == nil {
		t.Fatal("span every-value missing")
	}
	at := oteltest.Attributes(sp)
	want := map[string]any{
		"nil": "<nil>", "bool.true": true, "bool.false": false, "int": int64(-1),
		"int8": int64(math.MinInt8), "int16": int64(math.MinInt16), "int32": int64(math.MinInt32),
		"int64.min": int64(math.MinInt64), "int64.max": int64(math.MaxInt64),
		"uint": strconv.FormatUint(math.MaxUint, 10), "uint8": int64(255), "uint16": int64(65535),
		"uint32": int64(math.MaxUint32), "uint64.max": "18446744073709551615", "start.tag": "18446744073709551615",
		"float32": 1.5, "float64.inf": math.Inf(1), "float64.-inf": math.Inf(-1),
		"string.nul": "a\x00b\u2028\"<&>\\", "string.empty": "", "bytes": "[0 1 255]", "err.value": "boom",
		"struct": "{1 b}", "stringer": "stringer-3", "stringer.nil": "<nil>", "kind": "server",
		"map": "map[k:1]", "slice": "[1 2 3]",
	}
	for k, w := range want {
		if g, ok := at[k]; !ok || fmt.Sprint(g) != fmt.Sprint(w) || fmt.Sprintf("%T", g) != fmt.Sprintf("%T", w) {
			t.Errorf("attribute %s = %#v (%T), want %#v (%T)", k, g, g, w, w)
		}
	}
	if f, ok := at["float64.nan"].(float64); !ok || !math.IsNaN(f) {
		t.Errorf("attribute float64.nan = %#v, want NaN", at["float64.nan"])
	}
	if _, ok := at["pointer"].(string); !ok {
		t.Errorf("attribute pointer = %#v, want its text", at["pointer"])
	}
	// parent: the first ChildOf (a); links: every other reference.
	if got, want := fmt.Sprintf("%x", sp.GetParentSpanId()), fmt.Sprintf("%x", by["ref-a"].GetSpanId()); got != want {
		t.Errorf("parent = %s, want ref-a %s", got, want)
	}
	if n := len(sp.GetLinks()); n != 3 {
		t.Errorf("%d links, want 3 (follows b, follows a, extra child b)", n)
	}
	types := []string{}
	for _, l := range sp.GetLinks() {
		for _, kv := range l.GetAttributes() {
			if kv.GetKey() == "ot-span-reference-type" {
				types = append(types, kv.GetValue().GetStringValue())
			}
		}
	}
	if strings.Join(types, ",") != "follows-from-ref,follows-from-ref,extra-child-of" {
		t.Errorf("link types %v", types)
	}
	if got := time.Unix(0, int64(sp.GetStartTimeUnixNano())); !got.Equal(start) {
		t.Errorf("start %v, want %v", got, start)
	}
	if got := time.Unix(0, int64(sp.GetEndTimeUnixNano())); !got.Equal(start.Add(1500 * time.Nanosecond)) {
		t.Errorf("end %v, want the first finish's time", got)
	}
	// events: LogFields, the two bad LogKVs are dropped silently
	// (InterleavedKVToFields fails), LogKV() is an empty "log" event,
	// the LogKV with a struct, and the finish option's record.
	names := []string{}
	for _, e := range sp.GetEvents() {
		names = append(names, e.GetName())
	}
	t.Logf("events: %v", names)
	if len(sp.GetEvents()) < 3 {
		t.Errorf("events %v: want at least the LogFields one, LogKV's and the finish record", names)
	}
	for _, e := range sp.GetEvents() {
		if e.GetName() != "ev" {
			continue
		}
		ev := map[string]any{}
		for _, kv := range e.GetAttributes() {
			ev[kv.GetKey()] = oteltest.Value(kv.GetValue())
		}
		if ev["u64"] != "18446744073709551615" || ev["i64"] != int64(math.MinInt64) || ev["u32"] != int64(math.MaxUint32) || ev["lazy1"] != "x" {
			t.Errorf("log fields decoded as %#v", ev)
		}
	}
}

// AdversarialOtelInvalidUTF8: OTLP strings are protobuf strings, which
// must be valid UTF-8 (the Go protobuf runtime refuses to marshal or
// unmarshal anything else). A span whose operation name, tag, event or
// link attribute holds invalid UTF-8 must not cost the other spans of its
// batch, and what is sent must decode at the collector; the count must say
// what became of every span.
func AdversarialOtelInvalidUTF8(t *testing.T, tp Transport) {
	cases := map[string]func(tr *core.Tracer){
		"tag":       func(tr *core.Tracer) { tr.StartSpan("bad", opentracing.Tag{Key: "k", Value: "a\xffb"}).Finish() },
		"tag key":   func(tr *core.Tracer) { tr.StartSpan("bad", opentracing.Tag{Key: "k\xfe", Value: "v"}).Finish() },
		"operation": func(tr *core.Tracer) { tr.StartSpan("bad\xff").Finish() },
		"log":       func(tr *core.Tracer) { s := tr.StartSpan("bad"); s.LogKV("event", "e\xff"); s.Finish() },
		"error":     func(tr *core.Tracer) { tr.StartSpan("bad").SetTag("e", errors.New("boom\xff")).Finish() },
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			c := oteltest.New(t)
			tr := AdvNew(t, c.Endpoint(tp.Name), core.WithParam("export_interval", "1h"))
			for i := 0; i < 5; i++ {
				tr.StartSpan("good-" + strconv.Itoa(i)).Finish()
			}
			bad(tr)
			for i := 5; i < 10; i++ {
				tr.StartSpan("good-" + strconv.Itoa(i)).Finish()
			}
			_ = tr.Close()
			raw := c.OTLPSpans()
			st := conformance.CheckAccounting(t, tr, len(raw))
			if errs := c.Errors(); len(errs) > 0 {
				t.Errorf("the collector could not decode: %v", errs)
			}
			good := 0
			for _, s := range raw {
				if strings.HasPrefix(s.GetName(), "good-") {
					good++
				}
			}
			if good != 10 {
				t.Errorf("the collector decoded %d of the 10 good spans sent in the same batch as one with invalid UTF-8 (stats %+v)", good, st)
			}
			if st.Reported+st.Dropped != 11 {
				t.Errorf("Reported %d + Dropped %d != 11 spans finished", st.Reported, st.Dropped)
			}
		})
	}
}

// AdversarialOtelHugeAndManyTags: 1 MB names and values arrive whole;
// 10k distinct tags are cut to the SDK's attribute count limit (128), and
// the cut is on the wire as dropped_attributes_count.
func AdversarialOtelHugeAndManyTags(t *testing.T, tp Transport) {
	c := oteltest.New(t)
	tr := AdvNew(t, c.Endpoint(tp.Name))
	big := strings.Repeat("x", 1<<20)
	s := tr.StartSpan(big)
	s.SetTag("big", big)
	s.Finish()
	m := tr.StartSpan("many")
	for i := 0; i < 10000; i++ {
		m.SetTag("tag."+strconv.Itoa(i), i)
	}
	m.Finish()
	_ = tr.Close()
	if errs := c.Errors(); len(errs) > 0 {
		t.Fatalf("collector errors: %v", errs)
	}
	raw := c.OTLPSpans()
	conformance.CheckAccounting(t, tr, len(raw))
	by := oteltest.ByName(raw)
	if bs := by[big]; bs == nil {
		t.Errorf("the span with a 1 MB name did not arrive (%d spans)", len(raw))
	} else if v := oteltest.Attributes(bs)["big"]; v != big {
		t.Errorf("1 MB tag arrived as %d bytes", len(fmt.Sprint(v)))
	}
	ms := by["many"]
	if ms == nil {
		t.Fatal("span many missing")
	}
	kept, dropped := len(ms.GetAttributes()), ms.GetDroppedAttributesCount()
	t.Logf("10k tags: %d kept, %d dropped", kept, dropped)
	if kept+int(dropped) != 10000 {
		t.Errorf("kept %d + dropped_attributes_count %d != 10000 tags set", kept, dropped)
	}
	if kept != 128 {
		t.Errorf("kept %d attributes, want the SDK's default limit 128", kept)
	}
}

// AdversarialOtelTimesAnd128Bit: a finish before the start, a zero
// finish time (meaning now), a continued 128-bit trace.
func AdversarialOtelTimesAnd128Bit(t *testing.T, tp Transport) {
	c := oteltest.New(t)
	tr := AdvNew(t, c.Endpoint(tp.Name))
	start := time.Unix(1_700_000_000, 0)
	tr.StartSpan("neg", opentracing.StartTime(start)).FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(-time.Second)})
	before := time.Now()
	tr.StartSpan("zero").FinishWithOptions(opentracing.FinishOptions{})
	h := http.Header{"Traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}
	parent, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
	if err != nil {
		t.Fatal(err)
	}
	tr.StartSpan("child128", opentracing.ChildOf(parent)).Finish()
	_ = tr.Close()
	raw := c.OTLPSpans()
	conformance.CheckAccounting(t, tr, len(raw))
	by := oteltest.ByName(raw)
	if len(raw) != 3 {
		t.Fatalf("%d spans decoded, want 3", len(raw))
	}
	if z := by["zero"]; time.Unix(0, int64(z.GetEndTimeUnixNano())).Before(before) {
		t.Errorf("zero finish time gave end %d, before the span finished", z.GetEndTimeUnixNano())
	}
	n := by["neg"]
	t.Logf("finish before start: start %d end %d", n.GetStartTimeUnixNano(), n.GetEndTimeUnixNano())
	if got := fmt.Sprintf("%x", by["child128"].GetTraceId()); got != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("128-bit trace continued as %s", got)
	}
	if got := fmt.Sprintf("%x", by["child128"].GetParentSpanId()); got != "b7ad6b7169203331" {
		t.Errorf("parent %s", got)
	}
}

// AdversarialOtelCloseFlushesAndLateSpans: Close sends every queued span
// (several batches, an export interval that never ticks), and spans that
// finish after Close are counted, not sent; the middleware's Finished count
// matches.
func AdversarialOtelCloseFlushesAndLateSpans(t *testing.T, tp Transport) {
	c := oteltest.New(t)
	tr := AdvNew(t, c.Endpoint(tp.Name), core.WithParam("export_interval", "1h"), core.WithParam("batch_size", "100"), core.WithTraceAll(true))
	conformance.CheckCloseFlushes(t, tr, func() int { return len(c.OTLPSpans()) })
	for _, s := range c.OTLPSpans() {
		if s.GetName() == "late" {
			t.Error("a span finished after Close was sent")
		}
	}
}
