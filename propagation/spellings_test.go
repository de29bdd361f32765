package propagation_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/propagation"
)

// spellingCase is a carrier holding one header under two spellings, as a
// message queue's headers may (issue 27): a TextMap, whose order is random.
type spellingCase struct {
	name, list string
	tm         opentracing.TextMapCarrier
	want       propagation.SpanContext
	res        result
	text       string // in the error
}

// checkSpellings extracts each case's TextMap 200 times (a map's order
// changes from one range to the next), and as an ordered carrier in both
// orders of its keys, and as an http.Header holding the keys as they are:
// every read must give the documented result, with the same error text.
func checkSpellings(t *testing.T, cases []spellingCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustParse(t, c.list)
			sc, err := p.Extract(c.tm)
			checkErr(t, err, c.res, c.text)
			if !reflect.DeepEqual(sc, c.want) {
				t.Fatalf("Extract(%q)\n got %+v\nwant %+v", c.list, sc, c.want)
			}
			for i := range 200 {
				sc2, err2 := p.Extract(c.tm)
				if !reflect.DeepEqual(sc2, sc) || errText(err2) != errText(err) {
					t.Fatalf("read %d differs:\n got %+v, %v\nwant %+v, %v", i, sc2, err2, sc, err)
				}
			}
			keys := slices.Sorted(func(yield func(string) bool) {
				for k := range c.tm {
					if !yield(k) {
						return
					}
				}
			})
			for _, order := range []string{"sorted", "reversed"} {
				var kv pairs
				for _, k := range keys {
					kv = append(kv, k, c.tm[k])
				}
				sc2, err2 := p.Extract(kv)
				same(t, order+" pairs carrier", sc, err, sc2, err2)
				slices.Reverse(keys)
			}
			h := http.Header{}
			for k, v := range c.tm {
				h[k] = []string{v}
			}
			sc2, err2 := p.Extract(opentracing.HTTPHeadersCarrier(h))
			same(t, "http.Header of the same keys", sc, err, sc2, err2)
		})
	}
}

