package debugpage

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestBuckets: every duration falls in the bucket whose bounds hold it, and
// the buckets tile the durations without gaps.
func TestBuckets(t *testing.T) {
	for i := 1; i < nBuckets; i++ {
		_, hi := bounds(i - 1)
		if lo, _ := bounds(i); lo != hi {
			t.Fatalf("bucket %d starts at %v, bucket %d ends at %v", i, lo, i-1, hi)
		}
	}
	for _, d := range []time.Duration{0, 1, 1023, 1024, 1279, 1280, time.Millisecond, 3 * time.Second, 68 * time.Second, time.Hour, -5} {
		b := bucket(d)
		lo, hi := bounds(b)
		if d >= 0 && (d < lo || d >= hi) {
			t.Errorf("%v in bucket %d [%v, %v)", d, b, lo, hi)
		}
	}
}

// TestQuantiles: percentiles of log-normal latencies are within a bucket's
// width (25%) of the exact ones, and never above the maximum.
func TestQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var w window
	var all []time.Duration
	for range 100000 {
		d := time.Duration(float64(time.Millisecond) * r.ExpFloat64() * r.ExpFloat64())
		all = append(all, d)
		w.count++
		w.max = max(w.max, d)
		w.hist[bucket(d)]++
	}
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.9, 0.99, 1} {
		exact := all[int(q*float64(len(all)))-1]
		got := w.quantile(q)
		if got > w.max || float64(got) < 0.75*float64(exact) || float64(got) > 1.25*float64(exact) {
			t.Errorf("q%v = %v, exact %v", q, got, exact)
		}
	}
	var empty window
	if empty.quantile(0.5) != 0 || empty.bars() != nil {
		t.Error("an empty window has a quantile or bars")
	}
	var n uint64
	for _, b := range w.bars() {
		n += b.Count
	}
	if n != w.count {
		t.Errorf("the bars hold %d of %d", n, w.count)
	}
}
