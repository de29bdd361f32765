package redact

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestEndpoint(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "http://collector:9411/api/v2/spans", "http://collector:9411/api/v2/spans"},
		{"host:port", "ingest.lightstep.com:443", "ingest.lightstep.com:443"},
		{"udp", "udp://127.0.0.1:6831", "udp://127.0.0.1:6831"},
		{"empty", "", ""},
		{"userinfo and query", "http://user:s3cret@host/api/v2/spans?api_key=K", "http://REDACTED@host/api/v2/spans?api_key=REDACTED"},
		{"user only", "https://tok3n@host:443/v1/traces", "https://REDACTED@host:443/v1/traces"},
		{"empty userinfo", "http://@host/x", "http://@host/x"},
		{"percent in password", "http://user:s3%cret@host/api?api_key=K", "http://REDACTED@host/api?api_key=REDACTED"},
		{"at in password", "http://user:p@ss@host:1/x", "http://REDACTED@host:1/x"},
		{"slash in password", "http://user:pa/ss@host:1/x?k=v", "http://REDACTED@host:1/x?k=REDACTED"},
		{"hash in password", "http://user:s3#cret@host/api?api_key=K", "http://REDACTED"},
		{"hash in a digit password", "http://user:12#34@host/api", "http://REDACTED"},
		{"question mark in password", "http://user:s3?cret@host/api", "http://REDACTED"},
		{"at in a query value", "http://host/p?email=a@b.com", "http://REDACTED"},
		{"udp with userinfo", "udp://user:s3cret@agent:6831", "udp://REDACTED@agent:6831"},
		{"host:port with userinfo", "user:s3cret@host:443", "REDACTED@host:443"},
		{"mistyped scheme", "htp://user:s3cret@host", "htp://REDACTED@host"},
		{"no slashes", "http:user:s3cret@host", "REDACTED@host"},
		{"slashes in a schemeless password", "user:pa//ss@host:1", "REDACTED@host:1"},
		{"scheme-relative", "//user:s3cret@host/x", "//REDACTED@host/x"},
		{"fragment", "http://host/x#access_token=S", "http://host/x"},
		{"query forms", "http://h/x?a=1&b=&TOKEN;c=2&&d", "http://h/x?a=REDACTED&b=&REDACTED;c=REDACTED&&REDACTED"},
		{"empty query", "http://h/x?", "http://h/x?"},
		{"query without host", "host:1?key=v", "host:1?key=REDACTED"},
		{"url in a query", "host:1?u=http://x", "host:1?u=REDACTED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Endpoint(tc.in)
			if amb := Ambiguous(tc.in); amb != strings.HasSuffix(got, "//"+Redacted) {
				t.Errorf("Ambiguous(%q) = %v, Endpoint %q", tc.in, amb, got)
			}
			if got != tc.want {
				t.Errorf("Endpoint(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if again := Endpoint(got); again != got {
				t.Errorf("Endpoint(%q) = %q: not idempotent", got, again)
			}
		})
	}
}

// TestURLCause: what net/http's client returns loses the URL, which shows
// a user name and query, and keeps its cause.
func TestURLCause(t *testing.T) {
	u, _ := url.Parse("http://user:s3cret@host/x?api_key=K")
	err := error(&url.Error{Op: "Post", URL: u.Redacted(), Err: fmt.Errorf("sending: %w", context.DeadlineExceeded)})
	got := URLCause(err)
	if s := got.Error(); strings.Contains(s, "api_key") || strings.Contains(s, "user") {
		t.Errorf("URLCause = %q", s)
	}
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Error("the cause is lost")
	}
	other := errors.New("other")
	if URLCause(other) != other {
		t.Error("another error was changed")
	}
}

// FuzzEndpoint: whatever the user name, password, query value and fragment
// (any bytes: "@", "#", "?", "/", "%"), none of them shows, the only "@"
// left follows REDACTED (or "//", when there was no user name or password to
// hide), and Endpoint is idempotent.
func FuzzEndpoint(f *testing.F) {
	f.Add("http://", "user", "s3cret", "K", "frag")
	f.Add("udp://", "u", "p#ss@x", "a@b", "")
	f.Add("", "u", "p/ss?x", "v&w=1", "x@y")
	f.Add("htp://", "", "pa%zzss", "", "")
	f.Fuzz(func(t *testing.T, scheme, user, pass, value, frag string) {
		const host = "collector.example:9411/api?key="
		raw := scheme + user + ":" + pass + "@" + host + value + "#" + frag
		got := Endpoint(raw)
		if again := Endpoint(got); again != got {
			t.Fatalf("Endpoint(%q) = %q, then %q", raw, got, again)
		}
		// An empty user name and password ("scheme://@host", the scheme
		// holding what the fuzzer meant as the user) hide nothing: their
		// "@" stays as written.
		if i := strings.IndexByte(got, '@'); i >= 0 && (!strings.HasSuffix(got[:i], Redacted) && !strings.HasSuffix(got[:i], "//") || strings.Count(got, "@") > 1) {
			t.Fatalf("Endpoint(%q) = %q: an @ that is not REDACTED's", raw, got)
		}
		// Every run of 6 bytes of a secret that the scheme and the fixed
		// text do not hold must be gone.
		// (The query's later keys show: only the first value is secret.)
		// The scheme shows, as Endpoint reads it: "A0" then a user "00"
		// and a password "//" make the scheme "A000://" and no user.
		head, _ := split(raw)
		known := scheme + head + host + Redacted + "://"
		first, rest, _ := strings.Cut(strings.ReplaceAll(value, ";", "&"), "&")
		for _, pair := range strings.Split(rest, "&") {
			if k, _, ok := strings.Cut(pair, "="); ok {
				known += "&" + k + "=" // the later keys show, by design
			}
		}
		for _, secret := range []string{user + ":" + pass, first, frag} {
			for i := 0; i+6 <= len(secret); i++ {
				w := secret[i : i+6]
				if strings.Trim(w, "&;=") == "" {
					continue // the query's separators show, by design
				}
				if !strings.Contains(known, w) && strings.Contains(got, w) {
					t.Fatalf("Endpoint(%q) = %q: shows %q", raw, got, w)
				}
			}
		}
	})
}
