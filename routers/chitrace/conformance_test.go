package chitrace_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/traceplug/traceplug/backends/mock/mocktest"
	_ "github.com/traceplug/traceplug/backends/otel" // registers "otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	_ "github.com/traceplug/traceplug/backends/otel/otlpgrpc/otlpgrpctest" // oteltest's transport "grpc", and the gRPC exporter
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/chitrace"
)

// chiRouter is chi with chitrace, as the suite's router properties drive it.
var chiRouter = conformance.Router{
	Name:  "chi",
	Serve: serveChi,
	Spell: spellChi,
}

// serveChi registers routes on a chi router as its users do: Middleware and
// then Recoverer in r.Use, a Group through a sub-router (r.Route), a
// Decorated route through tracer.Trace in With. The suite's syntax is
// chi's: "{id}" parameters and a final "*".
func serveChi(tr *core.Tracer, routes []conformance.Route) http.Handler {
	r := chi.NewRouter()
	r.Use(chitrace.Middleware(tr))
	r.Use(middleware.Recoverer)
	var groups []string
	byGroup := map[string][]conformance.Route{}
	for _, rt := range routes {
		if _, seen := byGroup[rt.Group]; !seen {
			groups = append(groups, rt.Group)
		}
		byGroup[rt.Group] = append(byGroup[rt.Group], rt)
	}
	register := func(r chi.Router, routes []conformance.Route) {
		for _, rt := range routes {
			if rt.Decorated {
				r.With(tr.Trace(rt.Attributes...)).Method(rt.Method, rt.Path, rt.Handler)
				continue
			}
			r.Method(rt.Method, rt.Path, rt.Handler)
		}
	}
	for _, g := range groups {
		if g == "" {
			register(r, byGroup[g])
			continue
		}
		r.Route(g, func(sub chi.Router) { register(sub, byGroup[g]) })
	}
	return r
}

// spellChi is a route as chi's RoutePattern reports it: the path as
// registered, but for a trailing slash, which chi drops.
func spellChi(path string) string {
	if path != "/" {
		path = strings.TrimSuffix(path, "/")
	}
	return path
}

func TestConformanceMock(t *testing.T) { conformance.RunRouter(t, mocktest.Harness(), chiRouter) }

// The otel backend's wire: OTLP over HTTP/protobuf and over gRPC, decoded
// by an in-process collector.
func TestConformanceOTelHTTP(t *testing.T) {
	conformance.RunRouter(t, oteltest.Harness("http"), chiRouter)
}

func TestConformanceOTelGRPC(t *testing.T) {
	conformance.RunRouter(t, oteltest.Harness("grpc"), chiRouter)
}
