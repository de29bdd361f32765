package bench

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strings"
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

// rawRequest is a request as a browser or an API client sends it: a path
// with a query string and the usual headers.
const rawRequest = "GET /items/42?page=2&sort=price HTTP/1.1\r\n" +
	"Host: inventory.local:8080\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\r\n" +
	"Accept: application/json, text/plain, */*\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\n" +
	"\r\n"

// serverRequest is rawRequest as net/http's server builds it (RequestURI,
// parsed URL, canonical headers, the peer's address), with header added.
func serverRequest(tb testing.TB, header http.Header) *http.Request {
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(rawRequest)))
	if err != nil {
		tb.Fatal(err)
	}
	r.RemoteAddr = "10.0.0.7:51234"
	for k, v := range header {
		r.Header[k] = v
	}
	return r
}

// serve runs h over b.N requests into fresh recorders.
func serve(b *testing.B, h http.Handler, header http.Header) {
	r := serverRequest(b, header)
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

// BenchmarkServer is a request, as a server builds it (serverRequest),
// through each middleware, without and with an incoming parent context.
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