// The rule (doc.go): a header that should appear once, with two different
// values (under two spellings, or repeated), makes its format corrupt; the
// same value twice is read once. W3C traceparent alone is refused twice
// whatever its values, as W3C asks. A list header (tracestate, baggage,
// jaeger-baggage) under two spellings is read once when they agree, and
// dropped when not; a baggage item of a prefixed header with two values is
// dropped.
func TestExtractTwoSpellings(t *testing.T) {
	const (
		tid64b = "b3ce929d0e0e4736"
		tp128b = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b8-01"
	)
	var none propagation.SpanContext
	b := func(kv ...string) propagation.SpanContext { return withBaggage(none, kv...) }
	b3 := tid64 + "-" + sid + "-1"
	uber := tid64 + ":" + sid + ":0:1"
	checkSpellings(t, []spellingCase{
		// Different values: the format is corrupt, whatever the order.
		{name: "traceparent", list: "tracecontext", tm: opentracing.TextMapCarrier{"traceparent": tp128, "Traceparent": tp128b},
			res: corrupted, text: "tracecontext: traceparent: more than one header"},
		{name: "b3", list: "b3", tm: opentracing.TextMapCarrier{"b3": b3, "B3": tid64b + "-" + sid + "-1"},
			res: corrupted, text: "b3: b3: two different values"},
		{name: "b3 sampling only", list: "b3", tm: opentracing.TextMapCarrier{"b3": "1", "B3": "0"},
			res: corrupted, text: "b3: b3: two different values"},
		{name: "x-b3-traceid", list: "b3multi", tm: opentracing.TextMapCarrier{"x-b3-traceid": tid64, "X-B3-TraceId": tid64b, "x-b3-spanid": sid},
			res: corrupted, text: "b3multi: x-b3-traceid: two different values"},
		{name: "x-b3-spanid", list: "b3multi", tm: opentracing.TextMapCarrier{"x-b3-traceid": tid64, "X-B3-SpanId": sid, "x-b3-spanid": pid},
			res: corrupted, text: "b3multi: x-b3-spanid: two different values"},
		{name: "x-b3-parentspanid", list: "b3multi", tm: opentracing.TextMapCarrier{"x-b3-traceid": tid64, "x-b3-spanid": sid, "X-B3-ParentSpanId": pid, "x-b3-parentspanid": sid},
			res: corrupted, text: "b3multi: x-b3-parentspanid: two different values"},
		{name: "x-b3-sampled", list: "b3multi", tm: opentracing.TextMapCarrier{"x-b3-traceid": tid64, "x-b3-spanid": sid, "X-B3-Sampled": "1", "x-b3-sampled": "0"},
			res: corrupted, text: "b3multi: x-b3-sampled: two different values"},
		{name: "x-b3-sampled alone", list: "b3multi", tm: opentracing.TextMapCarrier{"X-B3-Sampled": "1", "x-b3-sampled": "0"},
			res: corrupted, text: "b3multi: x-b3-sampled: two different values"},
		{name: "x-b3-flags", list: "b3multi", tm: opentracing.TextMapCarrier{"x-b3-traceid": tid64, "x-b3-spanid": sid, "X-B3-Flags": "1", "x-b3-flags": "0"},
			res: corrupted, text: "b3multi: x-b3-flags: two different values"},
		{name: "uber-trace-id", list: "jaeger", tm: opentracing.TextMapCarrier{"uber-trace-id": uber, "Uber-Trace-Id": tid64b + ":" + sid + ":0:1"},
			res: corrupted, text: "jaeger: uber-trace-id: two different values"},
		{name: "ot-tracer-traceid", list: "ottrace", tm: opentracing.TextMapCarrier{"ot-tracer-traceid": tid64, "Ot-Tracer-Traceid": tid64b, "ot-tracer-spanid": sid},
			res: corrupted, text: "ottrace: ot-tracer-traceid: two different values"},
		{name: "ot-tracer-traceid without span id", list: "ottrace", tm: opentracing.TextMapCarrier{"ot-tracer-traceid": tid64, "Ot-Tracer-Traceid": tid64b},
			res: corrupted, text: "ottrace: ot-tracer-traceid: two different values"},
		{name: "ot-tracer-spanid", list: "ottrace", tm: opentracing.TextMapCarrier{"ot-tracer-traceid": tid64, "OT-TRACER-SPANID": pid, "ot-tracer-spanid": sid},
			res: corrupted, text: "ottrace: ot-tracer-spanid: two different values"},
		{name: "ot-tracer-sampled", list: "ottrace", tm: opentracing.TextMapCarrier{"ot-tracer-traceid": tid64, "ot-tracer-spanid": sid, "Ot-Tracer-Sampled": "true", "ot-tracer-sampled": "false"},
			res: corrupted, text: "ottrace: ot-tracer-sampled: two different values"},
		{name: "ot-tracer-sampled alone", list: "ottrace", tm: opentracing.TextMapCarrier{"Ot-Tracer-Sampled": "true", "ot-tracer-sampled": "false"},
			res: notFound},
		{name: "jaeger-debug-id ignored", list: "jaeger", tm: opentracing.TextMapCarrier{"jaeger-debug-id": "a", "Jaeger-Debug-Id": "b"},
			res: notFound},

		// A corrupt format does not hide a valid one.
		{name: "b3 single corrupt, X-B3-* read", list: "b3", tm: opentracing.TextMapCarrier{"b3": b3, "B3": tid64b + "-" + sid + "-1", "x-b3-traceid": tid64, "x-b3-spanid": sid},
			want: ctx64(deferred)},
		{name: "b3multi corrupt, jaeger read", list: "b3multi,jaeger", tm: opentracing.TextMapCarrier{"x-b3-traceid": tid64, "X-B3-TraceId": tid64b, "x-b3-spanid": sid, "uber-trace-id": uber},
			want: ctx64(yes)},

		// List headers: dropped when their spellings disagree.
		{name: "tracestate", list: "tracecontext", tm: opentracing.TextMapCarrier{"traceparent": tp128, "tracestate": "a=1", "Tracestate": "b=2"},
			want: ctx128(yes)},
		{name: "baggage", list: "baggage", tm: opentracing.TextMapCarrier{"baggage": "a=1,b=2", "Baggage": "a=2,b=2"},
			res: notFound},
		{name: "jaeger-baggage", list: "jaeger", tm: opentracing.TextMapCarrier{"jaeger-baggage": "a=1", "Jaeger-Baggage": "a=2", "uberctx-c": "3"},
			want: b("c", "3"), res: notFound},

		// Prefixed baggage: the item is dropped, the others kept.
		{name: "uberctx-", list: "jaeger", tm: opentracing.TextMapCarrier{"uber-trace-id": uber, "uberctx-user": "a", "Uberctx-User": "b", "uberctx-tier": "gold"},
			want: withBaggage(ctx64(yes), "tier", "gold")},
		{name: "baggage- (b3)", list: "b3", tm: opentracing.TextMapCarrier{"b3": b3, "baggage-user": "a", "Baggage-User": "b", "ot-baggage-user": "c", "baggage-tier": "gold"},
			want: withBaggage(ctx64(yes), "tier", "gold", "user", "c")},
		{name: "ot-baggage- (ottrace)", list: "ottrace", tm: opentracing.TextMapCarrier{"ot-tracer-traceid": tid64, "ot-tracer-spanid": sid, "ot-baggage-user": "a", "OT-Baggage-User": "b", "ot-baggage-tier": "gold"},
			want: withBaggage(ctx64(deferred), "tier", "gold")},
		{name: "three spellings, two values", list: "jaeger", tm: opentracing.TextMapCarrier{"uberctx-user": "a", "Uberctx-User": "b", "UBERCTX-USER": "a"},
			res: notFound},
	})
}

