package core

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// The scans that find secrets look at fewer bytes than a byte-by-byte
// search, and must find exactly what it finds.

// hasCredentialsByByte is hasCredentials as first written: every byte that
// starts a word is tried as each scheme.
func hasCredentialsByByte(v string) bool {
	for i := 0; i < len(v); i++ {
		if i > 0 && isAlnum(v[i-1]) {
			continue
		}
		for _, scheme := range authSchemes {
			if len(v)-i <= len(scheme) || !strings.EqualFold(v[i:i+len(scheme)], scheme) || v[i+len(scheme)] != ' ' {
				continue
			}
			cred := strings.TrimLeft(v[i+len(scheme):], " ")
			n := 0
			for n < len(cred) && isToken68(cred[n]) {
				n++
			}
			if scheme == "basic" {
				if isBasicCredential(cred[:n]) || n >= 16 && charClasses(cred[:n]) >= 2 {
					return true
				}
			} else if n >= 8 {
				return true
			}
		}
	}
	return false
}

// containsAnyFoldByByte is the plain search subIndex replaces.
func containsAnyFoldByByte(s string, list []string) bool {
	for i := 0; i < len(s); i++ {
		for _, sub := range list {
			if sub != "" && len(sub) <= len(s)-i && strings.EqualFold(s[i:i+len(sub)], sub) {
				return true
			}
		}
	}
	return false
}

// scanInput builds a string from pieces that make and nearly make the
// patterns: schemes in any case, words glued to them, spaces, credentials
// short and long, the header list's substrings.
func scanInput(r *rand.Rand) string {
	pieces := []string{"bearer", "Basic", "DIGEST", "negotiate", "ntlm", "DPoP", "xbearer", "bearerx", " ", "  ", "-", ".",
		"dXNlcjpwYXNz", "abcdefgh", "abc", "AbCdEfGh12345678", "==", ",", "=", "token", "Auth", "secret", "KEY", "pass",
		"cookie", "a", "Z", "9", "é", "\t", "user:pass"}
	var b strings.Builder
	for range r.IntN(12) {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

func TestScansAgreeWithByteSearch(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	headers := DefaultRedactedHeaders()
	index := newSubIndex(headers)
	for range 200000 {
		s := scanInput(r)
		if got, want := hasCredentials(s), hasCredentialsByByte(s); got != want {
			t.Fatalf("hasCredentials(%q) = %v, byte by byte %v", s, got, want)
		}
		if got, want := index.containsFold(s), containsAnyFoldByByte(s, headers); got != want {
			t.Fatalf("containsFold(%q) = %v, byte by byte %v", s, got, want)
		}
	}
}

func FuzzHasCredentials(f *testing.F) {
	for _, s := range []string{"Bearer abcdefgh", "x Basic dXNlcjpwYXNz", "negotiate  12345678", "xbearer abcdefghij"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := hasCredentials(s), hasCredentialsByByte(s); got != want {
			t.Fatalf("hasCredentials(%q) = %v, byte by byte %v", s, got, want)
		}
	})
}
