// Package otmocktest runs an in-process otmock collector on 127.0.0.1 for
// tests and examples: it decodes the JSON batches that otmock POSTs
// ([otmock.Batch]) and keeps their spans, both as they arrived and in the
// conformance suite's model.
//
//	c := otmocktest.New(t) // stopped by t.Cleanup
//	tracer, _ := core.New("otmock", core.WithEndpoint(c.Endpoint()))
package otmocktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"

	"example.com/thirdparty/otmock"
)

// Path is where the collector takes POSTs.
const Path = "/spans"

// Collector is a running collector. It is safe for concurrent use.
type Collector struct {
	srv *httptest.Server

	mu      sync.Mutex
	batches []otmock.Batch
	errs    []error
	status  int
}

// New starts a collector on a random port of 127.0.0.1, stopped when the
// test ends.
func New(t testing.TB) *Collector {
	t.Helper()
	c, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Start starts a collector on a random port of 127.0.0.1; call Close to stop
// it. It answers 202 Accepted to a batch it decodes, 400 to one it cannot.
func Start() (*Collector, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("otmocktest: %w", err)
	}
	c := &Collector{status: http.StatusAccepted}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(c.serve))
	c.srv.Listener.Close()
	c.srv.Listener = l
	c.srv.Start()
	return c, nil
}

// Close stops the collector.
func (c *Collector) Close() { c.srv.Close() }

// Endpoint is the URL to give core.WithEndpoint.
func (c *Collector) Endpoint() string { return c.srv.URL + Path }

// Options point an otmock tracer at the collector.
func (c *Collector) Options() []core.Option { return []core.Option{core.WithEndpoint(c.Endpoint())} }

// SetStatus makes the collector answer status to the batches it decodes
// (and keep them all the same), to test how a tracer counts rejections.
func (c *Collector) SetStatus(status int) {
	c.mu.Lock()
	c.status = status
	c.mu.Unlock()
}

func (c *Collector) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != Path {
		http.Error(w, "otmocktest: want POST "+Path, http.StatusNotFound)
		return
	}
	b, err := Decode(r)
	c.mu.Lock()
	status := c.status
	if err != nil {
		c.errs = append(c.errs, err)
	} else {
		c.batches = append(c.batches, b)
	}
	c.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(status)
}

// Decode reads one batch from r's body, strictly: an unknown field, a
// second JSON value or a span without ids is an error, so that a change in
// the wire format shows.
func Decode(r *http.Request) (otmock.Batch, error) {
	var b otmock.Batch
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return b, fmt.Errorf("otmocktest: Content-Type %q is not application/json", ct)
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	dec.UseNumber() // tag values keep their digits: 200, not 200.0
	if err := dec.Decode(&b); err != nil {
		return b, fmt.Errorf("otmocktest: decoding a batch: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return b, fmt.Errorf("otmocktest: data after the batch")
	}
	for i, s := range b.Spans {
		if len(s.TraceID) != 16 || len(s.SpanID) != 16 || (s.ParentID != "" && len(s.ParentID) != 16) {
			return b, fmt.Errorf("otmocktest: span %d (%q): ids [%s %s %s] are not 16 hex digits", i, s.Operation, s.TraceID, s.SpanID, s.ParentID)
		}
	}
	return b, nil
}

// Batches returns the batches received so far, in arrival order.
func (c *Collector) Batches() []otmock.Batch {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]otmock.Batch(nil), c.batches...)
}

// Errors returns what the collector could not decode.
func (c *Collector) Errors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.errs...)
}

// Spans returns the spans received so far, in arrival order, in the
// conformance model. It implements [conformance.Collector].
func (c *Collector) Spans() []conformance.Span {
	var out []conformance.Span
	for _, b := range c.Batches() {
		for _, s := range b.Spans {
			out = append(out, Convert(b, s))
		}
	}
	return out
}

// Convert maps a span of batch b to the conformance model: the batch's
// service and process tags are the span's.
func Convert(b otmock.Batch, s otmock.Span) conformance.Span {
	out := conformance.Span{
		TraceID:   conformance.NormalizeID(s.TraceID),
		SpanID:    conformance.NormalizeID(s.SpanID),
		ParentID:  conformance.NormalizeID(s.ParentID),
		Operation: s.Operation,
		Service:   b.Service,
		Tags:      map[string]any{},
		Process:   map[string]any{},
		Start:     s.Start,
		Duration:  s.Duration,
	}
	for k, v := range s.Tags {
		out.Tags[k] = v
	}
	for k, v := range b.Process {
		out.Process[k] = v
	}
	for _, l := range s.Logs {
		fields := make(map[string]any, len(l.Fields))
		for k, v := range l.Fields {
			fields[k] = v
		}
		out.Logs = append(out.Logs, conformance.Log{Time: l.Time, Fields: fields})
	}
	return out
}
