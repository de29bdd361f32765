package otel

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/internal/textutil"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// processor is the backend's batch span processor. The SDK's
// BatchSpanProcessor counts nothing it drops, so this one stands in its
// place: a bounded queue that OnEnd never waits on, one goroutine that sends
// batches, and a count of every sampled span it is given.
//
// Every span is counted once: handed and then reported or dropped (queue
// full, rejected, send failed, too large, unsent at shutdown), or dropped as
// finished after close without being handed. Spans that were not sampled are
// neither.
type processor struct {
	client    client
	enc       encoder // the run goroutine's
	counts    *backend.SpanCounts
	log       *backend.Logger
	endpoint  string // for log lines, without credentials
	batchSize int
	interval  time.Duration
	timeout   time.Duration

	queue  chan sdktrace.ReadOnlySpan
	flush  chan chan struct{}
	stop   chan struct{}
	done   chan struct{}
	closed atomic.Bool

	// abort ends the export under way and every later one: Shutdown calls
	// it when its deadline passes.
	abortCtx context.Context
	abort    context.CancelFunc

	once sync.Once
}

var _ sdktrace.SpanProcessor = (*processor)(nil)

func newProcessor(c client, s *settings, counts *backend.SpanCounts, log *backend.Logger) *processor {
	ctx, cancel := context.WithCancel(context.Background())
	p := &processor{
		client:    c,
		counts:    counts,
		log:       log,
		endpoint:  redactURL(s.url),
		batchSize: s.batchSize,
		interval:  s.exportInterval,
		timeout:   s.exportTimeout,
		queue:     make(chan sdktrace.ReadOnlySpan, s.queueSize),
		flush:     make(chan chan struct{}),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
		abortCtx:  ctx,
		abort:     cancel,
	}
	go p.run()
	return p
}

// OnStart implements sdktrace.SpanProcessor; it does nothing.
func (p *processor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd implements sdktrace.SpanProcessor: it queues a sampled span, or
// drops and counts it, without waiting.
func (p *processor) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return
	}
	if p.closed.Load() {
		p.counts.Dropped(backend.DropClosed, 1)
		return
	}
	p.counts.Handed(1)
	select {
	case p.queue <- s:
	default:
		p.counts.Dropped(backend.DropQueueFull, 1)
	}
}

// ForceFlush implements sdktrace.SpanProcessor: it sends every queued span,
// returning when that is done or ctx ends.
func (p *processor) ForceFlush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case p.flush <- ack:
	case <-p.done:
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

// Shutdown implements sdktrace.SpanProcessor: it sends every queued span and
// stops, returning when that is done or, once ctx ends, as soon as the
// export under way is aborted. Spans it could not send are counted as unsent
// at shutdown, and spans that end later as finished after close. Only the
// first call does the work.
func (p *processor) Shutdown(ctx context.Context) error {
	err := errAlreadyShutDown
	p.once.Do(func() {
		err = nil
		p.closed.Store(true)
		close(p.stop)
		select {
		case <-p.done:
		case <-ctx.Done():
			p.abort()
			<-p.done
			err = ctx.Err()
		}
		p.abort()
		// No export is under way: closing the connections is quick.
		p.client.stop()
		p.counts.Settle()
	})
	return err
}

var errAlreadyShutDown = errors.New("already shut down")

func (p *processor) run() {
	defer close(p.done)
	batch := make([]sdktrace.ReadOnlySpan, 0, p.batchSize)
	send := func() {
		if len(batch) > 0 {
			p.export(batch)
			clear(batch)
			batch = batch[:0]
		}
	}
	// drain sends everything queued now.
	drain := func() {
		for {
			select {
			case s := <-p.queue:
				if batch = append(batch, s); len(batch) == p.batchSize {
					send()
				}
			default:
				send()
				return
			}
		}
	}
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	for {
		select {
		case s := <-p.queue:
			if batch = append(batch, s); len(batch) == p.batchSize {
				send()
			}
		case <-tick.C:
			send()
		case ack := <-p.flush:
			drain()
			close(ack)
		case <-p.stop:
			drain()
			return
		}
	}
}

// export sends one batch, within one export timeout, and counts what became
// of its spans.
func (p *processor) export(batch []sdktrace.ReadOnlySpan) {
	ctx, cancel := context.WithTimeout(p.abortCtx, p.timeout)
	defer cancel()
	p.send(ctx, batch)
}

// send sends spans in one request, or, when the request is over the
// client's limit or the collector refuses it as too large, in two halves
// sent the same way: so one span too large for the collector is dropped
// alone, and the others of its batch are delivered. A span over the limit
// goes alone, and is dropped only if the collector refuses it (its limit
// may be higher). A batch with one such span costs about log2(batch_size)
// more requests, and as many encodings of it.
func (p *processor) send(ctx context.Context, spans []sdktrace.ReadOnlySpan) {
	n := uint64(len(spans))
	if p.abortCtx.Err() != nil {
		p.counts.Dropped(backend.DropShutdown, n)
		return
	}
	body := p.enc.request(spans)
	if body == nil {
		p.counts.Reported(n) // no span to send
		return
	}
	if limit := p.client.maxRequest(); limit > 0 && len(body) > limit && len(spans) > 1 {
		p.sendHalves(ctx, spans)
		return
	}
	err := p.client.upload(ctx, body)
	if err == nil {
		p.counts.Reported(n)
		return
	}
	var partial *partialError
	var rejected *rejectedError
	switch {
	case errors.As(err, &partial):
		r := min(uint64(partial.rejected), n)
		p.counts.Reported(n - r)
		p.counts.Dropped(backend.DropRejected, r)
	case errors.As(err, &rejected) && rejected.tooLarge && len(spans) > 1:
		p.sendHalves(ctx, spans)
		return
	case errors.As(err, &rejected) && rejected.tooLarge:
		p.counts.Dropped(backend.DropTooLarge, n)
	case errors.As(err, &rejected):
		p.counts.Dropped(backend.DropRejected, n)
	case p.abortCtx.Err() != nil:
		p.counts.Dropped(backend.DropShutdown, n)
		return // Shutdown's deadline: not the collector's fault
	default:
		p.counts.Dropped(backend.DropSend, n)
	}
	p.log.Printf("sending %s to %s: %v", textutil.Count(n, "span"), p.endpoint, err)
}

// sendHalves sends each half of spans (at least two).
func (p *processor) sendHalves(ctx context.Context, spans []sdktrace.ReadOnlySpan) {
	half := len(spans) / 2
	p.send(ctx, spans[:half])
	p.send(ctx, spans[half:])
}
