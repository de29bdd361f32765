package interop_test

import (
	"fmt"
	"testing"

	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
)

// TestJaegerClientGo: jaeger-client-go's own tracer, traced through
// go-stdlib's nethttp (Middleware; TraceRequest and Transport), native
// uber-trace-id and uberctx-tenant, against traceplug on each backend with
// WithPropagation("jaeger"), and on the jaeger backend with its default,
// sampled and not:
//   - a jaeger-client-go client calls a traceplug server;
//   - a traceplug client calls a jaeger-client-go server;
//   - a jaeger-client-go client with 128-bit trace ids (Gen128Bit) calls a
//     traceplug server: the trace continues under its 128 bits (its low 64
//     on lightstep).
func TestJaegerClientGo(t *testing.T) {
	type pair struct {
		name string
		tp   mk
	}
	var servers []pair
	for _, h := range backends() {
		servers = append(servers, pair{h.Name + " [jaeger]", traceplug(h, "jaeger")})
	}
	servers = append(servers, pair{"jaeger/http [default]", traceplug(jaegertest.Harness("http"), "")})
	for _, p := range servers {
		for _, c := range []struct {
			name  string
			chain []mk
		}{
			{"jaeger-client-go to traceplug", []mk{jaegerNative(), p.tp}},
			{"traceplug to jaeger-client-go", []mk{p.tp, jaegerNative()}},
			{"jaeger-client-go 128-bit to traceplug", []mk{jaegerNative128(), p.tp}},
		} {
			for _, sampled := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s/%s/sampled=%v", p.name, c.name, sampled), func(t *testing.T) {
					interop(t, sampled, c.chain...)
				})
			}
		}
	}
}
