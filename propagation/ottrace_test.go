package propagation_test

import (
	"testing"

	"github.com/traceplug/traceplug/propagation"
)

func TestExtractOTTrace(t *testing.T) {
	var none propagation.SpanContext
	ot := func(trace, sampled string) []string {
		return []string{"ot-tracer-traceid", trace, "ot-tracer-spanid", sid, "ot-tracer-sampled", sampled}
	}
	runExtract(t, "ottrace", []extractCase{
		{name: "sampled", kv: ot(tid64, "true"), want: ctx64(yes)},
		{name: "not sampled", kv: ot(tid64, "false"), want: ctx64(no)},
		{name: "1", kv: ot(tid64, "1"), want: ctx64(yes)},
		{name: "0", kv: ot(tid64, "0"), want: ctx64(no)},
		{name: "TRUE", kv: ot(tid64, "TRUE"), want: ctx64(yes)},
		{name: "128-bit", kv: ot(tid128, "true"), want: ctx128(yes)},
		{name: "canonical names", kv: []string{"Ot-Tracer-Traceid", tid64, "Ot-Tracer-Spanid", sid, "Ot-Tracer-Sampled", "true"}, want: ctx64(yes)},
		{name: "unpadded", kv: []string{"ot-tracer-traceid", "70607a611a8383a", "ot-tracer-spanid", "58c6ffee509f6836", "ot-tracer-sampled", "true"},
			want: propagation.SpanContext{TraceID: 0x70607a611a8383a, SpanID: 0x58c6ffee509f6836, Sampling: yes}},
		{name: "no sampled", kv: []string{"ot-tracer-traceid", tid64, "ot-tracer-spanid", sid}, want: ctx64(deferred)},
		{name: "bad sampled", kv: ot(tid64, "yes"), want: none, res: corrupted, text: "ot-tracer-sampled"},
		{name: "trace id only", kv: []string{"ot-tracer-traceid", tid64}, want: none, res: corrupted, text: "no ot-tracer-spanid"},
		{name: "span id only", kv: []string{"ot-tracer-spanid", sid}, want: none, res: corrupted, text: "no ot-tracer-traceid"},
		{name: "sampled only", kv: []string{"ot-tracer-sampled", "true"}, want: none, res: notFound},
		{name: "zero trace id", kv: ot("0000000000000000", "true"), want: none, res: corrupted, text: "zero"},
		{name: "zero span id", kv: []string{"ot-tracer-traceid", tid64, "ot-tracer-spanid", "0"}, want: none, res: corrupted, text: "zero"},
		{name: "trace id too long", kv: ot(tid128+"1", "true"), want: none, res: corrupted, text: "ot-tracer-traceid"},
		{name: "span id too long", kv: []string{"ot-tracer-traceid", tid64, "ot-tracer-spanid", sid + "1"}, want: none, res: corrupted, text: "ot-tracer-spanid"},
		{name: "baggage", kv: append(ot(tid64, "true"), "Ot-Baggage-User", "alice", "ot-baggage-checked", "baggage"),
			want: withBaggage(ctx64(yes), "checked", "baggage", "user", "alice")},
		{name: "baggage- is b3's", kv: append(ot(tid64, "true"), "baggage-user", "alice"), want: ctx64(yes)},
		{name: "no headers", kv: []string{"accept", "*/*"}, want: none, res: notFound},
	})
}
