package core

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzRedactQuery: whatever the query, rendering never panics, and in what
// comes out, read with "&" or with ";" as separators, every value of a
// secret-looking key (after unescaping and case folding) is REDACTED, no
// JWT is left, and no fragment; capped, the same holds of what shows; URL
// userinfo and fragments never survive.
func FuzzRedactQuery(f *testing.F) {
	for _, seed := range []string{
		"", "a=1", "access_token=abc&page=2", "pass%77ord=x", "sig=1&sig=2", "&&=&token", "%zz=1&key=%", "t%6Fken=v",
		"x=1;access_token=S", "a=1&b=2;sig=S&c=3", "Password=x;y", "PAss;=", "pass;a;=S&b=1", "a=1#access_token=S", "#", "t%6Fken=S&bad=%zz",
		"t%6Fken%zz=S", "%E2%84%AAey=S", "\u212Aey=S", "ACCESS+TOKEN=S", "SAMLResponse=S&client_assertion=S&otp=S",
		"state=" + testJWT, testJWT + "&x=1", "eyJhbGciOiJIUzI1NiJ9.eyJ&x=eyJ.eyJ.",
	} {
		f.Add(seed)
	}
	x := defaultRedactor(0)
	capped := defaultRedactor(48)
	f.Fuzz(func(t *testing.T, raw string) {
		check := func(out string, cut bool) {
			if strings.Contains(out, "#") {
				t.Fatalf("query(%q) = %q keeps a fragment", raw, out)
			}
			for _, seps := range []string{"&", "&;"} {
				parts := strings.FieldsFunc(out, func(r rune) bool { return strings.ContainsRune(seps, r) })
				for i, part := range parts {
					key, val, hasValue := strings.Cut(part, "=")
					last := cut && i == len(parts)-1
					if last {
						val = strings.TrimSuffix(val, ellipsis)
					}
					if hasValue && x.secretKey(key) && val != redacted && !(last && strings.HasPrefix(redacted, val)) {
						t.Fatalf("query(%q) = %q: the value of %q is not redacted", raw, out, key)
					}
				}
			}
			if cut {
				out = strings.TrimSuffix(out, ellipsis) // its dots are no JWT's
			}
			if hasJWT(out) {
				t.Fatalf("query(%q) = %q keeps a JWT", raw, out)
			}
		}
		check(x.query(raw), false)
		if target := "/p?" + raw; x.plainTarget(target) && x.urlString(target) != target {
			t.Fatalf("plainTarget(%q), but urlString gives %q", target, x.urlString(target))
		}
		c := capped.cap(capped.query(raw))
		if len(c) > 48 {
			t.Fatalf("capped query(%q) is %d bytes", raw, len(c))
		}
		check(c, strings.HasSuffix(c, ellipsis))
		if u, err := url.Parse("http://h/p?" + raw); err == nil {
			u.User = url.UserPassword("user", "pw-secret")
			u.Fragment = "frag-secret"
			if s := x.url(u); strings.Contains(s, "pw-secret") || strings.Contains(s, "frag-secret") {
				t.Fatalf("url(%q) = %q keeps the userinfo or the fragment", u, s)
			}
			if s := x.urlString(u.String()); strings.Contains(s, "pw-secret") || strings.Contains(s, "frag-secret") {
				t.Fatalf("urlString(%q) = %q keeps the userinfo or the fragment", u, s)
			}
		}
	})
}