// The same value under two spellings is read once, in every format.
func TestExtractTwoSpellingsSameValue(t *testing.T) {
	var none propagation.SpanContext
	b := func(kv ...string) propagation.SpanContext { return withBaggage(none, kv...) }
	b3 := tid64 + "-" + sid + "-1"
	uber := tid64 + ":" + sid + ":0:1"
	checkSpellings(t, []spellingCase{
		{name: "b3", list: "b3", tm: opentracing.TextMapCarrier{"b3": b3, "B3": b3}, want: ctx64(yes)},
		{name: "x-b3-*", list: "b3multi", tm: opentracing.TextMapCarrier{
			"x-b3-traceid": tid64, "X-B3-TraceId": tid64, "x-b3-spanid": sid, "X-B3-SpanId": sid,
			"x-b3-sampled": "1", "X-B3-Sampled": "1", "x-b3-parentspanid": pid, "X-B3-ParentSpanId": pid,
			"baggage-user": "a", "Baggage-User": "a",
		}, want: withBaggage(withParent(ctx64(yes)), "user", "a")},
		{name: "jaeger", list: "jaeger", tm: opentracing.TextMapCarrier{
			"uber-trace-id": uber, "Uber-Trace-Id": uber, "uberctx-user": "a", "Uberctx-User": "a",
			"jaeger-baggage": "k=v", "Jaeger-Baggage": "k=v",
		}, want: withBaggage(ctx64(yes), "user", "a", "k", "v")},
		{name: "jaeger-debug-id", list: "jaeger", tm: opentracing.TextMapCarrier{"jaeger-debug-id": "req-1", "Jaeger-Debug-Id": "req-1"},
			want: propagation.SpanContext{Sampling: debug, DebugID: "req-1"}, res: notFound},
		{name: "ottrace", list: "ottrace", tm: opentracing.TextMapCarrier{
			"ot-tracer-traceid": tid64, "OT-Tracer-TraceId": tid64, "ot-tracer-spanid": sid, "OT-Tracer-SpanId": sid,
			"ot-tracer-sampled": "true", "OT-Tracer-Sampled": "true", "ot-baggage-user": "a", "OT-Baggage-User": "a",
		}, want: withBaggage(ctx64(yes), "user", "a")},
		{name: "tracestate", list: "tracecontext", tm: opentracing.TextMapCarrier{"traceparent": tp128, "tracestate": "a=1,b=2", "Tracestate": "a=1,b=2"},
			want: withState(ctx128(yes), "a=1,b=2")},
		{name: "baggage", list: "baggage", tm: opentracing.TextMapCarrier{"baggage": "b=2,a=1", "Baggage": "b=2,a=1", "BAGGAGE": "b=2,a=1"},
			want: b("b", "2", "a", "1"), res: notFound},
		// W3C: two traceparent headers are invalid, even alike.
		{name: "traceparent", list: "tracecontext", tm: opentracing.TextMapCarrier{"traceparent": tp128, "Traceparent": tp128},
			res: corrupted, text: "more than one"},
	})
}

