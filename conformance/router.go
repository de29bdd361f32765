package conformance

import (
	"net/http"
	"testing"

	"github.com/traceplug/traceplug/core"
)

// Router drives a router adapter (chi, gorilla/mux, gin, echo, or a third
// party's) through the suite's HTTP properties: see [RunRouter].
type Router struct {
	// Name names the router in test output, such as "gin".
	Name string
	// Serve returns a handler that serves routes through the router, traced
	// by tr through the adapter installed as the router's users install it
	// (r.Use, engine.Use), with the router's own recovery installed the way
	// its users install it, inside the adapter, so that the status the
	// recovery sends for a panicking handler reaches the span. It must
	// answer a request no route matches as the router does (its 404), still
	// through the adapter. A route with a Group is registered through the
	// router's group or sub-router for that prefix; a Decorated route's
	// handler goes through the adapter's per-route decorator with the
	// route's Attributes.
	Serve func(tr *core.Tracer, routes []Route) http.Handler
	// Spell returns a route's path (in the suite's syntax, see [Route]) as
	// the router reports it, and so as its spans are named and tagged
	// http.route: "/items/{id}" stays "/items/{id}" on chi and gorilla/mux
	// and is "/items/:id" on gin and echo; the wildcard "/files/*" is, say,
	// "/files/*" on chi and echo and "/files/*rest" on gin. The group's
	// prefix is part of the path given.
	Spell func(path string) string
}

// Route is one route of a test server, in a router-neutral syntax that each
// [Router] translates to its own.
type Route struct {
	// Method is the route's HTTP method, such as "GET".
	Method string
	// Path is the route's path below Group: a literal segment ("/items"), a
	// parameter ("{id}"), or, last, the wildcard "*" that matches the rest
	// of the path ("/files/*").
	Path string
	// Group, when not empty, is a prefix ("/api") under which the route is
	// registered through the router's group or sub-router.
	Group string
	// Decorated says the route's handler is wrapped in the adapter's
	// per-route decorator (the counterpart of core.Tracer.Trace), with
	// Attributes as its traced attributes.
	Decorated  bool
	Attributes []string
	// Handler serves the route.
	Handler http.Handler
}

// RunRouter runs the HTTP properties over a router adapter, on the backend
// h names and the collector h starts, as [Run] runs them over
// core.Tracer.Middleware on an http.ServeMux: span names and http.route for
// static, parameterized, wildcard, grouped and unmatched routes; extraction
// of an incoming trace; traced attributes and redaction; GetSpan; status and
// error for a handler's 500 and for a panic through the router's recovery;
// response size; one span when the router also runs inside the Tracer's
// Middleware; the decorator's per-route choice, and the trace an
// undecorated route passes on, with trace-all off; sampling rules by route;
// and concurrent requests, each span named after its own route. Each is its
// own subtest (route_names, extraction, traced_attributes, get_span, errors,
// response_size, no_double_span, trace_all_off, sampling_by_route,
// concurrency); run them with -race.
func RunRouter(t *testing.T, h Harness, r Router) {
	if h.Backend == "" || h.Start == nil || r.Serve == nil || r.Spell == nil {
		t.Fatal("conformance: RunRouter needs a Harness with a Backend and a Start function, and a Router with Serve and Spell")
	}
	for _, p := range routerProperties {
		t.Run(p.name, func(t *testing.T) {
			p.run(newFixture(t, h), r)
		})
	}
}

// routerProperty is one property a router adapter must have.
type routerProperty struct {
	name string
	run  func(f *fixture, r Router)
}
