// Package jaeger is traceplug's Jaeger backend, built on
// github.com/uber/jaeger-client-go. Importing it registers the backend
// "jaeger":
//
//	import _ "github.com/traceplug/traceplug/backends/jaeger"
//
//	tracer, err := core.New("jaeger", core.WithServiceName("shop"))
//
// [New] builds one without the registry, for [core.Wrap].
//
// # Endpoint
//
//   - "udp://HOST:PORT": a Jaeger agent, spans as compact-thrift emitBatch
//     datagrams of at most max_packet_size bytes. The default is
//     udp://127.0.0.1:6831.
//   - "http://HOST:PORT/api/traces" or https: a Jaeger collector, spans as
//     binary-thrift batches. An empty path means /api/traces.
//
// Anything else is an error from [core.New]. Credentials in the endpoint
// (user:password@, query values) reach the collector and nowhere else: every
// log line and error shows the endpoint with them REDACTED.
//
// # Sampling
//
// Sampling is core's: core takes every new trace's decision on a trace id of
// its own and hands the trace to the tracer through
// [Tracer.ImportSpanContext]; the span started from that context is the
// trace's root, with core's trace id and decision (debug sets jaeger's debug
// flag), and no jaeger sampler decides again. jaeger-client-go's own sampler
// samples every trace it starts itself (as a span started on span.Tracer()
// with no parent does).
//
// JAEGER_SAMPLER_TYPE and JAEGER_SAMPLER_PARAM are honoured through
// [Tracer.DefaultSampler], which core asks when neither code nor
// TRACEPLUG_SAMPLER nor OTEL_TRACES_SAMPLER chose a sampler:
//
//	const 1 (any number but 0)  parentbased_always_on
//	const 0 (or no param)       parentbased_always_off
//	probabilistic p             parentbased_traceidratio, p
//	ratelimiting n              parentbased_traceplug_ratelimiting, n (traces a second)
//	remote                      parentbased_jaeger_remote, endpoint=URL,initialSamplingRate=p
//
// The remote sampler's URL is JAEGER_SAMPLING_ENDPOINT (else, as
// jaeger-client-go has it, the sampling port 5778 of JAEGER_AGENT_HOST, else
// http://127.0.0.1:5778/sampling), its initial rate JAEGER_SAMPLER_PARAM
// (else 0.001), and JAEGER_SAMPLER_REFRESH_INTERVAL adds
// pollingIntervalMs. No type but a JAEGER_SAMPLING_ENDPOINT means remote, as
// for jaeger-client-go; another type is passed on for core to reject.
// JAEGER_SAMPLER_MAX_OPERATIONS has no equivalent and is ignored.
//
// # Propagation
//
// The native format is jaeger's: the uber-trace-id header, with baggage in
// uberctx- headers. [core.WithPropagation] takes any list of the formats of
// package [github.com/traceplug/traceplug/propagation] (tracecontext,
// baggage, b3, b3multi, jaeger, ottrace), several at once: core reads and
// writes them through the tracer's [backend.SpanContextCodec]. The tracer's
// Inject and Extract, which jaeger-client-go's tracer ([Tracer.Jaeger], and
// so span.Tracer()) shares, speak the same list for the TextMap and
// HTTPHeaders formats; the Binary format stays jaeger-client-go's own, which
// other jaeger clients read.
//
// A jaeger span context holds:
//   - 128-bit trace ids, both halves (the trace_id_128bit param says only
//     what new traces get);
//   - the sampled and debug flags; a deferred decision (B3 without
//     X-B3-Sampled), which core takes before it imports a context, is
//     taken on arrival as sampled (jaeger-client-go's own B3 propagator
//     would take it as not sampled);
//   - baggage, keys unchanged (header formats lower-case them);
//   - the parent id.
//
// It has no place for W3C tracestate: an incoming tracestate is not passed
// on.
//
// Code that builds its own jaeger-client-go tracer gets jaeger-client-go's
// propagation: uber-trace-id, or the X-B3-* headers and baggage- headers of
// its zipkin.NewZipkinB3HTTPHeaderPropagator, which reads no single b3
// header and takes a missing X-B3-Sampled as not sampled. Services on it
// share traces with this backend under "b3multi".
//
// # Params
//
//	queue_size            spans waiting to be sent; beyond it spans are dropped
//	                      (and counted), never blocking a request (default 10000)
//	flush_interval        how often buffered spans are sent (default 1s)
//	trace_id_128bit       true for 128-bit trace ids (default false)
//	max_tag_value_length  longer string tag values are cut (default 1024)
//	max_packet_size       UDP datagram limit in bytes (default 65000)
//	batch_size            spans per HTTP request (default 100)
//	timeout               HTTP request timeout (default 5s)
//	user, password        HTTP basic auth for the collector
//	http_headers          extra HTTP headers, "Name:value;Name2:value2"
//	log_spans             true to also log each span, at info level through
//	                      core.WithLogger's logger (else the log package)
//
// # Reporting
//
// Spans go through jaeger-client-go's remote reporter (its queue and its
// goroutine) to senders of the backend's own, which write the same bytes as
// jaeger-client-go's UDP and HTTP transports but encode each span once,
// straight from the span into the batch, with a thrift encoder of their own
// (jaeger-client-go's measure each span by encoding it, build thrift structs
// for it, and encode the batch again, through a thrift library that looks
// each field's type up in a map). A span that does not fit in the datagram
// being filled is taken back out and starts the next one.
//
// Trace and span ids are random 64-bit numbers from math/rand/v2
// (jaeger-client-go's own generator repeats ids under load).
//
// A span's first Finish (or FinishWithOptions) finishes and reports it; a
// later one, from any goroutine, does nothing, as on every backend
// (jaeger-client-go's Finish reports the span at every call, so that a span
// finished by a handler and then by the middleware reached the collector
// twice). So the spans [Tracer.StartSpan] returns are not *jaeger.Span but
// jaeger-client-go's spans under a type of the backend's, which costs no
// allocation; they have jaeger.Span's SpanContext method. Spans started on
// [Tracer.Jaeger] (span.Tracer()) are jaeger-client-go's own.
//
// A span too large for one UDP datagram is not dropped, as jaeger-client-go's
// own UDP sender does: its tags and then its logs are cut from the end until
// it fits, and it carries the tag traceplug.truncated with the number of tags
// and logs removed. Only a span that fits no datagram even without them (a
// name of many kilobytes) is dropped, counted as too large.
//
// [Tracer.BackendStats] counts every span as reported or dropped: queue full,
// send failed (the collector unreachable, nothing listening at the agent's
// port), rejected by collector (an HTTP collector's 4xx or 5xx), too large,
// finished after close, unsent at shutdown.
//
// # Delivery over UDP
//
// UDP tells a sender nothing of a datagram delivered. It sometimes tells of
// one refused: when nothing listens at the agent's port, the agent's host
// answers the datagram with an ICMP port unreachable, which Linux keeps on
// the socket and returns, as ECONNREFUSED, from the socket's next write or
// read, naming no datagram; it keeps one such refusal, not one a datagram.
// The write that returns a refusal sends nothing, and is made again.
//
// So a datagram's spans are counted when the next write, or a check at
// Shutdown, says whether a refusal came back since it was sent: as send
// failed if one did, else as reported (until then [core.Tracer.Stats] shows
// them as pending). The refusal is charged to the datagram sent before the
// write or read that reports it, which is the refused one when refusals come
// back before the next datagram leaves: a local agent's host answers before
// the write even returns. Shutdown, after its last datagram, waits up to
// 10ms for a refusal (no longer than its context allows): an agent that
// listens answers nothing, and the wait is that long whenever the last
// datagram was sent less than 10ms before.
//
// What UDP cannot tell, and so counts as reported: a datagram lost on the
// way, dropped by an agent whose socket buffer is full, or refused by a host
// whose answer is filtered out or comes back more than 10ms after the last
// datagram (a far-away agent); and which of several datagrams sent faster
// than their refusals come back was refused (for each refusal, one datagram
// counts as send failed). Other systems than Linux may report no refusal at
// all.
//
// Failed sends and refusals are logged as errors through [core.WithLogger]'s
// logger (the log package by default), at most one line every 10s, saying
// how many were held back.
//
// # Environment
//
// jaeger-client-go's own variables are honoured, below traceplug's settings:
// a setting given in code or in a TRACEPLUG_* variable wins, and a JAEGER_*
// variable fills in only what traceplug left at its default. They are
// JAEGER_SERVICE_NAME, JAEGER_ENDPOINT, JAEGER_AGENT_HOST, JAEGER_AGENT_PORT,
// JAEGER_USER, JAEGER_PASSWORD, JAEGER_SAMPLER_TYPE, JAEGER_SAMPLER_PARAM
// (with JAEGER_SAMPLING_ENDPOINT for the remote sampler: core's sampler,
// see Sampling), JAEGER_TAGS, JAEGER_TRACEID_128BIT,
// JAEGER_REPORTER_MAX_QUEUE_SIZE, JAEGER_REPORTER_FLUSH_INTERVAL,
// JAEGER_REPORTER_LOG_SPANS and JAEGER_DISABLED (true turns the tracer into
// a no-op).
//
// # Shutdown
//
// Close flushes every buffered span. Shutdown(ctx) does the same but returns
// when ctx ends even if the collector hangs, abandoning what is left.
package jaeger
