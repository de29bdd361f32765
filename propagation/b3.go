package propagation

import "strings"

// B3: https://github.com/openzipkin/b3-propagation

// b3Context reads B3 for the format named name (b3 or b3multi, which read
// alike): the single b3 header when it holds a valid context, else the
// X-B3-* headers. A header with a sampling decision and no ids is absent,
// with that decision in Sampling.
func (s *scan) b3Context(name string) (SpanContext, status, problem) {
	var (
		hint      Sampling
		singleBad problem
	)
	if s.differ&sB3 != 0 {
		singleBad = twoValues(name, hdrB3)
	} else if s.seen&sB3 != 0 {
		sc, st, why := parseB3Single(s.b3)
		switch st {
		case valid:
			return sc, valid, problem{}
		case absent:
			hint = sc.Sampling
		default:
			singleBad = problem{name, hdrB3, s.b3, why}
		}
	}
	sc, st, pr := s.b3Multi(name)
	switch {
	case st == valid:
		return sc, valid, problem{}
	case singleBad.why != "":
		return SpanContext{}, corrupt, singleBad
	case st == corrupt:
		return SpanContext{}, corrupt, pr
	}
	if hint == SamplingDeferred {
		hint = sc.Sampling
	}
	return SpanContext{Sampling: hint}, absent, problem{}
}

// parseB3Single parses a b3 header: {traceid}-{spanid}[-{sampling}[-{parentid}]],
// or {sampling} alone, which is absent with that decision. Ids may be
// unpadded; a parent id without a sampling state (which zipkin-go writes
// when the decision is deferred) is accepted.
func parseB3Single(v string) (SpanContext, status, string) {
	var sc SpanContext
	v = trimOWS(v)
	if len(v) == 1 {
		if sc.Sampling = b3SamplingState(v[0]); sc.Sampling == SamplingDeferred {
			return sc, corrupt, "invalid sampling state"
		}
		return sc, absent, ""
	}
	traceID, rest, ok := strings.Cut(v, "-")
	if !ok {
		return sc, corrupt, "no span id"
	}
	spanID, rest, hasThird := strings.Cut(rest, "-")
	third, parentID, hasFourth := strings.Cut(rest, "-")
	if hasFourth && strings.IndexByte(parentID, '-') >= 0 {
		return sc, corrupt, "too many fields"
	}
	if sc.TraceIDHigh, sc.TraceID, ok = parseTraceID(traceID); !ok {
		return sc, corrupt, "trace id is not 1 to 32 hex digits"
	}
	if sc.TraceIDHigh == 0 && sc.TraceID == 0 {
		return sc, corrupt, "trace id is zero"
	}
	if why := b3SpanID(&sc.SpanID, spanID, "span id"); why != "" {
		return sc, corrupt, why
	}
	switch {
	case !hasThird:
	case third == "":
		return sc, corrupt, "empty sampling state"
	case len(third) == 1:
		if sc.Sampling = b3SamplingState(third[0]); sc.Sampling == SamplingDeferred {
			return sc, corrupt, "invalid sampling state"
		}
	case hasFourth:
		return sc, corrupt, "invalid sampling state"
	default:
		parentID = third // {traceid}-{spanid}-{parentid}: deferred
	}
	if hasThird && (hasFourth || len(third) > 1) {
		if sc.ParentID, ok = parseHex(parentID, true); !ok {
			return sc, corrupt, "parent span id is not 1 to 16 hex digits"
		}
	}
	return sc, valid, ""
}

func b3SpanID(dst *uint64, v, what string) string {
	id, ok := parseHex(v, true)
	if !ok {
		return what + " is not 1 to 16 hex digits"
	}
	if id == 0 {
		return what + " is zero"
	}
	*dst = id
	return ""
}

// b3SamplingState parses the sampling state of a b3 header; deferred means
// invalid.
func b3SamplingState(c byte) Sampling {
	switch c {
	case '0':
		return SamplingNo
	case '1':
		return SamplingYes
	case 'd':
		return SamplingDebug
	}
	return SamplingDeferred
}

// b3MultiHeaders are the X-B3-* headers, in the order their problems are
// told.
var b3MultiHeaders = []singleHeader{
	{sB3TraceID, hdrB3TraceID}, {sB3SpanID, hdrB3SpanID}, {sB3ParentSpanID, hdrB3ParentSpanID},
	{sB3Sampled, hdrB3Sampled}, {sB3Flags, hdrB3Flags},
}

