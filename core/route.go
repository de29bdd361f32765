package core

import "net/http"

// ServeRoute serves r with next as [Tracer.Middleware] serves a request an
// [http.ServeMux] has matched, for a router that knows the route before the
// handler runs: it is the hook a router adapter (chi, gorilla/mux, gin,
// echo) calls from its middleware. route is the route as the router spells
// it ("/items/{id}", "/items/:id"), or "" for a request no route matched.
//
// With trace-all on, the request gets a server span named "METHOD route" at
// its start (so sampling rules by route see that name) and tagged
// http.route, exactly as a ServeMux pattern names it; an unmatched request's
// span is named after its method alone ("HTTP GET"), so no raw path ever
// becomes a name. When the request is traced by this Tracer already (its
// Middleware wraps the whole router too), no second span starts: the
// existing span is named after route and tagged when it ends, but its
// sampling decision was taken at its start, under the method's name, so
// rules by route need the adapter alone, without Middleware around the
// router (or a ServeMux, whose route Middleware learns up front). With
// trace-all off, the request is not traced, but a trace it came with is
// passed on, and a handler wrapped by [Tracer.Trace] below traces it.
//
// ServeRoute sets r.Pattern to route, as ServeMux sets it to the pattern it
// matched, so that handlers and [Tracer.Trace] see the route; next must
// serve the request it is given (an adapter hands it back to its router's
// context).
func (t *Tracer) ServeRoute(w http.ResponseWriter, r *http.Request, route string, next http.Handler) {
	if route != "" {
		r.Pattern = route
	}
	switch v := r.Context().Value(ctxKey{t}).(type) {
	case *request:
		if route != "" {
			// Named and tagged when the outer span ends, which may be on
			// another goroutine (a TimeoutHandler between them).
			v.route.Store(t.route(r.Method, route))
		}
		next.ServeHTTP(w, r)
		return
	case nil:
	default: // carried, or the no-op tracer's: nothing to name
		next.ServeHTTP(w, r)
		return
	}
	switch {
	case !t.traceAll && t.prop != nil:
		(&passThrough{t: t, next: next}).ServeHTTP(w, r)
	case !t.traceAll:
		next.ServeHTTP(w, r)
	case t.noop:
		(&noopHandler{t: t, next: next, outer: true}).ServeHTTP(w, r)
	default:
		t.serve(w, r, next, "", t.attrs, nil)
	}
}
