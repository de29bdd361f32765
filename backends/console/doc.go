// Package console is traceplug's backend for seeing traces with no server:
// it prints each trace, when its local root span finishes, as a small text
// waterfall — every span under its parent, with its service, operation,
// kind, duration, a bar showing when it ran within the trace, its tags, its
// logs, and errors marked. It is a complete tracer (ids, sampling, baggage
// and every propagation format, through the embedded mock backend), so a
// service on console continues and passes on traces like any other.
//
// Importing it registers the backend "console":
//
//	import _ "github.com/traceplug/traceplug/backends/console"
//
//	tracer, err := core.New("console", core.WithServiceName("shop"), core.WithTraceAll(true))
//
// or, from the environment, TRACEPLUG_BACKEND=console. [New] builds one
// without the registry, and [NewWriter] one that prints to any io.Writer.
//
// A trace as it prints (a request to /checkout, whose handler started a
// child span that failed):
//
//	trace 4bf92f3577b34da6a3ce929d0e0e4736 (service shop, 2 spans, 10ms)
//	  POST /checkout [server]      10ms |████████████████████████████████████████|
//	      http.method=POST http.status_code=502 http.url=/checkout
//	    charge card ERROR           5ms |        ████████████████████            |
//	        card=visa
//	        +4ms event=error message="card declined"
//
// The trace id is the one [core.Tracer.ContextIDs] gives and
// [core.Tracer.LogHandler] adds to log records as trace_id, so log lines and
// traces find each other.
//
// # When a trace prints
//
// A span's local root is the first span of its trace in this process: one
// with no parent, or whose parent came from another process (an incoming
// request's). The trace prints when its last open local root finishes, with
// every span of it finished by then, under the service name; a span that
// finishes later prints on its own, marked late. Shutdown prints what is
// still held, marked incomplete. At most 1000 traces of 1000 spans each are
// held unprinted; spans beyond are dropped and counted (core's Stats,
// "queue full"), as are spans that finish after Shutdown ("finished after
// close").
//
// # Configuration
//
//   - Endpoint: where the waterfalls go: "" or "stderr" (the default),
//     "stdout", or the path of a file, created or appended to, and closed
//     by Shutdown.
//   - Sample rate: honoured; unsampled traces are propagated, not printed.
//   - Propagation: every format of core.WithPropagation; W3C trace context
//     and baggage by default, as the mock.
//   - Tags: process tags are printed in each trace's header line.
//   - Params: none.
//
// Writes to the output are serialized, one trace at a time. A Tracer is
// safe for concurrent use.
package console
