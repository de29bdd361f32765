package zipkin

import (
	"errors"
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openzipkin/zipkin-go/model"
	"github.com/traceplug/traceplug/internal/textutil"
)

// jsonWriter writes spans as Zipkin v2 JSON, the bytes zipkin-go's
// reporter.JSONSerializer writes (encoding/json over model.SpanModel's
// MarshalJSON), without reflection and without allocating: a fifth of the
// backend's CPU went to encoding/json and its two dozen allocations a span.
// json_test.go holds it to zipkin-go's bytes. It is not safe for concurrent
// use; the reporter's goroutine has one.
type jsonWriter struct {
	b    []byte
	keys []string // a span's tag keys, sorted
	name []byte   // a lower-cased name
}

// errUnencodable is what Zipkin's JSON cannot carry: a timestamp before 1970
// or past 2262 (microseconds beyond an int64's nanoseconds), a negative
// duration (a clock gone backwards), or an IP address of neither 4 nor 16
// bytes. zipkin-go's serializer refuses some and sends others that the
// collector then refuses, failing the whole batch; the reporter drops the
// span alone instead, and counts it.
var errUnencodable = errors.New("a timestamp before 1970 or past 2262, a negative duration, or a malformed IP address")

// check says whether s can be encoded. Annotations (logs) that Zipkin's JSON
// cannot carry, for their timestamp, are dropped from s, which is kept.
func check(s *model.SpanModel) error {
	if !s.Timestamp.IsZero() && !validTime(s.Timestamp) || s.Duration < 0 || !validEndpoint(s.LocalEndpoint) || !validEndpoint(s.RemoteEndpoint) {
		return errUnencodable
	}
	for _, a := range s.Annotations {
		if !validTime(a.Timestamp) {
			// A copy: the span's own slice is not the reporter's to change.
			s.Annotations = slices.DeleteFunc(slices.Clone(s.Annotations), func(a model.Annotation) bool { return !validTime(a.Timestamp) })
			break
		}
	}
	return nil
}

// maxTime is the last time Zipkin's microseconds hold (time.Time's UnixNano
// overflows after it).
var maxTime = time.Unix(0, math.MaxInt64).Add(-time.Microsecond)

// validTime reports whether t is a timestamp Zipkin's JSON carries: at least
// 1 s after 1970 began, as zipkin-go's span serializer asks, and before
// maxTime.
func validTime(t time.Time) bool { return t.Unix() >= 1 && t.Before(maxTime) }

func validEndpoint(e *model.Endpoint) bool {
	ok := func(ip net.IP) bool { return len(ip) == 0 || len(ip) == net.IPv4len || len(ip) == net.IPv6len }
	return e == nil || ok(e.IPv4) && ok(e.IPv6)
}

// spans writes a JSON list of spans, each of which has passed check.
func (w *jsonWriter) spans(spans []model.SpanModel) {
	w.b = append(w.b, '[')
	for i := range spans {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.span(&spans[i])
	}
	w.b = append(w.b, ']')
}

