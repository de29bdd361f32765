package zipkintest

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// Harness describes the zipkin backend to the conformance suite.
func Harness() conformance.Harness {
	return conformance.Harness{
		Name:    "zipkin",
		Backend: "zipkin",
		// Zipkin's v2 model lower-cases span names.
		FoldsNames: true,
		Start: func(t *testing.T) conformance.Collector {
			return New(t)
		},
		Lacks: map[conformance.Capability]string{
			conformance.TraceState: "zipkin-go's span context (model.SpanContext) has no field for W3C tracestate: " +
				"an incoming tracestate is not passed on",
		},
		MalformedHeaders: MalformedHeaders(),
		QueueSize: func(n int) []core.Option {
			// The backlog holds what waits for a retry, and a long timeout
			// keeps zipkin-go from sending a slow batch twice (it retries a
			// batch whose request timed out, which the collector may have
			// decoded already).
			return []core.Option{core.WithParam("queue_size", strconv.Itoa(n)), core.WithParam("backlog", strconv.Itoa(n)),
				core.WithParam("timeout", "60s")}
		},
	}
}

// MalformedHeaders are broken B3 contexts (zipkin's native format), each of
// which must start a new root trace.
func MalformedHeaders() []conformance.Malformed {
	multi := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	return []conformance.Malformed{
		{Name: "bad hex trace id", Header: multi("X-B3-TraceId", "463ac35c9f6413zz", "X-B3-SpanId", "a2fb4a1d1a96d312")},
		{Name: "bad hex span id", Header: multi("X-B3-TraceId", "463ac35c9f6413ad", "X-B3-SpanId", "nothex")},
		{Name: "trace id too long", Header: multi("X-B3-TraceId", strings.Repeat("a", 33), "X-B3-SpanId", "a2fb4a1d1a96d312")},
		{Name: "span id too long", Header: multi("X-B3-TraceId", "463ac35c9f6413ad", "X-B3-SpanId", strings.Repeat("b", 17))},
		{Name: "trace id without span id", Header: multi("X-B3-TraceId", "463ac35c9f6413ad")},
		{Name: "bad sampled value", Header: multi("X-B3-TraceId", "463ac35c9f6413ad", "X-B3-SpanId", "a2fb4a1d1a96d312", "X-B3-Sampled", "maybe")},
		{Name: "bad parent span id", Header: multi("X-B3-TraceId", "463ac35c9f6413ad", "X-B3-SpanId", "a2fb4a1d1a96d312", "X-B3-ParentSpanId", "zz")},
		{Name: "single header garbage", Header: multi("b3", "not-a-context-at-all")},
		{Name: "single header bad sampling", Header: multi("b3", "463ac35c9f6413ad-a2fb4a1d1a96d312-x")},
		{Name: "single header zero span id", Header: multi("b3", "463ac35c9f6413ad-0000000000000000-1")},
		{Name: "zero trace id", Header: multi("X-B3-TraceId", "0000000000000000", "X-B3-SpanId", "a2fb4a1d1a96d312")},
	}
}
