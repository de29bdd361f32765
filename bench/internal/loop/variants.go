// Package loop holds what the loopback benchmark and the in-process export
// benchmarks share: the variants (a middleware over a tracer that exports
// every span it samples for real) and the sink they export to.
package loop

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"sort"
	"time"

	"github.com/opentracing-contrib/go-stdlib/nethttp"
	"github.com/opentracing/opentracing-go"
	zipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"
	zipkin "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	zipkinhttp "github.com/openzipkin/zipkin-go/reporter/http"
	jaeger "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/transport"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceplug/traceplug/backend"
	_ "github.com/traceplug/traceplug/backends/jaeger"
	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/backends/otel"
	_ "github.com/traceplug/traceplug/backends/zipkin"
	"github.com/traceplug/traceplug/core"
)

// The settings given to the peers: traceplug's defaults, so that what
// differs is code, not settings (jaeger-client-go's stock queue holds 100
// spans, the SDK's 2048, and the SDK waits 5s between batches).
const (
	QueueSize     = 10000
	FlushInterval = time.Second
)

// Addrs are a sink's addresses.
type Addrs struct{ UDP, HTTP string }

// Built is a variant built over a handler: Close flushes and closes its
// tracer and says what its accounting shows, if it keeps one.
type Built struct {
	Handler http.Handler
	Close   func() string
}

// Variant is a middleware over a tracer exporting to a sink, or none.
type Variant struct {
	Name string
	// Peer is the variant to compare a traceplug variant with: go-stdlib or
	// otelhttp over the same client library or SDK.
	Peer string
	// Parent is the incoming trace format the variant reads natively:
	// "jaeger", "b3" or "w3c".
	Parent string
	// Rate is the fraction of new traces the variant samples (it follows an
	// incoming trace's decision), and the fraction of the incoming traces
	// it is sent that come sampled (loopback.lua, BenchmarkExport): 1 for
	// every variant but the -1pct ones (see [Sampling]).
	Rate  float64
	Build func(a Addrs, h http.Handler) (Built, error)
}

// Variants are every variant, in the order of the benchmarks' tables. Each
// traceplug variant comes before its peer. All but the last, [Sampling]'s at
// 1% ("-1pct"), sample every request.
var Variants = append(everyRequest, Sampling(0.01, "-1pct")...)

