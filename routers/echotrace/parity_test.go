package echotrace_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho"
	"go.opentelemetry.io/otel/propagation"

	"github.com/traceplug/traceplug/backends/mock/mocktest"
	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// otelechoNames are the span names and http.route that otelecho
// (go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho
// v0.71.0, its last release: deprecated for github.com/labstack/echo-opentelemetry,
// then removed from contrib) gives the requests of nameCases. It names a
// span "{method} {c.Path()}", the OpenTelemetry HTTP conventions'
// "{method} {http.route}" with "HTTP" for a method it does not know, and
// "{method}" alone when echo reports no path: a request echo answers with
// its own 404. A request echo answers with a RouteNotFound route (a group's
// "/api/*", the user's "/static/*") or with its 405 it names after that
// route's path, tagged http.route, though no route of the request's method
// matched: echotrace names those as traceplug names a request ServeMux did
// not match, after its method alone, with no http.route.
var otelechoNames = map[string]struct{ op, route string }{
	"static":                {"GET /items", "/items"},
	"static other method":   {"POST /items", "/items"},
	"parameter":             {"GET /items/:id", "/items/:id"},
	"two parameters":        {"GET /items/:id/parts/:part", "/items/:id/parts/:part"},
	"wildcard":              {"GET /files/*", "/files/*"},
	"other method":          {"HTTP /cache/:key", "/cache/:key"},
	"group with middleware": {"GET /api/users/:id", "/api/users/:id"},
	"group":                 {"GET /v2/things/:id", "/v2/things/:id"},
	"unmatched":             {"GET", ""},
	"unmatched in a group (its RouteNotFound /api/*)": {"GET /api/*", "/api/*"},
	"unmatched group prefix (its RouteNotFound /api)": {"GET /api", "/api"},
	"unmatched in a group without middleware":         {"GET", ""},
	"RouteNotFound route":                             {"GET /static/*", "/static/*"},
	"method not allowed":                              {"DELETE /items/:id", "/items/:id"},
	"method not allowed, no HEAD route":               {"HEAD /items", "/items"},
	"unmatched other method":                          {"HTTP /items", "/items"},
	"unmatched other method on a RouteNotFound path":  {"HTTP /api/*", "/api/*"},
}

