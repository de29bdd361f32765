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
// the endpoint itself. The default is ingest.lightstep.com:443.
//
// # Access token
//
// The access_token param, else the LIGHTSTEP_ACCESS_TOKEN variable. It is sent
// to the collector and nowhere else: it is never a tag and never logged (the
// backend routes lightstep's diagnostics through the log package with every
// access token redacted, by installing lightstep's global event handler; call
// lightstep.SetGlobalEventHandler after core.New to use your own).
//
// # Service name, tags, sampling
//
// The service name is Lightstep's component name. Process tags are reporter
// tags; the command line, which lightstep-tracer-go would send whole (and
// which may hold secrets), is replaced by the program's name. Lightstep has no
// sampler of its own: with a sample rate below 1, new traces are sampled at
// that rate here (unsampled ones still propagate, marked not sampled), and
// continued traces follow the caller's decision. System metrics are never
// sent: this version of lightstep-tracer-go has no collector for them, and
// traceplug turns them off explicitly.
//
// # Propagation
//
// "" or "lightstep" for lightstep's ot-tracer-* headers and ot-baggage-*
// baggage; "b3" for X-B3-* headers (read and written by traceplug, since
// lightstep-tracer-go's B3 propagator misreads 128-bit trace ids), with
// baggage as baggage-* headers as jaeger's B3 propagator writes it.
//
// Lightstep's spans and wire format carry 64-bit trace ids: a trace that
// arrives with a 128-bit id continues, here and downstream, as its low 64
// bits.
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
// when ctx ends even if the collector hangs.
package lightstep
