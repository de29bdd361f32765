package propagation

import "strings"

// OpenTracing basic tracer / lightstep: ot-tracer-traceid, ot-tracer-spanid,
// ot-tracer-sampled.

// otHeaders are the ot-tracer-* headers, in the order their problems are
// told.
var otHeaders = []singleHeader{{sOTTraceID, hdrOTTraceID}, {sOTSpanID, hdrOTSpanID}, {sOTSampled, hdrOTSampled}}

// otContext reads the ot-tracer-* headers. Without ids, ot-tracer-sampled
// is no context, whatever its values.
func (s *scan) otContext() (SpanContext, status, problem) {
	var sc SpanContext
	ids := s.seen & (sOTTraceID | sOTSpanID)
	if ids == 0 {
		return sc, absent, problem{} // ot-tracer-sampled alone is no context
	}
	if pr, ok := s.twice(OTTrace, otHeaders); ok {
		return sc, corrupt, pr
	}
	switch ids {
	case sOTTraceID:
		return sc, corrupt, problem{OTTrace, hdrOTTraceID, s.otTraceID, "no ot-tracer-spanid"}
	case sOTSpanID:
		return sc, corrupt, problem{OTTrace, hdrOTSpanID, s.otSpanID, "no ot-tracer-traceid"}
	}
	var ok bool
	if sc.TraceIDHigh, sc.TraceID, ok = parseTraceID(trimOWS(s.otTraceID)); !ok {
		return sc, corrupt, problem{OTTrace, hdrOTTraceID, s.otTraceID, "not 1 to 32 hex digits"}
	}
	if sc.TraceIDHigh == 0 && sc.TraceID == 0 {
		return sc, corrupt, problem{OTTrace, hdrOTTraceID, s.otTraceID, "trace id is zero"}
	}
	if sc.SpanID, ok = parseHex(trimOWS(s.otSpanID), true); !ok {
		return sc, corrupt, problem{OTTrace, hdrOTSpanID, s.otSpanID, "not 1 to 16 hex digits"}
	}
	if sc.SpanID == 0 {
		return sc, corrupt, problem{OTTrace, hdrOTSpanID, s.otSpanID, "span id is zero"}
	}
	if s.seen&sOTSampled != 0 {
		switch v := trimOWS(s.otSampled); {
		case v == "": // as good as none, as the peers read it
		case v == "1" || strings.EqualFold(v, "true"):
			sc.Sampling = SamplingYes
		case v == "0" || strings.EqualFold(v, "false"):
			sc.Sampling = SamplingNo
		default:
			return sc, corrupt, problem{OTTrace, hdrOTSampled, s.otSampled, `want "true", "false", "1" or "0"`}
		}
	}
	return sc, valid, problem{}
}

// injectOTTrace writes sc as ot-tracer-* headers: the low 64 bits of the
// trace id (lightstep-tracer-go reads no more; OpenTelemetry's ot propagator
// writes no more) and the span id in 16 hex digits, and "true" or "false",
// which lightstep-tracer-go requires.
func injectOTTrace(w Writer, sc *SpanContext) {
	var buf [16]byte
	w.Set(hdrOTTraceID, string(appendSpanID(buf[:0], sc.TraceID)))
	w.Set(hdrOTSpanID, string(appendSpanID(buf[:0], sc.SpanID)))
	if sc.Sampling.IsSampled(false) {
		w.Set(hdrOTSampled, "true")
	} else {
		w.Set(hdrOTSampled, "false")
	}
}
