package chitrace

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/traceplug/traceplug/core"
)

// Middleware returns chi middleware that traces the requests a router
// serves with tracer, each span named after the route chi will match (see
// the package documentation): install it with r.Use, on the router whose
// routes it should name (a sub-router's r.Use traces only that router's
// requests, still named after their whole route). Wrapped around a router
// rather than installed in it, Middleware(tracer)(r) names the spans the
// same way.
//
// With trace-all off it traces nothing itself (see [core.Tracer.Trace] for
// the per-route decorator) but passes an incoming trace on, as
// [core.Tracer.Middleware] does; it then does not look the route up.
//
// The returned middleware is safe for concurrent use. Middleware panics
// when tracer is nil: a wiring mistake, found at start-up.
func Middleware(tracer *core.Tracer) func(http.Handler) http.Handler {
	if tracer == nil {
		panic("chitrace: Middleware: nil tracer")
	}
	find := tracer.TraceAll() // frozen when the Tracer was built
	return func(next http.Handler) http.Handler {
		m := &middleware{t: tracer, next: next, find: find}
		m.outer, _ = next.(chi.Routes)
		return m
	}
}

type middleware struct {
	t     *core.Tracer
	next  http.Handler
	outer chi.Routes // next, when Middleware wraps a router instead of being in its r.Use
	find  bool       // trace-all on: the span needs the route
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var route string
	if m.find {
		route = routeOf(r, m.outer)
	}
	m.t.ServeRoute(w, r, route, m.next)
}
