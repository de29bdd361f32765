package core

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"

	"github.com/traceplug/traceplug/propagation"
)

// This file holds what a request that records nothing carries: a span that
// is also its own span context, holding the incoming (or new) trace in
// neutral form, so that the calls the handler makes pass the trace and its
// decision on, as OpenTelemetry's non-recording spans do. It serves two
// kinds of request: one whose trace is not sampled (traced, so GetSpan
// returns the span), and one the Tracer does not trace (trace-all off and not
// decorated, or filtered out) that came with a trace to pass on.

// carrySpan is a span that records nothing. It is its own SpanContext. Its
// methods are safe for concurrent use.
type carrySpan struct {
	t       *Tracer
	decided bool // core decided this trace here (not sampled); else it is a caller's, passed through

	mu  sync.Mutex // guards psc.Baggage, which SetBaggageItem replaces
	psc propagation.SpanContext
}

var (
	_ opentracing.Span        = (*carrySpan)(nil)
	_ opentracing.SpanContext = (*carrySpan)(nil)
)

// context returns s's trace, with its baggage.
func (s *carrySpan) context() propagation.SpanContext {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.psc
}

func (s *carrySpan) Finish()                                     {}
func (s *carrySpan) FinishWithOptions(opentracing.FinishOptions) {}
func (s *carrySpan) Context() opentracing.SpanContext            { return s }
func (s *carrySpan) SetOperationName(string) opentracing.Span    { return s }
func (s *carrySpan) SetTag(string, any) opentracing.Span         { return s }
func (s *carrySpan) LogFields(...log.Field)                      {}
func (s *carrySpan) LogKV(...any)                                {}
func (s *carrySpan) LogEvent(string)                             {}
func (s *carrySpan) LogEventWithPayload(string, any)             {}
func (s *carrySpan) Log(opentracing.LogData)                     {}
func (s *carrySpan) Tracer() opentracing.Tracer                  { return s.t }

// ForeachBaggageItem implements [opentracing.SpanContext].
func (s *carrySpan) ForeachBaggageItem(fn func(k, v string) bool) {
	psc := s.context()
	for _, it := range psc.Baggage {
		if !fn(it.Key, it.Value) {
			return
		}
	}
}

// SetBaggageItem sets a baggage item, passed on to the calls the request
// makes like any other.
func (s *carrySpan) SetBaggageItem(key, value string) opentracing.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.psc.Baggage = mergeBaggage(s.psc.Baggage, []propagation.BaggageItem{{Key: key, Value: value}})
	return s
}

func (s *carrySpan) BaggageItem(key string) string {
	psc := s.context()
	for _, it := range psc.Baggage {
		if it.Key == key {
			return it.Value
		}
	}
	return ""
}

// carryRequest is the context of a request that records nothing: it holds
// the request's state under the Tracer's key (so that Middleware inside
// Middleware, and Trace inside Middleware, see the request as handled) and
// its carrySpan under opentracing's, and it holds the request the handler
// is given, whose context it is: all in one allocation (see carry).
type carryRequest struct {
	context.Context
	span   carrySpan
	traced bool // an unsampled traced request: GetSpan returns span
	lazy   bool // the backend's carried key is answered here (see carry)
	done   atomic.Bool
	req    http.Request
}

func (cr *carryRequest) Value(key any) any {
	switch key {
	case ctxKey{cr.span.t}:
		return cr
	case spanKey:
		if spanKey != nil {
			return &cr.span
		}
	}
	if cr.lazy && key == cr.span.t.carriedKey {
		if v, ok := cr.span.t.carriedLazy.CarriedValue(cr.span.context()); ok {
			return v
		}
	}
	return cr.Context.Value(key)
}

// carry serves r with next, recording nothing, with *psc in its context for
// the calls the handler makes. traced says the request is traced but not
// sampled: GetSpan then returns the span.
func (t *Tracer) carry(w http.ResponseWriter, r *http.Request, next http.Handler, psc *propagation.SpanContext, traced bool) {
	cr := &carryRequest{Context: r.Context(), traced: traced}
	cr.span.t, cr.span.psc, cr.span.decided = t, *psc, traced
	var ctx context.Context = cr
	if spanKey == nil {
		ctx = opentracing.ContextWithSpan(cr, &cr.span)
	}
	switch {
	case t.carriedLazy != nil && len(psc.Baggage) == 0:
		cr.lazy = true // asked for only if the backend's API runs (see Value)
	case t.carriedCtx != nil:
		ctx = t.carriedCtx.ContextWithCarried(ctx, *psc)
	}
	// The handler's request is r.WithContext(ctx), copied into cr: the
	// copy WithContext makes is inlined and does not escape, so it stays on
	// the stack, and the request costs one allocation rather than two (some
	// 180 instructions less in BenchmarkUnsampled, before the collector's
	// share: bench/results/unsampled-2026-12-07-after.txt). cr is never
	// reused: a handler may keep its request, or its context, past its
	// return.
	cr.req = *r.WithContext(ctx)
	defer cr.done.Store(true)
	next.ServeHTTP(w, &cr.req)
}

// passThrough is Middleware with trace-all off: it traces nothing, but a
// request that came with a trace passes it on (see carry).
type passThrough struct {
	t    *Tracer
	next http.Handler
}

func (p *passThrough) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := p.t
	if r.Context().Value(ctxKey{t}) != nil {
		p.next.ServeHTTP(w, r)
		return
	}
	psc, ok := t.incoming(opentracing.HTTPHeadersCarrier(r.Header))
	if !ok {
		p.next.ServeHTTP(w, r)
		return
	}
	if t.publicRequest(r) {
		// A public endpoint's caller's trace stops here: the request
		// carries an empty one, so that the calls its handler makes start
		// traces of their own, even from headers it copies onward.
		psc = propagation.SpanContext{}
	}
	t.carry(w, r, p.next, &psc, false)
}

// incoming reads the trace a carrier holds, as extractNeutral does; ok is
// false when it holds none (nor baggage, nor a decision) or t cannot carry
// one (its backend is no SpanContextCodec).
func (t *Tracer) incoming(c propagation.Reader) (psc propagation.SpanContext, ok bool) {
	if t.prop == nil {
		return psc, false
	}
	psc, _ = t.extractNeutral(c)
	return psc, carriesTrace(&psc)
}

// carried returns the carrySpan of t that sc is, or nil.
func (t *Tracer) carried(sc opentracing.SpanContext) *carrySpan {
	if s, ok := sc.(*carrySpan); ok && s.t == t {
		return s
	}
	return nil
}
