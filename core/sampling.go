package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/propagation"
	"github.com/traceplug/traceplug/sampling"
)

// This file holds where sampling is decided: once, in core, where a trace
// enters the service (a request's server span, a call's, or a new root),
// before the backend records anything. A sampled trace goes to the backend
// with its decision (and, for a new trace, the trace id the decision was made
// on); an unsampled one never reaches it (see unsampled.go).

// The environment variables that choose the sampler, read by [New] and
// [FromEnv] alike (sampling is the fleet's operators' to steer), below
// options in code.
const (
	// EnvSampler names the sampler in the vocabulary of OTEL_TRACES_SAMPLER
	// (see [sampling.Parse]): always_on, parentbased_traceidratio,
	// parentbased_jaeger_remote, ... It wins over OTEL_TRACES_SAMPLER.
	EnvSampler = "TRACEPLUG_SAMPLER"
	// EnvSamplerArg is the sampler's argument, as OTEL_TRACES_SAMPLER_ARG.
	EnvSamplerArg = "TRACEPLUG_SAMPLER_ARG"
	// EnvSamplingRules holds per-operation rules ([WithSamplingRules]) in the
	// form [sampling.ParseRules] reads: "GET /healthz=0; GET /search=10/s".
	EnvSamplingRules = "TRACEPLUG_SAMPLING_RULES"
	// EnvForcedSampling caps the requests a second that a caller may force
	// to be sampled (jaeger's and B3's debug flags, [WithForcedSampling]):
	// a number, 0 to ignore the flags.
	EnvForcedSampling = "TRACEPLUG_FORCED_SAMPLING"
	// EnvOTelSampler and EnvOTelSamplerArg are OpenTelemetry's variables,
	// read on every backend below traceplug's own.
	EnvOTelSampler    = "OTEL_TRACES_SAMPLER"
	EnvOTelSamplerArg = "OTEL_TRACES_SAMPLER_ARG"
)

// DefaultForcedSampling is the default of [WithForcedSampling]: one forced
// trace a second.
const DefaultForcedSampling = 1.0

// Where a sampler came from, as [SamplingStats].Source says.
const (
	SourceCode    = "code"
	SourceDefault = "default"
)

// maxSampledOperations bounds the operations [SamplingStats] counts one by
// one; the rest are counted under [OtherOperations].
const maxSampledOperations = 1000

// OtherOperations is the name under which [SamplingStats] counts the
// operations past the first 1,000.
const OtherOperations = "(other operations)"

// WithSampler sets the sampler that decides which traces are recorded and
// exported, on every backend alike (see package [sampling]): it wins over
// TRACEPLUG_SAMPLER and OTEL_TRACES_SAMPLER. The default is
// parentbased_always_on: every new trace is sampled, and a caller's decision
// is followed. A nil sampler leaves the default. The Tracer closes s (a
// remote sampler's polling) at Shutdown.
func WithSampler(s sampling.Sampler) Option {
	return optionFunc(func(c *config) {
		if s != nil {
			c.sampler, c.samplerExplicit = s, true
		}
	})
}

// WithSamplingRules adds per-operation rules over the sampler: the first rule
// whose operation matches a span's name (such as "GET /healthz", with "*" for
// any run of characters) decides that trace; operations no rule matches go
// to the sampler. A caller's decision still wins when the sampler is parent
// based (the default). Rules in code replace TRACEPLUG_SAMPLING_RULES.
func WithSamplingRules(rules ...sampling.Rule) Option {
	return optionFunc(func(c *config) {
		c.rules = append(c.rules, rules...)
		c.rulesSet = true
	})
}

// WithForcedSampling caps how many requests a second a caller can force to
// be sampled with a debug flag (jaeger's debug flag or jaeger-debug-id, B3's
// X-B3-Flags: 1 or "b3: …-d"), whatever the sampler says: past the cap, the
// flag is ignored and the trace is sampled as any other. 0 ignores the
// flags; the default is [DefaultForcedSampling]. A client sending the flag on
// every request cannot raise what the service exports by more than the cap.
func WithForcedSampling(perSecond float64) Option {
	return optionFunc(func(c *config) {
		if math.IsNaN(perSecond) || math.IsInf(perSecond, 0) || perSecond < 0 {
			c.errs = append(c.errs, backend.BadOptionf("traceplug: WithForcedSampling(%v): want traces a second, 0 or more", perSecond))
			return
		}
		c.forced, c.forcedSet = perSecond, true
	})
}

