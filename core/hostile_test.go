package core_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
)

// This file holds issue 15's hostile inputs: unbounded strings, baggage in
// every format, tiny tag caps, secrets in places the redaction lists miss,
// giant queries; and issue 16's closure names.

// spanBytes is the size of every string a span holds: its operation name,
// string tags (keys and values), baggage and string log fields.
func spanBytes(s mock.Span) int {
	n := len(s.Operation)
	for k, v := range s.Tags {
		n += len(k)
		if str, isStr := v.(string); isStr {
			n += len(str)
		}
	}
	for k, v := range s.Baggage {
		n += len(k) + len(v)
	}
	for _, l := range s.Logs {
		for k, v := range l.Fields {
			n += len(k) + len(fmt.Sprint(v))
		}
	}
	return n
}

// fixedTags hold values from a fixed vocabulary (component=traceplug, a
// known method or "_OTHER"), short by construction and never cut.
var fixedTags = map[string]bool{"component": true, "http.method": true, "span.kind": true}

// wantCapped fails for every string of s longer than limit, but the values
// of fixed vocabularies.
func wantCapped(t *testing.T, s mock.Span, limit int) {
	t.Helper()
	if len(s.Operation) > limit {
		t.Errorf("operation name of %d bytes, over the %d-byte cap: %.40q", len(s.Operation), limit, s.Operation)
	}
	for k, v := range s.Tags {
		if str, isStr := v.(string); isStr && len(str) > limit && !fixedTags[k] {
			t.Errorf("tag %s of %d bytes, over the %d-byte cap: %.40q", k, len(str), limit, str)
		}
	}
	for _, l := range s.Logs {
		for k, v := range l.Fields {
			if str, isStr := v.(string); isStr && len(str) > limit {
				t.Errorf("log field %s of %d bytes, over the %d-byte cap", k, len(str), limit)
			}
		}
	}
}

// wantNoSecret fails for every tag and log field of spans that contains one
// of secrets.
func wantNoSecret(t *testing.T, spans []mock.Span, secrets ...string) {
	t.Helper()
	for _, s := range spans {
		if strings.Contains(s.Operation, "S3CRET") {
			t.Errorf("operation %q leaks a secret", s.Operation)
		}
		for k, v := range s.Tags {
			for _, secret := range secrets {
				if strings.Contains(fmt.Sprint(v), secret) {
					t.Errorf("span %q: tag %s leaks %q: %.300v", s.Operation, k, secret, v)
				}
			}
		}
		for _, l := range s.Logs {
			for k, v := range l.Fields {
				for _, secret := range secrets {
					if strings.Contains(fmt.Sprint(v), secret) {
						t.Errorf("span %q: log field %s leaks %q", s.Operation, k, secret)
					}
				}
			}
		}
	}
}

// TestHostileLongMethod (issue 15, item 1): net/http serves any token as a
// method, however long. 1,000 requests with a 64 KiB method through a real
// server must record bounded strings: the method becomes "_OTHER" (as
// OpenTelemetry's HTTP conventions name unknown methods) and the original is
// kept, capped, in http.request.method_original.
func TestHostileLongMethod(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	mux := http.NewServeMux()
	mux.Handle("/routed", ok)
	mux.Handle("/", ok)
	srv := httptest.NewServer(tr.Middleware(mux))
	defer srv.Close()
	method := strings.Repeat("M", 64<<10)
	const requests = 1000
	for i := range requests {
		path := "/"
		if i%2 == 1 {
			path = "/routed"
		}
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("served %d", resp.StatusCode)
		}
	}
	spans := m.FinishedSpans()
	if len(spans) != requests {
		t.Fatalf("%d spans, want %d", len(spans), requests)
	}
	total := 0
	for _, s := range spans {
		total += spanBytes(s)
	}
	// Each span holds a few short tags and one capped value: 2 KiB is ample.
	if perSpan := total / requests; perSpan > 2<<10 {
		t.Errorf("%d requests with a 64 KiB method recorded %d bytes of strings (%d a span): the method is not capped", requests, total, perSpan)
	}
	for _, s := range spans[:2] {
		wantCapped(t, s, core.DefaultMaxTagLength)
		wantTag(t, s, "http.method", "_OTHER")
		if orig, _ := s.Tags["http.request.method_original"].(string); !strings.HasPrefix(orig, "MMMM") || !strings.HasSuffix(orig, "...") {
			t.Errorf("http.request.method_original = %.40q, want the method, capped", orig)
		}
		if s.Operation != "HTTP _OTHER" && s.Operation != "_OTHER /routed" && s.Operation != "_OTHER /" {
			t.Errorf("operation %.60q, want HTTP _OTHER or _OTHER pattern", s.Operation)
		}
	}
}

