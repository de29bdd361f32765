package propagation_test

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/propagation"
)

// contextFormats are the formats that carry a span context.
var contextFormats = []string{"tracecontext", "b3", "b3multi", "jaeger", "ottrace"}

// through returns what of sc (baggage aside) format f carries.
func through(f string, sc propagation.SpanContext) propagation.SpanContext {
	sc.Baggage = nil
	if f != "tracecontext" {
		sc.TraceState = ""
	}
	switch f {
	case "tracecontext", "ottrace":
		sc.ParentID = 0
		if sc.Sampling.IsSampled(false) {
			sc.Sampling = yes
		} else {
			sc.Sampling = no
		}
		if f == "ottrace" {
			sc.TraceIDHigh = 0
		}
	case "b3":
		if sc.Sampling == deferred {
			sc.ParentID = 0
		}
	case "jaeger":
		if sc.Sampling == deferred {
			sc.Sampling = no
		}
	}
	return sc
}

// roundTrip checks that what p writes for sc it reads back as the first
// context format of its list carries it, with sc's baggage when a listed
// format carries baggage.
func roundTrip(t *testing.T, p propagation.Propagator, sc propagation.SpanContext, w propagation.Writer, r propagation.Reader) {
	t.Helper()
	p.Inject(sc, w)
	got, err := p.Extract(r)
	names := p.Names()
	var want propagation.SpanContext
	first := slices.IndexFunc(names, func(n string) bool { return slices.Contains(contextFormats, n) })
	if first >= 0 {
		want = through(names[first], sc)
		if err != nil {
			t.Fatalf("Extract: %v", err)
		}
	} else if err != opentracing.ErrSpanContextNotFound {
		t.Fatalf("Extract: %v, want ErrSpanContextNotFound", err)
	}
	if slices.ContainsFunc(names, func(n string) bool { return n != "tracecontext" }) {
		want.Baggage = sortedBaggage(sc.Baggage)
	}
	got.Baggage = sortedBaggage(got.Baggage)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: wrote %v\nread %+v\nwant %+v", p, w, got, want)
	}
}

func sortedBaggage(items []propagation.BaggageItem) []propagation.BaggageItem {
	if len(items) == 0 {
		return nil
	}
	items = slices.Clone(items)
	slices.SortFunc(items, func(a, b propagation.BaggageItem) int { return strings.Compare(a.Key, b.Key) })
	return items
}

func TestRoundTrip(t *testing.T) {
	lists := []string{
		"tracecontext", "baggage", "b3", "b3multi", "jaeger", "ottrace",
		"tracecontext,baggage", "b3multi,jaeger", "jaeger,b3multi", "ottrace,b3", "baggage,ottrace,tracecontext",
		"b3,b3multi,jaeger,ottrace,tracecontext,baggage",
	}
	var contexts []propagation.SpanContext
	for _, s := range []propagation.Sampling{deferred, no, yes, debug} {
		for _, sc := range []propagation.SpanContext{ctx64(s), ctx128(s), withParent(ctx128(s)), {TraceID: 1, SpanID: 1, Sampling: s}} {
			contexts = append(contexts, sc, withState(withBaggage(sc, "user", "alice smith", "tier", "gold"), "rojo=1,congo=2"))
		}
	}
	for _, list := range lists {
		t.Run(list, func(t *testing.T) {
			p := mustParse(t, list)
			for _, sc := range contexts {
				h := http.Header{}
				roundTrip(t, p, sc, opentracing.HTTPHeadersCarrier(h), opentracing.HTTPHeadersCarrier(h))
				tm := opentracing.TextMapCarrier{}
				roundTrip(t, p, sc, tm, tm)
			}
		})
	}
}
