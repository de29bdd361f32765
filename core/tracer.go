package core

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/internal/sentinel"
	"github.com/traceplug/traceplug/internal/textutil"
	"github.com/traceplug/traceplug/propagation"
)

// Tracer traces HTTP servers and clients with an OpenTracing tracer: it is Go's
// counterpart of django_opentracing's DjangoTracer. Build one with [New] (a
// registered backend, by name), [FromEnv] (the backend and settings from
// TRACEPLUG_* variables) or [Wrap] (any opentracing.Tracer).
//
// A Tracer is itself an [opentracing.Tracer], so it can be given to any
// OpenTracing instrumentation. Its settings are fixed when it is built. It is
// safe for concurrent use. Call [Tracer.Close] or [Tracer.Shutdown] when done
// to flush the spans the backend still holds.
type Tracer struct {
	ot       opentracing.Tracer
	shutdown func(context.Context) error

	// prop carries span contexts for a backend that implements
	// SpanContextCodec; nil for one that propagates them itself, whose
	// baggage headers (if it names them) are baggagePrefixes.
	prop            *backend.Propagator
	text            propagation.Propagator // prop's text formats, which extractNeutral reads directly
	propagation     string                 // the configured list, "" for the native format
	baggagePrefixes []string

	// Frozen settings: the request path reads these and nothing else.
	traceAll     bool
	attrs        []attribute
	redact       *redactor
	opName       func(*http.Request) string
	filter       func(*http.Request) bool
	observer     func(opentracing.Span, *http.Request)
	responseSize bool
	conv         conventions // the spans' semantic conventions: see conventions.go
	global       bool
	noop         bool     // the tracer is opentracing's no-op tracer: nothing is recorded
	recorder     Recorder // nil unless WithRecorder: see record.go
	settings     Settings // what Settings returns

	maxBaggageItems, maxBaggageBytes int

	counts   counters
	routes   routeCache // span names of routes: see routeName
	sampling *sampler   // nil when the backend samples by itself: see sampling.go

	traceID64   bool                   // the backend's span contexts hold 64-bit trace ids
	carriedCtx  backend.CarriedContext // the backend's, for requests that record nothing, or nil
	carriedLazy backend.CarriedKey     // carriedCtx, when it answers one key lazily (carriedKey)
	carriedKey  any                    // the key carried answers, or nil
	ctxBaggage  backend.ContextBaggage // the backend's, for outgoing calls, or nil

	closeOnce  sync.Once
	closedLate atomic.Uint64 // spans counted DropClosed when Shutdown last reported them
}

var _ opentracing.Tracer = (*Tracer)(nil)

// componentName is the value of the "component" tag on every span traceplug makes.
const componentName = "traceplug"

