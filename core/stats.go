package core

import (
	"maps"
	"sync/atomic"

	"github.com/traceplug/traceplug/backend"
)

// Stats counts what a [Tracer] has done with spans since it was built. Read
// it with [Tracer.Stats].
type Stats struct {
	// Started and Finished count the spans Middleware, Trace and Transport
	// started and finished. (Spans a program starts itself are not counted
	// here, but are in Reported and Dropped.)
	Started, Finished uint64
	// Reported counts the spans the backend delivered to its collector, and
	// Dropped those it gave up on; DroppedBy says why, by reason, such as
	// "queue full", "send failed", "rejected by collector" or "unsent at
	// shutdown". They are zero for a backend that does not count (see
	// [StatsReporter]). Unsampled spans are neither.
	Reported, Dropped uint64
	DroppedBy         map[string]uint64
	// Pending counts the spans the backend holds, not yet reported or
	// dropped, as far as it knows: lightstep learns of the spans its full
	// buffer dropped only when it next reports, and counts them until then.
	Pending uint64
	// CallbackPanics counts panics recovered from the functions given to
	// WithSpanObserver and WithOperationName, and from a Recorder's
	// RecordSpan (WithRecorder).
	CallbackPanics uint64
	// BaggageDropped counts incoming baggage items dropped by the limits of
	// WithBaggageLimits.
	BaggageDropped uint64
	// Sampling says which sampler is in force, where it came from, and what
	// it decided, by operation. Unsampled requests record nothing, so they
	// count here and not in Started.
	Sampling SamplingStats
}

// counters are a Tracer's own counts, updated on the request path with
// atomics only.
type counters struct {
	started, finished, callbackPanics, baggageDropped atomic.Uint64
}

// Stats returns the Tracer's counts so far. It is safe for concurrent use,
// and stays valid after Shutdown, when the backend has settled every span
// it was given as reported or dropped. Any drop also makes Shutdown's error
// wrap [ErrSpansLost].
func (t *Tracer) Stats() Stats {
	s := Stats{
		Started:        t.counts.started.Load(),
		Finished:       t.counts.finished.Load(),
		CallbackPanics: t.counts.callbackPanics.Load(),
		BaggageDropped: t.counts.baggageDropped.Load(),
		DroppedBy:      map[string]uint64{},
	}
	if t.sampling != nil {
		s.Sampling = t.sampling.stats()
	}
	if r, ok := t.ot.(backend.StatsReporter); ok {
		b := r.BackendStats()
		s.Reported, s.Pending = b.Reported, b.Pending
		s.DroppedBy = maps.Clone(b.Dropped)
		if s.DroppedBy == nil {
			s.DroppedBy = map[string]uint64{}
		}
		for _, n := range b.Dropped {
			s.Dropped += n
		}
	}
	return s
}