// span writes a span as model.SpanModel's MarshalJSON does, in its field
// order: timestamp, duration, traceId, id, parentId, debug, name, kind,
// shared, localEndpoint, remoteEndpoint, annotations, tags (sorted by key).
func (w *jsonWriter) span(s *model.SpanModel) {
	w.b = append(w.b, '{')
	if !s.Timestamp.IsZero() {
		if ts := s.Timestamp.Round(time.Microsecond).UnixNano() / 1e3; ts != 0 {
			w.b = append(w.b, `"timestamp":`...)
			w.b = strconv.AppendInt(w.b, ts, 10)
			w.b = append(w.b, ',')
		}
	}
	d := s.Duration
	switch {
	case d >= time.Microsecond:
		d += 500 * time.Nanosecond // rounded to the microsecond, as zipkin-go does
	case d > 0:
		d = time.Microsecond
	}
	if us := d.Nanoseconds() / 1e3; us != 0 {
		w.b = append(w.b, `"duration":`...)
		w.b = strconv.AppendInt(w.b, us, 10)
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, `"traceId":"`...)
	if s.TraceID.High != 0 {
		w.b = appendHex(w.b, s.TraceID.High)
	}
	w.b = appendHex(w.b, s.TraceID.Low)
	w.b = append(w.b, `","id":"`...)
	w.b = appendHex(w.b, uint64(s.ID))
	w.b = append(w.b, '"')
	if s.ParentID != nil {
		w.b = append(w.b, `,"parentId":"`...)
		w.b = appendHex(w.b, uint64(*s.ParentID))
		w.b = append(w.b, '"')
	}
	if s.Debug {
		w.b = append(w.b, `,"debug":true`...)
	}
	if s.Name != "" {
		w.b = append(w.b, `,"name":`...)
		w.lower(s.Name)
	}
	if s.Kind != "" {
		w.b = append(w.b, `,"kind":`...)
		w.b = textutil.AppendJSONString(w.b, string(s.Kind))
	}
	if s.Shared {
		w.b = append(w.b, `,"shared":true`...)
	}
	if !s.LocalEndpoint.Empty() {
		w.b = append(w.b, `,"localEndpoint":`...)
		w.endpoint(s.LocalEndpoint)
	}
	if !s.RemoteEndpoint.Empty() {
		w.b = append(w.b, `,"remoteEndpoint":`...)
		w.endpoint(s.RemoteEndpoint)
	}
	if len(s.Annotations) > 0 {
		w.b = append(w.b, `,"annotations":[`...)
		for i, a := range s.Annotations {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = append(w.b, `{"timestamp":`...)
			w.b = strconv.AppendInt(w.b, a.Timestamp.Round(time.Microsecond).UnixNano()/1e3, 10)
			w.b = append(w.b, `,"value":`...)
			w.b = textutil.AppendJSONString(w.b, a.Value)
			w.b = append(w.b, '}')
		}
		w.b = append(w.b, ']')
	}
	if len(s.Tags) > 0 {
		w.keys = w.keys[:0]
		for k := range s.Tags {
			w.keys = append(w.keys, k)
		}
		slices.Sort(w.keys)
		w.b = append(w.b, `,"tags":{`...)
		for i, k := range w.keys {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = textutil.AppendJSONString(w.b, k)
			w.b = append(w.b, ':')
			w.b = textutil.AppendJSONString(w.b, s.Tags[k])
		}
		clear(w.keys)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, '}')
}

// endpoint writes a non-empty endpoint as model.Endpoint's MarshalJSON does.
func (w *jsonWriter) endpoint(e *model.Endpoint) {
	w.b = append(w.b, '{')
	comma := false
	sep := func() {
		if comma {
			w.b = append(w.b, ',')
		}
		comma = true
	}
	if e.ServiceName != "" {
		sep()
		w.b = append(w.b, `"serviceName":`...)
		w.lower(e.ServiceName)
	}
	if len(e.IPv4) > 0 {
		sep()
		w.b = append(w.b, `"ipv4":`...)
		w.ip(e.IPv4)
	}
	if len(e.IPv6) > 0 {
		sep()
		w.b = append(w.b, `"ipv6":`...)
		w.ip(e.IPv6)
	}
	if e.Port != 0 {
		sep()
		w.b = append(w.b, `"port":`...)
		w.b = strconv.AppendUint(w.b, uint64(e.Port), 10)
	}
	w.b = append(w.b, '}')
}

// ip writes an address as net.IP's String does: dotted for an IPv4 address,
// IPv4-mapped ones included.
func (w *jsonWriter) ip(ip net.IP) {
	a, _ := netip.AddrFromSlice(ip)
	w.b = append(w.b, '"')
	w.b = a.Unmap().AppendTo(w.b)
	w.b = append(w.b, '"')
}

// lower writes s lower-cased, as strings.ToLower does, as a JSON string.
func (w *jsonWriter) lower(s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf {
			w.b = textutil.AppendJSONString(w.b, strings.ToLower(s)) // not ASCII: rare
			return
		}
	}
	w.name = w.name[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		w.name = append(w.name, c)
	}
	w.b = textutil.AppendJSONString(w.b, string(w.name)) // names are short: converted on the stack
}

// appendHex appends v as 16 lower-case hex digits.
func appendHex(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, digits[v>>uint(shift)&0xf])
	}
	return b
}
