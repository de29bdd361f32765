package propagation_test

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/propagation"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		name, list, want string
	}{
		{"otel default", "tracecontext,baggage", "tracecontext,baggage"},
		{"spaces", " b3multi , jaeger\t", "b3multi,jaeger"},
		{"every format", "ottrace,jaeger,b3multi,b3,baggage,tracecontext", "ottrace,jaeger,b3multi,b3,baggage,tracecontext"},
		{"none", "none", "none"},
		{"none with spaces", " none ", "none"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := propagation.Parse(c.list)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.String(); got != c.want {
				t.Errorf("String() = %q, want %q", got, c.want)
			}
			q, err := propagation.Parse(p.String())
			if err != nil || q != p {
				t.Errorf("Parse(String()) = %v, %v; want %v", q, err, p)
			}
			if c.want == "none" {
				if p != (propagation.Propagator{}) || p.Names() != nil {
					t.Errorf("Parse(%q) = %v, names %q; want the zero Propagator", c.list, p, p.Names())
				}
			} else if got := strings.Join(p.Names(), ","); got != c.want {
				t.Errorf("Names() = %q, want %q", got, c.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name, list, text, hint string
		lists                  bool // the valid formats
	}{
		{"empty", "", "empty list", "", true},
		{"blank", "  ", "empty list", "", true},
		{"empty entry", "b3,,jaeger", "empty entry", "", true},
		{"trailing comma", "b3,", "empty entry", "", true},
		{"duplicate", "b3, jaeger,b3", `"b3" listed twice`, "", false},
		{"none with others", "none,b3", "cannot be combined", "", false},
		{"none twice", "none,none", "cannot be combined", "", false},
		{"b3-multi", "b3-multi", `unknown format "b3-multi"`, "b3multi", true},
		{"TraceContext", "TraceContext", `unknown format "TraceContext"`, "tracecontext", true},
		{"B3", "B3", `unknown format "B3"`, "b3", true},
		{"misspelt", "tracecontex", "unknown format", "tracecontext", true},
		{"jager", "jager", "unknown format", "jaeger", true},
		{"w3c", "w3c", "unknown format", "tracecontext", true},
		{"zipkin", "zipkin", "unknown format", "b3", true},
		{"lightstep", "lightstep", "unknown format", "ottrace", true},
		{"b3 single", "b3_single", "unknown format", "b3", true},
		{"xray", "tracecontext,xray", `unknown format "xray"`, "", true},
		{"long name", strings.Repeat("x", 1000), "…", "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := propagation.Parse(c.list)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", c.list, p)
			}
			if p != (propagation.Propagator{}) {
				t.Errorf("Parse(%q) returned %v with its error, want the zero Propagator", c.list, p)
			}
			msg := err.Error()
			if !errors.Is(err, propagation.ErrInvalidList) {
				t.Errorf("error %q does not wrap ErrInvalidList", msg)
			}
			if !strings.HasPrefix(msg, "propagation: ") {
				t.Errorf("error %q lacks the package prefix", msg)
			}
			if !strings.Contains(msg, c.text) {
				t.Errorf("error %q does not contain %q", msg, c.text)
			}
			if c.lists && !strings.Contains(msg, "b3, b3multi, baggage, jaeger, none, ottrace, tracecontext") {
				t.Errorf("error %q does not list the valid formats", msg)
			}
			hint := `did you mean "` + c.hint + `"?`
			if c.hint != "" && !strings.Contains(msg, hint) {
				t.Errorf("error %q does not contain %q", msg, hint)
			}
			if c.hint == "" && strings.Contains(msg, "did you mean") {
				t.Errorf("error %q suggests a name, want none", msg)
			}
			if len(msg) > 300 {
				t.Errorf("error is %d bytes long", len(msg))
			}
		})
	}
}

func TestFormats(t *testing.T) {
	names := propagation.Formats()
	if !slices.IsSorted(names) {
		t.Errorf("Formats() = %q, not sorted", names)
	}
	want := []string{propagation.B3, propagation.B3Multi, propagation.Baggage, propagation.Jaeger,
		propagation.None, propagation.OTTrace, propagation.TraceContext}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("Formats() = %q, want %q", names, want)
	}
	for _, n := range names {
		p, err := propagation.Parse(n)
		if err != nil {
			t.Errorf("Parse(%q): %v", n, err)
		} else if p.String() != n {
			t.Errorf("Parse(%q).String() = %q", n, p.String())
		}
	}
	names[0] = "changed"
	if propagation.Formats()[0] != propagation.B3 {
		t.Error("Formats() returns a shared slice")
	}
}

