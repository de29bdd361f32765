package otel

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/internal/ctxkey"
	"github.com/traceplug/traceplug/propagation"
)

// This file holds the backend's span contexts, and the contexts
// (context.Context) through which its spans and OpenTelemetry's meet.

// spanContext is the OpenTracing span context of the backend's spans: an
// OpenTelemetry span context and the OpenTracing baggage. It never changes
// once made (a span that takes a baggage item gets a new one), so it is read
// without locks.
//
// It is also an OpenTelemetry span that is nothing but that span context,
// for the SDK to find as the parent of a span it starts (see
// [startContext]).
type spanContext struct {
	embedded.Span
	sc      trace.SpanContext
	baggage []propagation.BaggageItem // keys unique, valid as OpenTelemetry's baggage wants
}

var (
	_ opentracing.SpanContext = (*spanContext)(nil)
	_ trace.Span              = (*spanContext)(nil)
)

// ForeachBaggageItem implements [opentracing.SpanContext].
func (c *spanContext) ForeachBaggageItem(handler func(k, v string) bool) {
	for _, it := range c.baggage {
		if !handler(it.Key, it.Value) {
			return
		}
	}
}

// baggageItem returns the value of the baggage item key, "" if there is none.
func (c *spanContext) baggageItem(key string) string {
	for _, it := range c.baggage {
		if it.Key == key {
			return it.Value
		}
	}
	return ""
}

// withBaggageItem returns a copy of c with the baggage item key set to value.
// A key or value that OpenTelemetry's baggage refuses (an empty key, text
// that is not UTF-8) leaves c as it is, as the OpenTracing bridge did.
func (c *spanContext) withBaggageItem(key, value string) *spanContext {
	if !validBaggage(key, value) {
		return c
	}
	items := make([]propagation.BaggageItem, 0, len(c.baggage)+1)
	for _, it := range c.baggage {
		if it.Key != key {
			items = append(items, it)
		}
	}
	return &spanContext{sc: c.sc, baggage: append(items, propagation.BaggageItem{Key: key, Value: value})}
}

func validBaggage(key, value string) bool {
	return key != "" && utf8.ValidString(key) && utf8.ValidString(value)
}

// validItems returns a copy of the items that OpenTelemetry's baggage
// takes, a key given twice keeping its last value, as the bridge kept them.
func validItems(items []propagation.BaggageItem) []propagation.BaggageItem {
	var out []propagation.BaggageItem
	for _, it := range items {
		if !validBaggage(it.Key, it.Value) {
			continue
		}
		replaced := false
		for i := range out {
			if out[i].Key == it.Key {
				out[i].Value, replaced = it.Value, true
			}
		}
		if !replaced {
			out = append(out, it)
		}
	}
	return out
}

// The OpenTelemetry span that a spanContext is: a span context and nothing
// more, as trace.ContextWithSpanContext would make.

// SpanContext implements [trace.Span].
func (c *spanContext) SpanContext() trace.SpanContext { return c.sc }

// IsRecording implements [trace.Span]: it is false.
func (c *spanContext) IsRecording() bool { return false }

// End implements [trace.Span]; it does nothing.
func (c *spanContext) End(...trace.SpanEndOption) {}

// AddEvent implements [trace.Span]; it does nothing.
func (c *spanContext) AddEvent(string, ...trace.EventOption) {}

// AddLink implements [trace.Span]; it does nothing.
func (c *spanContext) AddLink(trace.Link) {}

// RecordError implements [trace.Span]; it does nothing.
func (c *spanContext) RecordError(error, ...trace.EventOption) {}

// SetStatus implements [trace.Span]; it does nothing.
func (c *spanContext) SetStatus(codes.Code, string) {}

// SetName implements [trace.Span]; it does nothing.
func (c *spanContext) SetName(string) {}

// SetAttributes implements [trace.Span]; it does nothing.
func (c *spanContext) SetAttributes(...attribute.KeyValue) {}

// TracerProvider implements [trace.Span]: a provider of no-op tracers, as a
// span made by trace.ContextWithSpanContext has.
func (c *spanContext) TracerProvider() trace.TracerProvider {
	return noopSpan.TracerProvider()
}