// everyRequest are the variants that sample every request.
var everyRequest = []Variant{
	{"bare", "", "w3c", 1, func(_ Addrs, h http.Handler) (Built, error) { return Built{h, nothing}, nil }},
	{"traceplug-none", "gostdlib-none", "w3c", 1, func(_ Addrs, h http.Handler) (Built, error) {
		return traceplug(core.Wrap(opentracing.NoopTracer{}, core.WithTraceAll(true)))(h)
	}},
	{"gostdlib-none", "", "w3c", 1, func(_ Addrs, h http.Handler) (Built, error) {
		return Built{nethttp.Middleware(opentracing.NoopTracer{}, h), nothing}, nil
	}},
	{"traceplug-mock", "gostdlib-mock", "w3c", 1, func(_ Addrs, h http.Handler) (Built, error) {
		tr, err := core.New("mock", core.WithTraceAll(true))
		if err != nil {
			return Built{}, err
		}
		stop := forget(tr.Unwrap().(*mock.Tracer))
		b, err := traceplug(tr, nil)(h)
		return Built{b.Handler, func() string { stop(); return b.Close() }}, err
	}},
	{"gostdlib-mock", "", "w3c", 1, func(_ Addrs, h http.Handler) (Built, error) {
		mt, err := mock.New(backend.Config{ServiceName: "loopback", SampleRate: 1})
		if err != nil {
			return Built{}, err
		}
		stop := forget(mt)
		return Built{nethttp.Middleware(mt, h), func() string { stop(); return "" }}, nil
	}},
	{"traceplug-jaeger", "gostdlib-jaeger", "jaeger", 1, func(a Addrs, h http.Handler) (Built, error) {
		return traceplug(core.New("jaeger", core.WithTraceAll(true), core.WithServiceName("loopback"), core.WithEndpoint("udp://"+a.UDP)))(h)
	}},
	{"gostdlib-jaeger", "", "jaeger", 1, func(a Addrs, h http.Handler) (Built, error) {
		sender, err := jaeger.NewUDPTransport(a.UDP, 0)
		if err != nil {
			return Built{}, err
		}
		return stockJaeger(sender, jaeger.NewConstSampler(true), h), nil
	}},
	{"traceplug-jaeger-http", "gostdlib-jaeger-http", "jaeger", 1, func(a Addrs, h http.Handler) (Built, error) {
		return traceplug(core.New("jaeger", core.WithTraceAll(true), core.WithServiceName("loopback"), core.WithEndpoint("http://"+a.HTTP+"/api/traces")))(h)
	}},
	{"gostdlib-jaeger-http", "", "jaeger", 1, func(a Addrs, h http.Handler) (Built, error) {
		return stockJaeger(transport.NewHTTPTransport("http://"+a.HTTP+"/api/traces"), jaeger.NewConstSampler(true), h), nil
	}},
	{"traceplug-zipkin", "gostdlib-zipkin", "b3", 1, func(a Addrs, h http.Handler) (Built, error) {
		return traceplug(core.New("zipkin", core.WithTraceAll(true), core.WithServiceName("loopback"), core.WithEndpoint("http://"+a.HTTP+"/api/v2/spans")))(h)
	}},
	{"gostdlib-zipkin", "", "b3", 1, func(a Addrs, h http.Handler) (Built, error) {
		// Its log says when its backlog overflows (the sink counts what
		// arrives): kept out of the benchmarks' output.
		rep := zipkinhttp.NewReporter("http://"+a.HTTP+"/api/v2/spans", zipkinhttp.MaxBacklog(QueueSize), zipkinhttp.BatchInterval(FlushInterval),
			zipkinhttp.Logger(log.New(io.Discard, "", 0)))
		zt, err := zipkin.NewTracer(rep, zipkin.WithLocalEndpoint(&model.Endpoint{ServiceName: "loopback"}),
			zipkin.WithSampler(zipkin.AlwaysSample), zipkin.WithSharedSpans(false))
		if err != nil {
			return Built{}, err
		}
		return Built{nethttp.Middleware(zipkinot.Wrap(zt), h), func() string { _ = rep.Close(); return "" }}, nil
	}},
	{"traceplug-otel", "otelhttp", "w3c", 1, func(a Addrs, h http.Handler) (Built, error) {
		return traceplug(core.New("otel", core.WithTraceAll(true), core.WithServiceName("loopback"), core.WithEndpoint("http://"+a.HTTP+"/v1/traces")))(h)
	}},
	{"otelhttp", "", "w3c", 1, func(a Addrs, h http.Handler) (Built, error) {
		return otelHTTP(a, sdktrace.AlwaysSample(), h)
	}},
	// otelhttp over the otel backend's own TracerProvider: the same SDK,
	// batch processor and OTLP encoder as traceplug-otel, so that the pair
	// differs only in the middleware and the span layer above the SDK.
	{"otelhttp-backend", "", "w3c", 1, func(a Addrs, h http.Handler) (Built, error) {
		tr, err := core.New("otel", core.WithTraceAll(true), core.WithServiceName("loopback"), core.WithEndpoint("http://"+a.HTTP+"/v1/traces"))
		if err != nil {
			return Built{}, err
		}
		tp := tr.Unwrap().(*otel.Tracer).TracerProvider()
		return Built{otelhttp.NewHandler(h, "server", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(propagation.TraceContext{})),
			func() string {
				// Its spans are the SDK's: core's Started and Finished do
				// not count them, the backend's Reported and Dropped do.
				_ = tr.Close()
				s := tr.Stats()
				return fmt.Sprintf("reported %d dropped %d %v", s.Reported, s.Dropped, s.DroppedBy)
			}}, nil
	}},
}

