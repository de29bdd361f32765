package echotrace_test

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho"
	"go.opentelemetry.io/otel/propagation"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/echotrace"
)

// benchRequest is a request as an API client sends it, as net/http's server
// builds it. It has no User-Agent, which otelecho would add as one more
// attribute.
const benchRequest = "GET /items/42?page=2 HTTP/1.1\r\n" +
	"Host: inventory.local:8080\r\n" +
	"Accept: application/json\r\n" +
	"Accept-Encoding: gzip\r\n" +
	"\r\n"

// BenchmarkEcho serves a request to a parameterized route, answering 200
// "ok": through echo alone; through echo and echotrace, and echo and
// otelecho, both on the otel backend's OpenTelemetry SDK, batch processor
// and OTLP exporter, exporting every span to a sink on 127.0.0.1 (sink-B/op
// is what reached it per request); and, for the bar, through
// http.ServeMux alone and inside tracer.Middleware. A variant's time
// includes flushing its spans (the tracer's Close). The attributes are
// equal: on the otel backend, traceplug writes OpenTelemetry's HTTP
// conventions, the same 11 attributes as otelecho (TestParityWithOtelecho
// checks the keys).
func BenchmarkEcho(b *testing.B) {
	ok := func(c echo.Context) error { return c.String(http.StatusOK, "ok") }
	newEcho := func(mw ...echo.MiddlewareFunc) http.Handler {
		e := echo.New()
		e.Use(mw...)
		e.GET("/items/:id", ok)
		return e
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "ok")
	})

	b.Run("mux/bare", func(b *testing.B) { serveBench(b, mux, nil) })
	b.Run("mux/traceplug", func(b *testing.B) {
		tr, sink := benchTracer(b, true)
		serveBench(b, tr.Middleware(mux), func() int64 { _ = tr.Close(); return sink.Load() })
	})
	b.Run("echo/bare", func(b *testing.B) { serveBench(b, newEcho(), nil) })
	// echo with a middleware that does nothing but call next: what any
	// middleware costs in echo, which builds the chain for every request.
	b.Run("echo/noop", func(b *testing.B) {
		noop := func(next echo.HandlerFunc) echo.HandlerFunc { return func(c echo.Context) error { return next(c) } }
		serveBench(b, newEcho(noop), nil)
	})
	b.Run("echo/echotrace", func(b *testing.B) {
		tr, sink := benchTracer(b, true)
		serveBench(b, newEcho(echotrace.Middleware(tr)), func() int64 { _ = tr.Close(); return sink.Load() })
	})
	b.Run("echo/otelecho", func(b *testing.B) {
		tr, sink := benchTracer(b, false)
		tp := tr.Unwrap().(*otel.Tracer).TracerProvider()
		h := newEcho(otelecho.Middleware("inventory", otelecho.WithTracerProvider(tp), otelecho.WithPropagators(propagation.TraceContext{})))
		serveBench(b, h, func() int64 { _ = tr.Close(); return sink.Load() })
	})
}

// benchTracer is a tracer on the otel backend exporting to a sink of its
// own, which counts the bytes it receives; it flushes by size only (an
// interval of an hour), and its queue is long enough for every span the
// exporter has not sent yet (a span dropped would be work not done, and
// fails the benchmark).
func benchTracer(b *testing.B, traceAll bool, opts ...core.Option) (*core.Tracer, *atomic.Int64) {
	var received atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		received.Add(n)
		w.Header().Set("Content-Type", "application/x-protobuf") // an empty ExportTraceServiceResponse
	}))
	b.Cleanup(sink.Close)
	tr, err := core.New("otel", append([]core.Option{
		core.WithServiceName("inventory"), core.WithTraceAll(traceAll), core.WithEndpoint(sink.URL + "/v1/traces"),
		core.WithParam("queue_size", "100000"), core.WithParam("export_interval", "1h"),
	}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = tr.Close()
		if s := tr.Stats(); s.Dropped > 0 {
			b.Errorf("dropped %d of %d spans: %v", s.Dropped, s.Finished, s.DroppedBy)
		}
	})
	return tr, &received
}

// serveBench serves benchRequest to h b.N times; flush, if not nil, flushes
// the spans and returns the bytes the sink received.
func serveBench(b *testing.B, h http.Handler, flush func() int64) {
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(benchRequest)))
	if err != nil {
		b.Fatal(err)
	}
	r.RemoteAddr = "10.0.0.7:51234"
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
	if flush != nil {
		sent := flush()
		b.StopTimer()
		b.ReportMetric(float64(sent)/float64(b.N), "sink-B/op")
	}
}
