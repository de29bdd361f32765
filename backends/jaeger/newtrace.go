package jaeger

import (
	"math/rand/v2"
	"strconv"

	"github.com/opentracing/opentracing-go"
	jaeger "github.com/uber/jaeger-client-go"

	"github.com/traceplug/traceplug/propagation"
)

// This file holds the roots of traces that core began: core takes a new
// trace's sampling decision on a trace id of its own and imports it with no
// span id (see Tracer.ImportSpanContext); the span started from that context
// is the trace's root. jaeger-client-go starts a span with a context given
// (trace id, span id, flags) only through jaeger.SelfRef, which StartSpan
// uses, and leaves the decision of such a span open for its sampler, which
// selfRefSampler settles.

// newTrace returns the context of a new trace with id, psc's baggage and
// psc's decision (deferred is sampled): a context with no span id, which
// StartSpan recognises (isNewTrace).
func newTrace(id jaeger.TraceID, psc propagation.SpanContext) jaeger.SpanContext {
	var flags byte
	switch psc.Sampling {
	case propagation.SamplingYes, propagation.SamplingDeferred:
		flags = flagSampled
	case propagation.SamplingDebug:
		flags = flagSampled | flagDebug
	}
	return newContext(id, 0, flags, baggageMap(psc.Baggage))
}

// isNewTrace reports whether sc is a new trace's context: a jaeger context
// with a trace id and no span id.
func isNewTrace(sc opentracing.SpanContext) (jaeger.SpanContext, bool) {
	c, ok := sc.(jaeger.SpanContext)
	return c, ok && c.SpanID() == 0 && c.TraceID().IsValid()
}

// newRoot returns the context of the root span of the new trace c: c's
// trace id, flags and baggage, no parent, and a random span id, never the
// trace id's low half (jaeger-client-go's span id for the roots it starts),
// which is how selfRefSampler knows the span. Each root gets its own
// context (and sampling state), so that two spans started from one c are
// two roots.
func newRoot(c jaeger.SpanContext) jaeger.SpanContext {
	var bag map[string]string
	c.ForeachBaggageItem(func(k, v string) bool {
		if bag == nil {
			bag = map[string]string{}
		}
		bag[k] = v
		return true
	})
	id := c.TraceID()
	span := rand.Uint64()
	for span == 0 || span == id.Low {
		span = rand.Uint64()
	}
	return newContext(id, jaeger.SpanID(span), c.Flags(), bag)
}

// newContext returns a context with no parent, with flags and bag (which it
// keeps). NewSpanContext sets no flag but the sampled one; ContextFromString
// sets any, but takes no baggage, which is then added one item at a time
// (dropping items with empty values, as jaeger-client-go's baggage does):
// that is for debug traces only.
func newContext(id jaeger.TraceID, span jaeger.SpanID, flags byte, bag map[string]string) jaeger.SpanContext {
	if flags&^flagSampled == 0 {
		return jaeger.NewSpanContext(id, span, 0, flags == flagSampled, bag)
	}
	c, err := jaeger.ContextFromString(id.String() + ":" + span.String() + ":0:" + strconv.Itoa(int(flags)))
	if err != nil { // cannot happen: the string is well formed
		return jaeger.NewSpanContext(id, span, 0, flags&flagSampled != 0, bag)
	}
	for k, v := range bag {
		c = c.WithBaggageItem(k, v)
	}
	return c
}

// startNewTrace starts the root span of a new trace: opts with the reference
// at root (to a new trace's context c) replaced by a SelfRef to the root's
// context, less the option at kind (a span.kind tag) if kind is not -1,
// which is set once the span has started (see StartSpan).
func (t *Tracer) startNewTrace(op string, opts []opentracing.StartSpanOption, c jaeger.SpanContext, root, kind int) opentracing.Span {
	var buf [maxStartOptions]opentracing.StartSpanOption
	rest := buf[:0]
	if len(opts) > len(buf) {
		rest = make([]opentracing.StartSpanOption, 0, len(opts))
	}
	for i, o := range opts {
		switch i {
		case kind:
			continue
		case root:
			o = jaeger.SelfRef(newRoot(c))
		}
		rest = append(rest, o)
	}
	span := t.jaeger.StartSpan(op, rest...)
	if kind >= 0 {
		tag := opts[kind].(opentracing.Tag)
		span.SetTag(tag.Key, tag.Value)
	}
	return span
}

// startApplied starts a span from options of any kind, by applying them,
// for options of kinds StartSpan does not know, which may add references
// (ext.RPCServerOption does).
func (t *Tracer) startApplied(op string, opts []opentracing.StartSpanOption) opentracing.Span {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	if len(so.References) > 0 {
		if c, ok := isNewTrace(so.References[0].ReferencedContext); ok {
			so.References[0] = jaeger.SelfRef(newRoot(c)) // so.References is ours: Apply appended to nil
		}
	}
	return t.jaeger.StartSpan(op, appliedOptions(so))
}

// appliedOptions are start options applied already.
type appliedOptions opentracing.StartSpanOptions

func (a appliedOptions) Apply(so *opentracing.StartSpanOptions) {
	*so = opentracing.StartSpanOptions(a)
}

// selfRefSampler is jaeger-client-go's sampler in this backend. A span
// started with a jaeger.SelfRef keeps the decision of its context, final
// (jaeger-client-go would have its sampler decide again, and tag the span
// with the sampler's type): the root of a trace core began, whose decision
// core took. Every other span whose decision is open (a trace
// jaeger-client-go starts itself) goes to the wrapped sampler, as
// jaeger-client-go would send it.
//
// A SelfRef span is one with no parent whose span id is not its trace id's
// low half: jaeger-client-go gives its own roots that span id, and a child
// has a parent.
type selfRefSampler struct{ jaeger.Sampler }

var (
	_ jaeger.Sampler   = selfRefSampler{}
	_ jaeger.SamplerV2 = selfRefSampler{}
)

// OnCreateSpan implements [jaeger.SamplerV2].
func (s selfRefSampler) OnCreateSpan(span *jaeger.Span) jaeger.SamplingDecision {
	if sc := span.SpanContext(); sc.ParentID() == 0 && uint64(sc.SpanID()) != sc.TraceID().Low {
		return jaeger.SamplingDecision{Sample: sc.IsSampled()} // not retryable: final
	}
	return s.decide(span)
}

// OnSetOperationName implements [jaeger.SamplerV2].
func (s selfRefSampler) OnSetOperationName(span *jaeger.Span, _ string) jaeger.SamplingDecision {
	return s.decide(span)
}

// OnSetTag implements [jaeger.SamplerV2]: no decision.
func (selfRefSampler) OnSetTag(*jaeger.Span, string, any) jaeger.SamplingDecision {
	return jaeger.SamplingDecision{Retryable: true}
}

// OnFinishSpan implements [jaeger.SamplerV2]: no decision.
func (selfRefSampler) OnFinishSpan(*jaeger.Span) jaeger.SamplingDecision {
	return jaeger.SamplingDecision{Retryable: true}
}

// decide asks the wrapped sampler, as jaeger-client-go asks a sampler that
// is not a SamplerV2.
func (s selfRefSampler) decide(span *jaeger.Span) jaeger.SamplingDecision {
	sampled, tags := s.IsSampled(span.SpanContext().TraceID(), span.OperationName())
	return jaeger.SamplingDecision{Sample: sampled, Tags: tags}
}
