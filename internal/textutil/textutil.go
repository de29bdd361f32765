// Package textutil holds the small text helpers that error messages across
// traceplug share: the edit distance behind "did you mean", and cutting
// untrusted input before it is quoted.
package textutil

import (
	"strconv"
	"strings"
)

// EditDistance is the Levenshtein distance between a and b, in bytes.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Cut returns s cut to at most n bytes, on a UTF-8 boundary, and whether it
// was cut.
func Cut(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && s[n]&0xc0 == 0x80 { // inside a UTF-8 sequence
		n--
	}
	return s[:n], true
}

// Suggest returns the candidate closest to name, for a "did you mean" in an
// error, or "" when none is close: equal but for case, or within an edit
// distance of about a third of the name's length.
// Of candidates equally close but for case, the one closest in case wins
// ("Methd" suggests "Method", "methd" "method").
func Suggest(name string, candidates []string) string {
	best, bestDist, bestExact := "", len(name)/3+1, 0
	for _, c := range candidates {
		if strings.EqualFold(c, name) {
			return c
		}
		d := editDistance(strings.ToLower(name), strings.ToLower(c))
		if d > bestDist {
			continue
		}
		exact := editDistance(name, c)
		if d < bestDist || best != "" && exact < bestExact {
			best, bestDist, bestExact = c, d, exact
		}
	}
	return best
}

// editDistance is textutil's edit distance, for names short enough to be
// worth comparing (a longer one is never close).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return max(len(a), len(b))
	}
	return EditDistance(a, b)
}

// Cap returns s cut to at most n bytes on a rune boundary, marked with "…"
// when cut, for quoting untrusted input in an error.
func Cap(s string, n int) string {
	if cut, ok := Cut(s, n); ok {
		return cut + "…"
	}
	return s
}

// Count is n and noun, plural but for one: "1 span", "3 spans".
func Count[N ~int | ~int64 | ~uint64 | ~uint32 | ~int32](n N, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatInt(int64(n), 10) + " " + noun + "s"
}
