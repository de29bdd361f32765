package otel

import (
	"context"
	"fmt"
	"sync"

	"github.com/opentracing/opentracing-go"
	otelprop "go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel/internal/otlp"
	"github.com/traceplug/traceplug/core"
)

func init() { core.Register("otel", factory) }

func factory(cfg backend.Config) (opentracing.Tracer, func(context.Context) error, error) {
	t, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return t, t.Shutdown, nil
}

// scopeName is the instrumentation scope of the spans started through the
// OpenTracing API: traceplug's middleware and transport, and OpenTracing
// code.
const scopeName = "github.com/traceplug/traceplug"

// Tracer is an OpenTracing tracer over the OpenTelemetry SDK, exporting
// OTLP, or over a tracer provider given in code (see [WithTracerProvider]).
// It is safe for concurrent use. Call Close or Shutdown to flush.
type Tracer struct {
	sdk        trace.Tracer // the provider's, for spans started through OpenTracing
	provider   *tracerProvider
	propagator otelprop.TextMapPropagator
	native     string               // see NativePropagation
	prop       *backend.Propagator  // traceplug's formats, for Inject and Extract
	proc       *processor           // nil over a provider given in code
	given      trace.TracerProvider // the provider given in code, or nil

	once sync.Once
	err  error
}

var (
	_ opentracing.Tracer                         = (*Tracer)(nil)
	_ opentracing.TracerContextWithSpanExtension = (*Tracer)(nil)
	_ backend.StatsReporter                      = (*Tracer)(nil)
)

// New builds a tracer from cfg, without the registry; see the package
// documentation for the endpoint, params and environment it reads. A
// tracer provider given with [WithTracerProvider] (which passes it in a
// param) replaces the backend's pipeline, as [NewWithProvider] says.
func New(cfg backend.Config) (*Tracer, error) {
	if tp, ok, err := givenProvider(cfg); err != nil {
		return nil, err
	} else if ok {
		return newWithProvider(cfg, tp)
	}
	s, err := newSettings(cfg)
	if err != nil {
		return nil, err
	}
	t := &Tracer{propagator: s.propagator, native: s.native}
	if t.prop, err = backend.NewPropagator(cfg, t); err != nil {
		return nil, err
	}
	var c otlp.Client
	if s.protocol == protocolGRPC {
		newGRPC := otlp.GRPC()
		if newGRPC == nil {
			return nil, s.grpcNotLinked()
		}
		if c, err = newGRPC(s.export()); err != nil {
			return nil, fmt.Errorf("otel: gRPC client for %s: %w", redactURL(s.url), err)
		}
	} else {
		c = newHTTPClient(s.export(), s.proxy)
	}
	t.proc = newProcessor(c, s, backend.NewLoggerTo(cfg.Logger, "traceplug/otel: "))
	sdk := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sampler{}),
		sdktrace.WithResource(s.resource),
		sdktrace.WithSpanProcessor(t.proc),
	)
	t.sdk = sdk.Tracer(scopeName)
	t.provider = &tracerProvider{t: t, inner: sdk}
	return t, nil
}

// TracerProvider returns the OpenTelemetry tracer provider of this tracer:
// spans started with its tracers go to the same collector (over a provider
// given with [WithTracerProvider], through that provider), are children of
// the OpenTracing span in their context (a request's span, in a handler
// that traceplug traces), and are themselves the parent of OpenTracing spans
// started from the context that Start returns. A Tracer built
// [core.WithGlobal] makes it OpenTelemetry's global (see
// [Tracer.SetGlobals]), so that otel.Tracer and instrumentation libraries
// use it; without WithGlobal, install it by hand:
//
//	otel.SetTracerProvider(tracer.TracerProvider())
//	otel.SetTextMapPropagator(tracer.TextMapPropagator())
//
// After Shutdown, its spans are dropped (and counted as finished after
// close); over a provider given in code, they go to that provider as
// before.
func (t *Tracer) TracerProvider() trace.TracerProvider { return t.provider }

// TextMapPropagator returns the OpenTelemetry propagator of this tracer: the
// formats of traceplug's propagation setting, else of OTEL_PROPAGATORS, else
// W3C trace context and baggage: the formats that [Tracer.Inject] writes,
// for OpenTelemetry code (see [Tracer.TracerProvider]).
func (t *Tracer) TextMapPropagator() otelprop.TextMapPropagator { return t.propagator }

// StartSpan implements [opentracing.Tracer]. The span's parent is its first
// ChildOf reference or, if it has none, its first FollowsFrom reference, as
// OpenTelemetry's OpenTracing compatibility specification says; its other
// references become links, and so does a FollowsFrom reference that is the
// parent, saying how the span follows it. A reference to another tracer's
// span context is ignored, and the span is tagged
// traceplug.dropped_reference.
func (t *Tracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	return t.startSpan(operationName, opts)
}

// Inject implements [opentracing.Tracer] with traceplug's propagation: the
// formats of the user's list (WithPropagation), else the native W3C trace
// context and baggage, for the TextMap and HTTPHeaders formats, and
// traceplug's encoding for Binary; as the [core.Tracer] over it does.
// OpenTelemetry code uses [Tracer.TextMapPropagator] instead.
func (t *Tracer) Inject(sc opentracing.SpanContext, format, carrier any) error {
	return t.prop.Inject(sc, format, carrier)
}

// Extract implements [opentracing.Tracer], reading what [Tracer.Inject]
// writes.
func (t *Tracer) Extract(format, carrier any) (opentracing.SpanContext, error) {
	return t.prop.Extract(format, carrier)
}

// BackendStats implements [backend.StatsReporter]. Over a provider given
// with [WithTracerProvider] it counts nothing (every count zero): the
// provider's processors and exporters deliver and drop the spans, out of the
// backend's sight.
func (t *Tracer) BackendStats() backend.BackendStats {
	if t.proc == nil {
		return backend.BackendStats{}
	}
	return t.proc.BackendStats()
}

// Shutdown sends every queued span and closes the connection to the
// collector, returning when that is done or when ctx ends, whichever is
// first: then the export under way is aborted, and the spans not sent are
// counted as unsent at shutdown. Spans that finish later are dropped and
// counted as finished after close. Over a provider given with
// [WithTracerProvider], it calls the provider's ForceFlush(ctx) if it has
// one, and never its Shutdown (see [NewWithProvider]). Only the first call
// of Shutdown or Close does the work.
func (t *Tracer) Shutdown(ctx context.Context) error {
	t.once.Do(func() {
		if t.proc == nil {
			t.err = flushGiven(ctx, t.given)
			return
		}
		if err := t.proc.Shutdown(ctx); err != nil {
			t.err = fmt.Errorf("otel: shutdown stopped before every span was sent: %w", err)
		}
	})
	return t.err
}

// Close sends every queued span and closes the connection to the collector
// (over a provider given in code: flushes it), as Shutdown does without a
// deadline.
func (t *Tracer) Close() error { return t.Shutdown(context.Background()) }
