// Command clientserver is django_opentracing's example in Go: one program that
// is both a client and a server. Its client handlers (/client/simple,
// /client/log, /client/childspan) call its server handlers (/server/simple,
// /server/log, /server/childspan) over real HTTP on 127.0.0.1, through a
// traced transport; the server handlers log to their span and start a child
// span, as the seed's views do.
//
// Run as a command, it starts, makes those calls, prints each trace as a small
// waterfall (spans indented under their parents, a bar for each span's time)
// and exits:
//
//	go run ./examples/clientserver
//
// The backend is the one TRACEPLUG_BACKEND names (mock, none, jaeger, zipkin
// or lightstep), configured by the other TRACEPLUG_* variables (see
// core.FromEnv); by default it is the embedded mock, which needs no server,
// and whose spans the waterfall shows. With another backend the spans go to
// its collector and the program prints the trace ids to look up there:
//
//	TRACEPLUG_BACKEND=jaeger go run ./examples/clientserver
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/opentracing/opentracing-go"

	_ "github.com/traceplug/traceplug/backends/jaeger"
	_ "github.com/traceplug/traceplug/backends/lightstep"
	"github.com/traceplug/traceplug/backends/mock"
	_ "github.com/traceplug/traceplug/backends/none"
	_ "github.com/traceplug/traceplug/backends/zipkin"
	"github.com/traceplug/traceplug/core"
)

func main() {
	if _, err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "clientserver:", err)
		os.Exit(1)
	}
}

// flows are the client handlers main calls, one trace each.
var flows = []string{"/client/simple", "/client/log", "/client/childspan"}

// run starts the app on 127.0.0.1, calls each flow, and prints the traces. It
// returns the spans the embedded mock collected (nil for other backends).
func run(out io.Writer) ([]mock.Span, error) {
	opts := []core.Option{
		core.WithTraceAll(true),
		core.WithTracedAttributes("path", "method"),
	}
	if os.Getenv(core.EnvServiceName) == "" {
		opts = append(opts, core.WithServiceName("clientserver"))
	}
	var col *mock.Collector
	backend := os.Getenv(core.EnvBackend)
	if (backend == "" || backend == "mock") && os.Getenv(core.EnvEndpoint) == "" {
		col = mock.NewCollector()
		defer col.Close()
		opts = append(opts, core.WithEndpoint(col.Endpoint()))
	}
	var tracer *core.Tracer
	var err error
	if backend == "" {
		tracer, err = core.New("mock", opts...)
	} else {
		tracer, err = core.FromEnv(opts...)
	}
	if err != nil {
		return nil, err
	}
	defer tracer.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	base := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: tracer.Middleware(newApp(tracer, base)), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	var traceIDs []string
	for _, path := range flows {
		resp, err := http.Get(base + path)
		if err != nil {
			return nil, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, body)
		}
		traceIDs = append(traceIDs, resp.Header.Get(traceHeader))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return nil, err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return nil, err
	}
	if err := tracer.Shutdown(ctx); err != nil {
		return nil, err
	}

	if col == nil {
		fmt.Fprintf(out, "sent %d traces to the %s backend:\n", len(flows), backend)
		for i, id := range traceIDs {
			if id == "" {
				id = "(none: this backend injects no trace id)"
			}
			fmt.Fprintf(out, "  %-18s trace %s\n", flows[i], id)
		}
		return nil, nil
	}
	spans := col.Spans()
	printWaterfalls(out, spans)
	return spans, nil
}

// traceHeader carries each request's trace id back to main, for printing.
const traceHeader = "X-Trace-Context"

// traceID reads span's trace id from what the tracer injects: the first
// field of uber-trace-id, or X-B3-TraceId, ot-tracer-traceid or mock-traceid.
func traceID(tracer opentracing.Tracer, span opentracing.Span) string {
	carrier := opentracing.TextMapCarrier{}
	if tracer.Inject(span.Context(), opentracing.TextMap, carrier) != nil {
		return ""
	}
	for k, v := range carrier {
		switch strings.ToLower(k) {
		case "uber-trace-id":
			id, _, _ := strings.Cut(v, ":")
			return id
		case "x-b3-traceid", "ot-tracer-traceid", "mock-traceid":
			return v
		}
	}
	return ""
}

// newApp is the seed example's views: client views that call server views.
func newApp(tracer *core.Tracer, base string) http.Handler {
	client := &http.Client{Transport: tracer.Transport(nil), Timeout: 10 * time.Second}
	mux := http.NewServeMux()

	callServer := func(path string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if span := tracer.GetSpan(r); span != nil {
				w.Header().Set(traceHeader, traceID(tracer, span))
			}
			req, err := http.NewRequestWithContext(r.Context(), "GET", base+path, nil)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			resp, err := client.Do(req)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close() // finishes the client span
			_, _ = io.Copy(w, resp.Body)
		}
	}
	mux.HandleFunc("GET /client/simple", callServer("/server/simple"))
	mux.HandleFunc("GET /client/log", callServer("/server/log"))
	mux.HandleFunc("GET /client/childspan", callServer("/server/childspan"))

	mux.HandleFunc("GET /server/simple", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "server/simple: ok\n")
	})
	mux.HandleFunc("GET /server/log", func(w http.ResponseWriter, r *http.Request) {
		if span := tracer.GetSpan(r); span != nil {
			span.LogKV("event", "Hello, world!")
		}
		_, _ = io.WriteString(w, "server/log: logged\n")
	})
	mux.HandleFunc("GET /server/childspan", func(w http.ResponseWriter, r *http.Request) {
		child, _ := opentracing.StartSpanFromContextWithTracer(r.Context(), tracer, "child_span")
		time.Sleep(2 * time.Millisecond) // the child's work
		child.Finish()
		_, _ = io.WriteString(w, "server/childspan: done\n")
	})
	return mux
}
