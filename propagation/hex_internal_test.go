package propagation

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// parseHexLoop is parseHex as it was before parseHex16: one digit at a time,
// through the tables.
func parseHexLoop(s string, upper bool) (uint64, bool) {
	if len(s) == 0 || len(s) > 16 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		d, ok := unhex(s[i], upper)
		if !ok {
			return 0, false
		}
		v = v<<4 | d
	}
	return v, true
}

// wantHex is what parseHex must return: strconv's reading of s, for the
// digits it accepts (lower case only unless upper).
func wantHex(s string, upper bool) (uint64, bool) {
	if s == "" || strings.ContainsAny(s, "+-_xX") || !upper && strings.ToLower(s) != s {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 16, 64)
	return v, err == nil
}

// TestParseHex16 holds parseHex's 16-digit path (parseHex16) to the loop
// and to strconv: every byte value in every position of a valid id, and
// random ids.
func TestParseHex16(t *testing.T) {
	check := func(s string) {
		t.Helper()
		for _, upper := range []bool{false, true} {
			got, ok := parseHex(s, upper)
			loop, loopOK := parseHexLoop(s, upper)
			want, wantOK := wantHex(s, upper)
			if ok != loopOK || ok != wantOK || ok && (got != loop || got != want) {
				t.Fatalf("parseHex(%q, %v) = %#x, %v; loop %#x, %v; strconv %#x, %v", s, upper, got, ok, loop, loopOK, want, wantOK)
			}
		}
	}
	for _, base := range []string{"0123456789abcdef", "fedcba9876543210", "00f067aa0ba902b7", "FEDCBA9876543210", "0000000000000000", "ffffffffffffffff"} {
		for i := range len(base) {
			for c := range 256 {
				b := []byte(base)
				b[i] = byte(c)
				check(string(b))
			}
		}
	}
	const alphabet = "0123456789abcdefABCDEFgG/:@`\x00\x80\xff"
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		var b [16]byte
		for i := range b {
			if r.IntN(8) == 0 {
				b[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				b[i] = "0123456789abcdefABCDEF"[r.IntN(22)]
			}
		}
		check(string(b[:]))
	}
}
