package otel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/core"
)

// A service that has set up OpenTelemetry already puts traceplug on its own
// tracer provider: traceplug's spans go through the provider's sampler,
// processors and exporter (here an in-memory one; a vendor's, OTLP's or
// stdouttrace's in a service), beside the service's own spans. The
// provider stays the service's: Close flushes it, and the service shuts it
// down after.
func ExampleWithTracerProvider() {
	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	defer tp.Shutdown(context.Background())

	tracer, err := core.New("otel", otel.WithTracerProvider(tp), core.WithTraceAll(true))
	if err != nil {
		fmt.Println(err)
		return
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, span := tp.Tracer("shop/db").Start(r.Context(), "load item") // a child of the request's span
		span.End()
	})
	srv := httptest.NewServer(tracer.Middleware(mux))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/items/7", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	if err := tracer.Close(); err != nil { // flushes tp; never shuts it down
		fmt.Println(err)
		return
	}

	spans := exporter.GetSpans()
	for _, s := range spans {
		parent := "the caller's span " + s.Parent.SpanID().String()
		for _, p := range spans {
			if p.SpanContext.SpanID() == s.Parent.SpanID() {
				parent = p.Name
			}
		}
		fmt.Printf("%s (%s, %s), trace %s, child of %s\n", s.Name, s.SpanKind, s.InstrumentationScope.Name, s.SpanContext.TraceID(), parent)
	}
	// Output:
	// load item (internal, shop/db), trace 4bf92f3577b34da6a3ce929d0e0e4736, child of GET /items/{id}
	// GET /items/{id} (server, github.com/traceplug/traceplug), trace 4bf92f3577b34da6a3ce929d0e0e4736, child of the caller's span 00f067aa0ba902b7
}
