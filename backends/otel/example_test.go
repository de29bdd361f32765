package otel_test

import (
	"fmt"
	"net/http"

	otelapi "go.opentelemetry.io/otel"

	"github.com/traceplug/traceplug/backends/otel" // importing it registers the backend "otel"
	"github.com/traceplug/traceplug/core"
)

// Importing the package registers the backend "otel", which core.New builds
// by name (a program that needs nothing else from it imports it blank:
// import _ "github.com/traceplug/traceplug/backends/otel"). OpenTelemetry
// code in the handlers joins the request's trace once the backend's tracer
// provider is OpenTelemetry's global.
func Example() {
	tracer, err := core.New("otel",
		core.WithServiceName("shop"),
		core.WithEndpoint("http://127.0.0.1:4318"), // OTLP over HTTP; grpc://127.0.0.1:4317 for gRPC
		core.WithTraceAll(true),
		core.WithParam("headers", "authorization=Bearer%20TOKEN"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tracer.Close() // flushes

	ot := tracer.Unwrap().(*otel.Tracer)
	otelapi.SetTracerProvider(ot.TracerProvider())
	otelapi.SetTextMapPropagator(ot.TextMapPropagator())

	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, span := otelapi.Tracer("shop/db").Start(r.Context(), "load item") // a child of the request's span
		defer span.End()
	})
	_ = http.ListenAndServe(":8080", tracer.Middleware(mux))
}