// b3Multi reads the X-B3-* headers. One with two different values makes them
// corrupt, even a lone sampling decision.
func (s *scan) b3Multi(name string) (SpanContext, status, problem) {
	var sc SpanContext
	if pr, ok := s.twice(name, b3MultiHeaders); ok {
		return sc, corrupt, pr
	}
	// An empty header is as good as none, as every peer reads it.
	if s.seen&sB3Sampled != 0 {
		switch v := trimOWS(s.b3Sampled); {
		case v == "":
		case v == "1" || strings.EqualFold(v, "true"):
			sc.Sampling = SamplingYes
		case v == "0" || strings.EqualFold(v, "false"):
			sc.Sampling = SamplingNo
		default:
			return sc, corrupt, problem{name, hdrB3Sampled, s.b3Sampled, `want "1", "0", "true" or "false"`}
		}
	}
	if s.seen&sB3Flags != 0 && trimOWS(s.b3Flags) == "1" {
		sc.Sampling = SamplingDebug
	}
	parent := s.seen&sB3ParentSpanID != 0 && trimOWS(s.b3ParentSpanID) != ""
	switch ids := s.seen & (sB3TraceID | sB3SpanID); {
	case ids == 0 && parent:
		return sc, corrupt, problem{name, hdrB3ParentSpanID, s.b3ParentSpanID, "no x-b3-traceid and x-b3-spanid"}
	case ids == 0:
		return sc, absent, problem{} // a sampling decision at most
	case ids == sB3TraceID:
		return sc, corrupt, problem{name, hdrB3TraceID, s.b3TraceID, "no x-b3-spanid"}
	case ids == sB3SpanID:
		return sc, corrupt, problem{name, hdrB3SpanID, s.b3SpanID, "no x-b3-traceid"}
	}
	var ok bool
	if sc.TraceIDHigh, sc.TraceID, ok = parseTraceID(trimOWS(s.b3TraceID)); !ok {
		return sc, corrupt, problem{name, hdrB3TraceID, s.b3TraceID, "not 1 to 32 hex digits"}
	}
	if sc.TraceIDHigh == 0 && sc.TraceID == 0 {
		return sc, corrupt, problem{name, hdrB3TraceID, s.b3TraceID, "trace id is zero"}
	}
	if why := b3SpanID(&sc.SpanID, trimOWS(s.b3SpanID), "span id"); why != "" {
		return sc, corrupt, problem{name, hdrB3SpanID, s.b3SpanID, why}
	}
	if parent {
		if sc.ParentID, ok = parseHex(trimOWS(s.b3ParentSpanID), true); !ok {
			return sc, corrupt, problem{name, hdrB3ParentSpanID, s.b3ParentSpanID, "not 1 to 16 hex digits"}
		}
	}
	return sc, valid, problem{}
}

// appendB3Single appends sc as a b3 header. The sampling state is left out
// when deferred, and so is then the parent id, which B3 allows only after a
// sampling state.
func appendB3Single(b []byte, sc *SpanContext) []byte {
	b = appendTraceID(b, sc.TraceIDHigh, sc.TraceID)
	b = append(b, '-')
	b = appendSpanID(b, sc.SpanID)
	switch sc.Sampling {
	case SamplingDeferred:
		return b
	case SamplingNo:
		b = append(b, "-0"...)
	case SamplingYes:
		b = append(b, "-1"...)
	default:
		b = append(b, "-d"...)
	}
	if sc.ParentID != 0 {
		b = append(b, '-')
		b = appendSpanID(b, sc.ParentID)
	}
	return b
}

// injectB3Multi writes sc as X-B3-* headers.
func injectB3Multi(w Writer, sc *SpanContext) {
	var buf [32]byte
	w.Set(hdrB3TraceID, string(appendTraceID(buf[:0], sc.TraceIDHigh, sc.TraceID)))
	w.Set(hdrB3SpanID, string(appendSpanID(buf[:0], sc.SpanID)))
	if sc.ParentID != 0 {
		w.Set(hdrB3ParentSpanID, string(appendSpanID(buf[:0], sc.ParentID)))
	}
	switch sc.Sampling {
	case SamplingNo:
		w.Set(hdrB3Sampled, "0")
	case SamplingYes:
		w.Set(hdrB3Sampled, "1")
	case SamplingDebug:
		w.Set(hdrB3Flags, "1")
	}
}
