// Package debugpage is a debug page for a traceplug [core.Tracer]: what the
// Tracer's spans did recently, in plain HTML for a browser and in JSON for
// scripts, with no tracing server at all. It shows:
//
//   - per operation (span name, by kind: "GET /items/{id}", a decorated
//     handler's name, a client's "HTTP GET", a child span's name): requests
//     and errors since the page started, and over the last minute and the
//     last hour the requests, errors, latency percentiles (p50, p90, p99)
//     and maximum, with a small histogram of the hour's latencies;
//   - per operation, the slowest requests of the last hour and the latest
//     failed ones, each with its trace id, status, duration and URL, the id
//     linked to the backend's UI when [WithTraceURL] says how;
//   - the latest traces this process recorded, drawn as waterfalls (each
//     span under its parent, a bar showing when it ran);
//   - the Tracer's accounting ([core.Tracer.Stats]: spans started,
//     finished, reported, dropped by reason, pending, baggage dropped,
//     callback panics) and its settings ([core.Tracer.Settings]: backend,
//     service, endpoint without credentials, sample rate, trace-all,
//     propagation);
//   - its sampling ([core.SamplingStats]): the sampler in force (a
//     ParentBased sampler's root first, its whole description on hover)
//     and where it came from (code, TRACEPLUG_SAMPLER, OTEL_TRACES_SAMPLER,
//     the backend's environment, the default); for Jaeger's remote sampler
//     its endpoint, the strategy, how long ago it was fetched, its polls and
//     the last error; the traces callers forced, within the limit and over
//     it; and per operation, by name, the traces sampled and not and the
//     sampled share (the first 50 operations; the JSON form has them all).
//
// docs/debugpage.png in the repository is a screenshot.
//
// # Use
//
// Build a [Page], give it to the Tracer as its recorder, and mount the
// page's handler where you want it. Nothing mounts it by default. Serve it
// on an internal port only (an admin listener, not the application's): it
// shows operation names, request URLs (redacted as the spans' http.url
// tags), trace ids and the Tracer's settings.
//
//	page, err := debugpage.New(debugpage.WithTraceURL("http://localhost:16686/trace/{trace_id}"))
//	...
//	tracer, err := core.New("jaeger", core.WithTraceAll(true), core.WithRecorder(page))
//	...
//	admin := http.NewServeMux()
//	admin.Handle("/debug/traceplug", page.Handler(tracer))
//	go http.ListenAndServe("127.0.0.1:8081", admin)
//
// The handler answers GET and HEAD: HTML by default, JSON with
// "?format=json", and "?refresh=N" reloads the HTML page every N seconds.
// The HTML is server-rendered (html/template), with inline CSS, no script
// and nothing loaded from the network; its Content-Security-Policy allows
// nothing else.
//
// # The JSON form
//
// An object with "generated" and "recording_since" (times), "settings",
// "stats" (as [core.Stats], snake_case; its "sampling" has "sampler",
// "root" (a ParentBased sampler's), "source", "remote" with "endpoint",
// "strategy", "updated", "age_ns", "last_error", "polls", "failures",
// then "forced", "forced_over_limit", the totals "sampled" and
// "not_sampled", and "operations" by name with "name", "sampled",
// "not_sampled", "sampled_share"), "recorded" (the spans the page
// recorded: "server", "client", "other"), "operations" (each with "kind",
// "name", "requests", "errors", "last_minute" and "last_hour" windows
// with "requests", "errors", "p50_ns", "p90_ns", "p99_ns", "max_ns",
// "histogram_last_hour" bars with "from_ns", "to_ns", "count", and
// "slowest" and "failed" requests with "trace_id", "span_id", "trace_url",
// "start", "duration_ns", "status", "error", "url"), "traces" (each with
// "trace_id", "trace_url", "start", "duration_ns", "errors" and "spans"
// with "span_id", "parent_id", "depth", "operation", "kind", "offset_ns",
// "duration_ns", "status", "error", "url") and "limits" (the sizes below).
// Durations are integer nanoseconds.
//
// # What is recorded
//
// A Page records what the Tracer tells its [core.Recorder]: the spans the
// Tracer starts and finishes itself. Those are server spans
// ([core.Tracer.Middleware], [core.Tracer.Trace]), client spans
// ([core.Tracer.Transport]), and spans started through the Tracer
// ([core.Tracer.StartSpan], so opentracing.StartSpanFromContextWithTracer
// with the Tracer, and opentracing's global tracer when the Tracer is
// built [core.WithGlobal]), whose children started with span.Tracer() are
// recorded too. Not recorded: spans started with a server or client span's
// own span.Tracer() (which is the backend's tracer), with
// [core.Tracer.Unwrap]'s tracer or by a backend's own instrumentation, all
// of which bypass the Tracer; and gRPC calls (package grpctrace), whose
// spans core finishes with instrument.FinishSpan, which learns neither
// when they started nor their name. The backend has them all: the page is
// a view of this process, not a tracing backend.
//
// A trace on the page is the spans of the ring of latest spans that share a
// trace id: a trace that crossed other processes shows only this one's
// spans (its server span's parent, the caller's client span, is elsewhere),
// and one whose early spans left the ring shows what is left.
//
// Trace and span ids are computed when the page is drawn, with
// [core.Tracer.SpanContextIDs], only for the spans kept: never on the
// request path. A backend that cannot give ids (a tracer given to
// [core.Wrap] that is no [backend.SpanContextCodec] and injects no format
// traceplug reads) shows no ids and draws no waterfalls; the statistics are
// there all the same.
//
// # Secrets
//
// The page shows no tag, log or baggage of any span. The strings it shows
// are span names, URLs as the Tracer tagged them (userinfo and fragments
// dropped, secret query values and JSON Web Tokens REDACTED, within the tag
// length cap), the endpoint redacted the same way, the sampler's
// description and a remote sampler's endpoint (without userinfo or query)
// and last error, ids, and numbers. The HTML page escapes every one. A
// [core.WithOperationName] function that puts secrets in span names sends
// them to the backend, and the page shows them too.
//
// # The hook, and its cost
//
// The Tracer calls the page synchronously as each span ends, through the
// small [core.Recorder] interface given once, with [core.WithRecorder], when
// the Tracer is built. Its settings are frozen then, as all of a Tracer's
// are: the request path reads one field and pays one nil check when no
// page is attached, and the Tracer never has to synchronise a recorder
// that could come or go (an attach-after-build design would need an atomic
// load per span, and a page that sees only part of the traffic).
//
// With a page attached, a server request allocates nothing more, and reads
// the clock no more often (the Tracer then reads it at the start and at the
// end of each server span and gives those times to the backend, which so
// reads it no more itself). It costs the page's recording (one lock, a
// cached lookup of the operation, counters in one time bin, a copy into the
// ring: about 600 instructions), and the garbage collector's work on the
// spans the page keeps alive, which is most of a collection's work only
// when the rest of the heap is empty. On a 2-vCPU machine, BenchmarkServer
// (medians of 10) measured 88 ns more per request (1.51 µs to 1.60 µs) with
// a 64 MB heap, as a service has, and 261 ns more with an otherwise empty
// heap, where each collection marks little but the page's spans. A client
// request allocates nothing more either (about 230 ns more with an empty
// heap), and a span started through the Tracer one allocation more (a
// wrapper of the backend's span, to see its end: so a type assertion of
// such a span to the backend's span type fails while a page is attached;
// about 180 ns). The benchmarks in this package measure each path beside
// the same path without a page.
//
// # Memory
//
// Fixed by the options, whatever the traffic: per operation (at most
// [WithMaxOperations], 100 by default, the rest counted together) about
// 9 KB of histograms (log-linear buckets, four per power of two from 1µs
// to 69s, in 6 bins of 10 seconds and 12 of 5 minutes) and its slowest and
// failed requests ([WithSlowest], [WithFailed]); and a ring of the latest
// spans ([WithRecentSpans], 256). The spans kept (those of the ring and the
// requests kept per operation) keep the backend's span objects alive until
// they leave: about 1,300 spans with the defaults.
//
// A Page is safe for concurrent use. Give it to one Tracer.
package debugpage
