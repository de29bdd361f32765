// Package muxtrace traces the requests a gorilla/mux router serves with a
// traceplug [core.Tracer], naming each span after the route that matched:
// "GET /items/{id}", tagged http.route "/items/{id}", as [core.Tracer.Middleware]
// names a request an [http.ServeMux] has routed.
//
// Install [Middleware] as every gorilla middleware is installed, and wrap
// the router's handlers for requests no route matches, which gorilla serves
// without running middleware:
//
//	r := mux.NewRouter()
//	r.Use(muxtrace.Middleware(tracer))
//	r.NotFoundHandler = muxtrace.NotFound(tracer, r.NotFoundHandler)
//	r.MethodNotAllowedHandler = muxtrace.MethodNotAllowed(tracer, r.MethodNotAllowedHandler)
//	r.HandleFunc("/items/{id}", getItem).Methods("GET")
//
// # Names
//
// A route is named by its path template as gorilla reports it
// ([mux.Route.GetPathTemplate]), as OpenTelemetry's otelmux names it: a
// sub-router's routes with their prefix ("/api/users/{id}"), a variable with
// its pattern as written ("/items/{id:[0-9]+}"), a PathPrefix route by its
// prefix ("/static/", as ServeMux names the pattern "/static/"). A route's
// host template is not part of the name (http.route is a path). A request no
// route matches, and one matched by a route that has no path template (a
// Host, Headers or MatcherFunc route alone), is named after its method with
// no http.route, as ServeMux's unmatched requests are ("HTTP GET"; "GET" on
// a tracer with OpenTelemetry's conventions): no raw path ever becomes a
// name.
//
// # Everything else
//
// [core.Tracer.ServeRoute] serves each request, so the spans are those of the
// HTTP middleware: the incoming trace extracted in every configured format,
// traced attributes and redaction, [core.Tracer.GetSpan] (gorilla has no
// context of its own: handlers take the *http.Request), the status and
// response size, and sampling rules by route, which see the route's name when
// the span starts. With trace-all off, no request is traced but those whose
// handler is wrapped by [core.Tracer.Trace]; a trace a request came with
// still passes on.
//
// gorilla has no recovery of its own. Install one (such as
// github.com/gorilla/handlers' RecoveryHandler) with r.Use after Middleware
// for the span to carry the 500 it answers; one around the whole router
// recovers after the span has ended, which is then tagged error with the
// panic logged, and no status.
//
// Wrapping the router in tracer.Middleware too does not trace a request
// twice: the outer span is named after the route when it ends. The outer
// span also traces what gorilla answers before routing (the 301 that cleans
// a path such as "/a//b"), which Middleware alone never sees; but sampling
// rules by route then decide on the name the outer span starts with, the
// method's.
package muxtrace

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/traceplug/traceplug/core"
)

// Middleware returns gorilla/mux middleware that traces every request the
// router's routes match with tracer, its span named after the route: install
// it with [mux.Router.Use]. On a router with sub-routers, install it on the
// router at the root: its middleware runs for the sub-routers' routes too
// (installed on a sub-router as well, it traces a request once).
//
// Requests no route matches never reach middleware in gorilla: wrap the
// router's NotFoundHandler and MethodNotAllowedHandler with [NotFound] and
// [MethodNotAllowed] to trace them.
//
// The middleware is safe for concurrent use; it keeps nothing between
// requests.
func Middleware(tracer *core.Tracer) mux.MiddlewareFunc {
	return func(next http.Handler) http.Handler {
		// gorilla builds the middleware chain for every request it routes, so
		// this runs per request: one small allocation, as any middleware.
		return &routed{tracer: tracer, next: next}
	}
}

type routed struct {
	tracer *core.Tracer
	next   http.Handler
}

func (h *routed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var route string
	if rt := mux.CurrentRoute(r); rt != nil {
		route, _ = rt.GetPathTemplate() // "" for a route without a path
	}
	h.tracer.ServeRoute(w, r, route, h.next)
}

// NotFound returns h, the handler gorilla serves when no route matches
// ([mux.Router.NotFoundHandler]), tracing the request as unmatched: named
// after its method alone, with no http.route. A nil h stands for
// gorilla's default, [http.NotFoundHandler].
//
//	r.NotFoundHandler = muxtrace.NotFound(tracer, r.NotFoundHandler)
//
// Set it on the router at the root, which answers for its sub-routers, and
// on any sub-router whose NotFoundHandler you set.
func NotFound(tracer *core.Tracer, h http.Handler) http.Handler {
	if h == nil {
		h = http.NotFoundHandler()
	}
	return &unmatched{tracer: tracer, next: h}
}

// MethodNotAllowed returns h, the handler gorilla serves when a route
// matches a request but for its method ([mux.Router.MethodNotAllowedHandler]),
// tracing the request as unmatched, as [NotFound] does. A nil h stands for
// gorilla's default, which answers 405 with no body.
//
//	r.MethodNotAllowedHandler = muxtrace.MethodNotAllowed(tracer, r.MethodNotAllowedHandler)
func MethodNotAllowed(tracer *core.Tracer, h http.Handler) http.Handler {
	if h == nil {
		h = http.HandlerFunc(methodNotAllowed)
	}
	return &unmatched{tracer: tracer, next: h}
}

// methodNotAllowed is gorilla's default answer to a method no route allows
// (mux's unexported methodNotAllowed).
func methodNotAllowed(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusMethodNotAllowed)
}

type unmatched struct {
	tracer *core.Tracer
	next   http.Handler
}

func (h *unmatched) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.tracer.ServeRoute(w, r, "", h.next)
}
