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
	f.Fuzz(func(t *testing.T, path, query, name, value, secret string) {
		if len(secret) < 8 || strings.Trim(secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return // a secret of 8+ letters cannot be made by escaping (which inserts %)
		}
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
		spans := tr.Unwrap().(*mock.Tracer).FinishedSpans()
		tr.Unwrap().(*mock.Tracer).Reset()
		for _, s := range spans {
			for k, v := range s.Tags {
				str, _ := v.(string)
				if len(str) > 512 {
					t.Errorf("tag %s is %d bytes, over the 512-byte cap", k, len(str))
				}
				if strings.Contains(str, secret) && !inHarmlessPlace(name, value, path, query, secret) {
					t.Errorf("tag %s = %q leaks the secret %q", k, str, secret)
				}
			}
		}
	})
}

// inHarmlessPlace: the fuzzer may put the secret where it is not secret (in
// the path, in a harmless header, or in a harmless query value).
func inHarmlessPlace(name, value, path, query, secret string) bool {
	return strings.Contains(value, secret) || strings.Contains(name, secret) || strings.Contains(path, secret) || strings.Contains(query, secret) ||
		strings.Contains("Bearer REDACTED session access_token", secret)
}
