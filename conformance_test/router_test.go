package conformance_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/traceplug/traceplug/backends/mock/mocktest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/conformance_test/builtin"
	"github.com/traceplug/traceplug/core"
)

// TestRouterConformance runs the router properties over two reference
// routers on every built-in backend: http.ServeMux behind Middleware (the
// known-good path the adapters are held to), and a small router of its own
// that calls core.Tracer.ServeRoute, as a router adapter does:
// go test -run 'TestRouterConformance/serveroute/otel/grpc/errors' picks one.
func TestRouterConformance(t *testing.T) {
	for _, r := range []conformance.Router{serveMuxRouter(), hookRouter("")} {
		t.Run(r.Name, func(t *testing.T) {
			for _, h := range builtin.Harnesses() {
				t.Run(h.Name, func(t *testing.T) { conformance.RunRouter(t, h, r) })
			}
		})
	}
}

// serveMuxRouter serves the routes on an http.ServeMux inside
// core.Tracer.Middleware, which names spans after the pattern that matched.
// ServeMux has no groups (a group is a prefix of the pattern) and no
// recovery: each route's handler gets recovered, a middleware of the kind
// every router has, answering 500. It is per route, inside the mux, so that
// Middleware still sees the ServeMux and decides by the route at the span's
// start.
func serveMuxRouter() conformance.Router {
	return conformance.Router{
		Name: "servemux",
		Serve: func(tr *core.Tracer, routes []conformance.Route) http.Handler {
			mux := http.NewServeMux()
			for _, rt := range routes {
				h := rt.Handler
				if rt.Decorated {
					h = tr.Trace(rt.Attributes...)(h)
				}
				mux.Handle(rt.Method+" "+muxPath(rt.Group+rt.Path), recoverer(h))
			}
			return tr.Middleware(mux)
		},
		Spell: muxPath,
	}
}

// muxPath spells a route as a ServeMux pattern's path: "{id}" stays, the
// final wildcard "*" is "{rest...}".
func muxPath(path string) string {
	if rest, ok := strings.CutSuffix(path, "*"); ok {
		return rest + "{rest...}"
	}
	return path
}

// recoverer answers 500 for a handler that panics, as routers' recovery
// middleware does (gin.Recovery, echo's middleware.Recover, chi's
// middleware.Recoverer, gorilla's handlers.RecoveryHandler).
func recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// hookRouter is a router of the suite's own, for holding
// core.Tracer.ServeRoute to the properties: it matches a request's method
// and path against the routes (literal segments, "{name}" parameters, a
// final "*" wildcard), then calls ServeRoute with the route spelled as gin
// and echo spell it ("/items/:id"), and the route's handler, recovered,
// decorated where the route says. A request no route matches goes through
// ServeRoute with the route "" to a 404.
//
// bug, when not "", breaks it in one of the ways a router adapter can be
// wrong (see hookBugs), to show that the properties fail on it.
func hookRouter(bug string) conformance.Router {
	name := "serveroute"
	if bug != "" {
		name += "-" + bug
	}
	return conformance.Router{
		Name: name,
		Serve: func(tr *core.Tracer, routes []conformance.Route) http.Handler {
			hr := &hooked{tr: tr, bug: bug}
			for _, rt := range routes {
				h := rt.Handler
				if rt.Decorated && bug != "nodecorator" {
					h = tr.Trace(rt.Attributes...)(h)
				}
				if bug != "recoveryoutside" {
					h = recoverer(h)
				}
				path := rt.Group + rt.Path
				hr.routes = append(hr.routes, hookRoute{method: rt.Method, segments: strings.Split(path, "/"), route: hookSpell(path), handler: h})
			}
			if bug == "recoveryoutside" {
				return recoverer(hr)
			}
			return hr
		},
		Spell: hookSpell,
	}
}

// hookSpell spells "{id}" as ":id"; the wildcard stays "*".
func hookSpell(path string) string {
	segments := strings.Split(path, "/")
	for i, s := range segments {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segments[i] = ":" + s[1:len(s)-1]
		}
	}
	return strings.Join(segments, "/")
}

type hookRoute struct {
	method   string
	segments []string // of the route in the suite's syntax
	route    string   // as the router spells it
	handler  http.Handler
}

func (rt *hookRoute) match(r *http.Request) bool {
	if r.Method != rt.method {
		return false
	}
	path := strings.Split(r.URL.Path, "/")
	for i, s := range rt.segments {
		switch {
		case s == "*" && i == len(rt.segments)-1:
			return len(path) > i
		case i >= len(path):
			return false
		case strings.HasPrefix(s, "{"):
			if path[i] == "" {
				return false
			}
		case s != path[i]:
			return false
		}
	}
	return len(path) == len(rt.segments)
}

type hooked struct {
	tr     *core.Tracer
	routes []hookRoute
	bug    string

	mu   sync.Mutex
	last string // the route of the request before ("stale")
}

