package jaegertest

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// Harness describes the jaeger backend over transport "udp" or "http" to the
// conformance suite.
func Harness(transport string) conformance.Harness {
	start := NewUDP
	if transport == "http" {
		start = NewHTTP
	}
	return conformance.Harness{
		Name:    "jaeger/" + transport,
		Backend: "jaeger",
		Start: func(t *testing.T) conformance.Collector {
			return start(t)
		},
		Lacks: map[conformance.Capability]string{
			conformance.TraceState: "jaeger-client-go's span context has no field for W3C tracestate: " +
				"an incoming tracestate is not passed on",
		},
		MalformedHeaders: MalformedHeaders(),
		QueueSize: func(n int) []core.Option {
			return []core.Option{core.WithParam("queue_size", strconv.Itoa(n))}
		},
		Lossy: transport == "udp",
	}
}

// MalformedHeaders are broken uber-trace-id headers, jaeger's native format:
// each must start a new root trace.
func MalformedHeaders() []conformance.Malformed {
	h := func(v string) http.Header { return http.Header{"Uber-Trace-Id": {v}} }
	return []conformance.Malformed{
		{Name: "empty", Header: h("")},
		{Name: "too few fields", Header: h("abc:def:0")},
		{Name: "too many fields", Header: h("1:2:0:1:5")},
		{Name: "non-hex trace id", Header: h("xyz:1:0:1")},
		{Name: "non-hex span id", Header: h("1:g:0:1")},
		{Name: "zero ids", Header: h("0:0:0:1")},
		{Name: "trace id over 128 bits", Header: h(strings.Repeat("f", 33) + ":1:0:1")},
		{Name: "span id over 64 bits", Header: h("1:" + strings.Repeat("f", 17) + ":0:1")},
		{Name: "non-hex parent id", Header: h("1:2:x:1")},
		{Name: "flags not a byte", Header: h("1:2:0:300")},
		{Name: "flags not a number", Header: h("1:2:0:yes")},
		{Name: "url-encoded garbage", Header: h("%zz%")},
		{Name: "no ids", Header: h(":::")},
	}
}