// TestHostileMethodNames: the ten known methods name themselves; any other
// (a typo, a lower-case "get", WebDAV's PROPFIND) is "_OTHER", on the server
// and on the client.
func TestHostileMethodNames(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	mux := http.NewServeMux()
	mux.Handle("/items/{id}", ok)
	h := tr.Middleware(mux)
	known := []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
	for _, meth := range append(known, "get", "PROPFIND", "FOO") {
		m.Reset()
		r := httptest.NewRequest(meth, "/items/1", nil)
		do(h, r)
		s := onlySpan(t, m)
		want, op := meth, meth+" /items/{id}"
		if strings.ToUpper(meth) != meth || !strings.Contains(strings.Join(known, ","), meth) {
			want, op = "_OTHER", "_OTHER /items/{id}"
			wantTag(t, s, "http.request.method_original", meth)
		} else if _, found := s.Tags["http.request.method_original"]; found {
			t.Errorf("%s: a known method has no http.request.method_original", meth)
		}
		wantTag(t, s, "http.method", want)
		if s.Operation != op {
			t.Errorf("%s: operation %q, want %q", meth, s.Operation, op)
		}
	}

	m.Reset()
	rt := tr.Transport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	}))
	req := httptest.NewRequest(strings.Repeat("Q", 10000), "http://"+strings.Repeat("h", 5000)+".example/", nil)
	if _, err := rt.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	s := onlySpan(t, m)
	wantCapped(t, s, core.DefaultMaxTagLength)
	wantTag(t, s, "http.method", "_OTHER")
	if s.Operation != "HTTP _OTHER" {
		t.Errorf("client operation %.40q", s.Operation)
	}
}

// TestHostileStringsAreCapped: every string traceplug writes into a span is
// within the cap: the user's operation name, the extract error of a 400 KB
// B3 header in every format, a client's transport error.
func TestHostileStringsAreCapped(t *testing.T) {
	const limit = 256
	huge := strings.Repeat("z", 400<<10)
	tr, m := newMock(t, core.WithTraceAll(true), core.WithMaxTagLength(limit),
		core.WithPropagation("tracecontext,baggage,b3,jaeger,ottrace"),
		core.WithOperationName(func(r *http.Request) string { return r.Header.Get("X-Name") }))
	r := httptest.NewRequest("GET", "/", nil)
	for _, k := range []string{"X-Name", "B3", "X-B3-Traceid", "X-B3-Spanid", "Traceparent", "Tracestate", "Uber-Trace-Id", "Ot-Tracer-Traceid", "Ot-Tracer-Spanid", "Baggage", "Jaeger-Baggage"} {
		r.Header.Set(k, huge)
	}
	do(tr.Middleware(ok), r)
	s := onlySpan(t, m)
	wantCapped(t, s, limit)
	if _, found := s.Tags["traceplug.extract_error"]; !found {
		t.Error("no traceplug.extract_error")
	}

	m.Reset()
	rt := tr.Transport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return nil, fmt.Errorf("dial %s: refused", r.URL)
	}))
	if _, err := rt.RoundTrip(httptest.NewRequest("GET", "http://svc.local/"+huge, nil)); err == nil {
		t.Fatal("want the transport's error")
	}
	wantCapped(t, onlySpan(t, m), limit)
}

