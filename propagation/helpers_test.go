package propagation_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/propagation"
)

// Carriers satisfy the package's interfaces.
var (
	_ propagation.Reader        = opentracing.HTTPHeadersCarrier{}
	_ propagation.Writer        = opentracing.HTTPHeadersCarrier{}
	_ propagation.Reader        = opentracing.TextMapCarrier{}
	_ propagation.Writer        = opentracing.TextMapCarrier{}
	_ propagation.Reader        = pairs{}
	_ opentracing.TextMapReader = propagation.Reader(nil)
	_ opentracing.TextMapWriter = propagation.Writer(nil)
)

// pairs is a carrier of any other type than opentracing's (Extract's pooled
// path), holding key, value, key, value…, read in order.
type pairs []string

func (p pairs) ForeachKey(h func(k, v string) error) error {
	for i := 0; i+1 < len(p); i += 2 {
		if err := h(p[i], p[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func mustParse(t testing.TB, list string) propagation.Propagator {
	t.Helper()
	p, err := propagation.Parse(list)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// extract extracts kv (key, value, …) with list through an http.Header (as
// a server receives it), a pairs carrier and, when no key repeats, a TextMap
// carrier, and fails unless all three agree.
func extract(t *testing.T, list string, kv ...string) (propagation.SpanContext, error) {
	t.Helper()
	p := mustParse(t, list)
	h := http.Header{}
	tm := opentracing.TextMapCarrier{}
	repeats := false
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
		if _, dup := tm[strings.ToLower(kv[i])]; dup {
			repeats = true
		}
		tm[strings.ToLower(kv[i])] = kv[i+1]
	}
	sc, err := p.Extract(opentracing.HTTPHeadersCarrier(h))
	sc2, err2 := p.Extract(pairs(kv))
	same(t, "pairs carrier", sc, err, sc2, err2)
	if !repeats {
		sc3, err3 := p.Extract(tm)
		same(t, "TextMap carrier", sc, err, sc3, err3)
	}
	return sc, err
}

func same(t *testing.T, what string, sc propagation.SpanContext, err error, sc2 propagation.SpanContext, err2 error) {
	t.Helper()
	if !reflect.DeepEqual(sc, sc2) || errText(err) != errText(err2) {
		t.Errorf("%s disagrees with http.Header:\n got %+v, %v\nwant %+v, %v", what, sc2, err2, sc, err)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// result is what a test expects of Extract: ok (nil error), notFound or
// corrupted, and a text the error must contain.
type result int

const (
	ok result = iota
	notFound
	corrupted
)

func checkErr(t *testing.T, err error, want result, text string) {
	t.Helper()
	switch want {
	case ok:
		if err != nil {
			t.Fatalf("error %v, want none", err)
		}
	case notFound:
		if err != opentracing.ErrSpanContextNotFound {
			t.Fatalf("error %v, want opentracing.ErrSpanContextNotFound", err)
		}
	case corrupted:
		if !errors.Is(err, opentracing.ErrSpanContextCorrupted) {
			t.Fatalf("error %v, want one wrapping opentracing.ErrSpanContextCorrupted", err)
		}
		if !strings.HasPrefix(err.Error(), "propagation: ") {
			t.Errorf("error %q does not start with \"propagation: \"", err)
		}
	}
	if text != "" && !strings.Contains(errText(err), text) {
		t.Errorf("error %q does not contain %q", err, text)
	}
}

// extractCase is one row of an extraction table.
type extractCase struct {
	name string
	list string   // default: the table's
	kv   []string // headers: key, value, …
	want propagation.SpanContext
	res  result
	text string // in the error
}

func runExtract(t *testing.T, list string, cases []extractCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := list
			if c.list != "" {
				l = c.list
			}
			sc, err := extract(t, l, c.kv...)
			checkErr(t, err, c.res, c.text)
			if !reflect.DeepEqual(sc, c.want) {
				t.Errorf("Extract(%q)\n got %+v\nwant %+v", l, sc, c.want)
			}
		})
	}
}

// The ids of the W3C examples.
const (
	hi     = 0x4bf92f3577b34da6
	lo     = 0xa3ce929d0e0e4736
	span   = 0x00f067aa0ba902b7
	parent = 0x1122334455667788
)

func ctx64(s propagation.Sampling) propagation.SpanContext {
	return propagation.SpanContext{TraceID: lo, SpanID: span, Sampling: s}
}

func ctx128(s propagation.Sampling) propagation.SpanContext {
	return propagation.SpanContext{TraceIDHigh: hi, TraceID: lo, SpanID: span, Sampling: s}
}

func withParent(sc propagation.SpanContext) propagation.SpanContext {
	sc.ParentID = parent
	return sc
}

func withState(sc propagation.SpanContext, ts string) propagation.SpanContext {
	sc.TraceState = ts
	return sc
}

func withBaggage(sc propagation.SpanContext, kv ...string) propagation.SpanContext {
	for i := 0; i+1 < len(kv); i += 2 {
		sc.Baggage = append(sc.Baggage, propagation.BaggageItem{Key: kv[i], Value: kv[i+1]})
	}
	return sc
}

var (
	no       = propagation.SamplingNo
	yes      = propagation.SamplingYes
	debug    = propagation.SamplingDebug
	deferred = propagation.SamplingDeferred
)
