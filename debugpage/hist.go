package debugpage

import (
	"math/bits"
	"time"
)

// This file holds the latency histograms: log-linear buckets (four per
// power of two, from 1.024µs to 68.7s, with one bucket below and one above),
// kept per time bin of fixed width, so that a window (the last minute, the
// last hour) is the sum of its bins and memory never grows.

const (
	minExp   = 10 // the first bucket above the lowest starts at 2^10 ns
	maxExp   = 35 // the last bucket below the highest ends at 2^36 ns
	subBits  = 2  // 2^subBits buckets per power of two
	nBuckets = 2 + (maxExp-minExp+1)<<subBits
)

// bucket returns the index of d's histogram bucket.
func bucket(d time.Duration) int {
	if d < 1<<minExp {
		return 0
	}
	v := uint64(d)
	e := bits.Len64(v) - 1
	if e > maxExp {
		return nBuckets - 1
	}
	sub := int(v>>(e-subBits)) & (1<<subBits - 1)
	return 1 + (e-minExp)<<subBits + sub
}

// bounds returns the durations bucket i holds, from lo up to (not
// including) hi; the last bucket's hi is the largest duration.
func bounds(i int) (lo, hi time.Duration) {
	switch {
	case i <= 0:
		return 0, 1 << minExp
	case i >= nBuckets-1:
		return 1 << (maxExp + 1), 1<<63 - 1
	}
	i--
	e := minExp + i>>subBits
	lo = 1<<e + time.Duration(i&(1<<subBits-1))<<(e-subBits)
	return lo, lo + 1<<(e-subBits)
}

// bin is one time step of an operation's window: the spans that ended in
// it. epoch is the step's number since 1970 (seconds / step width), so a
// bin from a step that is over is seen to be and reset.
type bin struct {
	epoch         int64
	count, errors uint64
	sum, max      time.Duration
	hist          [nBuckets]uint32
}

// add counts a span that took d and ended in step epoch, in bucket b. A
// span of a step older than the bin's (recorded late) is out of the window.
func (x *bin) add(epoch int64, d time.Duration, b int, failed bool) {
	switch {
	case epoch < x.epoch:
		return
	case epoch > x.epoch:
		*x = bin{epoch: epoch}
	}
	x.count++
	if failed {
		x.errors++
	}
	x.sum += d
	x.max = max(x.max, d)
	x.hist[b]++
}

// window is the sum of the bins of a time window.
type window struct {
	count, errors uint64
	sum, max      time.Duration
	hist          [nBuckets]uint64
}

// merge adds the bins of steps after `after` up to `upto` to w.
func (w *window) merge(bins []bin, after, upto int64) {
	for i := range bins {
		x := &bins[i]
		if x.epoch <= after || x.epoch > upto || x.count == 0 {
			continue
		}
		w.count += x.count
		w.errors += x.errors
		w.sum += x.sum
		w.max = max(w.max, x.max)
		for j, n := range x.hist {
			w.hist[j] += uint64(n)
		}
	}
}

// quantile estimates the q-quantile (0 < q <= 1) of the window's
// durations: the rank's bucket, interpolated linearly within it, and never
// above the largest duration seen.
func (w *window) quantile(q float64) time.Duration {
	if w.count == 0 {
		return 0
	}
	rank := uint64(q*float64(w.count) + 0.5)
	rank = min(max(rank, 1), w.count)
	var cum uint64
	for i, n := range w.hist {
		if n == 0 {
			continue
		}
		if cum+n >= rank {
			lo, hi := bounds(i)
			if i == nBuckets-1 {
				return w.max
			}
			v := lo + time.Duration(float64(hi-lo)*float64(rank-cum)/float64(n))
			return min(v, w.max)
		}
		cum += n
	}
	return w.max
}

// bar is one bar of a histogram as the page draws it: the spans that took
// from Lo to Hi.
type bar struct {
	Lo    time.Duration `json:"from_ns"`
	Hi    time.Duration `json:"to_ns"`
	Count uint64        `json:"count"`
}

// bars returns w's histogram by power of two (the lowest and highest
// buckets on their own), from the first non-empty bar to the last: at most
// 28 bars.
func (w *window) bars() []bar {
	var out []bar
	for i := 0; i < nBuckets; {
		j := i + 1
		if i > 0 && i < nBuckets-1 {
			j = i + 1<<subBits
		}
		b := bar{}
		b.Lo, _ = bounds(i)
		_, b.Hi = bounds(j - 1)
		for k := i; k < j; k++ {
			b.Count += w.hist[k]
		}
		out = append(out, b)
		i = j
	}
	first, last := -1, -1
	for i, b := range out {
		if b.Count > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return nil
	}
	return out[first : last+1]
}