// Sampling are the variants that sample a fraction rate of new traces, each
// as its library samples by ratio, and follow an incoming trace's decision,
// named with suffix: traceplug (core.WithSampleRate) on the mock, jaeger and
// otel backends; go-stdlib over jaeger-client-go with its probabilistic
// sampler; otelhttp with ParentBased(TraceIDRatioBased). The sampled spans
// are exported as in the variants that sample every request.
func Sampling(rate float64, suffix string) []Variant {
	sampleRate := core.WithSampleRate(rate)
	return []Variant{
		{"traceplug-mock" + suffix, "", "w3c", rate, func(_ Addrs, h http.Handler) (Built, error) {
			tr, err := core.New("mock", core.WithTraceAll(true), sampleRate)
			if err != nil {
				return Built{}, err
			}
			stop := forget(tr.Unwrap().(*mock.Tracer))
			b, err := traceplug(tr, nil)(h)
			return Built{b.Handler, func() string { stop(); return b.Close() }}, err
		}},
		{"traceplug-jaeger" + suffix, "gostdlib-jaeger" + suffix, "jaeger", rate, func(a Addrs, h http.Handler) (Built, error) {
			return traceplug(core.New("jaeger", core.WithTraceAll(true), core.WithServiceName("loopback"), core.WithEndpoint("udp://"+a.UDP), sampleRate))(h)
		}},
		{"gostdlib-jaeger" + suffix, "", "jaeger", rate, func(a Addrs, h http.Handler) (Built, error) {
			sender, err := jaeger.NewUDPTransport(a.UDP, 0)
			if err != nil {
				return Built{}, err
			}
			sampler, err := jaeger.NewProbabilisticSampler(rate)
			if err != nil {
				return Built{}, err
			}
			return stockJaeger(sender, sampler, h), nil
		}},
		{"traceplug-otel" + suffix, "otelhttp" + suffix, "w3c", rate, func(a Addrs, h http.Handler) (Built, error) {
			return traceplug(core.New("otel", core.WithTraceAll(true), core.WithServiceName("loopback"), core.WithEndpoint("http://"+a.HTTP+"/v1/traces"), sampleRate))(h)
		}},
		{"otelhttp" + suffix, "", "w3c", rate, func(a Addrs, h http.Handler) (Built, error) {
			return otelHTTP(a, sdktrace.ParentBased(sdktrace.TraceIDRatioBased(rate)), h)
		}},
	}
}

// Lookup returns the variant called name.
func Lookup(name string) (Variant, error) {
	for _, v := range Variants {
		if v.Name == name {
			return v, nil
		}
	}
	names := make([]string, 0, len(Variants))
	for _, v := range Variants {
		names = append(names, v.Name)
	}
	sort.Strings(names)
	return Variant{}, fmt.Errorf("unknown variant %q (want one of %v)", name, names)
}

func nothing() string { return "" }

// traceplug returns a variant's builder over tr, whose Close reports tr's
// accounting.
func traceplug(tr *core.Tracer, err error) func(http.Handler) (Built, error) {
	return func(h http.Handler) (Built, error) {
		if err != nil {
			return Built{}, err
		}
		return Built{tr.Middleware(h), func() string {
			_ = tr.Close()
			s := tr.Stats()
			return fmt.Sprintf("finished %d reported %d dropped %d %v", s.Finished, s.Reported, s.Dropped, s.DroppedBy)
		}}, nil
	}
}

// stockJaeger is go-stdlib's middleware over jaeger-client-go with sampler
// and its own remote reporter over sender.
func stockJaeger(sender jaeger.Transport, sampler jaeger.Sampler, h http.Handler) Built {
	rep := jaeger.NewRemoteReporter(sender, jaeger.ReporterOptions.QueueSize(QueueSize), jaeger.ReporterOptions.BufferFlushInterval(FlushInterval))
	jt, closer := jaeger.NewTracer("loopback", sampler, rep)
	return Built{nethttp.Middleware(jt, h), func() string { _ = closer.Close(); return "" }}
}

// otelHTTP is otelhttp over the SDK with sampler, its batch span processor
// and otlptracehttp, exporting to the sink at a.
func otelHTTP(a Addrs, sampler sdktrace.Sampler, h http.Handler) (Built, error) {
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL("http://"+a.HTTP+"/v1/traces"))
	if err != nil {
		return Built{}, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler),
		sdktrace.WithBatcher(exp, sdktrace.WithMaxQueueSize(QueueSize), sdktrace.WithBatchTimeout(FlushInterval)))
	return Built{otelhttp.NewHandler(h, "server", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(propagation.TraceContext{})),
		func() string { _ = tp.Shutdown(context.Background()); return "" }}, nil
}

// forget empties the mock tracer's record of finished spans every 100ms, so
// that its memory stays flat under load, until stop is called.
func forget(mt *mock.Tracer) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				mt.Reset()
			case <-done:
				return
			}
		}
	}()
	return func() { close(done) }
}
