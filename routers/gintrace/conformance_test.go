package gintrace_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/traceplug/traceplug/backends/mock/mocktest"
	_ "github.com/traceplug/traceplug/backends/otel" // registers "otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/gintrace"
)

// ginRouter drives gintrace through the conformance suite's router
// properties: an engine with Middleware installed first and gin's Recovery
// after it (its log discarded), as the package documentation says, groups
// as gin groups, and decorated routes through Trace.
var ginRouter = conformance.Router{
	Name: "gin",
	Serve: func(tr *core.Tracer, routes []conformance.Route) http.Handler {
		e := gin.New()
		e.Use(gintrace.Middleware(tr), gin.RecoveryWithWriter(io.Discard))
		groups := map[string]*gin.RouterGroup{"": &e.RouterGroup}
		for _, rt := range routes {
			g, ok := groups[rt.Group]
			if !ok {
				g = e.Group(rt.Group)
				groups[rt.Group] = g
			}
			var handlers []gin.HandlerFunc
			if rt.Decorated {
				handlers = append(handlers, gintrace.Trace(tr, rt.Attributes...))
			}
			g.Handle(rt.Method, ginPath(rt.Path), append(handlers, gin.WrapH(rt.Handler))...)
		}
		return e
	},
	Spell: ginPath,
}

// ginPath spells a path of the suite's syntax as gin does: a parameter
// "{id}" is ":id", and the final wildcard "*" is named, "*rest".
func ginPath(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		switch {
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			segs[i] = ":" + s[1:len(s)-1]
		case s == "*" && i == len(segs)-1:
			segs[i] = "*rest"
		}
	}
	return strings.Join(segs, "/")
}

func TestConformanceMock(t *testing.T) {
	conformance.RunRouter(t, mocktest.Harness(), ginRouter)
}

// On the otel backend, the spans are read back from what an in-process
// OTLP collector decoded.
func TestConformanceOTel(t *testing.T) {
	conformance.RunRouter(t, oteltest.Harness("http"), ginRouter)
}

func TestGinPath(t *testing.T) {
	for in, want := range map[string]string{
		"/items": "/items", "/items/{id}": "/items/:id", "/items/{id}/parts/{part}": "/items/:id/parts/:part",
		"/files/*": "/files/*rest", "/api/users/{id}": "/api/users/:id",
	} {
		if got := ginPath(in); got != want {
			t.Errorf("ginPath(%q) = %q, want %q", in, got, want)
		}
	}
}
