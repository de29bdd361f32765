package sampling

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// This file holds a Jaeger sampling strategy: its JSON as Jaeger serves it,
// its validation, and the immutable form [NewJaegerRemote]'s sampler decides
// with.

// strategyResponse is a Jaeger sampling strategy as the agent, the collector
// and Jaeger v2's remote_sampling extension serve it over HTTP. The same
// fields come in two dialects: proto JSON on /sampling and /api/sampling
// ("strategyType":"PROBABILISTIC", absent objects left out) and the legacy
// Thrift 0.9.2 JSON on the agent's "/" ("strategyType":0, absent objects
// null). jaeger-client-go reads the first with its thrift-gen/sampling types.
type strategyResponse struct {
	StrategyType          *strategyType `json:"strategyType"`
	ProbabilisticSampling *struct {
		SamplingRate jsonFloat `json:"samplingRate"`
	} `json:"probabilisticSampling"`
	RateLimitingSampling *struct {
		MaxTracesPerSecond jsonFloat `json:"maxTracesPerSecond"`
	} `json:"rateLimitingSampling"`
	OperationSampling *struct {
		DefaultSamplingProbability       jsonFloat  `json:"defaultSamplingProbability"`
		DefaultLowerBoundTracesPerSecond jsonFloat  `json:"defaultLowerBoundTracesPerSecond"`
		DefaultUpperBoundTracesPerSecond *jsonFloat `json:"defaultUpperBoundTracesPerSecond"`
		PerOperationStrategies           []struct {
			Operation             string `json:"operation"`
			ProbabilisticSampling *struct {
				SamplingRate jsonFloat `json:"samplingRate"`
			} `json:"probabilisticSampling"`
		} `json:"perOperationStrategies"`
	} `json:"operationSampling"`
}

// strategyType is Jaeger's SamplingStrategyType, read as its name or its
// number.
type strategyType int

const (
	typeProbabilistic strategyType = 0
	typeRateLimiting  strategyType = 1
)

func (t *strategyType) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"PROBABILISTIC"`, "0":
		*t = typeProbabilistic
	case `"RATE_LIMITING"`, "1":
		*t = typeRateLimiting
	default:
		return fmt.Errorf("strategyType %s is neither PROBABILISTIC (0) nor RATE_LIMITING (1)", capText(string(b)))
	}
	return nil
}

// jsonFloat is a number, also in proto JSON's quoted form ("0.5", "NaN",
// "Infinity"), so that a non-finite value is reported as invalid rather
// than as garbage. null is 0, as proto JSON reads it.
type jsonFloat float64

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = 0
		return nil
	}
	s := string(bytes.Trim(b, `"`))
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%s is not a number", capText(string(b)))
	}
	*f = jsonFloat(v)
	return nil
}

// strategyKind says which of a strategy's fields decide.
type strategyKind uint8

const (
	kindInitial       strategyKind = iota // a sampler given before the first strategy
	kindProbabilistic                     // the service's probability
	kindRateLimiting                      // the service's traces per second
	kindPerOperation                      // per-operation probabilities with a lower bound
)

// wireStrategy is a validated strategy, before it is built.
type wireStrategy struct {
	kind       strategyKind
	rate       float64 // the probability, the traces per second, or the default probability
	lowerBound float64 // kindPerOperation: traces per second per operation
	ops        []operationRate
}

type operationRate struct {
	name string
	rate float64
}

// errInvalidStrategy is wrapped by the errors of a response that is JSON but
// not a usable strategy.
var errInvalidStrategy = errors.New("invalid sampling strategy")

