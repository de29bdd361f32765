// Package lightstep is traceplug's Lightstep backend, built on
// github.com/lightstep/lightstep-tracer-go, reporting over HTTP (protobuf
// reports POSTed to /api/v2/reports) or gRPC (the collector service).
// Importing it registers the backend "lightstep":
//
//	import _ "github.com/traceplug/traceplug/backends/lightstep"
//
//	tracer, err := core.New("lightstep",
//		core.WithEndpoint("collector.example.com:443"),
//		core.WithParam("access_token", token)) // or LIGHTSTEP_ACCESS_TOKEN
//
// [New] builds one without the registry, for [core.Wrap].
//
// # Endpoint
//
// HOST:PORT of a collector or satellite, over TLS unless the plaintext param
// is true; "http://HOST:PORT" and "https://HOST:PORT" say plaintext or TLS in
// the endpoint itself. The default is ingest.lightstep.com:443. Credentials
// go in the access token, never in the endpoint: one with userinfo
// ("user:pass@") is an error, which shows it REDACTED.
//
// # Access token
//
// The access_token param, else the LIGHTSTEP_ACCESS_TOKEN variable. It is sent
// to the collector and nowhere else: it is never a tag and never logged (the
// backend routes lightstep's diagnostics through [core.WithLogger]'s logger,
// the log package by default, with every access token redacted, by
// installing lightstep's global event handler; call
// lightstep.SetGlobalEventHandler after core.New to use your own).
//
// # Service name, tags, sampling
//
// The service name is Lightstep's component name. Process tags are reporter
// tags; the command line, which lightstep-tracer-go would send whole (and
// which may hold secrets), is replaced by the program's name. Lightstep has no
// sampler of its own. Core decides which new traces are sampled and hands
// the backend each new trace, its trace id and decision, through
// [Tracer.ImportSpanContext]: the root is started with that trace id (its
// low 64 bits) and decision (unsampled traces still propagate, marked not
// sampled, and report nothing). Continued traces follow the caller's
// decision. With a sample rate below 1 in [backend.Config] (core passes 1), new
// traces started without a hand-off are sampled at that rate here; at 1,
// every one is.
//
// System metrics are never sent: this version of lightstep-tracer-go has no
// collector for them, and traceplug turns them off explicitly.
//
// # Propagation
//
// The native format is the OpenTracing basic tracer's, lightstep-tracer-go's
// own: ot-tracer-traceid, ot-tracer-spanid and ot-tracer-sampled, with
// baggage in ot-baggage- headers. [core.WithPropagation] takes any list of
// the formats of package [github.com/traceplug/traceplug/propagation]
// (tracecontext, baggage, b3, b3multi, jaeger, ottrace), several at once:
// core reads and writes them through the tracer's [backend.SpanContextCodec].
// The tracer's Inject and Extract (its spans' Tracer() is the tracer itself)
// speak the same list for TextMap and HTTPHeaders, and traceplug's own Binary
// format. Over B3, baggage travels as ot-baggage- headers, which
// lightstep-tracer-go's B3 propagator reads and writes, and as baggage-
// headers, which jaeger's and zipkin's read; ids lightstep-tracer-go writes
// without leading zeros are read. (lightstep-tracer-go's B3 propagator
// requires X-B3-Sampled, which a deferred decision leaves out.)
//
// A lightstep span context holds a sampling decision ("true" or "false"),
// baggage, and 64-bit trace ids:
//   - lightstep has no deferred decision: a deferred one (B3 without
//     X-B3-Sampled, ottrace without ot-tracer-sampled) is taken on arrival at
//     the sample rate, by the trace id, so that every lightstep service of
//     the trace takes the same one;
//   - nor a debug flag: debug means sampled;
//   - its spans copy only the low 64 bits of a parent's trace id, and report
//     no more: a trace that arrives with a 128-bit id (a W3C traceparent,
//     say) continues, here and downstream, as its low 64 bits, which the
//     next service receives zero-padded (in traceparent, a different trace
//     id);
//   - it has no place for W3C tracestate, nor the parent id: an incoming
//     tracestate is not passed on.
//
// Code that uses lightstep-tracer-go's tracer directly ([Tracer.Lightstep])
// gets its own propagation: ot-tracer-* for TextMap and HTTPHeaders, its
// protobuf Binary format; so do its spans' Tracer(). Its spans, finished
// after Shutdown, are buffered where nothing reads them (and counted as
// finished after close).
//
// # Params
//
//	access_token          the project's access token
//	transport             "http" (default) or "grpc"
//	plaintext             true to connect without TLS (default false)
//	max_buffered_spans    spans buffered between reports; beyond it spans are
//	                      dropped and counted, never blocking a request
//	                      (default 10000)
//	reporting_period      longest time between reports (default 2.5s)
//	min_reporting_period  shortest time between reports (default 500ms)
//	report_timeout        timeout of one report (default 30s)
//	max_report_bytes      reports are split into parts of about this size, so
//	                      that a collector's message limit (gRPC's default is
//	                      4 MiB) never refuses a whole report (default 3 MiB)
//
// # Shutdown
//
// Close flushes every buffered span. Shutdown(ctx) does the same but returns
// when ctx ends even if the collector hangs. Spans finished after Shutdown
// began are dropped, and counted as finished after close.
//
// # Reporting
//
// A report the collector answers with an error (an HTTP status other than
// 200, a gRPC status other than Unavailable, DeadlineExceeded or Canceled)
// is dropped, and its spans counted as rejected by collector; one that gets
// no answer (nothing listens, or no answer within report_timeout) is kept
// and sent again with the next report, within max_buffered_spans, and at
// Shutdown for the last time: what that fails to deliver is counted as send
// failed, and what Shutdown's deadline cuts short as unsent at shutdown, as
// on every backend. Both are logged.
package lightstep
