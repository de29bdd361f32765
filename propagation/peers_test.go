package propagation_test

// Where the propagation package agrees with the
// specifications (W3C Trace Context, W3C Baggage, B3, Jaeger, OT) and with
// the peers' own code (go.opentelemetry.io/otel/propagation,
// go.opentelemetry.io/contrib/propagators/{b3,jaeger,ot},
// github.com/openzipkin/zipkin-go/propagation/b3,
// github.com/uber/jaeger-client-go, github.com/lightstep/lightstep-tracer-go).
// None of the peers is required by the root module, so their behaviour is
// encoded here by hand, citing the file and line it comes from.

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/propagation"
)

// peerInject writes sc with list into a fresh http.Header.
func peerInject(t *testing.T, list string, sc propagation.SpanContext) http.Header {
	t.Helper()
	h := http.Header{}
	mustParse(t, list).Inject(sc, opentracing.HTTPHeadersCarrier(h))
	return h
}

// peerRepeat returns n copies of c.
func peerRepeat(c string, n int) string { return strings.Repeat(c, n) }

// ---------------------------------------------------------------------------
// W3C Trace Context: traceparent.

func TestPeersTraceparent(t *testing.T) {
	var none propagation.SpanContext
	const base = "-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	runExtract(t, "tracecontext", []extractCase{
		// §3.2.2.1/§3.2.4: version 00 is exactly 55 characters.
		{name: "v00 trailing dash data", kv: []string{"traceparent", "00" + base + "-what-the-future-will-be-like"}, want: none, res: corrupted},
		{name: "v00 trailing dot data", kv: []string{"traceparent", "00" + base + ".what-the-future-will-be-like"}, want: none, res: corrupted},
		{name: "v00 trailing dash only", kv: []string{"traceparent", "00" + base + "-"}, want: none, res: corrupted},
		// §3.2.2.1: version ff is invalid.
		{name: "version ff", kv: []string{"traceparent", "ff" + base}, want: none, res: corrupted},
		{name: "version ff with more fields", kv: []string{"traceparent", "ff" + base + "-x"}, want: none, res: corrupted},
		// §3.2.4: a higher version is parsed from its first 55 characters,
		// the flags followed by the end or a "-".
		{name: "version cc", kv: []string{"traceparent", "cc" + base}, want: ctx128(yes)},
		{name: "version cc more fields", kv: []string{"traceparent", "cc" + base + "-what-the-future-will-be-like"}, want: ctx128(yes)},
		{name: "version cc trailing dash", kv: []string{"traceparent", "cc" + base + "-"}, want: ctx128(yes)},
		{name: "version cc dot after flags", kv: []string{"traceparent", "cc" + base + ".what-the-future-will-be-like"}, want: none, res: corrupted},
		{name: "version fe", kv: []string{"traceparent", "fe" + base}, want: ctx128(yes)},
		{name: "version cc bad trace id", kv: []string{"traceparent", "cc-4bf92f3577b34da6a3ce929d0e0e473X-00f067aa0ba902b7-01"}, want: none, res: corrupted},
		// w3c/trace-context test suite: version too long / too short / illegal.
		{name: "version 000", kv: []string{"traceparent", "000" + base}, want: none, res: corrupted},
		{name: "version 0", kv: []string{"traceparent", "0" + base}, want: none, res: corrupted},
		{name: "version .0", kv: []string{"traceparent", ".0" + base}, want: none, res: corrupted},
		{name: "version upper CC", kv: []string{"traceparent", "CC" + base}, want: none, res: corrupted},
		// §3.2.2.3/4: lower-case hex only, not all zeros.
		{name: "upper-case hex", kv: []string{"traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"}, want: none, res: corrupted},
		{name: "upper-case parent id", kv: []string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"}, want: none, res: corrupted},
		{name: "zero trace id", kv: []string{"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, want: none, res: corrupted},
		{name: "zero parent id", kv: []string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"}, want: none, res: corrupted},
		{name: "trace id too long", kv: []string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e47360-00f067aa0ba902b7-01"}, want: none, res: corrupted},
		{name: "trace id too short", kv: []string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"}, want: none, res: corrupted},
		{name: "flags illegal .0", kv: []string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-.0"}, want: none, res: corrupted},
		{name: "flags three digits", kv: []string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-001"}, want: none, res: corrupted},
		// §3.2.2.5: sampled is bit 0; other bits do not make it sampled.
		{name: "flags 02", kv: []string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02"}, want: random(ctx128(no))},
		{name: "flags 03", kv: []string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"}, want: random(ctx128(yes))},
		{name: "flags 09", kv: []string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09"}, want: ctx128(yes)},
		// OWS (the test suite's test_traceparent_ows_handling).
		{name: "OWS tabs", kv: []string{"traceparent", "\t\t00" + base + "\t\t"}, want: ctx128(yes)},
		{name: "OWS spaces", kv: []string{"traceparent", "   00" + base + "   "}, want: ctx128(yes)},
		// §3.2.1 / test_traceparent_duplicated: two traceparent headers.
		{name: "two headers", kv: []string{"traceparent", "00" + base, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4737-00f067aa0ba902b7-01"}, want: none, res: corrupted},
		{name: "two headers same value", kv: []string{"traceparent", "00" + base, "Traceparent", "00" + base}, want: none, res: corrupted},
		{name: "two headers combined by a proxy", kv: []string{"traceparent", "00" + base + ",00" + base}, want: none, res: corrupted},
		{name: "HTTP/2 lower-case", kv: []string{"traceparent", "00" + base}, want: ctx128(yes)},
		{name: "upper-case header name", kv: []string{"TRACEPARENT", "00" + base}, want: ctx128(yes)},
	})
}

// Flags other than sampled: version 00 defines sampled and, in Level 2,
// random, which OpenTelemetry's SDK keeps (otel propagation's
// trace_context.go) and traceplug passes on. Whatever else is read, the
// other bits are written as zero ("Vendors MUST set those to zero",
// §3.2.2.5.2).
func TestPeersTraceparentFlagsWritten(t *testing.T) {
	for in, want := range map[string]string{"01": "01", "09": "01", "ff": "03", "fd": "01", "02": "02", "03": "03", "fe": "02"} {
		sc, err := extract(t, "tracecontext", "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-"+in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		got := peerInject(t, "tracecontext", sc).Get("traceparent")
		if want := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-" + want; got != want {
			t.Errorf("flags %s: wrote %q, want %q", in, got, want)
		}
	}
	// A future version is written back as 00.
	sc, _ := extract(t, "tracecontext", "traceparent", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra")
	if got := peerInject(t, "tracecontext", sc).Get("traceparent"); got != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00" {
		t.Errorf("future version written as %q", got)
	}
}

// ---------------------------------------------------------------------------
// W3C Trace Context: tracestate.

func TestPeersTracestate(t *testing.T) {
	tp := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	members := func(n int) string {
		m := make([]string, n)
		for i := range m {
			m[i] = fmt.Sprintf("k%d=v%d", i, i)
		}
		return strings.Join(m, ",")
	}
	kept := func(ts string) extractCase {
		return extractCase{name: "kept " + ts, kv: []string{"traceparent", tp, "tracestate", ts}, want: withState(ctx128(yes), ts)}
	}
	// keptAs: valid, passed on without its empty members and the white
	// space around members (the working tree normalizes them since
	// tracecontext.go's normalTraceState; OpenTelemetry's ParseTraceState,
	// otel/trace@v1.47.0/tracestate.go:194-200 and parseMember :142-146,
	// refuses a white-space-only member).
	keptAs := func(ts, as string) extractCase {
		return extractCase{name: "kept " + ts, kv: []string{"traceparent", tp, "tracestate", ts}, want: withState(ctx128(yes), as)}
	}
	dropped := func(name, ts string) extractCase {
		return extractCase{name: "dropped " + name, kv: []string{"traceparent", tp, "tracestate", ts}, want: ctx128(yes)}
	}
	key256 := "a" + peerRepeat("b", 255)
	tenant241 := "1" + peerRepeat("t", 240)
	system14 := "s" + peerRepeat("y", 13)
	cases := []extractCase{
		kept("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
		kept("t@s=1"),
		kept("0@s=1"),
		keptAs("foo=1 \t , \t bar=2", "foo=1,bar=2"),
		keptAs("foo=1,,bar=2", "foo=1,bar=2"),
		keptAs("foo=1, ,bar=2,", "foo=1,bar=2"),
		kept(members(32)),
		kept(key256 + "=1"),
		kept(tenant241 + "@" + system14 + "=1"),
		kept("a=" + peerRepeat("x", 256)),
		kept("a= leading space ok"),
		kept("a=!\"#$%&'()*+-./0123456789:;<>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"),
		dropped("33 members", members(33)),
		dropped("key of 257", key256+"b=1"),
		dropped("tenant of 242", "1"+tenant241+"@s=1"),
		dropped("system of 15", "t@"+system14+"y=1"),
		dropped("system starting with digit", "t@1s=1"),
		dropped("empty tenant", "@s=1,bar=2"),
		dropped("empty system", "t@=1,bar=2"),
		dropped("two @", "foo@bar@baz=1,bar=2"),
		dropped("double @", "foo@@bar=1,bar=2"),
		dropped("upper-case key", "FOO=1"),
		dropped("dot in key", "foo.bar=1"),
		dropped("space before =", "foo =1"),
		dropped("duplicate keys", "foo=1,foo=1"),
		dropped("duplicate keys, different values", "foo=1,bar=2,foo=3"),
		dropped("value with =", "foo=bar=baz"),
		dropped("empty value", "foo=,bar=3"),
		dropped("value of 257", "a="+peerRepeat("x", 257)),
		// "a=x " ends in a space, which the value grammar forbids, but list
		// members have OWS around them: the member is "a=x", kept.
		keptAs("a=x ,b=1x", "a=x,b=1x"),
		dropped("no =", "foo"),
		dropped("value with comma only member", "a=b,c"),
		dropped("control char in value", "a=b\x7f"),
		dropped("non-ASCII value", "a=é"),
		{name: "tracestate dropped with invalid traceparent", kv: []string{"traceparent", "00-xyz", "tracestate", "a=1"}, want: propagation.SpanContext{}, res: corrupted},
		{name: "w3c empty header after", kv: []string{"traceparent", tp, "tracestate", "foo=1", "tracestate", ""}, want: withState(ctx128(yes), "foo=1")},
		{name: "w3c empty header before", kv: []string{"traceparent", tp, "tracestate", "", "tracestate", "foo=1"}, want: withState(ctx128(yes), "foo=1")},
		{name: "different keys in two headers", kv: []string{"traceparent", tp, "tracestate", "foo=1", "tracestate", "bar=2"}, want: withState(ctx128(yes), "foo=1,bar=2")},
		{name: "only empty members", kv: []string{"traceparent", tp, "tracestate", " , ,"}, want: ctx128(yes)},
		{name: "33 members over two headers", kv: []string{"traceparent", tp, "tracestate", members(32), "tracestate", "z=1"}, want: ctx128(yes)},
	}
	runExtract(t, "tracecontext", cases)
}

// Tracestate is forwarded unchanged with a valid traceparent, not written
// when the traceparent was invalid, and not taken when another format gave
// the context.
func TestPeersTracestateForwarding(t *testing.T) {
	const ts = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,a@b= x y!"
	tp := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	sc, err := extract(t, "tracecontext", "traceparent", tp, "tracestate", ts)
	if err != nil {
		t.Fatal(err)
	}
	h := peerInject(t, "tracecontext", sc)
	if got := h.Get("tracestate"); got != ts {
		t.Errorf("tracestate forwarded as %q, want %q", got, ts)
	}
	// Two headers are forwarded as one, joined with ",".
	sc, _ = extract(t, "tracecontext", "traceparent", tp, "tracestate", "rojo=1", "tracestate", "congo=2")
	if got := peerInject(t, "tracecontext", sc).Values("tracestate"); len(got) != 1 || got[0] != "rojo=1,congo=2" {
		t.Errorf("two tracestate headers forwarded as %q", got)
	}
	// An invalid traceparent: no tracestate.
	sc, err = extract(t, "tracecontext", "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "tracestate", ts)
	if err == nil || sc.TraceState != "" {
		t.Errorf("with invalid traceparent: %+v, %v", sc, err)
	}
	// tracecontext invalid, b3multi valid: b3's context, no tracestate.
	sc, err = extract(t, "tracecontext,b3multi",
		"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "tracestate", ts,
		"x-b3-traceid", tid64, "x-b3-spanid", sid, "x-b3-sampled", "1")
	if err != nil || !reflect.DeepEqual(sc, ctx64(yes)) {
		t.Errorf("tracecontext invalid, b3multi valid: %+v, %v; want %+v", sc, err, ctx64(yes))
	}
	if h := peerInject(t, "tracecontext,b3multi", sc); h.Get("tracestate") != "" {
		t.Errorf("tracestate written: %q", h.Get("tracestate"))
	}
}

// ---------------------------------------------------------------------------
// W3C Baggage.

// otelParseBaggage decodes a baggage header as OpenTelemetry Go does
// (go.opentelemetry.io/otel@v1.47.0/baggage/baggage.go:380-416 parseMember,
// :591-662 Parse): members split at ",", properties after ";" dropped here,
// key and value trimmed, the key a token, the value of baggage-octet and
// "%" characters, url.PathUnescape'd, invalid UTF-8 replaced with U+FFFD.
// Invalid members are skipped; of duplicate keys the last wins.
func otelParseBaggage(t *testing.T, h string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range strings.Split(h, ",") {
		kv, _, _ := strings.Cut(m, ";")
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Errorf("member %q: no =", m)
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "" || strings.IndexFunc(k, func(r rune) bool { return !rvIsToken(r) }) >= 0 {
			t.Errorf("member %q: key is not a token", m)
			continue
		}
		for i := 0; i < len(v); i++ {
			if c := v[i]; !(c == '%' || rvIsBaggageOctet(c)) {
				t.Errorf("member %q: value byte %q must be percent-encoded", m, c)
			}
		}
		u, err := url.PathUnescape(v)
		if err != nil {
			t.Errorf("member %q: %v", m, err)
			continue
		}
		out[k] = strings.ToValidUTF8(u, "\uFFFD")
	}
	return out
}

func rvIsToken(r rune) bool {
	return r < utf8.RuneSelf && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r))
}

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
func rvIsBaggageOctet(c byte) bool {
	return c == 0x21 || 0x23 <= c && c <= 0x2b || 0x2d <= c && c <= 0x3a || 0x3c <= c && c <= 0x5b || 0x5d <= c && c <= 0x7e
}

func TestPeersBaggageExtract(t *testing.T) {
	var none propagation.SpanContext
	b := func(kv ...string) propagation.SpanContext { return withBaggage(none, kv...) }
	runExtract(t, "baggage", []extractCase{
		{name: "percent-decoding", kv: []string{"baggage", "k=a%20b%2Cc%3Bd%3De%25f%22g%5Ch"}, want: b("k", "a b,c;d=e%f\"g\\h"), res: notFound},
		{name: "plus kept", kv: []string{"baggage", "k=a+b"}, want: b("k", "a+b"), res: notFound},
		{name: "= in value", kv: []string{"baggage", "k=a=b"}, want: b("k", "a=b"), res: notFound},
		{name: "properties", kv: []string{"baggage", "k=v;p1;p2=x, k2=v2 ; p=1"}, want: b("k", "v", "k2", "v2"), res: notFound},
		{name: "OWS", kv: []string{"baggage", " \tk \t= \tv \t"}, want: b("k", "v"), res: notFound},
		// OpenTelemetry Go 1.47 skips invalid members and keeps the others
		// (baggage.go:605-618), as traceplug does.
		{name: "invalid member skipped", kv: []string{"baggage", "a=1,b c=2,d=3"}, want: b("a", "1", "d", "3"), res: notFound},
		{name: "bad escape skipped", kv: []string{"baggage", "a=%G1,d=3"}, want: b("d", "3"), res: notFound},
		{name: "space in value skipped", kv: []string{"baggage", "a=x y,d=3"}, want: b("d", "3"), res: notFound},
		{name: "quote in value skipped", kv: []string{"baggage", "a=\"x\",d=3"}, want: b("d", "3"), res: notFound},
		{name: "non-token key skipped", kv: []string{"baggage", "a(b)=1,d=3"}, want: b("d", "3"), res: notFound},
		{name: "non-ASCII key skipped", kv: []string{"baggage", "clé=1,d=3"}, want: b("d", "3"), res: notFound},
		{name: "UTF-8 value", kv: []string{"baggage", "k=%E2%9C%93"}, want: b("k", "✓"), res: notFound},
		{name: "two headers", kv: []string{"baggage", "a=1", "baggage", "b=2"}, want: b("a", "1", "b", "2"), res: notFound},
		{name: "HTTP/2 lower-case and upper", kv: []string{"BAGGAGE", "a=1"}, want: b("a", "1"), res: notFound},
	})
}

// W3C Baggage §3.2.1.3 value: "When decoding the value, percent-encoded
// octet sequences that do not match the UTF-8 encoding scheme MUST be
// replaced with the replacement code point (U+FFFD)." OpenTelemetry Go does
// (otel@v1.47.0/baggage/baggage.go:415, :418-438
// replaceInvalidUTF8Sequences), and so does traceplug.
func TestPeersBaggageInvalidUTF8(t *testing.T) {
	var none propagation.SpanContext
	b := func(kv ...string) propagation.SpanContext { return withBaggage(none, kv...) }
	runExtract(t, "baggage", []extractCase{
		{name: "invalid UTF-8 replaced", kv: []string{"baggage", "k=%FF"}, want: b("k", "\uFFFD"), res: notFound},
		{name: "invalid UTF-8 sequence replaced", kv: []string{"baggage", "k=a%C3%28b"}, want: b("k", "a\uFFFD(b"), res: notFound},
	})
}

func TestPeersBaggageExtractLimit(t *testing.T) {
	var m []string
	for i := range 200 {
		m = append(m, fmt.Sprintf("k%d=v", i))
	}
	sc, _ := extract(t, "baggage", "baggage", strings.Join(m, ","))
	if len(sc.Baggage) != 180 {
		t.Errorf("%d items kept, want at most 180 (and at least 64)", len(sc.Baggage))
	}
}

// Values with characters outside baggage-octet are percent-encoded so that
// OpenTelemetry's parser decodes them back exactly; keys that are not
// tokens are not written.
func TestPeersBaggageInject(t *testing.T) {
	items := []propagation.BaggageItem{
		{"space", "a b"}, {"quote", `say "hi"`}, {"comma", "a,b"}, {"semi", "a;b"},
		{"eq", "a=b"}, {"pct", "100%"}, {"plus", "a+b"}, {"bs", `a\b`}, {"utf8", "✓ é"},
		{"pct20", "%20"}, {"empty", ""}, {"ctl", "a\tb\r\n"}, {"Mixed-Case.Key", "v"},
		{"tok!#$&'*+-.^_`|~", "v"},
	}
	sc := withBaggage(ctx64(yes))
	sc.Baggage = items
	h := peerInject(t, "baggage", sc)
	got := otelParseBaggage(t, h.Get("baggage"))
	want := map[string]string{}
	for _, it := range items {
		want[it.Key] = it.Value
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("OpenTelemetry reads %q as\n %q\nwant %q", h.Get("baggage"), got, want)
	}
	// And traceplug reads it back.
	back, _ := propagation.Propagator(mustParse(t, "baggage")).Extract(opentracing.HTTPHeadersCarrier(h))
	if !reflect.DeepEqual(back.Baggage, items) {
		t.Errorf("read back %q, want %q", back.Baggage, items)
	}
	// Non-token keys are not written.
	sc.Baggage = []propagation.BaggageItem{{"bad key", "1"}, {"clé", "2"}, {"", "3"}, {"a,b", "4"}, {"ok", "5"}}
	if got := peerInject(t, "baggage", sc).Get("baggage"); got != "ok=5" {
		t.Errorf("wrote %q, want %q", got, "ok=5")
	}
}

func TestPeersBaggageInjectLimits(t *testing.T) {
	sc := ctx64(yes)
	for i := range 200 {
		sc.Baggage = append(sc.Baggage, propagation.BaggageItem{Key: fmt.Sprintf("k%d", i), Value: "v"})
	}
	h := peerInject(t, "baggage", sc)
	if n := len(strings.Split(h.Get("baggage"), ",")); n != 180 {
		t.Errorf("%d members written, want 180", n)
	}
	sc.Baggage = nil
	for i := range 10 {
		sc.Baggage = append(sc.Baggage, propagation.BaggageItem{Key: fmt.Sprintf("k%d", i), Value: peerRepeat("v", 1000)})
	}
	v := peerInject(t, "baggage", sc).Get("baggage")
	if len(v) > 8192 {
		t.Errorf("header of %d bytes, want at most 8192", len(v))
	}
	if n := len(strings.Split(v, ",")); n != 8 {
		t.Errorf("%d members written, want the 8 that fit", n)
	}
	// A value that grows past 8192 when encoded is dropped, whole.
	sc.Baggage = []propagation.BaggageItem{{"big", peerRepeat(" ", 3000)}, {"small", "x"}}
	if v := peerInject(t, "baggage", sc).Get("baggage"); v != "small=x" {
		t.Errorf("wrote %.40q…, want %q", v, "small=x")
	}
	// A member of more than 4096 bytes is left out: OpenTelemetry's Go SDK
	// before v1.39 (baggage.go, maxBytesPerMembers) dropped the whole header
	// for it. One of exactly 4096 bytes goes.
	at := "a=" + peerRepeat("v", 4094)
	sc.Baggage = []propagation.BaggageItem{{"first", "1"}, {"big", peerRepeat("v", 4093)}, {"a", at[2:]}, {"last", "2"}}
	if v := peerInject(t, "baggage", sc).Get("baggage"); v != "first=1,"+at+",last=2" {
		t.Errorf("wrote %.60q…, want the members of at most 4096 bytes", v)
	}
}

// ---------------------------------------------------------------------------
// B3.

func TestPeersB3Single(t *testing.T) {
	var none propagation.SpanContext
	runExtract(t, "b3", []extractCase{
		{name: "0 alone", kv: []string{"b3", "0"}, want: propagation.SpanContext{Sampling: no}, res: notFound},
		{name: "1 alone", kv: []string{"b3", "1"}, want: propagation.SpanContext{Sampling: yes}, res: notFound},
		{name: "d alone", kv: []string{"b3", "d"}, want: propagation.SpanContext{Sampling: debug}, res: notFound},
		{name: "ids only", kv: []string{"b3", tid64 + "-" + sid}, want: ctx64(deferred)},
		{name: "sampled 1", kv: []string{"b3", tid64 + "-" + sid + "-1"}, want: ctx64(yes)},
		{name: "sampled 0", kv: []string{"b3", tid64 + "-" + sid + "-0"}, want: ctx64(no)},
		{name: "debug", kv: []string{"b3", tid64 + "-" + sid + "-d"}, want: ctx64(debug)},
		{name: "with parent", kv: []string{"b3", tid128 + "-" + sid + "-1-" + pid}, want: withParent(ctx128(yes))},
		{name: "b3 true", kv: []string{"b3", "true"}, want: none, res: corrupted},
		{name: "b3 sampled true", kv: []string{"b3", tid64 + "-" + sid + "-true"}, want: none, res: corrupted},
		{name: "trace id alone 16", kv: []string{"b3", tid64}, want: none, res: corrupted},
		{name: "trace id alone 32", kv: []string{"b3", tid128}, want: none, res: corrupted},
		{name: "trace id 33", kv: []string{"b3", "0" + tid128 + "-" + sid}, want: none, res: corrupted},
		{name: "span id 17", kv: []string{"b3", tid64 + "-0" + sid}, want: none, res: corrupted},
		{name: "dash only", kv: []string{"b3", tid64 + "-" + sid + "-"}, want: none, res: corrupted},
		{name: "parent after dash without sampling", kv: []string{"b3", tid64 + "-" + sid + "--" + pid}, want: none, res: corrupted},
		{name: "HTTP/2 name", kv: []string{"B3", tid64 + "-" + sid + "-1"}, want: ctx64(yes)},
	})
}

// A 64-bit B3 trace id is written in W3C as 32 digits, padded with zeros
// (OpenTelemetry's b3 propagator pads it: b3_propagator.go:206-208,268).
func TestPeersB3To128(t *testing.T) {
	sc, err := extract(t, "b3", "b3", tid64+"-"+sid+"-1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := peerInject(t, "tracecontext", sc).Get("traceparent"), "00-0000000000000000"+tid64+"-"+sid+"-01"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
	// And back through b3: 16 digits again.
	if got := peerInject(t, "b3", sc).Get("b3"); got != tid64+"-"+sid+"-1" {
		t.Errorf("b3 %q", got)
	}
}

func TestPeersB3Multi(t *testing.T) {
	var none propagation.SpanContext
	m := func(kv ...string) []string {
		return append([]string{"X-B3-TraceId", tid64, "X-B3-SpanId", sid}, kv...)
	}
	runExtract(t, "b3multi", []extractCase{
		{name: "sampled true", kv: m("X-B3-Sampled", "true"), want: ctx64(yes)},
		{name: "sampled false", kv: m("X-B3-Sampled", "false"), want: ctx64(no)},
		{name: "sampled 1", kv: m("X-B3-Sampled", "1"), want: ctx64(yes)},
		{name: "sampled 0", kv: m("X-B3-Sampled", "0"), want: ctx64(no)},
		{name: "flags 1", kv: m("X-B3-Flags", "1"), want: ctx64(debug)},
		{name: "flags 1 sampled 1", kv: m("X-B3-Flags", "1", "X-B3-Sampled", "1"), want: ctx64(debug)},
		{name: "flags 0", kv: m("X-B3-Flags", "0", "X-B3-Sampled", "1"), want: ctx64(yes)},
		{name: "parent", kv: m("X-B3-ParentSpanId", pid, "X-B3-Sampled", "1"), want: withParent(ctx64(yes))},
		{name: "missing span id", kv: []string{"X-B3-TraceId", tid64, "X-B3-Sampled", "1"}, want: none, res: corrupted},
		{name: "missing trace id", kv: []string{"X-B3-SpanId", sid, "X-B3-Sampled", "1"}, want: none, res: corrupted},
		{name: "parent without ids", kv: []string{"X-B3-ParentSpanId", pid}, want: none, res: corrupted},
		{name: "128-bit", kv: []string{"x-b3-traceid", tid128, "x-b3-spanid", sid, "x-b3-sampled", "1"}, want: ctx128(yes)},
		{name: "empty X-B3-Flags ignored", kv: m("X-B3-Flags", "", "X-B3-Sampled", "1"), want: ctx64(yes)},
	})
}

// B3 written: debug as X-B3-Flags: 1 without X-B3-Sampled; "d" in b3.
func TestPeersB3Inject(t *testing.T) {
	h := peerInject(t, "b3multi", withParent(ctx128(debug)))
	if h.Get("X-B3-Flags") != "1" || len(h.Values("X-B3-Sampled")) != 0 || h.Get("X-B3-ParentSpanId") != pid || h.Get("X-B3-TraceId") != tid128 {
		t.Errorf("b3multi debug wrote %v", h)
	}
	if got := peerInject(t, "b3", withParent(ctx128(debug))).Get("b3"); got != tid128+"-"+sid+"-d-"+pid {
		t.Errorf("b3 debug wrote %q", got)
	}
	// zipkin-go's ParseSingleHeader (spancontext.go:144-145) rejects
	// {traceid}-{spanid}-{parentid}: a deferred context with a parent is
	// written without it.
	if got := peerInject(t, "b3", withParent(ctx64(deferred))).Get("b3"); got != tid64+"-"+sid {
		t.Errorf("b3 deferred with parent wrote %q", got)
	}
}

// ---------------------------------------------------------------------------
// Jaeger.

// jaegerContextFromString is jaeger-client-go's ContextFromString
// (jaeger-client-go@v2.30.0+incompatible/span_context.go:226-252 with
// TraceIDFromString :376-395 and SpanIDFromString :409-418), after its
// HTTPHeaders propagator's url.QueryUnescape (propagation.go:83-88,
// :140-143), returning what it keeps, ok false on error.
func jaegerContextFromString(v string) (sc propagation.SpanContext, flags byte, ok bool) {
	if u, err := url.QueryUnescape(v); err == nil {
		v = u
	}
	parts := strings.Split(v, ":")
	if v == "" || len(parts) != 4 {
		return sc, 0, false
	}
	s := parts[0]
	var err error
	switch {
	case len(s) > 32:
		return sc, 0, false
	case len(s) > 16:
		if sc.TraceIDHigh, err = strconv.ParseUint(s[:len(s)-16], 16, 64); err != nil {
			return sc, 0, false
		}
		if sc.TraceID, err = strconv.ParseUint(s[len(s)-16:], 16, 64); err != nil {
			return sc, 0, false
		}
	default:
		if sc.TraceID, err = strconv.ParseUint(s, 16, 64); err != nil {
			return sc, 0, false
		}
	}
	for i, dst := range []*uint64{&sc.SpanID, &sc.ParentID} {
		p := parts[1+i]
		if len(p) > 16 {
			return sc, 0, false
		}
		if *dst, err = strconv.ParseUint(p, 16, 64); err != nil {
			return sc, 0, false
		}
	}
	f, err := strconv.ParseUint(parts[3], 10, 8)
	if err != nil {
		return sc, 0, false
	}
	switch {
	case f&1 == 0:
		sc.Sampling = no
	case f&2 != 0:
		sc.Sampling = debug
	default:
		sc.Sampling = yes
	}
	return sc, byte(f), sc.TraceIDHigh != 0 || sc.TraceID != 0
}

func TestPeersJaegerAgainstClient(t *testing.T) {
	for _, v := range []string{
		tid64 + ":" + sid + ":" + pid + ":1",
		tid128 + ":" + sid + ":" + pid + ":1",
		"1:2:0:1", "abc:de:0:1", "ABC:DE:F:1", "1" + tid64 + ":2:3:0",
		"0000000000000000" + tid64 + ":" + sid + ":0:1",
		"abc%3Ade%3A0%3A1", "abc%3ade%3a0%3a3", "abc:de:0:0", "abc:de:0:2", "abc:de:0:3",
		"abc:de:0:8", "abc:de:0:9", "abc:de:0:13", "abc:de:0:001", "abc:de:0:255",
		"abc:de:0000000000000000:1",
		// Invalid for both.
		"abc:de:0", "abc:de:0:1:1", ":de:0:1", "abc::0:1", "abc:de::1", "abc:de:0:",
		"abc:de:0:256", "abc:de:0:-1", "abc:de:0:+1", "0x1:de:0:1", "abc:de:0:x",
		"1" + tid128 + ":de:0:1", "abc:1" + sid + ":0:1", "abc:de:1" + pid + ":1",
		"0:de:0:1", "abc:de:0:1%", "a_b:de:0:1",
	} {
		t.Run(v, func(t *testing.T) {
			want, flags, wantOK := jaegerContextFromString(v)
			got, err := extract(t, "jaeger", "uber-trace-id", v)
			if !wantOK {
				if err == nil {
					t.Errorf("traceplug accepts %+v; jaeger-client-go rejects", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("traceplug: %v; jaeger-client-go reads %+v (flags %d)", err, want, flags)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("traceplug reads %+v; jaeger-client-go %+v (flags %d)", got, want, flags)
			}
		})
	}
}

func TestPeersJaeger(t *testing.T) {
	var none propagation.SpanContext
	ut := func(v string, kv ...string) []string { return append([]string{"uber-trace-id", v}, kv...) }
	runExtract(t, "jaeger", []extractCase{
		{name: "parent 0", kv: ut(tid64 + ":" + sid + ":0:1"), want: ctx64(yes)},
		{name: "debug without sampled", kv: ut(tid64 + ":" + sid + ":0:2"), want: ctx64(no)},
		{name: "firehose sampled", kv: ut(tid64 + ":" + sid + ":0:9"), want: ctx64(yes)},
		{name: "firehose debug (hex b as jaeger-client-go writes)", kv: ut(tid64 + ":" + sid + ":0:b"), want: ctx64(debug)},
		// constants.go:30-34 JaegerDebugHeader; propagation.go:146-147 and
		// :169 (a context holding the debug id alone); tracer.go:283-286 (a
		// new trace, debug and sampled, tagged jaeger-debug-id).
		{name: "jaeger-debug-id alone", kv: []string{"jaeger-debug-id", "abc"},
			want: propagation.SpanContext{Sampling: debug, DebugID: "abc"}, res: notFound},
		// span_context.go:362-364 isDebugIDContainerOnly: not with a trace id.
		{name: "jaeger-debug-id with uber-trace-id", kv: ut(tid64+":"+sid+":0:1", "jaeger-debug-id", "abc"), want: ctx64(yes)},
		// propagation.go:143-145: a malformed uber-trace-id fails Extract.
		{name: "jaeger-debug-id with a malformed uber-trace-id", kv: ut("1:2", "jaeger-debug-id", "abc"), want: none, res: corrupted},
		{name: "uberctx encoded", kv: ut(tid64+":"+sid+":0:1", "uberctx-k", "a%20b+c%2Bd%3D%26"), want: withBaggage(ctx64(yes), "k", "a b c+d=&")},
		{name: "jaeger-baggage", kv: ut(tid64+":"+sid+":0:1", "jaeger-baggage", "k1=v1, k2=v2"), want: withBaggage(ctx64(yes), "k1", "v1", "k2", "v2")},
		{name: "HTTP/2 lower", kv: []string{"uber-trace-id", tid64 + ":" + sid + ":0:1"}, want: ctx64(yes)},
		{name: "canonical name", kv: []string{"Uber-Trace-Id", tid64 + ":" + sid + ":0:1"}, want: ctx64(yes)},
	})
}

// Jaeger written as jaeger-client-go writes it (span_context.go:214-223):
// %016x ids, flags in hex; uberctx- values url.QueryEscape'd
// (propagation.go:80-82).
func TestPeersJaegerInject(t *testing.T) {
	sc := withBaggage(withParent(ctx128(debug)), "k", "a b+c/é")
	h := peerInject(t, "jaeger", sc)
	if got, want := h.Get("uber-trace-id"), tid128+":"+sid+":"+pid+":3"; got != want {
		t.Errorf("uber-trace-id %q, want %q", got, want)
	}
	if got, want := h.Get("uberctx-k"), url.QueryEscape("a b+c/é"); got != want {
		t.Errorf("uberctx-k %q, want %q", got, want)
	}
	if got := peerInject(t, "jaeger", ctx64(deferred)).Get("uber-trace-id"); got != tid64+":"+sid+":0000000000000000:0" {
		t.Errorf("deferred: %q", got)
	}
}

// ---------------------------------------------------------------------------
// OT trace.

func TestPeersOTTrace(t *testing.T) {
	var none propagation.SpanContext
	ot := func(trace, sampled string, kv ...string) []string {
		return append([]string{"ot-tracer-traceid", trace, "ot-tracer-spanid", sid, "ot-tracer-sampled", sampled}, kv...)
	}
	runExtract(t, "ottrace", []extractCase{
		{name: "16 hex", kv: ot(tid64, "true"), want: ctx64(yes)},
		{name: "32 hex", kv: ot(tid128, "true"), want: ctx128(yes)},
		{name: "false", kv: ot(tid64, "false"), want: ctx64(no)},
		{name: "1", kv: ot(tid64, "1"), want: ctx64(yes)},
		{name: "0", kv: ot(tid64, "0"), want: ctx64(no)},
		{name: "True", kv: ot(tid64, "True"), want: ctx64(yes)},
		{name: "lightstep unpadded", kv: ot("a3ce929d0e0e473", "true"), want: propagation.SpanContext{TraceID: 0xa3ce929d0e0e473, SpanID: span, Sampling: yes}},
		{name: "baggage", kv: ot(tid64, "true", "ot-baggage-k", "v", "OT-Baggage-Up", "V"), want: withBaggage(ctx64(yes), "k", "v", "up", "V")},
		{name: "bad sampled", kv: ot(tid64, "yes"), want: none, res: corrupted},
	})
}

// An optional header sent with an empty value is, for every peer, as if it
// were absent: peers read headers with Get, which cannot tell them apart.
//   - zipkin-go@v0.4.3/propagation/b3/spancontext.go:46 (`case "":` for
//     X-B3-Sampled) and :78 (`if hdrParentSpanID != ""`);
//   - go.opentelemetry.io/contrib/propagators/b3@v1.47.0/b3_propagator.go:186
//     (`case "":` deferred) and :226 (`if parentSpanID != ""`);
//   - go.opentelemetry.io/contrib/propagators/ot@v1.47.0/ot_propagator.go
//     :136, `case "":` for ot-tracer-sampled (not sampled);
//   - lightstep-tracer-go@v0.26.0/propagation_text.go:86-88 keeps the string
//     ("" counts as the required field) and tracer.go:257 records all but
//     "false".
//
// traceplug reports these contexts corrupt and drops their ids.
func TestPeersEmptyOptionalHeaders(t *testing.T) {
	b3 := []string{"X-B3-TraceId", tid64, "X-B3-SpanId", sid}
	ot := []string{"ot-tracer-traceid", tid64, "ot-tracer-spanid", sid}
	runExtract(t, "", []extractCase{
		{name: "empty X-B3-Sampled", list: "b3multi", kv: append(b3, "X-B3-Sampled", ""), want: ctx64(deferred)},
		{name: "empty X-B3-ParentSpanId", list: "b3multi", kv: append(b3, "X-B3-ParentSpanId", "", "X-B3-Sampled", "1"), want: ctx64(yes)},
		{name: "empty ot-tracer-sampled", list: "ottrace", kv: append(ot, "ot-tracer-sampled", ""), want: ctx64(deferred)},
	})
}

// ottrace written: 16 digits (the low half), "true"/"false".
func TestPeersOTTraceInject(t *testing.T) {
	h := peerInject(t, "ottrace", withBaggage(ctx128(debug), "k", "v"))
	if h.Get("ot-tracer-traceid") != tid64 || h.Get("ot-tracer-spanid") != sid || h.Get("ot-tracer-sampled") != "true" || h.Get("ot-baggage-k") != "v" {
		t.Errorf("wrote %v", h)
	}
	if got := peerInject(t, "ottrace", ctx64(deferred)).Get("ot-tracer-sampled"); got != "false" {
		t.Errorf("deferred wrote sampled %q", got)
	}
}

// ---------------------------------------------------------------------------
// Several formats.

func TestPeersCrossFormat(t *testing.T) {
	tp := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	b3 := []string{"x-b3-traceid", "1111111111111111", "x-b3-spanid", "2222222222222222", "x-b3-sampled", "0"}
	other := propagation.SpanContext{TraceID: 0x1111111111111111, SpanID: 0x2222222222222222, Sampling: no}
	runExtract(t, "", []extractCase{
		{name: "disagree tracecontext first", list: "tracecontext,b3multi", kv: append([]string{"traceparent", tp}, b3...), want: ctx128(yes)},
		{name: "disagree b3multi first", list: "b3multi,tracecontext", kv: append([]string{"traceparent", tp}, b3...), want: other},
		{name: "first invalid", list: "tracecontext,b3multi", kv: append([]string{"traceparent", "00-zz"}, b3...), want: other},
		{name: "first invalid, tracestate dropped", list: "tracecontext,b3multi", kv: append([]string{"traceparent", "00-zz", "tracestate", "a=1"}, b3...), want: other},
		{name: "first absent", list: "tracecontext,b3multi", kv: b3, want: other},
		{name: "both invalid", list: "tracecontext,b3multi", kv: []string{"traceparent", "00-zz", "x-b3-traceid", "zz", "x-b3-spanid", "1"}, want: propagation.SpanContext{}, res: corrupted, text: "tracecontext"},
		{name: "sampling-only b3 then traceparent", list: "b3,tracecontext", kv: []string{"b3", "0", "traceparent", tp}, want: ctx128(yes)},
		{name: "HTTP/2 lower-case names", list: "jaeger,ottrace", kv: []string{"ot-tracer-traceid", tid64, "ot-tracer-spanid", sid, "ot-tracer-sampled", "true"}, want: ctx64(yes)},
		{name: "mixed-case names", list: "ottrace", kv: []string{"OT-TRACER-TRACEID", tid64, "oT-tRaCeR-sPaNiD", sid, "Ot-Tracer-Sampled", "false"}, want: ctx64(no)},
		{name: "baggage from all, context from first", list: "tracecontext,baggage,jaeger", kv: []string{"traceparent", tp, "baggage", "a=1", "uber-trace-id", "1:2:0:1", "uberctx-b", "2"},
			want: withBaggage(ctx128(yes), "a", "1", "b", "2")},
	})
}

// Injecting all formats into one header map, then extracting each format
// alone, gives the same ids (ottrace: the low 64 bits).
func TestPeersInjectAllExtractEach(t *testing.T) {
	all := "tracecontext,baggage,b3,b3multi,jaeger,ottrace"
	for _, sc := range []propagation.SpanContext{
		withBaggage(withParent(ctx128(yes)), "k", "v"),
		withBaggage(ctx64(no), "k", "v"),
		withParent(ctx64(debug)),
		{TraceID: 1, SpanID: 1, Sampling: yes},
	} {
		h := peerInject(t, all, sc)
		for _, f := range []string{"tracecontext", "b3", "b3multi", "jaeger", "ottrace"} {
			got, err := mustParse(t, f).Extract(opentracing.HTTPHeadersCarrier(h))
			if err != nil {
				t.Errorf("%s: %v (headers %v)", f, err, h)
				continue
			}
			wantHigh := sc.TraceIDHigh
			if f == "ottrace" {
				wantHigh = 0
			}
			if got.TraceIDHigh != wantHigh || got.TraceID != sc.TraceID || got.SpanID != sc.SpanID || got.Sampling.IsSampled(false) != sc.Sampling.IsSampled(false) {
				t.Errorf("%s: read %+v from %v; want ids of %+v", f, got, h, sc)
			}
		}
		// With every format listed, the first (tracecontext) gives it.
		got, err := mustParse(t, all).Extract(opentracing.HTTPHeadersCarrier(h))
		if err != nil || got.TraceID != sc.TraceID || got.SpanID != sc.SpanID {
			t.Errorf("all: %+v, %v", got, err)
		}
	}
}

// The 180-item cap keeps the items of the formats listed first ("Extract
// returns the baggage of every listed format ... in list order ... at most
// 180 items", doc.go), whatever the order headers come in: http.Header is a
// map, its order random.
func TestPeersBaggageCapListOrder(t *testing.T) {
	p := mustParse(t, "baggage,jaeger")
	h := http.Header{"Baggage": {"first=1"}}
	for i := range 200 {
		h.Set(fmt.Sprintf("uberctx-k%03d", i), "v")
	}
	for i := range 50 {
		sc, _ := p.Extract(opentracing.HTTPHeadersCarrier(h))
		if len(sc.Baggage) == 0 || sc.Baggage[0] != (propagation.BaggageItem{Key: "first", Value: "1"}) {
			t.Errorf("http.Header, try %d: W3C baggage (listed first) lost: %d items, first %+v", i, len(sc.Baggage), sc.Baggage[:1])
			break
		}
	}
	// In an ordered carrier, the uberctx- headers first.
	var kv pairs
	for i := range 200 {
		kv = append(kv, fmt.Sprintf("uberctx-k%03d", i), "v")
	}
	kv = append(kv, "baggage", "first=1")
	sc, _ := p.Extract(kv)
	if len(sc.Baggage) == 0 || sc.Baggage[0].Key != "first" {
		t.Errorf("ordered carrier: W3C baggage (listed first) lost behind 180 uberctx- headers")
	}
}

// random is sc with Level 2's random trace-id flag.
func random(sc propagation.SpanContext) propagation.SpanContext {
	sc.Random = true
	return sc
}
