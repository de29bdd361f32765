package propagation_test

import (
	"testing"

	"github.com/traceplug/traceplug/propagation"
)

func TestExtractJaeger(t *testing.T) {
	var none propagation.SpanContext
	utid := func(trace, flags string) []string {
		return []string{"uber-trace-id", trace + ":" + sid + ":" + pid + ":" + flags}
	}
	runExtract(t, "jaeger", []extractCase{
		{name: "sampled", kv: utid(tid64, "1"), want: withParent(ctx64(yes))},
		{name: "128-bit", kv: utid(tid128, "1"), want: withParent(ctx128(yes))},
		{name: "not sampled", kv: utid(tid64, "0"), want: withParent(ctx64(no))},
		{name: "debug", kv: utid(tid64, "3"), want: withParent(ctx64(debug))},
		{name: "debug not sampled", kv: utid(tid64, "2"), want: withParent(ctx64(no))},
		{name: "firehose", kv: utid(tid64, "9"), want: withParent(ctx64(yes))},
		{name: "decimal flags 10", kv: utid(tid64, "10"), want: withParent(ctx64(no))},
		{name: "decimal flags 11", kv: utid(tid64, "11"), want: withParent(ctx64(debug))},
		{name: "hex flags b", kv: utid(tid64, "b"), want: withParent(ctx64(debug))},
		{name: "leading zeros in flags", kv: utid(tid64, "001"), want: withParent(ctx64(yes))},
		{name: "flags 255", kv: utid(tid64, "255"), want: withParent(ctx64(debug))},
		{name: "flags 256", kv: utid(tid64, "256"), want: none, res: corrupted, text: "flags"},
		{name: "flags x", kv: utid(tid64, "x"), want: none, res: corrupted, text: "flags"},
		{name: "flags empty", kv: utid(tid64, ""), want: none, res: corrupted, text: "flags"},
		{name: "flags abc", kv: utid(tid64, "abc"), want: none, res: corrupted, text: "flags"},
		{name: "unpadded", kv: []string{"uber-trace-id", "abc:de:0:1"}, want: propagation.SpanContext{TraceID: 0xabc, SpanID: 0xde, Sampling: yes}},
		{name: "unpadded 128-bit", kv: []string{"uber-trace-id", "1" + tid64 + ":de:f:1"},
			want: propagation.SpanContext{TraceIDHigh: 1, TraceID: lo, SpanID: 0xde, ParentID: 0xf, Sampling: yes}},
		{name: "upper case", kv: []string{"Uber-Trace-Id", "ABC:DE:F:1"}, want: propagation.SpanContext{TraceID: 0xabc, SpanID: 0xde, ParentID: 0xf, Sampling: yes}},
		{name: "URL-encoded", kv: []string{"uber-trace-id", "abc%3Ade%3A0%3A1"}, want: propagation.SpanContext{TraceID: 0xabc, SpanID: 0xde, Sampling: yes}},
		{name: "three fields", kv: []string{"uber-trace-id", "abc:de:1"}, want: none, res: corrupted, text: "4 fields"},
		{name: "five fields", kv: []string{"uber-trace-id", "abc:de:0:1:1"}, want: none, res: corrupted, text: "4 fields"},
		{name: "zero trace id", kv: []string{"uber-trace-id", "0:de:0:1"}, want: none, res: corrupted, text: "trace id is zero"},
		{name: "zero span id", kv: []string{"uber-trace-id", "abc:0:0:1"}, want: none, res: corrupted, text: "span id is zero"},
		{name: "empty trace id", kv: []string{"uber-trace-id", ":de:0:1"}, want: none, res: corrupted, text: "trace id"},
		{name: "trace id too long", kv: utid("1"+tid128, "1"), want: none, res: corrupted, text: "trace id"},
		{name: "span id too long", kv: []string{"uber-trace-id", "abc:1" + sid + ":0:1"}, want: none, res: corrupted, text: "span id"},
		{name: "bad parent id", kv: []string{"uber-trace-id", "abc:de:x:1"}, want: none, res: corrupted, text: "parent span id"},
		{name: "baggage", kv: append(utid(tid64, "1"), "uberctx-User", "alice%20smith", "uberctx-q", "a+b%2Bc"),
			want: withBaggage(withParent(ctx64(yes)), "q", "a b+c", "user", "alice smith")},
		{name: "bad escape kept as is", kv: append(utid(tid64, "1"), "uberctx-q", "100%"),
			want: withBaggage(withParent(ctx64(yes)), "q", "100%")},
		{name: "jaeger-baggage", kv: append(utid(tid64, "1"), "jaeger-baggage", "k1=v1, k2 = v2,bad,k3=a=b"),
			want: withBaggage(withParent(ctx64(yes)), "k1", "v1", "k2", "v2")},
		{name: "jaeger-baggage URL-encoded", kv: []string{"jaeger-baggage", "k1%3Dv%201"},
			want: withBaggage(none, "k1", "v 1"), res: notFound},
		{name: "jaeger-baggage alone", kv: []string{"jaeger-baggage", "k1=v1"}, want: withBaggage(none, "k1", "v1"), res: notFound},
		{name: "uberctx wins over jaeger-baggage", kv: []string{"jaeger-baggage", "k=from-header", "uberctx-k", "from-prefix"},
			want: withBaggage(none, "k", "from-prefix"), res: notFound},
		{name: "debug id ignored", kv: []string{"jaeger-debug-id", "x"}, want: none, res: notFound},
		{name: "no headers", kv: []string{"accept", "*/*"}, want: none, res: notFound},
	})
}
