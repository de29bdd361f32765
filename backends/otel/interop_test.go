package otel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opentracing/opentracing-go"
	otelapi "go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// newTracer builds an otel tracer on c over HTTP, closed at the end of the
// test, and returns it with the backend's own tracer.
func newTracer(t *testing.T, c *oteltest.Collector, opts ...core.Option) (*core.Tracer, *otel.Tracer) {
	t.Helper()
	tr, err := core.New("otel", append(c.Options("http"), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr, tr.Unwrap().(*otel.Tracer)
}

func byName(t *testing.T, spans []conformance.Span, name string) conformance.Span {
	t.Helper()
	var found []conformance.Span
	for _, s := range spans {
		if s.Operation == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one span %q, got %d among %v", name, len(found), spans)
	}
	return found[0]
}

func wantChild(t *testing.T, child, parent conformance.Span) {
	t.Helper()
	if child.TraceID != parent.TraceID || child.ParentID != parent.SpanID || child.ParentID == "" {
		t.Errorf("%q [trace %s parent %s] is not a child of %q [trace %s span %s]",
			child.Operation, child.TraceID, child.ParentID, parent.Operation, parent.TraceID, parent.SpanID)
	}
}

// TestOpenTelemetryInsideTracedRequest: OpenTelemetry code in a handler
// that traceplug traces (through the tracer provider the backend exposes,
// installed as OpenTelemetry's global) makes the request's span the parent
// of its spans, and OpenTracing code inside an OpenTelemetry span continues
// it: one trace, in both directions, as the collector decoded it.
func TestOpenTelemetryInsideTracedRequest(t *testing.T) {
	c := oteltest.New(t)
	tr, ot := newTracer(t, c, core.WithTraceAll(true), core.WithGlobal(), core.WithServiceName("interop"))
	otelapi.SetTracerProvider(ot.TracerProvider())
	defer otelapi.SetTracerProvider(noop.NewTracerProvider())

	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, s := otelapi.Tracer("interop-test").Start(r.Context(), "otel.child")
		defer s.End()
		child, ctx := opentracing.StartSpanFromContext(ctx, "ot.grandchild")
		defer child.Finish()
		_, leaf := otelapi.Tracer("interop-test").Start(ctx, "otel.leaf")
		leaf.End()
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/work")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	spans := c.Spans()
	if len(spans) != 4 {
		t.Fatalf("want 4 spans, got %v", spans)
	}
	request := byName(t, spans, "GET") // OpenTelemetry's name: the method
	otelChild := byName(t, spans, "otel.child")
	grandchild := byName(t, spans, "ot.grandchild")
	wantChild(t, otelChild, request)
	wantChild(t, grandchild, otelChild)
	wantChild(t, byName(t, spans, "otel.leaf"), grandchild)
	if otelChild.Tags["otel.scope.name"] != "interop-test" || request.Tags["otel.scope.name"] != "github.com/traceplug/traceplug" {
		t.Errorf("scopes: request %v, OpenTelemetry child %v", request.Tags["otel.scope.name"], otelChild.Tags["otel.scope.name"])
	}
}

// TestOpenTracingInsideOpenTelemetrySpan: an OpenTelemetry root span,
// outside any request, is the parent of OpenTracing spans started from its
// context, with and without the global tracer.
func TestOpenTracingInsideOpenTelemetrySpan(t *testing.T) {
	c := oteltest.New(t)
	tr, ot := newTracer(t, c)
	ctx, root := ot.TracerProvider().Tracer("interop-test").Start(context.Background(), "otel.root")
	s, _ := opentracing.StartSpanFromContextWithTracer(ctx, tr, "ot.child")
	s.SetBaggageItem("user", "ann")
	s.Finish()
	root.End()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	spans := c.Spans()
	wantChild(t, byName(t, spans, "ot.child"), byName(t, spans, "otel.root"))
}