func TestZeroPropagator(t *testing.T) {
	var p propagation.Propagator
	if p.String() != "none" || p.Names() != nil {
		t.Errorf("zero Propagator: String %q, Names %q", p.String(), p.Names())
	}
	h := opentracing.HTTPHeadersCarrier{"Traceparent": {tp128}}
	if sc, err := p.Extract(h); err != opentracing.ErrSpanContextNotFound || sc.IsValid() {
		t.Errorf("Extract = %+v, %v; want ErrSpanContextNotFound", sc, err)
	}
	w := opentracing.TextMapCarrier{}
	p.Inject(withBaggage(ctx128(yes), "k", "v"), w)
	if len(w) != 0 {
		t.Errorf("Inject wrote %v", w)
	}
}

// An invalid first format followed by a valid one gives the valid one, with
// no error; of two valid ones the first listed wins.
func TestExtractOrder(t *testing.T) {
	var none propagation.SpanContext
	tc := []string{"traceparent", tp128}
	b3 := []string{"b3", "1-2-0"}
	b3ctx := propagation.SpanContext{TraceID: 1, SpanID: 2, Sampling: no}
	badTC := []string{"traceparent", "00-zz"}
	badJaeger := []string{"uber-trace-id", "1:2"}
	cat := func(kvs ...[]string) []string { return slices.Concat(kvs...) }
	runExtract(t, "", []extractCase{
		{name: "tracecontext first", list: "tracecontext,b3", kv: cat(tc, b3), want: ctx128(yes)},
		{name: "b3 first", list: "b3,tracecontext", kv: cat(tc, b3), want: b3ctx},
		{name: "first absent", list: "jaeger,b3", kv: cat(tc, b3), want: b3ctx},
		{name: "first corrupt", list: "tracecontext,b3", kv: cat(badTC, b3), want: b3ctx},
		{name: "two corrupt then valid", list: "tracecontext,jaeger,b3multi", kv: cat(badTC, badJaeger, b3), want: b3ctx},
		{name: "all corrupt", list: "tracecontext,jaeger,b3", kv: cat(badTC, badJaeger), want: none, res: corrupted,
			text: `propagation: tracecontext: traceparent "00-zz": too short; jaeger: uber-trace-id "1:2": want 4 fields separated by ":": ` + opentracing.ErrSpanContextCorrupted.Error()},
		{name: "corrupt and absent", list: "tracecontext,b3", kv: badTC, want: none, res: corrupted, text: "tracecontext: traceparent"},
		{name: "baggage only listed", list: "baggage", kv: cat(tc, b3), want: none, res: notFound},
		{name: "corrupt unlisted format ignored", list: "b3", kv: cat(badTC, b3), want: b3ctx},
		{name: "b3 sampling only, then jaeger", list: "b3,jaeger", kv: []string{"b3", "0", "uber-trace-id", "1:2:0:1"},
			want: propagation.SpanContext{TraceID: 1, SpanID: 2, Sampling: yes}},
	})
}

func TestExtractErrorQuotesLittle(t *testing.T) {
	p := mustParse(t, "tracecontext,b3,jaeger,ottrace")
	huge := strings.Repeat("x", 1<<20)
	h := opentracing.HTTPHeadersCarrier{
		"Traceparent": {huge}, "B3": {huge}, "Uber-Trace-Id": {huge},
		"Ot-Tracer-Traceid": {huge}, "Ot-Tracer-Spanid": {"1"},
	}
	_, err := p.Extract(h)
	if !errors.Is(err, opentracing.ErrSpanContextCorrupted) {
		t.Fatalf("error %v", err)
	}
	if msg := err.Error(); len(msg) > 600 || !strings.Contains(msg, `xxxx"… (1048576 bytes)`) {
		t.Errorf("error of %d bytes: %.700s", len(msg), msg)
	}
}

type failing struct{}

var errCarrier = errors.New("carrier broke")

func (failing) ForeachKey(func(k, v string) error) error { return errCarrier }

func TestExtractCarrierError(t *testing.T) {
	p := mustParse(t, "b3")
	_, err := p.Extract(failing{})
	if !errors.Is(err, errCarrier) || errors.Is(err, opentracing.ErrSpanContextNotFound) {
		t.Errorf("error %v, want one wrapping the carrier's", err)
	}
	if _, err := p.Extract(nil); err != opentracing.ErrSpanContextNotFound {
		t.Errorf("Extract(nil): %v", err)
	}
}

