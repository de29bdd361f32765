package core

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzRedactQuery: whatever the query, rendering never panics, and in what
// comes out every value of a secret-looking key is REDACTED.
func FuzzRedactQuery(f *testing.F) {
	for _, seed := range []string{"", "a=1", "access_token=abc&page=2", "pass%77ord=x", "sig=1&sig=2", "&&=&token", "%zz=1&key=%", "t%6Fken=v"} {
		f.Add(seed)
	}
	x := &redactor{querySubs: DefaultRedactedQueryKeys()}
	f.Fuzz(func(t *testing.T, raw string) {
		out := x.query(raw)
		for _, part := range strings.Split(out, "&") {
			key, val, hasValue := strings.Cut(part, "=")
			if k, err := url.QueryUnescape(key); err == nil {
				key = k
			}
			if hasValue && x.secretKey(key) && val != redacted {
				t.Fatalf("query(%q) = %q: the value of %q is not redacted", raw, out, key)
			}
		}
		if u, err := url.Parse("http://h/p?" + raw); err == nil {
			u.User = url.UserPassword("user", "pw-secret")
			if s := x.url(u); strings.Contains(s, "pw-secret") {
				t.Fatalf("url(%q) = %q keeps the userinfo", u, s)
			}
		}
	})
}
