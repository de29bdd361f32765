package backend

import (
	"context"
	"fmt"
	"strings"
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
	// Backlog, when above 0, keeps a batch whose send was lost (the send
	// function returned a plain error: no answer) to send it again, first,
	// at the next Interval, as zipkin-go's reporter does; the spans held
	// stay within Backlog (at least BatchSize), the oldest beyond it dropped
	// as [DropBacklog]. What Shutdown still cannot send is dropped as
	// [DropSend]. With 0, a lost batch is dropped as DropSend at once.
	Backlog int
	// Logger is where failed sends are logged, held back to one line every
	// few seconds: NewLoggerTo(cfg.Logger, "otmock: ") logs where the user
	// asked. nil logs through the log package, each line prefixed with Name.
	Logger *Logger
	// Name names the backend in errors ("otmock").
	Name string
	// Endpoint is where the spans go, as log lines show it: credentials
	// redacted. A failed send is logged as "sending 3 spans to ENDPOINT:
	// why", why being the send function's error (for an error made by
	// [Dropped], the error it was given).
	Endpoint string
}

func (c *ReporterConfig) defaults() {
	if c.Name == "" {
		c.Name = "traceplug"
	}
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
	if c.Backlog > 0 {
		c.Backlog = max(c.Backlog, c.BatchSize)
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

	wake  chan struct{} // a batch is waiting in pending
	flush chan chan struct{}
	stop  chan struct{}
	done  chan struct{}

	// mu guards pending, and orders Add against Shutdown: once closed is
	// set no span is handed, so the goroutine's last drain sees every span
	// handed.
	mu     sync.Mutex
	closed bool
	// pending are the spans handed and not yet taken by the goroutine, at
	// most QueueSize. It is a slice that grows as spans wait, not a
	// channel of QueueSize: the collector scans a channel's whole buffer
	// at every cycle, empty or not (160 KiB of pointers at the otel
	// backend's 10,000), and a channel receive wakes the goroutine at
	// every span, where pending wakes it once a batch is full (see wakeAt).
	pending []S
	wakeAt  int // len(pending) at which Add wakes the goroutine

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
		cfg:  cfg,
		send: send,
		wake: make(chan struct{}, 1),
		// A full batch, or half the queue when the queue holds no more
		// than a batch: woken at a full queue, the goroutine would take
		// the spans only after the next ones were dropped.
		wakeAt: max(1, min(cfg.BatchSize, cfg.QueueSize/2)),
		flush:  make(chan chan struct{}),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	r.aborted, r.abort = context.WithCancel(context.Background())
	go r.run()
	return r
}

// Add hands s to the reporter without waiting: it is queued, or dropped as
// [DropQueueFull] when the queue is full, or as [DropClosed] once Shutdown
// has begun. Call it for sampled spans only.
func (r *Reporter[S]) Add(s S) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.counts.Dropped(DropClosed, 1)
		return
	}
	if !r.counts.Handed(1) {
		r.mu.Unlock()
		return
	}
	if len(r.pending) >= r.cfg.QueueSize {
		r.mu.Unlock()
		r.counts.Dropped(DropQueueFull, 1)
		return
	}
	r.pending = append(r.pending, s)
	full := len(r.pending) == r.wakeAt
	r.mu.Unlock()
	if full {
		select {
		case r.wake <- struct{}{}:
		default: // the goroutine is awake already, or has been woken
		}
	}
}

// take returns the pending spans, leaving spare's memory (emptied) to hold
// the next ones.
func (r *Reporter[S]) take(spare []S) []S {
	r.mu.Lock()
	defer r.mu.Unlock()
	taken := r.pending
	r.pending = spare[:0]
	return taken
}

// Drop counts n spans the backend dropped itself for reason, before Add (a
// span its wire format cannot carry, say), so that BackendStats accounts
// for them.
func (r *Reporter[S]) Drop(reason string, n int) {
	if r.counts.Handed(uint64(n)) { // else counted as finished after close
		r.counts.Dropped(reason, uint64(n))
	}
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
			r.err = fmt.Errorf("%s: shutdown stopped before every span was sent: %w", r.cfg.Name, ctx.Err())
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
	l := loop[S]{r: r, held: make([]S, 0, r.cfg.BatchSize), spare: make([]S, 0, r.cfg.BatchSize)}
	tick := time.NewTicker(r.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-r.wake:
			l.drain() // sends what makes a full batch
		case <-tick.C:
			l.drain()
			l.send()
		case ack := <-r.flush:
			l.drain()
			l.send()
			close(ack)
		case <-r.stop:
			l.drain() // Add hands nothing more: closed is set
			l.send()
			l.giveUp()
			return
		}
	}
}

// loop is the state of the Reporter's goroutine: the spans it holds, oldest
// first, and whether the last send was lost (then it waits for the next
// tick to try again rather than trying at every span).
type loop[S any] struct {
	r       *Reporter[S]
	held    []S
	spare   []S // memory for the Reporter's next pending spans
	failing bool
}

