package backend

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/traceplug/traceplug/internal/textutil"
)

// ReporterConfig sizes a [Reporter]. Zero fields take the defaults shown.
type ReporterConfig struct {
	// QueueSize bounds the spans waiting to be sent (4096). A span that
	// finds the queue full is dropped as [DropQueueFull]: Add never waits.
	QueueSize int
	// BatchSize is the most spans one send carries (100).
	BatchSize int
	// Interval is the longest a span waits for its batch to fill (1s).
	Interval time.Duration
	// Timeout bounds one send (5s): its context ends then.
	Timeout time.Duration
	// Logger is where failed sends are logged, held back to one line every
	// few seconds: NewLoggerTo(cfg.Logger, "otmock: ") logs where the user
	// asked. nil logs through the log package, each line prefixed with Name.
	Logger *Logger
	// Name names the backend in log lines ("otmock").
	Name string
}

func (c *ReporterConfig) defaults() {
	if c.QueueSize <= 0 {
		c.QueueSize = 4096
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = NewLogger(c.Name + ": ")
	}
}

// Reporter is the reporting loop a backend puts between the application and
// its collector: a bounded queue that [Reporter.Add] never waits on, one
// goroutine that sends the spans in batches (of BatchSize, or whatever came
// within Interval) through the backend's send function, [Reporter.Flush],
// and [Reporter.Shutdown], which sends what is queued and, when its context
// ends first, aborts the send under way. It counts every span it is given
// exactly once, as reported or dropped with the drop reasons of this
// package, in a [SpanCounts] that [Reporter.BackendStats] reports: a
// backend's tracer returns it from its own BackendStats to implement
// [StatsReporter].
//
// S is whatever the backend snapshots a finished span into (its wire form,
// or the span itself when it is immutable once finished). A Reporter is safe
// for concurrent use.
type Reporter[S any] struct {
	cfg    ReporterConfig
	send   func(ctx context.Context, batch []S) error
	counts SpanCounts

	queue chan S
	flush chan chan struct{}
	stop  chan struct{}
	done  chan struct{}

	// mu orders Add against Shutdown: once closed is set no span is
	// handed, so the goroutine's last drain sees every span handed.
	mu     sync.RWMutex
	closed bool

	// aborted ends when Shutdown's deadline does: the send under way fails
	// at once, and nothing more is sent.
	aborted context.Context
	abort   context.CancelFunc

	once sync.Once
	err  error
}

// NewReporter starts a Reporter that sends batches through send, from one
// goroutine: call Shutdown to stop it.
//
// send delivers one batch within ctx (which ends at the Timeout, or at once
// when Shutdown gives up). It returns nil when the collector took every
// span; an error made by [Dropped] (or several joined with errors.Join)
// when it dropped some, the rest being reported; any other error (alone, or
// joined with errors made by Dropped) when the batch, or the rest of it, was
// lost, which counts those spans as [DropSend]. A batch lost because
// Shutdown gave up is left for [SpanCounts.Settle], which counts it as
// [DropShutdown]. Every error is logged, with the number of spans.
func NewReporter[S any](cfg ReporterConfig, send func(ctx context.Context, batch []S) error) *Reporter[S] {
	cfg.defaults()
	r := &Reporter[S]{
		cfg:   cfg,
		send:  send,
		queue: make(chan S, cfg.QueueSize),
		flush: make(chan chan struct{}),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	r.aborted, r.abort = context.WithCancel(context.Background())
	go r.run()
	return r
}

// Add hands s to the reporter without waiting: it is queued, or dropped as
// [DropQueueFull] when the queue is full, or as [DropClosed] once Shutdown
// has begun. Call it for sampled spans only.
func (r *Reporter[S]) Add(s S) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.counts.Dropped(DropClosed, 1)
		return
	}
	if !r.counts.Handed(1) {
		return
	}
	select {
	case r.queue <- s:
	default:
		r.counts.Dropped(DropQueueFull, 1)
	}
}

