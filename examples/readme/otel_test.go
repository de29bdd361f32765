package readme

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opentracing/opentracing-go"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
)

// TestOtelSnippet: the Moving to OpenTelemetry snippet gives a tracer on the
// otel backend that continues W3C and jaeger traces, writes both, and whose
// provider, made global, makes OpenTelemetry API spans children of the
// request's span, on what the OTLP collector decoded.
func TestOtelSnippet(t *testing.T) {
	c := oteltest.New(t)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", c.Endpoint("http"))
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
	})
	tr, err := newOtelTracer()
	if err != nil {
		t.Fatal(err)
	}
	out := http.Header{}
	srv := httptest.NewServer(tr.Trace()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := otel.Tracer("readme").Start(r.Context(), "otel api child")
		// As otelhttp's transport would: the global propagator writes the
		// OpenTelemetry span's context.
		otelOut := propagation.HeaderCarrier{}
		otel.GetTextMapPropagator().Inject(ctx, otelOut)
		if otelOut.Get("traceparent") == "" || otelOut.Get("uber-trace-id") == "" {
			t.Errorf("the global propagator wrote %v: want traceparent and uber-trace-id", otelOut)
		}
		span.End()
		if err := tr.Inject(tr.GetSpan(r).Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(out)); err != nil {
			t.Error(err)
		}
	})))
	defer srv.Close()
	const jaegerTrace, jaegerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Uber-Trace-Id", jaegerTrace+":"+jaegerSpan+":0:1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if out.Get("Traceparent") == "" || out.Get("Uber-Trace-Id") == "" {
		t.Errorf("the tracer wrote %v: want traceparent and uber-trace-id both", out)
	}
	var server, child conformance.Span
	for _, s := range c.Spans() {
		if kind, _ := s.Tag("span.kind"); kind == "server" {
			server = s
		} else if s.Operation == "otel api child" {
			child = s
		}
	}
	if server.TraceID != conformance.NormalizeID(jaegerTrace) || server.ParentID != conformance.NormalizeID(jaegerSpan) {
		t.Errorf("server span %v: want it to continue the incoming jaeger trace", server)
	}
	if child.TraceID != server.TraceID || child.ParentID != server.SpanID {
		t.Errorf("OpenTelemetry API span %v: want a child of the request's span %v", child, server)
	}
}