// TestHostileTinyTagLength (item 3): WithMaxTagLength(1) and (2) used to
// panic on every request (slice bounds out of range [:-2]). Every value
// works: tags and names are cut to n bytes, ellipsis included.
func TestHostileTinyTagLength(t *testing.T) {
	for n := 0; n <= 4; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			tr, m := newMock(t, core.WithTraceAll(true), core.WithMaxTagLength(n), core.WithTracedAttributes(core.TracedAttributes()...))
			r := httptest.NewRequest("GET", "/some/long/path?q=books&access_token=S3CRET", nil)
			r.Header.Set("Authorization", "Bearer S3CRET")
			if w := do(tr.Middleware(ok), r); w.Code != 200 {
				t.Fatalf("served %d", w.Code)
			}
			limit := n
			if n == 0 { // n <= 0 leaves the default
				limit = core.DefaultMaxTagLength
			}
			s := onlySpan(t, m)
			wantCapped(t, s, limit)
			wantNoSecret(t, []mock.Span{s}, "S3CRET")
		})
	}
}

// TestHostileSemicolonQuery (item 6): behind http.AllowQuerySemicolons, ";"
// separates query parameters for the handler; the middleware outside it sees
// the raw query, and must redact "x=1;access_token=S" as the handler reads it.
func TestHostileSemicolonQuery(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes("URL", "RequestURI", "GET", "META"))
	var seen string
	srv := httptest.NewServer(tr.Middleware(http.AllowQuerySemicolons(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.FormValue("access_token")
	}))))
	defer srv.Close()
	for _, q := range []string{"x=1;access_token=S3CRET1", "access_token=S3CRET2;x=1", "a=1&b=2;sig=S3CRET3&c=3"} {
		resp, err := http.Get(srv.URL + "/x?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if seen != "" && !strings.HasPrefix(seen, "S3CRET") {
		t.Fatalf("the handler read access_token=%q", seen)
	}
	spans := m.FinishedSpans()
	wantNoSecret(t, spans, "S3CRET")
	if len(spans) == 3 {
		if u := spans[0].Tags["http.url"]; u != "/x?x=1;access_token=REDACTED" {
			t.Errorf("http.url = %v", u)
		}
		if u := spans[2].Tags["http.url"]; u != "/x?a=1&b=2;sig=REDACTED&c=3" {
			t.Errorf("http.url = %v", u)
		}
	}
}

// TestHostileFragments (item 7): fragments are never sent by browsers, but an
// OAuth implicit-flow redirect puts the access token in one, Go's client
// keeps it in the URL it follows, and a raw client can send "#" in the
// request target, which net/http keeps in the path or the query.
func TestHostileFragments(t *testing.T) {
	t.Run("client redirect", func(t *testing.T) {
		tr, m := newMock(t)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/start" {
				http.Redirect(w, r, "/cb#access_token=S3CRET&token_type=bearer", http.StatusFound)
			}
		}))
		defer srv.Close()
		resp, err := (&http.Client{Transport: tr.Transport(nil)}).Get(srv.URL + "/start")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		spans := m.FinishedSpans()
		if len(spans) != 2 {
			t.Fatalf("%d client spans, want 2", len(spans))
		}
		wantNoSecret(t, spans, "S3CRET", "#")
		wantTag(t, spans[1], "http.url", srv.URL+"/cb")
	})
	t.Run("raw client", func(t *testing.T) {
		tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes("path", "path_info", "URL", "RequestURI", "GET", "META"))
		srv := httptest.NewServer(tr.Middleware(ok))
		defer srv.Close()
		for _, target := range []string{"/x#access_token=S3CRET", "/x?a=1#access_token=S3CRET", "http://h/x?a=1#S3CRET"} {
			c, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", target)
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if !strings.HasPrefix(line, "HTTP/1.1 200") {
				t.Fatalf("%s: %q", target, line)
			}
		}
		spans := m.FinishedSpans()
		if len(spans) != 3 {
			t.Fatalf("%d spans", len(spans))
		}
		wantNoSecret(t, spans, "S3CRET", "#")
		wantTag(t, spans[0], "path", "/x")
		wantTag(t, spans[1], "http.url", "/x?a=1")
	})
}

