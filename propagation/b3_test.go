package propagation_test

import (
	"strings"
	"testing"

	"github.com/traceplug/traceplug/propagation"
)

const (
	tid64  = "a3ce929d0e0e4736"
	tid128 = "4bf92f3577b34da6a3ce929d0e0e4736"
	sid    = "00f067aa0ba902b7"
	pid    = "1122334455667788"
)

func TestExtractB3(t *testing.T) {
	var none propagation.SpanContext
	cases := []extractCase{
		// The single header.
		{name: "single", kv: []string{"b3", tid64 + "-" + sid + "-1-" + pid}, want: withParent(ctx64(yes))},
		{name: "single 128-bit", kv: []string{"b3", tid128 + "-" + sid + "-1"}, want: ctx128(yes)},
		{name: "single not sampled", kv: []string{"b3", tid64 + "-" + sid + "-0"}, want: ctx64(no)},
		{name: "single debug", kv: []string{"b3", tid64 + "-" + sid + "-d-" + pid}, want: withParent(ctx64(debug))},
		{name: "single deferred", kv: []string{"b3", tid64 + "-" + sid}, want: ctx64(deferred)},
		{name: "single deferred with parent", kv: []string{"b3", tid64 + "-" + sid + "-" + pid}, want: withParent(ctx64(deferred))},
		{name: "single unpadded", kv: []string{"b3", "abc-de-1-f"},
			want: propagation.SpanContext{TraceID: 0xabc, SpanID: 0xde, ParentID: 0xf, Sampling: yes}},
		{name: "single unpadded 128-bit", kv: []string{"b3", "1" + tid64 + "-" + sid},
			want: propagation.SpanContext{TraceIDHigh: 1, TraceID: lo, SpanID: span}},
		{name: "single upper case", kv: []string{"b3", strings.ToUpper(tid128+"-"+sid) + "-1"}, want: ctx128(yes)},
		{name: "single white space", kv: []string{"b3", " " + tid64 + "-" + sid + "-1 "}, want: ctx64(yes)},
		{name: "single sampling only", kv: []string{"b3", "0"}, want: propagation.SpanContext{Sampling: no}, res: notFound},
		{name: "single sampling only, sampled", kv: []string{"b3", "1"}, want: propagation.SpanContext{Sampling: yes}, res: notFound},
		{name: "single sampling only, debug", kv: []string{"b3", "d"}, want: propagation.SpanContext{Sampling: debug}, res: notFound},
		{name: "single bad sampling only", kv: []string{"b3", "x"}, want: none, res: corrupted, text: "invalid sampling state"},
		{name: "single bad sampling", kv: []string{"b3", tid64 + "-" + sid + "-x-" + pid}, want: none, res: corrupted, text: "sampling"},
		{name: "single sampling true", kv: []string{"b3", tid64 + "-" + sid + "-true"}, want: none, res: corrupted, text: "b3 "},
		{name: "single empty sampling", kv: []string{"b3", tid64 + "-" + sid + "-"}, want: none, res: corrupted, text: "empty sampling"},
		{name: "single trace id only", kv: []string{"b3", tid64}, want: none, res: corrupted, text: "no span id"},
		{name: "single zero trace id", kv: []string{"b3", "0000000000000000-" + sid + "-1"}, want: none, res: corrupted, text: "trace id is zero"},
		{name: "single zero span id", kv: []string{"b3", tid64 + "-0000000000000000-1"}, want: none, res: corrupted, text: "span id is zero"},
		{name: "single trace id too long", kv: []string{"b3", "1" + tid128 + "-" + sid}, want: none, res: corrupted, text: "trace id"},
		{name: "single span id too long", kv: []string{"b3", tid64 + "-1" + sid}, want: none, res: corrupted, text: "span id"},
		{name: "single bad parent id", kv: []string{"b3", tid64 + "-" + sid + "-1-xyz"}, want: none, res: corrupted, text: "parent span id"},
		{name: "single too many fields", kv: []string{"b3", tid64 + "-" + sid + "-1-" + pid + "-1"}, want: none, res: corrupted, text: "too many"},
		{name: "single not hex", kv: []string{"b3", "xyz-" + sid}, want: none, res: corrupted, text: "trace id"},
		// The multiple headers.
		{name: "multi", kv: []string{"X-B3-TraceId", tid64, "X-B3-SpanId", sid, "X-B3-ParentSpanId", pid, "X-B3-Sampled", "1"}, want: withParent(ctx64(yes))},
		{name: "multi 128-bit", kv: []string{"x-b3-traceid", tid128, "x-b3-spanid", sid, "x-b3-sampled", "0"}, want: ctx128(no)},
		{name: "multi true", kv: []string{"x-b3-traceid", tid64, "x-b3-spanid", sid, "x-b3-sampled", "True"}, want: ctx64(yes)},
		{name: "multi false", kv: []string{"x-b3-traceid", tid64, "x-b3-spanid", sid, "x-b3-sampled", "FALSE"}, want: ctx64(no)},
		{name: "multi deferred", kv: []string{"x-b3-traceid", tid64, "x-b3-spanid", sid}, want: ctx64(deferred)},
		{name: "multi debug", kv: []string{"x-b3-traceid", tid64, "x-b3-spanid", sid, "x-b3-flags", "1"}, want: ctx64(debug)},
		{name: "multi debug over not sampled", kv: []string{"x-b3-traceid", tid64, "x-b3-spanid", sid, "x-b3-sampled", "0", "x-b3-flags", "1"}, want: ctx64(debug)},
		{name: "multi flags 0", kv: []string{"x-b3-traceid", tid64, "x-b3-spanid", sid, "x-b3-flags", "0"}, want: ctx64(deferred)},
		{name: "multi unpadded", kv: []string{"x-b3-traceid", "70607a611a8383a", "x-b3-spanid", "58c6ffee509f6836", "x-b3-sampled", "1"},
			want: propagation.SpanContext{TraceID: 0x70607a611a8383a, SpanID: 0x58c6ffee509f6836, Sampling: yes}},
		{name: "multi upper case", kv: []string{"x-b3-traceid", strings.ToUpper(tid64), "x-b3-spanid", strings.ToUpper(sid)}, want: ctx64(deferred)},
		{name: "multi zero parent", kv: []string{"x-b3-traceid", tid64, "x-b3-spanid", sid, "x-b3-parentspanid", "0"}, want: ctx64(deferred)},
		{name: "multi bad sampled", kv: []string{"x-b3-traceid", tid64, "x-b3-spanid", sid, "x-b3-sampled", "yes"}, want: none, res: corrupted, text: "x-b3-sampled"},
		{name: "multi sampled d", kv: []string{"x-b3-traceid", tid64, "x-b3-spanid", sid, "x-b3-sampled", "d"}, want: none, res: corrupted, text: "x-b3-sampled"},
		{name: "multi trace id only", kv: []string{"x-b3-traceid", tid64}, want: none, res: corrupted, text: "no x-b3-spanid"},
		{name: "multi span id only", kv: []string{"x-b3-spanid", sid}, want: none, res: corrupted, text: "no x-b3-traceid"},
		{name: "multi parent only", kv: []string{"x-b3-parentspanid", pid}, want: none, res: corrupted, text: "x-b3-parentspanid"},
		{name: "multi zero trace id", kv: []string{"x-b3-traceid", "0", "x-b3-spanid", sid}, want: none, res: corrupted, text: "zero"},
		{name: "multi zero span id", kv: []string{"x-b3-traceid", tid64, "x-b3-spanid", "0000000000000000"}, want: none, res: corrupted, text: "zero"},
		{name: "multi trace id too long", kv: []string{"x-b3-traceid", tid128 + "0", "x-b3-spanid", sid}, want: none, res: corrupted, text: "x-b3-traceid"},
		{name: "multi empty trace id", kv: []string{"x-b3-traceid", "", "x-b3-spanid", sid}, want: none, res: corrupted, text: "x-b3-traceid"},
		{name: "multi bad parent", kv: []string{"x-b3-traceid", tid64, "x-b3-spanid", sid, "x-b3-parentspanid", "-1"}, want: none, res: corrupted, text: "x-b3-parentspanid"},
		{name: "multi sampled only", kv: []string{"x-b3-sampled", "0"}, want: propagation.SpanContext{Sampling: no}, res: notFound},
		{name: "multi flags only", kv: []string{"x-b3-flags", "1"}, want: propagation.SpanContext{Sampling: debug}, res: notFound},
		// Both.
		{name: "single preferred", kv: []string{"b3", tid128 + "-" + sid + "-1", "x-b3-traceid", "1", "x-b3-spanid", "2"}, want: ctx128(yes)},
		{name: "bad single, good multi", kv: []string{"b3", "nonsense", "x-b3-traceid", tid64, "x-b3-spanid", sid, "x-b3-sampled", "1"}, want: ctx64(yes)},
		{name: "sampling-only single, good multi", kv: []string{"b3", "0", "x-b3-traceid", tid64, "x-b3-spanid", sid, "x-b3-sampled", "1"}, want: ctx64(yes)},
		{name: "both bad", kv: []string{"b3", "nonsense", "x-b3-traceid", tid64}, want: none, res: corrupted, text: "b3 \"nonsense\""},
		// Baggage.
		{name: "baggage", kv: []string{"b3", tid64 + "-" + sid + "-1", "Baggage-User", "alice", "ot-baggage-tier", "gold"},
			want: withBaggage(ctx64(yes), "user", "alice", "tier", "gold")},
		{name: "baggage- wins", kv: []string{"b3", tid64 + "-" + sid + "-1", "ot-baggage-user", "bob", "baggage-user", "alice"},
			want: withBaggage(ctx64(yes), "user", "alice")},
		{name: "baggage values as they are", kv: []string{"b3", tid64 + "-" + sid + "-1", "baggage-user", "a%20b+c"},
			want: withBaggage(ctx64(yes), "user", "a%20b+c")},
		{name: "baggage without context", kv: []string{"baggage-user", "alice"},
			want: withBaggage(none, "user", "alice"), res: notFound},
		{name: "baggage with bad context", kv: []string{"x-b3-traceid", "x", "x-b3-spanid", "y", "baggage-user", "alice"},
			want: withBaggage(none, "user", "alice"), res: corrupted},
		{name: "empty baggage prefix ignored", kv: []string{"b3", tid64 + "-" + sid, "baggage-", "x"}, want: ctx64(deferred)},
		{name: "no headers", kv: []string{"accept", "*/*"}, want: none, res: notFound},
	}
	for _, list := range []string{"b3", "b3multi", "b3,b3multi"} {
		t.Run(list, func(t *testing.T) {
			runExtract(t, list, cases)
		})
	}
}
