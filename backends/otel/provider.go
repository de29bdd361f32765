package otel

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// tracerProvider is the OpenTelemetry tracer provider that
// [Tracer.TracerProvider] returns: the backend's SDK provider, or the one
// given with [WithTracerProvider], whose tracers put in the context of each
// span they start the OpenTracing span that is its view (see
// [Tracer.viewOf]), so that OpenTracing code in that context continues the
// span.
type tracerProvider struct {
	embedded.TracerProvider
	t     *Tracer
	inner trace.TracerProvider
	// tracers holds one tracer per instrumentation scope, by [scopeKey]
	// (*tracer): keyed by scope rather than by the inner provider's tracer,
	// which a provider given in code need not make comparable. A scope met
	// again costs a lookup, and no call of the inner provider.
	tracers sync.Map
}

var _ trace.TracerProvider = (*tracerProvider)(nil)

// Tracer implements [trace.TracerProvider]. It is safe for concurrent use.
func (p *tracerProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	key := scopeOf(name, opts)
	if tr, ok := p.tracers.Load(key); ok {
		return tr.(*tracer)
	}
	tr, _ := p.tracers.LoadOrStore(key, &tracer{t: p.t, inner: p.inner.Tracer(name, opts...)})
	return tr.(*tracer)
}

// scopeOf is the instrumentation scope that name and opts say, as the SDK
// tells its tracers apart.
func scopeOf(name string, opts []trace.TracerOption) scopeKey {
	cfg := trace.NewTracerConfig(opts...)
	attrs := cfg.InstrumentationAttributes()
	return scopeKey{name: name, version: cfg.InstrumentationVersion(), schemaURL: cfg.SchemaURL(), attrs: attrs.Equivalent()}
}

// tracer is a tracer of [tracerProvider].
type tracer struct {
	embedded.Tracer
	t     *Tracer
	inner trace.Tracer
}

var _ trace.Tracer = (*tracer)(nil)

// Start implements [trace.Tracer].
func (tr *tracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	ctx, s := tr.inner.Start(ctx, name, opts...)
	if otSpanKey == nil {
		return opentracing.ContextWithSpan(ctx, tr.t.viewOf(s, ctx)), s
	}
	return &providerContext{Context: ctx, t: tr.t, span: s}, s
}

// providerContext is the context of a span that a [tracerProvider]'s tracer
// started: the SDK's context, whose OpenTracing span is the span's view,
// made the first time OpenTracing code asks for it (most contexts are never
// asked).
type providerContext struct {
	context.Context
	t    *Tracer
	span trace.Span
	view atomic.Pointer[span]
}

func (c *providerContext) Value(key any) any {
	if key != otSpanKey {
		return c.Context.Value(key)
	}
	if v := c.view.Load(); v != nil {
		return v
	}
	v := c.t.viewOf(c.span, c.Context)
	if !c.view.CompareAndSwap(nil, v) {
		v = c.view.Load()
	}
	return v
}
