package otel

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/opentracing/opentracing-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// tracerProvider is the OpenTelemetry tracer provider that
// [Tracer.TracerProvider] returns: the SDK's, whose tracers put in the
// context of each span they start the OpenTracing span that is its view
// (see [Tracer.viewOf]), so that OpenTracing code in that context continues
// the span.
type tracerProvider struct {
	embedded.TracerProvider
	t   *Tracer
	sdk *sdktrace.TracerProvider

	mu      sync.Mutex
	tracers map[trace.Tracer]*tracer // by the SDK's tracer
}

var _ trace.TracerProvider = (*tracerProvider)(nil)

// Tracer implements [trace.TracerProvider]. It is safe for concurrent use.
func (p *tracerProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	inner := p.sdk.Tracer(name, opts...) // one per scope
	p.mu.Lock()
	defer p.mu.Unlock()
	tr, ok := p.tracers[inner]
	if !ok {
		if p.tracers == nil {
			p.tracers = map[trace.Tracer]*tracer{}
		}
		tr = &tracer{t: p.t, inner: inner}
		p.tracers[inner] = tr
	}
	return tr
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
