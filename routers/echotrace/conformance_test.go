package echotrace_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/traceplug/traceplug/backends/mock/mocktest"
	_ "github.com/traceplug/traceplug/backends/otel" // registers "otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/echotrace"
)

// echoRouter drives the adapter through the conformance suite's router
// properties: echo set up as its users set it up, the adapter with e.Use
// before Recover, groups with e.Group, decorated routes with Trace as route
// middleware.
var echoRouter = conformance.Router{
	Name: "echo",
	Serve: func(tr *core.Tracer, routes []conformance.Route) http.Handler {
		e := echo.New()
		e.Logger.SetOutput(io.Discard) // Recover logs the stacks of the panics the suite causes
		e.Use(echotrace.Middleware(tr), middleware.Recover())
		groups := map[string]*echo.Group{}
		for _, rt := range routes {
			var mw []echo.MiddlewareFunc
			if rt.Decorated {
				mw = append(mw, echotrace.Trace(tr, rt.Attributes...))
			}
			h := echo.WrapHandler(rt.Handler)
			if rt.Group == "" {
				e.Add(rt.Method, echoPath(rt.Path), h, mw...)
				continue
			}
			g, ok := groups[rt.Group]
			if !ok {
				g = e.Group(rt.Group)
				groups[rt.Group] = g
			}
			g.Add(rt.Method, echoPath(rt.Path), h, mw...)
		}
		return e
	},
	Spell: echoPath,
}

// echoPath spells a route of the suite's syntax as echo does: a parameter
// "{id}" is ":id"; the final wildcard "*" is echo's.
func echoPath(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segs[i] = ":" + s[1:len(s)-1]
		}
	}
	return strings.Join(segs, "/")
}

func TestConformanceMock(t *testing.T) {
	conformance.RunRouter(t, mocktest.Harness(), echoRouter)
}

func TestConformanceOTel(t *testing.T) {
	conformance.RunRouter(t, oteltest.Harness("http"), echoRouter)
}