// headers returns what p writes for sc, through an http.Header.
func headers(p propagation.Propagator, sc propagation.SpanContext) http.Header {
	h := http.Header{}
	p.Inject(sc, opentracing.HTTPHeadersCarrier(h))
	return h
}

func TestInjectSampling(t *testing.T) {
	for _, c := range []struct {
		sampling                                  propagation.Sampling
		traceparent, b3, sampled, flags, uber, ot string
	}{
		{deferred, "00", "", "", "", "0", "false"},
		{no, "00", "-0", "0", "", "0", "false"},
		{yes, "01", "-1", "1", "", "1", "true"},
		{debug, "01", "-d", "", "1", "3", "true"},
	} {
		sc := ctx64(c.sampling)
		h := headers(mustParse(t, "tracecontext,b3,b3multi,jaeger,ottrace"), sc)
		check := func(name, got, want string) {
			t.Helper()
			if got != want {
				t.Errorf("sampling %d: %s = %q, want %q", c.sampling, name, got, want)
			}
		}
		check("traceparent flags", h.Get("traceparent")[53:], c.traceparent)
		check("b3 sampling", strings.TrimPrefix(h.Get("b3"), tid64+"-"+sid), c.b3)
		check("x-b3-sampled", h.Get("x-b3-sampled"), c.sampled)
		check("x-b3-flags", h.Get("x-b3-flags"), c.flags)
		check("uber-trace-id flags", h.Get("uber-trace-id")[len(tid64+sid+"0000000000000000")+3:], c.uber)
		check("ot-tracer-sampled", h.Get("ot-tracer-sampled"), c.ot)
		if _, ok := h["X-B3-Sampled"]; ok && c.sampled == "" {
			t.Errorf("sampling %d: X-B3-Sampled written", c.sampling)
		}
	}
}

func TestInjectB3DeferredDropsParent(t *testing.T) {
	h := headers(mustParse(t, "b3"), withParent(ctx64(deferred)))
	if got, want := h.Get("b3"), tid64+"-"+sid; got != want {
		t.Errorf("b3 = %q, want %q", got, want)
	}
}

func TestInjectInvalidContext(t *testing.T) {
	p := mustParse(t, "tracecontext,baggage,b3,b3multi,jaeger,ottrace")
	sc := withBaggage(propagation.SpanContext{TraceID: 1, Sampling: yes}, "k", "v")
	h := headers(p, sc)
	if len(h) != 1 || h.Get("baggage") != "k=v" {
		t.Errorf("Inject of an invalid context wrote %v, want baggage alone", h)
	}
}

func TestInjectLowerCaseKeys(t *testing.T) {
	p := mustParse(t, "tracecontext,baggage,b3,b3multi,jaeger,ottrace")
	w := opentracing.TextMapCarrier{}
	sc := withBaggage(withState(withParent(ctx128(debug)), "a=1"), "UserID", "1")
	p.Inject(sc, w)
	for k := range w {
		if k != strings.ToLower(k) {
			t.Errorf("key %q is not lower case", k)
		}
	}
	if w["baggage"] != "UserID=1" || w["uberctx-userid"] != "1" || w["baggage-userid"] != "1" || w["ot-baggage-userid"] != "1" {
		t.Errorf("baggage written as %v", w)
	}
}

func TestInjectBaggageValues(t *testing.T) {
	p := mustParse(t, "baggage,b3,jaeger,ottrace")
	sc := withBaggage(ctx64(yes),
		"plain", "a b",
		"control", "a\nb",
		"padded", " a ",
		"utf8", "✓",
		"bad key", "x",
		"", "empty key",
		"pct", "100%,;=\\\"",
	)
	h := headers(p, sc)
	want := http.Header{
		"Baggage":       {`plain=a%20b,control=a%0Ab,padded=%20a%20,utf8=%E2%9C%93,pct=100%25%2C%3B%3D%5C%22`},
		"Baggage-Plain": {"a b"}, "Ot-Baggage-Plain": {"a b"}, "Uberctx-Plain": {"a+b"},
		"Uberctx-Control": {"a%0Ab"},
		"Uberctx-Padded":  {"+a+"},
		"Baggage-Utf8":    {"✓"}, "Ot-Baggage-Utf8": {"✓"}, "Uberctx-Utf8": {"%E2%9C%93"},
		"Baggage-Pct": {"100%,;=\\\""}, "Ot-Baggage-Pct": {"100%,;=\\\""}, "Uberctx-Pct": {"100%25%2C%3B%3D%5C%22"},
	}
	for k := range h {
		if strings.Contains(strings.ToLower(k), "baggage") || strings.HasPrefix(k, "Uberctx-") {
			continue
		}
		delete(h, k)
	}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("got  %v\nwant %v", h, want)
	}
	// And back.
	got, err := p.Extract(opentracing.HTTPHeadersCarrier(headers(p, sc)))
	if err != nil {
		t.Fatal(err)
	}
	wantBack := withBaggage(ctx64(yes), "plain", "a b", "control", "a\nb", "padded", " a ", "utf8", "✓", "pct", "100%,;=\\\"")
	if !reflect.DeepEqual(got, wantBack) {
		t.Errorf("extracted %+v\nwant      %+v", got, wantBack)
	}
}

