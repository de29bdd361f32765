package bench

import (
	"net/http"
	"testing"

	"github.com/opentracing/opentracing-go"
	zipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"
	zipkin "github.com/openzipkin/zipkin-go"
	zipkinreporter "github.com/openzipkin/zipkin-go/reporter"
	jaeger "github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceplug/traceplug/backend"
	_ "github.com/traceplug/traceplug/backends/jaeger"
	"github.com/traceplug/traceplug/backends/mock"
	_ "github.com/traceplug/traceplug/backends/zipkin"
	"github.com/traceplug/traceplug/bench/internal/loop"
	"github.com/traceplug/traceplug/core"
)

// tracer is one OpenTracing tracer, given alike to traceplug and go-stdlib.
type tracer struct {
	name string
	new  func(b *testing.B) opentracing.Tracer
}

// tracers are the OpenTracing tracers both middlewares run over: the no-op
// tracer (traceplug's "none" backend), the mock, jaeger sampling everything
// into its null reporter and sampling nothing, and zipkin sampling everything
// into zipkin-go's no-op reporter.
var tracers = []tracer{
	{"none", func(*testing.B) opentracing.Tracer { return opentracing.NoopTracer{} }},
	{"mock", func(b *testing.B) opentracing.Tracer {
		t, err := mock.New(backend.Config{ServiceName: "bench", SampleRate: 1})
		if err != nil {
			b.Fatal(err)
		}
		return t
	}},
	{"jaeger", func(b *testing.B) opentracing.Tracer { return newJaeger(b, true) }},
	{"jaeger-unsampled", func(b *testing.B) opentracing.Tracer { return newJaeger(b, false) }},
	// The backends' own tracers, as core.New builds them for users,
	// exporting every span to a sink in this process: the same work for
	// both middlewares, as their queues are long enough for every span of
	// a benchmark (a span dropped would be work not done). traceplug reads
	// incoming contexts with its own propagation, go-stdlib through the
	// tracer's Extract.
	// They flush by size only (an interval of an hour), so that how much a
	// benchmark's spans cost to send does not depend on how fast the
	// machine runs it (callgrind's runs are fifty times slower).
	{"jaeger-backend", func(b *testing.B) opentracing.Tracer {
		return exporting(b, "jaeger", func(a loop.Addrs) string { return "udp://" + a.UDP }, core.WithParam("flush_interval", "1h"))
	}},
	{"zipkin-backend", func(b *testing.B) opentracing.Tracer {
		return exporting(b, "zipkin", func(a loop.Addrs) string { return "http://" + a.HTTP + "/api/v2/spans" }, core.WithParam("batch_interval", "1h"))
	}},
	{"zipkin", func(b *testing.B) opentracing.Tracer {
		zt, err := zipkin.NewTracer(zipkinreporter.NewNoopReporter(), zipkin.WithSampler(zipkin.AlwaysSample), zipkin.WithSharedSpans(false))
		if err != nil {
			b.Fatal(err)
		}
		return zipkinot.Wrap(zt)
	}},
}

// exporting is the tracer of the backend called name, exporting to a sink of
// its own at the endpoint that endpoint gives; both close when b ends.
func exporting(b *testing.B, name string, endpoint func(loop.Addrs) string, opts ...core.Option) opentracing.Tracer {
	sink, err := loop.NewSink()
	if err != nil {
		b.Fatal(err)
	}
	tr, err := core.New(name, append([]core.Option{core.WithServiceName("bench"), core.WithEndpoint(endpoint(sink.Addrs())),
		core.WithParam("queue_size", "1000000")}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = tr.Close()
		sink.Close()
		if s := tr.Stats(); s.Dropped > 0 {
			b.Errorf("%s dropped %d of %d spans: %v", name, s.Dropped, s.Finished, s.DroppedBy)
		}
	})
	return tr.Unwrap()
}

func newJaeger(b *testing.B, sampled bool) opentracing.Tracer {
	t, closer := jaeger.NewTracer("bench", jaeger.NewConstSampler(sampled), jaeger.NewNullReporter())
	b.Cleanup(func() { _ = closer.Close() })
	return t
}

// otelProvider is OpenTelemetry's SDK with no exporter, always or never
// sampling.
func otelProvider(b *testing.B, sample bool) *sdktrace.TracerProvider {
	sampler := sdktrace.NeverSample()
	if sample {
		sampler = sdktrace.AlwaysSample()
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler))
	b.Cleanup(func() { _ = tp.Shutdown(b.Context()) })
	return tp
}

var traceContext = propagation.TraceContext{}

// wrap builds traceplug over t with trace-all on.
func wrap(b *testing.B, t opentracing.Tracer) *core.Tracer {
	tr, err := core.Wrap(t, core.WithTraceAll(true))
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

// parentHeader is an incoming trace in t's own format.
func parentHeader(t opentracing.Tracer) http.Header {
	h := http.Header{}
	span := t.StartSpan("caller")
	_ = t.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
	span.Finish()
	return h
}

// otelParentHeader is an incoming W3C trace context, sampled.
var otelParentHeader = http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
