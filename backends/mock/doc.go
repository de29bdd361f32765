// Package mock is traceplug's embedded, in-memory backend: a complete
// OpenTracing tracer that records finished spans instead of sending them, for
// tests, examples and demos that need no server.
//
// Importing it registers the backend "mock":
//
//	import _ "github.com/traceplug/traceplug/backends/mock"
//
//	tracer, err := core.New("mock")
//
// [New] builds one without the registry. The recorded spans are read with
// [Tracer.FinishedSpans] (through [core.Tracer.Unwrap]), or, across several
// tracers, through a [Collector]: point tracers at it with
// core.WithEndpoint(collector.Endpoint()).
//
// Unlike opentracing-go's mocktracer, it never panics on a parent from another
// tracer or a nil one (the reference is ignored and counted in
// [Span.IgnoredReferences]), records a span finished twice only once (and
// counts the extra finish, see [Tracer.DoubleFinishes]), and supports the
// TextMap, HTTPHeaders and Binary formats. It is safe for concurrent use.
//
// # Configuration
//
//   - Endpoint: "" (record in the tracer only) or "mem://NAME", the endpoint of
//     a live [Collector], which then receives each finished span too.
//   - Sample rate: honoured; unsampled spans are propagated but not recorded.
//   - Propagation: every format of core.WithPropagation; W3C trace context
//     and baggage ("tracecontext,baggage") by default. The mock's span
//     contexts keep 128-bit trace ids and W3C tracestate, and the Binary
//     format is traceplug's own (see backend.Propagator).
//   - Params: max_spans, how many finished spans the tracer keeps in memory
//     ([DefaultMaxSpans] by default): the newest; older ones are evicted and
//     counted ([Tracer.Evicted]).
package mock
