package propagation

import (
	"slices"
	"strings"
)

// SpanContext is a span context in the terms every supported wire format
// shares. Backends convert their own span contexts to and from it (see
// backend.SpanContextCodec); the formats read and write it.
//
// A SpanContext is a value; its Baggage slice is owned by whoever built it,
// and formats never modify a SpanContext they are given.
type SpanContext struct {
	// TraceIDHigh and TraceID are the trace id: TraceIDHigh is the upper 64
	// bits of a 128-bit id, 0 for a 64-bit one.
	TraceIDHigh, TraceID uint64
	// SpanID is the id of the span this context belongs to (the parent of the
	// span that continues it). Never 0 in a valid context.
	SpanID uint64
	// ParentID is the id of SpanID's own parent where the format carries one
	// (B3, jaeger), 0 otherwise. Informational only.
	ParentID uint64
	// Sampling is the sampling decision, which may be deferred (B3 allows it).
	Sampling Sampling
	// Random is W3C Trace Context Level 2's random trace-id flag (0x02 of
	// traceparent's flags): the trace id's right-most 7 bytes are random,
	// which consistent-probability samplers rely on. It is read from and
	// written to traceparent only; other formats have no such flag.
	Random bool
	// TraceState is W3C tracestate, passed on as it came but for empty
	// members and the white space around members: "" when absent or invalid.
	TraceState string
	// DebugID is jaeger-debug-id's value, for a trace a caller forced to be
	// sampled and wants to find by it (jaeger-client-go tags the root span
	// jaeger-debug-id with it); only set without ids, with Sampling
	// SamplingDebug. Extract sets it (see the package documentation for the
	// values it accepts); Inject never writes it.
	DebugID string
	// Baggage are the baggage items, in the order read or set; keys are lower
	// case for the header formats that fold case.
	Baggage []BaggageItem
}

// BaggageItem is one baggage key and value.
type BaggageItem struct {
	Key, Value string
}

// Sampling is a sampling decision.
type Sampling uint8

// Sampling decisions. The zero value is SamplingDeferred: the receiver decides.
const (
	// SamplingDeferred means no decision was made upstream.
	SamplingDeferred Sampling = iota
	// SamplingNo means the trace is not sampled.
	SamplingNo
	// SamplingYes means the trace is sampled.
	SamplingYes
	// SamplingDebug means the trace is sampled and marked for debugging (B3's
	// X-B3-Flags: 1 or "d", jaeger's debug flag, jaeger-debug-id); it implies
	// sampled.
	SamplingDebug
)

// IsSampled reports the decision, with def when none was made.
func (s Sampling) IsSampled(def bool) bool {
	switch s {
	case SamplingNo:
		return false
	case SamplingYes, SamplingDebug:
		return true
	}
	return def
}

// IsValid reports whether sc has a trace id and a span id, so that a span can
// continue it. A context with baggage and no ids (W3C baggage alone, or
// jaeger's jaeger-baggage header) is not valid.
func (sc *SpanContext) IsValid() bool {
	return (sc.TraceIDHigh != 0 || sc.TraceID != 0) && sc.SpanID != 0
}

// BaggageMap returns sc's baggage as a map, for a backend whose span
// contexts keep baggage so: of two items with one key the first wins (the
// one a header listed first); nil when there is none.
func (sc SpanContext) BaggageMap() map[string]string {
	if len(sc.Baggage) == 0 {
		return nil
	}
	m := make(map[string]string, len(sc.Baggage))
	for _, it := range sc.Baggage {
		if _, dup := m[it.Key]; !dup {
			m[it.Key] = it.Value
		}
	}
	return m
}

// BaggageItems returns the items of a baggage map sorted by key, so that
// headers written from it are the same every time; nil when m is empty.
func BaggageItems(m map[string]string) []BaggageItem {
	if len(m) == 0 {
		return nil
	}
	items := make([]BaggageItem, 0, len(m))
	for k, v := range m {
		items = append(items, BaggageItem{Key: k, Value: v})
	}
	slices.SortFunc(items, func(a, b BaggageItem) int { return strings.Compare(a.Key, b.Key) })
	return items
}
