package propagation

import "math/bits"

const hexDigits = "0123456789abcdef"

// hexAny and hexLower map a byte to its value as a hex digit, or to 0xff:
// hexAny takes either case, hexLower lower case only.
var hexAny, hexLower = hexTables()

func hexTables() (any, lower [256]byte) {
	for i := range any {
		any[i], lower[i] = 0xff, 0xff
	}
	for i := byte(0); i < 16; i++ {
		any[hexDigits[i]], lower[hexDigits[i]] = i, i
		if i >= 10 {
			any['A'+i-10] = i
		}
	}
	return any, lower
}

// unhex returns the value of the hex digit c; upper selects whether A-F count.
func unhex(c byte, upper bool) (uint64, bool) {
	d := hexLower[c]
	if upper {
		d = hexAny[c]
	}
	return uint64(d), d != 0xff
}

// parseHex parses 1 to 16 hex digits (either case when upper is set) without
// sign, prefix or separators, as strconv.ParseUint(s, 16, 64) does for the
// strings it accepts.
func parseHex(s string, upper bool) (uint64, bool) {
	if len(s) == 16 { // every id of traceparent, and most of the others
		return parseHex16(s, upper)
	}
	if len(s) == 0 || len(s) > 16 {
		return 0, false
	}
	t := &hexLower
	if upper {
		t = &hexAny
	}
	var v uint64
	var bad byte
	for i := 0; i < len(s); i++ {
		d := t[s[i]]
		bad |= d
		v = v<<4 | uint64(d&0xf)
	}
	return v, bad&0xf0 == 0
}

// parseHex16 is parseHex of 16 digits, s[:16], read 8 at a time (SWAR):
// a traceparent's 48 digits, parsed on every request, take some 40% fewer
// instructions than through parseHex's loop, and no chain of dependent
// look-ups. TestParseHex16 holds it to the loop and to strconv.
func parseHex16(s string, upper bool) (uint64, bool) {
	const (
		ones = 0x0101010101010101
		high = 0x80 * ones
	)
	s = s[:16]
	var v uint64
	for i := 0; i < 16; i += 8 {
		x := load8(s[i : i+8])
		if x&high != 0 {
			return 0, false
		}
		// Bytes with 0x40 set may be letters: a to f (with upper, A to F
		// too, folded to a to f) become 0x3a to 0x3f, so that a digit
		// and a letter both have 3 as their high half, and their value
		// as their low half; a letter's value is 10 or more, a digit's
		// 9 or less. Nothing borrows or carries from one byte to the next.
		letter := x & (0x40 * ones)
		if upper {
			x |= letter >> 1
		}
		x -= (letter >> 6) * 0x27
		x, hi := x&(0x0f*ones), x&(0xf0*ones)
		if hi != 0x30*ones || (x+0x06*ones)&(0x10*ones) != letter>>2 {
			return 0, false
		}
		// The 8 values, the first the most significant, packed 4 bits
		// each.
		x = bits.ReverseBytes64(x)
		x = (x | x>>4) & 0x00ff00ff00ff00ff
		x = (x | x>>8) & 0x0000ffff0000ffff
		x = (x | x>>16) & 0x00000000ffffffff
		v = v<<32 | x
	}
	return v, true
}

// load8 returns the first 8 bytes of s, the first in the lowest byte: one
// load.
func load8(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// parseTraceID parses a trace id of 1 to 32 hex digits, either case: the last
// 16 digits are the low half, the others the high half, as jaeger-client-go's
// TraceIDFromString and zipkin-go's TraceIDFromHex split it.
func parseTraceID(s string) (high, low uint64, ok bool) {
	if len(s) == 0 || len(s) > 32 {
		return 0, 0, false
	}
	if len(s) > 16 {
		if high, ok = parseHex(s[:len(s)-16], true); !ok {
			return 0, 0, false
		}
		s = s[len(s)-16:]
	}
	low, ok = parseHex(s, true)
	return high, low, ok
}

// putHex writes v as 16 lower-case hex digits into b[:16].
func putHex(b []byte, v uint64) {
	_ = b[15]
	for i := 15; i >= 0; i-- {
		b[i] = hexDigits[v&0xf]
		v >>= 4
	}
}

// appendTraceID appends the trace id as 16 hex digits, or 32 when high != 0.
func appendTraceID(b []byte, high, low uint64) []byte {
	var buf [32]byte
	if high != 0 {
		putHex(buf[:16], high)
		putHex(buf[16:], low)
		return append(b, buf[:]...)
	}
	putHex(buf[:16], low)
	return append(b, buf[:16]...)
}

// appendSpanID appends id as 16 hex digits.
func appendSpanID(b []byte, id uint64) []byte {
	var buf [16]byte
	putHex(buf[:], id)
	return append(b, buf[:]...)
}
