package interop_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// otelTracer builds a tracer on the otel backend pointed at c over HTTP,
// closed at the end of the test, with the backend's own tracer.
func otelTracer(t *testing.T, c *oteltest.Collector, opts ...core.Option) (*core.Tracer, *otel.Tracer) {
	t.Helper()
	tr, err := core.New("otel", append(c.Options("http"), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr, tr.Unwrap().(*otel.Tracer)
}

func wantOtelChild(t *testing.T, child, parent conformance.Span) {
	t.Helper()
	if child.TraceID != parent.TraceID || child.ParentID != parent.SpanID || child.ParentID == "" {
		t.Errorf("%q [trace %s parent %s] is not a child of %q [trace %s span %s]",
			child.Operation, child.TraceID, child.ParentID, parent.Operation, parent.TraceID, parent.SpanID)
	}
}

// TestOTelHTTPTransportInsideTracedRequest: an otelhttp transport on the
// backend's provider and propagator, inside a traced request, makes a client
// span that is the request span's child, and the next service, traced by
// traceplug, continues it.
func TestOTelHTTPTransportInsideTracedRequest(t *testing.T) {
	c := oteltest.New(t)
	back, _ := otelTracer(t, c, core.WithTraceAll(true), core.WithServiceName("back"))
	backSrv := httptest.NewServer(back.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})))
	defer backSrv.Close()

	front, ot := otelTracer(t, c, core.WithTraceAll(true), core.WithServiceName("front"))
	client := &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport,
		otelhttp.WithTracerProvider(ot.TracerProvider()), otelhttp.WithPropagators(ot.TextMapPropagator()))}
	frontSrv := httptest.NewServer(front.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", backSrv.URL+"/back", nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		_, _ = io.Copy(w, resp.Body)
		resp.Body.Close()
	})))
	defer frontSrv.Close()
	resp, err := http.Get(frontSrv.URL + "/front")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_ = front.Close()
	_ = back.Close()

	spans := c.Spans()
	var frontSpan, clientSpan, backSpan conformance.Span
	for _, s := range spans {
		switch kind, _ := s.Tag("span.kind"); {
		case s.Service == "front" && kind == "server":
			frontSpan = s
		case s.Service == "front" && kind == "client":
			clientSpan = s
		case s.Service == "back" && kind == "server":
			backSpan = s
		}
	}
	if frontSpan.SpanID == "" || clientSpan.SpanID == "" || backSpan.SpanID == "" {
		t.Fatalf("want the front's server and client spans and the back's server span, got %v", spans)
	}
	wantOtelChild(t, clientSpan, frontSpan)
	wantOtelChild(t, backSpan, clientSpan)
}