// The keys under which trace.SpanFromContext and opentracing.SpanFromContext
// look for a span. The packages do not export them, so they are caught once,
// as core catches opentracing's. A key is nil if that ever fails, and the
// contexts below then take an extra layer made by the package itself.
var (
	otelSpanKey = ctxkey.Catch(func(ctx context.Context) { _ = trace.SpanFromContext(ctx) })
	otSpanKey   = ctxkey.OpenTracingSpan
)

// emptyContext is context.Background's behaviour, to embed by value.
type emptyContext struct{}

func (emptyContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (emptyContext) Done() <-chan struct{}       { return nil }
func (emptyContext) Err() error                  { return nil }
func (emptyContext) Value(any) any               { return nil }

// startContext is the context in which the SDK starts a span for
// [Tracer.StartSpan]: empty, but for the parent it holds as the current
// OpenTelemetry span. It lives in the span it starts, so that starting costs
// no context of its own.
type startContext struct {
	emptyContext
	parent trace.Span // nil for a root
}

func (c *startContext) Value(key any) any {
	if key == otelSpanKey && c.parent != nil {
		return c.parent
	}
	return nil
}

// context returns the context to start a span in.
func (c *startContext) context() context.Context {
	if otelSpanKey == nil {
		if c.parent == nil {
			return context.Background()
		}
		return trace.ContextWithSpan(context.Background(), c.parent)
	}
	return c
}

// hookContext is a context with an OpenTelemetry span, as
// trace.ContextWithSpan makes, that lives in the OpenTracing span whose
// OpenTelemetry span it holds: [Tracer.ContextWithSpanHook] uses it the first
// time it puts the span in a context (a request's span is put in one
// context), sparing that context an allocation.
type hookContext struct {
	context.Context
	span trace.Span
}

func (c *hookContext) Value(key any) any {
	if key == otelSpanKey {
		return c.span
	}
	return c.Context.Value(key)
}

// ContextWithSpanHook implements [opentracing.TracerContextWithSpanExtension]:
// when otSpan is put into a context (as traceplug does with a request's
// span), its OpenTelemetry span goes in too, so that OpenTelemetry code
// finds it as the parent of its spans, and so does its OpenTracing baggage
// (the W3C baggage a request came with), as OpenTelemetry baggage
// (go.opentelemetry.io/otel/baggage) over what the context held. Another
// tracer's span is left out. A span without baggage costs its context no
// allocation the first time it is put in one.
func (t *Tracer) ContextWithSpanHook(ctx context.Context, otSpan opentracing.Span) context.Context {
	s, ok := otSpan.(*span)
	if !ok {
		return ctx
	}
	if items := s.ctx.Load().baggage; len(items) > 0 {
		ctx = contextWithBaggage(ctx, items)
	}
	if otelSpanKey != nil && s.hooked.CompareAndSwap(false, true) {
		s.hook = hookContext{Context: ctx, span: s.otelInContext()}
		return &s.hook
	}
	return trace.ContextWithSpan(ctx, s.otelInContext())
}

// otelInContext is the OpenTelemetry span that contexts hold for s: its
// SDK span, or the [contextSpan] over it when s buffers its tags.
func (s *span) otelInContext() trace.Span {
	if s.inCtx.s != nil {
		return &s.inCtx
	}
	return s.otel
}

// contextSpan is the OpenTelemetry span that a context holds for a span
// that buffers its tags: the SDK span (it is one, for code that asserts
// sdktrace.ReadWriteSpan or ReadOnlySpan), but that attributes set through
// it go through the span's buffer, in order with its tags, until the span
// finishes, and that ending it finishes the span (so the buffer is handed
// over first). It lives in the span, so that it costs no allocation.
type contextSpan struct {
	sdktrace.ReadWriteSpan
	s *span
}

var _ sdktrace.ReadWriteSpan = (*contextSpan)(nil)

// SetAttributes implements [trace.Span].
func (c *contextSpan) SetAttributes(kv ...attribute.KeyValue) {
	c.s.mu.Lock()
	buffered := c.s.buffer(kv...)
	c.s.mu.Unlock()
	if !buffered {
		c.ReadWriteSpan.SetAttributes(kv...)
	}
}

// End implements [trace.Span]: it finishes the span, as Finish does.
func (c *contextSpan) End(opts ...trace.SpanEndOption) {
	if c.s.flush() {
		c.ReadWriteSpan.End(opts...)
	}
}

// Attributes implements [sdktrace.ReadOnlySpan], the buffered ones included
// (they are handed over first).
func (c *contextSpan) Attributes() []attribute.KeyValue {
	c.handOver()
	return c.ReadWriteSpan.Attributes()
}

// DroppedAttributes implements [sdktrace.ReadOnlySpan], as Attributes.
func (c *contextSpan) DroppedAttributes() int {
	c.handOver()
	return c.ReadWriteSpan.DroppedAttributes()
}

func (c *contextSpan) handOver() {
	c.s.mu.Lock()
	c.s.handOver()
	c.s.mu.Unlock()
}

// ContextWithCarried returns ctx with psc, the trace of a request that
// records nothing (not sampled, or not traced but come with a trace), as
// OpenTelemetry code looks for it: the current span is one that records
// nothing and holds psc's span context (as trace.ContextWithRemoteSpanContext
// makes, but that its tracer provider is the tracer's, whose spans follow
// psc's sampling decision), and psc's baggage is OpenTelemetry baggage over
// what ctx held. So OpenTelemetry code (otel.Tracer, otelhttp, otelgrpc)
// continues the trace and its decision, and passes both on. ctx is returned
// as it is when psc holds neither trace nor baggage. It costs one
// allocation, and one more for baggage; it is safe for concurrent use.
func (t *Tracer) ContextWithCarried(ctx context.Context, psc propagation.SpanContext) context.Context {
	if len(psc.Baggage) > 0 {
		if items := validItems(psc.Baggage); len(items) > 0 {
			ctx = contextWithBaggage(ctx, items)
		}
	}
	if !hasTrace(psc) {
		return ctx
	}
	c := &carriedContext{Context: ctx}
	c.span.sc, c.span.t = otelSpanContext(psc), t
	if otelSpanKey == nil {
		return trace.ContextWithSpan(ctx, &c.span)
	}
	return c
}

var _ backend.CarriedKey = (*Tracer)(nil)

// CarriedKey implements [backend.CarriedKey]: OpenTelemetry's current span's
// key, which core's context of a request that records nothing then answers
// with [Tracer.CarriedValue], when OpenTelemetry code asks for it; nil when
// the key could not be found (core then calls ContextWithCarried).
func (t *Tracer) CarriedKey() any { return otelSpanKey }

// CarriedValue implements [backend.CarriedKey]: the span ContextWithCarried
// would put in the context for psc, made when OpenTelemetry code asks for
// it; ok is false when psc holds no trace.
func (t *Tracer) CarriedValue(psc propagation.SpanContext) (any, bool) {
	if !hasTrace(psc) {
		return nil, false
	}
	return &carriedSpan{spanContext: spanContext{sc: otelSpanContext(psc)}, t: t}, true
}

// carriedContext is the context [Tracer.ContextWithCarried] makes: ctx with
// a [carriedSpan] as OpenTelemetry's span, in one allocation.
type carriedContext struct {
	context.Context
	span carriedSpan
}

func (c *carriedContext) Value(key any) any {
	if key == otelSpanKey {
		return &c.span
	}
	return c.Context.Value(key)
}

// carriedSpan is the OpenTelemetry span of a request that records nothing:
// its span context and nothing more, but for its tracer provider, the
// tracer's, so that instrumentation that starts its spans with the provider
// of the span in its context (otelhttp's transport) continues the trace
// through the SDK, which follows the trace's decision.
type carriedSpan struct {
	spanContext
	t *Tracer
}

// TracerProvider implements [trace.Span]: the tracer's.
func (c *carriedSpan) TracerProvider() trace.TracerProvider { return c.t.provider }
