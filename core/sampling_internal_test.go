package core

import (
	"testing"
	"time"

	"github.com/traceplug/traceplug/propagation"
	"github.com/traceplug/traceplug/sampling"
)

// TestForcedLimitFakeClock: forced traces are capped by a token bucket that
// a fake clock drives: exactly the burst at one instant, then the rate.
func TestForcedLimitFakeClock(t *testing.T) {
	now := time.Unix(1700000000, 0)
	c, err := newConfig([]Option{WithForcedSampling(2), WithSampler(sampling.AlwaysOff()), withClock(func() time.Time { return now })})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := newSampler(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	forced := func(n int) (k int) {
		for range n {
			psc := propagation.SpanContext{TraceID: 1, SpanID: 1, Sampling: propagation.SamplingDebug}
			if sm.decide(&psc, "op").Sampled {
				k++
			}
		}
		return k
	}
	if k := forced(10); k != 2 {
		t.Fatalf("at one instant: %d forced, want 2", k)
	}
	now = now.Add(1500 * time.Millisecond)
	if k := forced(10); k != 2 {
		t.Fatalf("after 1.5 s at 2/s: %d forced, want 2 (the bucket's size)", k)
	}
	now = now.Add(500 * time.Millisecond)
	if k := forced(10); k != 1 {
		t.Fatalf("after 0.5 s: %d forced, want 1", k)
	}
	if s := sm.stats(); s.Forced != 5 || s.ForcedOverLimit != 25 {
		t.Errorf("stats: forced %d, over %d", s.Forced, s.ForcedOverLimit)
	}
}