// withClock sets the clock rate limits read: tests give a fake one.
func withClock(now func() time.Time) Option {
	return optionFunc(func(c *config) { c.now = now })
}

// sampler is a Tracer's sampling state: the sampler, what forced sampling
// may take, and the counts by operation.
type sampler struct {
	s         sampling.Sampler
	traceID64 bool // the backend holds 64-bit trace ids: new ones get no upper half
	source    string
	usesOp    bool
	forced    sampling.Sampler // a rate limit of forced traces; nil: debug flags ignored
	ops       sync.Map         // operation name -> *opCounts
	numOps    atomic.Int64
	other     opCounts // counted past maxSampledOperations; its name matches no operation
	recent    opCache  // operations counted lately, to skip ops' hashing
	counted   struct{ forced, forcedOver atomic.Uint64 }
	// public is which requests come to a public endpoint, whose callers
	// decide nothing (see public.go): like forced, a limit on what a caller
	// may decide, so it lives where the decisions are taken.
	public publicPolicy
}

type opCounts struct {
	name                string
	sampled, notSampled atomic.Uint64
}

// counts returns op's counts, made on first use; past maxSampledOperations,
// the counts of the other operations.
func (sm *sampler) counts(op string) *opCounts {
	if v, ok := sm.ops.Load(op); ok {
		return v.(*opCounts)
	}
	if sm.numOps.Load() >= maxSampledOperations {
		return &sm.other
	}
	v, loaded := sm.ops.LoadOrStore(op, &opCounts{name: op})
	if !loaded {
		sm.numOps.Add(1)
	}
	return v.(*opCounts)
}

// opSlot picks an operation's slot in the sampler's cache of counts.
func opSlot(op string) int {
	h := uint(len(op)) * 31
	if n := len(op); n > 0 {
		h = h*131 + uint(op[0])
		h = h*131 + uint(op[n-1])
		h = h*131 + uint(op[n/2])
	}
	return int(h % uint(len(opCache{})))
}

// opCache holds recently counted operations, direct-mapped by opSlot.
type opCache [64]atomic.Pointer[opCounts]

// newSampler builds the Tracer's sampler from c, the environment and the
// backend's default, in that order.
func newSampler(c *config, ot any) (*sampler, error) {
	now := c.now
	if now == nil {
		now = time.Now
	}
	opts := sampling.Options{ServiceName: c.serviceName, Logger: c.logger, Now: now}
	s, source := c.sampler, SourceCode
	var err error
	if s == nil {
		s, source, err = envSampler(opts, ot)
		if err != nil {
			return nil, err
		}
	}
	rules, rulesSource := c.rules, SourceCode
	if !c.rulesSet {
		if v, ok := lookupEnv(EnvSamplingRules); ok {
			if rules, err = sampling.ParseRules(v); err != nil {
				return nil, closeAfter(s, backend.BadOptionf("traceplug: %s: %w", EnvSamplingRules, err))
			}
			rulesSource = EnvSamplingRules
		}
	}
	if len(rules) > 0 {
		root, parent := s, false
		if pb, ok := s.(interface{ Root() sampling.Sampler }); ok {
			root, parent = pb.Root(), true
		}
		r, err := sampling.NewRules(rules, root, now)
		if err != nil {
			return nil, closeAfter(s, backend.BadOptionf("traceplug: sampling rules: %w", err))
		}
		if s = r; parent {
			s = sampling.ParentBased(r)
		}
		if rulesSource != source {
			source += ", rules from " + rulesSource
		}
	}
	forced := DefaultForcedSampling
	if c.forcedSet {
		forced = c.forced
	} else if v, ok := lookupEnv(EnvForcedSampling); ok {
		f, perr := strconv.ParseFloat(v, 64)
		if perr != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return nil, closeAfter(s, backend.BadOptionf("traceplug: %s=%q: want traces a second, 0 or more, such as 1", EnvForcedSampling, capString(v, 100)))
		}
		forced = f
	}
	sm := &sampler{s: s, source: source, usesOp: sampling.UsesOperation(s), public: c.public}
	sm.other.name = "\x00" // no operation's name: never found in the cache
	if forced > 0 {
		sm.forced = sampling.RateLimited(forced, now)
	}
	return sm, nil
}

