package otmock

import (
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
	"github.com/opentracing/opentracing-go/mocktracer"
)

// span is a mocktracer span that reports itself when it finishes, once, and
// whose Tracer() is otmock's, so that span.Tracer().Inject speaks the
// configured formats rather than mocktracer's own headers.
type span struct {
	t        *Tracer
	ms       *mocktracer.MockSpan
	finished atomic.Bool
}

var _ opentracing.Span = (*span)(nil)

func (s *span) Finish() { s.FinishWithOptions(opentracing.FinishOptions{}) }

// FinishWithOptions finishes the span and hands it to the reporter. A second
// finish does nothing (mocktracer would record the span twice).
func (s *span) FinishWithOptions(opts opentracing.FinishOptions) {
	if !s.finished.CompareAndSwap(false, true) {
		return
	}
	if opts.FinishTime.IsZero() {
		opts.FinishTime = time.Now() // mocktracer takes a zero time as it is
	}
	s.ms.FinishWithOptions(opts)
	s.t.finished(s.ms)
}

func (s *span) Context() opentracing.SpanContext { return s.ms.Context() }

func (s *span) SetOperationName(name string) opentracing.Span {
	s.ms.SetOperationName(name)
	return s
}

func (s *span) SetTag(key string, value any) opentracing.Span {
	s.ms.SetTag(key, value)
	return s
}

func (s *span) LogFields(fields ...log.Field) { s.ms.LogFields(fields...) }

func (s *span) LogKV(keyValues ...any) { s.ms.LogKV(keyValues...) }

func (s *span) SetBaggageItem(key, value string) opentracing.Span {
	s.ms.SetBaggageItem(key, value)
	return s
}

func (s *span) BaggageItem(key string) string { return s.ms.BaggageItem(key) }

func (s *span) Tracer() opentracing.Tracer { return s.t }

func (s *span) LogEvent(event string) { s.ms.LogEvent(event) }

func (s *span) LogEventWithPayload(event string, payload any) {
	s.ms.LogEventWithPayload(event, payload)
}

// Log keeps ld's fields (mocktracer's Log panics); they are timed now, not
// at ld.Timestamp, which mocktracer gives no way to set.
func (s *span) Log(ld opentracing.LogData) { s.ms.LogFields(ld.ToLogRecord().Fields...) }
