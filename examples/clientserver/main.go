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
// With -serve, it keeps serving the app on that address until interrupted,
// with traceplug's debug page (package debugpage) on another, internal
// address, at /debug/traceplug; -load calls the client handlers now and then,
// so that the page has something to show:
//
//	go run ./examples/clientserver -serve 127.0.0.1:8080 -load 500ms
//	# then open http://127.0.0.1:8081/debug/traceplug
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
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/opentracing/opentracing-go"

	_ "github.com/traceplug/traceplug/backends/console"
	_ "github.com/traceplug/traceplug/backends/jaeger"
	_ "github.com/traceplug/traceplug/backends/lightstep"
	_ "github.com/traceplug/traceplug/backends/mock"
	_ "github.com/traceplug/traceplug/backends/none"
	_ "github.com/traceplug/traceplug/backends/otel"
	_ "github.com/traceplug/traceplug/backends/otel/otlpgrpc" // otel over gRPC: TRACEPLUG_ENDPOINT=grpc://127.0.0.1:4317 (docs/jaeger.md)
	_ "github.com/traceplug/traceplug/backends/zipkin"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/debugpage"
)

func main() {
	var sc serveConfig
	flag.StringVar(&sc.addr, "serve", "", "keep serving the app on this address (host:port) until interrupted, with the debug page on -debug")
	flag.StringVar(&sc.debug, "debug", "127.0.0.1:8081", "with -serve: the internal address of the debug page, served at /debug/traceplug")
	flag.DurationVar(&sc.load, "load", 0, "with -serve: call the client handlers every interval (0: never)")
	flag.StringVar(&sc.traceURL, "trace-url", "", "with -serve: link trace ids on the debug page to the backend's UI, such as http://127.0.0.1:16686/trace/{trace_id}")
	flag.Parse()
	var err error
	if sc.addr != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		err = serve(ctx, os.Stdout, sc)
	} else {
		err = run(os.Stdout)
	}
	if err != nil {
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
	tracer, backend, err := newTracer()
	if err != nil {
		return err
	}
	defer tracer.Close()
	logger := newLogger(tracer, out)

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

// newTracer builds the tracer on the backend TRACEPLUG_BACKEND names,
// console by default, with opts, and returns it with the backend's name.
func newTracer(opts ...core.Option) (*core.Tracer, string, error) {
	opts = append([]core.Option{
		core.WithTraceAll(true),
		core.WithTracedAttributes("path", "method"),
	}, opts...)
	if os.Getenv(core.EnvServiceName) == "" {
		opts = append(opts, core.WithServiceName("clientserver"))
	}
	backend := os.Getenv(core.EnvBackend)
	if backend == "" {
		backend = "console"
		endpoint := cmp.Or(os.Getenv(core.EnvEndpoint), "stdout")
		tracer, err := core.New(backend, append(opts, core.WithEndpoint(endpoint))...)
		return tracer, backend, err
	}
	tracer, err := core.FromEnv(opts...)
	return tracer, backend, err
}

// newLogger logs lines with the trace and span ids of the request they are
// about (and no time, to keep the demo's output short).
func newLogger(tracer *core.Tracer, out io.Writer) *slog.Logger {
	return slog.New(tracer.LogHandler(slog.NewTextHandler(out, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	})))
}

// serveConfig is what -serve mode is told.
type serveConfig struct {
	addr, debug string        // the app's address, and the debug page's
	load        time.Duration // how often to call the client handlers; 0: never
	traceURL    string        // debugpage.WithTraceURL's template, or ""
	// ready, if set, is told the addresses once both servers listen.
	ready func(app, debug string)
}

// debugPath is where the debug page is served, on its own address.
const debugPath = "/debug/traceplug"

// serve serves the app on sc.addr, and traceplug's debug page for its
// tracer on sc.debug (an internal port: the page is for developers and
// operators, not for the app's users), until ctx ends; then it stops both
// gracefully, flushes the tracer and prints its counts.
func serve(ctx context.Context, out io.Writer, sc serveConfig) error {
	var pageOpts []debugpage.Option
	if sc.traceURL != "" {
		pageOpts = append(pageOpts, debugpage.WithTraceURL(sc.traceURL))
	}
	page, err := debugpage.New(pageOpts...)
	if err != nil {
		return err
	}
	tracer, backend, err := newTracer(core.WithRecorder(page))
	if err != nil {
		return err
	}
	defer tracer.Close()
	logger := newLogger(tracer, out)

	ln, err := net.Listen("tcp", sc.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	debugLn, err := net.Listen("tcp", sc.debug)
	if err != nil {
		return err
	}
	defer debugLn.Close()
	base := "http://" + dialable(ln.Addr())
	app := &http.Server{Handler: tracer.Middleware(newApp(tracer, logger, base)), ReadHeaderTimeout: 5 * time.Second}
	internal := http.NewServeMux()
	internal.Handle(debugPath, page.Handler(tracer))
	debug := &http.Server{Handler: internal, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 2)
	go func() { served <- app.Serve(ln) }()
	go func() { served <- debug.Serve(debugLn) }()
	pageURL := "http://" + dialable(debugLn.Addr()) + debugPath
	fmt.Fprintf(out, "serving %s (flows: %s); debug page: %s\n", base, strings.Join(flows, ", "), pageURL)
	if sc.ready != nil {
		sc.ready(base, pageURL)
	}

	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		if sc.load <= 0 {
			return
		}
		tick := time.NewTicker(sc.load)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			req, _ := http.NewRequestWithContext(ctx, "GET", base+flows[i%len(flows)], nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served: // a server failed
	}
	<-loadDone
	// Stop gracefully: the servers (requests in flight finish), then the
	// tracer (their spans are flushed), within one deadline.
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = errors.Join(serveErr, app.Shutdown(stopCtx), debug.Shutdown(stopCtx))
	http.DefaultClient.CloseIdleConnections()
	shutdownErr := tracer.Shutdown(stopCtx)
	s := tracer.Stats()
	fmt.Fprintf(out, "%s backend: %d spans reported, %d dropped%s\n", backend, s.Reported, s.Dropped, byReason(s.DroppedBy))
	return errors.Join(err, shutdownErr)
}

// dialable is addr with an unspecified host (":8080", "[::]:8080") made
// the loopback address, for the app to call itself and to print.
func dialable(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok && (tcp.IP == nil || tcp.IP.IsUnspecified()) {
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
	}
	return addr.String()
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
