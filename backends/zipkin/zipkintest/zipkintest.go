// Package zipkintest runs an in-process Zipkin collector on 127.0.0.1 for
// tests: it decodes the v2 JSON that POST /api/v2/spans receives (gzip bodies
// too) with zipkin-go's own model types, and keeps the spans both as
// model.SpanModel and in the conformance model.
//
//	c := zipkintest.New(t) // stopped by t.Cleanup
//	tracer, _ := core.New("zipkin", core.WithEndpoint(c.Endpoint()))
package zipkintest

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/openzipkin/zipkin-go/model"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// Collector is a running collector. It is safe for concurrent use.
type Collector struct {
	srv *httptest.Server

	mu       sync.Mutex
	spans    []model.SpanModel
	errs     []error
	requests []*http.Request
	status   int // what to answer; 202 unless set
}

// New starts a collector on a random port of 127.0.0.1, stopped when the test
// ends. It answers 202 Accepted, as Zipkin does.
func New(t testing.TB) *Collector {
	t.Helper()
	c := &Collector{status: http.StatusAccepted}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.srv.Close)
	return c
}

// Endpoint is the URL to give core.WithEndpoint.
func (c *Collector) Endpoint() string { return c.srv.URL + "/api/v2/spans" }

// Options point a zipkin tracer at the collector.
func (c *Collector) Options() []core.Option { return []core.Option{core.WithEndpoint(c.Endpoint())} }

func (c *Collector) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/v2/spans" {
		http.Error(w, "zipkintest: want POST /api/v2/spans", http.StatusNotFound)
		return
	}
	spans, err := Decode(r)
	c.mu.Lock()
	c.requests = append(c.requests, r)
	status := c.status
	if err != nil {
		c.errs = append(c.errs, err)
		status = http.StatusBadRequest
	} else {
		c.spans = append(c.spans, spans...)
	}
	c.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	w.WriteHeader(status)
}

// Decode reads a v2 JSON span list from r, gunzipping it if its
// Content-Encoding says gzip.
func Decode(r *http.Request) ([]model.SpanModel, error) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return nil, fmt.Errorf("zipkintest: Content-Type %q is not application/json", ct)
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, fmt.Errorf("zipkintest: gzip: %w", err)
		}
		defer gz.Close()
		body = gz
	}
	var spans []model.SpanModel
	dec := json.NewDecoder(body)
	if err := dec.Decode(&spans); err != nil {
		return nil, fmt.Errorf("zipkintest: decoding v2 JSON spans: %w", err)
	}
	return spans, nil
}

// Models returns the spans received so far, as zipkin-go decoded them.
func (c *Collector) Models() []model.SpanModel {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]model.SpanModel(nil), c.spans...)
}

// Errors returns what the collector could not decode.
func (c *Collector) Errors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.errs...)
}

// Requests returns the requests received, bodies read.
func (c *Collector) Requests() []*http.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*http.Request(nil), c.requests...)
}

// Spans returns the spans received so far in the conformance model.
func (c *Collector) Spans() []conformance.Span {
	models := c.Models()
	out := make([]conformance.Span, len(models))
	for i, m := range models {
		out[i] = Convert(m)
	}
	return out
}

// Convert maps a Zipkin span to the conformance model: the kind becomes the
// span.kind tag (lower case), the local endpoint's service name the service,
// the remote endpoint the peer.service, peer.ipv4, peer.ipv6 and peer.port
// tags, and annotations with one timestamp one log, each "key:value"
// annotation a field.
func Convert(m model.SpanModel) conformance.Span {
	s := conformance.Span{
		TraceID:   conformance.NormalizeID(m.TraceID.String()),
		SpanID:    conformance.ID(uint64(m.ID)),
		Operation: m.Name,
		Tags:      map[string]any{},
		Start:     m.Timestamp,
		Duration:  m.Duration,
	}
	if m.ParentID != nil {
		s.ParentID = conformance.ID(uint64(*m.ParentID))
	}
	if m.LocalEndpoint != nil {
		s.Service = m.LocalEndpoint.ServiceName
	}
	if m.Kind != model.Undetermined {
		s.Tags["span.kind"] = strings.ToLower(string(m.Kind))
	}
	if r := m.RemoteEndpoint; r != nil {
		if r.ServiceName != "" {
			s.Tags["peer.service"] = r.ServiceName
		}
		if r.IPv4 != nil {
			s.Tags["peer.ipv4"] = r.IPv4.String()
		}
		if r.IPv6 != nil {
			s.Tags["peer.ipv6"] = r.IPv6.String()
		}
		if r.Port != 0 {
			s.Tags["peer.port"] = r.Port
		}
	}
	for k, v := range m.Tags {
		s.Tags[k] = v
	}
	for _, a := range m.Annotations {
		key, value, _ := strings.Cut(a.Value, ":")
		if n := len(s.Logs); n > 0 && s.Logs[n-1].Time.Equal(a.Timestamp) {
			s.Logs[n-1].Fields[key] = value
			continue
		}
		s.Logs = append(s.Logs, conformance.Log{Time: a.Timestamp, Fields: map[string]any{key: value}})
	}
	return s
}
