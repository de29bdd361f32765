package gintrace

import (
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/traceplug/traceplug/core"
)

// Middleware returns gin middleware that serves each request through tracer
// as [core.Tracer.Middleware] serves a request [net/http.ServeMux] routed:
// with trace-all on, a server span named "METHOD route" after the route gin
// matched (c.FullPath(), such as "/items/:id"), tagged http.route, or
// named after the method alone for a request no route matched, as for a
// ServeMux ("HTTP GET"); with trace-all off, no span, but an incoming trace
// passed on to the calls the handlers make, and a route decorated with
// [Trace] traced. See the package documentation for where to install it.
//
// Handlers see the traced request in c.Request, whose Pattern is the route,
// and a c.Writer through which the span observes the response; both are
// put back when the handlers return. Middleware panics if tracer is nil.
// The middleware is safe for concurrent use.
func Middleware(tracer *core.Tracer) gin.HandlerFunc {
	if tracer == nil {
		panic("gintrace: Middleware: nil Tracer")
	}
	register(tracer)
	return func(c *gin.Context) {
		s := steps.Get().(*step)
		*s = step{c: c, gin: c.Writer}
		route := c.FullPath()
		if route == "" && !c.Writer.Written() {
			s.miss = c.Writer.Status() // gin's 404 or 405, if it answers
		}
		tracer.ServeRoute((*lower)(s), c.Request, route, s)
		// Core and the handlers are done with it: they hold its writers
		// only while they serve. (A step whose handlers panicked is not
		// reused: the panic passes before this.) What it still points to,
		// gin keeps in its own pool of contexts.
		steps.Put(s)
	}
}

// steps are Middleware's, reused: a request through gin costs no
// allocation of gintrace's.
var steps = sync.Pool{New: func() any { return new(step) }}

// Trace returns a gin handler that traces the rest of its route's handlers
// with tracer, and attrs as traced attributes: the per-route decorator,
// the counterpart of [core.Tracer.Trace], for a route such as
//
//	engine.GET("/orders/:id", gintrace.Trace(tracer, "path"), getOrder)
//
// or for a group's routes (group.Use(gintrace.Trace(tracer))). With
// trace-all off, each request of the route gets a server span named after
// the route ("GET /orders/:id"), tagged with attrs, as [core.Tracer.Trace]
// names a function literal's span; with trace-all on, Trace is ignored,
// attributes included, and the request is traced once, by [Middleware].
//
// Trace panics, when it is called, if tracer is nil or an attribute name is
// unknown (see [core.TracedAttributes]): both are wiring mistakes. The
// handler is safe for concurrent use.
func Trace(tracer *core.Tracer, attrs ...string) gin.HandlerFunc {
	if tracer == nil {
		panic("gintrace: Trace: nil Tracer")
	}
	register(tracer)
	// A function literal, so that core names its span after r.Pattern.
	h := tracer.Trace(attrs...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stepOf(w).ServeHTTP(w, r)
	}))
	return func(c *gin.Context) {
		if c.Request.Pattern == "" { // no Middleware before: name it here
			c.Request.Pattern = c.FullPath()
		}
		s := &step{c: c, gin: c.Writer}
		h.ServeHTTP((*lower)(s), c.Request)
	}
}
