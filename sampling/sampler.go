package sampling

import (
	"fmt"

	"github.com/traceplug/traceplug/propagation"
)

// Params is what a [Sampler] decides on: the trace, the operation that
// starts in this service, and the decision its parent carried, if any.
type Params struct {
	// TraceIDHigh and TraceID are the trace id: the upper and lower 64 bits
	// (TraceIDHigh is 0 for a 64-bit id). For a new trace it is the id the
	// trace will have.
	TraceIDHigh, TraceID uint64
	// Operation is the name the span will have, such as "GET /items/{id}".
	Operation string
	// Parent is the decision of the parent span context: SamplingDeferred
	// for a new trace, or a parent that left the decision open.
	Parent propagation.Sampling
}

// Decision is a [Sampler]'s answer.
type Decision struct {
	// Sampled says whether the trace is recorded and exported.
	Sampled bool
	// Type and Param name the rule that decided, as jaeger-client-go tags a
	// new trace's root span (sampler.type and sampler.param), where Jaeger's
	// adaptive sampling reads them: "const" (Param 0 or 1), "probabilistic"
	// (Param the probability), "ratelimiting" (Param the traces per second)
	// or "lowerbound" (Param the operation's probability). Type is "" when
	// the parent's decision was followed.
	Type  string
	Param float64
}

// Sampler decides whether a trace is sampled. Implementations are safe for
// concurrent use and fast: a sampler runs once per request.
type Sampler interface {
	// ShouldSample decides for p.
	ShouldSample(p Params) Decision
	// Description names the sampler and its settings, for logs and the
	// debug page, as OpenTelemetry's samplers do ("TraceIDRatioBased{0.25}").
	Description() string
}

// OperationSampler is implemented by a [Sampler] whose decision may depend on
// [Params].Operation (rules, Jaeger's per-operation strategies). Core then
// learns a request's route before deciding, which costs a lookup in the
// router; samplers that do not implement it, or return false, are given the
// operation name as far as it is known at the span's start.
type OperationSampler interface {
	UsesOperation() bool
}

// UsesOperation reports whether s's decisions may depend on the operation
// name ([OperationSampler]).
func UsesOperation(s Sampler) bool {
	o, ok := s.(OperationSampler)
	return ok && o.UsesOperation()
}

// Decisions of the constant samplers, and of parents.
var (
	sampledConst    = Decision{Sampled: true, Type: "const", Param: 1}
	notSampledConst = Decision{Type: "const", Param: 0}
	parentSampled   = Decision{Sampled: true}
	parentDropped   = Decision{}
)

// AlwaysOn samples every trace: OTEL_TRACES_SAMPLER=always_on.
func AlwaysOn() Sampler { return alwaysOn{} }

type alwaysOn struct{}

func (alwaysOn) ShouldSample(Params) Decision { return sampledConst }
func (alwaysOn) Description() string          { return "AlwaysOnSampler" }

// AlwaysOff samples no trace: OTEL_TRACES_SAMPLER=always_off.
func AlwaysOff() Sampler { return alwaysOff{} }

type alwaysOff struct{}

func (alwaysOff) ShouldSample(Params) Decision { return notSampledConst }
func (alwaysOff) Description() string          { return "AlwaysOffSampler" }

// TraceIDRatio samples the fraction of traces whose id falls below it, as
// OpenTelemetry's TraceIDRatioBased does (the trace id's lower 64 bits,
// shifted right by one, against fraction × 2⁶³), so that services at one
// ratio, in any language, keep the same traces. A fraction of 1 or more
// samples every trace, 0 or less none; it describes itself as OpenTelemetry's
// does, "TraceIDRatioBased{0.25}". OTEL_TRACES_SAMPLER=traceidratio.
func TraceIDRatio(fraction float64) Sampler {
	r := traceIDRatio{fraction: min(max(fraction, 0), 1)}
	r.bound = uint64(r.fraction * (1 << 63)) // 2⁶³ at 1: above every id>>1
	r.decision = Decision{Type: "probabilistic", Param: r.fraction}
	if r.fraction == 1 {
		r.decision = sampledConst
	}
	return r
}

type traceIDRatio struct {
	fraction float64
	bound    uint64
	decision Decision
}

func (r traceIDRatio) ShouldSample(p Params) Decision {
	d := r.decision
	d.Sampled = p.TraceID>>1 < r.bound
	return d
}

func (r traceIDRatio) Description() string { return fmt.Sprintf("TraceIDRatioBased{%g}", r.fraction) }

// ParentBased follows the decision a parent carried, sampled or not, and
// asks root for traces that start here or whose parent left the decision
// open: OpenTelemetry's ParentBased with its default delegates, and what
// every parentbased_* name of OTEL_TRACES_SAMPLER means.
func ParentBased(root Sampler) Sampler {
	if pb, ok := root.(parentBased); ok {
		return pb
	}
	return parentBased{root: root}
}

type parentBased struct{ root Sampler }

func (pb parentBased) ShouldSample(p Params) Decision {
	switch p.Parent {
	case propagation.SamplingYes, propagation.SamplingDebug:
		return parentSampled
	case propagation.SamplingNo:
		return parentDropped
	}
	return pb.root.ShouldSample(p)
}

func (pb parentBased) Description() string {
	return "ParentBased{root:" + pb.root.Description() + ",remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"
}

func (pb parentBased) UsesOperation() bool { return UsesOperation(pb.root) }

// Close closes root if it has a Close method (a remote sampler).
func (pb parentBased) Close() error { return closeSampler(pb.root) }

// Root returns the sampler pb asks for traces without a parent's decision.
func (pb parentBased) Root() Sampler { return pb.root }

// closeSampler closes s when it is an io.Closer.
func closeSampler(s Sampler) error {
	if c, ok := s.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

// Close stops s's background work, if it has any (a remote sampler's
// polling, also under [ParentBased] or [NewRules]), and waits for it to end.
// It is safe to call on any sampler, and more than once.
func Close(s Sampler) error { return closeSampler(s) }
