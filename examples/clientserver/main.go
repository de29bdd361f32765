// Command clientserver is django_opentracing's example in Go: one program that
// is both a client and a server. Its client handlers (/client/simple,
// /client/log, /client/childspan) call its server handlers (/server/simple,
// /server/log, /server/childspan) over real HTTP on 127.0.0.1, through a
// traced transport; the server handlers log to their span and start a child
// span, as the seed's views do.
//
// Run as a command, it starts, makes those calls, stops gracefully, prints
// what the tracer did with its spans (core.Tracer.Stats) and exits, non-zero
// if any span was lost:
//
//	go run ./examples/clientserver
//
// The backend is the one TRACEPLUG_BACKEND names (console, mock, none, jaeger,
// zipkin or lightstep), configured by the other TRACEPLUG_* variables (see
// core.FromEnv). By default it is the console backend, which needs no server:
// it prints each trace as a waterfall on stdout (or to the file
// TRACEPLUG_ENDPOINT names) as soon as it finishes. Each client handler logs
// a line with its trace and span ids (core.Tracer.LogHandler), to find the
// trace by, here or in a real backend's UI:
//
//	TRACEPLUG_BACKEND=jaeger go run ./examples/clientserver
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/opentracing/opentracing-go"

	_ "github.com/traceplug/traceplug/backends/console"
	_ "github.com/traceplug/traceplug/backends/jaeger"
	_ "github.com/traceplug/traceplug/backends/lightstep"
	_ "github.com/traceplug/traceplug/backends/mock"
	_ "github.com/traceplug/traceplug/backends/none"
	_ "github.com/traceplug/traceplug/backends/otel"
	_ "github.com/traceplug/traceplug/backends/zipkin"
	"github.com/traceplug/traceplug/core"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "clientserver:", err)
		os.Exit(1)
	}
}

// flows are the client handlers main calls, one trace each.
var flows = []string{"/client/simple", "/client/log", "/client/childspan"}

// run starts the app on 127.0.0.1, calls each flow, stops, and prints the
// tracer's counts to out. Its error wraps core.ErrSpansLost when the backend
// lost spans.
func run(out io.Writer) error {
	opts := []core.Option{
		core.WithTraceAll(true),
		core.WithTracedAttributes("path", "method"),
	}
	if os.Getenv(core.EnvServiceName) == "" {
		opts = append(opts, core.WithServiceName("clientserver"))
	}
	backend := os.Getenv(core.EnvBackend)
	var tracer *core.Tracer
	var err error
	if backend == "" {
		backend = "console"
		endpoint := cmp.Or(os.Getenv(core.EnvEndpoint), "stdout")
		tracer, err = core.New(backend, append(opts, core.WithEndpoint(endpoint))...)
	} else {
		tracer, err = core.FromEnv(opts...)
	}
	if err != nil {
		return err
	}
	defer tracer.Close()
	// Log lines with the trace and span ids of the request they are about
	// (no time, to keep the demo's output short).
	logger := slog.New(tracer.LogHandler(slog.NewTextHandler(out, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	})))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: tracer.Middleware(newApp(tracer, logger, base)), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	for _, path := range flows {
		resp, err := http.Get(base + path)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s: %s", path, resp.Status, body)
		}
	}

	// Stop gracefully: the server (requests in flight finish), then the
	// tracer (their spans are flushed), within one deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	shutdownErr := tracer.Shutdown(ctx)
	s := tracer.Stats()
	fmt.Fprintf(out, "%s backend: %d spans reported, %d dropped%s\n", backend, s.Reported, s.Dropped, byReason(s.DroppedBy))
	return shutdownErr
}

// byReason is " (3 queue full, 1 send failed)", or "".
func byReason(dropped map[string]uint64) string {
	var parts []string
	for reason, n := range dropped {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, reason))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	slices.Sort(parts)
	return " (" + strings.Join(parts, ", ") + ")"
}

// newApp is the seed example's views: client views that call server views.
func newApp(tracer *core.Tracer, logger *slog.Logger, base string) http.Handler {
	client := &http.Client{Transport: tracer.Transport(nil), Timeout: 10 * time.Second}
	mux := http.NewServeMux()

	callServer := func(path string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			logger.InfoContext(r.Context(), "calling the server", "path", path)
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
