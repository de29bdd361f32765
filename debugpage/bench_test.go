package debugpage_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/debugpage"
)

// The page's cost per request: each benchmark runs the same request path
// without a page ("page=off") and with one attached ("page=on"); the
// difference is what the page costs (the budget: 100 ns and 1 allocation
// per request). Compare with benchstat:
//
//	go test -run XXX -bench . -count 6 ./debugpage/ > page.txt
//	benchstat -col /page page.txt
//
// Besides ns/op, each reports cpu-ns/op, the process's CPU time per
// operation (GC included), which a busy machine disturbs less than the
// wall clock.

// benchTracer builds a mock Tracer, with a Page attached when on.
func benchTracer(b *testing.B, on bool) (*core.Tracer, *mock.Tracer) {
	b.Helper()
	opts := []core.Option{core.WithTraceAll(true)}
	if on {
		page, err := debugpage.New()
		if err != nil {
			b.Fatal(err)
		}
		opts = append(opts, core.WithRecorder(page))
	}
	tr, err := core.New("mock", opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tr.Close() })
	return tr, tr.Unwrap().(*mock.Tracer)
}

var pageModes = []struct {
	name string
	on   bool
}{{"page=off", false}, {"page=on", true}}

// BenchmarkServer is core's BenchmarkPlainRequest: a routed GET with a
// short query and a few headers, through the middleware, on the mock
// backend. The page keeps its latest spans (and so the backend's span
// objects) alive, which makes each garbage collection mark more: with an
// otherwise empty heap ("heap=0") that is a large share of a collection's
// work, with the live heap of a service ("heap=64MB", a ballast) a small
// one.
func BenchmarkServer(b *testing.B) {
	for _, heap := range []struct {
		name string
		size int
	}{{"heap=0", 0}, {"heap=64MB", 64 << 20}} {
		for _, mode := range pageModes {
			b.Run(heap.name+"/"+mode.name, func(b *testing.B) {
				ballast := make([]byte, heap.size)
				defer runtime.KeepAlive(ballast)
				tr, m := benchTracer(b, mode.on)
				mux := http.NewServeMux()
				mux.Handle("GET /items/{id}", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
				h := tr.Middleware(mux)
				r := httptest.NewRequest("GET", "/items/42?page=2&sort=name", nil)
				r.Header.Set("Accept", "application/json")
				r.Header.Set("User-Agent", "bench/1.0")
				w := httptest.NewRecorder()
				b.ReportAllocs()
				b.ResetTimer()
				defer reportCPU(b)()
				for range b.N {
					h.ServeHTTP(w, r)
					m.Reset()
				}
			})
		}
	}
}

// BenchmarkServerLean is BenchmarkServer on a tracer that does nothing
// but hand out one span, so that the request path's own cost, and the
// page's, are most of what is measured.
func BenchmarkServerLean(b *testing.B) {
	for _, mode := range pageModes {
		b.Run(mode.name, func(b *testing.B) {
			var opts []core.Option
			if mode.on {
				page, _ := debugpage.New()
				opts = append(opts, core.WithRecorder(page))
			}
			tr, err := core.Wrap(leanTracer{}, append(opts, core.WithTraceAll(true))...)
			if err != nil {
				b.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.Handle("GET /items/{id}", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			h := tr.Middleware(mux)
			r := httptest.NewRequest("GET", "/items/42?page=2&sort=name", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			b.ResetTimer()
			defer reportCPU(b)()
			for range b.N {
				h.ServeHTTP(w, r)
			}
		})
	}
}

// leanTracer starts one span, over and over: a tracer that costs nothing.
type leanTracer struct{ opentracing.NoopTracer }

type leanSpan struct{ opentracing.Span }

var theLeanSpan = &leanSpan{opentracing.NoopTracer{}.StartSpan("")}

func (leanTracer) StartSpan(string, ...opentracing.StartSpanOption) opentracing.Span {
	return theLeanSpan
}
func (s *leanSpan) SetTag(string, any) opentracing.Span      { return s }
func (s *leanSpan) SetOperationName(string) opentracing.Span { return s }

// BenchmarkServerParallel is BenchmarkServer from every P at once: the
// page's locks under contention (one operation, so one lock).
func BenchmarkServerParallel(b *testing.B) {
	for _, mode := range pageModes {
		b.Run(mode.name, func(b *testing.B) {
			tr, _ := benchTracer(b, mode.on)
			mux := http.NewServeMux()
			mux.Handle("GET /items/{id}", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			h := tr.Middleware(mux)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				r := httptest.NewRequest("GET", "/items/42?page=2&sort=name", nil)
				w := httptest.NewRecorder()
				for pb.Next() {
					h.ServeHTTP(w, r)
				}
			})
		})
	}
}

// BenchmarkClient is a request through Transport, over a round tripper
// that answers at once with a body that is read to its end.
func BenchmarkClient(b *testing.B) {
	for _, mode := range pageModes {
		b.Run(mode.name, func(b *testing.B) {
			tr, m := benchTracer(b, mode.on)
			body := &staticBody{}
			rt := tr.Transport(roundTripper(func(*http.Request) (*http.Response, error) {
				body.Reset("ok")
				return &http.Response{StatusCode: 200, Body: body, Header: http.Header{}}, nil
			}))
			req := httptest.NewRequest("GET", "http://backend.internal:8080/items/42?page=2", nil)
			req.RequestURI = ""
			b.ReportAllocs()
			b.ResetTimer()
			defer reportCPU(b)()
			for range b.N {
				resp, err := rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				m.Reset()
			}
		})
	}
}

// BenchmarkChildSpan is a span started and finished through the Tracer.
func BenchmarkChildSpan(b *testing.B) {
	for _, mode := range pageModes {
		b.Run(mode.name, func(b *testing.B) {
			tr, m := benchTracer(b, mode.on)
			b.ReportAllocs()
			b.ResetTimer()
			defer reportCPU(b)()
			for range b.N {
				tr.StartSpan("db query").Finish()
				m.Reset()
			}
		})
	}
}

// BenchmarkRecordSpan is the page's own work per span.
func BenchmarkRecordSpan(b *testing.B) {
	page, err := debugpage.New()
	if err != nil {
		b.Fatal(err)
	}
	s := core.FinishedSpan{Operation: "GET /items/{id}", Kind: core.KindServer, End: time.Now(), Duration: 3 * time.Millisecond, Status: 200}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		page.RecordSpan(s)
	}
}

// reportCPU starts measuring CPU time; the function it returns reports it
// per operation, as cpu-ns/op.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if d := cpuTime() - start; d > 0 {
			b.ReportMetric(float64(d)/float64(b.N), "cpu-ns/op")
		}
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// staticBody is a reusable response body.
type staticBody struct{ strings.Reader }

func (b *staticBody) Reset(s string) { b.Reader.Reset(s) }
func (b *staticBody) Close() error   { return nil }
