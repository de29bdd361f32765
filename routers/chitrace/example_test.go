package chitrace_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/traceplug/traceplug/backends/mock" // registers "mock"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/chitrace"
	"github.com/traceplug/traceplug/sampling"
)

// printSpans prints the spans the mock backend under tracer recorded.
func printSpans(tracer *core.Tracer) {
	for _, s := range tracer.Unwrap().(*mock.Tracer).FinishedSpans() {
		fmt.Printf("%-22s http.route=%v status=%v\n", s.Operation, s.Tags["http.route"], s.Tags["http.status_code"])
	}
}

// A chi router traced with every request's span named after its route: a
// sub-router's routes after their whole path, an unmatched request after
// its method alone.
func ExampleMiddleware() {
	tracer, err := core.New("mock", core.WithServiceName("shop"), core.WithTraceAll(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tracer.Close() // flushes the spans

	// snippet:readme
	r := chi.NewRouter()
	r.Use(chitrace.Middleware(tracer))
	r.Use(middleware.Recoverer) // after it: the 500 of a panic is the span's status
	r.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		// The request's span, to tag, log or start children from.
		tracer.GetSpan(r).SetTag("item.id", chi.URLParam(r, "id"))
		_, _ = io.WriteString(w, "item "+chi.URLParam(r, "id"))
	})
	r.Route("/api", func(r chi.Router) {
		r.Get("/users/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "user") })
	})
	// end snippet

	for _, target := range []string{"/items/42", "/api/users/7", "/nowhere/42"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
	}
	printSpans(tracer)
	// Output:
	// GET /items/{id}        http.route=/items/{id} status=200
	// GET /api/users/{id}    http.route=/api/users/{id} status=200
	// HTTP GET               http.route=<nil> status=404
}

func getItem(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "item") }

// With trace-all off (the default), only the routes wrapped in the
// decorator, tracer.Trace in chi's With, are traced: a named function's span
// after the function, a function literal's after its route.
func ExampleMiddleware_decorator() {
	tracer, err := core.New("mock", core.WithServiceName("shop"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tracer.Close()

	r := chi.NewRouter()
	r.Use(chitrace.Middleware(tracer)) // passes incoming traces on
	r.Use(middleware.Recoverer)
	r.With(tracer.Trace("path")).Get("/items/{id}", getItem)
	r.With(tracer.Trace()).Get("/users/{id}", func(w http.ResponseWriter, r *http.Request) {})
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {}) // not traced

	for _, target := range []string{"/items/42", "/users/7", "/healthz"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
	}
	for _, s := range tracer.Unwrap().(*mock.Tracer).FinishedSpans() {
		fmt.Printf("%s path=%v\n", s.Operation, s.Tags["path"])
	}
	// Output:
	// chitrace_test.getItem path=/items/42
	// GET /users/{id} path=<nil>
}

// Sampling rules by route see the route when the span starts: here the
// health checks are never sampled, and every other request is.
func ExampleMiddleware_samplingRules() {
	rules, err := sampling.ParseRules("GET /healthz=0; *=1")
	if err != nil {
		fmt.Println(err)
		return
	}
	tracer, err := core.New("mock", core.WithTraceAll(true), core.WithSamplingRules(rules...))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tracer.Close()

	r := chi.NewRouter()
	r.Use(chitrace.Middleware(tracer))
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {})
	r.Get("/items/{id}", getItem)

	for _, target := range []string{"/healthz", "/items/42", "/healthz"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
	}
	printSpans(tracer)
	// Output:
	// GET /items/{id}        http.route=/items/{id} status=200
}
