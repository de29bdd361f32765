// Package otmock is a traceplug backend written outside traceplug, as any
// third party would write one: it plugs opentracing-go's own mocktracer
// (github.com/opentracing/opentracing-go/mocktracer) into traceplug, and
// sends the spans it finishes, as JSON, to a collector over HTTP. It is the
// running example of traceplug's guide for backend authors
// (docs/backends.md), and passes traceplug's conformance suite.
//
// Importing it registers the backend "otmock"; its init function does that
// and nothing else:
//
//	import _ "example.com/thirdparty/otmock" // registers "otmock"
//
//	tracer, err := core.New("otmock", core.WithEndpoint("http://127.0.0.1:9999/spans"))
//	defer tracer.Close() // flushes the spans still queued
//
// [New] builds a tracer from a [backend.Config] without the registry.
//
// # Configuration
//
//   - Endpoint: the collector's URL, http or https; "" means
//     http://127.0.0.1:9999/spans, and a URL without a path gets /spans.
//   - Service name and tags (core.WithServiceName, core.WithTag): sent with
//     every batch, as its service and process tags.
//   - Sampling: core decides each trace where it enters the service, with
//     the user's sampler (core.WithSampleRate, core.WithSampler, rules,
//     TRACEPLUG_SAMPLER, OTEL_TRACES_SAMPLER), and hands otmock only the
//     traces it samples, a new one as a trace id without a span id (see
//     [Tracer.ImportSpanContext]); otmock keeps core's decision. The sample
//     rate (backend.Config.SampleRate) decides only the traces otmock starts
//     itself (roots started through span.Tracer(), or when core does not
//     sample: [New] used alone, or given to core.Wrap with no sampler
//     chosen) and a caller's deferred decision (as B3 allows) that reaches
//     it. Unsampled spans are propagated, not sent, and counted neither
//     reported nor dropped. A span tagged sampling.priority (an int or
//     uint16) overrides the decision, as mocktracer lets it: 0 leaves a span
//     of a sampled trace out.
//   - Propagation: every format of core.WithPropagation; W3C trace context
//     and baggage ("tracecontext,baggage") by default. The Binary format is
//     traceplug's own (see backend.Propagator).
//   - Params (core.WithParam), anything else being an error:
//     queue_size (spans waiting to be sent, 4096), batch_size (spans per
//     POST, 100), flush_interval (the longest a span waits for a batch to
//     fill, 1s) and timeout (of one POST, 5s).
//
// otmock reads no environment variables.
//
// # What it sends
//
// Finished, sampled spans go into a bounded queue (Finish never blocks: a
// span that finds the queue full is dropped and counted), and one background
// goroutine sends them in batches, each a POST of one [Batch] as JSON
// (Content-Type application/json), answered with any 2xx status. A failed
// POST is not retried. Shutdown and Close send every span still queued,
// returning when done or when Shutdown's context ends; no goroutine is left
// running after them. [Tracer.BackendStats] (so core's Tracer.Stats) counts
// every sampled span as reported or dropped, with core's drop reasons.
//
// # What mocktracer cannot hold
//
// mocktracer's span context, mocktracer.MockSpanContext, has int trace and
// span ids, a sampled flag and baggage, and nothing else. So:
//
//   - A 128-bit trace id continues under its low 64 bits: the high half is
//     lost, and the next service sees a 64-bit id (on a 32-bit platform,
//     where int has 32 bits, an id that does not fit starts a new trace).
//     Core sees this, and begins otmock's new traces with 64-bit ids.
//   - W3C tracestate is dropped, and so are a debug flag (it becomes
//     sampled) and an incoming parent id.
//   - Span ids, and the trace ids of the traces otmock starts itself, are
//     mocktracer's: a process-wide counter starting at 43, unique within a
//     process but not across processes. Do not run two services on otmock
//     against one real collector and expect their spans apart. (The traces
//     core begins have its random trace ids.)
//
// mocktracer panics on a reference to another tracer's span context; otmock
// ignores such references (the span starts a new trace, tagged
// traceplug.dropped_reference) and never passes them on. Span.Log, which
// mocktracer refuses with a panic, is kept as log fields.
//
// A Tracer is safe for concurrent use.
package otmock
