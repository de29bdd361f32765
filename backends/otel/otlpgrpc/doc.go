// Package otlpgrpc is the OTLP/gRPC exporter of traceplug's otel backend.
// Importing it lets the backend export over gRPC:
//
//	import (
//		_ "github.com/traceplug/traceplug/backends/otel"          // registers the backend "otel"
//		_ "github.com/traceplug/traceplug/backends/otel/otlpgrpc" // lets it export OTLP over gRPC
//	)
//
//	tracer, err := core.New("otel", core.WithEndpoint("grpc://collector:4317"))
//
// The blank import registers the exporter with the backend in the
// package's init, and does nothing else: no connection, no goroutine, no
// environment read. It is a module of its own
// (github.com/traceplug/traceplug/backends/otel/otlpgrpc), so that a program
// that exports over HTTP, the otel backend's default, neither links gRPC
// nor finds it among its modules. Without it, a setting that chooses gRPC is
// an error from core.New (and from otel.New) that names the setting and
// this import.
//
// Every setting is the otel backend's, read as its package documentation
// says (# Endpoint, # Params, # Environment): the endpoint grpc://HOST:PORT
// (grpcs:// for TLS), an http or https URL with the protocol param "grpc",
// or HOST:PORT with the protocol "grpc" (TLS unless
// OTEL_EXPORTER_OTLP_INSECURE is true); OTEL_EXPORTER_OTLP_PROTOCOL=grpc
// for an endpoint from the environment; the default endpoint
// 127.0.0.1:4317; headers, sent as gRPC metadata; gzip compression; the
// certificates; the export's timeout, which the call's deadline carries. A
// gRPC endpoint's path is an error, and its query is dropped.
//
// The exporter calls the OTLP TraceService's Export with the request the
// backend encodes, as application/grpc, and reads the answer's partial
// success. A failure the collector marks as temporary (Unavailable,
// DeadlineExceeded, Aborted, OutOfRange, DataLoss, and ResourceExhausted
// other than a message over its limit) is tried again until
// export_timeout; a refused connection, and a TLS handshake that fails for
// good, are not. A batch over gRPC's default 4 MiB message limit (the
// OpenTelemetry Collector's too) is sent in halves, so that a span too
// large is dropped alone. The backend counts every span as the otel
// package's # Queue and accounting says.
//
// OTLP/gRPC goes through grpc-go's proxy, as otlptracegrpc's does: the one
// HTTPS_PROXY names (with CONNECT), unless NO_PROXY names the host, read
// through http.ProxyFromEnvironment, once in a process's life.
//
// Tests that need an OTLP collector over gRPC import
// [github.com/traceplug/traceplug/backends/otel/otlpgrpc/otlpgrpctest],
// which serves the oteltest collector over gRPC.
package otlpgrpc