// TestParityWithOtelecho sends the same requests through otelecho and
// through echotrace on traceplug's otel backend, both exporting to one
// in-process OTLP collector, and compares what it decoded: the same names,
// http.route and attributes for every request a route matched, the same
// status for all, and, for a request no route matched, the relationship
// otelechoNames states, echotrace naming it as traceplug names a request
// ServeMux did not match, on the same backend.
func TestParityWithOtelecho(t *testing.T) {
	col := oteltest.New(t)
	newOTel := func(service string, opts ...core.Option) *core.Tracer {
		tr, err := core.New("otel", append([]core.Option{core.WithEndpoint(col.Endpoint("http")), core.WithServiceName(service)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = tr.Close() })
		return tr
	}
	ours := newOTel("echotrace", core.WithTraceAll(true))
	mux := newOTel("servemux", core.WithTraceAll(true))
	// otelecho on the otel backend's TracerProvider: the same SDK, batch
	// processor and OTLP exporter.
	sdk := newOTel("otelecho")
	theirs := addRoutes(newEcho(nil))
	theirs.Use(otelecho.Middleware("server",
		otelecho.WithTracerProvider(sdk.Unwrap().(*otel.Tracer).TracerProvider()),
		otelecho.WithPropagators(propagation.TraceContext{})))

	e, unmatched := routedEcho(ours), tracerMux(mux)
	for _, tc := range nameCases {
		for _, h := range []struct {
			name string
			h    http.Handler
		}{{"echotrace", e}, {"otelecho", theirs}} {
			if code := mocktest.Serve(h.h, tc.method, tc.target, nil).Code; code != tc.status {
				t.Fatalf("%s: %s %s answered %d, want %d", h.name, tc.method, tc.target, code, tc.status)
			}
		}
		mocktest.Serve(unmatched, tc.method, "/nowhere", nil)
	}
	for _, tr := range []*core.Tracer{ours, mux, sdk} {
		_ = tr.Close()
	}

	spans := map[string]map[string]conformance.Span{"echotrace": {}, "otelecho": {}, "servemux": {}}
	for _, s := range col.Spans() {
		spans[s.Service][requestKey(s)] = s
	}
	for _, tc := range nameCases {
		key := tc.method + " " + strings.SplitN(tc.target, "?", 2)[0]
		o, ok1 := spans["echotrace"][key]
		th, ok2 := spans["otelecho"][key]
		if !ok1 || !ok2 {
			t.Errorf("%s: the collector has no span of %s from echotrace (%v) or otelecho (%v)", tc.name, key, ok1, ok2)
			continue
		}
		want := otelechoNames[tc.name]
		if th.Operation != want.op || tag(th, "http.route") != want.route {
			t.Errorf("%s: otelecho named %s %q with http.route %q, want %q %q", tc.name, key, th.Operation, tag(th, "http.route"), want.op, want.route)
		}
		if tc.route != "" {
			// A route matched: the same name and http.route.
			if o.Operation != th.Operation || tag(o, "http.route") != tag(th, "http.route") {
				t.Errorf("%s: %s named %q with http.route %q by echotrace, %q %q by otelecho", tc.name, key, o.Operation, tag(o, "http.route"), th.Operation, tag(th, "http.route"))
			}
		} else if m := spans["servemux"][tc.method+" /nowhere"]; o.Operation != m.Operation || m.Operation == "" || tag(o, "http.route") != "" {
			// None did: named as ServeMux's unmatched request is.
			t.Errorf("%s: echotrace named %s %q with http.route %q, want ServeMux's unmatched %q and none", tc.name, key, o.Operation, tag(o, "http.route"), m.Operation)
		}
		if s1, s2 := status(o), status(th); s1 != s2 || s1 != fmt.Sprint(tc.status) {
			t.Errorf("%s: status %s (echotrace) and %s (otelecho), want %d", tc.name, s1, s2, tc.status)
		}
		// The same attributes (but the http.route otelecho sets where no
		// route matched): the benchmark compares them at equal attributes.
		if k1, k2 := attributeKeys(o), attributeKeys(th); k1 != k2 {
			t.Errorf("%s: echotrace's attributes %s, otelecho's %s", tc.name, k1, k2)
		}
	}
}

// tracerMux is an empty ServeMux traced by tr: every request is one it did
// not match.
func tracerMux(tr *core.Tracer) http.Handler { return tr.Middleware(http.NewServeMux()) }

// requestKey is the method and path of the request a span is of.
func requestKey(s conformance.Span) string {
	m := firstTag(s, "http.request.method_original", "http.request.method", "http.method")
	p, ok := s.Tag("url.path")
	if !ok {
		u, _ := url.Parse(tag(s, "http.url"))
		p = u.Path
	}
	return m + " " + p
}

// status is the status of a span's response, as the OpenTelemetry or the
// OpenTracing conventions tag it.
func status(s conformance.Span) string {
	return firstTag(s, "http.response.status_code", "http.status_code")
}

// attributeKeys lists the span's attributes, but the instrumentation's
// scope, http.route, and the echo.error otelecho adds (the error's text)
// when a handler returns one.
func attributeKeys(s conformance.Span) string {
	var keys []string
	for k := range s.Tags {
		switch k {
		case "otel.scope.name", "otel.scope.version", "http.route", "echo.error":
		default:
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

func firstTag(s conformance.Span, keys ...string) string {
	for _, k := range keys {
		if v, ok := s.Tag(k); ok {
			return v
		}
	}
	return ""
}

func tag(s conformance.Span, key string) string {
	v, _ := s.Tag(key)
	return v
}
