package core

import (
	"context"

	"github.com/opentracing/opentracing-go"
)

// spanKey is the key opentracing.ContextWithSpan stores a span under. The
// package does not export it, so it is caught once, by handing
// opentracing.SpanFromContext a context that records the key it is asked
// for. It is nil if that ever fails, and requests then take
// opentracing.ContextWithSpan's extra context layer instead.
var spanKey = func() any {
	c := &keyCatcher{Context: context.Background()}
	_ = opentracing.SpanFromContext(c)
	return c.key
}()

type keyCatcher struct {
	context.Context
	key any
}

func (c *keyCatcher) Value(key any) any {
	c.key = key
	return nil
}

// Value makes a traced request's state its context too, holding both the
// state (under this Tracer's key) and the span (under opentracing's key), so
// that each request needs one context allocation rather than two.
func (rq *request) Value(key any) any {
	switch key {
	case ctxKey{rq.t}:
		return rq
	case spanKey:
		if spanKey != nil {
			return rq.span
		}
	}
	return rq.Context.Value(key)
}

// withRequest returns the context handlers see: parent with rq's state and
// span.
func (t *Tracer) withRequest(parent context.Context, rq *request) context.Context {
	if hook, ok := t.ot.(opentracing.TracerContextWithSpanExtension); ok {
		parent = hook.ContextWithSpanHook(parent, rq.span)
	}
	if spanKey == nil {
		parent = opentracing.ContextWithSpan(parent, rq.span)
	}
	rq.Context = parent
	return rq
}
