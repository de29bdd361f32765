package otmocktest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/conformance"
)

// Harness describes the otmock backend to traceplug's conformance suite:
//
//	func TestConformance(t *testing.T) { conformance.Run(t, otmocktest.Harness()) }
func Harness() conformance.Harness {
	return conformance.Harness{
		Name:    "otmock",
		Backend: "otmock",
		Start:   func(t *testing.T) conformance.Collector { return New(t) },
		Lacks: map[conformance.Capability]string{
			conformance.TraceID128: "mocktracer.MockSpanContext holds the trace id in an int: " +
				"a 128-bit trace id continues under its low 64 bits",
			conformance.TraceState: "mocktracer.MockSpanContext has no field for W3C tracestate: " +
				"an incoming tracestate is not passed on",
		},
		MalformedHeaders: MalformedHeaders(),
	}
}

// MalformedHeaders are broken W3C trace contexts (otmock's native format),
// each of which must start a new root trace.
func MalformedHeaders() []conformance.Malformed {
	tp := func(v string) http.Header { return http.Header{"Traceparent": {v}} }
	return []conformance.Malformed{
		{Name: "traceparent upper case", Header: tp("00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01")},
		{Name: "traceparent zero trace id", Header: tp("00-00000000000000000000000000000000-00f067aa0ba902b7-01")},
		{Name: "traceparent zero span id", Header: tp("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")},
		{Name: "traceparent version ff", Header: tp("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")},
		{Name: "traceparent short trace id", Header: tp("00-4bf92f3577b34da6-00f067aa0ba902b7-01")},
		{Name: "traceparent twice", Header: http.Header{"Traceparent": {
			"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
			"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}},
		{Name: "traceparent huge", Header: tp(strings.Repeat("0", 8192))},
		{Name: "mocktracer's own headers", Header: http.Header{
			"Mockpfx-Ids-Traceid": {"43"}, "Mockpfx-Ids-Spanid": {"44"}, "Mockpfx-Ids-Sampled": {"true"}}},
	}
}
