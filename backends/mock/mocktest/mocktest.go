// Package mocktest runs the conformance suite's collector for the mock
// backend: the mock has no wire, so its "collector" is a [mock.Collector],
// and this package turns what it received into the conformance span model.
package mocktest

import (
	"net/http"
	"testing"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// Harness describes the mock backend to the conformance suite.
func Harness() conformance.Harness {
	return conformance.Harness{
		Name:    "mock",
		Backend: "mock",
		Start: func(t *testing.T) conformance.Collector {
			c := &Collector{Collector: mock.NewCollector()}
			t.Cleanup(c.Close)
			return c
		},
		MalformedHeaders: MalformedHeaders(),
	}
}

// MalformedHeaders are broken contexts in the mock's native format, W3C
// trace context.
func MalformedHeaders() []conformance.Malformed {
	h := func(v string) http.Header { return http.Header{"Traceparent": {v}} }
	return []conformance.Malformed{
		{Name: "non-hex trace id", Header: h("00-zzf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")},
		{Name: "missing span id", Header: h("00-4bf92f3577b34da6a3ce929d0e0e4736--01")},
		{Name: "zero ids", Header: h("00-00000000000000000000000000000000-0000000000000000-01")},
		{Name: "overlong trace id", Header: h("00-4bf92f3577b34da6a3ce929d0e0e47360-00f067aa0ba902b7-01")},
		{Name: "bad flags", Header: h("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-perhaps")},
	}
}

// Collector adapts a [mock.Collector] to [conformance.Collector].
type Collector struct {
	*mock.Collector
}

// Options point a tracer at the collector.
func (c *Collector) Options() []core.Option {
	return []core.Option{core.WithEndpoint(c.Endpoint())}
}

// Spans returns the received spans in the conformance model.
func (c *Collector) Spans() []conformance.Span {
	in := c.Collector.Spans()
	out := make([]conformance.Span, len(in))
	for i, s := range in {
		out[i] = Convert(s)
	}
	return out
}

// Convert turns a mock span into the conformance model.
func Convert(s mock.Span) conformance.Span {
	out := conformance.Span{
		TraceID:   conformance.ID128(s.TraceIDHigh, s.TraceID),
		SpanID:    conformance.ID(s.SpanID),
		ParentID:  conformance.ID(s.ParentID),
		Operation: s.Operation,
		Service:   s.Service,
		Tags:      s.Tags,
		Process:   map[string]any{},
		Start:     s.Start,
		Duration:  s.Duration(),
	}
	for k, v := range s.ProcessTags {
		out.Process[k] = v
	}
	for _, l := range s.Logs {
		out.Logs = append(out.Logs, conformance.Log{Time: l.Time, Fields: l.Fields})
	}
	return out
}
