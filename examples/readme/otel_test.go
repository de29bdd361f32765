package readme

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"

	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
)

// TestOtelSnippet: the Moving to OpenTelemetry snippet gives a tracer on the
// otel backend that continues W3C and jaeger traces and writes both, and,
// with WithGlobal alone, OpenTelemetry API code in a handler makes children
// of the request's span, the global propagator (what otelhttp's transport
// and otelgrpc's client inject with) writes them with the request's
// baggage, and the request's W3C baggage is OpenTelemetry's baggage: on the
// wire and in what the OTLP collector decoded.
func TestOtelSnippet(t *testing.T) {
	c := oteltest.New(t)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", c.Endpoint("http"))
	tr, err := newOtelTracer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() }) // also puts OpenTelemetry's globals back
	out, otelOut := http.Header{}, http.Header{}
	var bag string
	srv := httptest.NewServer(tr.Trace()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bag = baggage.FromContext(r.Context()).Member("user").Value()
		ctx, span := otel.Tracer("readme").Start(r.Context(), "otel api child")
		otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(otelOut))
		span.End()
		if err := tr.Inject(tr.GetSpan(r).Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(out)); err != nil {
			t.Error(err)
		}
	})))
	defer srv.Close()
	const jaegerTrace, jaegerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Uber-Trace-Id", jaegerTrace+":"+jaegerSpan+":0:1")
	req.Header.Set("Baggage", "user=ann")
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
	if bag != "ann" {
		t.Errorf("baggage.FromContext in the handler: user=%q, want ann", bag)
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
	if want := "00-" + jaegerTrace + "-" + pad16(child.SpanID) + "-01"; otelOut.Get("Traceparent") != want {
		t.Errorf("the global propagator wrote traceparent %q, want %q: the OpenTelemetry span's", otelOut.Get("Traceparent"), want)
	}
	if otelOut.Get("Uber-Trace-Id") == "" || otelOut.Get("Baggage") != "user=ann" {
		t.Errorf("the global propagator wrote %v: want uber-trace-id too, and baggage user=ann", otelOut)
	}
}

// pad16 is a span id of the conformance model as W3C writes it.
func pad16(id string) string {
	for len(id) < 16 {
		id = "0" + id
	}
	return id
}
