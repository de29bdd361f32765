package backend

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/internal/textutil"
	"github.com/traceplug/traceplug/propagation"
)

// Factory builds a backend's tracer from cfg. It is what a backend package hands
// to core.Register from its init function, and it is called by core.New and core.FromEnv
// each time a user asks for that backend, never at import.
//
// A Factory returns the backend's tracer and a shutdown function that flushes
// every buffered span and releases the backend's resources. Shutdown must return
// by the time its context ends, even when the collector hangs; it is called at
// most once. It may be nil when the backend buffers nothing.
//
// A Factory should reject what it does not understand (an endpoint it cannot
// use, an unknown param, a propagation format it does not speak) with an error
// that says what to fix; [Config.CheckParams] and [Config.Reader] help with
// params.
//
// The tracer may implement the optional interfaces [StatsReporter],
// [SpanContextCodec], [NativePropagation], [BaggageHeaders],
// [SamplerDefault], [Globalizer], [CarriedContext] and [ContextBaggage];
// core asks for them once, when the core.Tracer is built.
type Factory func(cfg Config) (tracer opentracing.Tracer, shutdown func(context.Context) error, err error)

// Config is what a [Factory] receives: the user's settings, validated and with
// defaults applied. Backends treat it as read-only.
type Config struct {
	// ServiceName names the traced service; never empty.
	ServiceName string
	// Endpoint says where the backend sends spans; empty means the backend's
	// documented default.
	Endpoint string
	// SampleRate is the fraction of new traces to sample, in [0, 1]. It is 1
	// unless the user set it: every backend samples everything by default.
	SampleRate float64
	// Tags are process-level tags to attach to every span (or to the process,
	// where the backend's model has one).
	Tags map[string]string
	// Params are backend-specific settings, by name; each backend documents its
	// own and rejects unknown ones.
	Params map[string]string
	// Values are backend-specific settings that are Go values rather than
	// text (an object the application built), given with
	// core.WithParamValue, by name. They share the namespace of Params:
	// [Config.CheckParams] checks their names too.
	Values map[string]any
	// Propagation is the user's list of propagation formats, validated and
	// normalized ("tracecontext,baggage"), or "" for the backend's native
	// format. A backend whose tracer implements [SpanContextCodec] may ignore
	// it: core then reads and writes every listed format for it. Any other
	// backend must speak the listed formats itself or reject them.
	Propagation string
	// Logger is where the backend logs what goes wrong away from requests
	// (a collector that is down or refuses spans), as the user chose with
	// WithLogger; nil means the standard log package. Log errors at
	// [slog.LevelError] or warnings at [slog.LevelWarn], never on the
	// request path, and hold back repeats of one error (log it once every
	// few seconds, saying how many were held back).
	Logger *slog.Logger

	// ServiceNameSet and SampleRateSet say whether the user chose the service
	// name and sample rate (in code or in TRACEPLUG_* variables) rather than
	// leaving traceplug's defaults, so that a backend may let its own
	// environment variables (JAEGER_SERVICE_NAME, say) fill in the rest.
	// A backend documents that precedence.
	ServiceNameSet, SampleRateSet bool
}

// Param returns the param named key and whether it was set.
func (c Config) Param(key string) (string, bool) {
	v, ok := c.Params[key]
	return v, ok
}

// Value returns the param named key that was given as a Go value
// (core.WithParamValue), and whether it was set.
func (c Config) Value(key string) (any, bool) {
	v, ok := c.Values[key]
	return v, ok
}