// jwt is a JSON Web Token (header {"alg":"HS256","typ":"JWT"}) whose
// signature is sig.
func jwt(sig string) string {
	return "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0." + sig
}

// TestHostileSecretShapes (item 8): secrets outside the redaction lists, in
// headers and queries, found by name, by the value's shape, after unescaping
// and case folding, and in the queries of URL-valued headers.
func TestHostileSecretShapes(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes("Header", "headers", "META", "GET", "URL", "RequestURI"))
	headers := map[string]string{
		"X-Goog-Iap-Jwt-Assertion": jwt("S3CRETh1"),
		"Cf-Access-Jwt-Assertion":  jwt("S3CRETh2"),
		"X-Amzn-Oidc-Data":         "S3CRETh3",
		"Dpop":                     "S3CRETh4",
		"X-Jwt":                    "S3CRETh5",
		"X-Custom-Assertion-Thing": "x " + jwt("S3CRETh6") + " y",
		"X-Shopify-Hmac-Sha256":    "S3CRETh7",
		"X-Passphrase":             "S3CRETh8",
		"X-Pwd":                    "S3CRETh9",
		"X-Sig":                    "S3CRETha",
		"X-Upstream":               "Bearer S3CRETh5b3x9Q",
		"X-Forwarded-Basic":        "basic dXNlcjpTM0NSRVRoYw==", // user:S3CREThc
		"Referer":                  "https://app.example/cb?code=S3CREThd&state=ok#access_token=S3CRETbe",
		"X-Original-Uri":           "/login?token=S3CRETbf&next=/",
		"X-Redirect-Location":      "https://u:S3CRETbg@idp.example/?SAMLResponse=S3CRETbh",
		"X-Params":                 "a=1, password=S3CRETbi",
	}
	query := "ticket=S3CRETq1&SAMLResponse=S3CRETq2&client_assertion=S3CRETq3&pass=S3CRETq4&otp=S3CRETq5" +
		"&t%6Fken=S3CRETq6&bad=%zz&%41ccess_Token=S3CRETq7&state=" + jwt("S3CRETq8") + "&\u212Aey=S3CRETq9&page=2"
	r := httptest.NewRequest("GET", "/a?"+query, nil)
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	r.Header.Set("Accept", "text/html")
	r.Header.Set("X-Request-Id", "3f0e9c9a-94b7-4c1e-a3c1-0f7e7c6b2a11")
	r.Header.Set("X-Basic-Plan", "basic plan")
	do(tr.Middleware(ok), r)
	s := onlySpan(t, m)
	wantNoSecret(t, []mock.Span{s}, "S3CRET", "UzNDUkVU" /* S3CRET in base64 */, "dXNlcjpTM0NSRVRoYw")
	for _, keep := range []string{`"Accept":["text/html"]`, `"X-Request-Id":["3f0e9c9a-94b7-4c1e-a3c1-0f7e7c6b2a11"]`, `"X-Basic-Plan":["basic plan"]`, "state=ok"} {
		if h, _ := s.Tags["Header"].(string); !strings.Contains(h, keep) {
			t.Errorf("Header lost the harmless %s: %s", keep, h)
		}
	}
	if g, _ := s.Tags["GET"].(string); !strings.HasSuffix(g, "&page=2") {
		t.Errorf("GET lost the harmless page=2: %s", g)
	}
}

