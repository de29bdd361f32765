package propagation_test

import (
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/propagation"
)

const (
	tp128 = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tp64  = "00-0000000000000000a3ce929d0e0e4736-00f067aa0ba902b7-01"
)

func TestExtractTraceContext(t *testing.T) {
	var none propagation.SpanContext
	// members returns a tracestate of n members.
	members := func(n int) string {
		m := make([]string, n)
		for i := range m {
			m[i] = "k" + strings.Repeat("x", i) + "=v"
		}
		return strings.Join(m, ",")
	}
	runExtract(t, "tracecontext", []extractCase{
		{name: "sampled", kv: []string{"traceparent", tp128}, want: ctx128(yes)},
		{name: "not sampled", kv: []string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"}, want: ctx128(no)},
		{name: "other flag bits", kv: []string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-fc"}, want: ctx128(no)},
		{name: "random flag", kv: []string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-fe"}, want: random(ctx128(no))},
		{name: "64-bit trace id", kv: []string{"traceparent", tp64}, want: ctx64(yes)},
		{name: "white space around", kv: []string{"traceparent", " \t" + tp128 + " "}, want: ctx128(yes)},
		{name: "future version", kv: []string{"traceparent", "cc" + tp128[2:]}, want: ctx128(yes)},
		{name: "future version with more fields", kv: []string{"traceparent", "01" + tp128[2:] + "-what-ever"}, want: ctx128(yes)},
		{name: "future version too long", kv: []string{"traceparent", "01" + tp128[2:] + "0"}, res: corrupted, text: "too long"},
		{name: "version ff", kv: []string{"traceparent", "ff" + tp128[2:]}, res: corrupted, text: "version ff"},
		{name: "upper-case version", kv: []string{"traceparent", "0A" + tp128[2:]}, res: corrupted, text: "version"},
		{name: "version 00 too long", kv: []string{"traceparent", tp128 + "-00"}, res: corrupted, text: "55 characters"},
		{name: "too short", kv: []string{"traceparent", tp128[:54]}, res: corrupted, text: "too short"},
		{name: "empty", kv: []string{"traceparent", ""}, res: corrupted, text: "too short"},
		{name: "upper-case trace id", kv: []string{"traceparent", strings.ToUpper(tp128[:35]) + tp128[35:]}, res: corrupted, text: "trace id"},
		{name: "upper-case span id", kv: []string{"traceparent", tp128[:36] + "00F067AA0BA902B7-01"}, res: corrupted, text: "parent id"},
		{name: "zero trace id", kv: []string{"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, res: corrupted, text: "trace id is zero"},
		{name: "zero parent id", kv: []string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"}, res: corrupted, text: "parent id is zero"},
		{name: "bad flags", kv: []string{"traceparent", tp128[:53] + "0g"}, res: corrupted, text: "flags"},
		{name: "upper-case flags", kv: []string{"traceparent", tp128[:53] + "0A"}, res: corrupted, text: "flags"},
		{name: "wrong separator", kv: []string{"traceparent", strings.Replace(tp128, "-00f0", "_00f0", 1)}, res: corrupted, text: "malformed"},
		{name: "two traceparents", kv: []string{"traceparent", tp128, "traceparent", tp128}, res: corrupted, text: "more than one"},
		{name: "tracestate", kv: []string{"traceparent", tp128, "tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"},
			want: withState(ctx128(yes), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")},
		{name: "tracestate headers joined", kv: []string{"traceparent", tp128, "tracestate", "rojo=1", "tracestate", "congo=2"},
			want: withState(ctx128(yes), "rojo=1,congo=2")},
		{name: "tracestate multi-tenant keys", kv: []string{"traceparent", tp128, "tracestate", "1a@rojo=1, t_-*/@x9=2 ,,"},
			want: withState(ctx128(yes), "1a@rojo=1,t_-*/@x9=2")},
		{name: "tracestate of 32 members", kv: []string{"traceparent", tp128, "tracestate", members(32)}, want: withState(ctx128(yes), members(32))},
		{name: "tracestate of 33 members dropped", kv: []string{"traceparent", tp128, "tracestate", members(33)}, want: ctx128(yes)},
		{name: "tracestate upper-case key dropped", kv: []string{"traceparent", tp128, "tracestate", "Rojo=1"}, want: ctx128(yes)},
		{name: "tracestate key starting with digit dropped", kv: []string{"traceparent", tp128, "tracestate", "1a=1"}, want: ctx128(yes)},
		{name: "tracestate system id too long dropped", kv: []string{"traceparent", tp128, "tracestate", "a@abcdefghijklmno=1"}, want: ctx128(yes)},
		{name: "tracestate duplicate key dropped", kv: []string{"traceparent", tp128, "tracestate", "a=1,b=2,a=3"}, want: ctx128(yes)},
		{name: "tracestate duplicate key across headers dropped", kv: []string{"traceparent", tp128, "tracestate", "a=1", "tracestate", "a=3"}, want: ctx128(yes)},
		{name: "tracestate value with = dropped", kv: []string{"traceparent", tp128, "tracestate", "a=b=c"}, want: ctx128(yes)},
		{name: "tracestate empty value dropped", kv: []string{"traceparent", tp128, "tracestate", "a="}, want: ctx128(yes)},
		{name: "tracestate value too long dropped", kv: []string{"traceparent", tp128, "tracestate", "a=" + strings.Repeat("v", 257)}, want: ctx128(yes)},
		{name: "tracestate value of 256", kv: []string{"traceparent", tp128, "tracestate", "a=" + strings.Repeat("v", 256)}, want: withState(ctx128(yes), "a="+strings.Repeat("v", 256))},
		{name: "tracestate control character dropped", kv: []string{"traceparent", tp128, "tracestate", "a=\x01"}, want: ctx128(yes)},
		{name: "tracestate white-space-only member dropped", kv: []string{"traceparent", tp128, "tracestate", "a=1, ,b=2"}, want: withState(ctx128(yes), "a=1,b=2")},
		{name: "tracestate white space around members dropped", kv: []string{"traceparent", tp128, "tracestate", " a=1 ,\tb=2\t,"}, want: withState(ctx128(yes), "a=1,b=2")},
		{name: "tracestate of empty members only dropped", kv: []string{"traceparent", tp128, "tracestate", " , ,"}, want: ctx128(yes)},
		{name: "tracestate alone", kv: []string{"tracestate", "a=1"}, want: none, res: notFound},
		{name: "tracestate with bad traceparent", kv: []string{"traceparent", "00-x", "tracestate", "a=1"}, want: none, res: corrupted},
		{name: "no headers", kv: []string{"accept", "*/*"}, want: none, res: notFound},
		{name: "other formats not read", kv: []string{"b3", "a3ce929d0e0e4736-00f067aa0ba902b7-1"}, want: none, res: notFound},
	})
}

func TestExtractManyTraceStates(t *testing.T) {
	p := mustParse(t, "tracecontext")
	h := opentracing.HTTPHeadersCarrier{"Traceparent": {tp128}}
	for range 50000 {
		h["Tracestate"] = append(h["Tracestate"], "a=1")
	}
	sc, err := p.Extract(h)
	if err != nil || sc.TraceState != "" {
		t.Errorf("Extract = %+v, %v; want the context without its too long tracestate", sc, err)
	}
	h["Tracestate"] = h["Tracestate"][:3]
	h["Tracestate"][1] = "b=2"
	h["Tracestate"][2] = " , c=3"
	if sc, _ := p.Extract(h); sc.TraceState != "a=1,b=2,c=3" {
		t.Errorf("tracestate %q", sc.TraceState)
	}
}
