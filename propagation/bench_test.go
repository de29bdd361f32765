package propagation_test

import (
	"net/http"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/propagation"
)

// browserHeaders are the headers of a request without tracing headers.
func browserHeaders() http.Header {
	return http.Header{
		"Accept":          {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
		"Accept-Encoding": {"gzip, deflate, br"},
		"Accept-Language": {"en-US,en;q=0.5"},
		"Connection":      {"keep-alive"},
		"Cookie":          {"session=abc"},
		"User-Agent":      {"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"},
		"X-Forwarded-For": {"203.0.113.7"},
		"X-Request-Id":    {"f0e1d2c3"},
	}
}

func with(h http.Header, kv ...string) http.Header {
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// extractBenchmarks are requests Extract reads; those with noAllocs set it
// reads without allocating (see its doc comment), which TestExtractAllocs
// holds it to.
var extractBenchmarks = []struct {
	name, list string
	h          http.Header
	noAllocs   bool
}{
	{"no headers", "tracecontext,baggage,b3,b3multi,jaeger,ottrace", browserHeaders(), true},
	{"traceparent", "tracecontext,baggage", with(browserHeaders(), "traceparent", tp128), true},
	{"b3 single", "b3", with(browserHeaders(), "b3", tid64+"-"+sid+"-1-"+pid), true},
	{"jaeger-debug-id", "tracecontext,jaeger", with(browserHeaders(), "jaeger-debug-id", "4f1a7c2e-9b3d-4e8f-a1c6-0d2b5e7f9a13"), true},
	{"uber-trace-id with 2 baggage items", "jaeger",
		with(browserHeaders(), "uber-trace-id", tid64+":"+sid+":"+pid+":1", "uberctx-user", "alice", "uberctx-tier", "gold"), false},
}

func BenchmarkExtract(b *testing.B) {
	for _, c := range extractBenchmarks {
		p := mustParse(b, c.list)
		carrier := opentracing.HTTPHeadersCarrier(c.h)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Extract(carrier); err != nil && err != opentracing.ErrSpanContextNotFound {
					b.Fatal(err)
				}
			}
		})
		// A carrier of another type, read through ForeachKey.
		b.Run(c.name+", other carrier", func(b *testing.B) {
			var kv pairs
			for k, vs := range c.h {
				for _, v := range vs {
					kv = append(kv, k, v)
				}
			}
			var r propagation.Reader = kv
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Extract(r); err != nil && err != opentracing.ErrSpanContextNotFound {
					b.Fatal(err)
				}
			}
		})
	}
}

// discard is a Writer that keeps nothing, to measure Inject alone.
type discard struct{}

func (discard) Set(string, string) {}

func BenchmarkInject(b *testing.B) {
	sc := withBaggage(withParent(ctx128(yes)), "user", "alice", "tier", "gold")
	for _, list := range []string{"tracecontext", "tracecontext,baggage", "b3", "b3multi", "jaeger", "ottrace"} {
		p := mustParse(b, list)
		b.Run(list, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Inject(sc, discard{})
			}
		})
	}
}

func TestExtractAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, c := range extractBenchmarks {
		if !c.noAllocs {
			continue
		}
		p := mustParse(t, c.list)
		carrier := opentracing.HTTPHeadersCarrier(c.h)
		var kv pairs
		for k, vs := range c.h {
			kv = append(kv, k, vs[0])
		}
		for _, r := range []propagation.Reader{carrier, opentracing.TextMapCarrier{"accept": "*/*"}, kv} {
			if n := testing.AllocsPerRun(100, func() { _, _ = p.Extract(r) }); n != 0 {
				t.Errorf("%s, %T: %v allocations, want 0", c.name, r, n)
			}
		}
	}
}
