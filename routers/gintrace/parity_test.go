package gintrace_test

import (
	"testing"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/otel/propagation"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/traceplug/traceplug/backends/mock/mocktest"
	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/gintrace"
)

// parityRoutes registers the routes both sides of the parity test serve.
func parityRoutes(e *gin.Engine) {
	e.HandleMethodNotAllowed = true
	e.GET("/items", ok)
	e.POST("/items", ok)
	e.GET("/items/:id", ok)
	e.GET("/users/:uid/orders/:oid", ok)
	e.GET("/files/*rest", ok)
	e.Handle("PURGE", "/cache/:key", ok)
	api := e.Group("/api")
	api.GET("/users/:id", ok)
}

// otelTracer is a Tracer on the otel backend, trace-all on, exporting over
// OTLP/HTTP to a collector of its own.
func otelTracer(t *testing.T) (*core.Tracer, *oteltest.Collector) {
	t.Helper()
	c := oteltest.New(t)
	tr, err := core.New("otel", append(c.Options("http"), core.WithTraceAll(true), core.WithServiceName("shop"))...)
	if err != nil {
		t.Fatal(err)
	}
	return tr, c
}

// TestParityWithOtelgin serves the same requests through gintrace on the
// otel backend and through otelgin on the same SDK and exporter (the
// backend's own TracerProvider), each exporting to an OTLP collector, and
// compares what the collectors decoded: span names and http.route.
//
// The otel backend writes OpenTelemetry's stable HTTP conventions by
// default, as otelgin does, and both name a server span as the conventions
// say: "{method} {http.route}", the method alone ("GET") for a request no
// route matched, and "HTTP" in place of a method that is not a known one
// ("HTTP /cache/:key", "HTTP"). gin's route is the http.route of both. One
// difference: otelgin tags a request no route matched http.route="", where
// traceplug tags no http.route. (traceplug's OpenTracing conventions, the
// other backends' default, name these spans as a ServeMux's: "HTTP GET",
// "_OTHER /cache/:key", "HTTP _OTHER".)
func TestParityWithOtelgin(t *testing.T) {
	requests := []struct {
		method, target string
		route          string // gin's, "" for none
		name           string // the span's, on both sides
	}{
		{"GET", "/items", "/items", "GET /items"},
		{"POST", "/items", "/items", "POST /items"},
		{"GET", "/items/42?page=2", "/items/:id", "GET /items/:id"},
		{"GET", "/users/7/orders/9", "/users/:uid/orders/:oid", "GET /users/:uid/orders/:oid"},
		{"GET", "/files/docs/a.txt", "/files/*rest", "GET /files/*rest"},
		{"GET", "/api/users/7", "/api/users/:id", "GET /api/users/:id"},
		{"GET", "/nowhere/42", "", "GET"},
		{"DELETE", "/items", "", "DELETE"},
		{"PURGE", "/cache/k1", "/cache/:key", "HTTP /cache/:key"},
		{"PURGE", "/nowhere", "", "HTTP"},
	}

	tr, tpCollector := otelTracer(t)
	traced := gin.New()
	traced.Use(gintrace.Middleware(tr))
	parityRoutes(traced)

	// otelgin over the SDK of another otel backend Tracer: the same SDK,
	// batch processor and OTLP exporter, its own collector.
	sdk, ogCollector := otelTracer(t)
	peer := gin.New()
	peer.Use(otelgin.Middleware("shop",
		otelgin.WithTracerProvider(sdk.Unwrap().(*otel.Tracer).TracerProvider()),
		otelgin.WithPropagators(propagation.TraceContext{})))
	parityRoutes(peer)

	for _, r := range requests {
		a, b := mocktest.Serve(traced, r.method, r.target, nil), mocktest.Serve(peer, r.method, r.target, nil)
		if a.Code != b.Code {
			t.Errorf("%s %s: gintrace answered %d, otelgin %d", r.method, r.target, a.Code, b.Code)
		}
	}
	for _, x := range []*core.Tracer{tr, sdk} {
		if err := x.Close(); err != nil { // flushes
			t.Fatal(err)
		}
	}
	tpSpans, ogSpans := tpCollector.OTLPSpans(), ogCollector.OTLPSpans()
	if len(tpSpans) != len(requests) || len(ogSpans) != len(requests) {
		t.Fatalf("collectors decoded %d (gintrace) and %d (otelgin) spans, want %d each", len(tpSpans), len(ogSpans), len(requests))
	}
	for i, r := range requests {
		a, b := tpSpans[i], ogSpans[i]
		if a.GetName() != r.name || b.GetName() != r.name {
			t.Errorf("%s %s: spans %q (gintrace) and %q (otelgin), want %q on both", r.method, r.target, a.GetName(), b.GetName(), r.name)
		}
		if a.GetKind() != tracepb.Span_SPAN_KIND_SERVER || b.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
			t.Errorf("%s %s: kinds %v and %v, want server", r.method, r.target, a.GetKind(), b.GetKind())
		}
		ra, aok := oteltest.Attributes(a)[core.TagHTTPRoute]
		rb, bok := oteltest.Attributes(b)[core.TagHTTPRoute]
		switch {
		case r.route != "" && (ra != r.route || rb != r.route):
			t.Errorf("%s %s: http.route %v (gintrace) and %v (otelgin), want %q on both", r.method, r.target, ra, rb, r.route)
		case r.route == "" && (aok || !bok || rb != ""):
			t.Errorf("%s %s: http.route %v, %v (gintrace) and %v, %v (otelgin), want none and \"\"", r.method, r.target, ra, aok, rb, bok)
		}
	}
}
