package propagation_test

import (
	"reflect"
	"strings"
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
		{name: "debug id", kv: []string{"jaeger-debug-id", "x"}, want: propagation.SpanContext{Sampling: debug, DebugID: "x"}, res: notFound},
		{name: "no headers", kv: []string{"accept", "*/*"}, want: none, res: notFound},
	})
}

// TestExtractJaegerDebugID: jaeger-debug-id without uber-trace-id is a
// forced trace with nothing to continue: ErrSpanContextNotFound, with
// SamplingDebug and the id; beside any context, valid or corrupt, it is
// ignored.
func TestExtractJaegerDebugID(t *testing.T) {
	var none propagation.SpanContext
	forced := func(id string) propagation.SpanContext {
		return propagation.SpanContext{Sampling: debug, DebugID: id}
	}
	dbg := func(v string, kv ...string) []string { return append([]string{"jaeger-debug-id", v}, kv...) }
	ut := []string{"uber-trace-id", tid64 + ":" + sid + ":0:1"}
	long := strings.Repeat("a", 256)
	runExtract(t, "jaeger", []extractCase{
		{name: "alone", kv: dbg("req-42"), want: forced("req-42"), res: notFound},
		{name: "canonical name", kv: []string{"Jaeger-Debug-Id", "req-42"}, want: forced("req-42"), res: notFound},
		{name: "upper case name", kv: []string{"JAEGER-DEBUG-ID", "req-42"}, want: forced("req-42"), res: notFound},
		{name: "with baggage", kv: dbg("req-42", "uberctx-k", "v"), want: withBaggage(forced("req-42"), "k", "v"), res: notFound},
		{name: "two values", kv: dbg("first", "jaeger-debug-id", "second"), want: none, res: notFound},
		{name: "one value twice", kv: dbg("first", "Jaeger-Debug-Id", "first"), want: forced("first"), res: notFound},
		{name: "URL-decoded", kv: dbg("a%20b+c%2B"), want: forced("a b c+"), res: notFound},
		{name: "bad escape kept", kv: dbg("100%"), want: forced("100%"), res: notFound},
		{name: "white space trimmed", kv: dbg(" \tid \t"), want: forced("id"), res: notFound},
		{name: "UTF-8", kv: dbg("café ✓"), want: forced("café ✓"), res: notFound},
		{name: "256 bytes kept", kv: dbg(long), want: forced(long), res: notFound},
		{name: "257 bytes cut", kv: dbg(long + "b"), want: forced(long), res: notFound},
		{name: "cut on a UTF-8 boundary", kv: dbg(long[1:] + "é"), want: forced(long[1:]), res: notFound},
		{name: "megabyte cut", kv: dbg(strings.Repeat("x", 1<<20)), want: forced(strings.Repeat("x", 256)), res: notFound},
		{name: "empty", kv: dbg(""), want: none, res: notFound},
		{name: "white space only", kv: dbg(" "), want: none, res: notFound},
		{name: "tab inside", kv: dbg("a\tb"), want: none, res: notFound},
		{name: "newline", kv: dbg("a\nb"), want: none, res: notFound},
		{name: "NUL", kv: dbg("a\x00b"), want: none, res: notFound},
		{name: "DEL", kv: dbg("a\x7fb"), want: none, res: notFound},
		{name: "C1 control", kv: dbg("a\u0085b"), want: none, res: notFound},
		{name: "encoded newline", kv: dbg("a%0Ab"), want: none, res: notFound},
		{name: "control past the cut", kv: dbg(long + "\n"), want: none, res: notFound},
		{name: "invalid UTF-8", kv: dbg("a\xffb"), want: none, res: notFound},
		{name: "encoded invalid UTF-8", kv: dbg("a%FFb"), want: none, res: notFound},
		{name: "valid uber-trace-id wins", kv: dbg("req-42", ut...), want: ctx64(yes)},
		{name: "corrupt uber-trace-id", kv: dbg("req-42", "uber-trace-id", "1:2"), want: none, res: corrupted, text: "uber-trace-id"},
		{name: "zero trace id is corrupt", kv: dbg("req-42", "uber-trace-id", "0:1:0:1"), want: none, res: corrupted, text: "trace id is zero"},
		{name: "empty uber-trace-id is corrupt", kv: dbg("req-42", "uber-trace-id", ""), want: none, res: corrupted},
		{name: "traceparent, tracecontext first", list: "tracecontext,jaeger", kv: dbg("req-42", "traceparent", tp128), want: ctx128(yes)},
		{name: "traceparent, jaeger first", list: "jaeger,tracecontext", kv: dbg("req-42", "traceparent", tp128), want: ctx128(yes)},
		{name: "corrupt traceparent", list: "jaeger,tracecontext", kv: dbg("req-42", "traceparent", "00-zz"), want: none, res: corrupted, text: "traceparent"},
		{name: "absent traceparent", list: "tracecontext,jaeger", kv: dbg("req-42"), want: forced("req-42"), res: notFound},
		{name: "jaeger not listed", list: "tracecontext,baggage,b3,b3multi,ottrace", kv: dbg("req-42"), want: none, res: notFound},
		{name: "b3 decision listed first", list: "b3,jaeger", kv: dbg("req-42", "b3", "0"), want: propagation.SpanContext{Sampling: no}, res: notFound},
		{name: "b3 debug listed first", list: "b3multi,jaeger", kv: dbg("req-42", "x-b3-flags", "1"), want: propagation.SpanContext{Sampling: debug}, res: notFound},
		{name: "jaeger listed first", list: "jaeger,b3", kv: dbg("req-42", "b3", "0"), want: forced("req-42"), res: notFound},
		{name: "b3 without decision", list: "b3,jaeger", kv: dbg("req-42", "x-b3-sampled", ""), want: forced("req-42"), res: notFound},
		{name: "b3 context wins", list: "jaeger,b3", kv: dbg("req-42", "b3", tid64+"-"+sid+"-0"), want: ctx64(no)},
	})
}

// Inject never writes jaeger-debug-id: a forced trace has no ids to write,
// and a context with ids carries the debug flag instead.
func TestInjectNoDebugID(t *testing.T) {
	p := mustParse(t, "tracecontext,baggage,b3,b3multi,jaeger,ottrace")
	forced := propagation.SpanContext{Sampling: debug, DebugID: "req-42"}
	if h := headers(p, forced); len(h) != 0 {
		t.Errorf("forced trace without ids wrote %v", h)
	}
	sc := ctx64(debug)
	sc.DebugID = "req-42"
	h := headers(p, sc)
	for k, vs := range h {
		if strings.EqualFold(k, "jaeger-debug-id") || strings.Contains(strings.Join(vs, ","), "req-42") {
			t.Errorf("wrote %s: %q", k, vs)
		}
	}
	if want := headers(p, ctx64(debug)); !reflect.DeepEqual(h, want) {
		t.Errorf("with DebugID wrote %v, without %v", h, want)
	}
}
