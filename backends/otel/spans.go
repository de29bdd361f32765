package otel

import (
	"context"

	"github.com/opentracing/opentracing-go"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/bridge/opentracing/migration"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// The bridge turns an OpenTracing error log (LogKV("event", "error",
// "message", ...), as traceplug writes for a panic) into an OpenTelemetry
// event named "error", and the span's status into ERROR with no
// description. An OpenTelemetry user looks for an "exception" event with
// exception.message and exception.type, and for the message in the status.
// The bridge's OpenTelemetry tracer is wrapped so that the bridge's spans
// write both.

// exceptionTracer is the OpenTelemetry tracer the bridge starts its spans with.
type exceptionTracer struct {
	embedded.Tracer
	inner trace.Tracer // the bridge's wrapper tracer over the SDK's
}

var (
	_ trace.Tracer                                  = (*exceptionTracer)(nil)
	_ migration.DeferredContextSetupTracerExtension = (*exceptionTracer)(nil)
)

func (t *exceptionTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	ctx, s := t.inner.Start(ctx, name, opts...)
	if !s.IsRecording() {
		return ctx, s // nothing to write
	}
	return ctx, &exceptionSpan{Span: s}
}

// DeferredContextSetupHook puts span into ctx as the active OpenTelemetry
// span, as the bridge's ContextWithSpanHook asks.
func (t *exceptionTracer) DeferredContextSetupHook(ctx context.Context, span trace.Span) context.Context {
	if h, ok := t.inner.(migration.DeferredContextSetupTracerExtension); ok {
		return h.DeferredContextSetupHook(ctx, span)
	}
	return trace.ContextWithSpan(ctx, span)
}

// exceptionSpan is an SDK span whose error events are exceptions too.
type exceptionSpan struct {
	trace.Span
}

const (
	exceptionEvent   = "exception"
	exceptionMessage = attribute.Key("exception.message")
	exceptionType    = attribute.Key("exception.type")
)

func (s *exceptionSpan) AddEvent(name string, opts ...trace.EventOption) {
	if name != "error" {
		s.Span.AddEvent(name, opts...)
		return
	}
	cfg := trace.NewEventConfig(opts...)
	attrs := cfg.Attributes()
	var msg, typ string
	for _, a := range attrs {
		switch a.Key {
		case "message", "error.message":
			msg = a.Value.Emit()
		case "error.object":
			typ = a.Value.Emit()
		case "error.kind":
			if typ == "" {
				typ = a.Value.Emit()
			}
		}
	}
	if msg == "" {
		s.Span.AddEvent(name, opts...)
		return
	}
	extra := []attribute.KeyValue{exceptionMessage.String(msg)}
	if typ != "" {
		extra = append(extra, exceptionType.String(typ))
	}
	s.Span.AddEvent(exceptionEvent, trace.WithTimestamp(cfg.Timestamp()), trace.WithAttributes(append(attrs, extra...)...))
	s.Span.SetStatus(codes.Error, msg)
}

// span is a bridge span whose Tracer is the backend's [Tracer], so that OpenTracing
// code that injects a span's context with span.Tracer() speaks the formats
// (Binary included) that traceplug speaks. The bridge's own span would
// answer with the bridge.
type span struct {
	opentracing.Span
	tracer *Tracer
}

func (s *span) Tracer() opentracing.Tracer { return s.tracer }

func (s *span) SetOperationName(name string) opentracing.Span {
	s.Span.SetOperationName(name)
	return s
}

func (s *span) SetTag(key string, value any) opentracing.Span {
	s.Span.SetTag(key, value)
	return s
}

func (s *span) SetBaggageItem(key, value string) opentracing.Span {
	s.Span.SetBaggageItem(key, value)
	return s
}

// unwrap returns the bridge's span for s.
func unwrap(s opentracing.Span) opentracing.Span {
	if w, ok := s.(*span); ok {
		return w.Span
	}
	return s
}
