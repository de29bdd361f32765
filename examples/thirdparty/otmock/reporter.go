package otmock

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"sync"
	"time"

	"github.com/traceplug/traceplug/backend"
)

// DropUnencodable is otmock's own drop reason, for the spans that JSON
// cannot encode (a start time outside years 0 to 9999), which none of
// core's reasons describes.
const DropUnencodable = "unencodable"

// maxSpanBytes bounds one span's JSON; a larger span is dropped as
// backend.DropTooLarge.
const maxSpanBytes = 1 << 20

type reporterSettings struct {
	endpoint, service    string
	process              map[string]string
	queueSize, batchSize int
	interval, timeout    time.Duration
}

// reporter sends finished spans in batches from one goroutine. Its queue is
// bounded and enqueue never blocks.
type reporter struct {
	reporterSettings
	counts *backend.SpanCounts
	queue  chan Span
	prefix []byte // the batch's JSON up to its spans

	stop, done chan struct{}
	aborted    context.Context // ends when Shutdown's deadline does
	abort      context.CancelFunc
	transport  *http.Transport
	client     *http.Client
	errs       errorLog
}

func newReporter(s reporterSettings, counts *backend.SpanCounts) *reporter {
	head, _ := json.Marshal(struct {
		Service string            `json:"service"`
		Process map[string]string `json:"process,omitempty"`
	}{s.service, s.process}) // strings only: it cannot fail
	r := &reporter{
		reporterSettings: s,
		counts:           counts,
		queue:            make(chan Span, s.queueSize),
		prefix:           append(head[:len(head)-1], `,"spans":[`...),
		stop:             make(chan struct{}),
		done:             make(chan struct{}),
		// Its own transport, so that Shutdown can close its idle connections.
		transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second},
		errs:      errorLog{every: 10 * time.Second},
	}
	r.client = &http.Client{Transport: r.transport, Timeout: s.timeout}
	r.aborted, r.abort = context.WithCancel(context.Background())
	go r.run()
	return r
}

// enqueue queues s to be sent, or drops it when the queue is full.
func (r *reporter) enqueue(s Span) {
	select {
	case r.queue <- s:
	default:
		r.counts.Dropped(backend.DropQueueFull, 1)
	}
}

func (r *reporter) run() {
	defer close(r.done)
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	batch := make([]Span, 0, r.batchSize)
	add := func(s Span) {
		if batch = append(batch, s); len(batch) == r.batchSize {
			r.send(batch)
			clear(batch)
			batch = batch[:0]
		}
	}
	for {
		select {
		case s := <-r.queue:
			add(s)
		case <-tick.C:
			if len(batch) > 0 {
				r.send(batch)
				clear(batch)
				batch = batch[:0]
			}
		case <-r.stop:
			// Shutdown has closed the tracer first: nothing more arrives.
			for {
				select {
				case s := <-r.queue:
					add(s)
				default:
					if len(batch) > 0 {
						r.send(batch)
					}
					return
				}
			}
		}
	}
}

// send POSTs batch and counts its spans. Once Shutdown's deadline has
// passed it sends nothing and counts nothing: backend.SpanCounts.Settle then
// counts what was not sent as unsent at shutdown.
func (r *reporter) send(batch []Span) {
	if r.aborted.Err() != nil {
		return
	}
	body := bytes.NewBuffer(append(make([]byte, 0, 512*len(batch)), r.prefix...))
	var n uint64
	for _, s := range batch {
		b, err := json.Marshal(s)
		switch {
		case err != nil:
			r.counts.Dropped(DropUnencodable, 1)
			r.errs.printf("dropping span %q: %v", s.Operation, err)
			continue
		case len(b) > maxSpanBytes:
			r.counts.Dropped(backend.DropTooLarge, 1)
			r.errs.printf("dropping span %q: %d bytes of JSON, at most %d", s.Operation, len(b), maxSpanBytes)
			continue
		}
		if n > 0 {
			body.WriteByte(',')
		}
		body.Write(b)
		n++
	}
	if n == 0 {
		return
	}
	body.WriteString("]}")
	req, err := http.NewRequestWithContext(r.aborted, http.MethodPost, r.endpoint, body)
	if err != nil { // the endpoint was checked by New
		r.counts.Dropped(backend.DropSend, n)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		if r.aborted.Err() == nil {
			r.counts.Dropped(backend.DropSend, n)
			r.errs.printf("sending %d spans: %v", n, err)
		}
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.counts.Dropped(backend.DropRejected, n)
		r.errs.printf("the collector at %s answered %s to %d spans", r.endpoint, resp.Status, n)
		return
	}
	r.counts.Reported(n)
}

// shutdown sends what is queued and stops the goroutine, abandoning the
// sending when ctx ends; it returns ctx's error then. The goroutine has
// ended when it returns.
func (r *reporter) shutdown(ctx context.Context) error {
	close(r.stop)
	var err error
	select {
	case <-r.done:
	case <-ctx.Done():
		r.abort() // the POST under way fails now, and nothing more is sent
		<-r.done
		err = ctx.Err()
	}
	r.abort()
	r.transport.CloseIdleConnections()
	return err
}

// errorLog logs the reporter's errors through the log package, at most one
// line every interval, saying how many it held back, so that a collector
// outage does not flood the log.
type errorLog struct {
	every time.Duration

	mu      sync.Mutex
	last    time.Time
	skipped int
}

func (l *errorLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.skipped++
		return
	}
	msg := fmt.Sprintf(format, args...)
	if l.skipped > 0 {
		msg += fmt.Sprintf(" (and %d more errors)", l.skipped)
	}
	log.Printf("otmock: %s", msg)
	l.last, l.skipped = now, 0
}