func TestInjectW3CBaggageLimits(t *testing.T) {
	p := mustParse(t, "baggage")
	var sc propagation.SpanContext
	for i := range 200 {
		sc = withBaggage(sc, "k"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+strings.Repeat("y", i/26), "v")
	}
	if got := strings.Count(headers(p, sc).Get("baggage"), ",") + 1; got != 180 {
		t.Errorf("%d members written, want 180", got)
	}
	sc = withBaggage(propagation.SpanContext{}, "a", "1", "big", strings.Repeat("v", 8190), "b", "2")
	if got := headers(p, sc).Get("baggage"); got != "a=1,b=2" {
		t.Errorf("baggage = %.40q, want the big member skipped", got)
	}
}

// ottrace carries the low half of the trace id only: when that is 0 it
// writes nothing, rather than a zero trace id that peers reject.
func TestInjectOTTraceZeroLow(t *testing.T) {
	sc := propagation.SpanContext{TraceIDHigh: 1, SpanID: 1, Sampling: yes}
	if h := headers(mustParse(t, "ottrace"), sc); len(h) != 0 {
		t.Errorf("wrote %v", h)
	}
	got, err := mustParse(t, "ottrace,tracecontext").Extract(opentracing.HTTPHeadersCarrier(headers(mustParse(t, "ottrace,tracecontext"), sc)))
	if err != nil || !reflect.DeepEqual(got, sc) {
		t.Errorf("read back %+v, %v", got, err)
	}
}

// TestBaggageMapAndItems: of two items with one key the first is kept, and
// a map's items come out sorted, whatever the map's order.
func TestBaggageMapAndItems(t *testing.T) {
	sc := propagation.SpanContext{Baggage: []propagation.BaggageItem{{"b", "1"}, {"a", "2"}, {"b", "3"}}}
	m := sc.BaggageMap()
	if len(m) != 2 || m["b"] != "1" || m["a"] != "2" {
		t.Errorf("BaggageMap = %v, want map[a:2 b:1]", m)
	}
	for range 20 {
		items := propagation.BaggageItems(map[string]string{"c": "3", "a": "1", "b": "2", "d": "4"})
		if fmt.Sprint(items) != "[{a 1} {b 2} {c 3} {d 4}]" {
			t.Fatalf("BaggageItems = %v, want sorted by key", items)
		}
	}
	if (propagation.SpanContext{}).BaggageMap() != nil || propagation.BaggageItems(nil) != nil {
		t.Error("no baggage gives a map or items")
	}
}

// TestClean: Clean deletes the headers of the list's formats, in any case of
// their names, and leaves the others.
func TestClean(t *testing.T) {
	p := mustParse(t, "tracecontext,baggage,b3multi")
	h := map[string][]string{
		"traceparent": {"stale"}, "Tracestate": {"a=1"}, "BAGGAGE": {"k=v"}, "X-B3-Flags": {"1"},
		"x-b3-parentspanid": {"1"}, "Baggage-K": {"v"}, "Ot-Baggage-K": {"v"},
		"Content-Type": {"text/plain"}, "Uber-Trace-Id": {"1:2:0:1"}, "Uberctx-K": {"v"}, "Ot-Tracer-Traceid": {"1"},
	}
	p.Clean(h)
	var left []string
	for k := range h {
		left = append(left, k)
	}
	slices.Sort(left)
	if want := []string{"Content-Type", "Ot-Tracer-Traceid", "Uber-Trace-Id", "Uberctx-K"}; !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
}