// samplerError is an error in the sampling settings, which New reports
// without naming the backend.
type samplerError struct{ error }

func (e samplerError) Unwrap() error { return e.error }

// closeAfter closes s and returns err.
func closeAfter(s sampling.Sampler, err error) error {
	_ = sampling.Close(s)
	return err
}

// envSampler is the sampler the environment names: TRACEPLUG_SAMPLER (or
// TRACEPLUG_SAMPLE_RATE), else OTEL_TRACES_SAMPLER, else the backend's own,
// else parentbased_always_on.
func envSampler(opts sampling.Options, ot any) (sampling.Sampler, string, error) {
	name, hasName := lookupEnv(EnvSampler)
	rate, hasRate := lookupEnv(EnvSampleRate)
	switch {
	case hasName && hasRate:
		return nil, "", backend.BadOptionf("traceplug: %s and %s are both set: keep one (%s=parentbased_traceidratio with %s=%s says the same)",
			EnvSampler, EnvSampleRate, EnvSampler, EnvSamplerArg, capString(rate, 20))
	case hasRate:
		f, err := strconv.ParseFloat(rate, 64)
		if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
			return nil, "", backend.BadOptionf("traceplug: %s=%q: want a number from 0 to 1, such as 0.25", EnvSampleRate, capString(rate, 100))
		}
		return sampling.ParentBased(sampling.TraceIDRatio(f)), EnvSampleRate, nil
	case hasName:
		arg, _ := lookupEnv(EnvSamplerArg)
		s, err := sampling.Parse(name, arg, opts)
		if err != nil {
			return nil, "", backend.BadOptionf("traceplug: %s=%q: %w", EnvSampler, capString(name, 100), err)
		}
		return s, EnvSampler, nil
	}
	if name, ok := lookupEnv(EnvOTelSampler); ok {
		arg, _ := lookupEnv(EnvOTelSamplerArg)
		s, err := sampling.Parse(name, arg, opts)
		if err != nil {
			return nil, "", backend.BadOptionf("traceplug: %s=%q: %w", EnvOTelSampler, capString(name, 100), err)
		}
		return s, EnvOTelSampler, nil
	}
	if d, ok := ot.(backend.SamplerDefault); ok {
		if name, arg, ok := d.DefaultSampler(); ok {
			s, err := sampling.Parse(name, arg, opts)
			if err != nil {
				return nil, "", backend.BadOptionf("traceplug: the backend's sampler (%s %s): %w", name, capString(arg, 200), err)
			}
			return s, "the backend's environment", nil
		}
	}
	return sampling.ParentBased(sampling.AlwaysOn()), SourceDefault, nil
}

// decide takes the sampling decision for a span named op that continues psc,
// or starts a new trace when psc has no ids (psc then gets the trace id the
// decision was made on), and writes it into psc.Sampling.
func (sm *sampler) decide(psc *propagation.SpanContext, op string) sampling.Decision {
	if psc.TraceID == 0 && psc.TraceIDHigh == 0 {
		psc.TraceIDHigh, psc.TraceID = newTraceID(sm.traceID64)
		psc.SpanID, psc.ParentID = 0, 0
	}
	if psc.Sampling == propagation.SamplingDebug {
		if sm.forced != nil && sm.forced.ShouldSample(sampling.Params{}).Sampled {
			sm.counted.forced.Add(1)
			sm.count(op, true)
			return sampling.Decision{Sampled: true}
		}
		sm.counted.forcedOver.Add(1)
		psc.Sampling = propagation.SamplingDeferred // decided as any other trace
		psc.DebugID = ""
	}
	d := sm.s.ShouldSample(sampling.Params{TraceIDHigh: psc.TraceIDHigh, TraceID: psc.TraceID, Operation: op, Parent: psc.Sampling})
	if d.Sampled {
		psc.Sampling = propagation.SamplingYes
	} else {
		psc.Sampling = propagation.SamplingNo
		if psc.SpanID == 0 {
			// A new trace, carried with ids of its own: its span id is its
			// trace id's lower half, random and never 0, as
			// jaeger-client-go gives its root spans, without another draw.
			psc.SpanID = psc.TraceID
		}
	}
	sm.count(op, d.Sampled)
	return d
}

