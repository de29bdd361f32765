package chitrace

import (
	"net/http"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"
)

// contexts are the routing contexts routeOf looks routes up with, reused:
// a lookup allocates nothing for a route of the router's own tree; for a
// route under mounted routers, chi's Find allocates two strings a level.
var contexts = sync.Pool{New: func() any { return chi.NewRouteContext() }}

// routeOf returns the route chi will match r with, as chi's RoutePattern
// reports it once it has routed r, or "" when r matches no route at all.
// outer is the router that Middleware wraps, if any, for a request that is
// not in a chi router yet.
//
// It asks the root router (the routing context's Routes, whichever router's
// r.Use the middleware is in) with Find, as chi's Mux.routeHTTP would route
// r: the method and path that a middleware before this one has set for
// routing (RouteMethod, RoutePath), else the request's, the raw path when
// the path has escapes. Find matches the patterns chi's routing matches, at
// each level of mounted routers, and joins them; the route is that, as
// chi's RoutePattern spells it (without a trailing slash). Where Find
// reports no match after a mounted router took the request (a 404 in a
// sub-router), the patterns it matched up to the mount are still those
// chi records, and reports: "/api/*".
func routeOf(r *http.Request, outer chi.Routes) string {
	routes, method, path := outer, r.Method, ""
	if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.Routes != nil {
		routes = rctx.Routes
		if rctx.RouteMethod != "" {
			method = rctx.RouteMethod
		}
		if len(rctx.RoutePatterns) == 0 {
			// Not routed yet: RoutePath is a rewrite by a middleware (or "").
			// Past a mount, it is the path below the mount, which the root
			// cannot take.
			path = rctx.RoutePath
		}
	}
	if routes == nil {
		return ""
	}
	if path == "" {
		if path = r.URL.RawPath; path == "" {
			if path = r.URL.Path; path == "" {
				path = "/"
			}
		}
	}
	x := contexts.Get().(*chi.Context)
	x.Reset()
	route := routes.Find(x, method, path)
	switch {
	case route == "":
		// No route; or a mounted router took the request and matched
		// nothing: chi reports the patterns up to the mount ("/api/*").
		route = x.RoutePattern()
	case route != "/":
		// Find has joined the patterns of the mounts ("/api/*") and of
		// the route below them as RoutePattern would join x's, without
		// its two allocations; what remains is its trimming.
		route = strings.TrimSuffix(strings.TrimSuffix(route, "//"), "/")
	}
	contexts.Put(x)
	return route
}
