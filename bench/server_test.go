package bench

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opentracing-contrib/go-stdlib/nethttp"
	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

// handler is the trivial handler every variant wraps: 200 "ok".
var handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("ok"))
})

// serve runs h over b.N requests into fresh recorders.
func serve(b *testing.B, h http.Handler, header http.Header) {
	r := httptest.NewRequest("GET", "/items/42", nil)
	for k, v := range header {
		r.Header[k] = v
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkServer is a request through each middleware, without and with an
// incoming parent context.
func BenchmarkServer(b *testing.B) {
	for _, parent := range []bool{false, true} {
		name := "parent=no"
		if parent {
			name = "parent=yes"
		}
		b.Run(name, func(b *testing.B) {
			b.Run("bare", func(b *testing.B) { serve(b, handler, nil) })
			for _, tc := range tracers {
				b.Run("traceplug/"+tc.name, func(b *testing.B) {
					t := tc.new(b)
					serve(b, wrap(b, t).Middleware(handler), header(parent, t))
				})
				b.Run("gostdlib/"+tc.name, func(b *testing.B) {
					t := tc.new(b)
					serve(b, nethttp.Middleware(t, handler), header(parent, t))
				})
			}
			for _, sample := range []bool{true, false} {
				variant := "otelhttp/sampled"
				if !sample {
					variant = "otelhttp/unsampled"
				}
				b.Run(variant, func(b *testing.B) {
					h := otelhttp.NewHandler(handler, "server",
						otelhttp.WithTracerProvider(otelProvider(b, sample)), otelhttp.WithPropagators(traceContext))
					var hdr http.Header
					if parent {
						hdr = otelParentHeader
					}
					serve(b, h, hdr)
				})
			}
		})
	}
}

// header is an incoming trace in t's format when parent is set.
func header(parent bool, t opentracing.Tracer) http.Header {
	if !parent {
		return nil
	}
	return parentHeader(t)
}
