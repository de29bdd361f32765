package core

import (
	"context"
	"net/http"
	"sync/atomic"

	"github.com/opentracing/opentracing-go"
	"github.com/traceplug/traceplug/internal/ctxkey"
)

// This file holds a traced request's state, the context handlers see, and
// GetSpan, which reads it.

// ctxKey keys a traced request's state in its context, per Tracer, so that two
// Tracers in one process (two services, say) never see each other's spans.
type ctxKey struct{ t *Tracer }

// request is the state of one traced request, written by the handler's
// goroutine through the wrapped ResponseWriter. It is also the request's
// context (see Value), and holds the span's start options, so that a request
// costs as few allocations as possible.
type request struct {
	context.Context
	t        *Tracer
	span     opentracing.Span
	done     atomic.Bool
	status   int
	bytes    int64
	hijacked bool
	panicked bool
	http2    bool                  // the request came over HTTP/2 (or 3): no 101 there
	route    atomic.Pointer[route] // the route a router inside named (ServeRoute), over r.Pattern
	named    *route                // the route the span was named after at its start, if it was
	rw       respWriter            // the handler's writer, for net/http's own (wrap)
	state    responseState         // the handler's writer, when it keeps the response's state (wrap)

	parent opentracing.SpanReference
	start  opentracing.StartTime // with a Recorder
	opts   [3]opentracing.StartSpanOption

	req http.Request // the request the handler is given, whose context rq is
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
// span. A backend whose tracer keeps spans in contexts of its own (the
// OpenTelemetry bridge) adds them through opentracing's hook.
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

// noopRequest is a request's context under the no-op tracer.
type noopRequest struct {
	context.Context
	t    *Tracer
	done atomic.Bool
	req  http.Request // the request the handler is given, whose context nr is
}

func (nr *noopRequest) Value(key any) any {
	switch key {
	case ctxKey{nr.t}:
		return nr
	case spanKey:
		if spanKey != nil {
			return noopSpan
		}
	}
	return nr.Context.Value(key)
}

// GetSpan returns the server span of r while it is live: nil when r is not
// traced by t, and nil once the span has finished. Handlers use it to tag,
// log, or start child spans:
//
//	if span := tracer.GetSpan(r); span != nil {
//		span.LogKV("event", "cache miss")
//	}
func (t *Tracer) GetSpan(r *http.Request) opentracing.Span {
	if r == nil {
		return nil
	}
	switch rq := r.Context().Value(ctxKey{t}).(type) {
	case *request:
		if !rq.done.Load() {
			return rq.span
		}
	case *noopRequest:
		if !rq.done.Load() {
			return noopSpan
		}
	case *carryRequest:
		if rq.traced && !rq.done.Load() {
			return &rq.span
		}
	}
	return nil
}

// spanKey is the key opentracing.ContextWithSpan stores a span under, nil
// if it could not be caught: requests then take opentracing.ContextWithSpan's
// extra context layer instead.
var spanKey = ctxkey.OpenTracingSpan
