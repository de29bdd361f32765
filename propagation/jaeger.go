package propagation

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/traceplug/traceplug/internal/textutil"
)

// Jaeger: https://www.jaegertracing.io/docs/latest/client-libraries/#propagation-format

// Jaeger flags bits.
const (
	jaegerSampled = 1
	jaegerDebug   = 2
)

// jaegerContext reads uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}
// as jaeger-client-go's ContextFromString does, after URL-decoding the value
// as its HTTPHeaders propagator does.
//
// Without uber-trace-id, a jaeger-debug-id gives absent with SamplingDebug
// and the id, as jaeger-client-go@v2.30.0 reads it (propagation.go,
// TextMapPropagator.Extract) and then starts a new debug trace from a
// context holding only a debug id (tracer.go, startSpanWithOptions,
// isDebugIDContainerOnly): the id is ignored beside a valid uber-trace-id,
// and a malformed one fails its Extract altogether. (It takes a zero trace
// id for none, and honours the id beside one; here that uber-trace-id is
// corrupt, and the id ignored.)
func (s *scan) jaegerContext() (SpanContext, status, problem) {
	var sc SpanContext
	if s.seen&sUberTraceID == 0 {
		if id := s.debugID(); id != "" {
			sc.Sampling, sc.DebugID = SamplingDebug, id
		}
		return sc, absent, problem{}
	}
	if s.differ&sUberTraceID != 0 {
		return SpanContext{}, corrupt, twoValues(Jaeger, hdrUberTraceID)
	}
	bad := func(why string) (SpanContext, status, problem) {
		return SpanContext{}, corrupt, problem{Jaeger, hdrUberTraceID, s.uberTraceID, why}
	}
	v := queryUnescape(trimOWS(s.uberTraceID))
	traceID, rest, ok1 := strings.Cut(v, ":")
	spanID, rest, ok2 := strings.Cut(rest, ":")
	parentID, flags, ok3 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || !ok3 || strings.IndexByte(flags, ':') >= 0 {
		return bad("want 4 fields separated by \":\"")
	}
	var ok bool
	if sc.TraceIDHigh, sc.TraceID, ok = parseTraceID(traceID); !ok {
		return bad("trace id is not 1 to 32 hex digits")
	}
	if sc.TraceIDHigh == 0 && sc.TraceID == 0 {
		return bad("trace id is zero")
	}
	if sc.SpanID, ok = parseHex(spanID, true); !ok {
		return bad("span id is not 1 to 16 hex digits")
	}
	if sc.SpanID == 0 {
		return bad("span id is zero")
	}
	if sc.ParentID, ok = parseHex(parentID, true); !ok {
		return bad("parent span id is not 1 to 16 hex digits")
	}
	f, ok := parseJaegerFlags(flags)
	if !ok {
		return bad("flags are not a byte")
	}
	switch {
	case f&jaegerSampled == 0:
		sc.Sampling = SamplingNo
	case f&jaegerDebug != 0:
		sc.Sampling = SamplingDebug
	default:
		sc.Sampling = SamplingYes
	}
	return sc, valid, problem{}
}

// maxDebugIDSize caps the bytes of jaeger-debug-id's value kept: it comes
// from strangers and ends up in a tag. A correlation id is far shorter.
const maxDebugIDSize = 256

// debugID returns jaeger-debug-id's value, trimmed of the white space around
// it, URL-decoded as jaeger-client-go's HTTPHeaders propagator does (a bad
// escape kept as is) and cut to maxDebugIDSize bytes on a UTF-8 boundary;
// "" when the header is absent or empty, or has two different values, or the
// value holds invalid UTF-8 or a control character (C0, DEL or C1, tab
// included) anywhere.
func (s *scan) debugID() string {
	if s.seen&sJaegerDebugID == 0 || s.differ&sJaegerDebugID != 0 {
		return ""
	}
	v := queryUnescape(trimOWS(s.jaegerDebugID))
	if !utf8.ValidString(v) {
		return ""
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return ""
		}
	}
	if cut, ok := textutil.Cut(v, maxDebugIDSize); ok {
		return strings.Clone(cut) // keep no megabyte header alive
	}
	return v
}

// parseJaegerFlags parses the flags as jaeger-client-go does, a decimal byte
// (strconv.ParseUint(v, 10, 8)), or else, since it writes them in hex ("%x",
// which differs for flags of 10 and more, such as firehose "b") and
// OpenTelemetry's jaeger propagator reads hex, as 1 or 2 hex digits.
func parseJaegerFlags(v string) (uint64, bool) {
	if v == "" {
		return 0, false
	}
	var f uint64
	decimal := true
	for i := 0; i < len(v); i++ {
		if !isDigit(v[i]) {
			decimal = false
			break
		}
		if f = f*10 + uint64(v[i]-'0'); f > 0xff {
			return 0, false
		}
	}
	if decimal {
		return f, true
	}
	if len(v) > 2 {
		return 0, false
	}
	return parseHex(v, true)
}

// appendUberTraceID appends sc as jaeger-client-go writes it: trace id in 16
// or 32 hex digits, span and parent ids in 16, flags in hex.
func appendUberTraceID(b []byte, sc *SpanContext) []byte {
	b = appendTraceID(b, sc.TraceIDHigh, sc.TraceID)
	b = append(b, ':')
	b = appendSpanID(b, sc.SpanID)
	b = append(b, ':')
	b = appendSpanID(b, sc.ParentID)
	switch sc.Sampling {
	case SamplingYes:
		return append(b, ":1"...)
	case SamplingDebug:
		return append(b, ":3"...)
	}
	return append(b, ":0"...)
}
