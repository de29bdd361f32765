package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Trace is a trace as Jaeger's query API returns it.
type Trace struct {
	TraceID   string             `json:"traceID"`
	Spans     []Span             `json:"spans"`
	Processes map[string]Process `json:"processes"`
}

// Span is one span of a Trace.
type Span struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []Reference `json:"references"`
	StartTime     int64       `json:"startTime"` // microseconds
	Duration      int64       `json:"duration"`  // microseconds
	Tags          []KeyValue  `json:"tags"`
	Logs          []Log       `json:"logs"`
	ProcessID     string      `json:"processID"`
}

// Reference links a span to another.
type Reference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// KeyValue is a tag or log field.
type KeyValue struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// Log is a span log.
type Log struct {
	Timestamp int64      `json:"timestamp"`
	Fields    []KeyValue `json:"fields"`
}

// Process is the service a span came from.
type Process struct {
	ServiceName string     `json:"serviceName"`
	Tags        []KeyValue `json:"tags"`
}

// Tag returns the span's tag key as a string, and whether it is there.
func (s Span) Tag(key string) (string, bool) {
	for _, kv := range s.Tags {
		if kv.Key == key {
			return fmt.Sprint(kv.Value), true
		}
	}
	return "", false
}

// Parent returns the span id of the CHILD_OF reference, or "".
func (s Span) Parent() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	return ""
}

// ErrNotFound is returned when Jaeger does not (yet) have a trace.
var ErrNotFound = errors.New("e2e: trace not found")

// Query is a client of Jaeger's query API.
type Query struct {
	URL    string // such as http://127.0.0.1:16686
	Client *http.Client
}

// answer is the envelope of every query API answer; Data is []Trace,
// []string or []Operation depending on the endpoint.
type answer struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	} `json:"errors"`
}

// get decodes the data of the answer to GET path into data.
func (q Query) get(ctx context.Context, path string, data any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", q.URL+path, nil)
	if err != nil {
		return err
	}
	client := q.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return ErrNotFound
	}
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return fmt.Errorf("e2e: decoding %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("e2e: %s: %s %v", path, resp.Status, a.Errors)
	}
	if len(a.Data) == 0 || string(a.Data) == "null" {
		return nil
	}
	if err := json.Unmarshal(a.Data, data); err != nil {
		return fmt.Errorf("e2e: decoding the data of %s: %w", path, err)
	}
	return nil
}

// Trace fetches one trace by id.
func (q Query) Trace(ctx context.Context, id string) (*Trace, error) {
	var traces []Trace
	if err := q.get(ctx, "/api/traces/"+url.PathEscape(id), &traces); err != nil {
		return nil, err
	}
	if len(traces) == 0 {
		return nil, ErrNotFound
	}
	return &traces[0], nil
}

// Traces fetches the recent traces of a service.
func (q Query) Traces(ctx context.Context, service string) ([]Trace, error) {
	v := url.Values{"service": {service}, "limit": {"50"}, "lookback": {"1h"}}
	var traces []Trace
	err := q.get(ctx, "/api/traces?"+v.Encode(), &traces)
	return traces, err
}

// Services lists the services Jaeger has spans of.
func (q Query) Services(ctx context.Context) ([]string, error) {
	var services []string
	err := q.get(ctx, "/api/services", &services)
	return services, err
}

// Operation is an operation of a service, with the span kind Jaeger files it
// under ("" for spans without span.kind).
type Operation struct {
	Name     string `json:"name"`
	SpanKind string `json:"spanKind"`
}

// Operations lists the operations of a service.
func (q Query) Operations(ctx context.Context, service string) ([]Operation, error) {
	var ops []Operation
	err := q.get(ctx, "/api/operations?"+url.Values{"service": {service}}.Encode(), &ops)
	return ops, err
}

// WaitTrace polls for the trace until it has at least spans spans or ctx
// ends; the error then says what Jaeger had.
func (q Query) WaitTrace(ctx context.Context, id string, spans int) (*Trace, error) {
	var last *Trace
	var lastErr error
	for {
		tr, err := q.Trace(ctx, id)
		if err == nil && len(tr.Spans) >= spans {
			return tr, nil
		}
		last, lastErr = tr, err
		select {
		case <-ctx.Done():
			if last != nil {
				return last, fmt.Errorf("e2e: trace %s has %d spans after waiting, want %d:\n%s", id, len(last.Spans), spans, last.Describe())
			}
			return nil, fmt.Errorf("e2e: trace %s never reached Jaeger: %v", id, lastErr)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Describe lists the trace's spans, for failure messages.
func (t *Trace) Describe() string {
	var b strings.Builder
	for _, s := range t.Spans {
		kind, _ := s.Tag("span.kind")
		fmt.Fprintf(&b, "  %s %q (%s) span %s parent %s\n", t.Processes[s.ProcessID].ServiceName, s.OperationName, kind, s.SpanID, s.Parent())
	}
	return b.String()
}

// Services returns the service names of the trace's processes, sorted, each
// once.
func (t *Trace) Services() []string {
	var names []string
	for _, p := range t.Processes {
		names = append(names, p.ServiceName)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// SameID reports whether two hex ids are equal, ignoring case and leading zeros.
func SameID(a, b string) bool {
	return strings.TrimLeft(strings.ToLower(a), "0") == strings.TrimLeft(strings.ToLower(b), "0")
}