// CheckParams returns an error naming every param in c (in Params or
// Values) that is not one of known, so that a misspelt setting is reported
// rather than ignored.
func (c Config) CheckParams(backend string, known ...string) error {
	var unknown []string
	for k := range c.Params {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	for k := range c.Values {
		if _, text := c.Params[k]; !text && !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	if len(known) == 0 {
		return BadOptionf("%s: unknown param %s (%s takes no params)",
			backend, strings.Join(quoteAll(unknown), ", "), backend)
	}
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	hint := ""
	if len(unknown) == 1 {
		if s := textutil.Suggest(unknown[0], sorted); s != "" {
			hint = fmt.Sprintf("; did you mean %q?", s)
		}
	}
	return BadOptionf("%s: unknown param %s (known params: %s%s)",
		backend, strings.Join(quoteAll(unknown), ", "), strings.Join(sorted, ", "), hint)
}

// Reader returns a [ParamReader] for the params of backend in c.
func (c Config) Reader(backend string) *ParamReader {
	return &ParamReader{params: c.Params, backend: backend}
}

// ParamReader reads a backend's typed params, keeping the first error so that
// a backend can read every param and check once:
//
//	p := cfg.Reader("zipkin")
//	size := p.Int("queue_size", 1000)
//	timeout := p.Duration("timeout", 5*time.Second)
//	if err := p.Err(); err != nil {
//		return nil, err
//	}
//
// An error names the backend and the param and says what it accepts; it wraps
// [ErrBadOption]. A ParamReader is not safe for concurrent use.
type ParamReader struct {
	params  map[string]string
	backend string
	err     error
}

// Err returns the first error met, or nil.
func (p *ParamReader) Err() error { return p.err }

func (p *ParamReader) fail(key, v, want string) {
	if p.err == nil {
		p.err = BadOptionf("%s: param %q: %q is not %s", p.backend, key, textutil.Cap(v, 100), want)
	}
}

// String returns the param key, or def when it is not set.
func (p *ParamReader) String(key, def string) string {
	if v, ok := p.params[key]; ok {
		return v
	}
	return def
}

// Int returns the integer param key, or def when it is not set.
func (p *ParamReader) Int(key string, def int) int {
	v, ok := p.params[key]
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		p.fail(key, v, "an integer")
		return def
	}
	return n
}

// Positive returns the integer param key, which must be at least 1, or def
// when it is not set.
func (p *ParamReader) Positive(key string, def int) int {
	n := p.Int(key, def)
	if n < 1 {
		p.fail(key, p.params[key], "a positive integer")
		return def
	}
	return n
}

// Bool returns the boolean param key ("true" or "false"), or def when it is
// not set.
func (p *ParamReader) Bool(key string, def bool) bool {
	v, ok := p.params[key]
	if !ok {
		return def
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true
	case "false":
		return false
	}
	p.fail(key, v, "a boolean (true or false)")
	return def
}

// Duration returns the duration param key (as [time.ParseDuration] reads it,
// e.g. "500ms"), which must not be negative, or def when it is not set.
func (p *ParamReader) Duration(key string, def time.Duration) time.Duration {
	v, ok := p.params[key]
	if !ok {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 {
		p.fail(key, v, "a duration such as 500ms or 2s")
		return def
	}
	return d
}

// BackendStats is what a backend counts of the spans it was given; see
// [StatsReporter].
type BackendStats struct {
	// Reported counts spans delivered to the collector.
	Reported uint64
	// Dropped counts spans given up on, by reason (see the Drop constants).
	Dropped map[string]uint64
	// Pending counts spans held, neither reported nor dropped yet.
	Pending uint64
}

// StatsReporter is implemented by a backend's tracer (what a [Factory]
// returns) that counts the spans it delivers and drops, so that
// core.Tracer.Stats can account for every span. BackendStats must be safe for
// concurrent use; after Shutdown returns, every span the backend was given
// must be counted as reported or dropped. [SpanCounts] implements it.
type StatsReporter interface {
	BackendStats() BackendStats
}

// Reasons a backend drops spans, as core.Stats.DroppedBy reports them. Backends
// use these where they apply, so that users read one vocabulary.
const (
	// DropQueueFull: the backend's bounded queue was full.
	DropQueueFull = "queue full"
	// DropClosed: the span finished after Shutdown or Close.
	DropClosed = "finished after close"
	// DropSend: sending to the collector failed (down, timed out).
	DropSend = "send failed"
	// DropRejected: the collector answered with an error.
	DropRejected = "rejected by collector"
	// DropBacklog: spans waiting for a retry exceeded the backlog's bound.
	DropBacklog = "backlog full"
	// DropTooLarge: the span could not be encoded within the transport's size
	// limit.
	DropTooLarge = "too large"
	// DropShutdown: the span was still held when Shutdown's deadline ended.
	DropShutdown = "unsent at shutdown"
	// DropUnencodable: the span could not be encoded in the wire format
	// (a value the format cannot represent).
	DropUnencodable = "cannot be encoded"
)

// SpanCounts is a backend's tally of the spans it was given, for
// [StatsReporter]: spans handed to its reporter, reported, and dropped by
// reason. Its zero value is ready to use; it is safe for concurrent use.
//
// The lifecycle it keeps exact: a span is handed (Handed), then reported or
// dropped; Settle, once the reporter has shut down, counts what it still
// held as [DropShutdown], and from then on Handed refuses spans and counts
// them as [DropClosed] itself, so that a span finishing while Shutdown runs
// is never lost from the count.
type SpanCounts struct {
	reported atomic.Uint64

	mu      sync.Mutex
	handed  uint64
	settled bool
	dropped map[string]uint64
}

// Handed counts n spans given to the backend's reporter and reports whether
// the reporter may take them: false once Settle has run, when they are
// counted as [DropClosed] instead and the caller must drop them.
func (c *SpanCounts) Handed(n uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.settled {
		c.drop(DropClosed, n)
		return false
	}
	c.handed += n
	return true
}

// Reported counts n spans delivered.
func (c *SpanCounts) Reported(n uint64) {
	if n == 0 {
		return
	}
	c.mu.Lock()
	if c.settled {
		n = c.unsettle(n)
	}
	c.reported.Add(n)
	c.mu.Unlock()
}

// Dropped counts n spans given up on for reason. Spans dropped as
// [DropClosed] are not counted as handed: they finished after the reporter
// closed and never reached it.
func (c *SpanCounts) Dropped(reason string, n uint64) {
	if n == 0 {
		return
	}
	c.mu.Lock()
	if c.settled && reason != DropClosed {
		n = c.unsettle(n)
	}
	c.drop(reason, n)
	c.mu.Unlock()
}

// unsettle is for a count that arrives after Settle (a send Shutdown's
// deadline cut short, whose outcome the client library reports late): Settle
// already counted those spans as [DropShutdown], so they move from there to
// their real fate, and the total stays the number of spans handed. It
// returns how many of the n spans it moved; c.mu is held.
func (c *SpanCounts) unsettle(n uint64) uint64 {
	held := c.dropped[DropShutdown]
	n = min(n, held)
	if held == n {
		delete(c.dropped, DropShutdown)
	} else {
		c.dropped[DropShutdown] = held - n
	}
	return n
}

// drop counts n spans dropped for reason; c.mu is held.
func (c *SpanCounts) drop(reason string, n uint64) {
	if c.dropped == nil {
		c.dropped = map[string]uint64{}
	}
	c.dropped[reason] += n
}

// Settle is called once the reporter has shut down: every span it was handed
// that is neither reported nor dropped is lost, and counted as
// [DropShutdown]. Spans handed after Settle are counted as [DropClosed];
// spans reported or dropped after Settle (a send its deadline cut short
// still ending) move out of [DropShutdown], so that nothing is counted twice.
// Settle is idempotent.
func (c *SpanCounts) Settle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settled = true
	if accounted := c.accounted(); c.handed > accounted {
		c.drop(DropShutdown, c.handed-accounted)
	}
}

// accounted is reported plus dropped, less the spans that were never handed.
// c.mu is held.
func (c *SpanCounts) accounted() uint64 {
	n := c.reported.Load()
	for reason, d := range c.dropped {
		if reason != DropClosed {
			n += d
		}
	}
	return n
}

// BackendStats implements [StatsReporter].
func (c *SpanCounts) BackendStats() BackendStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := make(map[string]uint64, len(c.dropped))
	for k, v := range c.dropped {
		d[k] = v
	}
	var pending uint64
	if accounted := c.accounted(); c.handed > accounted {
		pending = c.handed - accounted
	}
	return BackendStats{Reported: c.reported.Load(), Dropped: d, Pending: pending}
}

