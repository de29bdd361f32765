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
//		_ "github.com/traceplug/traceplug/backends/jaeger" // registers "jaeger"
//	)
//
//	tracer, err := core.New("jaeger", core.WithServiceName("shop"), core.WithTraceAll(true))
//	if err != nil { ... }
//	defer tracer.Close() // flushes buffered spans
//	http.ListenAndServe(addr, tracer.Middleware(mux))
//
// Switching to Zipkin is a one-word change: import backends/zipkin and say
// "zipkin". [FromEnv] takes the name and settings from TRACEPLUG_* variables
// instead, and [Wrap] takes any opentracing.Tracer you built yourself.
//
// # What gets traced
//
// As in django_opentracing, either every request is traced ([WithTraceAll] and
// [Tracer.Middleware]) or only the handlers wrapped by [Tracer.Trace], the
// decorator. Chosen request attributes become span tags
// ([WithTracedAttributes], [TracedAttributes]) with secrets redacted.
// [Tracer.GetSpan] returns a request's live span, and [Tracer.Transport]
// traces outgoing requests and carries the trace to the next service.
//
// # Two audiences
//
// Users call [New], [FromEnv], [Wrap], the options and the methods of
// [Tracer]. Backend authors implement a [Factory], receive a [Config], and
// call [Register] from init; the conformance package checks a backend against
// the behaviour contract every built-in backend meets.
package core
