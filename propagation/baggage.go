package propagation

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// W3C Baggage: https://www.w3.org/TR/baggage/

// Limits of W3C Baggage on injection: members and bytes of the header.
const (
	maxW3CMembers = 180
	maxW3CBytes   = 8192
	// maxW3CMember is the earlier draft's limit of a member's bytes, which
	// OpenTelemetry's Go SDK enforced up to v1.38 by dropping the whole
	// header: a longer member is left out, so that those peers keep the rest.
	maxW3CMember = 4096
)

// addW3CBaggage reads the members of a baggage header: key=value, properties
// after ";" dropped, values percent-decoded. A malformed member is skipped.
func (s *scan) addW3CBaggage(v string) {
	for more := true; more && !s.full(srcW3C); {
		var m string
		if i := strings.IndexByte(v, ','); i >= 0 {
			m, v = v[:i], v[i+1:]
		} else {
			m, more = v, false
		}
		if i := strings.IndexByte(m, ';'); i >= 0 {
			m = m[:i]
		}
		eq := strings.IndexByte(m, '=')
		if eq < 0 {
			continue
		}
		key := trimOWS(m[:eq])
		if !isToken(key) {
			continue
		}
		value, ok := decodeBaggageValue(trimOWS(m[eq+1:]))
		if !ok {
			continue
		}
		s.add(srcW3C, key, value)
	}
}

// addJaegerBaggage reads a jaeger-baggage header, "k1=v1, k2=v2", as
// jaeger-client-go does: the whole value URL-decoded first (when that fails,
// no item), then split at "," and "="; a pair without exactly one "=" is
// skipped.
func (s *scan) addJaegerBaggage(v string) {
	v, err := url.QueryUnescape(v)
	if err != nil {
		return
	}
	for more := true; more && !s.full(srcJaegerBaggage); {
		var m string
		if i := strings.IndexByte(v, ','); i >= 0 {
			m, v = v[:i], v[i+1:]
		} else {
			m, more = v, false
		}
		k, val, ok := strings.Cut(m, "=")
		if !ok || strings.IndexByte(val, '=') >= 0 {
			continue
		}
		if k = strings.TrimSpace(k); k != "" {
			s.add(srcJaegerBaggage, k, strings.TrimSpace(val))
		}
	}
}

// isBaggageOctet reports whether c may appear unencoded in a W3C baggage
// value: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E.
func isBaggageOctet(c byte) bool {
	return c == 0x21 || 0x23 <= c && c <= 0x2b || 0x2d <= c && c <= 0x3a ||
		0x3c <= c && c <= 0x5b || 0x5d <= c && c <= 0x7e
}

// decodeBaggageValue percent-decodes a W3C baggage value, reporting false
// when it holds a character outside baggage-octet or a bad escape. Decoded
// bytes that are not UTF-8 become U+FFFD.
func decodeBaggageValue(v string) (string, bool) {
	escapes := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '%':
			if i+2 >= len(v) {
				return "", false
			}
			if _, ok := unhex(v[i+1], true); !ok {
				return "", false
			}
			if _, ok := unhex(v[i+2], true); !ok {
				return "", false
			}
			escapes++
			i += 2
		case !isBaggageOctet(c):
			return "", false
		}
	}
	if escapes == 0 {
		return v, true
	}
	b := make([]byte, 0, len(v)-2*escapes)
	for i := 0; i < len(v); i++ {
		if v[i] == '%' {
			hi, _ := unhex(v[i+1], true)
			lo, _ := unhex(v[i+2], true)
			b = append(b, byte(hi<<4|lo))
			i += 2
			continue
		}
		b = append(b, v[i])
	}
	if !utf8.Valid(b) {
		b = replaceInvalidUTF8(b)
	}
	return string(b), true
}

// replaceInvalidUTF8 replaces each byte of b that is not part of a valid
// UTF-8 sequence with U+FFFD, as W3C Baggage asks of decoded values (and
// OpenTelemetry does, byte by byte).
func replaceInvalidUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}

// appendBaggageValue appends v percent-encoded: every byte outside
// baggage-octet, "%", and "=" (which W3C allows in values, but parsers that
// split members at every "=" do not) as %XX.
func appendBaggageValue(b []byte, v string) []byte {
	const upperHex = "0123456789ABCDEF"
	for i := 0; i < len(v); i++ {
		if c := v[i]; isBaggageOctet(c) && c != '%' && c != '=' {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&0xf])
		}
	}
	return b
}

// w3cBaggage returns the baggage header for items, "" when none can go in
// it: items whose key is no token are skipped, and so are members of more
// than 4096 bytes and those that would take the header past 180 members or
// 8192 bytes.
func w3cBaggage(items []BaggageItem) string {
	var buf [256]byte // enough for most, on the stack
	b := buf[:0]
	members := 0
	for _, it := range items {
		if !isToken(it.Key) || members == maxW3CMembers {
			continue
		}
		n := len(b)
		if n > 0 {
			b = append(b, ',')
		}
		m := len(b)
		b = append(b, it.Key...)
		b = append(b, '=')
		b = appendBaggageValue(b, it.Value)
		if len(b) > maxW3CBytes || len(b)-m > maxW3CMember {
			b = b[:n]
			continue
		}
		members++
	}
	return string(b)
}

// isToken reports whether s is an RFC 9110 token: a valid header name, and a
// valid W3C baggage key.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isFieldValue reports whether v can be sent as an HTTP header value
// unchanged: no control characters but tab, no white space around it.
func isFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return v == trimOWS(v)
}

// queryUnescape returns v URL-decoded as url.QueryUnescape does, or v itself
// when that fails, as jaeger-client-go's HTTPHeaders propagator reads.
func queryUnescape(v string) string {
	if strings.IndexByte(v, '%') < 0 && strings.IndexByte(v, '+') < 0 {
		return v // most values: found at SIMD speed, not byte by byte
	}
	if u, err := url.QueryUnescape(v); err == nil {
		return u
	}
	return v
}

// setPrefixed writes each item whose key is a token as prefix+key, the key
// in lower case. With escape the value is URL-escaped (jaeger's uberctx-);
// else it is written only when it is a valid header value unchanged.
func setPrefixed(w Writer, prefix string, items []BaggageItem, escape bool) {
	for _, it := range items {
		if !isToken(it.Key) {
			continue
		}
		v := it.Value
		if escape {
			v = url.QueryEscape(v)
		} else if !isFieldValue(v) {
			continue
		}
		var k strings.Builder
		k.Grow(len(prefix) + len(it.Key))
		k.WriteString(prefix)
		for i := 0; i < len(it.Key); i++ {
			c := it.Key[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			k.WriteByte(c)
		}
		w.Set(k.String(), v)
	}
}