// parseStrategy reads and validates a strategy response. As jaeger-client-go
// and OpenTelemetry's jaegerremote, operationSampling wins when present;
// otherwise strategyType says which object applies (when it is absent, the
// one present does, probabilistic first). A probability outside [0, 1], a
// negative rate or a non-finite number makes the whole response invalid.
func parseStrategy(body []byte) (wireStrategy, error) {
	var r strategyResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return wireStrategy{}, fmt.Errorf("response is not a sampling strategy: %w", err)
	}
	invalid := func(format string, args ...any) (wireStrategy, error) {
		return wireStrategy{}, fmt.Errorf("%w: %s", errInvalidStrategy, fmt.Sprintf(format, args...))
	}
	switch {
	case r.OperationSampling != nil:
		per := r.OperationSampling
		w := wireStrategy{kind: kindPerOperation, rate: float64(per.DefaultSamplingProbability), lowerBound: float64(per.DefaultLowerBoundTracesPerSecond)}
		if !isProbability(w.rate) {
			return invalid("operationSampling.defaultSamplingProbability %s is not a probability from 0 to 1", formatFloat(w.rate))
		}
		if !isRate(w.lowerBound) {
			return invalid("operationSampling.defaultLowerBoundTracesPerSecond %s is not a rate of 0 or more", formatFloat(w.lowerBound))
		}
		if ub := per.DefaultUpperBoundTracesPerSecond; ub != nil && !isRate(float64(*ub)) {
			return invalid("operationSampling.defaultUpperBoundTracesPerSecond %s is not a rate of 0 or more", formatFloat(float64(*ub)))
		}
		w.ops = make([]operationRate, 0, len(per.PerOperationStrategies))
		for _, o := range per.PerOperationStrategies {
			if o.ProbabilisticSampling == nil {
				return invalid("operation %q has no probabilisticSampling", capText(o.Operation))
			}
			rate := float64(o.ProbabilisticSampling.SamplingRate)
			if !isProbability(rate) {
				return invalid("operation %q: samplingRate %s is not a probability from 0 to 1", capText(o.Operation), formatFloat(rate))
			}
			w.ops = append(w.ops, operationRate{name: o.Operation, rate: rate})
		}
		return w, nil
	case r.ProbabilisticSampling != nil && (r.StrategyType == nil || *r.StrategyType == typeProbabilistic):
		rate := float64(r.ProbabilisticSampling.SamplingRate)
		if !isProbability(rate) {
			return invalid("probabilisticSampling.samplingRate %s is not a probability from 0 to 1", formatFloat(rate))
		}
		return wireStrategy{kind: kindProbabilistic, rate: rate}, nil
	case r.RateLimitingSampling != nil && (r.StrategyType == nil || *r.StrategyType == typeRateLimiting):
		rate := float64(r.RateLimitingSampling.MaxTracesPerSecond)
		if !isRate(rate) {
			return invalid("rateLimitingSampling.maxTracesPerSecond %s is not a rate of 0 or more", formatFloat(rate))
		}
		return wireStrategy{kind: kindRateLimiting, rate: rate}, nil
	case r.StrategyType != nil && *r.StrategyType == typeRateLimiting:
		return invalid("strategyType RATE_LIMITING without rateLimitingSampling")
	case r.StrategyType != nil:
		return invalid("strategyType PROBABILISTIC without probabilisticSampling")
	}
	return invalid("none of probabilisticSampling, rateLimitingSampling, operationSampling")
}

func isProbability(f float64) bool { return f >= 0 && f <= 1 } // false for NaN
func isRate(f float64) bool        { return f >= 0 && !math.IsInf(f, 1) }

// maxRandomNumber masks a trace id to the 63 bits jaeger-client-go's
// probabilistic sampler compares.
const maxRandomNumber = 1<<63 - 1

// probabilistic is jaeger-client-go's ProbabilisticSampler: a trace is
// sampled when the boundary is at or above its id's lower 63 bits.
type probabilistic struct {
	boundary uint64
	yes, no  Decision
}

func newProbabilistic(rate float64) probabilistic {
	rate = max(0, min(rate, 1))
	return probabilistic{
		boundary: uint64(float64(maxRandomNumber) * rate),
		yes:      Decision{Sampled: true, Type: "probabilistic", Param: rate},
		no:       Decision{Type: "probabilistic", Param: rate},
	}
}

