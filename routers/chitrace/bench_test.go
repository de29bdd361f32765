package chitrace

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/riandyrn/otelchi"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"

	otelbackend "github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/core"
)

// The benchmarks serve a request as a server builds it, in process, through
// chi bare, chi with Middleware, and chi with its OpenTelemetry
// instrumentations (otelchi, otelhttp in r.Use), every span exported for
// real over OTLP/HTTP to a sink on 127.0.0.1 that reads and drops it. Every
// traced variant is on the otel backend's SDK pipeline: Middleware through
// the backend, the OpenTelemetry ones through its TracerProvider (the same
// SDK, batch processor, encoder and exporter). traceplug's Middleware
// around an http.ServeMux with the same route is the reference for "the
// HTTP middleware's own cost". cpu-ns/op is the process's CPU time per
// request (getrusage): the exporter's work on the other core included.
//
// Attributes: traceplug's default span has 5 (component, http.method,
// http.url, http.status_code, http.route), otelchi's 10 (the pre-stable
// semantic conventions v1.20), otelhttp's 12 (the stable ones). The
// variant chitrace-10attrs adds 5 traced attributes (scheme, Host,
// RemoteAddr, Proto, ContentLength) for as many as otelchi's; see
// TestNamingParity's log for their encoded sizes.

// benchRequest is a request as a browser or an API client sends it.
const benchRequest = "GET %s HTTP/1.1\r\n" +
	"Host: inventory.local:8080\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\r\n" +
	"Accept: application/json, text/plain, */*\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\n" +
	"\r\n"

func readRequest(b *testing.B, target string) *http.Request {
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(strings.Replace(benchRequest, "%s", target, 1))))
	if err != nil {
		b.Fatal(err)
	}
	r.RemoteAddr = "10.0.0.7:51234"
	return r
}

var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("ok"))
})

// benchRouter is chi with the middlewares mw and a few routes of each kind,
// among them the two the benchmarks request: /items/{id} at the root, and
// /api/v2/things/{id} two sub-routers down.
func benchRouter(mw ...func(http.Handler) http.Handler) *chi.Mux {
	return benchRoutes(chi.NewRouter(), mw...)
}

func benchRoutes(r *chi.Mux, mw ...func(http.Handler) http.Handler) *chi.Mux {
	r.Use(mw...)
	r.Get("/", benchHandler)
	r.Get("/healthz", benchHandler)
	r.Get("/items", benchHandler)
	r.Post("/items", benchHandler)
	r.Get("/items/{id}", benchHandler)
	r.Put("/items/{id}", benchHandler)
	r.Get("/items/{id}/parts/{part}", benchHandler)
	r.Get("/files/*", benchHandler)
	r.Route("/api", func(r chi.Router) {
		r.Get("/users", benchHandler)
		r.Get("/users/{id}", benchHandler)
		r.Route("/v2", func(r chi.Router) {
			r.Get("/things", benchHandler)
			r.Get("/things/{id}", benchHandler)
		})
	})
	return r
}

var benchTargets = []struct{ name, target, pattern string }{
	{"route=items", "/items/42?page=2&sort=price", "GET /items/{id}"},
	{"route=mounted", "/api/v2/things/42?page=2&sort=price", "GET /api/v2/things/{id}"},
}

// sink is an OTLP/HTTP endpoint on 127.0.0.1 that reads every export and
// accepts it.
func sink(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	b.Cleanup(srv.Close)
	return srv.URL + "/v1/traces"
}

