package zipkin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/openzipkin/zipkin-go/model"
	zipkinreporter "github.com/openzipkin/zipkin-go/reporter"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/internal/redact"
)

// reporter sends spans to a Zipkin collector as v2 JSON, in place of
// zipkin-go's HTTP reporter, whose Send blocks on an unbuffered channel (and
// forever once it is closed), which counts nothing, and whose spans went
// through a queue of the backend's own and two goroutines of zipkin-go's
// (one batching, one sending) before encoding/json encoded them. Here Send
// never blocks: traceplug's backend.Reporter queues, batches and counts,
// with zipkin-go's semantics: a batch goes when it holds batch_size spans or
// batch_interval has passed; a batch whose request failed (no answer) is
// kept and sent again, while the spans held stay within the backlog (the
// oldest beyond it are dropped); an answer other than 2xx drops the batch.
// The send function writes the JSON itself (see jsonWriter).
type reporter struct {
	rep    *backend.Reporter[model.SpanModel]
	url    string
	shown  string // url for logs and errors, credentials redacted
	client *http.Client
	log    *backend.Logger
	json   jsonWriter // the reporter's goroutine's
}

var _ zipkinreporter.Reporter = (*reporter)(nil)

type reporterConfig struct {
	url                           string
	client                        *http.Client
	timeout, interval             time.Duration
	batchSize, backlog, queueSize int
}

func newReporter(c reporterConfig, log *backend.Logger) *reporter {
	r := &reporter{url: c.url, shown: redact.Endpoint(c.url), client: c.client, log: log}
	r.rep = backend.NewReporter(backend.ReporterConfig{
		Name:      "zipkin",
		Endpoint:  r.shown,
		QueueSize: c.queueSize,
		BatchSize: c.batchSize,
		Interval:  c.interval,
		Timeout:   c.timeout,
		Backlog:   max(c.backlog, c.batchSize),
		Logger:    log,
	}, r.send)
	return r
}

// Send implements reporter.Reporter: it queues s, or drops and counts it,
// without waiting. A span that Zipkin's JSON cannot carry is dropped alone.
func (r *reporter) Send(s model.SpanModel) {
	if check(&s) != nil {
		r.rep.Drop(backend.DropUnencodable, 1)
		r.log.Printf("dropped a span that Zipkin's JSON cannot carry (%v): %q", errUnencodable, s.Name)
		return
	}
	r.rep.Add(s)
}

// Close implements reporter.Reporter: it sends every queued span and stops.
func (r *reporter) Close() error { return r.rep.Shutdown(context.Background()) }

// send posts one batch: nil when the collector took it, a plain error (the
// batch is kept for the next send) when the request got no answer, and the
// batch dropped as rejected for any answer but 2xx.
func (r *reporter) send(ctx context.Context, batch []model.SpanModel) error {
	r.json.b = r.json.b[:0]
	r.json.spans(batch)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(r.json.b))
	if err != nil {
		return err
	}
	// As zipkin-go: b3: 0 keeps a service mesh's sidecar from tracing the
	// request that reports traces.
	req.Header = http.Header{"Content-Type": {"application/json"}, "B3": {"0"}}
	resp, err := r.client.Do(req)
	if err != nil {
		return redact.URLCause(err) // the log line names the URL, redacted
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	answer := resp.Status
	if text := strings.TrimSpace(string(data)); text != "" {
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		answer += ": " + text
	}
	return backend.Dropped(backend.DropRejected, len(batch), fmt.Errorf("the collector refused the spans: %s", answer))
}