// A header repeated under one name, as an http.Header holds it (net/http
// makes one name of two spellings): a single-valued header with two
// different values is corrupt (whichever a proxy let through first); list
// headers join their values in order, as HTTP says.
func TestExtractRepeatedHeader(t *testing.T) {
	var none propagation.SpanContext
	runExtract(t, "", []extractCase{
		{name: "b3", list: "b3", kv: []string{"b3", tid64 + "-" + sid + "-1", "B3", tid64 + "-" + pid + "-1"}, res: corrupted, text: "b3: b3: two different values"},
		{name: "b3 same value", list: "b3", kv: []string{"b3", tid64 + "-" + sid, "B3", tid64 + "-" + sid}, want: ctx64(deferred)},
		{name: "uberctx-", list: "jaeger", kv: []string{"uberctx-k", "1", "Uberctx-K", "2", "uberctx-j", "3"}, want: withBaggage(none, "j", "3"), res: notFound},
		{name: "tracestate", list: "tracecontext", kv: []string{"traceparent", tp128, "tracestate", "a=1", "tracestate", "b=2"}, want: withState(ctx128(yes), "a=1,b=2")},
		{name: "baggage", list: "baggage", kv: []string{"baggage", "a=1", "baggage", "b=2,a=2"}, want: withBaggage(none, "a", "1", "b", "2"), res: notFound},
	})
}

// Past 180 items of one prefix, the items kept do not depend on the order
// of the headers: those of the smallest keys.
func TestExtractPrefixedBaggageCapIsDeterministic(t *testing.T) {
	p := mustParse(t, "jaeger")
	tm := opentracing.TextMapCarrier{}
	for i := range 400 {
		tm[fmt.Sprintf("uberctx-k%03d", i)] = "v"
	}
	var want []propagation.BaggageItem
	for i := range 180 {
		want = append(want, propagation.BaggageItem{Key: fmt.Sprintf("k%03d", i), Value: "v"})
	}
	for i := range 50 {
		sc, _ := p.Extract(tm)
		if !reflect.DeepEqual(sc.Baggage, want) {
			t.Fatalf("read %d: %d items, from %v to %v; want k000 to k179", i, len(sc.Baggage), sc.Baggage[0], sc.Baggage[len(sc.Baggage)-1])
		}
	}
	// And in an ordered carrier, in decreasing order.
	var kv pairs
	for i := 399; i >= 0; i-- {
		kv = append(kv, fmt.Sprintf("uberctx-k%03d", i), "v")
	}
	if sc, _ := p.Extract(kv); !reflect.DeepEqual(sc.Baggage, want) {
		t.Fatalf("ordered carrier: %d items, from %v; want k000 to k179", len(sc.Baggage), sc.Baggage[0])
	}
}