// count adds a decision to op's counts. A direct-mapped cache in front of
// the map finds a service's few operations without the map's hashing.
func (sm *sampler) count(op string, sampled bool) {
	slot := &sm.recent[opSlot(op)]
	c := slot.Load()
	if c == nil || c.name != op {
		c = sm.counts(op)
		slot.Store(c)
	}
	if sampled {
		c.sampled.Add(1)
	} else {
		c.notSampled.Add(1)
	}
}

// newTraceID returns a random 128-bit trace id, or with only64 a 64-bit one
// (high is 0); its lower 56 bits are random, as W3C's random flag promises.
// math/rand/v2's generator is the runtime's ChaCha8, per thread: no lock
// and no system call.
func newTraceID(only64 bool) (high, low uint64) {
	for high == 0 && !only64 {
		high = rand.Uint64()
	}
	for low == 0 {
		low = rand.Uint64()
	}
	return high, low
}

// SamplingStats says how a [Tracer] samples, and what it decided: part of
// [Stats].
type SamplingStats struct {
	// Sampler describes the sampler in force, as OpenTelemetry's samplers
	// describe themselves ("ParentBased{root:TraceIDRatioBased{0.25},...}");
	// "" for a tracer given to [Wrap] that samples by itself.
	Sampler string
	// Source says where it came from: "code", "TRACEPLUG_SAMPLER",
	// "TRACEPLUG_SAMPLE_RATE", "OTEL_TRACES_SAMPLER", "the backend's
	// environment" or "default" (with ", rules from …" when rules came from
	// elsewhere).
	Source string
	// Remote is what a Jaeger remote sampler knows of its strategy: its
	// endpoint, the strategy in force and when it was fetched, the last
	// error; nil for other samplers.
	Remote *sampling.RemoteStatus
	// Operations counts the decisions by operation (span name): the first
	// 1,000 operations by name, the rest under [OtherOperations].
	Operations map[string]OperationSampling
	// Forced counts traces sampled because a caller forced them (a debug
	// flag), and ForcedOverLimit those whose flag was ignored past the
	// limit of [WithForcedSampling].
	Forced, ForcedOverLimit uint64
}

// OperationSampling counts the sampling decisions of one operation.
type OperationSampling struct {
	Sampled, NotSampled uint64
}

// samplingStats returns sm's stats.
func (sm *sampler) stats() SamplingStats {
	s := SamplingStats{
		Sampler:         sm.s.Description(),
		Source:          sm.source,
		Operations:      map[string]OperationSampling{},
		Forced:          sm.counted.forced.Load(),
		ForcedOverLimit: sm.counted.forcedOver.Load(),
	}
	sm.ops.Range(func(k, v any) bool {
		c := v.(*opCounts)
		s.Operations[k.(string)] = OperationSampling{Sampled: c.sampled.Load(), NotSampled: c.notSampled.Load()}
		return true
	})
	if o := (OperationSampling{Sampled: sm.other.sampled.Load(), NotSampled: sm.other.notSampled.Load()}); o != (OperationSampling{}) {
		s.Operations[OtherOperations] = o
	}
	if r := remoteOf(sm.s); r != nil {
		st := r.Status()
		s.Remote = &st
	}
	return s
}

// remoteOf finds a remote sampler in s, under ParentBased and rules.
func remoteOf(s sampling.Sampler) sampling.StatusReporter {
	for range 4 {
		switch v := s.(type) {
		case sampling.StatusReporter:
			return v
		case interface{ Root() sampling.Sampler }:
			s = v.Root()
		case interface{ Fallback() sampling.Sampler }:
			s = v.Fallback()
		default:
			return nil
		}
	}
	return nil
}

// close stops the sampler's background work.
func (sm *sampler) close() error {
	if err := sampling.Close(sm.s); err != nil {
		return fmt.Errorf("traceplug: sampler: %w", err)
	}
	return nil
}

// samplerConst is the Type of the constant samplers' decisions, which
// spans are not tagged with (the tags would say "everything").
const samplerConst = "const"