func (p *probabilistic) sample(traceID uint64) bool { return p.boundary >= traceID&maxRandomNumber }

func (p *probabilistic) decide(traceID uint64) Decision {
	if p.sample(traceID) {
		return p.yes
	}
	return p.no
}

// operationSampler is jaeger-client-go's
// GuaranteedThroughputProbabilisticSampler: the operation's probability,
// and, when it says no, a lower-bound rate limiter. A trace the probability
// samples also spends a credit, so that the bound counts every sampled trace.
type operationSampler struct {
	prob       probabilistic
	lowerBound Decision // Type lowerbound, Param the probability
	limiter    *rateLimiter
}

func newOperationSampler(rate float64, limiter *rateLimiter) *operationSampler {
	o := &operationSampler{prob: newProbabilistic(rate), limiter: limiter}
	o.lowerBound = Decision{Type: "lowerbound", Param: o.prob.yes.Param}
	return o
}

func (o *operationSampler) decide(traceID uint64) Decision {
	if o.prob.sample(traceID) {
		o.limiter.take()
		return o.prob.yes
	}
	d := o.lowerBound
	d.Sampled = o.limiter.take()
	return d
}

// lazyOperations are the operations a per-operation strategy does not list,
// each given a sampler at the default probability with the lower bound when
// first seen, while there is room. A known one is found without a lock.
type lazyOperations struct {
	mu   sync.Mutex   // serializes additions, and the hand-over to the next strategy
	ops  sync.Map     // operation name → *operationSampler
	room atomic.Int64 // operations that may still be added; 0 once handed over
	rate float64      // the default probability
	now  func() time.Time
}

// strategy is the strategy in force, immutable once built but for its rate
// limiters' credits and its lazily added operations.
type strategy struct {
	kind       strategyKind
	initial    Sampler                      // kindInitial
	prob       probabilistic                // kindProbabilistic; kindPerOperation's default
	limiter    *rateLimiter                 // kindRateLimiting
	limited    Decision                     // kindRateLimiting, Sampled unset
	ops        map[string]*operationSampler // kindPerOperation: the listed operations
	lazy       *lazyOperations              // kindPerOperation: the others
	lowerBound float64                      // kindPerOperation
	desc       string
}

func (s *strategy) decide(p Params) Decision {
	switch s.kind {
	case kindProbabilistic:
		return s.prob.decide(p.TraceID)
	case kindRateLimiting:
		d := s.limited
		d.Sampled = s.limiter.take()
		return d
	case kindPerOperation:
		if o, ok := s.ops[p.Operation]; ok {
			return o.decide(p.TraceID)
		}
		if v, ok := s.lazy.ops.Load(p.Operation); ok {
			return v.(*operationSampler).decide(p.TraceID)
		}
		if s.lazy.room.Load() > 0 {
			if o := s.addOperation(p.Operation); o != nil {
				return o.decide(p.TraceID)
			}
		}
		return s.prob.decide(p.TraceID)
	}
	return s.initial.ShouldSample(p)
}

// addOperation gives op a sampler of its own if there is room, and returns
// it (nil when there is none).
func (s *strategy) addOperation(op string) *operationSampler {
	l := s.lazy
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, ok := l.ops.Load(op); ok {
		return v.(*operationSampler)
	}
	if l.room.Load() <= 0 {
		return nil
	}
	o := newOperationSampler(l.rate, newRateLimiter(s.lowerBound, l.now))
	l.ops.Store(strings.Clone(op), o) // a copy: the key outlives the request
	l.room.Add(-1)
	return o
}

