package otel

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel/internal/otlp"
)

// processor is the backend's batch span processor. The SDK's
// BatchSpanProcessor counts nothing it drops, so this one stands in its
// place: traceplug's [backend.Reporter] queues, batches, flushes, aborts at
// Shutdown's deadline, counts and logs around its send function, which
// sends a batch in one OTLP request or, when that is too large, in parts.
//
// Every span is counted once: handed and then reported or dropped (queue
// full, rejected, send failed, too large, unsent at shutdown), or dropped as
// finished after close without being handed. Spans that were not sampled are
// neither.
type processor struct {
	client otlp.Client
	enc    encoder // the Reporter's goroutine's: send runs there alone
	rep    *backend.Reporter[encodedSpan]
	group  atomic.Pointer[spanGroup] // the last span's, which the next most likely shares

	once sync.Once
}

var _ sdktrace.SpanProcessor = (*processor)(nil)

func newProcessor(c otlp.Client, s *settings, log *backend.Logger) *processor {
	p := &processor{client: c}
	p.rep = backend.NewReporter(backend.ReporterConfig{
		QueueSize: s.queueSize,
		BatchSize: s.batchSize,
		Interval:  s.exportInterval,
		Timeout:   s.exportTimeout,
		Logger:    log,
		Name:      "otel",
		Endpoint:  redactURL(s.url),
	}, p.send)
	return p
}

// OnStart implements sdktrace.SpanProcessor; it does nothing.
func (p *processor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd implements sdktrace.SpanProcessor: it queues a sampled span,
// encoded (see [encodedSpan]), or drops and counts it, without waiting.
func (p *processor) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.SpanContext().IsSampled() {
		last := p.group.Load()
		es := encodeSpan(s, last)
		if es.group != last {
			p.group.Store(es.group)
		}
		p.rep.Add(es)
	}
}

// ForceFlush implements sdktrace.SpanProcessor: it sends every queued span,
// returning when that is done or ctx ends.
func (p *processor) ForceFlush(ctx context.Context) error { return p.rep.Flush(ctx) }

// Shutdown implements sdktrace.SpanProcessor: it sends every queued span,
// stops and closes the client, returning when that is done or, once ctx
// ends, as soon as the export under way is aborted, with ctx's error (the
// Tracer says what it stopped). Spans it could not send are counted as
// unsent at shutdown, and spans that end later as finished after close.
// Only the first call does the work.
func (p *processor) Shutdown(ctx context.Context) error {
	err := errAlreadyShutDown
	p.once.Do(func() {
		if err = p.rep.Shutdown(ctx); err != nil {
			// The Reporter's error is ctx's with "otel: shutdown stopped
			// ..." before it, which Tracer.Shutdown writes itself.
			err = ctx.Err()
		}
		// No export is under way: closing the connections is quick.
		p.client.Stop()
	})
	return err
}

var errAlreadyShutDown = errors.New("already shut down")

// BackendStats returns the counts of the spans the processor was given.
func (p *processor) BackendStats() backend.BackendStats { return p.rep.BackendStats() }

// send is the Reporter's send function: it sends batch within ctx, in one
// request or in parts (see [processor.sendPart]), and says what became of
// its spans in the error, as [backend.NewReporter] asks: spans the
// collector refused in errors made by [backend.Dropped]; spans that got no
// answer in a plain error when no part was delivered, else in one made by
// [backend.Lost], so that the delivered parts count as reported.
func (p *processor) send(ctx context.Context, batch []encodedSpan) error {
	o := outcome{size: len(batch)}
	p.sendPart(ctx, batch, &o)
	if o.lost == 0 || o.delivered == 0 {
		return errors.Join(append(o.dropped, o.why...)...)
	}
	return errors.Join(append(o.dropped, backend.Lost(o.lost, errors.Join(o.why...)))...)
}

// outcome is what became of the spans of one batch, sent in one request or
// in parts.
type outcome struct {
	size      int     // the batch's spans
	delivered int     // spans the collector took
	dropped   []error // made by backend.Dropped: spans it refused
	lost      int     // spans that got no answer
	why       []error // why they got none
}

// drop counts n spans of part, of size spans, refused for reason.
func (o *outcome) drop(reason string, n, size int, err error) {
	o.dropped = append(o.dropped, backend.Dropped(reason, n, o.of(size, err)))
}

// lose counts the spans of part, of size spans, that got no answer.
func (o *outcome) lose(size int, err error) {
	o.lost += size
	o.why = append(o.why, o.of(size, err))
}

// of says, when the batch was sent in parts, which part err is about: the
// log line names the batch's spans.
func (o *outcome) of(size int, err error) error {
	if size == o.size {
		return err
	}
	return fmt.Errorf("%d of them: %w", size, err)
}

// sendPart sends spans in one request, or, when the request is over the
// client's limit or the collector refuses it as too large, in two halves
// sent the same way: so one span too large for the collector is dropped
// alone, and the others of its batch are delivered. A span over the limit
// goes alone, and is dropped only if the collector refuses it (its limit
// may be higher). A batch with one such span costs about log2(batch_size)
// more requests, and as many encodings of it. Once ctx has ended (the
// export timeout, or Shutdown's abort), no part is sent.
func (p *processor) sendPart(ctx context.Context, spans []encodedSpan, o *outcome) {
	n := len(spans)
	if err := ctx.Err(); err != nil {
		o.lose(n, err)
		return
	}
	body := p.enc.request(spans)
	if body == nil {
		o.delivered += n // no span to send
		return
	}
	if limit := p.client.MaxRequest(); limit > 0 && len(body) > limit && n > 1 {
		p.enc.recycle(body) // never sent
		p.sendHalves(ctx, spans, o)
		return
	}
	err := p.client.Upload(ctx, body)
	if r, ok := p.client.(otlp.Releaser); ok && r.Released(body) {
		p.enc.recycle(body)
	}
	var partial *otlp.PartialError
	var rejected *otlp.RejectedError
	switch {
	case err == nil:
		o.delivered += n
	case errors.As(err, &partial):
		r := int(min(partial.Rejected, int64(n)))
		o.delivered += n - r
		o.drop(backend.DropRejected, r, n, err)
	case errors.As(err, &rejected) && rejected.TooLarge && n > 1:
		p.sendHalves(ctx, spans, o)
	case errors.As(err, &rejected) && rejected.TooLarge:
		o.drop(backend.DropTooLarge, n, n, err)
	case errors.As(err, &rejected):
		o.drop(backend.DropRejected, n, n, err)
	default:
		o.lose(n, err)
	}
}

// sendHalves sends each half of spans (at least two).
func (p *processor) sendHalves(ctx context.Context, spans []encodedSpan, o *outcome) {
	half := len(spans) / 2
	p.sendPart(ctx, spans[:half], o)
	p.sendPart(ctx, spans[half:], o)
}