// TestHostileBaggage (item 2): the baggage limits hold for every header that
// carries baggage in every format, with and without a trace context, on the
// way in (the span's baggage) and on the way out (what the next call sends).
func TestHostileBaggage(t *testing.T) {
	items := func(n int, sep, form string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(form, i)
		}
		return strings.Join(parts, sep)
	}
	prefixed := func(prefix string) http.Header {
		h := http.Header{}
		for i := range 1000 {
			h.Set(fmt.Sprintf("%sk%d", prefix, i), "1")
		}
		return h
	}
	one := func(k, v string) http.Header { return http.Header{http.CanonicalHeaderKey(k): {v}} }
	contexts := map[string]http.Header{
		"jaeger":               one("uber-trace-id", "463ac35c9f6413ad:a2fb4a1d1a96d312:0:1"),
		"tracecontext,baggage": one("traceparent", "00-463ac35c9f6413ad463ac35c9f6413ad-a2fb4a1d1a96d312-01"),
		"b3":                   one("b3", "463ac35c9f6413ad-a2fb4a1d1a96d312-1"),
		"b3multi":              {"X-B3-Traceid": {"463ac35c9f6413ad"}, "X-B3-Spanid": {"a2fb4a1d1a96d312"}, "X-B3-Sampled": {"1"}},
		"ottrace":              {"Ot-Tracer-Traceid": {"463ac35c9f6413ad"}, "Ot-Tracer-Spanid": {"a2fb4a1d1a96d312"}, "Ot-Tracer-Sampled": {"true"}},
	}
	floods := []struct {
		name, format string
		header       http.Header
	}{
		{"Jaeger-Baggage items", "jaeger", one("Jaeger-Baggage", items(1000, ",", "k%d=1"))},
		{"Jaeger-Baggage bytes", "jaeger", one("Jaeger-Baggage", "big="+strings.Repeat("x", 20000))},
		{"uberctx-*", "jaeger", prefixed("Uberctx-")},
		{"baggage items", "tracecontext,baggage", one("Baggage", items(1000, ",", "k%d=1"))},
		{"baggage headers", "tracecontext,baggage", http.Header{"Baggage": strings.Split(items(1000, ",", "k%d=1"), ",")}},
		{"baggage bytes", "tracecontext,baggage", one("Baggage", "big="+strings.Repeat("x", 20000))},
		{"b3 baggage-*", "b3", prefixed("Baggage-")},
		{"b3multi ot-baggage-*", "b3multi", prefixed("Ot-Baggage-")},
		{"ottrace ot-baggage-*", "ottrace", prefixed("Ot-Baggage-")},
	}
	for _, fl := range floods {
		for _, withContext := range []bool{true, false} {
			name := fl.name + "/orphan"
			if withContext {
				name = fl.name + "/in a trace"
			}
			t.Run(name, func(t *testing.T) {
				tr, _ := newMock(t, core.WithTraceAll(true), core.WithPropagation(fl.format))
				var sent http.Header
				next := &http.Client{Transport: tr.Transport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
					sent = r.Header
					return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
				}))}
				var kept, keptBytes int
				h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					tr.GetSpan(r).Context().ForeachBaggageItem(func(k, v string) bool {
						kept++
						keptBytes += len(k) + len(v)
						return true
					})
					req, _ := http.NewRequestWithContext(r.Context(), "GET", "http://next.local/", nil)
					if resp, err := next.Do(req); err == nil {
						resp.Body.Close()
					}
				}))
				r := httptest.NewRequest("GET", "/", nil)
				for k, v := range fl.header {
					r.Header[k] = v
				}
				if withContext {
					for k, v := range contexts[fl.format] {
						r.Header[k] = v
					}
				}
				if w := do(h, r); w.Code != 200 {
					t.Fatalf("served %d", w.Code)
				}
				if kept > core.DefaultMaxBaggageItems || keptBytes > core.DefaultMaxBaggageBytes {
					t.Errorf("the span kept %d baggage items (%d bytes), over the limits (%d, %d)",
						kept, keptBytes, core.DefaultMaxBaggageItems, core.DefaultMaxBaggageBytes)
				}
				if out, outBytes := countBaggage(sent); out > core.DefaultMaxBaggageItems || outBytes > core.DefaultMaxBaggageBytes {
					t.Errorf("the next call sent %d baggage items (%d bytes)", out, outBytes)
				}
				if st := tr.Stats(); st.BaggageDropped == 0 {
					t.Errorf("BaggageDropped = 0; the span kept %d items", kept)
				}
			})
		}
	}
}

