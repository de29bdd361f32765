package zipkin

import (
	"strings"
	"sync"
	"time"

	zipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"

	"github.com/traceplug/traceplug/internal/b3"
)

// tracer wraps zipkin-go-opentracing's tracer for two things it lacks:
// baggage, which it drops (here spans carry it, and it travels as
// baggage-KEY headers, as jaeger's B3 propagator sends it), and logging each
// record at one timestamp (its LogKV stamps every field separately, which
// splits one record into annotations at different microseconds).
type tracer struct{ opentracing.Tracer }

// spanContext is zipkin's span context with baggage. Its baggage map is
// never changed once made.
type spanContext struct {
	zipkinot.SpanContext
	baggage map[string]string
}

// ForeachBaggageItem implements [opentracing.SpanContext].
func (c spanContext) ForeachBaggageItem(handler func(k, v string) bool) {
	for k, v := range c.baggage {
		if !handler(k, v) {
			return
		}
	}
}

func (t *tracer) StartSpan(op string, opts ...opentracing.StartSpanOption) opentracing.Span {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	var baggage map[string]string
	if len(so.References) > 0 {
		// zipkin-go-opentracing knows only its own contexts: unwrap ours.
		inner := make([]opentracing.StartSpanOption, 0, len(so.References)+2)
		for _, ref := range so.References {
			if c, ok := ref.ReferencedContext.(spanContext); ok {
				if baggage == nil {
					baggage = c.baggage
				}
				ref.ReferencedContext = c.SpanContext
			}
			inner = append(inner, ref)
		}
		if !so.StartTime.IsZero() {
			inner = append(inner, opentracing.StartTime(so.StartTime))
		}
		if len(so.Tags) > 0 {
			inner = append(inner, opentracing.Tags(so.Tags))
		}
		opts = inner
	}
	return &span{Span: t.Tracer.StartSpan(op, opts...), tracer: t, baggage: baggage}
}

// Inject implements [opentracing.Tracer]: zipkin's B3 headers, then one
// baggage-KEY header per baggage item.
func (t *tracer) Inject(sc opentracing.SpanContext, format, carrier any) error {
	c, ok := sc.(spanContext)
	if !ok {
		return t.Tracer.Inject(sc, format, carrier)
	}
	if err := t.Tracer.Inject(c.SpanContext, format, carrier); err != nil {
		return err
	}
	if w, ok := carrier.(opentracing.TextMapWriter); ok {
		for k, v := range c.baggage {
			w.Set(b3.BaggagePrefix+k, v)
		}
	}
	return nil
}

// Extract implements [opentracing.Tracer]: zipkin's B3 headers and any
// baggage-KEY headers.
func (t *tracer) Extract(format, carrier any) (opentracing.SpanContext, error) {
	sc, err := t.Tracer.Extract(format, carrier)
	if err != nil {
		return sc, err
	}
	zc, ok := sc.(zipkinot.SpanContext)
	if !ok {
		return sc, nil
	}
	c := spanContext{SpanContext: zc}
	if r, ok := carrier.(opentracing.TextMapReader); ok {
		_ = r.ForeachKey(func(k, v string) error {
			if len(k) > len(b3.BaggagePrefix) && strings.EqualFold(k[:len(b3.BaggagePrefix)], b3.BaggagePrefix) {
				if c.baggage == nil {
					c.baggage = map[string]string{}
				}
				c.baggage[strings.ToLower(k[len(b3.BaggagePrefix):])] = v
			}
			return nil
		})
	}
	return c, nil
}

type span struct {
	opentracing.Span
	tracer *tracer

	mu      sync.Mutex
	baggage map[string]string // copied on write
}

func (s *span) Context() opentracing.SpanContext {
	zc, _ := s.Span.Context().(zipkinot.SpanContext)
	s.mu.Lock()
	defer s.mu.Unlock()
	return spanContext{SpanContext: zc, baggage: s.baggage}
}

func (s *span) BaggageItem(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baggage[key]
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
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make(map[string]string, len(s.baggage)+1)
	for k, v := range s.baggage {
		b[k] = v
	}
	b[key] = value
	s.baggage = b
	return s
}
