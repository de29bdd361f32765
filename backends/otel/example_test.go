package otel_test

import (
	"fmt"
	"net/http"

	otelapi "go.opentelemetry.io/otel"

	_ "github.com/traceplug/traceplug/backends/otel" // registers the backend "otel"
	"github.com/traceplug/traceplug/core"
)

// Importing the package registers the backend "otel", which core.New builds
// by name (a program that needs nothing else from it imports it blank:
// import _ "github.com/traceplug/traceplug/backends/otel"). With
// core.WithGlobal, the backend's tracer provider and propagator are
// OpenTelemetry's globals until Shutdown: OpenTelemetry code in the handlers
// (otel.Tracer, otelhttp, otelgrpc) joins the request's trace.
func Example() {
	tracer, err := core.New("otel",
		core.WithServiceName("shop"),
		core.WithEndpoint("http://127.0.0.1:4318"), // OTLP over HTTP; grpc://127.0.0.1:4317 for gRPC, with otlpgrpc imported
		core.WithTraceAll(true),
		core.WithParam("headers", "authorization=Bearer%20TOKEN"),
		core.WithGlobal(), // OpenTracing's global tracer, and OpenTelemetry's globals
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tracer.Close() // flushes

	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, span := otelapi.Tracer("shop/db").Start(r.Context(), "load item") // a child of the request's span
		defer span.End()
	})
	_ = http.ListenAndServe(":8080", tracer.Middleware(mux))
}