// countBaggage counts the distinct baggage items h carries in any format
// (b3 writes each twice, as baggage-* and ot-baggage-*), and their bytes.
func countBaggage(h http.Header) (items, size int) {
	seen := map[string]string{}
	for k, vs := range h {
		lk := strings.ToLower(k)
		for _, v := range vs {
			switch {
			case lk == "baggage" || lk == "jaeger-baggage":
				for _, m := range strings.Split(v, ",") {
					if key, val, found := strings.Cut(strings.TrimSpace(m), "="); found {
						seen[strings.ToLower(key)] = val
					}
				}
			case strings.HasPrefix(lk, "ot-baggage-"):
				seen[strings.TrimPrefix(lk, "ot-baggage-")] = v
			case strings.HasPrefix(lk, "baggage-"):
				seen[strings.TrimPrefix(lk, "baggage-")] = v
			case strings.HasPrefix(lk, "uberctx-"):
				seen[strings.TrimPrefix(lk, "uberctx-")] = v
			}
		}
	}
	for k, v := range seen {
		size += len(k) + len(v)
	}
	return len(seen), size
}

// TestHostileGiantQueryIsBounded (item 9): tags are capped, so a giant query
// (0.9 MiB, 20,000 keys) must not cost work in proportion to its size:
// rendering every attribute of it allocates a bounded amount. (Timings are
// BenchmarkGiantQuery's.)
func TestHostileGiantQueryIsBounded(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes(core.TracedAttributes()...))
	h := tr.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	query := giantQuery(false)
	r := httptest.NewRequest("GET", "/search?"+query, nil)
	r.Header.Set("Referer", "https://app.example/search?"+query)
	r.Header.Set("X-Huge", strings.Repeat("h", 500<<10))
	w := httptest.NewRecorder()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 20
	for range n {
		h.ServeHTTP(w, r)
	}
	runtime.ReadMemStats(&after)
	spans := m.FinishedSpans()
	wantCapped(t, spans[0], core.DefaultMaxTagLength)
	wantNoSecret(t, spans[:1], "s3cret")
	// What the mock records is a few KiB; a request of 1.4 MiB rendered in
	// full would take several MiB.
	if perRequest := (after.TotalAlloc - before.TotalAlloc) / n; perRequest > 256<<10 {
		t.Errorf("a request with a giant query allocates %d KiB", perRequest>>10)
	}
}

type api struct{}

func (api) items(w http.ResponseWriter, r *http.Request) {}

func (api) ServeHTTP(w http.ResponseWriter, r *http.Request) {}

