package interop_test

import (
	"fmt"
	"testing"
)

// TestB3ZipkinGo: zipkin-go's own middleware and client against traceplug on
// each backend, sampled and not, baggage as zipkin-go's registered
// baggage-tenant header (traceplug writes it and ot-baggage-tenant):
//   - a zipkin-go client with the single b3 header (b3.InjectHTTP with
//     b3.WithSingleHeaderOnly) calls a traceplug server with
//     WithPropagation("b3");
//   - a traceplug client with WithPropagation("b3") (the b3 header) calls a
//     zipkin-go server (zipkinhttp.NewServerMiddleware);
//   - a zipkin-go client (zipkinhttp.NewTransport: X-B3-*) calls a traceplug
//     server with WithPropagation("b3multi");
//   - a traceplug client with WithPropagation("b3multi") (X-B3-*) calls a
//     zipkin-go server;
//   - zipkin-go clients with 128-bit trace ids (zipkin.WithTraceID128Bit)
//     call traceplug servers, b3 and X-B3-*: the trace continues under its
//     128 bits (its low 64 on lightstep).
func TestB3ZipkinGo(t *testing.T) {
	for _, h := range backends() {
		single, multi := traceplug(h, "b3"), traceplug(h, "b3multi")
		for _, c := range []struct {
			name  string
			chain []mk
		}{
			{"zipkin-go b3 to traceplug b3", []mk{zipkinGo(true), single}},
			{"traceplug b3 to zipkin-go", []mk{single, zipkinGo(true)}},
			{"zipkin-go X-B3 to traceplug b3multi", []mk{zipkinGo(false), multi}},
			{"traceplug b3multi to zipkin-go", []mk{multi, zipkinGo(false)}},
			{"zipkin-go 128-bit b3 to traceplug b3", []mk{zipkinGo128(true), single}},
			{"zipkin-go 128-bit X-B3 to traceplug b3multi", []mk{zipkinGo128(false), multi}},
		} {
			for _, sampled := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s/%s/sampled=%v", h.Name, c.name, sampled), func(t *testing.T) {
					interop(t, sampled, c.chain...)
				})
			}
		}
	}
}
