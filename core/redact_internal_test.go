package core

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/internal/textutil"
)

// testJWT is a JSON Web Token ({"alg":"HS256","typ":"JWT"}, {"sub":"1234567890"}).
const testJWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"

func defaultRedactor(maxLen int) *redactor {
	return &redactor{headerSubs: DefaultRedactedHeaders(), querySubs: DefaultRedactedQueryKeys(), queryIndex: newSubIndex(DefaultRedactedQueryKeys()), headerIndex: newSubIndex(DefaultRedactedHeaders()), maxLen: maxLen, maxHeaders: DefaultMaxTaggedHeaders}
}

// TestRedactorQueryHostile: ";" separates keys (item 6), keys match after
// lenient unescaping and case folding (item 8), fragments go (item 7), and
// values and keys shaped like JWTs are hidden whatever their key.
func TestRedactorQueryHostile(t *testing.T) {
	x := defaultRedactor(0)
	for _, tc := range []struct{ in, want string }{
		{"x=1;access_token=S", "x=1;access_token=REDACTED"},
		{"access_token=S;x=1&y=2", "access_token=REDACTED&y=2"},
		{"a=1&b=2;sig=S&c=3", "a=1&b=2;sig=REDACTED&c=3"},
		{"Password=x;y", "Password=REDACTED"},
		// Split only at "&", the key is "pass;" (or "pass;a;") and S its value.
		{"pass;=S&b=1", "pass;=REDACTED&b=1"},
		{"PAss;a;=S#f", "PAss;a;=REDACTED"},
		{"pass#;=S", "pass"},
		{"pass;x&=S", "pass;x&=S"},
		{"t%6Fken=S&bad=%zz", "t%6Fken=REDACTED&bad=%zz"},
		{"bad=%zz&t%6Fken=S", "bad=%zz&t%6Fken=REDACTED"},
		{"t%6Fken%zz=S", "t%6Fken%zz=REDACTED"},
		{"%E2%84%AAey=S", "%E2%84%AAey=REDACTED"}, // the Kelvin sign folds to k
		{"\u212Aey=S", "\u212Aey=REDACTED"},
		{"ACCESS+TOKEN=S", "ACCESS+TOKEN=REDACTED"},
		{"ticket=S&SAMLResponse=S&client_assertion=S&pass=S&otp=S", "ticket=REDACTED&SAMLResponse=REDACTED&client_assertion=REDACTED&pass=REDACTED&otp=REDACTED"},
		{"a=1#access_token=S", "a=1"},
		{"#x", ""},
		{"state=" + testJWT + "&page=2", "state=REDACTED&page=2"},
		{testJWT + "&page=2", "REDACTED&page=2"},
		{"page=2&sort=name", "page=2&sort=name"},
		{"token", "token"},
		{"&&=&token=", "&&=&token=REDACTED"},
	} {
		if got := x.query(tc.in); got != tc.want {
			t.Errorf("query(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, q := range []string{"page=2&sort=name;x=1", "page=2#frag", "a=%zz&b=eyJnotajwt"} {
		if n := testing.AllocsPerRun(100, func() { _ = x.query(q) }); n != 0 {
			t.Errorf("query(%q) allocates %v times, want 0", q, n)
		}
	}
}

// TestRedactorQueryWorkIsBounded (item 9): only what can show in a tag is
// produced, and what needs no redaction is not copied.
func TestRedactorQueryWorkIsBounded(t *testing.T) {
	x := defaultRedactor(64)
	harmless := strings.Repeat("k=v&", 100000) + "token=S"
	if n := testing.AllocsPerRun(10, func() { _ = x.query(harmless) }); n != 0 {
		t.Errorf("a giant harmless query allocates %v times", n)
	}
	secrets := strings.Repeat("token=S&", 100000)
	got := x.query(secrets)
	if len(got) > 64+len("token=REDACTED&")+lookahead || !strings.HasPrefix(got, "token=REDACTED&token=REDACTED&") {
		t.Errorf("query of 100,000 secrets gave %d bytes: %.80q", len(got), got)
	}
	if c := x.cap(got); len(c) > 64 || !strings.HasSuffix(c, ellipsis) || strings.Contains(c, "=S") {
		t.Errorf("capped: %q", c)
	}
	// A secret that begins within the cap is hidden, however long.
	if c := x.cap(x.query("a=1&token=" + strings.Repeat("S", 10000))); strings.Contains(c, "SS") {
		t.Errorf("capped: %q", c)
	}
	if c := x.cap(x.query(strings.Repeat("a", 50) + "=" + testJWT)); strings.Contains(c, "eyJ") {
		t.Errorf("a JWT that begins within the cap shows: %q", c)
	}
}

// TestRedactorCapTiny (item 3): every cap works, the ellipsis included.
func TestRedactorCapTiny(t *testing.T) {
	for n, want := range map[int]string{0: "abcdef", 1: ".", 2: "..", 3: "...", 4: "a...", 6: "abcdef", 8: "abcdef"} {
		x := &redactor{maxLen: n}
		if got := x.cap("abcdef"); got != want {
			t.Errorf("cap %d: %q, want %q", n, got, want)
		}
	}
	if got := (&redactor{maxLen: 5}).cap("ééé"); got != "..." && got != "é..." {
		t.Errorf("cap 5 of ééé: %q", got)
	}
}

// TestRedactorURLs (item 7): fragments and userinfo never show, in URLs as
// values or as strings.
func TestRedactorURLs(t *testing.T) {
	x := defaultRedactor(0)
	for _, tc := range []struct{ in, want string }{
		{"https://app.example/cb#access_token=S&token_type=bearer", "https://app.example/cb"},
		{"https://u:S@h.example/p?a=1&token=S#f", "https://h.example/p?a=1&token=REDACTED"},
		{"/x?a=1;sig=S", "/x?a=1;sig=REDACTED"},
		{"/x#S", "/x"},
		{"/login/" + testJWT + "/next", "/login/REDACTED/next"},
		{"/plain?page=2", "/plain?page=2"},
	} {
		if got := x.urlString(tc.in); got != tc.want {
			t.Errorf("urlString(%q) = %q, want %q", tc.in, got, tc.want)
		}
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := x.url(u); got != tc.want {
			t.Errorf("url(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	r := httptest.NewRequest("GET", "/plain?page=2;x=1", nil)
	if n := testing.AllocsPerRun(100, func() { _ = x.requestURI(r) }); n != 0 {
		t.Errorf("requestURI of a plain target allocates %v times", n)
	}
}

// TestRedactorHeaderValues (item 8): header values are hidden by the
// header's name, and by their own shape whatever the name.
func TestRedactorHeaderValues(t *testing.T) {
	x := defaultRedactor(0)
	for _, tc := range []struct{ name, value, want string }{
		{"X-Goog-Iap-Jwt-Assertion", "v", redacted},
		{"Cf-Access-Jwt-Assertion", "v", redacted},
		{"X-Amzn-Oidc-Data", "v", redacted},
		{"Dpop", "v", redacted},
		{"X-Jwt", "v", redacted},
		{"X-Shopify-Hmac-Sha256", "v", redacted},
		{"X-Passphrase", "v", redacted},
		{"X-Pwd", "v", redacted},
		{"X-Sig", "v", redacted},
		{"X-Anything", "a " + testJWT, redacted},
		{"X-Upstream", "Bearer abcdef123456", redacted},
		{"X-Upstream", "bearer\tnot", "bearer\tnot"},
		{"X-Forwarded", "Basic dXNlcjpwdw==", redacted}, // user:pw
		{"X-Plan", "basic plan", "basic plan"},
		{"X-Plan", "Basic information", "Basic information"},
		{"Referer", "https://app.example/cb?code=C&state=ok#access_token=S", "https://app.example/cb?code=REDACTED&state=ok"},
		{"X-Original-Uri", "/login?token=S&next=/", "/login?token=REDACTED&next=/"},
		{"X-Params", "a=1, password=S", "a=1, password=REDACTED"},
		{"Accept", "text/html;q=0.9", "text/html;q=0.9"},
		{"X-Request-Id", "3f0e9c9a-94b7-4c1e-a3c1-0f7e7c6b2a11", "3f0e9c9a-94b7-4c1e-a3c1-0f7e7c6b2a11"},
		{"X-Color", "#fff", "#fff"},
	} {
		if got := x.headerValue(tc.name, tc.value); got != tc.want {
			t.Errorf("headerValue(%s: %q) = %q, want %q", tc.name, tc.value, got, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = x.headerValue("Accept", "text/html;q=0.9") }); n != 0 {
		t.Errorf("a harmless header value allocates %v times", n)
	}
}

// TestAllowedHeaders: in allowlist mode, only the listed headers' values are
// tagged; the redaction list and the checks of values still apply to them.
func TestAllowedHeaders(t *testing.T) {
	tr, err := New("mock", WithTraceAll(true), WithTracedAttributes("Header", "META"))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tr.redact.allowHeaders = []string{"Accept", "Authorization", "X-Trace-Me"} // as the option would set it
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept", "text/html")
	r.Header.Set("Authorization", "Bearer s3cret")
	r.Header.Set("X-Trace-Me", testJWT)
	r.Header.Set("X-Other", "plain-but-not-allowed")
	got := tr.redact.headers(r.Header)
	want := `{"Accept":["text/html"],"Authorization":["REDACTED"],"X-Other":["REDACTED"],"X-Trace-Me":["REDACTED"]}`
	if got != want {
		t.Errorf("headers = %s\nwant      %s", got, want)
	}
	if meta := tr.redact.meta(r); strings.Contains(meta, "plain-but-not-allowed") || !strings.Contains(meta, `"HTTP_ACCEPT":"text/html"`) {
		t.Errorf("META = %s", meta)
	}
}

// TestJSONRenderingMatchesEncodingJSON: the budgeted JSON writer writes what
// encoding/json would, escapes included, when nothing is cut.
func TestJSONRenderingMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uo\te`, "<a&b>", "\x00\x01\b\f\n\r\t\x7f", "é\u2028\u2029", "bad\xffutf8\xc3", "日本"} {
		want, _ := json.Marshal(s)
		if got := textutil.AppendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("textutil.AppendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
	x := defaultRedactor(0)
	h := http.Header{"Accept": {"a", "b<c>"}, "X-Empty": {""}, "Content-Type": {"text/plain"}}
	want, _ := json.Marshal(h)
	if got := x.headers(h); got != string(want) {
		t.Errorf("headers = %s, want %s", got, want)
	}
}

// TestRenderingIsBounded (item 9): the composite attributes stop at the cap
// whatever the number and size of headers and cookies.
func TestRenderingIsBounded(t *testing.T) {
	x := defaultRedactor(100)
	r := httptest.NewRequest("GET", "/?"+strings.Repeat("k=v&", 50000), nil)
	for i := range 5000 {
		r.Header.Add("X-Many", strings.Repeat("v", 100))
		r.Header.Add("Cookie", "c"+strings.Repeat("x", i%50)+"=1")
	}
	r.Header.Set("X-Huge", strings.Repeat("h", 1<<20))
	for _, a := range attributes {
		got := a.render(r, x)
		if strings.HasPrefix(r.RequestURI, got) || strings.HasPrefix(r.URL.RawQuery, got) {
			continue // the request's own string, not a copy: the cap slices it
		}
		if len(got) > x.budget()+lookahead+64 {
			t.Errorf("%s rendered %d bytes for a cap of %d", a.name, len(got), x.maxLen)
		}
	}
}

func TestIsFuncLiteral(t *testing.T) {
	for name, want := range map[string]bool{
		"main.main.func1":             true,
		"core_test.TestX.func3":       true,
		"pkg.F.func1.2":               true,
		"pkg.(*T).M.func1":            true,
		"pkg.glob..func1":             true,
		"pkg.init.func2":              true,
		"pkg.func1":                   false,
		"pkg.listItems":               false,
		"pkg.(*T).ServeHTTP":          false,
		"pkg.T.functional":            false,
		"http.StripPrefix.func1":      true,
		"pkg.F[go.shape.string].func": false,
	} {
		if got := isFuncLiteral(name); got != want {
			t.Errorf("isFuncLiteral(%q) = %v, want %v", name, got, want)
		}
	}
}
