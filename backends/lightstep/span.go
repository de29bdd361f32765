package lightstep

import (
	"sync/atomic"
	"time"

	lightstep "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backend"
)

// span is lightstep-tracer-go's span, finished through its Tracer: so that
// the Tracer counts the spans finished after Shutdown (which
// lightstep-tracer-go would buffer, never to send), and so that the span's
// Tracer() is the backend's, which speaks the configured propagation
// formats.
type span struct {
	opentracing.Span
	tracer   *Tracer
	finished atomic.Bool
	start    time.Time // as a start option gave it, else when StartSpan began
}

func (s *span) Finish() { s.FinishWithOptions(opentracing.FinishOptions{}) }

func (s *span) FinishWithOptions(opts opentracing.FinishOptions) {
	if !s.finished.CompareAndSwap(false, true) {
		return // lightstep-tracer-go ignores a second Finish too
	}
	t := s.tracer
	t.finishing.RLock()
	defer t.finishing.RUnlock()
	if t.closed {
		// lightstep-tracer-go records no unsampled span: neither is it
		// counted.
		if sc, ok := s.Span.Context().(lightstep.SpanContext); !ok || sc.Sampled != "false" {
			t.counts.Dropped(backend.DropClosed, 1)
		}
		return
	}
	if !opts.FinishTime.IsZero() && opts.FinishTime.Before(s.start) {
		// lightstep-tracer-go would send the negative duration as an
		// unsigned one: 584,000 years.
		opts.FinishTime = s.start
	}
	s.Span.FinishWithOptions(opts)
}

func (s *span) Tracer() opentracing.Tracer { return s.tracer }

func (s *span) SetOperationName(name string) opentracing.Span {
	s.Span.SetOperationName(name)
	return s
}

func (s *span) SetTag(key string, value any) opentracing.Span {
	s.Span.SetTag(key, tagValue(value))
	return s
}

func (s *span) SetBaggageItem(key, value string) opentracing.Span {
	s.Span.SetBaggageItem(key, value)
	return s
}
