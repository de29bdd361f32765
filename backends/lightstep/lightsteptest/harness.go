package lightsteptest

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// Harness describes the lightstep backend over transport "http" or "grpc"
// to the conformance suite.
func Harness(transport string) conformance.Harness {
	return conformance.Harness{
		Name:    "lightstep/" + transport,
		Backend: "lightstep",
		Start: func(t *testing.T) conformance.Collector {
			return &transportCollector{Collector: New(t), transport: transport}
		},
		// Reports are sent every 500ms at the least; Close flushes the rest.
		Options: []core.Option{core.WithParam("access_token", "conformance-token")},
		Lacks: map[conformance.Capability]string{
			conformance.TraceID128: "lightstep-tracer-go's spans copy only the low 64 bits of a parent's trace id, " +
				"and its reports carry 64-bit trace ids: a 128-bit trace continues as its low half",
			conformance.TraceState: "lightstep-tracer-go's span context has no field for W3C tracestate: " +
				"an incoming tracestate is not passed on",
		},
		MalformedHeaders: MalformedHeaders(),
		QueueSize: func(n int) []core.Option {
			return []core.Option{core.WithParam("max_buffered_spans", strconv.Itoa(n))}
		},
	}
}

// transportCollector points tracers at one of the collector's transports.
type transportCollector struct {
	*Collector
	transport string
}

func (c *transportCollector) Options() []core.Option { return c.Collector.Options(c.transport) }

// MalformedHeaders are broken ot-tracer-* contexts (lightstep's native
// format), each of which must start a new root trace. (A context without
// ot-tracer-sampled is not broken: its decision is deferred.)
func MalformedHeaders() []conformance.Malformed {
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	return []conformance.Malformed{
		{Name: "non-hex trace id", Header: h("Ot-Tracer-Traceid", "xyz", "Ot-Tracer-Spanid", "1", "Ot-Tracer-Sampled", "true")},
		{Name: "non-hex span id", Header: h("Ot-Tracer-Traceid", "1", "Ot-Tracer-Spanid", "-1", "Ot-Tracer-Sampled", "true")},
		{Name: "missing span id", Header: h("Ot-Tracer-Traceid", "1", "Ot-Tracer-Sampled", "true")},
		{Name: "missing trace id", Header: h("Ot-Tracer-Spanid", "2", "Ot-Tracer-Sampled", "true")},
		{Name: "bad sampled value", Header: h("Ot-Tracer-Traceid", "1", "Ot-Tracer-Spanid", "2", "Ot-Tracer-Sampled", "maybe")},
		{Name: "huge span id", Header: h("Ot-Tracer-Traceid", "1", "Ot-Tracer-Spanid", strings.Repeat("f", 17), "Ot-Tracer-Sampled", "true")},
		{Name: "huge trace id", Header: h("Ot-Tracer-Traceid", strings.Repeat("f", 40), "Ot-Tracer-Spanid", "1", "Ot-Tracer-Sampled", "true")},
		{Name: "empty values", Header: h("Ot-Tracer-Traceid", "", "Ot-Tracer-Spanid", "", "Ot-Tracer-Sampled", "")},
		{Name: "zero ids", Header: h("Ot-Tracer-Traceid", "0", "Ot-Tracer-Spanid", "0", "Ot-Tracer-Sampled", "true")},
	}
}
