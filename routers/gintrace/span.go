package gintrace

import (
	"sync"
	"sync/atomic"
	"weak"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/core"
)

// Span returns the server span of the request c serves while it is live,
// as [core.Tracer.GetSpan] returns it for c.Request, for the Tracer of the
// [Middleware] or [Trace] that traces the request: nil when neither does,
// and nil once the span has finished. Handlers use it to tag, log, or start
// child spans:
//
//	if span := gintrace.Span(c); span != nil {
//		span.SetTag("order.id", c.Param("id"))
//	}
//
// A copy of c (c.Copy(), for a goroutine) finds the span too. Span costs
// the request nothing until it is called: it asks each Tracer that a
// Middleware or Trace was built with, in the order they were built, for the
// request's span (so, of two Tracers that both trace a request, the first
// built). It is safe for concurrent use.
func Span(c *gin.Context) opentracing.Span {
	if c == nil || c.Request == nil {
		return nil
	}
	if list := tracers.list.Load(); list != nil {
		for _, p := range *list {
			if t := p.Value(); t != nil {
				if span := t.GetSpan(c.Request); span != nil {
					return span
				}
			}
		}
	}
	return nil
}

// tracers are the Tracers that Middleware and Trace were built with, for
// Span, held weakly so that a Tracer the program drops is collected.
// Registering copies the list (it happens when handlers are built), and
// Span reads it without a lock.
var tracers struct {
	mu   sync.Mutex // serializes register
	list atomic.Pointer[[]weak.Pointer[core.Tracer]]
}

// register adds t to tracers, dropping the Tracers that were collected.
func register(t *core.Tracer) {
	tracers.mu.Lock()
	defer tracers.mu.Unlock()
	w := weak.Make(t)
	var list []weak.Pointer[core.Tracer]
	if old := tracers.list.Load(); old != nil {
		for _, p := range *old {
			if p == w {
				return
			}
			if p.Value() != nil {
				list = append(list, p)
			}
		}
	}
	list = append(list, w)
	tracers.list.Store(&list)
}
