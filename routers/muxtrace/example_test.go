package muxtrace_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/gorilla/mux"

	"github.com/traceplug/traceplug/backends/mock" // also registers "mock"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/muxtrace"
)

// Trace every request a gorilla/mux router serves, each span named after
// its route; requests no route matches are named after their method alone.
func Example() {
	tracer, _ := core.New("mock", core.WithTraceAll(true))
	defer tracer.Close()

	// snippet:readme
	r := mux.NewRouter()
	r.Use(muxtrace.Middleware(tracer))
	r.NotFoundHandler = muxtrace.NotFound(tracer, r.NotFoundHandler)
	r.MethodNotAllowedHandler = muxtrace.MethodNotAllowed(tracer, r.MethodNotAllowedHandler)
	r.HandleFunc("/items/{id:[0-9]+}", func(w http.ResponseWriter, r *http.Request) {
		tracer.GetSpan(r).SetTag("item", mux.Vars(r)["id"])
		io.WriteString(w, "an item")
	}).Methods("GET")
	api := r.PathPrefix("/api").Subrouter()
	api.HandleFunc("/users/{id}", func(w http.ResponseWriter, r *http.Request) {}).Methods("GET")
	// end snippet

	for _, req := range []struct{ method, target string }{
		{"GET", "/items/42"}, {"GET", "/api/users/7"}, {"GET", "/no/such/page"}, {"DELETE", "/items/42"},
	} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.target, nil))
	}
	for _, s := range tracer.Unwrap().(*mock.Tracer).FinishedSpans() {
		fmt.Println(s.Operation, s.Tags["http.route"], s.Tags["http.status_code"], s.Tags["item"])
	}
	// Output:
	// GET /items/{id:[0-9]+} /items/{id:[0-9]+} 200 42
	// GET /api/users/{id} /api/users/{id} 200 <nil>
	// HTTP GET <nil> 404 <nil>
	// HTTP DELETE <nil> 405 <nil>
}

func getOrder(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "an order") }

// Trace only chosen routes: with trace-all off (the default), the middleware
// traces nothing by itself, and the handlers wrapped by tracer.Trace are
// traced, a function literal's span named after its route.
func Example_decorator() {
	tracer, _ := core.New("mock")
	defer tracer.Close()

	r := mux.NewRouter()
	r.Use(muxtrace.Middleware(tracer))
	r.Handle("/orders/{id}", tracer.Trace("path")(http.HandlerFunc(getOrder))).Methods("GET")
	r.Handle("/items/{id}", tracer.Trace()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	r.HandleFunc("/about", func(w http.ResponseWriter, r *http.Request) {})

	for _, target := range []string{"/about", "/orders/7", "/items/42"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
	}
	for _, s := range tracer.Unwrap().(*mock.Tracer).FinishedSpans() {
		fmt.Println(s.Operation, s.Tags["http.route"], s.Tags["path"])
	}
	// Output:
	// muxtrace_test.getOrder /orders/{id} /orders/7
	// GET /items/{id} /items/{id} <nil>
}

// Wrap gorilla's handler for requests no route matches (nil: its default
// 404), so that they are traced too, named after their method alone.
func ExampleNotFound() {
	tracer, _ := core.New("mock", core.WithTraceAll(true))
	defer tracer.Close()

	r := mux.NewRouter()
	r.NotFoundHandler = muxtrace.NotFound(tracer, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such page", http.StatusNotFound)
	}))

	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/users/ann/secret-plans", nil))
	fmt.Print(w.Code, " ", w.Body)
	s := tracer.Unwrap().(*mock.Tracer).FinishedSpans()[0]
	fmt.Println(s.Operation, s.Tags["http.status_code"])
	// Output:
	// 404 no such page
	// HTTP GET 404
}
