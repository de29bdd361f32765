// Command quickstart is the README's Quick start: an HTTP service traced on
// the backend TRACEPLUG_BACKEND names (console when it is unset, as in the
// demo), which stops gracefully on Ctrl-C or SIGTERM, flushing every span.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/opentracing/opentracing-go"

	_ "github.com/traceplug/traceplug/backends/console" // registers "console": prints each trace
	_ "github.com/traceplug/traceplug/backends/none"    // registers "none": tracing off
	_ "github.com/traceplug/traceplug/backends/zipkin"  // registers "zipkin"
	"github.com/traceplug/traceplug/core"
)

func main() {
	// Settings come from TRACEPLUG_* variables, over these defaults: the
	// console backend, the service "shop", every request traced.
	tracer, err := core.FromEnv(core.Defaults(
		core.WithBackend("console"), core.WithServiceName("shop"), core.WithTraceAll(true)))
	if err != nil {
		log.Fatal(err) // a bad or missing variable, or a missing import, says so
	}
	// Log lines get the trace_id and span_id of the request they are about.
	logger := slog.New(tracer.LogHandler(slog.NewTextHandler(os.Stderr, nil)))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "get item", "id", r.PathValue("id"))
		span, _ := opentracing.StartSpanFromContextWithTracer(r.Context(), tracer, "load item")
		time.Sleep(time.Millisecond) // stands in for a database call
		span.Finish()
		fmt.Fprintf(w, "item %s\n", r.PathValue("id"))
	})
	srv := &http.Server{Handler: tracer.Middleware(mux), ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", "localhost:"+port())
	if err != nil {
		log.Fatal(err)
	}
	logger.Info("listening", "url", "http://"+ln.Addr().String()+"/items/42")
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	<-ctx.Done() // Ctrl-C or SIGTERM

	// Stop within 10s: the server first, so that requests in flight finish,
	// then the tracer, which flushes their spans.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		logger.Error("stopping the server", "err", err)
	}
	if err := tracer.Shutdown(ctx); err != nil {
		log.Fatal(err) // spans lost: how many, and why (core.ErrSpansLost)
	}
	s := tracer.Stats()
	logger.Info("stopped", "spans_reported", s.Reported, "spans_dropped", s.Dropped)
}

// port is $PORT, or 8080.
func port() string {
	if p := os.Getenv("PORT"); p != "" {
		return p
	}
	return "8080"
}
