package muxtrace_test

import (
	"io"
	"log"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/handlers"
	"github.com/gorilla/mux"

	"github.com/traceplug/traceplug/backends/mock/mocktest"
	_ "github.com/traceplug/traceplug/backends/otel" // registers "otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/muxtrace"
)

// gorillaRouter drives muxtrace through the conformance suite: routes on a
// gorilla/mux router as its users write them ("{id}" as is, the final
// wildcard as a PathPrefix, a group as a PathPrefix sub-router), with
// gorilla/handlers' recovery installed after the middleware, inside the
// span, so that the span carries the 500 it answers.
var gorillaRouter = conformance.Router{
	Name: "gorilla/mux",
	Serve: func(tr *core.Tracer, routes []conformance.Route) http.Handler {
		r := mux.NewRouter()
		r.Use(muxtrace.Middleware(tr), handlers.RecoveryHandler(handlers.RecoveryLogger(log.New(io.Discard, "", 0))))
		r.NotFoundHandler = muxtrace.NotFound(tr, r.NotFoundHandler)
		r.MethodNotAllowedHandler = muxtrace.MethodNotAllowed(tr, r.MethodNotAllowedHandler)
		groups := map[string]*mux.Router{}
		for _, rt := range routes {
			router := r
			if rt.Group != "" {
				if groups[rt.Group] == nil {
					groups[rt.Group] = r.PathPrefix(rt.Group).Subrouter()
				}
				router = groups[rt.Group]
			}
			h := rt.Handler
			if rt.Decorated {
				h = tr.Trace(rt.Attributes...)(h)
			}
			var route *mux.Route
			if prefix, wildcard := strings.CutSuffix(rt.Path, "*"); wildcard {
				route = router.PathPrefix(prefix)
			} else {
				route = router.Path(rt.Path)
			}
			route.Methods(rt.Method).Handler(h)
		}
		return r
	},
	// A wildcard route is a PathPrefix, which gorilla reports by its prefix
	// ("/files/*" is "/files/"); parameters keep their braces.
	Spell: func(path string) string { return strings.TrimSuffix(path, "*") },
}

func TestConformanceMock(t *testing.T) { conformance.RunRouter(t, mocktest.Harness(), gorillaRouter) }

func TestConformanceOTel(t *testing.T) {
	conformance.RunRouter(t, oteltest.Harness("http"), gorillaRouter)
}
