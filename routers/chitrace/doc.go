// Package chitrace traces requests served by a chi router
// (github.com/go-chi/chi/v5) with a traceplug [core.Tracer]. Spans are named
// after the route chi matches, "GET /items/{id}", and tagged http.route, as
// [core.Tracer.Middleware] names them after an [http.ServeMux] pattern;
// everything else is the HTTP middleware's: extraction in every configured
// format, traced attributes and redaction, [core.Tracer.GetSpan], status and
// response size, the per-route decorator, sampling rules by route.
//
// It is its own module (github.com/traceplug/traceplug/routers/chitrace), so
// that chi enters only the programs that use it.
//
//	r := chi.NewRouter()
//	r.Use(chitrace.Middleware(tracer)) // spans named "GET /items/{id}"
//	r.Use(middleware.Recoverer)        // after it: a panic's 500 is the span's status
//	r.Get("/items/{id}", getItem)
//	r.Route("/api", func(r chi.Router) {
//		r.Get("/users/{id}", getUser) // "GET /api/users/{id}"
//	})
//
// # The route, at the span's start
//
// chi runs the middlewares of r.Use before it routes a request, so that
// chi.RouteContext(ctx).RoutePattern() is still empty when they start.
// [Middleware] asks the router instead, with chi's Routes.Find on a routing
// context of its own, for the route chi is about to take: the span is named
// when it starts, so that sampling rules by route see the name, and the name
// is the pattern chi reports once it has routed (RoutePattern), sub-routers
// (Route, Mount) and wildcards ("/files/*") included.
//
// A request that no route matches (chi's 404, and its 405 for a method the
// path does not serve) is named after its method alone, "HTTP GET", as on a
// ServeMux: never after its raw path. A request that a mounted router
// (Mount, Route) receives but does not match is named after the mount,
// "GET /api/*", as chi reports it and as a ServeMux names a request its
// subtree pattern "/api/" passed to a handler that answered 404.
//
// Install Middleware after the middlewares that change where chi routes a
// request (they set the routing context's RoutePath or RouteMethod:
// middleware.StripSlashes, CleanPath, URLFormat, GetHead), since it asks
// where chi will route the request when it runs, and before
// middleware.Recoverer, so that the 500 Recoverer answers for a panic is
// the span's status (installed before it, Recoverer still answers 500, and
// the span is tagged error with the panic's message and no status).
//
// # Trace-all off: the decorator
//
// With trace-all off (the default, see [core.WithTraceAll]) Middleware
// traces nothing but passes an incoming trace on, and only the handlers
// wrapped by [core.Tracer.Trace] are traced. chi installs the decorator on a
// route with With:
//
//	r.With(tracer.Trace("path", "method")).Get("/items/{id}", getItem)
//
// The span is named after the handler's function ("main.getItem"), or, for a
// function literal, after the route ("GET /items/{id}"), which chi has set
// in r.Pattern by then.
//
// # The request's span
//
// chi has no context of its own: its handlers get the *http.Request, so
// tracer.GetSpan(r) and opentracing.SpanFromContext(r.Context()) return the
// request's span, as under [core.Tracer.Middleware].
//
// # With tracer.Middleware too
//
// A router that is also wrapped whole in tracer.Middleware (with the same
// Tracer) is traced once: Middleware names the outer span after the route
// instead of starting a second one. That span starts before chi is asked,
// though, so its sampling decision is made on the method alone ("HTTP GET"):
// where sampling rules by route matter, install Middleware alone.
package chitrace