// add holds s, dropping the oldest spans beyond the backlog, and sends a
// full batch.
func (l *loop[S]) add(s S) {
	l.held = append(l.held, s)
	if over := len(l.held) - l.r.cfg.Backlog; l.r.cfg.Backlog > 0 && over > 0 {
		l.remove(over)
		l.r.counts.Dropped(DropBacklog, uint64(over))
		l.r.cfg.Logger.Printf("backlog full: dropped the oldest %s", textutil.Count(over, "span"))
	}
	if len(l.held) >= l.r.cfg.BatchSize && !l.failing {
		l.send()
	}
}

// drain holds every span queued now.
func (l *loop[S]) drain() {
	taken := l.r.take(l.spare)
	for _, s := range taken {
		l.add(s)
	}
	clear(taken) // keep no span alive
	// Its memory holds the next pending spans, unless a backlog grew it
	// past a few batches: the collector would scan it at every cycle.
	if cap(taken) <= 4*l.r.cfg.BatchSize {
		l.spare = taken[:0]
	} else {
		l.spare = make([]S, 0, l.r.cfg.BatchSize)
	}
}

// send sends what is held, a batch at a time, until a send is lost.
func (l *loop[S]) send() {
	for len(l.held) > 0 {
		n := min(len(l.held), l.r.cfg.BatchSize)
		if l.failing = l.r.deliver(l.held[:n]); l.failing {
			return
		}
		l.remove(n)
	}
}

// giveUp ends the last send at Shutdown: spans still held after a lost send
// are dropped as failed sends (the log said why), unless Shutdown aborted
// it, when Settle counts them as unsent at shutdown.
func (l *loop[S]) giveUp() {
	if len(l.held) > 0 && l.r.aborted.Err() == nil {
		l.r.counts.Dropped(DropSend, uint64(len(l.held)))
	}
	clear(l.held)
	l.held = l.held[:0]
}

// remove forgets the n oldest spans held.
func (l *loop[S]) remove(n int) {
	rest := copy(l.held, l.held[n:])
	clear(l.held[rest:])
	l.held = l.held[:rest]
}

// deliver sends one batch and counts what became of its spans. keep says
// the batch was lost and is to be sent again (with a Backlog), uncounted.
func (r *Reporter[S]) deliver(batch []S) (keep bool) {
	if r.aborted.Err() != nil {
		return true // Settle counts them as unsent at shutdown
	}
	ctx, cancel := context.WithTimeout(r.aborted, r.cfg.Timeout)
	err := r.send(ctx, batch)
	cancel()
	n := len(batch)
	if err == nil {
		r.counts.Reported(uint64(n))
		return false
	}
	drops, lost := droppedIn(err)
	var dropped, lostPart uint64
	for _, d := range drops {
		k := min(uint64(d.n), uint64(n)-dropped-lostPart)
		if d.lost {
			lostPart += k // counted below, as the whole remainder is
			continue
		}
		r.counts.Dropped(d.reason, k)
		dropped += k
	}
	rest := uint64(n) - dropped
	switch {
	case !lost && lostPart == 0:
		r.counts.Reported(rest)
	case !lost: // some delivered, the lost part named
		r.counts.Reported(rest - lostPart)
		if r.aborted.Err() == nil {
			r.counts.Dropped(DropSend, lostPart)
		} // else Settle counts the lost part as unsent at shutdown
	case r.aborted.Err() != nil:
		return true // Shutdown gave up: not the collector's fault, and Settle counts the rest
	case r.cfg.Backlog > 0 && len(drops) == 0:
		keep = true // sent again at the next tick
	default:
		r.counts.Dropped(DropSend, rest)
	}
	r.logFailure(n, err)
	return keep
}

// logFailure logs a send of n spans that failed with err.
func (r *Reporter[S]) logFailure(n int, err error) {
	var why []string
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case *droppedError:
			why = append(why, e.err.Error())
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		default:
			why = append(why, err.Error())
		}
	}
	walk(err)
	to := ""
	if r.cfg.Endpoint != "" {
		to = " to " + r.cfg.Endpoint
	}
	r.cfg.Logger.Printf("sending %s%s: %s", textutil.Count(n, "span"), to, strings.Join(why, "; "))
}

// Dropped returns the error a [Reporter]'s send function returns when n
// spans of its batch were dropped for reason (one of the Drop constants, or
// a reason of the backend's own), and the rest delivered; err says why,
// for the log. Several such errors joined with errors.Join add up.
func Dropped(reason string, n int, err error) error {
	return &droppedError{reason: reason, n: n, err: err}
}

// Lost returns the error a [Reporter]'s send function returns when n spans
// of its batch got no answer (the rest were delivered, or dropped as errors
// made by [Dropped] say), joined with the others by errors.Join: they are
// counted as [DropSend], or, when Shutdown's deadline aborted the send, as
// [DropShutdown]. A batch lost whole needs no Lost: any other error says
// so.
func Lost(n int, err error) error {
	return &droppedError{reason: DropSend, n: n, err: err, lost: true}
}

type droppedError struct {
	reason string
	n      int
	err    error
	lost   bool // Lost's: the reason depends on Shutdown
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
