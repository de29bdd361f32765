package core

import (
	"net/http"

	"github.com/opentracing/opentracing-go"
)

// noopSpan is the span of every request under the no-op tracer.
var noopSpan = opentracing.NoopTracer{}.StartSpan("")

// noopHandler serves requests under the no-op tracer (the "none" backend):
// nothing is recorded, so there is nothing to measure or tag, and handlers
// still find a (no-op) span through GetSpan and the context.
type noopHandler struct {
	t     *Tracer
	next  http.Handler
	outer bool // the middleware, not a Trace wrapper inside it
}

func (h *noopHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := h.t
	if (t.filter != nil && !t.filter(r)) || (!h.outer && r.Context().Value(ctxKey{t}) != nil) {
		h.next.ServeHTTP(w, r) // filtered out, or traced already
		return
	}
	nr := &noopRequest{Context: r.Context(), t: t}
	nr.req = *r.WithContext(nr) // one allocation for both, as carry makes
	r = &nr.req
	if t.observer != nil {
		t.observe(noopSpan, r)
	}
	defer nr.done.Store(true)
	h.next.ServeHTTP(w, r)
}
