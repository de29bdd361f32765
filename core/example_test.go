package core_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"time"

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
	// traceplug: unknown backend "jaegr" (registered: mock, none; did you mean "jaeger"? it needs import _ "github.com/traceplug/traceplug/backends/jaeger")
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
		fmt.Println("backend sees a trace header:", r.Header.Get("traceparent") != "")
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

// Configure from TRACEPLUG_* environment variables; options in code win.
// A bad value is an error naming the variable.
func ExampleFromEnv() {
	os.Setenv("TRACEPLUG_BACKEND", "mock")
	os.Setenv("TRACEPLUG_SERVICE_NAME", "shop")
	os.Setenv("TRACEPLUG_TRACE_ALL", "true")
	defer os.Unsetenv("TRACEPLUG_BACKEND")
	defer os.Unsetenv("TRACEPLUG_SERVICE_NAME")
	defer os.Unsetenv("TRACEPLUG_TRACE_ALL")

	tracer, err := core.FromEnv(core.WithTracedAttributes("path"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tracer.Close()
	tracer.Middleware(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/items/42", nil))
	s := tracer.Unwrap().(*mock.Tracer).FinishedSpans()[0]
	fmt.Println(s.Service, s.Operation, s.Tags["path"])

	os.Setenv("TRACEPLUG_SAMPLE_RATE", "NaN")
	defer os.Unsetenv("TRACEPLUG_SAMPLE_RATE")
	_, err = core.FromEnv()
	fmt.Println(err)
	// Output:
	// shop HTTP GET /items/42
	// traceplug: TRACEPLUG_SAMPLE_RATE="NaN": want a number from 0 to 1, such as 0.25
}

// Stats accounts for every span: started and finished by traceplug,
// reported or dropped (and why) by the backend.
func ExampleTracer_Stats() {
	tracer, _ := core.New("mock", core.WithTraceAll(true))
	defer tracer.Close()
	handler := tracer.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for range 3 {
		handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}
	s := tracer.Stats()
	fmt.Printf("started %d, finished %d, reported %d, dropped %d %v\n", s.Started, s.Finished, s.Reported, s.Dropped, s.DroppedBy)
	// Output: started 3, finished 3, reported 3, dropped 0 map[]
}

// Stop gracefully: the HTTP server first, so that requests in flight finish
// their spans, then the tracer, which flushes them, within one deadline. An
// error wrapping ErrSpansLost says how many spans the backend dropped, and
// why: exit non-zero, and nothing is ever lost silently.
func ExampleTracer_Shutdown() {
	tracer, _ := core.New("mock", core.WithTraceAll(true))
	srv := httptest.NewServer(tracer.Middleware(http.NotFoundHandler()))
	resp, err := http.Get(srv.URL + "/items/42")
	if err == nil {
		resp.Body.Close()
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Close() // in a program: (*http.Server).Shutdown(ctx), on SIGTERM
	if err := tracer.Shutdown(ctx); err != nil {
		fmt.Println(err)
		if errors.Is(err, core.ErrSpansLost) {
			os.Exit(1)
		}
	}
	s := tracer.Stats()
	fmt.Printf("reported %d, dropped %d\n", s.Reported, s.Dropped)
	// Output: reported 1, dropped 0
}

// Read and write several propagation formats while a fleet moves from one
// to another: extraction continues the first valid context in the list,
// injection writes every format.
func ExampleWithPropagation() {
	tracer, err := core.New("mock", core.WithTraceAll(true), core.WithPropagation("b3multi,tracecontext"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tracer.Close()

	// An upstream service still on B3 calls this one...
	downstream := http.Header{}
	handler := tracer.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// ...which calls the next service with both B3 and W3C trace context.
		_ = tracer.Inject(tracer.GetSpan(r).Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(downstream))
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-B3-TraceId", "463ac35c9f6413ad48485a3953bb6124")
	r.Header.Set("X-B3-SpanId", "a2fb4a1d1a96d312")
	r.Header.Set("X-B3-Sampled", "1")
	handler.ServeHTTP(httptest.NewRecorder(), r)

	for _, k := range slices.Sorted(maps.Keys(downstream)) {
		fmt.Println(k)
	}
	fmt.Println("same trace:", downstream.Get("X-B3-TraceId") == "463ac35c9f6413ad48485a3953bb6124" &&
		strings.Contains(downstream.Get("Traceparent"), "463ac35c9f6413ad48485a3953bb6124"))

	_, err = core.New("mock", core.WithPropagation("w3c"))
	fmt.Println(err)
	// Output:
	// Traceparent
	// X-B3-Sampled
	// X-B3-Spanid
	// X-B3-Traceid
	// same trace: true
	// traceplug: WithPropagation("w3c"): propagation: invalid format list: unknown format "w3c" (did you mean "tracecontext"?); valid formats: b3, b3multi, baggage, jaeger, none, ottrace, tracecontext
}

// Correlate logs with traces: records logged with a traced request's
// context get its trace_id and span_id.
func ExampleTracer_LogHandler() {
	tracer, _ := core.New("mock", core.WithTraceAll(true))
	defer tracer.Close()
	var out bytes.Buffer
	noTime := func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}
	logger := slog.New(tracer.LogHandler(slog.NewTextHandler(&out, &slog.HandlerOptions{ReplaceAttr: noTime})))

	handler := tracer.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "get item", "id", r.URL.Query().Get("id"))
	}))
	r := httptest.NewRequest("GET", "/items?id=42", nil)
	r.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") // from upstream
	handler.ServeHTTP(httptest.NewRecorder(), r)
	logger.Info("outside any request")

	// (The span id is random: show which span it is.)
	server := tracer.Unwrap().(*mock.Tracer).FinishedSpans()[0]
	fmt.Print(strings.ReplaceAll(out.String(), fmt.Sprintf("%016x", server.SpanID), "<the server span's id>"))
	// Output:
	// level=INFO msg="get item" id=42 trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=<the server span's id>
	// level=INFO msg="outside any request"
}