// otelTracer is a tracer on the otel backend exporting to a sink, with a
// queue long enough that no span is dropped; Close flushes it.
func otelTracer(b *testing.B, opts ...core.Option) *core.Tracer {
	opts = append([]core.Option{core.WithServiceName("shop"), core.WithTraceAll(true), core.WithEndpoint(sink(b)),
		core.WithParam("queue_size", "1000000")}, opts...)
	tr, err := core.New("otel", opts...)
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// run serves r through h b.N times; close, if not nil, flushes the spans
// and is part of the measure, as is the export on the other core.
func run(b *testing.B, h http.Handler, r *http.Request, close func()) {
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
	if close != nil {
		close()
	}
	cpu = cpuTime() - cpu
	b.StopTimer()
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// closeTracer flushes tr and fails b if spans were lost.
func closeTracer(b *testing.B, tr *core.Tracer) func() {
	return func() {
		if err := tr.Close(); err != nil {
			b.Fatal(err)
		}
		if s := tr.Stats(); s.Dropped != 0 {
			b.Fatalf("%d spans dropped", s.Dropped)
		}
	}
}

var w3c = propagation.TraceContext{}

func BenchmarkServe(b *testing.B) {
	tenAttrs := core.WithTracedAttributes("scheme", "Host", "RemoteAddr", "Proto", "ContentLength")
	for _, tt := range benchTargets {
		b.Run(tt.name, func(b *testing.B) {
			b.Run("handler", func(b *testing.B) { run(b, benchHandler, readRequest(b, tt.target), nil) })
			mux := func() *http.ServeMux {
				mux := http.NewServeMux()
				mux.Handle(tt.pattern, benchHandler)
				return mux
			}
			b.Run("servemux", func(b *testing.B) { run(b, mux(), readRequest(b, tt.target), nil) })
			b.Run("servemux+traceplug", func(b *testing.B) {
				tr := otelTracer(b)
				run(b, tr.Middleware(mux()), readRequest(b, tt.target), closeTracer(b, tr))
			})
			b.Run("chi", func(b *testing.B) { run(b, benchRouter(), readRequest(b, tt.target), nil) })
			b.Run("chi+chitrace", func(b *testing.B) {
				tr := otelTracer(b)
				run(b, benchRouter(Middleware(tr)), readRequest(b, tt.target), closeTracer(b, tr))
			})
			b.Run("chi+chitrace-10attrs", func(b *testing.B) {
				tr := otelTracer(b, tenAttrs)
				run(b, benchRouter(Middleware(tr)), readRequest(b, tt.target), closeTracer(b, tr))
			})
			b.Run("chi+otelchi", func(b *testing.B) {
				tr := otelTracer(b)
				tp := tr.Unwrap().(*otelbackend.Tracer).TracerProvider()
				r := chi.NewRouter()
				benchRoutes(r, otelchi.Middleware("shop", otelchi.WithTracerProvider(tp), otelchi.WithPropagators(w3c),
					otelchi.WithChiRoutes(r), otelchi.WithRequestMethodInSpanName(true)))
				run(b, r, readRequest(b, tt.target), closeTracer(b, tr))
			})
			b.Run("chi+otelchi-default", func(b *testing.B) {
				tr := otelTracer(b)
				tp := tr.Unwrap().(*otelbackend.Tracer).TracerProvider()
				h := benchRouter(otelchi.Middleware("shop", otelchi.WithTracerProvider(tp), otelchi.WithPropagators(w3c)))
				run(b, h, readRequest(b, tt.target), closeTracer(b, tr))
			})
			b.Run("chi+otelhttp", func(b *testing.B) {
				tr := otelTracer(b)
				tp := tr.Unwrap().(*otelbackend.Tracer).TracerProvider()
				h := benchRouter(otelhttp.NewMiddleware("shop", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(w3c),
					otelhttp.WithMeterProvider(metricnoop.NewMeterProvider())))
				run(b, h, readRequest(b, tt.target), closeTracer(b, tr))
			})
		})
	}
}

// BenchmarkRoute is the route lookup alone, as Middleware makes it before
// chi routes a request: its share of chi+chitrace.
func BenchmarkRoute(b *testing.B) {
	r := benchRouter()
	for _, tc := range []struct{ name, method, target, want string }{
		{"static", "GET", "/healthz", "/healthz"},
		{"param", "GET", "/items/42", "/items/{id}"},
		{"mounted", "GET", "/api/v2/things/42", "/api/v2/things/{id}"},
		{"unmatched", "GET", "/nowhere/42", ""},
	} {
		b.Run(tc.name, func(b *testing.B) {
			req := httptest.NewRequest(tc.method, tc.target, nil)
			if got := routeOf(req, r); got != tc.want {
				b.Fatalf("route %q, want %q", got, tc.want)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				routeOf(req, r)
			}
		})
	}
}
