package propagation_test

import (
	"errors"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/propagation"
)

var allFormats = []string{"tracecontext", "baggage", "b3", "b3multi", "jaeger", "ottrace"}

// fuzzList picks a list from the formats in mask, rotated by rot: any
// subset, in several orders.
func fuzzList(mask, rot uint8) string {
	var names []string
	for i := range allFormats {
		j := (i + int(rot)) % len(allFormats)
		if mask&(1<<j) != 0 {
			names = append(names, allFormats[j])
		}
	}
	if len(names) == 0 {
		return strings.Join(allFormats, ",")
	}
	return strings.Join(names, ",")
}

// FuzzExtract feeds any headers ("name: value" lines) to any list of
// formats: Extract never panics and says not found or corrupted, or returns a
// valid context, which Inject writes as valid header fields that Extract
// reads back to the same ids, as far as the first context format carries
// them. Read from a TextMap or an http.Header (maps), the result does not
// depend on the order of the keys.
func FuzzExtract(f *testing.F) {
	for _, h := range []string{
		"traceparent: " + tp128 + "\ntracestate: rojo=1\nbaggage: a=1,b=%20",
		"traceparent: " + tp64,
		"b3: " + tid128 + "-" + sid + "-d-" + pid,
		"b3: 0\nx-b3-traceid: abc\nx-b3-spanid: def\nx-b3-sampled: true\nbaggage-k: v\not-baggage-k: w",
		"uber-trace-id: " + tid64 + ":" + sid + ":0:1\nuberctx-user: a%20b\njaeger-baggage: k=v, l=w",
		"ot-tracer-traceid: " + tid128 + "\not-tracer-spanid: 1\not-tracer-sampled: false\not-baggage-x: y",
		"Traceparent: 01" + tp128[2:] + "-x\nB3: 1-1\nUber-Trace-Id: 1:1:1:b",
		"jaeger-debug-id: req%2042\nuberctx-k: v\nb3: 0",
		"Jaeger-Debug-Id: " + strings.Repeat("é", 130) + "\nx-b3-flags: 1",
		// One header under two spellings (issue 27), every format.
		"traceparent: " + tp128 + "\ntracestate: a=1\nTracestate: b=2\nbaggage: a=1\nBaggage: a=2\nB3: 1-1\nb3: 1-2",
		"x-b3-traceid: abc\nX-B3-TraceId: abd\nx-b3-spanid: 1\nbaggage-k: 1\nBaggage-K: 2\nOt-Baggage-K: 3",
		"uber-trace-id: 1:1:0:1\nUber-Trace-Id: 2:1:0:1\nuberctx-k: 1\nUberctx-K: 2\njaeger-debug-id: a\nJaeger-Debug-Id: b",
		"ot-tracer-traceid: 1\nOT-Tracer-TraceId: 2\not-tracer-spanid: 1\not-baggage-k: 1\nOT-Baggage-K: 2\njaeger-baggage: k=1\nJaeger-Baggage: k=2",
	} {
		f.Add(uint8(0xff), uint8(0), h)
		f.Add(uint8(0x3f), uint8(3), h)
	}
	f.Fuzz(func(t *testing.T, mask, rot uint8, raw string) {
		p, err := propagation.Parse(fuzzList(mask, rot))
		if err != nil {
			t.Fatal(err)
		}
		var kv pairs
		for line := range strings.SplitSeq(raw, "\n") {
			k, v, _ := strings.Cut(line, ":")
			kv = append(kv, k, strings.TrimPrefix(v, " "))
		}
		sc, err := p.Extract(kv)
		sameInEveryOrder(t, p, kv)
		switch {
		case err == nil:
			if !sc.IsValid() {
				t.Fatalf("Extract = %+v, nil: not valid", sc)
			}
		case err == opentracing.ErrSpanContextNotFound:
		case errors.Is(err, opentracing.ErrSpanContextCorrupted):
			if n := len(err.Error()); n > 2000 {
				t.Fatalf("error of %d bytes", n)
			}
		default:
			t.Fatalf("Extract error %v", err)
		}
		if sc.IsValid() != (err == nil) {
			t.Fatalf("Extract = %+v, %v", sc, err)
		}
		if id := sc.DebugID; id != "" {
			// A forced trace: no ids, debug, a bounded printable id.
			if err != opentracing.ErrSpanContextNotFound || sc.Sampling != propagation.SamplingDebug || sc.TraceID != 0 || sc.SpanID != 0 {
				t.Fatalf("Extract = %+v, %v: DebugID beside ids or another decision", sc, err)
			}
			if len(id) > 256 || !utf8.ValidString(id) || strings.IndexFunc(id, unicode.IsControl) >= 0 {
				t.Fatalf("DebugID %q", id)
			}
		}

		h := http.Header{}
		p.Inject(sc, opentracing.HTTPHeadersCarrier(h))
		for k, vs := range h {
			if !validHeaderName(k) || strings.EqualFold(k, "jaeger-debug-id") {
				t.Fatalf("Inject wrote header name %q", k)
			}
			for _, v := range vs {
				if !validHeaderValue(v) {
					t.Fatalf("Inject wrote %s: %q", k, v)
				}
			}
		}
		if err != nil {
			return
		}
		again, err := p.Extract(opentracing.HTTPHeadersCarrier(h))
		if err != nil {
			t.Fatalf("Extract of %v: %v (first read %+v)", h, err, sc)
		}
		var first string
		for _, n := range p.Names() {
			if n != "baggage" && (n != "ottrace" || sc.TraceID != 0) { // see Inject
				first = n
				break
			}
		}
		want := through(first, sc)
		if again.TraceIDHigh != want.TraceIDHigh || again.TraceID != want.TraceID || again.SpanID != want.SpanID ||
			again.Sampling.IsSampled(false) != want.Sampling.IsSampled(false) {
			t.Fatalf("read %+v, wrote %v, read back %+v", sc, h, again)
		}
	})
}

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validHeaderValue is net/http's rule: no control characters but tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// sameInEveryOrder checks that Extract reads kv as a TextMap (the last value
// of a key) and as an http.Header holding kv's keys as they are (the values
// of a key in order) as it reads them in an ordered carrier, keys sorted
// either way: a map's order, random, changes nothing.
func sameInEveryOrder(t *testing.T, p propagation.Propagator, kv pairs) {
	t.Helper()
	tm := opentracing.TextMapCarrier{}
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		tm[kv[i]] = kv[i+1]
		h[kv[i]] = append(h[kv[i]], kv[i+1])
	}
	keys := slices.Sorted(maps.Keys(h))
	for range 2 {
		var fromTM, fromH pairs
		for _, k := range keys {
			fromTM = append(fromTM, k, tm[k])
			for _, v := range h[k] {
				fromH = append(fromH, k, v)
			}
		}
		for _, c := range []struct {
			what    string
			carrier propagation.Reader
			ordered pairs
		}{
			{"TextMap", tm, fromTM},
			{"http.Header", opentracing.HTTPHeadersCarrier(h), fromH},
		} {
			want, wantErr := p.Extract(c.ordered)
			got, err := p.Extract(c.carrier)
			if !reflect.DeepEqual(got, want) || errText(err) != errText(wantErr) {
				t.Fatalf("%s %q read\n %+v, %v\nin order %q\n %+v, %v", c.what, p, got, err, c.ordered, want, wantErr)
			}
		}
		slices.Reverse(keys)
	}
}