// initialStrategy is the strategy before the first fetch: s, or, when nil,
// jaeger-client-go's default of a probability of 0.001.
func initialStrategy(s Sampler) *strategy {
	if s == nil {
		st := &strategy{kind: kindProbabilistic, prob: newProbabilistic(0.001)}
		st.desc = "JaegerRemote{initial: probabilistic 0.001}"
		return st
	}
	return &strategy{kind: kindInitial, initial: s, desc: "JaegerRemote{initial: " + s.Description() + "}"}
}

// buildStrategy builds w. Rate limiters of prev carry over with their
// credits, their rates updated: the service's limiter from one rate-limiting
// strategy to the next, and each operation's from one per-operation strategy
// to the next (an operation the new one no longer lists keeps its limiter,
// at the default probability, while there is room under maxOps).
func buildStrategy(w wireStrategy, prev *strategy, maxOps int, now func() time.Time) *strategy {
	switch w.kind {
	case kindProbabilistic:
		return &strategy{kind: kindProbabilistic, prob: newProbabilistic(w.rate), desc: "JaegerRemote{probabilistic " + formatFloat(w.rate) + "}"}
	case kindRateLimiting:
		st := &strategy{kind: kindRateLimiting, limited: Decision{Type: "ratelimiting", Param: w.rate}}
		if prev.kind == kindRateLimiting {
			st.limiter = prev.limiter
			if prev.limited.Param != w.rate {
				st.limiter.update(w.rate)
			}
		} else {
			st.limiter = newRateLimiter(w.rate, now)
		}
		st.desc = "JaegerRemote{ratelimiting " + formatFloat(w.rate) + "/s}"
		return st
	}

	st := &strategy{
		kind:       kindPerOperation,
		prob:       newProbabilistic(w.rate),
		ops:        make(map[string]*operationSampler, len(w.ops)),
		lazy:       &lazyOperations{rate: w.rate, now: now},
		lowerBound: w.lowerBound,
	}
	// reuse returns the limiter prev had for op, at the new lower bound.
	reuse := func(op string) *rateLimiter { return newRateLimiter(w.lowerBound, now) }
	if prev.kind == kindPerOperation {
		prev.lazy.mu.Lock()
		defer prev.lazy.mu.Unlock()
		prev.lazy.room.Store(0) // requests still holding prev add no operation it would not hand over
		reuse = func(op string) *rateLimiter {
			var l *rateLimiter
			if o, ok := prev.ops[op]; ok {
				l = o.limiter
			} else if v, ok := prev.lazy.ops.Load(op); ok {
				l = v.(*operationSampler).limiter
			} else {
				return newRateLimiter(w.lowerBound, now)
			}
			if prev.lowerBound != w.lowerBound {
				l.update(w.lowerBound)
			}
			return l
		}
	}
	for _, o := range w.ops {
		if dup, ok := st.ops[o.name]; ok { // listed twice: the last wins, as in jaeger-client-go
			st.ops[o.name] = newOperationSampler(o.rate, dup.limiter)
			continue
		}
		st.ops[o.name] = newOperationSampler(o.rate, reuse(o.name))
	}
	room := int64(maxOps - len(st.ops))
	if prev.kind == kindPerOperation {
		carry := func(op string) {
			if _, listed := st.ops[op]; listed || room <= 0 {
				return
			}
			if _, ok := st.lazy.ops.Load(op); ok {
				return
			}
			st.lazy.ops.Store(op, newOperationSampler(w.rate, reuse(op)))
			room--
		}
		for op := range prev.ops {
			carry(op)
		}
		prev.lazy.ops.Range(func(k, _ any) bool {
			carry(k.(string))
			return room > 0
		})
	}
	st.lazy.room.Store(max(room, 0))
	noun := "operations"
	if len(st.ops) == 1 {
		noun = "operation"
	}
	st.desc = fmt.Sprintf("JaegerRemote{per-operation: %d %s, default %s, lower bound %s/s}", len(st.ops), noun, formatFloat(w.rate), formatFloat(w.lowerBound))
	return st
}
