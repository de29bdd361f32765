// Package backend is the side of traceplug that backend authors write
// against, as database/sql/driver is the side of database/sql that drivers
// implement: applications use package core, and never need this one.
//
// A backend is a package whose init function registers a [Factory] with
// core.Register, and nothing else:
//
//	func init() { core.Register("otmock", factory) }
//
//	func factory(cfg backend.Config) (opentracing.Tracer, func(context.Context) error, error) {
//		...
//	}
//
// The Factory receives the user's settings as a [Config] (its params read
// through a [ParamReader]) and returns an opentracing.Tracer. That tracer
// may implement optional interfaces core asks for once, when the
// core.Tracer is built:
//
//   - [SpanContextCodec] converts its span contexts to and from the neutral
//     propagation.SpanContext: core then reads and writes every propagation
//     format for it (a [Propagator] gives the backend's own Inject and
//     Extract the same formats), decides sampling where a trace enters the
//     service, and carries unsampled traces without bothering the backend.
//     [NativePropagation] names its default formats.
//   - [StatsReporter] counts what it reports and drops, so that
//     core.Tracer.Stats and core.Tracer.Shutdown account for every span;
//     [SpanCounts] keeps those counts exact, with the drop reasons below.
//   - [BaggageHeaders], [SamplerDefault], [Globalizer], [CarriedContext] and
//     [ContextBaggage] for what only some ecosystems have.
//
// [Reporter] is the reporting loop the built-in backends share: a bounded
// queue that Finish never waits on, batches, flush, abort at Shutdown's
// deadline, exact counts, and a [Logger] that keeps a collector's outage
// from flooding the log. A backend that sends spans over HTTP uses [Conn].
//
// The conformance package checks a backend against the behaviour contract
// every built-in backend meets; docs/backends.md in the repository walks
// through writing one, with examples/thirdparty as the running example.
package backend
