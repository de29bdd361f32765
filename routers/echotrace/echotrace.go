// Package echotrace traces the requests an echo server
// (github.com/labstack/echo/v4) serves with a traceplug [core.Tracer],
// naming each span after the route that matched: "GET /items/:id", tagged
// http.route "/items/:id", as [core.Tracer.Middleware] names a request an
// [http.ServeMux] has routed.
//
// Install [Middleware] with e.Use, before echo's Recover, and read a
// request's span from its echo.Context with [Span]:
//
//	e := echo.New()
//	e.Use(echotrace.Middleware(tracer), middleware.Recover())
//	e.GET("/items/:id", func(c echo.Context) error {
//		if span := echotrace.Span(c); span != nil { // nil when not traced
//			span.SetTag("item", c.Param("id"))
//		}
//		return c.String(http.StatusOK, "an item")
//	})
//
// With trace-all off ([core.WithTraceAll]), only the routes wrapped by
// [Trace], the decorator, are traced:
//
//	e.GET("/checkout", checkout, echotrace.Trace(tracer, "path", "method"))
//
// # Names
//
// A route is named by its path as echo reports it ([echo.Context.Path]), as
// OpenTelemetry's otelecho names it: a group's routes with their prefix
// ("/api/users/:id"), a wildcard as registered ("/files/*"). A request no
// route matches is named after its method ("HTTP GET") with no http.route,
// as ServeMux's unmatched requests are, whether echo answers it with its
// 404, its 405 (a path registered for other methods), or a RouteNotFound
// route: echo reports the path of that route ("/api/*", which every group
// with middleware registers), and a request that took it matched none of
// the routes. No raw path ever becomes a name.
//
// # Status and errors
//
// An echo handler answers an error by returning it: echo's HTTPErrorHandler
// turns it into the response once the middleware chain has returned, after
// the span would have ended. The middleware therefore hands the error to
// the error handler itself ([echo.Context.Error]), inside the span, so that
// the span has the status the client got (the 404 of an [echo.HTTPError],
// the 500 of any other error), and returns it, as echo's RequestLogger does:
// the middleware before it still sees it, and echo's error handler, which
// finds the response committed, does not answer twice (an error handler of
// your own should check [echo.Response.Committed] too, as echo's does).
//
// A panic answered by echo's Recover has the 500 that Recover sends when
// Recover is installed after Middleware, as above. Installed before, it
// answers after the span has ended: the span is tagged error, with the panic
// logged, and has no status.
//
// # Everything else
//
// [core.Tracer.ServeRoute] serves each request, so the spans are those of
// the HTTP middleware: the incoming trace extracted in every configured
// format, traced attributes and redaction, [core.Tracer.GetSpan] (and
// [Span], from the echo.Context), the status and response size, and
// sampling rules by route, which see the route's name when the span starts.
// With trace-all off, a request that is not traced still passes the trace it
// came with on to the calls it makes.
//
// Wrapping the whole server in tracer.Middleware too does not trace a
// request twice: the outer span is named after the route when it ends (but
// sampling rules by route then decide on the name it starts with, "HTTP
// GET").
package echotrace

import (
	"context"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/traceplug/traceplug/core"
)

// Middleware returns echo middleware that traces the requests the server
// serves with tracer, each span named after the route the request matched:
// install it with [echo.Echo.Use] (not Pre: echo has not routed a request
// when Pre middleware runs), before middleware.Recover, so that the span
// has the status Recover answers a panic with. Installed on a group
// ([echo.Group.Use]), it traces the group's requests.
//
// An error a handler returns is answered by echo's HTTPErrorHandler inside
// the span (see the package documentation), then returned.
//
// The middleware is safe for concurrent use.
func Middleware(tracer *core.Tracer) echo.MiddlewareFunc {
	register(tracer)
	m := &middleware{t: tracer}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		// echo builds the middleware chain for every request it serves, so
		// this runs per request: one small allocation, as any middleware.
		// The handler serves the request itself rather than calling a
		// method that does: one call, and one stack frame for the
		// allocation profiler to walk, less a request.
		return func(c echo.Context) error {
			// The exchange is pooled: core holds it only while it serves,
			// and handlers never see it (the decorator's, which they do,
			// is not).
			x := exchanges.Get().(*exchange)
			r := c.Request()
			x.c, x.next, x.w = c, next, c.Response().Writer
			defer x.release(r)
			m.t.ServeRoute(x.w, r, m.routes.route(c, r), x)
			return x.err
		}
	}
}