// setSamplerTags tags a span whose trace was decided here with the rule
// that decided, as jaeger-client-go tags the root spans of new traces:
// Jaeger's adaptive sampling counts them.
func setSamplerTags(span opentracing.Span, d sampling.Decision) {
	span.SetTag("sampler.type", d.Type)
	span.SetTag("sampler.param", d.Param)
}

// extractNeutral reads the trace a carrier holds, within the baggage
// limits. A malformed context is dropped (its baggage kept), with the
// reason as err; no context at all is no error. It reads the carrier with
// t.text, as t.prop.ExtractContext would with TextMap, without the boxing
// and assertions of that general entry: it is on every request's path.
func (t *Tracer) extractNeutral(c propagation.Reader) (propagation.SpanContext, error) {
	if c == nil {
		return propagation.SpanContext{}, nil
	}
	psc, err := t.text.Extract(c)
	if err == opentracing.ErrSpanContextNotFound || err != nil && isNotFound(err) {
		err = nil
	}
	if err != nil && !psc.IsValid() {
		psc = propagation.SpanContext{Baggage: psc.Baggage}
	}
	if t.traceID64 {
		psc.TraceIDHigh = 0 // as the backend would keep it
	}
	if len(psc.Baggage) > 0 {
		var dropped int
		if psc.Baggage, dropped = t.limitItems(psc.Baggage); dropped > 0 {
			t.counts.baggageDropped.Add(uint64(dropped))
		}
	}
	return psc, err
}

// importDecided hands a sampled trace to the backend: the parent context
// that psc is, or, when psc has a trace id and no span id, a new trace with
// that id. nil when the backend cannot import it (the span is then a root
// of the backend's own).
func (t *Tracer) importDecided(psc propagation.SpanContext) opentracing.SpanContext {
	sc, err := t.prop.Codec().ImportSpanContext(psc)
	if err != nil {
		return nil
	}
	return sc
}

// startName is a server span's name at its start: with rt, the router the
// middleware wraps, the route the request will take, so that a sampler that
// decides by operation sees the name the span will have; and, as
// startOperation, the route it is named after, if it is.
func (t *Tracer) startName(r *http.Request, name string, rt router) (string, *route) {
	if rt != nil && name == "" && r.Pattern == "" {
		if _, pattern := rt.Handler(r); pattern != "" {
			named := t.route(r.Method, pattern)
			return named.name, named
		}
	}
	return t.startOperation(r, name)
}

// decideRoot decides a new trace for a span named op started without a
// parent: an unsampled one is a carrySpan with ids of its own; a sampled
// one's parent option for the backend is returned (nil when it cannot
// import it).
func (t *Tracer) decideRoot(op string) (carry *carrySpan, parent opentracing.SpanContext, d sampling.Decision) {
	var psc propagation.SpanContext
	if d = t.sampling.decide(&psc, op); !d.Sampled {
		return &carrySpan{t: t, psc: psc, decided: true}, nil, d
	}
	return nil, t.importDecided(psc), d
}

// continueCarried decides the child named op of a span that records
// nothing: the trace's decision if it has one, else one taken now. A
// sampled child's parent is returned for the backend (nil when it cannot
// import it); an unsampled child carries psc on.
func (t *Tracer) continueCarried(cs *carrySpan, op string) (psc propagation.SpanContext, parent opentracing.SpanContext, sampled bool) {
	psc = cs.context()
	switch {
	case cs.decided:
		if psc.Sampling == propagation.SamplingNo {
			return psc, nil, false
		}
	case t.sampling == nil: // a wrapped tracer that samples by itself decides
	case !t.sampling.decide(&psc, op).Sampled:
		// A caller's trace passed through an untraced request: the first
		// span of it here is decided as any entry is.
		return psc, nil, false
	}
	return psc, t.importDecided(psc), true
}

