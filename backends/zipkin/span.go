package zipkin

import (
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
)

// tracer wraps zipkin-go-opentracing's tracer so that its spans log each
// record at one timestamp: its LogKV stamps every field separately, which
// splits one record into annotations at different microseconds.
type tracer struct{ opentracing.Tracer }

func (t *tracer) StartSpan(op string, opts ...opentracing.StartSpanOption) opentracing.Span {
	return &span{Span: t.Tracer.StartSpan(op, opts...), tracer: t}
}

type span struct {
	opentracing.Span
	tracer *tracer
}

func (s *span) Tracer() opentracing.Tracer { return s.tracer }

func (s *span) LogKV(kv ...any) {
	fields, err := log.InterleavedKVToFields(kv...)
	if err != nil {
		fields = []log.Field{log.Error(err), log.String("function", "LogKV")}
	}
	s.Span.LogFields(fields...)
}

// FinishWithOptions gives log records without a timestamp the finish time, as
// zipkin-go-opentracing would otherwise stamp them at the zero time.
func (s *span) FinishWithOptions(opts opentracing.FinishOptions) {
	now := time.Now()
	for i := range opts.LogRecords {
		if opts.LogRecords[i].Timestamp.IsZero() {
			opts.LogRecords[i].Timestamp = now
		}
	}
	s.Span.FinishWithOptions(opts)
}

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
