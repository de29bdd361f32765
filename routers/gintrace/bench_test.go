package gintrace_test

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

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/otel/propagation"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/gintrace"
)

// BenchmarkGin serves a request to a parameterized route, as a server
// builds it, through:
//
//   - mux: http.ServeMux, bare;
//   - mux+Middleware: ServeMux inside traceplug's HTTP middleware;
//   - gin: a gin engine, bare;
//   - gin+noop: the engine with a middleware that only calls c.Next;
//   - gin+gintrace: the engine with gintrace.Middleware;
//   - gin+otelgin: the engine with otelgin.Middleware;
//
// the traced ones on the same SDK, batch processor and OTLP/HTTP exporter
// (the otel backend's; otelgin gets its TracerProvider), every span sampled
// and exported for real to a sink on 127.0.0.1 that reads and discards
// each batch. The tracer's final flush is timed. Besides ns/op (wall
// time, with the exporter running beside the loop), cpu-ns/op is the
// process's CPU time per request (getrusage): what a request costs,
// middleware, span, export, the sink's reading and GC, less sensitive than
// wall time to other processes on a shared machine. exported-B/op is what the
// sink received per request (spans, with their resource and scope, in
// OTLP protobuf), dropped/op the spans the backend dropped (queue full).
//
// The bar: gin+gintrace - mux <= (gin - mux) + (mux+Middleware -
// mux), and gin+gintrace < gin+otelgin. The comparison is at equal
// attributes: the otel backend writes OpenTelemetry's stable HTTP
// conventions by default, the 11 attributes otelgin writes (method,
// scheme, path, server, client and peer addresses, protocol version,
// status, body size, http.route); exported-B/op shows the bytes each sent.
//
// On a busy machine, count instructions rather than time, as
// bench/instructions.sh does: run each variant under valgrind's callgrind
// (GOGC=off GOMAXPROCS=1) for two iteration counts, and divide the
// difference by the difference in iterations.
func BenchmarkGin(b *testing.B) {
	sink := newSink(b)
	variants := []struct {
		name  string
		build func(b *testing.B) (http.Handler, func())
	}{
		{"mux", func(b *testing.B) (http.Handler, func()) { return benchMux(), nil }},
		{"mux+Middleware", func(b *testing.B) (http.Handler, func()) {
			tr := benchTracer(b, sink)
			return tr.Middleware(benchMux()), closer(b, tr)
		}},
		{"gin", func(b *testing.B) (http.Handler, func()) { return benchEngine(), nil }},
		// gin with a middleware that does nothing but run the next
		// handlers: what any middleware costs in gin, before its work.
		{"gin+noop", func(b *testing.B) (http.Handler, func()) {
			return benchEngine(func(c *gin.Context) { c.Next() }), nil
		}},
		{"gin+gintrace", func(b *testing.B) (http.Handler, func()) {
			tr := benchTracer(b, sink)
			return benchEngine(gintrace.Middleware(tr)), closer(b, tr)
		}},
		{"gin+otelgin", func(b *testing.B) (http.Handler, func()) {
			tr := benchTracer(b, sink)
			tp := tr.Unwrap().(*otel.Tracer).TracerProvider()
			return benchEngine(otelgin.Middleware("shop", otelgin.WithTracerProvider(tp),
				otelgin.WithPropagators(propagation.TraceContext{}))), closer(b, tr)
		}},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			h, flush := v.build(b)
			r := benchRequest(b)
			before := sink.bytes.Load()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for range b.N {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
			if flush != nil {
				flush()
			}
			cpu = cpuTime() - cpu
			b.StopTimer()
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(sink.bytes.Load()-before)/float64(b.N), "exported-B/op")
		})
	}
}

// benchHandler answers as the handlers of the routes do: 200 "ok".
func benchHandler(c *gin.Context) { c.String(http.StatusOK, "ok") }

func benchEngine(mw ...gin.HandlerFunc) *gin.Engine {
	e := gin.New()
	e.Use(mw...)
	e.GET("/items", benchHandler)
	e.GET("/items/:id", benchHandler)
	e.GET("/users/:id/orders/:order", benchHandler)
	return e
}

func benchMux() *http.ServeMux {
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8") // as gin's c.String
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "ok")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items", h)
	mux.HandleFunc("GET /items/{id}", h)
	mux.HandleFunc("GET /users/{id}/orders/{order}", h)
	return mux
}

// benchTracer is a Tracer on the otel backend, trace-all on, exporting to
// the sink, its queue large enough to drop nothing.
func benchTracer(b *testing.B, s *sink, opts ...core.Option) *core.Tracer {
	tr, err := core.New("otel", append([]core.Option{core.WithTraceAll(true), core.WithServiceName("shop"),
		core.WithEndpoint(s.url), core.WithParam("queue_size", "200000")}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tr.Close() })
	return tr
}

// closer flushes tr, reporting the spans it dropped per request.
func closer(b *testing.B, tr *core.Tracer) func() {
	return func() {
		if err := tr.Close(); err != nil {
			b.Log(err)
		}
		b.ReportMetric(float64(tr.Stats().Dropped)/float64(b.N), "dropped/op")
	}
}

// benchRequest is a request as net/http's server builds it from what a
// browser sends.
func benchRequest(b *testing.B) *http.Request {
	const raw = "GET /items/42?page=2&sort=price HTTP/1.1\r\n" +
		"Host: inventory.local:8080\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\r\n" +
		"Accept: application/json, text/plain, */*\r\n" +
		"Accept-Encoding: gzip, deflate, br\r\n" +
		"Accept-Language: en-US,en;q=0.9\r\n" +
		"\r\n"
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		b.Fatal(err)
	}
	r.RemoteAddr = "10.0.0.7:51234"
	return r
}

// sink is an OTLP/HTTP collector on 127.0.0.1 that reads each request and
// accepts it, counting the bytes.
type sink struct {
	url   string
	bytes atomic.Int64
}

func newSink(b *testing.B) *sink {
	s := &sink{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		s.bytes.Add(n)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK) // an empty ExportTraceServiceResponse: all accepted
	}))
	b.Cleanup(srv.Close)
	s.url = srv.URL + "/v1/traces"
	return s
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
