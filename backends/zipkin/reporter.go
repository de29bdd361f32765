package zipkin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/openzipkin/zipkin-go/model"
	zipkinreporter "github.com/openzipkin/zipkin-go/reporter"
	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/internal/redact"
	"github.com/traceplug/traceplug/internal/textutil"
)

// reporter sends spans to a Zipkin collector as v2 JSON, in place of
// zipkin-go's HTTP reporter, whose Send blocks on an unbuffered channel (and
// forever once it is closed), which counts nothing, and whose spans went
// through a queue of the backend's own and two goroutines of zipkin-go's
// (one batching, one sending) before encoding/json encoded them. Here Send
// never blocks: a span that finds the queue full, or the reporter closed, is
// dropped and counted. One goroutine takes spans from the queue, batches
// them and sends each batch (writing the JSON itself, see jsonWriter), with
// zipkin-go's semantics: a batch goes when it holds batch_size spans or
// batch_interval has passed; a batch whose request failed (no answer) is
// kept and sent again, while the spans held stay within the backlog (the
// oldest beyond it are dropped); an answer other than 2xx drops the batch.
// Every span handed to Send is counted once, as reported or dropped.
type reporter struct {
	url       string
	shown     string // url for logs and errors, credentials redacted
	client    *http.Client
	timeout   time.Duration
	batchSize int
	backlog   int
	interval  time.Duration
	counts    *backend.SpanCounts
	log       *backend.Logger

	queue  chan model.SpanModel
	stop   chan struct{}
	done   chan struct{}
	closed atomic.Bool
	err    error // the last send's, for Close

	// The goroutine's.
	held []model.SpanModel // waiting to be sent, oldest first
	json jsonWriter
}

var _ zipkinreporter.Reporter = (*reporter)(nil)

type reporterConfig struct {
	url                           string
	client                        *http.Client
	timeout, interval             time.Duration
	batchSize, backlog, queueSize int
}

func newReporter(c reporterConfig, counts *backend.SpanCounts, log *backend.Logger) *reporter {
	r := &reporter{
		url:       c.url,
		shown:     redact.Endpoint(c.url),
		client:    c.client,
		timeout:   c.timeout,
		batchSize: c.batchSize,
		backlog:   max(c.backlog, c.batchSize),
		interval:  c.interval,
		counts:    counts,
		log:       log,
		queue:     make(chan model.SpanModel, c.queueSize),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	go r.run()
	return r
}

// Send implements reporter.Reporter: it queues s, or drops and counts it,
// without waiting.
func (r *reporter) Send(s model.SpanModel) {
	if r.closed.Load() {
		r.counts.Dropped(backend.DropClosed, 1)
		return
	}
	if !r.counts.Handed(1) { // settled: counted as finished after close
		return
	}
	select {
	case r.queue <- s:
	default:
		r.counts.Dropped(backend.DropQueueFull, 1)
	}
}

// Close implements reporter.Reporter: it sends every queued span and stops.
// Spans the collector did not take are counted as dropped (see giveUp);
// when Shutdown's deadline aborted the last send, Close returns its error
// and the spans it held stay counted as pending, for the tracer to settle.
func (r *reporter) Close() error {
	r.closed.Store(true)
	close(r.stop)
	<-r.done
	return r.err
}

func (r *reporter) run() {
	defer close(r.done)
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case s := <-r.queue:
			if r.hold(s) >= r.batchSize {
				r.err, last = r.send(), time.Now()
			}
		case now := <-tick.C:
			if now.Sub(last) >= r.interval {
				r.err, last = r.send(), now
			}
		case <-r.stop:
			for {
				select {
				case s := <-r.queue:
					if r.hold(s) >= r.batchSize && r.err == nil {
						r.err = r.send()
					}
				default:
					r.err = nil
					if len(r.held) > 0 {
						r.err = r.send()
					}
					r.giveUp()
					return
				}
			}
		}
	}
}

// giveUp ends Close's last send: spans it could not send are dropped as
// failed sends (the log has said why), as every backend counts a refused
// connection or a send that timed out, and Close returns no error for them.
// Spans whose send Shutdown's deadline cut short stay held, for the tracer
// to settle as unsent at shutdown, and Close returns that error.
func (r *reporter) giveUp() {
	if r.err == nil || errors.Is(r.err, context.Canceled) { // sent, or aborted by Shutdown
		return
	}
	r.counts.Dropped(backend.DropSend, uint64(len(r.held)))
	clear(r.held)
	r.held, r.err = r.held[:0], nil
}

// hold adds s to the spans held, dropping the oldest beyond the backlog, and
// returns how many are held.
func (r *reporter) hold(s model.SpanModel) int {
	if check(&s) != nil {
		r.counts.Dropped(backend.DropUnencodable, 1)
		r.log.Printf("dropped a span that Zipkin's JSON cannot carry (%v): %q", errUnencodable, s.Name)
		return len(r.held)
	}
	r.held = append(r.held, s)
	if over := len(r.held) - r.backlog; over > 0 {
		n := copy(r.held, r.held[over:])
		clear(r.held[n:])
		r.held = r.held[:n]
		r.counts.Dropped(backend.DropBacklog, uint64(over))
		r.log.Printf("backlog too long, disposing %d spans", over)
	}
	return len(r.held)
}

// send posts the spans held, batch_size at a time, until they are all sent
// or a request fails, whose spans it keeps for the next send.
func (r *reporter) send() error {
	for len(r.held) > 0 {
		n := min(len(r.held), r.batchSize)
		r.json.b = r.json.b[:0]
		r.json.spans(r.held[:n])
		status, answer, err := r.post(r.json.b)
		if err != nil {
			if !errors.Is(err, context.Canceled) { // else Shutdown's deadline, which its error reports
				r.log.Printf("sending %s to %s: %v", textutil.Count(n, "span"), r.shown, err)
			}
			return fmt.Errorf("zipkin: sending %s to %s: %w", textutil.Count(n, "span"), r.shown, err)
		}
		if status >= 200 && status <= 299 {
			r.counts.Reported(uint64(n))
		} else {
			r.counts.Dropped(backend.DropRejected, uint64(n))
			r.log.Printf("sending %s to %s: the collector refused the spans: %s", textutil.Count(n, "span"), r.shown, answer)
		}
		rest := copy(r.held, r.held[n:])
		clear(r.held[rest:])
		r.held = r.held[:rest]
	}
	return nil
}

// post sends body and returns the collector's status, and, for an error,
// its answer as the log gives it: the status and the start of the body.
func (r *reporter) post(body []byte) (status int, answer string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	// As zipkin-go: b3: 0 keeps a service mesh's sidecar from tracing the
	// request that reports traces.
	req.Header = http.Header{"Content-Type": {"application/json"}, "B3": {"0"}}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, "", redact.URLCause(err) // send's message names the URL, redacted
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return resp.StatusCode, "", nil
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	answer = resp.Status
	if text := strings.TrimSpace(string(data)); text != "" {
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		answer += ": " + text
	}
	return resp.StatusCode, answer, nil
}
