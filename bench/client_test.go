package bench

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opentracing-contrib/go-stdlib/nethttp"
	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

// inproc answers every request with 200 "ok", in memory: no network.
type inproc struct{}

func (inproc) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("ok")), Request: r}, nil
}

// send runs b.N requests through rt, reading and closing each body.
func send(b *testing.B, rt http.RoundTripper, ctx context.Context, prepare func(*http.Request) (*http.Request, func())) {
	req, err := http.NewRequestWithContext(ctx, "GET", "http://inventory.local:8080/items?page=2", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, done := req, func() {}
		if prepare != nil {
			r, done = prepare(req)
		}
		resp, err := rt.RoundTrip(r)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done()
	}
}

// BenchmarkClient is an outgoing request through each transport, from inside
// a sampled server span, as a handler would send it.
func BenchmarkClient(b *testing.B) {
	b.Run("bare", func(b *testing.B) { send(b, inproc{}, context.Background(), nil) })
	for _, tc := range tracers {
		b.Run("traceplug/"+tc.name, func(b *testing.B) {
			t := tc.new(b)
			tr := wrap(b, t)
			parent := t.StartSpan("handler")
			defer parent.Finish()
			send(b, tr.Transport(inproc{}), opentracing.ContextWithSpan(context.Background(), parent), nil)
		})
		b.Run("gostdlib/"+tc.name, func(b *testing.B) {
			t := tc.new(b)
			parent := t.StartSpan("handler")
			defer parent.Finish()
			rt := &nethttp.Transport{RoundTripper: inproc{}}
			send(b, rt, opentracing.ContextWithSpan(context.Background(), parent), func(r *http.Request) (*http.Request, func()) {
				r, ht := nethttp.TraceRequest(t, r)
				return r, ht.Finish
			})
		})
	}
	for _, sample := range []bool{true, false} {
		name := "otelhttp/sampled"
		if !sample {
			name = "otelhttp/unsampled"
		}
		b.Run(name, func(b *testing.B) {
			tp := otelProvider(b, sample)
			ctx, span := tp.Tracer("bench").Start(context.Background(), "handler")
			defer span.End()
			send(b, otelhttp.NewTransport(inproc{}, otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(traceContext)), ctx, nil)
		})
	}
}