// SpanContextCodec is implemented by a backend's tracer whose span contexts
// convert to and from the neutral [propagation.SpanContext]. Core then reads
// and writes every propagation format for it (core.WithPropagation), applies the
// baggage limits, gives the trace and span ids of a request to log records
// (core.Tracer.ContextIDs), and carries span contexts in the Binary format when the tracer
// has no Binary format of its own.
type SpanContextCodec interface {
	// ExportSpanContext returns sc, a span context of this tracer, in neutral
	// form (its baggage included); ok is false when sc is not one of this
	// tracer's span contexts.
	ExportSpanContext(sc opentracing.SpanContext) (psc propagation.SpanContext, ok bool)
	// ImportSpanContext returns a span context of this tracer for psc, to be
	// the parent (ChildOf) of spans this tracer starts, carrying psc's
	// baggage, sampling decision and tracestate as far as the tracer can
	// hold them. psc may be invalid (baggage alone, no ids): a tracer that
	// can start a new trace with that baggage returns such a context, else
	// an error.
	//
	// A psc with a trace id and no span id is a new trace that core
	// decided (see docs/sampling.md): spans started as children of the
	// returned context are roots of that trace (no parent id on the wire),
	// with psc's decision (SamplingNo: not sampled; any other: sampled, with
	// the backend's debug flag for SamplingDebug), its baggage and
	// tracestate as far as the backend holds them, and a fresh span id. The
	// backend must not sample such a trace again.
	ImportSpanContext(psc propagation.SpanContext) (opentracing.SpanContext, error)
}

// NativePropagation is implemented by a backend's tracer to name its native
// propagation formats, in the vocabulary of core.WithPropagation ("jaeger",
// "b3multi", "tracecontext,baggage"): those core uses when the user names
// none. A [SpanContextCodec] without it gets "tracecontext,baggage".
type NativePropagation interface {
	NativePropagation() string
}

