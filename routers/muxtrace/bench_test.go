package muxtrace_test

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/muxtrace"
)

// benchRequest is a request as a browser sends it and net/http's server
// builds it (the repository's bench module sends the same): a path with a
// query string and the usual headers, from a peer.
func benchRequest(tb testing.TB) *http.Request {
	const raw = "GET /items/42?page=2&sort=price HTTP/1.1\r\n" +
		"Host: inventory.local:8080\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\r\n" +
		"Accept: application/json, text/plain, */*\r\n" +
		"Accept-Encoding: gzip, deflate, br\r\n" +
		"Accept-Language: en-US,en;q=0.9\r\n" +
		"\r\n"
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		tb.Fatal(err)
	}
	r.RemoteAddr = "10.0.0.7:51234"
	return r
}

// benchHandler is the trivial handler every variant serves: 200 "ok".
var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("ok"))
})

// benchRouter is a small service's router: the request takes the third of
// five routes, as in a real service it takes one of several.
func benchRouter(use ...mux.MiddlewareFunc) *mux.Router {
	r := mux.NewRouter()
	r.Use(use...)
	r.Handle("/healthz", benchHandler).Methods("GET")
	r.Handle("/items", benchHandler).Methods("GET")
	r.Handle("/items/{id}", benchHandler).Methods("GET")
	r.Handle("/items/{id}/parts/{part}", benchHandler).Methods("GET")
	r.PathPrefix("/api").Subrouter().Handle("/users/{id}", benchHandler).Methods("GET")
	return r
}

// sink is an OTLP/HTTP endpoint on 127.0.0.1 that reads each export and
// answers it with an empty success, counting the bytes it received.
func sink(b *testing.B) (url string, received *atomic.Int64) {
	received = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		received.Add(n)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	b.Cleanup(srv.Close)
	return srv.URL + "/v1/traces", received
}

// exporting is a traceplug tracer on the otel backend exporting every span
// to a sink, with a queue that holds what a benchmark's burst finishes.
func exporting(b *testing.B, opts ...core.Option) (*core.Tracer, *atomic.Int64) {
	url, received := sink(b)
	tr, err := core.New("otel", append([]core.Option{core.WithEndpoint(url),
		core.WithParam("queue_size", "200000"), core.WithParam("export_interval", "100ms")}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return tr, received
}

// cpuTime is the process's user and system CPU time so far: the request
// path, and the exporter and the sink, which run on other goroutines.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discard is a ResponseWriter that keeps nothing, reset for each request.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(code int)        { d.code = code }

// benchServeMux is benchRouter's routes on an http.ServeMux.
func benchServeMux() *http.ServeMux {
	m := http.NewServeMux()
	for _, p := range []string{"/healthz", "/items", "/items/{id}", "/items/{id}/parts/{part}", "/api/users/{id}"} {
		m.Handle("GET "+p, benchHandler)
	}
	return m
}

// BenchmarkRouter serves the request through gorilla/mux bare, with
// muxtrace, and with OpenTelemetry's otelmux, every span exported by the
// same SDK, batch processor and OTLP exporter (the otel backend's: otelmux
// runs on its TracerProvider) to a sink on 127.0.0.1. For the bar
// (muxtrace adds at most what the router adds plus what traceplug's HTTP
// middleware adds), servemux and servemux+middleware are the same routes on
// an http.ServeMux without and with tracer.Middleware, whose span is named
// and tagged after the route as muxtrace's is; handler is the handler alone.
//
// Besides ns/op and allocations, it reports cpu-ns/op (the process's CPU
// time a request, exporter and sink included), exported/op (spans the
// backend delivered a request: 1 when nothing was dropped) and sink-B/op
// (bytes a request sent to the sink: how much each span carries). On the
// otel backend traceplug writes OpenTelemetry's HTTP attributes as otelmux
// does, the same 13 for this request; its spans are some 10 bytes longer
// (server.address is the Host header's, where otelmux writes its service
// name).
//
// Instructions a request, which a busy machine does not disturb, come from
// running it under callgrind at two iteration counts (as the repository's
// bench/instructions.sh does):
//
//	GOGC=off GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off GOMAXPROCS=1 valgrind --tool=callgrind \
//	  --callgrind-out-file=/dev/null ./muxtrace.test -test.run XXX \
//	  -test.bench '^BenchmarkRouter$/^router\+muxtrace$' -test.benchtime 2000x  # then 22000x
func BenchmarkRouter(b *testing.B) {
	variants := []struct {
		name string
		new  func(b *testing.B) (http.Handler, *core.Tracer, *atomic.Int64)
	}{
		{"handler", func(b *testing.B) (http.Handler, *core.Tracer, *atomic.Int64) { return benchHandler, nil, nil }},
		{"servemux", func(b *testing.B) (http.Handler, *core.Tracer, *atomic.Int64) { return benchServeMux(), nil, nil }},
		{"servemux+middleware", func(b *testing.B) (http.Handler, *core.Tracer, *atomic.Int64) {
			tr, n := exporting(b, core.WithTraceAll(true))
			return tr.Middleware(benchServeMux()), tr, n
		}},
		{"router", func(b *testing.B) (http.Handler, *core.Tracer, *atomic.Int64) { return benchRouter(), nil, nil }},
		// The router with a middleware that does nothing but serve next:
		// what any middleware costs in gorilla/mux, which builds the
		// chain for every request (one handler allocated per middleware).
		{"router+noop", func(b *testing.B) (http.Handler, *core.Tracer, *atomic.Int64) {
			return benchRouter(func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, r) })
			}), nil, nil
		}},
		{"router+muxtrace", func(b *testing.B) (http.Handler, *core.Tracer, *atomic.Int64) {
			tr, n := exporting(b, core.WithTraceAll(true))
			return benchRouter(muxtrace.Middleware(tr)), tr, n
		}},
		{"router+otelmux", func(b *testing.B) (http.Handler, *core.Tracer, *atomic.Int64) {
			tr, n := exporting(b) // trace-all off: only its SDK provider traces
			return benchRouter(otelmuxMiddleware(tr)), tr, n
		}},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			h, tr, received := v.new(b)
			r := benchRequest(b)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for b.Loop() {
				clear(w.h)
				w.code = 0
				h.ServeHTTP(w, r)
			}
			if tr != nil {
				_ = tr.Close() // exports what is queued: its CPU counts
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
			if w.code != http.StatusOK {
				b.Fatalf("status %d", w.code)
			}
			if tr != nil {
				b.ReportMetric(float64(tr.Stats().Reported)/float64(b.N), "exported/op")
				b.ReportMetric(float64(received.Load())/float64(b.N), "sink-B/op")
			}
		})
	}
}
