package otmock

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/opentracing/opentracing-go/mocktracer"
)

// Batch is otmock's wire format: the JSON body of one POST to the
// collector, holding spans of one tracer.
//
//	{"service":"shop","process":{"env":"ci"},"spans":[
//	  {"trace_id":"000000000000002b","span_id":"000000000000002c",
//	   "operation":"GET /items/{id}","start":"2025-01-02T03:04:05.123456789Z",
//	   "duration_ns":1500000,"tags":{"http.status_code":200,"span.kind":"server"},
//	   "logs":[{"time":"2025-01-02T03:04:05.124Z","fields":{"event":"error"}}]}]}
type Batch struct {
	// Service is the service name (core.WithServiceName).
	Service string `json:"service"`
	// Process holds the tracer's process tags (core.WithTag).
	Process map[string]string `json:"process,omitempty"`
	Spans   []Span            `json:"spans"`
}

// Span is one finished span on the wire.
type Span struct {
	// TraceID, SpanID and ParentID are 16 lower-case hex digits; ParentID is
	// absent for a root span.
	TraceID   string `json:"trace_id"`
	SpanID    string `json:"span_id"`
	ParentID  string `json:"parent_id,omitempty"`
	Operation string `json:"operation"`
	// Start is in RFC 3339 with nanoseconds; Duration in nanoseconds.
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
	// Tags are strings, booleans and numbers as set; a value of any other
	// type (or a float that JSON cannot hold) is sent as fmt.Sprint renders it.
	Tags map[string]any `json:"tags,omitempty"`
	// Logs are the span's log records, in order, their values rendered as
	// strings (as mocktracer keeps them).
	Logs []Log `json:"logs,omitempty"`
}

// Log is one timestamped log record of a span.
type Log struct {
	Time   time.Time         `json:"time"`
	Fields map[string]string `json:"fields"`
}

// snapshot copies a finished span into its wire form, so that what the span
// does after Finish is not sent (and not raced with), and says whether it is
// sampled.
func snapshot(ms *mocktracer.MockSpan) (Span, bool) {
	ms.RLock()
	sc, parent := ms.SpanContext, ms.ParentID
	s := Span{Operation: ms.OperationName, Start: ms.StartTime, Duration: ms.FinishTime.Sub(ms.StartTime)}
	ms.RUnlock()
	if !sc.Sampled {
		return Span{}, false
	}
	s.TraceID, s.SpanID = hexID(sc.TraceID), hexID(sc.SpanID)
	if parent != 0 {
		s.ParentID = hexID(parent)
	}
	if tags := ms.Tags(); len(tags) > 0 {
		s.Tags = make(map[string]any, len(tags))
		for k, v := range tags {
			s.Tags[k] = tagValue(v)
		}
	}
	if logs := ms.Logs(); len(logs) > 0 {
		s.Logs = make([]Log, len(logs))
		for i, l := range logs {
			fields := make(map[string]string, len(l.Fields))
			for _, f := range l.Fields {
				fields[f.Key] = f.ValueString
			}
			s.Logs[i] = Log{Time: l.Timestamp, Fields: fields}
		}
	}
	return s, true
}

// hexID renders a mocktracer id as 16 lower-case hex digits.
func hexID(id int) string {
	h := strconv.FormatUint(fromInt(id), 16)
	if len(h) < 16 {
		h = strings.Repeat("0", 16-len(h)) + h
	}
	return h
}

// tagValue returns v as JSON can carry it.
func tagValue(v any) any {
	switch x := v.(type) {
	case string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return v
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return v
		}
	case float32:
		if f := float64(x); !math.IsNaN(f) && !math.IsInf(f, 0) {
			return v
		}
	}
	return fmt.Sprint(v)
}