// TestTraceNamesClosuresAfterRoute (issue 16): a decorated closure is named
// after the route that serves it, as the middleware names spans; named
// functions, methods and handler types keep their names.
func TestTraceNamesClosuresAfterRoute(t *testing.T) {
	tr, m := newMock(t)
	mux := http.NewServeMux()
	mux.Handle("GET /items/{id}", tr.Trace()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	mux.Handle("/any", tr.Trace()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	mux.Handle("/named", tr.Trace()(http.HandlerFunc(listItems)))
	mux.Handle("/method", tr.Trace()(http.HandlerFunc(api{}.items)))
	mux.Handle("/type", tr.Trace()(api{}))
	unrouted := tr.Trace()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, tc := range []struct {
		method, path, want string
		h                  http.Handler
	}{
		{"GET", "/items/7", "GET /items/{id}", mux},
		{"HEAD", "/items/7", "HEAD /items/{id}", mux},
		{"POST", "/any", "POST /any", mux},
		{"PROPFIND", "/any", "_OTHER /any", mux},
		{"GET", "/named", "core_test.listItems", mux},
		{"GET", "/method", "core_test.api.items", mux},
		{"GET", "/type", "core_test.api", mux},
		{"GET", "/unrouted", "core_test.TestTraceNamesClosuresAfterRoute.func3", unrouted},
	} {
		m.Reset()
		do(tc.h, httptest.NewRequest(tc.method, tc.path, nil))
		if s := onlySpan(t, m); s.Operation != tc.want {
			t.Errorf("%s %s: operation %q, want %q", tc.method, tc.path, s.Operation, tc.want)
		}
	}
}

// TestHostileCommonPathAllocations: the checks for hostile input cost an
// ordinary request nothing: the redaction and capping of a plain request
// allocate nothing beyond what the span itself takes.
func TestHostileCommonPathAllocations(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	h := tr.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	plain := httptest.NewRequest("GET", "/items/42?page=2&sort=name", nil)
	plain.Header.Set("Accept", "application/json")
	w := httptest.NewRecorder()
	base := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, plain); m.Reset() })
	secret := httptest.NewRequest("GET", "/items/42?page=2&sort=name;x=1&q=a#b", nil)
	if n := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, secret); m.Reset() }); n > base {
		t.Errorf("a request with ';' and '#' in its target costs %v allocations, a plain one %v", n, base)
	}
}

// selfPropagating is a backend's tracer that propagates span contexts itself
// (it is no SpanContextCodec) and names the headers of its baggage, among
// them whole lists: jaeger-baggage, W3C baggage. It records what it is
// given to extract.
type selfPropagating struct {
	opentracing.NoopTracer
	got http.Header
}

func (b *selfPropagating) Extract(format, carrier any) (opentracing.SpanContext, error) {
	if c, isHeader := carrier.(opentracing.HTTPHeadersCarrier); isHeader {
		b.got = http.Header(c)
	}
	return nil, opentracing.ErrSpanContextNotFound
}

func (b *selfPropagating) BaggageHeaderPrefixes() []string {
	return []string{"uberctx-", "jaeger-baggage", "baggage"}
}

// TestHostileBaggageSelfPropagating (item 2): for a backend that reads its
// headers itself, the limits hold for list headers too: 1,000 items in one
// Jaeger-Baggage header are 1,000 items, not one.
func TestHostileBaggageSelfPropagating(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header http.Header
	}{
		{"Jaeger-Baggage", http.Header{"Jaeger-Baggage": {strings.Repeat("k=1,", 999) + "k=1"}}},
		{"baggage", http.Header{"Baggage": {strings.Repeat("k=1,", 999) + "k=1"}}},
		{"baggage bytes", http.Header{"Baggage": {"big=" + strings.Repeat("x", 20000) + ",small=1"}}},
		{"uberctx-*", func() http.Header {
			h := http.Header{}
			for i := range 1000 {
				h.Set(fmt.Sprintf("Uberctx-K%d", i), "1")
			}
			return h
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &selfPropagating{}
			tr, err := core.Wrap(b, core.WithTraceAll(true))
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/", nil)
			for k, v := range tc.header {
				r.Header[k] = v
			}
			do(tr.Middleware(ok), r)
			if items, size := countBaggage(b.got); items > core.DefaultMaxBaggageItems || size > core.DefaultMaxBaggageBytes {
				t.Errorf("the backend was given %d baggage items (%d bytes)", items, size)
			}
			n := 0
			for k, vs := range b.got {
				if strings.EqualFold(k, "jaeger-baggage") || strings.EqualFold(k, "baggage") {
					for _, v := range vs {
						n += strings.Count(v, ",") + 1
					}
				}
			}
			if n > core.DefaultMaxBaggageItems {
				t.Errorf("the backend was given %d list members", n)
			}
			if st := tr.Stats(); st.BaggageDropped == 0 {
				t.Error("BaggageDropped = 0")
			}
		})
	}
}
