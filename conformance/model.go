package conformance

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Span is a span as a collector decoded it from a backend's wire format:
// the neutral model the suite checks.
type Span struct {
	// TraceID, SpanID and ParentID are lower-case hex without leading zeros
	// (see [NormalizeID]), so 64- and 128-bit ids and padded or unpadded
	// encodings compare equal. ParentID is "" for a root span.
	TraceID, SpanID, ParentID string
	Operation                 string
	// Service is the service (process) name the span was reported under.
	Service string
	// Tags are the span's tags, with the types the wire format has; compare
	// them with [Span.Tag], which renders any type as a string.
	Tags map[string]any
	// Process holds process-level tags, where the wire format has them apart
	// from span tags.
	Process  map[string]any
	Logs     []Log
	Start    time.Time
	Duration time.Duration
}

// Log is one timestamped log record of a span.
type Log struct {
	Time   time.Time
	Fields map[string]any
}

// Tag returns the tag named key as a string (fmt's %v of the decoded value,
// so 200, int64(200) and "200" all read "200") and whether it is present.
func (s Span) Tag(key string) (string, bool) {
	v, ok := s.Tags[key]
	if !ok {
		return "", false
	}
	return fmt.Sprint(v), true
}

// ProcessTag returns the process tag named key as a string, looking in
// Process and then, for wire formats without a process, in Tags.
func (s Span) ProcessTag(key string) (string, bool) {
	if v, ok := s.Process[key]; ok {
		return fmt.Sprint(v), true
	}
	return s.Tag(key)
}

// String describes the span for test failures.
func (s Span) String() string {
	return fmt.Sprintf("%s %q [trace %s span %s parent %s] tags %v", s.Service, s.Operation, s.TraceID, s.SpanID, s.ParentID, s.Tags)
}

// NormalizeID renders a hex id in the model's form: lower case, without
// leading zeros; "" for a zero or empty id.
func NormalizeID(hex string) string {
	return strings.TrimLeft(strings.ToLower(hex), "0")
}

// ID renders a 64-bit id in the model's form.
func ID(id uint64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatUint(id, 16)
}

// ID128 renders a 128-bit id, given as its high and low halves, in the model's form.
func ID128(high, low uint64) string {
	if high == 0 {
		return ID(low)
	}
	return fmt.Sprintf("%x%016x", high, low)
}