// The conventions a span's attributes follow, as [Conventions] names them.
const (
	// ConventionsOpenTracing is OpenTracing's semantic conventions: the tags
	// (span.kind, component, http.method, http.url, http.status_code,
	// error, peer.*) that Jaeger's, Zipkin's and Lightstep's UIs read.
	ConventionsOpenTracing = "opentracing"
	// ConventionsOpenTelemetry is OpenTelemetry's stable HTTP and RPC
	// semantic conventions (http.request.method, url.full, server.address,
	// rpc.system.name, ...), with span names and status as otelhttp and
	// otelgrpc write them.
	ConventionsOpenTelemetry = "opentelemetry"
)

// TypedTagger is implemented by a backend's spans that take string and
// integer tags without boxing them in SetTag's any, which costs an
// allocation for a string that is not a constant and for an integer over
// 255. Core sets the tags of OpenTelemetry's conventions through it (a
// dozen on a server span, most of them strings made from the request);
// each call must do what SetTag(key, value) would.
type TypedTagger interface {
	SetStringTag(key, value string)
	SetIntTag(key string, value int64)
}

// Conventions is implemented by a backend's tracer to name the semantic
// conventions its ecosystem's tools read: [ConventionsOpenTracing] or
// [ConventionsOpenTelemetry]. Core writes its spans' attributes, names and
// status in them unless the user chose otherwise (core.WithConventions). A
// tracer without it gets [ConventionsOpenTracing].
//
// A tracer that declares [ConventionsOpenTelemetry] must map the span.kind
// start tag to the span's kind, error=true to status ERROR (not an
// attribute), and the tag otel.status_description to the status's
// description (status ERROR, not an attribute), as OpenTelemetry's
// exporters to non-OTLP formats write a status.
type Conventions interface {
	Conventions() string
}

// BaggageHeaders is implemented by a backend's tracer that propagates span
// contexts itself (it is no [SpanContextCodec]), to name the header-name
// prefixes (lower case, such as "uberctx-") that carry its baggage items, so
// that the limits of core.WithBaggageLimits apply to them. A prefix that is a
// whole header name ("jaeger-baggage", "baggage") names a comma-separated
// list, each member one item.
type BaggageHeaders interface {
	BaggageHeaderPrefixes() []string
}

// SamplerDefault is implemented by a backend's tracer whose own environment
// names a sampler (jaeger's JAEGER_SAMPLER_TYPE, say): core uses it, in the
// vocabulary of OTEL_TRACES_SAMPLER ([sampling.Parse]), when neither code,
// nor TRACEPLUG_SAMPLER, nor OTEL_TRACES_SAMPLER chose a sampler. ok is false
// when the backend's environment names none.
type SamplerDefault interface {
	DefaultSampler() (name, arg string, ok bool)
}

// Globalizer is implemented by a backend's tracer whose ecosystem has
// globals of its own that a Tracer built core.WithGlobal should set too
// (OpenTelemetry's tracer provider and propagator, say). Core calls
// SetGlobals once, when such a Tracer is built, just after making it
// OpenTracing's global tracer, and the restore function it returns (if not
// nil) once, at Shutdown, before the backend's shutdown. restore must put
// back only the globals that are still the ones SetGlobals set (a global
// that someone replaced since stays as it is), and both must be safe while
// other goroutines read the globals.
type Globalizer interface {
	SetGlobals() (restore func())
}

// CarriedContext is implemented by a backend's tracer whose own API finds
// spans in contexts of its own (the otel backend's: OpenTelemetry's): core
// hands it the trace of a request that records nothing (not sampled, or not
// traced, see docs/sampling.md), so that code using that API continues the
// trace and keeps its decision too. It returns ctx with psc where that API
// looks, or ctx itself.
type CarriedContext interface {
	ContextWithCarried(ctx context.Context, psc propagation.SpanContext) context.Context
}

// CarriedKey is implemented by a [CarriedContext] tracer whose own API
// finds a request's trace under one context key (OpenTelemetry's current
// span): for a trace without baggage, core's context of a request that
// records nothing answers that key itself, calling CarriedValue when it is
// asked for it, and ContextWithCarried is not called. A request whose
// handler never asks (no code of the tracer's API runs in it) then costs
// the tracer nothing: no context, no allocation. CarriedKey returns nil when
// the tracer has no such key; CarriedValue returns psc's value under the
// key, and ok false when psc holds nothing for it (the context's parent
// then answers).
type CarriedKey interface {
	CarriedContext
	CarriedKey() any
	CarriedValue(psc propagation.SpanContext) (value any, ok bool)
}

// ContextBaggage is implemented by a backend's tracer whose own API keeps
// baggage in contexts of its own (the otel backend's: OpenTelemetry's
// baggage.ContextWithBaggage): core adds what it returns for an outgoing
// call's context to the call's span (or, for a call that records nothing, to
// the trace it passes on) before injecting it, the context's value winning
// for a key both hold. nil when ctx holds none.
type ContextBaggage interface {
	ContextBaggage(ctx context.Context) []propagation.BaggageItem
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strconv.Quote(s)
	}
	return out
}
