// Package core traces net/http servers and clients with any OpenTracing
// tracer, and lets the tracer's backend be chosen by name: the Go counterpart
// of django_opentracing.
//
// # Quick start
//
// Import the backend you want for its side effect: the blank import (the "_")
// runs the backend package's init function, which registers its name with
// [Register] and does nothing else. Then build a [Tracer] by name:
//
//	import (
//		"github.com/traceplug/traceplug/core"
//		_ "github.com/traceplug/traceplug/backends/console" // registers "console"
//	)
//
//	tracer, err := core.New("console", core.WithServiceName("shop"), core.WithTraceAll(true))
//	if err != nil { ... }
//	srv := &http.Server{Addr: addr, Handler: tracer.Middleware(mux)}
//	...
//	// On SIGTERM: the server first, then the tracer, within a deadline.
//	_ = srv.Shutdown(ctx)
//	if err := tracer.Shutdown(ctx); err != nil { ... } // spans lost: ErrSpansLost
//
// The console backend prints each trace on stderr as it finishes; switching
// to Jaeger is a one-word change: import backends/jaeger and say "jaeger".
// [FromEnv] takes the name and settings from TRACEPLUG_* variables instead,
// and [Wrap] takes any opentracing.Tracer you built yourself. A name nothing
// registered is an error wrapping [ErrUnknownBackend] that says which import
// is missing; a bad option, variable or param one wrapping [ErrBadOption]
// that says what is accepted.
//
// # What gets traced
//
// As in django_opentracing, either every request is traced ([WithTraceAll] and
// [Tracer.Middleware]) or only the handlers wrapped by [Tracer.Trace], the
// decorator. Chosen request attributes become span tags
// ([WithTracedAttributes], [TracedAttributes]) with secrets redacted.
// [Tracer.GetSpan] returns a request's live span, and [Tracer.Transport]
// traces outgoing requests and carries the trace to the next service, in the
// formats [WithPropagation] lists. A service the internet calls directly
// does not continue its callers' traces: [WithPublicEndpoint] starts a new
// trace per request, sampled by the service, linked to the caller's.
//
// # Logs and traces
//
// [Tracer.ContextIDs] returns the trace and span ids of a request's span
// from its context, on every built-in backend but none, and
// [Tracer.LogHandler] is a log/slog handler that adds them to every record
// logged with that context, as trace_id and span_id. [WithLogger] routes
// what backends themselves log (a collector's errors).
//
// # Nothing lost silently
//
// [Tracer.Stats] counts every span: started, finished, reported, dropped
// and why. [Tracer.Shutdown] flushes, and its error wraps [ErrSpansLost],
// with the counts, when any span was dropped.
//
// # Two audiences
//
// Users call [New], [FromEnv], [Wrap], the options and the methods of
// [Tracer]. Backend authors write against package
// github.com/traceplug/traceplug/backend (a Factory, its Config, the
// optional interfaces, the reporting loop) and call [Register] from init, as
// database/sql drivers implement database/sql/driver and call sql.Register;
// the conformance package checks a backend against the behaviour contract
// every built-in backend meets. Router adapters (routers/...) and grpctrace
// serve requests through [Tracer.ServeRoute] and the span-starting methods.
package core
