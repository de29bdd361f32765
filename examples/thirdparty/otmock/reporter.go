package otmock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/traceplug/traceplug/backend"
)

// DropUnencodable is otmock's own drop reason, for the spans that JSON
// cannot encode (a start time outside years 0 to 9999), which none of
// core's reasons describes.
const DropUnencodable = "unencodable"

// maxSpanBytes bounds one span's JSON; a larger span is dropped as
// backend.DropTooLarge.
const maxSpanBytes = 1 << 20

// sender POSTs batches of spans to the collector, as JSON; traceplug's
// backend.Reporter queues, batches, counts and logs around it.
type sender struct {
	endpoint string
	prefix   []byte // the batch's JSON up to its spans
	conn     *backend.Conn
}

func newSender(endpoint, service string, process map[string]string) *sender {
	head, _ := json.Marshal(struct {
		Service string            `json:"service"`
		Process map[string]string `json:"process,omitempty"`
	}{service, process}) // strings only: it cannot fail
	// Its own connection, so that Shutdown closes nothing of the application's.
	return &sender{endpoint: endpoint, prefix: append(head[:len(head)-1], `,"spans":[`...), conn: backend.NewConn()}
}

// send POSTs batch within ctx. Spans JSON cannot carry are dropped alone,
// and the error says how many the collector did not take, and why.
func (s *sender) send(ctx context.Context, batch []Span) error {
	body := bytes.NewBuffer(append(make([]byte, 0, 512*len(batch)), s.prefix...))
	var n int
	var drops []error
	for _, span := range batch {
		b, err := json.Marshal(span)
		switch {
		case err != nil:
			drops = append(drops, backend.Dropped(DropUnencodable, 1, fmt.Errorf("span %q: %w", span.Operation, err)))
			continue
		case len(b) > maxSpanBytes:
			drops = append(drops, backend.Dropped(backend.DropTooLarge, 1,
				fmt.Errorf("span %q: %d bytes of JSON, at most %d", span.Operation, len(b), maxSpanBytes)))
			continue
		}
		if n > 0 {
			body.WriteByte(',')
		}
		body.Write(b)
		n++
	}
	if n == 0 {
		return errors.Join(drops...)
	}
	body.WriteString("]}")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, body)
	if err != nil { // the endpoint was checked by New
		return errors.Join(append(drops, err)...)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.conn.Client.Do(req)
	if err != nil {
		return errors.Join(append(drops, err)...)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		drops = append(drops, backend.Dropped(backend.DropRejected, n, fmt.Errorf("the collector at %s answered %s", s.endpoint, resp.Status)))
	}
	return errors.Join(drops...)
}
