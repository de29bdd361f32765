package otel_test

import (
	"testing"

	"github.com/opentracing/opentracing-go/ext"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel"
)

// Typed tags (backend.TypedTagger, through which core writes
// OpenTelemetry's conventions) land as SetTag's do, special keys included.
func TestTypedTagsAsSetTag(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(t.Context())
	tr, err := otel.NewWithProvider(backend.Config{}, tp)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()

	boxed := tr.StartSpan("boxed")
	boxed.SetTag("server.address", "shop.local")
	boxed.SetTag("server.port", int64(8080))
	boxed.SetTag("otel.status_description", "broken")
	boxed.SetTag(string(ext.SpanKind), "server")
	boxed.Finish()

	typed := tr.StartSpan("typed")
	tt, ok := typed.(backend.TypedTagger)
	if !ok {
		t.Fatalf("%T is no backend.TypedTagger", typed)
	}
	tt.SetStringTag("server.address", "shop.local")
	tt.SetIntTag("server.port", 8080)
	tt.SetStringTag("otel.status_description", "broken")
	tt.SetStringTag(string(ext.SpanKind), "server")
	typed.Finish()

	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	a, b := spans[0], spans[1]
	if len(a.Attributes) != len(b.Attributes) {
		t.Fatalf("attributes %v, typed %v", a.Attributes, b.Attributes)
	}
	for i := range a.Attributes {
		if a.Attributes[i] != b.Attributes[i] {
			t.Errorf("attribute %d: SetTag %v, typed %v", i, a.Attributes[i], b.Attributes[i])
		}
	}
	if a.Status != b.Status || a.SpanKind != b.SpanKind {
		t.Errorf("status %v kind %v; typed: status %v kind %v", a.Status, a.SpanKind, b.Status, b.SpanKind)
	}
}
