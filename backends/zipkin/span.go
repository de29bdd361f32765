package zipkin

import (
	"slices"
	"sync"
	"time"

	zipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"
	"github.com/openzipkin/zipkin-go/model"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
)

// The Tracer wraps zipkin-go-opentracing's tracer for three things it
// lacks: baggage, which it drops (here spans and span contexts carry it), the
// propagation formats of core (its own speak B3 only, and no Binary), and
// logging each record at one timestamp (its LogKV stamps every field
// separately, which splits one record into annotations at different
// microseconds).

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

// StartSpan implements [opentracing.Tracer]. A span whose first reference
// is to a new trace's context (see [Tracer.ImportSpanContext]) is that
// trace's root.
func (t *Tracer) StartSpan(op string, opts ...opentracing.StartSpanOption) opentracing.Span {
	// zipkin-go-opentracing knows only its own contexts: unwrap ours, in a
	// copy of opts (the caller's are theirs). The options of the usual
	// kinds are looked at without applying them, which would make maps
	// zipkin-go-opentracing makes again.
	inner, baggage := opts, map[string]string(nil)
	var root model.TraceID // a new trace's, when the first reference is to one
	refs := 0
	for i, o := range opts {
		var ref opentracing.SpanReference
		switch o := o.(type) {
		case opentracing.SpanReference:
			ref = o
		case *opentracing.SpanReference:
			if o == nil {
				continue
			}
			ref = *o
		case opentracing.Tag, opentracing.Tags, opentracing.StartTime:
			continue
		default: // an option of its own kind may add references: apply them
			return t.startSpanApplied(op, opts)
		}
		refs++
		c, ours := ref.ReferencedContext.(spanContext)
		if !ours {
			continue
		}
		if baggage == nil {
			baggage = c.baggage
		}
		if len(inner) > 0 && &inner[0] == &opts[0] {
			inner = slices.Clone(opts)
		}
		ref.ReferencedContext = c.SpanContext
		if refs == 1 && isNewTrace(c.SpanContext) {
			root, ref.ReferencedContext = c.TraceID, decisionOnly(c.SpanContext)
		}
		inner[i] = ref
	}
	return &span{Span: t.start(root, op, inner), tracer: t, baggage: baggage}
}

// start starts a span with zipkin-go-opentracing's tracer, or, for a new
// trace's root (root not empty), with a root tracer.
func (t *Tracer) start(root model.TraceID, op string, opts []opentracing.StartSpanOption) opentracing.Span {
	if root.Empty() {
		return t.ot.StartSpan(op, opts...)
	}
	return t.roots.start(root, op, opts)
}

// startSpanApplied starts a span from options of any kind, by applying them.
func (t *Tracer) startSpanApplied(op string, opts []opentracing.StartSpanOption) opentracing.Span {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	var baggage map[string]string
	var root model.TraceID
	inner := make([]opentracing.StartSpanOption, 0, len(so.References)+2)
	for i, ref := range so.References {
		if c, ok := ref.ReferencedContext.(spanContext); ok {
			if baggage == nil {
				baggage = c.baggage
			}
			ref.ReferencedContext = c.SpanContext
			if i == 0 && isNewTrace(c.SpanContext) {
				root, ref.ReferencedContext = c.TraceID, decisionOnly(c.SpanContext)
			}
		}
		inner = append(inner, ref)
	}
	if !so.StartTime.IsZero() {
		inner = append(inner, opentracing.StartTime(so.StartTime))
	}
	if len(so.Tags) > 0 {
		inner = append(inner, opentracing.Tags(so.Tags))
	}
	return &span{Span: t.start(root, op, inner), tracer: t, baggage: baggage}
}

// Inject implements [opentracing.Tracer] with core's [backend.Propagator]: the
// configured formats for TextMap and HTTPHeaders, traceplug's own for
// Binary.
func (t *Tracer) Inject(sc opentracing.SpanContext, format, carrier any) error {
	return t.prop.Inject(sc, format, carrier)
}

// Extract implements [opentracing.Tracer] with core's [backend.Propagator].
func (t *Tracer) Extract(format, carrier any) (opentracing.SpanContext, error) {
	return t.prop.Extract(format, carrier)
}

type span struct {
	opentracing.Span
	tracer *Tracer

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