type middleware struct {
	t      *core.Tracer
	routes routes
}

var exchanges = sync.Pool{New: func() any { return new(exchange) }}

// release restores c's request, r, and writer, as restore does (inlined:
// this runs for every request), and puts x back in the pool.
func (x *exchange) release(r *http.Request) {
	x.c.SetRequest(r)
	x.c.Response().Writer = x.w
	*x = exchange{}
	exchanges.Put(x)
}

// Trace returns a per-route decorator, the counterpart of
// [core.Tracer.Trace] (django_opentracing's @tracer.trace(attrs)) as echo
// route middleware: with trace-all off, the requests of the routes it wraps
// are traced, with attrs as traced attributes, and no others.
//
//	e.GET("/checkout", checkout, echotrace.Trace(tracer, "path"))
//	admin := e.Group("/admin", echotrace.Trace(tracer))
//
// The span is named after the route ("GET /checkout"), as [Middleware]
// names it; a request that no route of a group matched, which reaches the
// group's middleware in echo, is traced as Middleware traces it (with
// trace-all off, not at all: it has no decorated route). With
// trace-all on, Trace is ignored, attributes included, where Middleware
// traces the request already, as core.Tracer.Trace is.
//
// Trace panics when an attribute name is unknown (see
// [core.TracedAttributes]): a wiring mistake, found at start-up. The
// decorator is safe for concurrent use.
func Trace(tracer *core.Tracer, attrs ...string) echo.MiddlewareFunc {
	register(tracer)
	d := &decorator{t: tracer}
	// A function literal: core names its spans after the route (r.Pattern).
	d.h = tracer.Trace(attrs...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Context().Value(exchangeKey{}).(*exchange).ServeHTTP(w, r)
	}))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { return d.serve(c, next) }
	}
}

type decorator struct {
	t      *core.Tracer
	h      http.Handler // core's decorator around the exchange in the request's context
	routes routes
}

func (d *decorator) serve(c echo.Context, next echo.HandlerFunc) error {
	r := c.Request()
	x := &exchange{c: c, next: next, w: c.Response().Writer}
	defer x.restore(r)
	route := d.routes.route(c, r)
	if route == "" {
		d.t.ServeRoute(x.w, r, "", x) // as Middleware serves a request no route matched
		return x.err
	}
	// core's decorator names the span, and tags http.route, after
	// r.Pattern, which Middleware has set already when it is installed.
	r.Pattern = route
	// The decorator was built once, around one handler: the exchange, which
	// differs per request, reaches that handler in the request's context.
	x.Context = r.Context()
	d.h.ServeHTTP(x.w, r.WithContext(x))
	return x.err
}

// exchange is one request through the adapter: the echo.Context and the
// rest of the chain, served as the http.Handler core calls, and what the
// chain returned.
type exchange struct {
	context.Context // the request's, for the decorator (see decorator.serve)
	c               echo.Context
	next            echo.HandlerFunc
	w               http.ResponseWriter // the echo.Response's writer before the adapter, which core wraps
	err             error
}

// exchangeKey keys the exchange in a decorated request's context.
type exchangeKey struct{}

// Value makes the exchange a context holding itself.
func (x *exchange) Value(key any) any {
	if key == (exchangeKey{}) {
		return x
	}
	return x.Context.Value(key)
}

// ServeHTTP serves the rest of echo's chain with the request and the writer
// core hands it, so that what echo writes reaches the span, and has echo's
// error handler answer an error the chain returns, inside the span.
func (x *exchange) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x.c.SetRequest(r)
	x.c.Response().Writer = w
	if err := x.next(x.c); err != nil {
		x.err = err
		if !x.c.Response().Committed { // else answered already: the status is known
			x.c.Error(err)
		}
	}
}

// restore gives the echo.Context back its request and writer, for the
// middleware before the adapter: the span has ended.
func (x *exchange) restore(r *http.Request) {
	x.c.SetRequest(r)
	x.c.Response().Writer = x.w
}
