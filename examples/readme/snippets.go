// Package readme holds the Go snippets of the README that are not whole
// programs, each between a "// snippet:NAME" line and an "// end snippet"
// line, in code that compiles. The README quotes each byte for byte (less
// the common indentation) after a <!-- snippet: examples/readme/snippets.go#NAME -->
// line; readme_test.go checks that it does, and runs each one.
package readme

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/opentracing/opentracing-go"

	_ "github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/debugpage"
)

// tracer is the Tracer the snippets use, as a program's would be.
var tracer *core.Tracer

// decorator wires the decorator snippet: only /checkout is traced.
func decorator(mux *http.ServeMux) (*core.Tracer, error) {
	// snippet:decorator
	tracer, err := core.New("mock") // trace-all off
	if err != nil {
		return nil, err
	}
	mux.Handle("/checkout", tracer.Trace("path", "META")(http.HandlerFunc(checkout)))
	// end snippet
	return tracer, nil
}

func checkout(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "paid") }

// snippet:getspan
func getItem(w http.ResponseWriter, r *http.Request) {
	span := tracer.GetSpan(r) // nil if the request is not traced, or already finished
	if span != nil {
		span.SetTag("item", r.PathValue("id"))
		span.LogKV("event", "cache miss")
	}
	child, ctx := opentracing.StartSpanFromContextWithTracer(r.Context(), tracer, "db query")
	defer child.Finish()
	lookUp(ctx, r.PathValue("id")) // spans started from ctx are children of "db query"
}

// end snippet

func lookUp(ctx context.Context, id string) {
	span, _ := opentracing.StartSpanFromContextWithTracer(ctx, tracer, "SELECT items")
	span.SetTag("item", id)
	span.Finish()
}

// transport makes an outgoing request from a traced handler's request r,
// as the transport snippet does.
func transport(r *http.Request, url string) (*http.Response, error) {
	// snippet:transport
	client := &http.Client{Transport: tracer.Transport(nil)} // nil: http.DefaultTransport
	req, err := http.NewRequestWithContext(r.Context(), "GET", url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req) // a client span, child of the request's span, injected into the headers
	// end snippet
	return resp, err
}

// logs wires the log correlation snippet's handler into mux.
func logs(mux *http.ServeMux) {
	// snippet:logs
	logger := slog.New(tracer.LogHandler(slog.NewJSONHandler(os.Stdout, nil)))
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "get order", "id", r.PathValue("id")) // adds trace_id and span_id
	})
	// end snippet
}

// debugPage wires the debug page snippet: the page records every span the
// tracer finishes, and serves on an internal mux.
func debugPage() (*core.Tracer, *http.ServeMux, error) {
	// snippet:debugpage
	// Trace ids link to Jaeger's query API (to a Jaeger with its UI: /trace/{trace_id}).
	page, err := debugpage.New(debugpage.WithTraceURL("http://127.0.0.1:16686/api/traces/{trace_id}"))
	if err != nil {
		return nil, nil, err
	}
	tracer, err := core.New("mock", core.WithTraceAll(true), core.WithRecorder(page))
	if err != nil {
		return nil, nil, err
	}
	admin := http.NewServeMux() // on an internal port only
	admin.Handle("/debug/traceplug", page.Handler(tracer))
	// end snippet
	return tracer, admin, nil
}
