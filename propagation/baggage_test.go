package propagation_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/propagation"
)

func TestExtractW3CBaggage(t *testing.T) {
	var none propagation.SpanContext
	b := func(kv ...string) propagation.SpanContext { return withBaggage(none, kv...) }
	runExtract(t, "baggage", []extractCase{
		{name: "spec example", kv: []string{"baggage", "userId=alice,serverNode=DF%2028,isProduction=false"},
			want: b("userId", "alice", "serverNode", "DF 28", "isProduction", "false"), res: notFound},
		{name: "properties dropped", kv: []string{"baggage", "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue"},
			want: b("key1", "value1", "key2", "value2", "key3", "value3"), res: notFound},
		{name: "percent-decoded", kv: []string{"baggage", "k=%E2%9C%93%2C%3B%25%20ok"}, want: b("k", "✓,;% ok"), res: notFound},
		{name: "lower-case escapes", kv: []string{"baggage", "k=%e2%9c%93"}, want: b("k", "✓"), res: notFound},
		{name: "empty value", kv: []string{"baggage", "k="}, want: b("k", ""), res: notFound},
		{name: "malformed members skipped", kv: []string{"baggage", "=nokey,noeq,bad key=1,k=v w,k2=\"q\",k3=a\\b,ok=1,k4=%zz,k5=%4,k6=%"},
			want: b("ok", "1"), res: notFound},
		{name: "headers combined", kv: []string{"baggage", "a=1", "baggage", "b=2"}, want: b("a", "1", "b", "2"), res: notFound},
		{name: "first of a key wins", kv: []string{"baggage", "a=1,a=2"}, want: b("a", "1"), res: notFound},
		{name: "empty members", kv: []string{"baggage", ",, a=1 ,,"}, want: b("a", "1"), res: notFound},
		{name: "keys keep case", kv: []string{"baggage", "UserId=1"}, want: b("UserId", "1"), res: notFound},
		{name: "token keys", kv: []string{"baggage", "!#$%&'*+-.^_`|~=1"}, want: b("!#$%&'*+-.^_`|~", "1"), res: notFound},
		{name: "empty header", kv: []string{"baggage", ""}, want: none, res: notFound},
		{name: "with a context", list: "tracecontext,baggage", kv: []string{"traceparent", tp128, "baggage", "a=1"}, want: withBaggage(ctx128(yes), "a", "1")},
		{name: "with a corrupt context", list: "tracecontext,baggage", kv: []string{"traceparent", "00-x", "baggage", "a=1"}, want: b("a", "1"), res: corrupted},
	})
}

func TestExtractBaggageLimit(t *testing.T) {
	p := mustParse(t, "baggage,jaeger")
	var m []string
	for i := range 200 {
		m = append(m, fmt.Sprintf("k%d=%d", i, i))
	}
	h := opentracing.HTTPHeadersCarrier{"Baggage": {strings.Join(m, ",")}, "Uberctx-X": {"1"}}
	sc, _ := p.Extract(h)
	if len(sc.Baggage) != 180 || sc.Baggage[0].Key != "k0" {
		t.Errorf("got %d items, want 180, from k0", len(sc.Baggage))
	}
}

func TestBaggageMergeOrder(t *testing.T) {
	kv := []string{
		"baggage", "k=w3c,w=w3c",
		"uberctx-k", "jaeger", "uberctx-j", "jaeger",
		"baggage-k", "b3", "baggage-b", "b3",
		"ot-baggage-k", "ot", "ot-baggage-o", "ot",
	}
	var none propagation.SpanContext
	runExtract(t, "", []extractCase{
		{name: "w3c first", list: "baggage,jaeger,b3,ottrace",
			want: withBaggage(none, "k", "w3c", "w", "w3c", "j", "jaeger", "b", "b3", "o", "ot"), kv: kv, res: notFound},
		{name: "ottrace first", list: "ottrace,b3,jaeger,baggage",
			want: withBaggage(none, "k", "ot", "o", "ot", "b", "b3", "j", "jaeger", "w", "w3c"), kv: kv, res: notFound},
		{name: "b3 first", list: "b3multi,ottrace",
			want: withBaggage(none, "b", "b3", "k", "b3", "o", "ot"), kv: kv, res: notFound},
		{name: "case folded across formats", list: "baggage,jaeger", kv: []string{"baggage", "UserID=1,userid=2", "Uberctx-Userid", "3", "uberctx-other", "4"},
			want: withBaggage(none, "UserID", "1", "userid", "2", "other", "4"), res: notFound},
		{name: "case folded across formats, prefixed first", list: "jaeger,baggage", kv: []string{"baggage", "UserID=1", "Uberctx-Userid", "3"},
			want: withBaggage(none, "userid", "3"), res: notFound},
		{name: "unlisted formats not read", list: "tracecontext",
			want: none, kv: kv, res: notFound},
	})
}
