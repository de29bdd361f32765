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
// Anything else is an error from [core.New].
//
// # Sampling
//
// The sample rate picks jaeger's const sampler for 0 and 1 (so every trace is
// sampled by default) and its probabilistic sampler in between. Jaeger's
// remote sampler, which starts at 1 in 1000 and needs a sampling server, is
// never used unless JAEGER_SAMPLER_TYPE=remote asks for it.
//
// # Propagation
//
// The native format is jaeger's: the uber-trace-id header, with baggage in
// uberctx- headers. [core.WithPropagation] takes any list of the formats of
// package [github.com/traceplug/traceplug/propagation] (tracecontext,
// baggage, b3, b3multi, jaeger, ottrace), several at once: core reads and
// writes them through the tracer's [core.SpanContextCodec]. The tracer's
// Inject and Extract, which jaeger-client-go's tracer ([Tracer.Jaeger], and
// so span.Tracer()) shares, speak the same list for the TextMap and
// HTTPHeaders formats; the Binary format stays jaeger-client-go's own, which
// other jaeger clients read.
//
// A jaeger span context holds:
//   - 128-bit trace ids, both halves (the trace_id_128bit param says only
//     what new traces get);
//   - the sampled and debug flags; a deferred decision (B3 without
//     X-B3-Sampled) is taken on arrival by the tracer's sampler, on the
//     trace id, as for a new trace (jaeger-client-go's own B3 propagator
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
//	log_spans             true to also log each span through the log package
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
// A span too large for one UDP datagram is not dropped, as jaeger-client-go's
// own UDP sender does: its tags and then its logs are cut from the end until
// it fits, and it carries the tag traceplug.truncated with the number of tags
// and logs removed. Only a span that fits no datagram even without them (a
// name of many kilobytes) is dropped, counted as too large.
//
// [Tracer.BackendStats] counts every span as reported or dropped: queue full,
// send failed (the agent or the collector unreachable), rejected by collector
// (an HTTP collector's 4xx or 5xx), too large, finished after close, unsent
// at shutdown.
//
// # Environment
//
// jaeger-client-go's own variables are honoured, below traceplug's settings:
// a setting given in code or in a TRACEPLUG_* variable wins, and a JAEGER_*
// variable fills in only what traceplug left at its default. They are
// JAEGER_SERVICE_NAME, JAEGER_ENDPOINT, JAEGER_AGENT_HOST, JAEGER_AGENT_PORT,
// JAEGER_USER, JAEGER_PASSWORD, JAEGER_SAMPLER_TYPE, JAEGER_SAMPLER_PARAM
// (with JAEGER_SAMPLING_ENDPOINT for the remote sampler), JAEGER_TAGS,
// JAEGER_TRACEID_128BIT, JAEGER_REPORTER_MAX_QUEUE_SIZE,
// JAEGER_REPORTER_FLUSH_INTERVAL, JAEGER_REPORTER_LOG_SPANS and
// JAEGER_DISABLED (true turns the tracer into a no-op).
//
// # Shutdown
//
// Close flushes every buffered span. Shutdown(ctx) does the same but returns
// when ctx ends even if the collector hangs, abandoning what is left.
package jaeger
