// Package gintrace traces the requests a [gin] engine serves with a
// traceplug [core.Tracer], naming each span after the route gin matched, as
// [core.Tracer.Middleware] names it after the pattern [net/http.ServeMux]
// matched.
//
// Install [Middleware] on the engine, before gin.Recovery:
//
//	engine := gin.New()
//	engine.Use(gintrace.Middleware(tracer), gin.Logger(), gin.Recovery())
//	engine.GET("/items/:id", getItem)
//
// A request to /items/42 then gets a server span named "GET /items/:id",
// tagged http.route=/items/:id, with everything the tracer's HTTP middleware
// does: the incoming trace continued in every configured format, the
// traced attributes and their redaction, sampling rules by route (the route
// is known when the span starts), the status and response size gin sends,
// and [core.Tracer.GetSpan] (or [Span] from the *gin.Context) in handlers.
// A request no route matches is named as a ServeMux request no pattern
// matched is, after its method alone ("HTTP GET", or "GET" under
// OpenTelemetry's conventions), never after its path: gin runs the engine's middleware (those added with
// engine.Use) for it before its NoRoute handlers, and answers 404, or 405
// when HandleMethodNotAllowed is set. Middleware added with a group's Use
// does not run for such requests, so install Middleware on the engine, and
// before the routes, as every gin middleware.
//
// With trace-all off (the default, [core.WithTraceAll]), Middleware traces
// nothing by itself but passes an incoming trace on, and [Trace] is the
// per-route decorator, the counterpart of [core.Tracer.Trace]:
//
//	engine.GET("/orders/:id", gintrace.Trace(tracer, "path", "Header"), getOrder)
//
// Its span is named after the route too ("GET /orders/:id").
//
// # Status, errors and panics
//
// gin sends the status late: c.Status and c.AbortWithStatus record it, and
// gin writes it with the first byte of the body or when the handlers
// return. The span gets the status gin sends, including a status recorded
// by a handler that wrote no body, and gin's own 404 and 405. Put
// Middleware before gin.Recovery, so that the 500 Recovery sends for a
// panic is in the span (tagged error=true, as every status of 500 or
// more). With Recovery before Middleware (gin.Default() followed by
// engine.Use(gintrace.Middleware(tracer))), the panic goes through the
// span: it is tagged error=true with an error log of the panic, and it
// ends before Recovery answers, so that it has no status, as a span of
// [core.Tracer.Middleware] inside a recovering middleware.
//
// gin writes its default answer to a request no route matched ("404 page
// not found", text/plain) once the handlers have returned, after the span
// would end: Middleware writes it, byte for byte as gin does, when the
// handlers have returned without writing and with gin's status, so that
// the response size counts it. What a middleware installed before
// Middleware writes after it returns is not in the span. gin redirects a
// path that differs from a route by a trailing slash
// (RedirectTrailingSlash, on by default) or by case (RedirectFixedPath)
// before it runs any handler, so such a request is not traced by
// Middleware at all.
//
// # The engine wrapped whole
//
// An engine that is also wrapped whole by the same Tracer
// (tracer.Middleware(engine), to trace those redirects too, say) gets one
// span a request: that of tracer.Middleware, named after the route gin
// matched, since Middleware names the span rather than starting a second
// one. Sampling rules by route then see the route only when the span ends:
// wrap the engine in tracer.Middleware only if it matters more to trace
// gin's redirects than to sample by route.
package gintrace
