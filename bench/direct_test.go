package bench

import (
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
)

// BenchmarkTracerDirect is what a tracer itself spends on one server span as
// both middlewares make it (extract, start with kind, three tags, status,
// finish), called directly: the floor under any middleware over that tracer.
func BenchmarkTracerDirect(b *testing.B) {
	for _, parent := range []bool{false, true} {
		name := "parent=no"
		if parent {
			name = "parent=yes"
		}
		b.Run(name, func(b *testing.B) {
			for _, tc := range tracers {
				b.Run(tc.name, func(b *testing.B) {
					t := tc.new(b)
					h := serverRequest(b, header(parent, t)).Header
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						sc, _ := t.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
						span := t.StartSpan("HTTP GET", ext.RPCServerOption(sc))
						span.SetTag("component", "net/http")
						span.SetTag("http.method", "GET")
						span.SetTag("http.url", "/items/42?page=2&sort=price")
						span.SetTag("http.status_code", uint16(200))
						span.Finish()
					}
				})
			}
		})
	}
}