// sampleStart decides a span that [Tracer.StartSpan] starts: a root here; a
// child of a span that records nothing as continueCarried says; a child of
// any other span is the backend's to decide (it inherits its parent's
// decision). It returns the span of an unsampled span, or the options to
// start the span with.
func (t *Tracer) sampleStart(op string, opts []opentracing.StartSpanOption) (*carrySpan, []opentracing.StartSpanOption) {
	at, ref := -1, opentracing.SpanReference{}
	for i, o := range opts {
		switch r := o.(type) {
		case opentracing.SpanReference:
			ref = r
		case *opentracing.SpanReference:
			ref = *r
		default:
			continue
		}
		if ref.ReferencedContext != nil {
			at = i
			break
		}
	}
	if at < 0 {
		if ref, ok := hiddenReference(opts); ok {
			// A reference inside an option of another kind
			// (ext.RPCServerOption): a child, decided as one. The
			// backend takes the first reference it knows: put the
			// backend's parent first.
			return t.childOfCarried(op, ref, opts, func(parent opentracing.SpanContext) []opentracing.StartSpanOption {
				return append([]opentracing.StartSpanOption{opentracing.SpanReference{Type: ref.Type, ReferencedContext: parent}}, opts...)
			})
		}
		carry, parent, d := t.decideRoot(op)
		if carry != nil {
			return carry, nil
		}
		out := make([]opentracing.StartSpanOption, 0, len(opts)+3)
		if parent != nil {
			out = append(out, opentracing.ChildOf(parent))
		}
		out = append(out, opts...)
		if d.Type != "" && d.Type != samplerConst {
			out = append(out, opentracing.Tag{Key: "sampler.type", Value: d.Type}, opentracing.Tag{Key: "sampler.param", Value: d.Param})
		}
		return nil, out
	}
	return t.childOfCarried(op, ref, opts, func(parent opentracing.SpanContext) []opentracing.StartSpanOption {
		out := slices.Clone(opts)
		out[at] = opentracing.SpanReference{Type: ref.Type, ReferencedContext: parent}
		return out
	})
}

// childOfCarried starts, for sampleStart, a child whose parent reference ref
// may be a span that records nothing: unsampled, the child records nothing
// either; sampled, with, given the backend's parent, the options to start it.
// Any other reference is the backend's.
func (t *Tracer) childOfCarried(op string, ref opentracing.SpanReference, opts []opentracing.StartSpanOption,
	with func(parent opentracing.SpanContext) []opentracing.StartSpanOption) (*carrySpan, []opentracing.StartSpanOption) {
	cs := t.carried(ref.ReferencedContext)
	if cs == nil {
		return nil, opts
	}
	psc, parent, sampled := t.continueCarried(cs, op)
	switch {
	case !sampled:
		return &carrySpan{t: t, psc: psc, decided: true}, nil
	case parent == nil: // the backend could not import it: a root of its own
		return nil, slices.DeleteFunc(slices.Clone(opts), func(o opentracing.StartSpanOption) bool {
			r, ok := o.(opentracing.SpanReference)
			return ok && r.ReferencedContext == ref.ReferencedContext
		})
	}
	return nil, with(parent)
}

// hiddenReference finds the first reference among opts that are not of
// opentracing's plain kinds, by applying them: ext.RPCServerOption and the
// like carry one inside.
func hiddenReference(opts []opentracing.StartSpanOption) (opentracing.SpanReference, bool) {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		switch o.(type) {
		case opentracing.Tag, *opentracing.Tag, opentracing.Tags, opentracing.StartTime, *opentracing.StartTime:
			continue // no reference in these: skip their allocations
		}
		o.Apply(&so)
		for _, r := range so.References {
			if r.ReferencedContext != nil {
				return r, true
			}
		}
	}
	return opentracing.SpanReference{}, false
}

// holds64 reports whether spans of the backend keep only 64 bits of a
// trace id (lightstep's): core then starts new traces with 64-bit ids, and
// carries incoming ones as the backend would continue them. It asks by
// starting, once, an unsampled child of a 128-bit context, which is never
// finished and so never exported.
func holds64(ot opentracing.Tracer, codec backend.SpanContextCodec) (is64 bool) {
	defer func() {
		if recover() != nil {
			is64 = false
		}
	}()
	sc, err := codec.ImportSpanContext(propagation.SpanContext{TraceIDHigh: 1, TraceID: 2, SpanID: 3, Sampling: propagation.SamplingNo})
	if err != nil || sc == nil {
		return false
	}
	back, ok := codec.ExportSpanContext(ot.StartSpan("traceplug.probe", opentracing.ChildOf(sc)).Context())
	return ok && back.TraceIDHigh == 0 && back.TraceID == 2
}
