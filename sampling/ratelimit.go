package sampling

import (
	"sync"
	"time"
)

// rateLimiter is a token bucket, as jaeger-client-go's rate limiter: credits
// accrue at perSecond up to maxBalance, the bucket starts full, and each
// sampled trace costs one. now is its clock, a fake one in tests.
type rateLimiter struct {
	mu         sync.Mutex
	perSecond  float64
	balance    float64
	maxBalance float64
	last       time.Time
	now        func() time.Time
}

// newRateLimiter returns a full bucket of max(perSecond, 1) credits that
// refills at perSecond, reading now (time.Now when nil).
func newRateLimiter(perSecond float64, now func() time.Time) *rateLimiter {
	if now == nil {
		now = time.Now
	}
	b := max(perSecond, 1)
	return &rateLimiter{perSecond: perSecond, balance: b, maxBalance: b, last: now(), now: now}
}

// take spends one credit if there is one.
func (r *rateLimiter) take() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refill()
	if r.balance >= 1 {
		r.balance--
		return true
	}
	return false
}

// update changes the rate, keeping the credits earned so far (scaled to the
// new maximum), as jaeger-client-go does when a strategy changes.
func (r *rateLimiter) update(perSecond float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refill() // credit the time so far at the old rate first
	b := max(perSecond, 1)
	if r.maxBalance > 0 {
		r.balance *= b / r.maxBalance
	}
	r.perSecond, r.maxBalance = perSecond, b
}

// RateLimited samples at most perSecond new traces a second (a token bucket
// that starts full, holding max(perSecond, 1) traces), as jaeger-client-go's
// rate-limiting sampler does. now is the clock it reads, time.Now when nil
// (a test gives a fake one).
func RateLimited(perSecond float64, now func() time.Time) Sampler {
	return &rateLimited{limiter: newRateLimiter(perSecond, now), decision: Decision{Type: "ratelimiting", Param: perSecond}}
}

type rateLimited struct {
	limiter  *rateLimiter
	decision Decision
}

func (r *rateLimited) ShouldSample(Params) Decision {
	d := r.decision
	d.Sampled = r.limiter.take()
	return d
}

func (r *rateLimited) Description() string {
	return "RateLimiting{" + formatFloat(r.decision.Param) + "/s}"
}

// refill credits the time since the last refill at the current rate; r.mu
// is held.
func (r *rateLimiter) refill() {
	now := r.now()
	if elapsed := now.Sub(r.last); elapsed > 0 {
		r.balance = min(r.maxBalance, r.balance+elapsed.Seconds()*r.perSecond)
		r.last = now
	}
}