// New builds a Tracer on the backend registered under name, configured by opts.
// The backend's factory runs now, with the options of this call (and whatever
// environment the backend documents), so each call gets a fresh tracer.
//
// A name that no imported backend registered is an error wrapping
// [ErrUnknownBackend]; the usual cause is a missing blank import such as
//
//	import _ "github.com/traceplug/traceplug/backends/jaeger"
//
// An invalid option is an error wrapping [ErrBadOption].
func New(name string, opts ...Option) (*Tracer, error) {
	f, err := backends.lookup(name, "")
	if err != nil {
		return nil, err
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if c.backend != "" && c.backend != name {
		return nil, backend.BadOptionf("traceplug: New(%q) with WithBackend(%q): name one backend", capString(name, 100), capString(c.backend, 100))
	}
	return build(name, f, c)
}

func build(name string, f backend.Factory, c *config) (*Tracer, error) {
	t, err := newTracer(c)
	if err != nil {
		return nil, err
	}
	ot, shutdown, err := f(c.backendConfig())
	if err != nil {
		return nil, &backendError{name: name, err: err}
	}
	if ot == nil {
		if shutdown != nil {
			_ = shutdown(context.Background())
		}
		return nil, fmt.Errorf("traceplug: backend %q returned a nil tracer and no error (a bug in the backend)", name)
	}
	t.ot, t.shutdown = ot, shutdown
	t.settings.Backend = name
	if err := t.start(c, false); err != nil {
		if shutdown != nil {
			_ = shutdown(context.Background())
		}
		var se samplerError
		if errors.As(err, &se) {
			return nil, se.error // the user's setting, not the backend's
		}
		return nil, &backendError{name: name, err: err}
	}
	return t, nil
}

// backendError is a backend's error as New reports it, in one voice: one
// prefix naming the backend, before the backend's message less its own
// prefix ("jaeger: "), so that it never reads "backend "jaeger": jaeger: …".
type backendError struct {
	name string
	err  error
}

func (e *backendError) Error() string {
	return fmt.Sprintf("traceplug: backend %q: %s", e.name, strings.TrimPrefix(e.err.Error(), e.name+": "))
}

func (e *backendError) Unwrap() error { return e.err }

// Wrap returns a Tracer that traces with ot, configured by opts: the
// counterpart of django_opentracing's DjangoTracer(tracer). No registry is
// involved, and the settings that only backends read (service name, endpoint,
// tags, params, propagation) are ignored: configure ot itself. Sampling is
// ot's own unless code ([WithSampler], [WithSampleRate], [WithSamplingRules])
// or the environment (TRACEPLUG_SAMPLER, OTEL_TRACES_SAMPLER, ...) chose a
// sampler and ot is a [SpanContextCodec], whose traces core can decide; for
// any other ot, WithSampler and WithSamplingRules are an error and the rest
// is ignored. [Tracer.Shutdown] and [Tracer.Close] flush ot with its Shutdown(ctx) error
// method if it has one, else with its Close() error method (as io.Closer),
// as the registry-free constructors of traceplug's backends return.
//
// An invalid option, or a nil ot, is an error wrapping [ErrBadOption].
func Wrap(ot opentracing.Tracer, opts ...Option) (*Tracer, error) {
	if ot == nil {
		return nil, backend.BadOptionf("traceplug: Wrap(nil): a tracer is required (opentracing.NoopTracer{} traces nothing)")
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	t, err := newTracer(c)
	if err != nil {
		return nil, err
	}
	t.ot = ot
	switch cl := ot.(type) {
	case interface{ Shutdown(context.Context) error }:
		t.shutdown = cl.Shutdown
	case interface{ Close() error }:
		t.shutdown = func(context.Context) error { return cl.Close() }
	}
	if err := t.start(c, true); err != nil {
		return nil, err
	}
	return t, nil
}

// newTracer freezes the request-path settings of c.
func newTracer(c *config) (*Tracer, error) {
	attrs, err := resolveAttributes(c.attributes)
	if err != nil {
		return nil, err
	}
	return &Tracer{
		traceAll:     c.traceAll,
		attrs:        attrs,
		redact:       &redactor{headerSubs: c.redactHeaders, querySubs: c.redactQuery, queryIndex: newSubIndex(c.redactQuery), headerIndex: newSubIndex(c.redactHeaders), maxLen: c.maxTagLen, maxHeaders: c.maxHeaders, allowHeaders: c.allowHeaders},
		opName:       c.opName,
		filter:       c.filter,
		observer:     c.observer,
		responseSize: c.responseSize,
		global:       c.global,
		propagation:  c.propagation,

		recorder: c.recorder,
		settings: c.settings(),

		maxBaggageItems: c.maxBagItems,
		maxBaggageBytes: c.maxBagBytes,
	}, nil
}

// start asks the backend's tracer, once, for what it implements, builds the
// sampler of a backend whose span contexts core can carry, and registers t as
// the global tracer if asked.
func (t *Tracer) start(c *config, wrapped bool) error {
	_, t.noop = t.ot.(opentracing.NoopTracer)
	switch ot := t.ot.(type) {
	case backend.SpanContextCodec:
		p, err := backend.NewPropagator(backend.Config{Propagation: t.propagation}, ot)
		if err != nil {
			return err
		}
		t.prop = p
		if t.text, err = propagation.Parse(p.Formats()); err != nil {
			return err
		}
	case backend.BaggageHeaders:
		for _, p := range ot.BaggageHeaderPrefixes() {
			t.baggagePrefixes = append(t.baggagePrefixes, strings.ToLower(p))
		}
	}
	for _, w := range unknownEnv() {
		if c.logger != nil {
			c.logger.Warn(w)
		} else {
			stdlog.Print(w)
		}
	}
	if t.prop != nil {
		t.traceID64 = holds64(t.ot, t.prop.Codec())
	}
	t.conv = resolveConventions(c.conventions, t.ot)
	t.carriedCtx, _ = t.ot.(backend.CarriedContext)
	if ck, ok := t.ot.(backend.CarriedKey); ok {
		if key := ck.CarriedKey(); key != nil {
			t.carriedLazy, t.carriedKey = ck, key
		}
	}
	t.ctxBaggage, _ = t.ot.(backend.ContextBaggage)
	switch {
	case t.prop != nil:
		sm, err := newSampler(c, t.ot)
		if err != nil {
			return samplerError{err}
		}
		sm.traceID64 = t.traceID64
		if wrapped && sm.source == SourceDefault {
			// A tracer given to Wrap, and nothing chose a sampler: it
			// samples as it was built to.
			if c.public.all || c.public.fn != nil {
				return backend.BadOptionf("traceplug: WithPublicEndpoint: the tracer given to Wrap (%T) samples by itself, and would continue its callers' traces: choose a sampler (WithSampler, WithSampleRate) so that core decides", t.ot)
			}
			break
		}
		t.sampling = sm
	case c.samplerExplicit || c.rulesSet:
		return backend.BadOptionf("traceplug: WithSampler, WithSamplingRules: the tracer (%T) is no SpanContextCodec, so it samples by itself: configure its own sampler", t.ot)
	case c.public.all || c.public.fn != nil:
		return backend.BadOptionf("traceplug: WithPublicEndpoint: the tracer (%T) is no SpanContextCodec, so core cannot start a new trace for a caller's request", t.ot)
	}
	if t.global {
		makeGlobal(t)
	}
	return nil
}

// Shutdown flushes every span the backend still holds and releases its
// resources, returning when that is done or when ctx ends, whichever comes
// first. Stop the HTTP server first ([http.Server.Shutdown]), so that the
// spans of requests in flight are finished and flushed too.
//
// The error says everything that went wrong, joined ([errors.Join]): the
// backend's own (a flush cut short by ctx, say), and, when the backend
// dropped spans since the Tracer was built (a full queue, a failed send,
// spans still unsent when ctx ended), an error wrapping [ErrSpansLost] that
// gives the counts by reason, as [Tracer.Stats] has them. So a program that
// exits non-zero on an error from Shutdown never loses spans silently, on
// every backend alike.
//
// Spans that Middleware, Trace, Transport or gRPC's instrumentation started
// and that are still open when Shutdown begins (a request in flight: the
// HTTP server was not shut down first) are lost when they finish: the error
// says how many, wrapping [ErrSpansLost].
//
// Only the first call of Shutdown or [Tracer.Close] does the work. A later
// call returns an error wrapping [ErrSpansLost] when spans finished after
// the first (and so were dropped, see [DropClosed]) since it reported, and
// nil otherwise. A Tracer built [WithGlobal] stops being the global tracer's
// first.
func (t *Tracer) Shutdown(ctx context.Context) error {
	var err error
	first := false
	t.closeOnce.Do(func() {
		first = true
		if open := t.openSpans(); open > 0 {
			err = sentinel.Wrap(ErrSpansLost, fmt.Errorf("traceplug: %s still open at shutdown, lost when they finish (shut the server down first: http.Server.Shutdown, then the Tracer's)",
				textutil.Count(open, "span")))
		}
		if t.global {
			dropGlobal(t)
		}
		if t.sampling != nil {
			err = t.sampling.close()
		}
		if t.shutdown != nil {
			if e := t.shutdown(ctx); e != nil {
				err = errors.Join(err, fmt.Errorf("traceplug: shutdown: %w", e))
			}
		}
		err = errors.Join(err, t.lostSpans())
		t.closedLate.Store(t.Stats().DroppedBy[backend.DropClosed])
	})
	if !first {
		return t.lateSpans()
	}
	return err
}

// openSpans counts the spans core started and has not seen finish.
func (t *Tracer) openSpans() uint64 {
	started, finished := t.counts.started.Load(), t.counts.finished.Load()
	if started > finished {
		return started - finished
	}
	return 0
}

// lateSpans is the error for spans that finished after Shutdown since the
// last report of them, or nil.
func (t *Tracer) lateSpans() error {
	now := t.Stats().DroppedBy[backend.DropClosed]
	before := t.closedLate.Swap(now)
	if now <= before {
		return nil
	}
	return sentinel.Wrap(ErrSpansLost, fmt.Errorf("traceplug: %s finished after shutdown and were lost", textutil.Count(now-before, "span")))
}

// Close is Shutdown without a deadline: it flushes every span the backend
// still holds and releases its resources, and returns the same errors. It is
// idempotent.
func (t *Tracer) Close() error {
	return t.Shutdown(context.Background())
}

// lostSpans is the error wrapping ErrSpansLost for the spans the backend
// dropped, or nil.
func (t *Tracer) lostSpans() error {
	s := t.Stats()
	if s.Dropped == 0 {
		return nil
	}
	reasons := make([]string, 0, len(s.DroppedBy))
	for _, r := range slices.Sorted(maps.Keys(s.DroppedBy)) {
		if n := s.DroppedBy[r]; n > 0 {
			reasons = append(reasons, fmt.Sprintf("%d %s", n, r))
		}
	}
	return sentinel.Wrap(ErrSpansLost, fmt.Errorf("traceplug: %s lost: %s (%d reported)",
		textutil.Count(s.Dropped, "span"), strings.Join(reasons, ", "), s.Reported))
}

// StartSpan starts a span with the backend's tracer. It implements
// [opentracing.Tracer]. A reference to a span context that the backend's
// tracer rejects by panicking (a context from another tracer) is dropped, and
// the span is tagged "traceplug.dropped_reference". With a [Recorder]
// attached ([WithRecorder]), the span is a wrapper of the backend's, so that
// its end is recorded.
func (t *Tracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	if t.sampling != nil {
		var carry *carrySpan
		if carry, opts = t.sampleStart(operationName, opts); carry != nil {
			return carry
		}
	}
	if t.recorder != nil && !t.noop {
		return t.startRecorded(operationName, opts)
	}
	return t.startChecked(operationName, opts)
}

// startChecked starts a span with the backend's tracer, dropping a
// reference that the tracer rejects by panicking.
func (t *Tracer) startChecked(operationName string, opts []opentracing.StartSpanOption) (span opentracing.Span) {
	defer func() {
		if recover() != nil {
			span = t.startWithoutReferences(operationName, opts)
		}
	}()
	return t.ot.StartSpan(operationName, opts...)
}

// startSpan starts a span for Middleware, Trace and Transport. withRef says
// opts hold a reference to a span context, which the backend's tracer may
// reject by panicking (a context of another tracer): StartSpan then drops
// the reference. Without one, the tracer is called directly.
func (t *Tracer) startSpan(op string, opts []opentracing.StartSpanOption, withRef bool) opentracing.Span {
	if withRef {
		return t.startChecked(op, opts)
	}
	return t.ot.StartSpan(op, opts...)
}

// startWithoutReferences starts a root span with opts less their references.
func (t *Tracer) startWithoutReferences(operationName string, opts []opentracing.StartSpanOption) opentracing.Span {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	tags := opentracing.Tags{TagDroppedReference: true}
	for k, v := range so.Tags {
		tags[k] = v
	}
	return t.ot.StartSpan(operationName, opentracing.StartTime(so.StartTime), tags)
}

// Inject implements [opentracing.Tracer]. TextMap and HTTPHeaders carriers
// get the span context in every format of [WithPropagation] (the backend's
// native format by default); Binary is the backend's. A span context of
// another tracer is [opentracing.ErrInvalidSpanContext].
func (t *Tracer) Inject(sc opentracing.SpanContext, format, carrier any) (err error) {
	if cs := t.carried(sc); cs != nil {
		return t.prop.InjectContext(cs.context(), format, carrier)
	}
	if t.prop != nil && (format == opentracing.TextMap || format == opentracing.HTTPHeaders) {
		return t.prop.Inject(sc, format, carrier)
	}
	defer func() {
		if recover() != nil {
			err = opentracing.ErrInvalidSpanContext
		}
	}()
	return t.ot.Inject(sc, format, carrier)
}

// Extract implements [opentracing.Tracer]. From TextMap and HTTPHeaders
// carriers it continues the first valid span context among the formats of
// [WithPropagation], with its baggage within the limits of
// [WithBaggageLimits]; Binary is the backend's. A carrier with no span
// context is [opentracing.ErrSpanContextNotFound], a malformed one an error
// wrapping [opentracing.ErrSpanContextCorrupted].
func (t *Tracer) Extract(format, carrier any) (opentracing.SpanContext, error) {
	if t.prop != nil && (format == opentracing.TextMap || format == opentracing.HTTPHeaders) {
		psc, err := t.prop.ExtractContext(format, carrier)
		if err != nil {
			return nil, err
		}
		return t.importContext(psc)
	}
	return t.ot.Extract(format, carrier)
}

// importContext limits psc's baggage and returns the backend's span context
// for it: ErrSpanContextNotFound when psc has no ids (baggage alone).
func (t *Tracer) importContext(psc propagation.SpanContext) (opentracing.SpanContext, error) {
	if !psc.IsValid() {
		return nil, opentracing.ErrSpanContextNotFound
	}
	var dropped int
	if psc.Baggage, dropped = t.limitItems(psc.Baggage); dropped > 0 {
		t.counts.baggageDropped.Add(uint64(dropped))
	}
	return t.prop.Codec().ImportSpanContext(psc)
}

// extractContext reads the span context a request carries (its headers, or
// gRPC metadata): the parent to continue (nil for a new root), the baggage to
// give a new root when the carrier held baggage and no context a span can
// continue, and why a context present in the carrier could not be continued
// (nil when there was none, or it was continued).
func (t *Tracer) extractContext(c opentracing.TextMapReader) (parent opentracing.SpanContext, orphan []propagation.BaggageItem, err error) {
	if c == nil {
		return nil, nil, nil
	}
	if t.prop == nil {
		h, dropped := t.limitBaggage(headerOf(c))
		if dropped > 0 {
			t.counts.baggageDropped.Add(uint64(dropped))
		}
		parent, err = t.ot.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
		if err != nil && isNotFound(err) {
			err = nil
		}
		return parent, nil, err
	}
	psc, err := t.prop.ExtractContext(opentracing.TextMap, c)
	if err != nil && isNotFound(err) {
		err = nil
	}
	if !psc.IsValid() {
		if len(psc.Baggage) == 0 && psc.Sampling == propagation.SamplingDeferred {
			return nil, nil, err
		}
		var dropped int
		if psc.Baggage, dropped = t.limitItems(psc.Baggage); dropped > 0 {
			t.counts.baggageDropped.Add(uint64(dropped))
		}
		// No ids, but a sampling decision (B3's "b3: 0") or baggage: a
		// backend that can start a trace from them says so by importing
		// them; for the others, the baggage goes on the new root.
		if err == nil {
			if p, ierr := t.prop.Codec().ImportSpanContext(psc); ierr == nil && p != nil {
				return p, nil, nil
			}
		}
		return nil, psc.Baggage, err
	}
	if parent, err = t.importContext(psc); err != nil {
		return nil, nil, err
	}
	return parent, nil, nil
}

// Unwrap returns the backend's own tracer, for features of a backend that
// OpenTracing has no name for. Spans started with it are the backend's spans,
// as a Tracer's are, but bypass the Tracer: a [Recorder] (the debug page)
// does not see them.
func (t *Tracer) Unwrap() opentracing.Tracer {
	return t.ot
}

// logPanic tags span as failed with the recovered value v, its message
// capped as every string traceplug writes.
func (t *Tracer) logPanic(span opentracing.Span, v any) {
	ext.Error.Set(span, true)
	span.LogFields(
		log.String("event", "error"),
		log.String("error.kind", "panic"),
		log.String("error.object", t.redact.cap(fmt.Sprintf("%T", v))),
		log.String("message", t.redact.cap(fmt.Sprint(v))),
	)
}
