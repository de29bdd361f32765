package core_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backends/mock" // also registers "mock" (a blank import does only that)
	"github.com/traceplug/traceplug/core"
)

// Pick a backend by name. The blank import of its package,
//
//	import _ "github.com/traceplug/traceplug/backends/jaeger"
//
// registers the name; here the embedded mock backend is imported (by name, to
// read its spans) and New builds a fresh tracer on it.
func ExampleNew() {
	tracer, err := core.New("mock", core.WithServiceName("shop"), core.WithTraceAll(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tracer.Close()

	_, err = core.New("jaegr")
	fmt.Println(err)
	// Output:
	// traceplug: unknown backend "jaegr" (registered: mock, none; forgotten import _ "github.com/traceplug/traceplug/backends/jaegr"?)
}

// Wrap any OpenTracing tracer, as django_opentracing's DjangoTracer does.
func ExampleWrap() {
	tracer, err := core.Wrap(opentracing.NoopTracer{}, core.WithTraceAll(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tracer.Close()
	w := httptest.NewRecorder()
	tracer.Middleware(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	fmt.Println(w.Code)
	// Output: 404
}

// Trace every request: put the middleware around the router.
func ExampleTracer_Middleware() {
	tracer, _ := core.New("mock", core.WithTraceAll(true), core.WithTracedAttributes("path", "method"))
	defer tracer.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "an item") })
	handler := tracer.Middleware(mux)

	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/items/42", nil))

	for _, s := range tracer.Unwrap().(*mock.Tracer).FinishedSpans() {
		fmt.Println(s.Operation, s.Tags["path"], s.Tags["method"], s.Tags["http.status_code"])
	}
	// Output: GET /items/{id} /items/42 GET 200
}

func checkout(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "paid") }

// Trace only chosen handlers, like django_opentracing's @tracer.trace(): with
// trace-all off (the default) the middleware passes other requests through.
func ExampleTracer_Trace() {
	tracer, _ := core.New("mock")
	defer tracer.Close()

	mux := http.NewServeMux()
	mux.Handle("/checkout", tracer.Trace("path", "META")(http.HandlerFunc(checkout)))
	mux.HandleFunc("/about", func(w http.ResponseWriter, r *http.Request) {})

	for _, path := range []string{"/about", "/checkout"} {
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	for _, s := range tracer.Unwrap().(*mock.Tracer).FinishedSpans() {
		fmt.Println(s.Operation, s.Tags["path"])
	}
	// Output: core_test.checkout /checkout
}

// Tag, log and start child spans from a handler.
func ExampleTracer_GetSpan() {
	tracer, _ := core.New("mock", core.WithTraceAll(true))
	defer tracer.Close()

	handler := tracer.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span := tracer.GetSpan(r)
		span.SetTag("user", "ann")
		span.LogKV("event", "cache miss")
		child := tracer.StartSpan("db query", opentracing.ChildOf(span.Context()))
		child.Finish()
	}))
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))

	spans := tracer.Unwrap().(*mock.Tracer).FinishedSpans()
	child, server := spans[0], spans[1]
	fmt.Println(server.Operation, server.Tags["user"], server.Logs[0].Fields["event"])
	fmt.Println(child.Operation, "child of server span:", child.ParentID == server.SpanID)
	// Output:
	// HTTP GET ann cache miss
	// db query child of server span: true
}

// Trace outgoing requests and carry the trace to the next service.
func ExampleTracer_Transport() {
	tracer, _ := core.New("mock", core.WithTraceAll(true))
	defer tracer.Close()

	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("backend sees a trace header:", r.Header.Get("mock-traceid") != "")
	}))
	defer backend.Close()
	client := &http.Client{Transport: tracer.Transport(nil)}

	front := tracer.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", backend.URL, nil)
		resp, err := client.Do(req)
		if err != nil {
			return
		}
		resp.Body.Close() // finishes the client span
	}))
	front.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))

	for _, s := range tracer.Unwrap().(*mock.Tracer).FinishedSpans() {
		fmt.Println(s.Operation, s.Tags["span.kind"])
	}
	// Output:
	// backend sees a trace header: true
	// HTTP GET client
	// HTTP GET server
}
