// Package zipkin is traceplug's Zipkin backend, built on
// github.com/openzipkin-contrib/zipkin-go-opentracing over
// github.com/openzipkin/zipkin-go, sending spans as Zipkin v2 JSON over HTTP.
// Importing it registers the backend "zipkin":
//
//	import _ "github.com/traceplug/traceplug/backends/zipkin"
//
//	tracer, err := core.New("zipkin", core.WithServiceName("shop"))
//
// [New] builds one without the registry, for [core.Wrap].
//
// # Endpoint
//
// The collector's URL; the default is http://127.0.0.1:9411/api/v2/spans. An
// http(s) URL with an empty path gets /api/v2/spans. Anything else is an
// error from [core.New]. Credentials in it (user:password@, query values)
// reach the collector and nowhere else: every log line and error shows the
// endpoint with them REDACTED.
//
// # Mapping
//
// Zipkin's v2 model lower-cases service and span names on the wire:
// "GET /items/{id}" arrives as "get /items/{id}".
//
// span.kind (server, client, producer, consumer) becomes the Zipkin span's
// kind; the service name and the local_endpoint param its local endpoint;
// peer.service, peer.ipv4, peer.ipv6 and peer.port its remote endpoint. Other
// tags become string tags. Each log record becomes one annotation per field,
// "key:value", all with the record's timestamp.
//
// # Sampling
//
// Sampling is core's: core takes every new trace's decision on a trace id of
// its own and hands the trace to the tracer through
// [Tracer.ImportSpanContext]; the span started from that context is the
// trace's root, with core's trace id and decision (debug is zipkin's debug
// flag). zipkin-go's sampler takes only what is left to it (a trace that
// zipkin-go starts itself, a decision still open): the sample rate, which
// core leaves at 1, picks zipkin-go's always- and never-samplers for 1 and
// 0 and its boundary sampler (by trace id, so every service of a trace
// agrees) in between.
//
// # Propagation
//
// The native format is B3's multiple headers (X-B3-*), as zipkin-go injects
// them; the b3_inject param picks the single b3 header ("single", the
// format "b3") or both ("both", "b3multi,b3") instead. Either B3 format
// reads the single header and the multiple ones. [core.WithPropagation]
// takes any list of the formats of package
// [github.com/traceplug/traceplug/propagation] (tracecontext, baggage, b3,
// b3multi, jaeger, ottrace), several at once, in place of the native one:
// core reads and writes them through the tracer's [backend.SpanContextCodec].
// The tracer's Inject and Extract (its spans' Tracer() is the tracer itself)
// speak the same list for TextMap and HTTPHeaders, and traceplug's own
// Binary format, which zipkin-go-opentracing lacks.
//
// A zipkin span context holds:
//   - 128-bit trace ids, both halves (the trace_id_128bit param says only
//     what new traces get);
//   - the sampling decision, deferred included: a B3 context without
//     X-B3-Sampled is decided by the sampler, on the trace id, when the first
//     span of the trace starts here, as zipkin-go does;
//   - zipkin's debug flag (X-B3-Flags: 1, b3's "d", jaeger's debug flag);
//   - the parent id (a shared server span, with shared_spans, reports it);
//   - baggage: zipkin-go-opentracing drops baggage items, so the backend's
//     spans and span contexts carry them themselves. Over B3 they travel as
//     baggage-KEY headers (as jaeger's B3 propagator writes them) and
//     ot-baggage-KEY headers (as lightstep-tracer-go's does).
//
// It has no place for W3C tracestate: an incoming tracestate is not passed
// on.
//
// Code that uses zipkin-go's tracer directly ([Tracer.Zipkin]) gets
// zipkin-go's own propagation (its propagation/b3 package): B3 headers only,
// without baggage.
//
// # Params
//
//	batch_size      spans per HTTP request (default 100)
//	batch_interval  longest wait before sending (default 1s)
//	backlog         spans held for another try while the collector gives no
//	                answer; beyond it the oldest are dropped (default 10000)
//	queue_size      spans waiting to be batched; beyond it spans are dropped
//	                and counted, never blocking a request (default 10000)
//	timeout         HTTP request timeout (default 5s)
//	trace_id_128bit true for 128-bit trace ids (default false)
//	shared_spans    true to have a server join its client's span, Zipkin's
//	                shared-span model (default false: each server span is its
//	                own child of the client span, as in every other backend)
//	local_endpoint  HOST:PORT of this service, for the local endpoint
//	b3_inject       the native B3 headers: "multi" (X-B3-* headers, the
//	                default), "single" (one b3 header) or "both"; an error
//	                beside WithPropagation, which replaces them
//
// # Reporting
//
// The backend sends spans with a reporter of its own rather than zipkin-go's
// HTTP reporter, on zipkin-go's terms: a batch goes when it holds
// batch_size spans or batch_interval has passed, as Zipkin v2 JSON (the
// bytes zipkin-go writes) with the header b3: 0; a request that gets no
// answer is tried again with the next batch, within the backlog, and at
// Close for the last time (what that send fails to deliver is dropped as
// send failed); an answer other than 2xx drops its spans. Unlike
// zipkin-go's, it never blocks a request (a full queue drops the span), it
// counts every span as reported or dropped in [Tracer.BackendStats] (queue
// full, backlog full, send failed, rejected by collector, cannot be
// encoded, finished after close, unsent at shutdown: what Shutdown's
// deadline cut short),
// and it drops a span that Zipkin's JSON cannot carry (a timestamp before
// 1970 or past 2262, a negative duration) rather than the whole batch, again
// and again; a log of such a time is dropped alone, the span kept.
// Requests to the collector are POSTs of at most batch_size spans.
//
// Failed sends, refusals and drops are logged as errors through
// [core.WithLogger]'s logger (the log package by default), at most one line
// every 10s, saying how many were held back.
//
// # Shutdown
//
// Close flushes every buffered span. Shutdown(ctx) does the same but returns
// when ctx ends even if the collector hangs, abandoning what is left.
package zipkin
