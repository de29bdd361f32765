package propagation

import "strings"

// W3C Trace Context: https://www.w3.org/TR/trace-context/

func (s *scan) traceContext() (SpanContext, status, problem) {
	if s.seen&sTraceparent == 0 {
		return SpanContext{}, absent, problem{}
	}
	if s.seen&sTraceparentTwice != 0 {
		// W3C: even alike.
		return SpanContext{}, corrupt, problem{TraceContext, hdrTraceparent, "", whyMoreThanOnce}
	}
	sc, why := parseTraceparent(s.traceparent)
	if why != "" {
		return SpanContext{}, corrupt, problem{TraceContext, hdrTraceparent, s.traceparent, why}
	}
	if s.seen&sTracestate != 0 {
		if ts, ok := s.traceState(); ok {
			sc.TraceState, _ = normalTraceState(ts)
		}
	}
	return sc, valid, problem{}
}

// parseTraceparent parses a traceparent value, or says what is wrong with it.
func parseTraceparent(v string) (SpanContext, string) {
	var sc SpanContext
	v = trimOWS(v)
	if len(v) < 2 {
		return sc, "too short"
	}
	version, ok := parseHex2(v)
	switch {
	case !ok || len(v) > 2 && v[2] != '-':
		return sc, "invalid version"
	case version == 0xff:
		return sc, "version ff is forbidden"
	case len(v) < 55:
		return sc, "too short"
	case version == 0 && len(v) != 55:
		return sc, "version 00 must be 55 characters long"
	case len(v) > 55 && v[55] != '-':
		// A later version may append fields, after a "-".
		return sc, "too long"
	case v[35] != '-' || v[52] != '-':
		return sc, "malformed: want version-traceid-parentid-flags"
	}
	var ok1, ok2 bool
	sc.TraceIDHigh, ok1 = parseHex16(v[3:19], false)
	sc.TraceID, ok2 = parseHex16(v[19:35], false)
	if !ok1 || !ok2 {
		return sc, "trace id is not 32 lower-case hex digits"
	}
	if sc.TraceIDHigh == 0 && sc.TraceID == 0 {
		return sc, "trace id is zero"
	}
	if sc.SpanID, ok = parseHex16(v[36:52], false); !ok {
		return sc, "parent id is not 16 lower-case hex digits"
	}
	if sc.SpanID == 0 {
		return sc, "parent id is zero"
	}
	flags, ok := parseHex2(v[53:55])
	if !ok {
		return sc, "flags are not 2 lower-case hex digits"
	}
	sc.Sampling = SamplingNo
	if flags&1 != 0 {
		sc.Sampling = SamplingYes
	}
	sc.Random = flags&2 != 0
	return sc, ""
}

// parseHex2 parses the 2 lower-case hex digits that start s, as parseHex.
func parseHex2(s string) (uint64, bool) {
	hi, lo := hexLower[s[0]], hexLower[s[1]]
	return uint64(hi<<4 | lo&0xf), (hi|lo)&0xf0 == 0
}

// appendTraceparent appends sc's traceparent (version 00).
func appendTraceparent(b []byte, sc *SpanContext) []byte {
	var buf [55]byte
	copy(buf[:], "00-")
	putHex(buf[3:19], sc.TraceIDHigh)
	putHex(buf[19:35], sc.TraceID)
	buf[35] = '-'
	putHex(buf[36:52], sc.SpanID)
	buf[52] = '-'
	// Flags: sampled, and Level 2's random; other bits are written as 0,
	// as Level 1 says.
	buf[53] = '0'
	buf[54] = '0'
	if sc.Sampling.IsSampled(false) {
		buf[54]++
	}
	if sc.Random {
		buf[54] += 2
	}
	return append(b, buf[:]...)
}

// normalTraceState returns ts, the tracestate headers joined with ",", as
// it is passed on, and whether it is valid: 1 to 32 list members key=value
// with unique keys, besides empty and white-space-only members, which W3C
// allows. Those, and the white space around members, are dropped (peers
// such as OpenTelemetry's refuse a tracestate that has them); a valid ts
// without any is returned as it is. An invalid one is "".
func normalTraceState(ts string) (string, bool) {
	var keys [32]string
	n := 0
	clean := true // ts holds only its members, each as it is returned
	for rest, more := ts, true; more; {
		var m string
		if i := strings.IndexByte(rest, ','); i >= 0 {
			m, rest = rest[:i], rest[i+1:]
		} else {
			m, more = rest, false
		}
		if t := trimOWS(m); len(t) != len(m) {
			m, clean = t, false
		}
		if m == "" {
			clean = false
			continue
		}
		eq := strings.IndexByte(m, '=')
		if eq < 0 || !validTraceStateKey(m[:eq]) || !validTraceStateValue(m[eq+1:]) {
			return "", false
		}
		if n == len(keys) {
			return "", false
		}
		k := m[:eq]
		for _, o := range keys[:n] {
			if o == k {
				return "", false
			}
		}
		keys[n] = k
		n++
	}
	if n == 0 {
		return "", false
	}
	if clean {
		return ts, true
	}
	b := make([]byte, 0, len(ts))
	for m := range strings.SplitSeq(ts, ",") {
		if m = trimOWS(m); m != "" {
			if len(b) > 0 {
				b = append(b, ',')
			}
			b = append(b, m...)
		}
	}
	return string(b), true
}

func isLCAlpha(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool   { return '0' <= c && c <= '9' }

// isKeyChar reports whether c may follow the first character of a key.
func isKeyChar(c byte) bool {
	return isLCAlpha(c) || isDigit(c) || c == '_' || c == '-' || c == '*' || c == '/'
}

// validTraceStateKey checks simple-key = lcalpha 0*255(keychar) and
// multi-tenant-key = tenant-id "@" system-id, tenant-id = (lcalpha / DIGIT)
// 0*240(keychar), system-id = lcalpha 0*13(keychar).
func validTraceStateKey(k string) bool {
	at := strings.IndexByte(k, '@')
	if at < 0 {
		return len(k) >= 1 && len(k) <= 256 && isLCAlpha(k[0]) && allKeyChars(k[1:])
	}
	tenant, system := k[:at], k[at+1:]
	return len(tenant) >= 1 && len(tenant) <= 241 && (isLCAlpha(tenant[0]) || isDigit(tenant[0])) && allKeyChars(tenant[1:]) &&
		len(system) >= 1 && len(system) <= 14 && isLCAlpha(system[0]) && allKeyChars(system[1:])
}

func allKeyChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isKeyChar(s[i]) {
			return false
		}
	}
	return true
}

// validTraceStateValue checks value = 0*255(chr) nblk-chr, with
// chr = %x20 / nblk-chr and nblk-chr = %x21-2B / %x2D-3C / %x3E-7E.
func validTraceStateValue(v string) bool {
	if len(v) < 1 || len(v) > 256 || v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c > 0x7e || c == ',' || c == '=' {
			return false
		}
	}
	return true
}
