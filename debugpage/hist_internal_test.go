package debugpage

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/traceplug/traceplug/core"
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

// TestWindowsOverTime: spans recorded over two hours, some of them late,
// are counted in the last minute's and the last hour's windows exactly
// when they ended in them, whenever the page is read, as minute bins move
// their counts to the hour's bins.
func TestWindowsOverTime(t *testing.T) {
	tr, err := core.New("mock")
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).Unix()
	var ends []int64 // unix seconds
	for now := start; now < start+2*3600; now += 1 + r.Int64N(13) {
		end := now
		if r.IntN(10) == 0 {
			end -= r.Int64N(700) // late, by up to two hour steps
		}
		ends = append(ends, end)
		p.RecordSpan(core.FinishedSpan{Operation: "op", Kind: core.KindServer, End: time.Unix(end, 0), Duration: time.Millisecond, Error: end%3 == 0})
		if r.IntN(40) != 0 {
			continue
		}
		var minute, hour, minuteErrs, hourErrs uint64
		for _, e := range ends {
			if e/minuteStep > now/minuteStep-minuteBins && e/minuteStep <= now/minuteStep {
				minute++
				minuteErrs += uint64(btoi(e%3 == 0))
			}
			if e/hourStep > now/hourStep-hourBins && e/hourStep <= now/hourStep {
				hour++
				hourErrs += uint64(btoi(e%3 == 0))
			}
		}
		v, _ := p.opView(tr, p.ops[core.KindServer]["op"], now)
		if v.Minute.Requests != minute || v.Hour.Requests != hour {
			t.Fatalf("at +%ds: minute %d (want %d), hour %d (want %d)", now-start, v.Minute.Requests, minute, v.Hour.Requests, hour)
		}
		if v.Minute.Errors != minuteErrs || v.Hour.Errors != hourErrs {
			t.Fatalf("at +%ds: errors minute %d (want %d), hour %d (want %d)", now-start, v.Minute.Errors, minuteErrs, v.Hour.Errors, hourErrs)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
