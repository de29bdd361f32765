package report

import (
	"sync"
	"sync/atomic"

	"github.com/traceplug/traceplug/core"
)

// Reasons spans are dropped, as core.Stats reports them.
const (
	DropQueueFull = "queue full"
	DropClosed    = "finished after close"
	DropSend      = "send failed"
	DropRejected  = "rejected by collector"
	DropBacklog   = "backlog full"
	DropTooLarge  = "too large"
	DropShutdown  = "unsent at shutdown"
)

// Counts is a backend's tally of the spans it was given, for
// core.StatsReporter. It is safe for concurrent use.
type Counts struct {
	handed, reported atomic.Uint64

	mu      sync.Mutex
	dropped map[string]uint64
}

// Handed counts n spans given to the backend's reporter.
func (c *Counts) Handed(n uint64) { c.handed.Add(n) }

// Reported counts n spans delivered.
func (c *Counts) Reported(n uint64) { c.reported.Add(n) }

// Dropped counts n spans given up on for reason.
func (c *Counts) Dropped(reason string, n uint64) {
	if n == 0 {
		return
	}
	c.mu.Lock()
	if c.dropped == nil {
		c.dropped = map[string]uint64{}
	}
	c.dropped[reason] += n
	c.mu.Unlock()
}

// Settle is called once the reporter has shut down: every span it was handed
// and that is neither reported nor dropped is lost, and counted so.
func (c *Counts) Settle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	accounted := c.reported.Load()
	for reason, n := range c.dropped {
		if reason != DropClosed {
			accounted += n
		}
	}
	if h := c.handed.Load(); h > accounted {
		if c.dropped == nil {
			c.dropped = map[string]uint64{}
		}
		c.dropped[DropShutdown] += h - accounted
	}
}

// BackendStats implements core.StatsReporter.
func (c *Counts) BackendStats() core.BackendStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := make(map[string]uint64, len(c.dropped))
	accounted := c.reported.Load()
	for k, v := range c.dropped {
		d[k] = v
		if k != DropClosed { // spans finished after close were never handed
			accounted += v
		}
	}
	var pending uint64
	if h := c.handed.Load(); h > accounted {
		pending = h - accounted
	}
	return core.BackendStats{Reported: c.reported.Load(), Dropped: d, Pending: pending}
}
