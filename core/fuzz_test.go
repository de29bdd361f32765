package core_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
)

// FuzzTracedAttributes: a request with any path, query, header names and
// values is served, its attribute tags stay within the length cap, and a
// secret sent as a credential never reaches a tag: as a bearer token, API
// key or cookie; in the query after "&" or ";", under a percent-encoded key,
// or in a fragment; as a JWT's signature in a header of any name, after
// "Bearer" in a header of any name, or in the query of a URL-valued header.
func FuzzTracedAttributes(f *testing.F) {
	f.Add("/a/b", "q=1", "X-Custom", "value", "secrettoken")
	f.Add("/", "token=abc", "Cookie", "a=b; c=d", "hunterhunter")
	f.Add("/%zz", "&&=", "", "", "xxxxxxxx")
	f.Add("/x", "x=1;y=2", "X-Forwarded", "a=1;b=2", "semicolonsecret")
	f.Add("/cb#frag", "a=1#b", "Referer", "https://h/cb?x=1#y", "fragmentsecret")
	f.Add("/t", "t%6Fken=x&bad=%zz", "X-Original-Uri", "/x?%41=1", "escapedsecret")
	f.Add("/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "s=eyJhbGciOiJIUzI1NiJ9.eyJ", "X-Claims", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.", "jwtshapedsecret")
	tr, err := core.New("mock", core.WithTraceAll(true), core.WithTracedAttributes(core.TracedAttributes()...), core.WithMaxTagLength(512))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = tr.Close() })
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span := tr.GetSpan(r)
		if span == nil {
			http.Error(w, "no span", 500)
		}
	}))
	// serve sends the request carrying secret and returns the span's tags.
	serve := func(t *testing.T, path, query, name, value, secret string) map[string]any {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.Path = "/" + path
		r.URL.RawQuery = query + "&access_token=" + secret + ";x=1;sig=" + secret + "&t%6Fken=" + secret + "&ok=1#access_token=" + secret
		r.RequestURI = r.URL.RequestURI()
		r.Header.Set("Authorization", "Bearer "+secret)
		r.Header.Set("X-Api-Key", secret)
		r.Header.Set("X-Fuzz-Claims", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0."+secret)
		r.Header.Set("X-Fuzz-Upstream", "Bearer "+secret)
		r.Header.Set("Referer", "https://h.example/cb?code="+secret+"&state=1#access_token="+secret)
		r.AddCookie(&http.Cookie{Name: "session", Value: "c" + secret})
		if name != "" && !strings.ContainsAny(name, " \r\n:\x00") {
			r.Header.Add(name, value)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("served %d", w.Code)
		}
		m := tr.Unwrap().(*mock.Tracer)
		spans := m.FinishedSpans()
		m.Reset()
		if len(spans) != 1 {
			t.Fatalf("%d spans, want 1", len(spans))
		}
		return spans[0].Tags
	}
	f.Fuzz(func(t *testing.T, path, query, name, value, secret string) {
		if len(secret) < 8 || strings.Trim(secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return // a secret of 8+ letters cannot be made by escaping (which inserts %)
		}
		tags := serve(t, path, query, name, value, secret)
		var other map[string]any // the tags of the same request with another secret
		for k, v := range tags {
			str, _ := v.(string)
			if len(str) > 512 {
				t.Errorf("tag %s is %d bytes, over the 512-byte cap", k, len(str))
			}
			if !strings.Contains(str, secret) {
				continue
			}
			// The fuzzer may also put the secret's letters where they are no
			// secret (the path, a harmless header, a header's name that META
			// upper-cases, a word such as PROTOCOL): the secret leaks only if
			// the tag loses it when the credentials carry another secret.
			if other == nil {
				other = serve(t, path, query, name, value, rot13(secret))
			}
			if o, _ := other[k].(string); !strings.Contains(o, secret) {
				t.Errorf("tag %s = %q leaks the secret %q", k, str, secret)
			}
		}
	})
}

// rot13 returns s with each ASCII letter moved 13 places, keeping its case:
// a secret with every letter different and the same shape.
func rot13(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z':
			return 'a' + (r-'a'+13)%26
		case 'A' <= r && r <= 'Z':
			return 'A' + (r-'A'+13)%26
		}
		return r
	}, s)
}
