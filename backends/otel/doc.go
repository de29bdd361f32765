// Package otel is traceplug's OpenTelemetry backend: OpenTracing spans
// written straight over the OpenTelemetry SDK's spans, exporting OTLP over
// HTTP/protobuf, or over gRPC with the otlpgrpc package imported. Importing
// it registers the backend "otel":
//
//	import _ "github.com/traceplug/traceplug/backends/otel"
//
//	tracer, err := core.New("otel", core.WithServiceName("shop"))
//
// [New] builds one without the registry, for [core.Wrap].
//
// # Endpoint
//
// An http:// or https:// URL sends OTLP over HTTP/protobuf; an empty path
// means /v1/traces. The default is http://127.0.0.1:4318/v1/traces.
// grpc://HOST:PORT (grpcs:// for TLS) sends OTLP over gRPC, as does an http
// or https URL (plaintext or TLS) with the protocol param "grpc", or a bare
// HOST:PORT with the protocol "grpc" (TLS unless OTEL_EXPORTER_OTLP_INSECURE
// is true); the gRPC default is 127.0.0.1:4317. An OTLP/HTTP endpoint's
// query string is sent as is (otlptracehttp drops it). Anything else is an
// error from [core.New].
//
// The gRPC exporter is a module of its own, so that a program exporting
// over HTTP links no gRPC, and has none among its modules; one more import
// adds it:
//
//	import _ "github.com/traceplug/traceplug/backends/otel/otlpgrpc" // OTLP over gRPC
//
// Without it, a setting that chooses gRPC (an endpoint's scheme, the
// protocol param, OTEL_EXPORTER_OTLP_PROTOCOL) is an error from [core.New],
// wrapping core.ErrBadOption, that names the setting and this import.
//
// # Params
//
//	protocol         "http/protobuf" (the default) or "grpc" (with
//	                 otlpgrpc imported: see Endpoint)
//	headers          request headers, "name=value,name2=value2", values
//	                 percent-encoded: credentials for a hosted backend
//	compression      "gzip" or "none" (the default)
//	certificate      a PEM file of the CA certificates that verify the
//	                 collector's, for a TLS endpoint (default: the system's)
//	client_certificate, client_key
//	                 PEM files of the client's certificate and key, for
//	                 mutual TLS; one without the other is an error
//	queue_size       spans waiting to be sent; beyond it spans are dropped
//	                 and counted, never blocking a request (default 10000)
//	batch_size       spans per export (default 512)
//	export_interval  longest wait before a batch is sent (default 1s)
//	export_timeout   longest time one export may take, retries included
//	                 (default 10s)
//
// Headers' values are sent to the collector and nowhere else: they are
// never logged, never in an error, never a tag; text a collector sends back
// has them removed before it is logged.
//
// # Your own TracerProvider
//
// A service that has set up the OpenTelemetry SDK already (its own
// sdktrace.TracerProvider, with its sampler, processors, resource and
// exporters to a vendor or stdout) puts traceplug on it with
// [WithTracerProvider] (or [NewWithProvider], for core.Wrap):
//
//	tracer, err := core.New("otel", otel.WithTracerProvider(tp), core.WithTraceAll(true))
//
// The backend then builds no pipeline: no SDK provider, span processor,
// OTLP client or goroutine of its own, and reads no OTLP exporter, batch or
// resource variable (only OTEL_PROPAGATORS, for propagation). Spans start
// through tp in the scope github.com/traceplug/traceplug, looking as they
// do on the built-in pipeline; everything below (OpenTelemetry code,
// globals, baggage, propagation) holds over tp. Core decides sampling
// first: a trace it does not sample never reaches tp, and one it samples
// is still subject to tp's sampler (the SDK's default, ParentBased with
// AlwaysSample, keeps every one). BackendStats counts nothing, as tp's
// exporters deliver and drop out of traceplug's sight. Close calls tp's
// ForceFlush, never its Shutdown: tp is the service's to shut down. An
// endpoint, the pipeline's params, a service name or tags given with tp
// are an error: they are tp's to configure. NewWithProvider says it all.
//
// # Environment
//
// The OpenTelemetry SDK's variables are honoured below traceplug's own
// settings: a setting given in code (or in a TRACEPLUG_* variable, or as a
// param) wins, an OTEL_* variable fills in what traceplug left unset, and
// traceplug's default applies when neither is set. Of two variables for a
// setting, the TRACES_ one wins. A bad value is an error from [core.New]
// naming the variable and the valid values.
//
//	setting             traceplug (wins)            OpenTelemetry variables, first set wins        default
//	service.name        WithServiceName             OTEL_SERVICE_NAME, then service.name in        the program's name
//	                                                OTEL_RESOURCE_ATTRIBUTES
//	resource attributes WithTag, per key            OTEL_RESOURCE_ATTRIBUTES                       telemetry.sdk.*
//	endpoint            WithEndpoint                OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is),    see Endpoint
//	                                                OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces for HTTP)
//	protocol            protocol param, or the      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,            http/protobuf
//	                    endpoint's scheme           OTEL_EXPORTER_OTLP_PROTOCOL (only with an
//	                                                endpoint that is not traceplug's)
//	headers             headers param               OTEL_EXPORTER_OTLP_TRACES_HEADERS,             none
//	                                                OTEL_EXPORTER_OTLP_HEADERS (the whole list)
//	compression         compression param           OTEL_EXPORTER_OTLP_TRACES_COMPRESSION,         none
//	                                                OTEL_EXPORTER_OTLP_COMPRESSION
//	OTel propagator     WithPropagation             OTEL_PROPAGATORS                               tracecontext,baggage
//	queue_size          queue_size param            OTEL_BSP_MAX_QUEUE_SIZE                        10000
//	batch_size          batch_size param            OTEL_BSP_MAX_EXPORT_BATCH_SIZE                 512
//	export_interval     export_interval param       OTEL_BSP_SCHEDULE_DELAY (ms)                   1s
//	export_timeout      export_timeout param        the smaller of OTEL_BSP_EXPORT_TIMEOUT and     10s
//	                                                OTEL_EXPORTER_OTLP_TRACES_TIMEOUT,
//	                                                OTEL_EXPORTER_OTLP_TIMEOUT (ms), of those set
//	CA certificates     certificate param           OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE,         the system's
//	                                                OTEL_EXPORTER_OTLP_CERTIFICATE
//	client certificate  client_certificate param    OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE,  none
//	                                                OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE
//	client key          client_key param            OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY,          none
//	                                                OTEL_EXPORTER_OTLP_CLIENT_KEY
//	TLS                 the endpoint's scheme       OTEL_EXPORTER_OTLP_TRACES_INSECURE,            TLS
//	                                                OTEL_EXPORTER_OTLP_INSECURE (HOST:PORT only)
//	proxy               none                        HTTPS_PROXY, HTTP_PROXY, NO_PROXY              none
//
// OTEL_PROPAGATORS takes tracecontext, baggage, b3 (single header), b3multi,
// jaeger, ottrace and none. The SDK's own OTEL_SPAN_*_LIMIT variables apply
// as the SDK reads them. No other variable is read: OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG are core's, which reads them for every backend
// (see Sampling). The protocol http/json is not spoken: it is an error.
//
// The certificate settings are paths of PEM files: the CA certificates
// that verify the collector's (in place of the system's), and the
// client's certificate and private key for mutual TLS. Each is read on its
// own, in the order above; a certificate without a key, or a key without
// a certificate, is an error, as is a file that cannot be read or holds no
// PEM (the error names the setting and the path, never the file's text).
// They apply to a TLS endpoint: for a plaintext one the variables are
// ignored, with a log line, and the params are an error. When a collector
// asks for a client certificate and gets none it accepts, the log line of
// the failed export says so. A handshake that fails for good (a
// certificate that does not verify, an alert from the collector, a
// collector that speaks no TLS) is not tried again; over gRPC, one that
// reads as a broken connection is, until export_timeout.
//
// As the OTLP exporter specification says, an endpoint's scheme decides
// its security: https and grpcs are TLS, http and grpc plaintext, whatever
// the insecure variables say (a log line says when they disagree). The
// variables decide for a gRPC endpoint given as HOST:PORT, without a
// scheme (with the protocol param "grpc", or an OTEL_EXPORTER_OTLP_*
// endpoint with a protocol variable "grpc"): TLS unless the variable is
// "true" ("true" or "false", in any case). The OpenTelemetry Go exporters
// let the variables override the scheme too.
//
// OTEL_EXPORTER_OTLP_TIMEOUT bounds an export as OTEL_BSP_EXPORT_TIMEOUT
// does, retries included: in the SDK the batch processor's timeout bounds
// its call of the exporter, whose own timeout bounds the export, so the
// smaller of the two applies; here one deadline does both. (The SDK also
// applies the defaults, 30s and 10s, of one that is not set.)
//
// An OTLP/HTTP request goes through the proxy that HTTPS_PROXY (for an
// https endpoint) or HTTP_PROXY (http) names, unless NO_PROXY names its
// host or the host is a loopback one, as otlptracehttp's does with
// http.ProxyFromEnvironment; the variables are read when the Tracer is
// built (http.ProxyFromEnvironment reads them once in a process's life).
// OTLP/gRPC goes through grpc-go's proxy, as otlptracegrpc's does: the one
// HTTPS_PROXY names (with CONNECT), unless NO_PROXY names the host, read
// through http.ProxyFromEnvironment (see the otlpgrpc package). An
// OTLP/HTTP endpoint's query is sent with every request (otlptracehttp
// drops it), and REDACTED in logs and errors; a gRPC endpoint's query is
// dropped.
//
// # Spans
//
// The backend declares OpenTelemetry's semantic conventions
// ([backend.Conventions]): unless the user chose others
// (core.WithConventions, TRACEPLUG_CONVENTIONS), traceplug's server, client
// and gRPC spans carry the stable HTTP and RPC conventions, with span names
// and status as otelhttp and otelgrpc write them ("GET /items/{id}",
// http.request.method, url.full, server.address, rpc.system.name, ...;
// docs/attributes.md has the table). A tag otel.status_description sets the
// status to ERROR with that description, and is no attribute.
//
// Spans started through OpenTracing (traceplug's middleware and transport,
// and any OpenTracing code) are SDK spans in the instrumentation scope
// github.com/traceplug/traceplug. A span.kind start tag becomes the span's
// kind (server spans SERVER, client spans CLIENT); error=true becomes status
// ERROR; other tags become attributes. An error log (event=error) with a
// message, as traceplug writes for a panic, becomes an "exception" event
// with exception.message and exception.type (the Go type of an error.object
// that is an error), and the status's description, which a later
// error=true keeps. A span.kind tag set after the span started is ignored
// (the kind is fixed at start), as is an error tag that is not the boolean
// true. Tags convert as OpenTelemetry's OpenTracing bridge converts them
// (integers to int64, uint64 and uint to strings, other types to their
// text), and logs become events named after their "event" field. A span's parent is its first
// ChildOf reference, else its first FollowsFrom one; every other reference
// becomes a link, as does a FollowsFrom parent, with an
// ot-span-reference-type attribute (extra-child-of, follows-from-ref); a
// reference to another tracer's span context is ignored, and the span is
// tagged traceplug.dropped_reference. Baggage items follow OpenTelemetry's
// rules: an empty key, or text that is not UTF-8, is dropped.
//
// The service name and tags are resource attributes.
//
// # Sampling
//
// Core decides which new traces are sampled (by its sampler, which
// OTEL_TRACES_SAMPLER may choose), for this backend as for every other: it
// picks the trace id and hands the backend the trace to start, with its
// decision, through [Tracer.ImportSpanContext]. The SDK's sampler obeys: the
// root of a trace handed over as sampled is sampled, with the handed trace
// id; one handed over as not sampled records nothing, is never exported, and
// propagates its trace id with the sampled flag off. A span with a parent
// follows the parent's decision, as ParentBased does; a root started
// without a hand-off (through the tracer without core, or on
// [Tracer.TracerProvider]) is sampled.
//
// # OpenTelemetry code in the same process
//
// [Tracer.TracerProvider] is an OpenTelemetry TracerProvider on the same SDK:
// its spans go to the same collector, a span it starts from a traced
// request's context (r.Context()) is a child of the request's span, and
// OpenTracing code that starts a span from the context it returns continues
// it. Attributes that OpenTelemetry code sets on the span it finds in such
// a context (trace.SpanFromContext) and the OpenTracing span's tags are
// applied in the order they were set. A span started with the SDK itself
// rather than this provider is unknown to OpenTracing code.
//
// With [core.WithGlobal], the provider and [Tracer.TextMapPropagator] are
// also OpenTelemetry's globals (otel.GetTracerProvider,
// otel.GetTextMapPropagator) from when the Tracer is built until its
// Shutdown: otel.Tracer, otelhttp and otelgrpc in a traced request make
// children of its span, and propagate them in traceplug's formats, with
// nothing else set up. The globals forward to the last Tracer of the
// backend built WithGlobal, as OpenTracing's global tracer does, so that a
// tracer or propagator that code took from them before (a library's
// package-level otel.Tracer, an otelhttp transport made at start-up)
// follows it, and never feeds a Tracer that was shut down; with none live
// they trace and propagate nothing. Shutdown puts back the globals that were
// there before, each only if it is still the backend's: one that the
// application set in between stays. Without WithGlobal the backend leaves
// OpenTelemetry's globals alone; to set them by hand:
//
//	ot := tracer.Unwrap().(*otel.Tracer)
//	otelapi.SetTracerProvider(ot.TracerProvider())
//	otelapi.SetTextMapPropagator(ot.TextMapPropagator())
//
// A span's OpenTracing baggage (the W3C baggage its request came with, and
// the items set before it is put in a context) is OpenTelemetry baggage
// (go.opentelemetry.io/otel/baggage) in every context the span is put in, a
// request's included, over what the context held: baggage.FromContext sees
// it. Baggage that OpenTelemetry code sets in a context
// (baggage.ContextWithBaggage) is OpenTracing baggage in the spans it then
// starts there, so traceplug's Transport sends it on a call made in such a
// span's context; the OpenTracing span already in the context (the
// request's) does not hold it. [Tracer.ContextBaggage] reads it from a
// context. [Tracer.ContextWithCarried] puts the trace of a request that
// records nothing where OpenTelemetry code finds it.
//
// # Propagation
//
// The native formats are W3C trace context and baggage (traceparent,
// tracestate and baggage headers). The tracer is a [backend.SpanContextCodec]:
// core reads and writes every format of WithPropagation for it, and the
// Binary format in traceplug's encoding; the tracer's own Inject and Extract
// (and those of span.Tracer(), which is the tracer) do the same. W3C
// tracestate passes through; OpenTelemetry has no deferred sampling decision
// (B3's) nor debug flag, so an incoming context without a decision is
// sampled, and debug means sampled.
// [Tracer.TextMapPropagator], for OpenTelemetry code, speaks the formats of
// WithPropagation, else of OTEL_PROPAGATORS, else the native ones.
//
// # Queue and accounting
//
// Spans are sent by the backend's own batch span processor (the SDK's
// BatchSpanProcessor counts nothing it drops): a bounded queue that a
// finishing span never waits on, and one goroutine that exports batches,
// retrying failures that the collector marks as temporary (429, 502, 503,
// 504; gRPC Unavailable and the like) until export_timeout. A TLS failure (a
// certificate that does not verify, a collector that refuses the client's)
// is not retried, as otlptracehttp does not. A refused connection (nothing listens; recognised on Unix systems) is not retried:
// the batch is lost at once, and Close does not wait on a collector that is
// down. A batch over gRPC's default 4 MiB message limit, or that the
// collector refuses as too large, is sent in halves, so that a span too
// large for the collector is dropped alone and the rest of its batch is
// delivered. Every sampled
// span is counted in [Tracer.BackendStats] (and so in core's Stats) as
// reported or dropped: queue full, rejected by collector (an error answer,
// or the spans an OTLP partial success rejects), too large (HTTP 413, or a
// gRPC message over the collector's limit), send failed (no collector, no
// answer in time), unsent at shutdown, or finished after close. Spans that
// are not sampled are neither. Collector errors are logged through the log
// package, at most one line every 10s.
//
// The exporter writes OTLP's ExportTraceServiceRequest itself, straight from
// the SDK's spans in protobuf's wire format: the message OpenTelemetry's
// OTLP exporter sends, at a fifth of its cost and with two allocations a
// batch instead of some 24 a span. Text that is not UTF-8 (a tag holding a
// header's bytes) goes with U+FFFD in place of each run of invalid bytes, so
// that one such string does not make the collector refuse the batch.
//
// # Shutdown
//
// Close sends every queued span and closes the connection. Shutdown(ctx) does
// the same but returns by ctx's deadline even when the collector hangs: the
// export under way is aborted, and what was not sent is counted as unsent
// at shutdown. No goroutine of the backend outlives Shutdown. The SDK's
// tracer provider stays usable after Shutdown, so that spans ending later
// are counted (as finished after close) rather than lost unseen.
package otel
