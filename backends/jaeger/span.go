package jaeger

import (
	"reflect"
	"sync/atomic"
	"unsafe"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
	jaeger "github.com/uber/jaeger-client-go"
)

// span is a span as [Tracer.StartSpan] returns it: jaeger-client-go's, whose
// first Finish or FinishWithOptions is its only one. jaeger-client-go's
// Finish reports the span at every call, so that a span finished twice (a
// handler finishing the request's span before the middleware does, two
// goroutines finishing one span) reached the collector twice; here a later
// call does nothing, as on every other backend.
//
// span is jaeger.Span under another name, so that StartSpan allocates
// nothing to wrap it: the mark that the span has finished is kept in the
// span itself (see finishMark).
type span jaeger.Span

var _ opentracing.Span = (*span)(nil)

// own returns s, a span of t.jaeger, as a span.
func own(s opentracing.Span) opentracing.Span {
	if js, ok := s.(*jaeger.Span); ok {
		return (*span)(js)
	}
	return s
}

func (s *span) jaeger() *jaeger.Span { return (*jaeger.Span)(s) }

// Finish implements [opentracing.Span]; see FinishWithOptions.
func (s *span) Finish() { s.FinishWithOptions(opentracing.FinishOptions{}) }

// FinishWithOptions implements [opentracing.Span]: the first call finishes
// and reports the span, the others do nothing. It is safe for concurrent use.
func (s *span) FinishWithOptions(opts opentracing.FinishOptions) {
	if finishMark.first(s.jaeger()) {
		s.jaeger().FinishWithOptions(opts)
	}
}

func (s *span) Context() opentracing.SpanContext { return s.jaeger().Context() }

// SpanContext returns the span's context as jaeger-client-go's type, as
// jaeger.Span's method does.
func (s *span) SpanContext() jaeger.SpanContext { return s.jaeger().SpanContext() }

func (s *span) SetOperationName(name string) opentracing.Span {
	s.jaeger().SetOperationName(name)
	return s
}

func (s *span) SetTag(key string, value any) opentracing.Span {
	s.jaeger().SetTag(key, value)
	return s
}

func (s *span) SetBaggageItem(key, value string) opentracing.Span {
	s.jaeger().SetBaggageItem(key, value)
	return s
}

func (s *span) BaggageItem(key string) string       { return s.jaeger().BaggageItem(key) }
func (s *span) LogFields(fields ...log.Field)       { s.jaeger().LogFields(fields...) }
func (s *span) LogKV(kv ...any)                     { s.jaeger().LogKV(kv...) }
func (s *span) LogEvent(event string)               { s.jaeger().LogEvent(event) }
func (s *span) LogEventWithPayload(e string, p any) { s.jaeger().LogEventWithPayload(e, p) }
func (s *span) Log(data opentracing.LogData)        { s.jaeger().Log(data) }
func (s *span) Tracer() opentracing.Tracer          { return s.jaeger().Tracer() }
func (s *span) String() string                      { return s.jaeger().String() }

// finishMark marks a span finished in jaeger-client-go's reference count,
// its unexported field referenceCounter, an int32 changed only atomically.
// jaeger-client-go counts references to a span (a reporter that holds the
// span retains it) so that, with TracerOptions.PoolSpans, a span whose count
// falls below zero goes back to the pool; this backend does not pool spans
// (a pooled span is reused, and no mark on it would say which span
// finished), and without the pool a span whose count falls below zero goes
// to an allocator that does nothing (simpleSpanAllocator.Put). The first
// Finish adds finishedMark to the count, before jaeger-client-go's Finish
// runs: the reporters' retains and releases move the count by ones around
// the mark, and a later Finish, seeing the mark, returns.
//
// The field's offset and type are checked once, by reflection, against
// jaeger-client-go v2.30.0 (the version go.mod pins), as fields.go checks the
// fields it reads; if they differ, ok is false, a second Finish reports the
// span again as jaeger-client-go's does, and this package's tests fail.
var finishMark = markLayout()

// finishedMark is the mark: far from any count of references (a span has a
// few at most), and from the count's overflow.
const finishedMark = 1 << 30

type markAt struct {
	ok bool
	at uintptr // referenceCounter's offset
}

func markLayout() markAt {
	f, ok := reflect.TypeFor[jaeger.Span]().FieldByName("referenceCounter")
	return markAt{ok: ok && len(f.Index) == 1 && f.Type == reflect.TypeFor[int32](), at: f.Offset}
}

// first marks s finished and reports whether it was not already.
func (m markAt) first(s *jaeger.Span) bool {
	if !m.ok { // an unknown layout: jaeger-client-go's own behaviour
		return true
	}
	count := (*int32)(unsafe.Add(unsafe.Pointer(s), m.at))
	for {
		n := atomic.LoadInt32(count)
		if n >= finishedMark/2 {
			return false
		}
		if atomic.CompareAndSwapInt32(count, n, n+finishedMark) {
			return true
		}
	}
}
