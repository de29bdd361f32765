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
// error from [core.New].
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
// Baggage: zipkin-go-opentracing drops baggage items, and B3 has no header
// for them, so the backend's spans carry baggage themselves, and it travels
// as one baggage-KEY header per item, the convention jaeger's B3 propagator
// uses: baggage crosses a fleet of zipkin and jaeger (b3) services.
//
// # Sampling and propagation
//
// The sample rate picks zipkin-go's always- and never-samplers for 1 and 0 and
// its boundary sampler (by trace id, so every service of a trace agrees) in
// between. Propagation is B3, the native format: "" and "b3" are accepted.
// Incoming contexts are read from the multi headers (X-B3-*) or the single
// "b3" header; outgoing ones are written as the b3_inject param says.
//
// # Params
//
//	batch_size      spans per HTTP request to start a send (default 100)
//	batch_interval  longest wait before sending (default 1s)
//	backlog         spans zipkin-go's reporter buffers while the collector is
//	                slow; beyond it the oldest are dropped (default 10000)
//	queue_size      spans waiting to reach the reporter; beyond it spans are
//	                dropped and counted, never blocking a request (default 10000)
//	timeout         HTTP request timeout (default 5s)
//	trace_id_128bit true for 128-bit trace ids (default false)
//	shared_spans    true to have a server join its client's span, Zipkin's
//	                shared-span model (default false: each server span is its
//	                own child of the client span, as in every other backend)
//	local_endpoint  HOST:PORT of this service, for the local endpoint
//	b3_inject       "multi" (X-B3-* headers, the default), "single" (one b3
//	                header) or "both"
//
// # Shutdown
//
// Close flushes every buffered span. Shutdown(ctx) does the same but returns
// when ctx ends even if the collector hangs, abandoning what is left.
package zipkin
