package otel

import (
	"context"
	"sync"
	"sync/atomic"

	otelapi "go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelprop "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/traceplug/traceplug/backend"
)

// This file holds OpenTelemetry's globals for a Tracer built WithGlobal.
//
// OpenTelemetry hands out its global tracer provider's tracers and its
// global propagator once, and code keeps them: a library's package-level
// otel.Tracer("lib"), an otelhttp transport's propagator taken when it was
// made. Tracers taken before the first provider was set forward, for good,
// to that first one. So, as core does for OpenTracing's global, the backend
// sets the globals to forwarders of its own (once, and again only if someone
// replaced them), and switches the Tracer they forward to with an atomic
// pointer: what code took while one Tracer was global follows the next one,
// and never feeds a Tracer that was shut down.

var _ backend.Globalizer = (*Tracer)(nil)

// globals is OpenTelemetry's global tracer provider and propagator while a
// Tracer of the backend is global.
type globals struct {
	current atomic.Pointer[Tracer] // the global Tracer; nil: none

	provider   globalProvider
	propagator globalPropagator

	// mu guards setting and restoring the globals, and what they were
	// before the forwarders were set.
	mu             sync.Mutex
	prevProvider   trace.TracerProvider
	prevPropagator otelprop.TextMapPropagator
}

var global = func() *globals {
	g := &globals{}
	g.provider.g, g.propagator.g = g, g
	return g
}()

// SetGlobals implements [backend.Globalizer]: for a Tracer built
// [core.WithGlobal], OpenTelemetry's global tracer provider
// (otel.GetTracerProvider) and propagator (otel.GetTextMapPropagator)
// become the tracer's [Tracer.TracerProvider] and [Tracer.TextMapPropagator],
// through forwarders that follow the last Tracer made global. restore, which
// core calls at Shutdown, makes the forwarders trace and propagate nothing
// if t is still the one they forward to, and then puts back the globals
// that were there before, each only if it is still the forwarder: a global
// that someone set in between stays.
func (t *Tracer) SetGlobals() (restore func()) {
	g := global
	g.mu.Lock()
	defer g.mu.Unlock()
	g.current.Store(t)
	if tp := otelapi.GetTracerProvider(); tp != trace.TracerProvider(&g.provider) {
		g.prevProvider = tp
		otelapi.SetTracerProvider(&g.provider)
	}
	if p := otelapi.GetTextMapPropagator(); p != otelprop.TextMapPropagator(&g.propagator) {
		g.prevPropagator = p
		otelapi.SetTextMapPropagator(&g.propagator)
	}
	return func() { g.drop(t) }
}

// drop ends t's time as the global Tracer, if it is the global one.
func (g *globals) drop(t *Tracer) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.current.CompareAndSwap(t, nil) {
		return // another Tracer is global now: the globals are its own
	}
	if g.prevProvider != nil && otelapi.GetTracerProvider() == trace.TracerProvider(&g.provider) {
		otelapi.SetTracerProvider(g.prevProvider)
	}
	if g.prevPropagator != nil && otelapi.GetTextMapPropagator() == otelprop.TextMapPropagator(&g.propagator) {
		otelapi.SetTextMapPropagator(g.prevPropagator)
	}
	g.prevProvider, g.prevPropagator = nil, nil
}

// globalProvider is OpenTelemetry's global tracer provider while a Tracer
// is global. Its tracers start spans with the global Tracer's provider at
// the time of each Start, and start nothing (as OpenTelemetry's no-op
// tracer) when no Tracer is global.
type globalProvider struct {
	embedded.TracerProvider
	g       *globals
	tracers sync.Map // scopeKey → *globalTracer
}

// scopeKey names an instrumentation scope, as the SDK tells its tracers
// apart.
type scopeKey struct {
	name, version, schemaURL string
	attrs                    attribute.Distinct
}

// Tracer implements [trace.TracerProvider]: one tracer per instrumentation
// scope, so that code that asks for its tracer at each request
// (otel.Tracer("lib").Start) allocates nothing.
func (p *globalProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	cfg := trace.NewTracerConfig(opts...)
	attrs := cfg.InstrumentationAttributes()
	key := scopeKey{name: name, version: cfg.InstrumentationVersion(), schemaURL: cfg.SchemaURL(), attrs: attrs.Equivalent()}
	if tr, ok := p.tracers.Load(key); ok {
		return tr.(*globalTracer)
	}
	tr, _ := p.tracers.LoadOrStore(key, &globalTracer{g: p.g, name: name, opts: opts})
	return tr.(*globalTracer)
}

// globalTracer is a tracer of [globalProvider].
type globalTracer struct {
	embedded.Tracer
	g    *globals
	name string
	opts []trace.TracerOption

	inner atomic.Pointer[ownedTracer] // the last Tracer's tracer for the scope
}

// ownedTracer is a Tracer's tracer for a [globalTracer]'s scope.
type ownedTracer struct {
	owner *Tracer
	trace.Tracer
}

var noopTracer = noop.NewTracerProvider().Tracer("")

// Start implements [trace.Tracer].
func (gt *globalTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	t := gt.g.current.Load()
	if t == nil {
		return noopTracer.Start(ctx, name, opts...)
	}
	in := gt.inner.Load()
	if in == nil || in.owner != t {
		in = &ownedTracer{owner: t, Tracer: t.provider.Tracer(gt.name, gt.opts...)}
		gt.inner.Store(in)
	}
	return in.Start(ctx, name, opts...)
}

// globalPropagator is OpenTelemetry's global propagator while a Tracer is
// global: the global Tracer's [Tracer.TextMapPropagator], and nothing when
// no Tracer is global.
type globalPropagator struct{ g *globals }

var _ otelprop.TextMapPropagator = (*globalPropagator)(nil)

// Inject implements [otelprop.TextMapPropagator].
func (p *globalPropagator) Inject(ctx context.Context, carrier otelprop.TextMapCarrier) {
	if t := p.g.current.Load(); t != nil {
		t.propagator.Inject(ctx, carrier)
	}
}

// Extract implements [otelprop.TextMapPropagator].
func (p *globalPropagator) Extract(ctx context.Context, carrier otelprop.TextMapCarrier) context.Context {
	if t := p.g.current.Load(); t != nil {
		return t.propagator.Extract(ctx, carrier)
	}
	return ctx
}

// Fields implements [otelprop.TextMapPropagator].
func (p *globalPropagator) Fields() []string {
	if t := p.g.current.Load(); t != nil {
		return t.propagator.Fields()
	}
	return nil
}