// Drop counts n spans the backend dropped itself for reason, before Add (a
// span its wire format cannot carry, say), so that BackendStats accounts
// for them.
func (r *Reporter[S]) Drop(reason string, n int) {
	r.counts.Dropped(reason, uint64(n))
}

// Flush sends every span queued now, returning when that is done or when
// ctx ends, with ctx's error.
func (r *Reporter[S]) Flush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case r.flush <- ack:
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown sends every queued span and stops the goroutine. When ctx ends
// first it aborts the send under way and returns ctx's error; the spans not
// sent are then counted as [DropShutdown]. Either way no goroutine of the
// Reporter is left when it returns. Spans added later are dropped as
// [DropClosed]. Only the first call does the work; later ones return its
// error.
func (r *Reporter[S]) Shutdown(ctx context.Context) error {
	r.once.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		close(r.stop)
		select {
		case <-r.done:
		case <-ctx.Done():
			r.abort()
			<-r.done
			r.err = ctx.Err()
		}
		r.abort()
		r.counts.Settle()
	})
	return r.err
}

// BackendStats implements [StatsReporter] with the Reporter's counts.
func (r *Reporter[S]) BackendStats() BackendStats { return r.counts.BackendStats() }

func (r *Reporter[S]) run() {
	defer close(r.done)
	batch := make([]S, 0, r.cfg.BatchSize)
	send := func() {
		if len(batch) > 0 {
			r.deliver(batch)
			clear(batch)
			batch = batch[:0]
		}
	}
	add := func(s S) {
		if batch = append(batch, s); len(batch) == r.cfg.BatchSize {
			send()
		}
	}
	drain := func() {
		for {
			select {
			case s := <-r.queue:
				add(s)
			default:
				send()
				return
			}
		}
	}
	tick := time.NewTicker(r.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case s := <-r.queue:
			add(s)
		case <-tick.C:
			send()
		case ack := <-r.flush:
			drain()
			close(ack)
		case <-r.stop:
			drain() // Add hands nothing more: closed is set
			return
		}
	}
}

// deliver sends one batch and counts what became of its spans.
func (r *Reporter[S]) deliver(batch []S) {
	if r.aborted.Err() != nil {
		return // Settle counts them as unsent at shutdown
	}
	ctx, cancel := context.WithTimeout(r.aborted, r.cfg.Timeout)
	err := r.send(ctx, batch)
	cancel()
	n := len(batch)
	if err == nil {
		r.counts.Reported(uint64(n))
		return
	}
	drops, lost := droppedIn(err)
	var dropped uint64
	for _, d := range drops {
		k := min(uint64(d.n), uint64(n)-dropped)
		r.counts.Dropped(d.reason, k)
		dropped += k
	}
	switch rest := uint64(n) - dropped; {
	case !lost:
		r.counts.Reported(rest)
	case r.aborted.Err() != nil:
		return // Shutdown gave up: not the collector's fault, and Settle counts the rest
	default:
		r.counts.Dropped(DropSend, rest)
	}
	r.cfg.Logger.Printf("sending %s: %v", textutil.Count(n, "span"), err)
}

// Dropped returns the error a [Reporter]'s send function returns when n
// spans of its batch were dropped for reason (one of the Drop constants, or
// a reason of the backend's own), and the rest delivered; err says why,
// for the log. Several such errors joined with errors.Join add up.
func Dropped(reason string, n int, err error) error {
	return &droppedError{reason: reason, n: n, err: err}
}

type droppedError struct {
	reason string
	n      int
	err    error
}

func (e *droppedError) Error() string {
	return fmt.Sprintf("%s %s: %v", textutil.Count(e.n, "span"), e.reason, e.err)
}

func (e *droppedError) Unwrap() error { return e.err }

// droppedIn returns the droppedErrors in err's tree, in order, and whether
// the tree holds any other error: then the spans they do not count were
// lost.
func droppedIn(err error) (drops []*droppedError, lost bool) {
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case *droppedError:
			drops = append(drops, e)
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		default:
			lost = true
		}
	}
	walk(err)
	return drops, lost
}