func (h *hooked) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route, next := "", http.NotFoundHandler()
	for i := range h.routes {
		if h.routes[i].match(r) {
			route, next = h.routes[i].route, h.routes[i].handler
			break
		}
	}
	switch h.bug {
	case "": // as it should be
	case "rawpath": // names the span after the path, not the route
		if route != "" {
			route = r.URL.Path
		}
	case "stale": // names the span after the route of the request before
		h.mu.Lock()
		route, h.last = h.last, route
		h.mu.Unlock()
	case "latename": // names the span when the handler runs, after the sampling decision
		named, late := next, route
		route, next = "", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if span := h.tr.GetSpan(r); span != nil && late != "" {
				span.SetOperationName(r.Method + " " + late)
				span.SetTag(core.TagHTTPRoute, late)
			}
			named.ServeHTTP(w, r)
		})
	case "lostrequest": // serves the request it had, not the one ServeRoute hands on
		orig, inner := r, next
		next = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { inner.ServeHTTP(w, orig) })
	case "lostwriter": // writes to the writer it had, not the one ServeRoute hands on
		orig, inner := w, next
		next = http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { inner.ServeHTTP(orig, r) })
	case "freshcontext": // hands ServeRoute a request without the context it came with
		r = r.WithContext(context.Background())
	case "noheaders": // hands ServeRoute a request without its headers
		r = r.Clone(r.Context())
		r.Header = http.Header{}
	case "leaky": // tags the raw request URI, secrets and all
		inner := next
		next = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if span := h.tr.GetSpan(r); span != nil {
				span.SetTag("http.target", r.URL.RequestURI())
			}
			inner.ServeHTTP(w, r)
		})
	case "nodecorator", "recoveryoutside": // in Serve
	default:
		panic("hookRouter: unknown bug " + h.bug)
	}
	h.tr.ServeRoute(w, r, route, next)
}

// hookBugs are the broken hook routers, each with the properties its bug
// must fail and some it must pass: every property fails on at least one.
var hookBugs = []struct {
	bug                string
	mustFail, mustPass []string
}{
	{"rawpath", []string{"route_names", "sampling_by_route", "concurrency"}, nil},
	{"stale", []string{"route_names", "concurrency"}, nil},
	{"latename", []string{"sampling_by_route"}, []string{"route_names", "extraction", "get_span", "errors", "response_size", "no_double_span", "concurrency"}},
	{"lostrequest", []string{"get_span"}, []string{"extraction", "response_size"}},
	{"lostwriter", []string{"route_names", "errors", "response_size"}, []string{"extraction", "get_span", "sampling_by_route"}},
	{"recoveryoutside", []string{"errors"}, []string{"route_names", "get_span", "response_size", "no_double_span", "trace_all_off", "sampling_by_route", "concurrency"}},
	{"freshcontext", []string{"no_double_span"}, []string{"route_names", "extraction", "get_span", "errors", "trace_all_off", "sampling_by_route", "concurrency"}},
	{"noheaders", []string{"extraction"}, []string{"route_names", "get_span", "errors", "response_size", "concurrency"}},
	{"leaky", []string{"traced_attributes"}, []string{"route_names", "extraction", "get_span", "errors", "trace_all_off", "concurrency"}},
	{"nodecorator", []string{"trace_all_off"}, []string{"route_names", "extraction", "traced_attributes", "get_span", "errors", "no_double_span", "sampling_by_route", "concurrency"}},
}

// brokenRouterEnv names the bug of the hook router a subprocess of this
// test binary runs the router properties against.
const brokenRouterEnv = "TRACEPLUG_CONFORMANCE_BROKEN_ROUTER"

// TestRouterPropertiesFailOnBrokenRouters runs the router properties over
// each broken hook router, on the mock, in a subprocess, and checks that the
// properties its bug breaks fail and the others it names pass; and that
// every property fails on some router.
//
// In the subprocess (brokenRouterEnv set) the same test is the properties,
// run over the broken router.
func TestRouterPropertiesFailOnBrokenRouters(t *testing.T) {
	if bug := os.Getenv(brokenRouterEnv); bug != "" {
		conformance.RunRouter(t, mocktest.Harness(), hookRouter(bug))
		return
	}
	failing := map[string]bool{}
	for _, tc := range hookBugs {
		for _, p := range tc.mustFail {
			failing[p] = true
		}
	}
	for _, p := range []string{"route_names", "extraction", "traced_attributes", "get_span", "errors", "response_size",
		"no_double_span", "trace_all_off", "sampling_by_route", "concurrency"} {
		if !failing[p] {
			t.Errorf("no broken router fails property %s", p)
		}
	}
	for _, tc := range hookBugs {
		t.Run(tc.bug, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestRouterPropertiesFailOnBrokenRouters$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), brokenRouterEnv+"="+tc.bug)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the properties passed a broken router:\n%s", out)
			}
			checkResults(t, "serveroute-"+tc.bug, string(out), "TestRouterPropertiesFailOnBrokenRouters", tc.mustFail, tc.mustPass, nil)
		})
	}
}
