package core_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opentracing/opentracing-go"
	otlog "github.com/opentracing/opentracing-go/log"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
)

// This file holds adversarial tests of the HTTP side: hostile request
// targets and headers through real servers, response edge cases, the
// wrapped ResponseWriter on HTTP/1.1 and HTTP/2, and the client Transport.

// ---------------------------------------------------------------------------
// helpers

// advServer starts a real HTTP/1.1 server on loopback whose error log (which
// net/http writes panics and superfluous WriteHeader calls to) is discarded.
func advServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// advServerH2 starts a real HTTP/2 server over TLS on loopback.
func advServerH2(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// advClient is a client of its own, whose idle connections are closed at
// the end of the test (no goroutine outlives it).
func advClient(t *testing.T, rt http.RoundTripper) *http.Client {
	t.Helper()
	if rt == nil {
		rt = &http.Transport{}
	}
	c := &http.Client{Transport: rt, Timeout: 20 * time.Second}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// advRaw sends req, verbatim, on a new connection to addr and returns the
// response's status line ("" when the server closed the connection first).
func advRaw(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimRight(line, "\r\n")
}

// advWait waits until m has recorded n spans (or 5 s have passed) and
// returns what it recorded, failing unless that is exactly n.
func advWait(t *testing.T, m *mock.Tracer, n int) []mock.Span {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	spans := m.FinishedSpans()
	for len(spans) < n && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
		spans = m.FinishedSpans()
	}
	time.Sleep(20 * time.Millisecond) // let an extra span show up, if any
	spans = m.FinishedSpans()
	if len(spans) != n {
		t.Fatalf("recorded %d spans, want %d: %v", len(spans), n, advOps(spans))
	}
	return spans
}

func advOps(spans []mock.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, fmt.Sprintf("%s %v", s.Operation, s.Tags["http.url"]))
	}
	return out
}

// advNoTag fails if s carries key.
func advNoTag(t *testing.T, s mock.Span, key string) {
	t.Helper()
	if v, found := s.Tags[key]; found {
		t.Errorf("span %.80q has tag %s=%v, want none", s.Operation, key, v)
	}
}

// advGet GETs url with c and returns the status and body.
func advGet(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %.80s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// strictTracer is the mock tracer with spans that count every call made on
// them after Finish, which the OpenTracing API forbids (only Context may be
// called then): a backend may have sent the span, and tracers such as
// Jaeger's race with their reporter on it.
type strictTracer struct {
	*mock.Tracer
	late atomic.Int64
	what sync.Map // method name -> struct{}
}

func (st *strictTracer) StartSpan(op string, opts ...opentracing.StartSpanOption) opentracing.Span {
	return &strictSpan{Span: st.Tracer.StartSpan(op, opts...), t: st}
}

type strictSpan struct {
	opentracing.Span
	t    *strictTracer
	done atomic.Bool
}

func (s *strictSpan) check(what string) {
	if s.done.Load() {
		s.t.late.Add(1)
		s.t.what.Store(what, struct{}{})
	}
}

func (s *strictSpan) SetTag(k string, v any) opentracing.Span {
	s.check("SetTag(" + k + ")")
	s.Span.SetTag(k, v)
	return s
}

func (s *strictSpan) LogFields(f ...otlog.Field) { s.check("LogFields"); s.Span.LogFields(f...) }
func (s *strictSpan) LogKV(kv ...any)            { s.check("LogKV"); s.Span.LogKV(kv...) }
func (s *strictSpan) SetOperationName(n string) opentracing.Span {
	s.check("SetOperationName")
	s.Span.SetOperationName(n)
	return s
}

func (s *strictSpan) SetBaggageItem(k, v string) opentracing.Span {
	s.check("SetBaggageItem")
	s.Span.SetBaggageItem(k, v)
	return s
}

func (s *strictSpan) Finish() { s.FinishWithOptions(opentracing.FinishOptions{}) }
func (s *strictSpan) FinishWithOptions(o opentracing.FinishOptions) {
	s.check("Finish")
	s.done.Store(true)
	s.Span.FinishWithOptions(o)
}

func newStrict(t *testing.T, opts ...core.Option) (*core.Tracer, *strictTracer) {
	t.Helper()
	mt, err := mock.New(backend.Config{ServiceName: "strict", SampleRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	st := &strictTracer{Tracer: mt}
	tr, err := core.Wrap(st, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr, st
}

func (st *strictTracer) lateCalls() string {
	var out []string
	st.what.Range(func(k, _ any) bool { out = append(out, k.(string)); return true })
	return strings.Join(out, ", ")
}

// spanIDOf returns the span id of a W3C traceparent header value.
func spanIDOf(traceparent string) string {
	parts := strings.Split(traceparent, "-")
	if len(parts) != 4 {
		return ""
	}
	return parts[2]
}

func hex16(id uint64) string { return fmt.Sprintf("%016x", id) }

// ---------------------------------------------------------------------------
// requests

// TestAdversarialAbsoluteFormTargets: a client may send the request target in
// absolute form (as to a proxy), with userinfo, a fragment and secret query
// values; net/http serves it. http.url and every URL-valued attribute must
// show it without any of them.
func TestAdversarialAbsoluteFormTargets(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes("URL", "RequestURI", "GET", "path", "META", "Host"))
	srv := advServer(t, tr.Middleware(ok))
	addr := srv.Listener.Addr().String()
	for _, tc := range []struct{ target, url string }{
		{"http://alice:S3CRET1@h.example/p?access_token=S3CRET2&page=1", "http://h.example/p?access_token=REDACTED&page=1"},
		{"HTTP://bob:S3CRET3@h.example:8080/x", "HTTP://h.example:8080/x"},
		{"http://h.example/cb?state=ok#access_token=S3CRET4", "http://h.example/cb?state=ok"},
		{"http://carol:S3CRET5@h.example", "http://h.example"},
		{"http://dave:S3CRET6@h.example?key=S3CRET7", "http://h.example?key=REDACTED"},
		{"https://u%40x:S3CRET8%40@h.example/", "https://h.example/"},
	} {
		m.Reset()
		line := advRaw(t, addr, "GET "+tc.target+" HTTP/1.1\r\nHost: h.example\r\nConnection: close\r\n\r\n")
		if !strings.HasPrefix(line, "HTTP/1.1 200") {
			t.Errorf("%s: %q", tc.target, line)
			continue
		}
		s := advWait(t, m, 1)[0]
		wantNoSecret(t, []mock.Span{s}, "S3CRET", "alice", "bob", "carol", "dave")
		wantTag(t, s, "http.url", tc.url)
	}
}

// TestAdversarialOptionsStar: "OPTIONS *" reaches the handler when the
// server's general OPTIONS handler is off; the span says what it is.
func TestAdversarialOptionsStar(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes(core.TracedAttributes()...))
	srv := httptest.NewUnstartedServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
	})))
	srv.Config.DisableGeneralOptionsHandler = true
	srv.Start()
	defer srv.Close()
	line := advRaw(t, srv.Listener.Addr().String(), "OPTIONS * HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	if !strings.HasPrefix(line, "HTTP/1.1 204") {
		t.Fatalf("status line %q", line)
	}
	s := advWait(t, m, 1)[0]
	wantTag(t, s, "http.url", "*")
	wantTag(t, s, "http.method", "OPTIONS")
	wantTag(t, s, "http.status_code", uint16(204))
	if s.Operation != "HTTP OPTIONS" {
		t.Errorf("operation %q", s.Operation)
	}
}

// TestAdversarialConnectUserinfo: net/http reads a CONNECT target in
// authority form, and accepts userinfo in it ("CONNECT user:pass@host:443":
// readRequest parses it as "http://"+target, so r.URL.User is set). The
// span's http.url (and the RequestURI attribute) must not show the
// password, as for every other form of target.
func TestAdversarialConnectUserinfo(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes("URL", "RequestURI", "Host", "META"))
	var user string
	srv := advServer(t, tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.User != nil {
			user = r.URL.User.String()
		}
		w.WriteHeader(http.StatusOK)
	})))
	addr := srv.Listener.Addr().String()

	line := advRaw(t, addr, "CONNECT h.example:443 HTTP/1.1\r\nHost: h.example:443\r\n\r\n")
	if !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("plain CONNECT: %q", line)
	}
	s := advWait(t, m, 1)[0]
	wantTag(t, s, "http.method", "CONNECT")
	wantTag(t, s, "http.url", "h.example:443")

	m.Reset()
	line = advRaw(t, addr, "CONNECT alice:S3CRET@h.example:443 HTTP/1.1\r\nHost: h.example:443\r\n\r\n")
	if !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("CONNECT with userinfo: %q", line)
	}
	if user != "alice:S3CRET" {
		t.Fatalf("net/http parsed the userinfo as %q; the premise of the test is wrong", user)
	}
	s = advWait(t, m, 1)[0]
	wantNoSecret(t, []mock.Span{s}, "S3CRET")
}

// TestAdversarialHugeURL: a 1 MB request target through a real server (the
// default MaxHeaderBytes lets it in): served, every tag within the cap, the
// secret at the start of the query and the token at the end of the path
// hidden, and the work bounded.
func TestAdversarialHugeURL(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes(core.TracedAttributes()...))
	srv := advServer(t, tr.Middleware(ok))
	c := advClient(t, nil)
	pad := strings.Repeat("a", 500_000)
	for _, u := range []string{
		srv.URL + "/x?access_token=S3CRET1&pad=" + pad + "&pad2=" + pad,
		srv.URL + "/" + pad + "/" + pad + "/" + jwt("S3CRET2"),
		srv.URL + "/y?" + strings.Repeat("k=v&", 250_000) + "token=S3CRET3",
		srv.URL + "/z?" + strings.Repeat("%41", 333_333) + "=1&session=S3CRET4",
	} {
		m.Reset()
		if code, body := advGet(t, c, u); code != 200 || body != "ok" {
			t.Fatalf("served %d %q", code, body)
		}
		s := advWait(t, m, 1)[0]
		wantCapped(t, s, core.DefaultMaxTagLength)
		wantNoSecret(t, []mock.Span{s}, "S3CRET")
		if n := spanBytes(s); n > 32<<10 {
			t.Errorf("a 1 MB URL recorded %d bytes of strings", n)
		}
	}
}

// TestAdversarialInvalidBytes: invalid UTF-8 and escaped NULs in the path,
// query and headers are served, and the JSON-valued attributes stay valid
// JSON in valid UTF-8; a raw NUL in the target is net/http's 400, untraced.
func TestAdversarialInvalidBytes(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes(core.TracedAttributes()...))
	srv := advServer(t, tr.Middleware(ok))
	addr := srv.Listener.Addr().String()
	req := "GET /p\xff\xfe/%00/%ff?q=\xff%00&token=S3CRET\xff&x=%C0%AF HTTP/1.1\r\n" +
		"Host: h\r\n" +
		"X-Bin: \xff\xfe\x80 \"quoted\" back\\slash <tag> &amp;\r\n" +
		"X-Latin: caf\xe9\r\n" +
		"Cookie: a=1; b\xff=2; sess=S3CRET\r\n" +
		"Authorization: Bearer S3CRET\xffabcdefgh\r\n" +
		"Referer: http://u:S3CRET@r.example/\xff?token=S3CRET\r\n" +
		"Connection: close\r\n\r\n"
	if line := advRaw(t, addr, req); !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("status line %q", line)
	}
	s := advWait(t, m, 1)[0]
	wantNoSecret(t, []mock.Span{s}, "S3CRET")
	for _, k := range []string{"META", "Header", "headers", "COOKIES"} {
		v, _ := s.Tags[k].(string)
		if !json.Valid([]byte(v)) || !utf8.ValidString(v) {
			t.Errorf("%s is not valid JSON in UTF-8: %q", k, v)
		}
	}

	m.Reset()
	if line := advRaw(t, addr, "GET /a\x00b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"); !strings.HasPrefix(line, "HTTP/1.1 400") {
		t.Errorf("raw NUL in the target: %q, want net/http's 400", line)
	}
	if line := advRaw(t, addr, "GET / HTTP/1.1\r\nHost: h\r\nX-Nul: a\x00b\r\nConnection: close\r\n\r\n"); !strings.HasPrefix(line, "HTTP/1.1 400") {
		t.Errorf("raw NUL in a header: %q, want net/http's 400", line)
	}
	time.Sleep(20 * time.Millisecond)
	if n := len(m.FinishedSpans()); n != 0 {
		t.Errorf("%d spans for requests net/http rejected", n)
	}
}

// TestAdversarialQuerySecrets: secret keys escaped, folded, repeated, split
// by ";", empty, behind a fragment, and with NULs; the harmless pairs stay.
func TestAdversarialQuerySecrets(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes("URL", "RequestURI", "GET", "META"))
	var got []string
	srv := advServer(t, tr.Middleware(http.AllowQuerySemicolons(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.FormValue("password")+r.FormValue("api_key")+r.FormValue("token")+r.FormValue("access_token"))
	}))))
	addr := srv.Listener.Addr().String()
	for _, q := range []string{
		"pass%77ord=S3CRETa&page=2",
		"api%5Fkey=S3CRETb&page=2",
		"api%5Fkey=&page=2",
		"token=S3CRETc&token=S3CRETd&page=2",
		"page=2;access_token=S3CRETe;x=1",
		"TOKEN=S3CRETf&page=2",
		"%74oken=S3CRETg&page=2",
		"+token=S3CRETh&page=2",
		"token%00=S3CRETi&page=2",
		"token=S3CRETj%26page%3D3&page=2",
		"page=2&token",
		"page=2#token=S3CRETk",
		"t%6Fk%65n=S3CRETl&page=2",
		"pass=a=b=S3CRETm&page=2",
		"&&&token=S3CRETn&&page=2",
	} {
		m.Reset()
		if line := advRaw(t, addr, "GET /q?"+q+" HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"); !strings.HasPrefix(line, "HTTP/1.1 200") {
			t.Errorf("%s: %q", q, line)
			continue
		}
		s := advWait(t, m, 1)[0]
		wantNoSecret(t, []mock.Span{s}, "S3CRET")
		if u, _ := s.Tags["http.url"].(string); !strings.Contains(u, "page=2") {
			t.Errorf("%s: http.url %q lost the harmless page=2", q, u)
		}
	}
	if len(got) == 0 || !strings.Contains(strings.Join(got, ""), "S3CRET") {
		t.Errorf("the handler never read a secret (%q): the targets do not carry what they claim", got)
	}
}

// TestAdversarialEscapedJWTInQuery: "A value holding a JSON Web Token is
// redacted whatever its key" (DefaultRedactedQueryKeys). A token whose dots
// are percent-encoded is the same token to the handler (r.FormValue decodes
// it), yet the check reads the raw value.
func TestAdversarialEscapedJWTInQuery(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes("GET", "URL"))
	var seen string
	srv := advServer(t, tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.FormValue("state")
	})))
	escaped := strings.ReplaceAll(jwt("S3CRETsig"), ".", "%2E")
	if code, _ := advGet(t, advClient(t, nil), srv.URL+"/cb?state="+escaped+"&page=2"); code != 200 {
		t.Fatalf("served %d", code)
	}
	if seen != jwt("S3CRETsig") {
		t.Fatalf("the handler read state=%q, not the token", seen)
	}
	wantNoSecret(t, advWait(t, m, 1), "S3CRET")
}

// TestAdversarialPathTokens: the docs redact JSON Web Tokens in paths and
// nothing else there (a path segment is no key=value pair): a JWT segment is
// REDACTED in http.url and every path attribute, an opaque token segment is
// kept.
func TestAdversarialPathTokens(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes("path", "path_info", "URL", "RequestURI", "META"))
	srv := advServer(t, tr.Middleware(ok))
	c := advClient(t, nil)
	advGet(t, c, srv.URL+"/verify/"+jwt("S3CRETp")+"/done")
	s := advWait(t, m, 1)[0]
	wantNoSecret(t, []mock.Span{s}, "S3CRET")
	wantTag(t, s, "http.url", "/verify/REDACTED/done")
	wantTag(t, s, "path", "/verify/REDACTED/done")

	m.Reset()
	advGet(t, c, srv.URL+"/reset/opaque-token-123")
	s = advWait(t, m, 1)[0]
	wantTag(t, s, "http.url", "/reset/opaque-token-123")
}

// TestAdversarialManyHeaders: 5,000 headers (within net/http's 1 MB limit)
// render at most DefaultMaxTaggedHeaders, counted; secrets stay hidden.
func TestAdversarialManyHeaders(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes("META", "Header", "headers", "COOKIES"))
	srv := advServer(t, tr.Middleware(ok))
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	for i := range 5000 {
		req.Header.Set(fmt.Sprintf("X-H-%05d", i), "v")
	}
	req.Header.Set("Authorization", "Bearer S3CRETauth")
	req.Header.Set("A-Token", "S3CRETtok")
	var cookies []string
	for i := range 3000 {
		cookies = append(cookies, fmt.Sprintf("c%d=S3CRETc%d", i, i))
	}
	req.Header.Set("Cookie", strings.Join(cookies, "; "))
	resp, err := advClient(t, nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("served %d", resp.StatusCode)
	}
	s := advWait(t, m, 1)[0]
	wantNoSecret(t, []mock.Span{s}, "S3CRET")
	wantCapped(t, s, core.DefaultMaxTagLength)
	if h, _ := s.Tags["Header"].(string); !strings.Contains(h, "more headers") {
		t.Errorf("Header does not count the headers left out: %.200s", h)
	}
}

// TestAdversarialAuthorizationCasing: whatever the casing on the wire
// (HTTP/1.1 canonicalises, HTTP/2 lower-cases), Authorization, Cookie and
// their kin are REDACTED everywhere, allowlisted or not.
func TestAdversarialAuthorizationCasing(t *testing.T) {
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprintf("allowlist=%v", allow), func(t *testing.T) {
			opts := []core.Option{core.WithTraceAll(true), core.WithTracedAttributes("META", "Header", "headers")}
			if allow {
				opts = append(opts, core.WithTaggedHeaders("authorization", "COOKIE", "Proxy-Authorization", "x-request-id"))
			}
			tr, m := newMock(t, opts...)
			srv := advServer(t, tr.Middleware(ok))
			addr := srv.Listener.Addr().String()
			for _, name := range []string{"authorization", "AUTHORIZATION", "aUtHoRiZaTiOn", "Authorization", "proxy-AUTHORIZATION", "cookie", "COOKIE", "x-auth", "X_Auth_Token"} {
				m.Reset()
				req := "GET / HTTP/1.1\r\nHost: h\r\n" + name + ": S3CRETvalue\r\nX-Request-Id: rid-1\r\nConnection: close\r\n\r\n"
				if line := advRaw(t, addr, req); !strings.HasPrefix(line, "HTTP/1.1 200") {
					t.Errorf("%s: %q", name, line)
					continue
				}
				s := advWait(t, m, 1)[0]
				wantNoSecret(t, []mock.Span{s}, "S3CRET")
				if h, _ := s.Tags["Header"].(string); !strings.Contains(h, "rid-1") {
					t.Errorf("%s: Header lost X-Request-Id: %s", name, h)
				}
			}
			// HTTP/2: header names arrive lower-cased.
			m.Reset()
			h2 := advServerH2(t, tr.Middleware(ok))
			req, _ := http.NewRequest("GET", h2.URL+"/", nil)
			req.Header["authorization"] = []string{"S3CRETh2"}
			req.Header["cookie"] = []string{"s=S3CRETh2c"}
			req.Header.Set("X-Request-Id", "rid-2")
			c := h2.Client()
			defer c.CloseIdleConnections()
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.ProtoMajor != 2 {
				t.Fatalf("proto %s", resp.Proto)
			}
			wantNoSecret(t, advWait(t, m, 1), "S3CRET")
		})
	}
}

// TestAdversarialMetaStyleNames: META-style names (Django's
// "HTTP_AUTHORIZATION") are no traced attribute: a clear error at start-up
// that lists the valid ones; and the META attribute itself hides
// HTTP_AUTHORIZATION and HTTP_COOKIE, allowlisted or not.
func TestAdversarialMetaStyleNames(t *testing.T) {
	_, err := core.New("mock", core.WithTracedAttributes("HTTP_AUTHORIZATION"))
	if !errors.Is(err, core.ErrBadOption) || !strings.Contains(err.Error(), "HTTP_AUTHORIZATION") || !strings.Contains(err.Error(), "META") {
		t.Errorf("WithTracedAttributes(HTTP_AUTHORIZATION): %v; want ErrBadOption naming it and listing META", err)
	}
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes("META"),
		core.WithTaggedHeaders("Authorization", "Cookie", "X-Request-Id", "HTTP_X_FORWARDED_FOR"))
	func() {
		defer func() {
			if v := recover(); v == nil {
				t.Error("Trace(HTTP_COOKIE) did not panic")
			}
		}()
		tr.Trace("HTTP_COOKIE")
	}()
	srv := advServer(t, tr.Middleware(ok))
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Header.Set("Authorization", "Basic YWxpY2U6UzNDUkVU") // alice:S3CRET
	req.Header.Set("Cookie", "sid=S3CRET")
	req.Header.Set("X-Request-Id", "rid-9")
	req.Header.Set("Http-Authorization", "S3CRET-lookalike")
	resp, err := advClient(t, nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s := advWait(t, m, 1)[0]
	wantNoSecret(t, []mock.Span{s}, "S3CRET", "YWxpY2U6UzNDUkVU")
	meta, _ := s.Tags["META"].(string)
	var obj map[string]string
	if err := json.Unmarshal([]byte(meta), &obj); err != nil {
		t.Fatalf("META is not a JSON object of strings: %v: %s", err, meta)
	}
	for k, want := range map[string]string{"HTTP_AUTHORIZATION": "REDACTED", "HTTP_COOKIE": "REDACTED", "HTTP_X_REQUEST_ID": "rid-9", "REQUEST_METHOD": "GET"} {
		if obj[k] != want {
			t.Errorf("META[%s] = %q, want %q", k, obj[k], want)
		}
	}
}

// ---------------------------------------------------------------------------
// responses

// TestAdversarialStatusMatchesWire: whatever the handler does, the span's
// http.status_code is the status the client received, and error=true is set
// exactly for a 5xx it received. net/http sends 200 implicitly on the first
// Write, Flush or ReadFrom, ignores (and logs as superfluous) any later
// WriteHeader, and sends 1xx codes as informational responses.
func TestAdversarialStatusMatchesWire(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
	}{
		{"never writes", func(w http.ResponseWriter, r *http.Request) {}},
		{"headers only", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }},
		{"103 then body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			_, _ = io.WriteString(w, "body")
		}},
		{"103 then 200", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusOK)
		}},
		{"100 then 201", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusContinue)
			w.WriteHeader(http.StatusCreated)
		}},
		{"WriteHeader twice", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			w.WriteHeader(http.StatusInternalServerError)
		}},
		{"500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }},
		{"Write then http.Error 500", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "partial")
			http.Error(w, "failed late", http.StatusInternalServerError)
		}},
		{"Flush then WriteHeader 503", func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush()
			w.WriteHeader(http.StatusServiceUnavailable)
		}},
		{"ReadFrom then WriteHeader 502", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.(io.ReaderFrom).ReadFrom(strings.NewReader("from reader"))
			w.WriteHeader(http.StatusBadGateway)
		}},
		{"WriteString then WriteHeader 500", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "s")
			w.WriteHeader(http.StatusInternalServerError)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, m := newMock(t, core.WithTraceAll(true))
			srv := advServer(t, tr.Middleware(tc.h))
			resp, err := advClient(t, nil).Get(srv.URL + "/")
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			s := advWait(t, m, 1)[0]
			wantTag(t, s, "http.status_code", uint16(resp.StatusCode))
			if _, isErr := s.Tags["error"]; isErr != (resp.StatusCode >= 500) {
				t.Errorf("client received %d; span error tag present = %v", resp.StatusCode, isErr)
			}
		})
	}
}

// TestAdversarialInvalidStatusCode: WriteHeader(1000) (or 99) panics inside
// net/http ("invalid WriteHeader code"), and nothing is sent: the span must
// say error, and claim no status that was never sent.
func TestAdversarialInvalidStatusCode(t *testing.T) {
	for _, code := range []int{99, 1000} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			tr, m := newMock(t, core.WithTraceAll(true))
			srv := advServer(t, tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) })))
			if resp, err := advClient(t, nil).Get(srv.URL + "/"); err == nil {
				resp.Body.Close()
				t.Fatalf("net/http sent %d", resp.StatusCode)
			}
			s := advWait(t, m, 1)[0]
			wantTag(t, s, "error", true)
			advNoTag(t, s, "http.status_code")
		})
	}
}

// TestAdversarialPanics: a handler's panic (a value, an error, or
// http.ErrAbortHandler, net/http's quiet abort) is re-raised unchanged, the
// span finished with error=true and no status unless one was sent; the
// server keeps serving.
func TestAdversarialPanics(t *testing.T) {
	for _, tc := range []struct {
		name       string
		h          http.HandlerFunc
		wantStatus bool
	}{
		{"value", func(w http.ResponseWriter, r *http.Request) { panic("boom") }, false},
		{"abort", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }, false},
		{"nil", func(w http.ResponseWriter, r *http.Request) { panic(nil) }, false},
		{"after WriteHeader+Flush", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}, true},
		{"after Write+Flush", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, m := newMock(t, core.WithTraceAll(true))
			var reraised atomic.Value
			mux := http.NewServeMux()
			mux.Handle("/panic", tr.Middleware(tc.h))
			outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer func() {
					v := recover()
					reraised.Store(fmt.Sprintf("%T %v", v, v))
					if v != nil {
						panic(v)
					}
				}()
				mux.ServeHTTP(w, r)
			})
			srv := advServer(t, outer)
			c := advClient(t, nil)
			resp, err := c.Get(srv.URL + "/panic")
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if err == nil {
				t.Error("the client got a whole response from a panicking handler")
			}
			s := advWait(t, m, 1)[0]
			wantTag(t, s, "error", true)
			if tc.wantStatus {
				wantTag(t, s, "http.status_code", uint16(200))
			} else {
				advNoTag(t, s, "http.status_code")
			}
			if got, _ := reraised.Load().(string); got == "" || strings.HasSuffix(got, "<nil>") && tc.name != "nil" {
				t.Errorf("re-raised %q", got)
			}
			if tc.name == "abort" && reraised.Load().(string) != fmt.Sprintf("%T %v", http.ErrAbortHandler, http.ErrAbortHandler) {
				t.Errorf("ErrAbortHandler re-raised as %q", reraised.Load())
			}
			// The server keeps serving.
			m.Reset()
			if code, _ := advGet(t, c, srv.URL+"/missing"); code != 404 {
				t.Errorf("after the panic the server answered %d", code)
			}
		})
	}
}

// TestAdversarialGoexitFinishesSpan: a handler that ends its goroutine with
// runtime.Goexit (t.FailNow in a test handler, a log-and-exit helper) runs
// deferred calls but does not panic: "spans always finish".
func TestAdversarialGoexitFinishesSpan(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { runtime.Goexit() }))
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
	<-done
	if n := len(m.FinishedSpans()); n != 1 {
		t.Errorf("after runtime.Goexit in the handler, %d spans finished, want 1 (tracer stats %+v)", n, tr.Stats())
	}
}

// TestAdversarialHijack: a websocket-like upgrade through the wrapped writer,
// by type assertion and by http.ResponseController: the exchange works, the
// span finishes when the handler returns, and claims no status (net/http
// never sent one). A WriteHeader after the hijack is ignored by net/http
// ("response.WriteHeader on hijacked connection"), and by the span too.
func TestAdversarialHijack(t *testing.T) {
	for _, tc := range []struct {
		name     string
		hijack   func(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error)
		writeAft bool
	}{
		{"assertion", func(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error) { return w.(http.Hijacker).Hijack() }, false},
		{"controller", func(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error) {
			return http.NewResponseController(w).Hijack()
		}, false},
		{"WriteHeader after hijack", func(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error) {
			return w.(http.Hijacker).Hijack()
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, m := newMock(t, core.WithTraceAll(true))
			srv := advServer(t, tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, rw, err := tc.hijack(w)
				if err != nil {
					t.Errorf("hijack: %v", err)
					return
				}
				defer c.Close()
				echoUpgrade(rw)
				if tc.writeAft {
					w.WriteHeader(http.StatusOK)
				}
			})))
			c, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			_, _ = io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil || resp.StatusCode != 101 {
				t.Fatalf("upgrade: %v %v", resp, err)
			}
			_, _ = io.WriteString(c, "ping\n")
			if line, _ := br.ReadString('\n'); line != "echo:ping\n" {
				t.Fatalf("echo %q", line)
			}
			s := advWait(t, m, 1)[0]
			advNoTag(t, s, "http.status_code")
			advNoTag(t, s, "error")
		})
	}
}

// ifaces is what a ResponseWriter offers a handler.
type ifaces struct {
	Flusher, Hijacker, ReaderFrom, Pusher, StringWriter, CloseNotifier  bool
	FlushErr, ReadDeadlineErr, WriteDeadlineErr, FullDuplexErr, PushErr string
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// probe lists w's interfaces and what http.ResponseController makes of it.
func probe(w http.ResponseWriter) ifaces {
	var f ifaces
	_, f.Flusher = w.(http.Flusher)
	_, f.Hijacker = w.(http.Hijacker)
	_, f.ReaderFrom = w.(io.ReaderFrom)
	_, f.StringWriter = w.(io.StringWriter)
	_, f.CloseNotifier = w.(http.CloseNotifier) //nolint:staticcheck // probed on purpose
	var p http.Pusher
	p, f.Pusher = w.(http.Pusher)
	if f.Pusher {
		f.PushErr = errString(p.Push("/pushed.css", nil))
	}
	rc := http.NewResponseController(w)
	f.FlushErr = errString(rc.Flush())
	f.ReadDeadlineErr = errString(rc.SetReadDeadline(time.Now().Add(time.Minute)))
	f.WriteDeadlineErr = errString(rc.SetWriteDeadline(time.Now().Add(time.Minute)))
	f.FullDuplexErr = errString(rc.EnableFullDuplex())
	return f
}

// TestAdversarialWriterInterfaces: on HTTP/1.1 and HTTP/2 alike, the wrapped
// writer offers exactly the interfaces the server's writer offers, and
// http.ResponseController's Flush, SetReadDeadline, SetWriteDeadline and
// EnableFullDuplex (which reach the server's writer through Unwrap) do
// exactly what they do unwrapped. Differential: the same probe runs outside
// and inside the middleware, on the same request.
func TestAdversarialWriterInterfaces(t *testing.T) {
	for _, proto := range []string{"HTTP/1.1", "HTTP/2"} {
		t.Run(proto, func(t *testing.T) {
			tr, m := newMock(t, core.WithTraceAll(true), core.WithResponseSize(true))
			var outer, inner ifaces
			traced := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inner = probe(w)
				_, _ = io.WriteString(w, "ok")
			}))
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				outer = probe(w)
				traced.ServeHTTP(w, r)
			})
			var srv *httptest.Server
			var c *http.Client
			if proto == "HTTP/2" {
				srv = advServerH2(t, h)
				c = srv.Client()
				t.Cleanup(c.CloseIdleConnections)
			} else {
				srv = advServer(t, h)
				c = advClient(t, nil)
			}
			resp, err := c.Get(srv.URL + "/")
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.Proto != proto && !(proto == "HTTP/2" && resp.ProtoMajor == 2) {
				t.Fatalf("served over %s", resp.Proto)
			}
			if outer != inner {
				t.Errorf("unwrapped %+v\n  wrapped %+v", outer, inner)
			}
			if proto == "HTTP/2" && !outer.Pusher {
				t.Logf("note: the HTTP/2 writer offers no http.Pusher in this Go version")
			}
			s := advWait(t, m, 1)[0]
			wantTag(t, s, "http.status_code", uint16(200))
			wantTag(t, s, "http.response_size", int64(2))
		})
	}
}

// TestAdversarialFullDuplexThroughWrapper: an HTTP/1.1 handler that enables
// full duplex through http.ResponseController on the wrapped writer can
// interleave reading the request body and writing the response.
func TestAdversarialFullDuplexThroughWrapper(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	srv := advServer(t, tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.EnableFullDuplex(); err != nil {
			t.Errorf("EnableFullDuplex: %v", err)
			return
		}
		w.WriteHeader(200)
		_ = rc.Flush()
		br := bufio.NewReader(r.Body)
		for {
			line, err := br.ReadString('\n')
			if line != "" {
				_, _ = io.WriteString(w, "echo:"+line)
				if err := rc.Flush(); err != nil {
					t.Errorf("Flush: %v", err)
				}
			}
			if err != nil {
				return
			}
		}
	})))
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", srv.URL+"/", pr)
	resp, err := advClient(t, nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for i := range 3 {
		msg := fmt.Sprintf("m%d\n", i)
		if _, err := io.WriteString(pw, msg); err != nil {
			t.Fatal(err)
		}
		if line, err := br.ReadString('\n'); line != "echo:"+msg {
			t.Fatalf("round %d: %q %v", i, line, err)
		}
	}
	pw.Close()
	_, _ = io.Copy(io.Discard, br)
	wantTag(t, advWait(t, m, 1)[0], "http.status_code", uint16(200))
}

// ---------------------------------------------------------------------------
// Transport

// TestAdversarialTransportRedirectHops: http.Client calls RoundTrip once per
// hop, so each hop is a client span (Transport "traces each request it
// sends"), each a child of the caller's span, each hop's server receiving
// exactly its own span's context; a 307's body is replayed (GetBody).
func TestAdversarialTransportRedirectHops(t *testing.T) {
	tr, m := newMock(t)
	type hop struct {
		path, body string
		parents    []string
	}
	var mu sync.Mutex
	var hops []hop
	srv := advServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		hops = append(hops, hop{r.URL.Path, string(body), r.Header.Values("Traceparent")})
		mu.Unlock()
		switch r.URL.Path {
		case "/a":
			http.Redirect(w, r, "/b", http.StatusTemporaryRedirect)
		case "/b":
			http.Redirect(w, r, "/c", http.StatusPermanentRedirect)
		default:
			_, _ = io.WriteString(w, "done")
		}
	}))
	parent := tr.StartSpan("caller")
	ctx := opentracing.ContextWithSpan(context.Background(), parent)
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/a", strings.NewReader("payload"))
	resp, err := advClient(t, tr.Transport(nil)).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	parent.Finish()
	if string(body) != "done" {
		t.Fatalf("body %q", body)
	}
	spans := advWait(t, m, 4)
	byID := map[string]mock.Span{}
	var callerID uint64
	for _, s := range spans {
		if s.Operation == "caller" {
			callerID = s.SpanID
			continue
		}
		byID[hex16(s.SpanID)] = s
	}
	if len(hops) != 3 {
		t.Fatalf("%d hops", len(hops))
	}
	want := map[string]uint16{"/a": 307, "/b": 308, "/c": 200}
	for _, h := range hops {
		if h.body != "payload" {
			t.Errorf("%s: body %q, want the replayed payload", h.path, h.body)
		}
		if len(h.parents) != 1 {
			t.Errorf("%s: traceparent %q, want exactly one", h.path, h.parents)
			continue
		}
		s, found := byID[spanIDOf(h.parents[0])]
		if !found {
			t.Errorf("%s: traceparent %s names no client span", h.path, h.parents[0])
			continue
		}
		if s.ParentID != callerID {
			t.Errorf("%s: client span's parent %x, want the caller %x", h.path, s.ParentID, callerID)
		}
		wantTag(t, s, "http.status_code", want[h.path])
		wantTag(t, s, "http.url", srv.URL+h.path)
	}
}

// TestAdversarialTransportStreamedBody: a request body streamed through a
// pipe reaches the server whole; the span finishes once the response body is
// read to EOF.
func TestAdversarialTransportStreamedBody(t *testing.T) {
	tr, m := newMock(t)
	srv := advServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, n)
	}))
	pr, pw := io.Pipe()
	go func() {
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for range 32 {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("PUT", srv.URL+"/up", pr)
	resp, err := advClient(t, tr.Transport(nil)).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != fmt.Sprint(32*64<<10) {
		t.Errorf("server read %s bytes", body)
	}
	s := advWait(t, m, 1)[0] // finished at EOF, before Close
	resp.Body.Close()
	wantTag(t, s, "http.status_code", uint16(200))
	advNoTag(t, s, "error")
	if m.DoubleFinishes() != 0 {
		t.Error("double finish")
	}
}

// TestAdversarialTransportCancelMidRequestBody: the context ends while the
// request body is still being sent: RoundTrip fails, the span finishes with
// error=true, nothing leaks.
func TestAdversarialTransportCancelMidRequestBody(t *testing.T) {
	tr, m := newMock(t)
	got := make(chan struct{})
	var once sync.Once
	srv := advServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 1024)
		for {
			n, err := r.Body.Read(buf)
			if n > 0 {
				once.Do(func() { close(got) })
			}
			if err != nil {
				return
			}
		}
	}))
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_, _ = pw.Write([]byte("first chunk"))
		<-got
		cancel()
		// net/http's RoundTrip waits, after a cancel, for its writer to stop
		// copying the body, which blocks on the pipe: the producer stops too.
		time.Sleep(20 * time.Millisecond)
		_ = pw.CloseWithError(errors.New("producer stopped"))
	}()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/", pr)
	resp, err := advClient(t, tr.Transport(nil)).Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("RoundTrip succeeded after cancel")
	}
	s := advWait(t, m, 1)[0]
	wantTag(t, s, "error", true)
	if len(s.Logs) == 0 {
		t.Error("no error log")
	}
}

// TestAdversarialTransportCancelMidResponseBody: the context ends while the
// response body is being read: the read fails and finishes the span with
// error=true.
func TestAdversarialTransportCancelMidResponseBody(t *testing.T) {
	tr, m := newMock(t)
	srv := advServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/stream", nil)
	resp, err := advClient(t, tr.Transport(nil)).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, _ := br.ReadString('\n'); line != "first\n" {
		t.Fatalf("first line %q", line)
	}
	if n := len(m.FinishedSpans()); n != 0 {
		t.Fatalf("span finished mid-body (%d)", n)
	}
	cancel()
	if _, err := io.ReadAll(br); err == nil {
		t.Fatal("read to the end after cancel")
	}
	s := advWait(t, m, 1)[0]
	wantTag(t, s, "error", true)
	wantTag(t, s, "http.status_code", uint16(200))
}

// TestAdversarialTransportBodyLifecycle: the docs say the client span
// finishes when the response body is closed or read to EOF, whichever comes
// first (and at once for no body or HEAD). A body never closed leaves it
// open; closing early finishes it without error; Close after EOF does not
// finish it again.
func TestAdversarialTransportBodyLifecycle(t *testing.T) {
	tr, m := newMock(t)
	big := strings.Repeat("y", 1<<20)
	srv := advServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		default:
			_, _ = io.WriteString(w, big)
		}
	}))
	c := advClient(t, tr.Transport(nil))

	resp, err := c.Get(srv.URL + "/never")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(m.FinishedSpans()); n != 0 {
		t.Errorf("a body never closed nor read: %d spans finished, want 0 (documented)", n)
	}
	resp.Body.Close()
	advWait(t, m, 1)

	m.Reset()
	resp, err = c.Get(srv.URL + "/early")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	_, _ = io.ReadFull(resp.Body, buf)
	resp.Body.Close()
	s := advWait(t, m, 1)[0]
	advNoTag(t, s, "error")

	m.Reset()
	resp, err = c.Get(srv.URL + "/eof")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	advWait(t, m, 1)
	_, _ = resp.Body.Read(buf) // after EOF
	resp.Body.Close()
	resp.Body.Close()

	for _, path := range []string{"/empty"} {
		m.Reset()
		resp, err = c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		advWait(t, m, 1) // no body: finished at once
		resp.Body.Close()
	}
	m.Reset()
	resp, err = c.Head(srv.URL + "/head")
	if err != nil {
		t.Fatal(err)
	}
	advWait(t, m, 1)
	resp.Body.Close()
	if m.DoubleFinishes() != 0 {
		t.Errorf("%d double finishes", m.DoubleFinishes())
	}
}

// TestAdversarialTransportAbortReadNoLateTags: a common way to abort a
// streaming response is to Close its body from another goroutine while a
// Read is blocked; the Read then fails ("read on closed response body").
// Close finished the span; the failed Read must not tag or log the span
// after it finished (OpenTracing forbids every call but Context then).
func TestAdversarialTransportAbortReadNoLateTags(t *testing.T) {
	tr, st := newStrict(t)
	release := make(chan struct{})
	srv := advServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer close(release)
	resp, err := advClient(t, tr.Transport(nil)).Get(srv.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := resp.Body.Read(make([]byte, 10))
		readErr <- err
	}()
	time.Sleep(20 * time.Millisecond) // the Read is (most likely) blocked
	resp.Body.Close()
	if err := <-readErr; err == nil {
		t.Fatal("the blocked Read succeeded")
	}
	advWait(t, st.Tracer, 1)
	if n := st.late.Load(); n != 0 {
		t.Errorf("%d calls on the client span after it finished: %s", n, st.lateCalls())
	}
}

// TestAdversarialTransportConnectionRefused: a dial error fails the round
// trip with net/http's error, and finishes the span with error=true.
func TestAdversarialTransportConnectionRefused(t *testing.T) {
	tr, m := newMock(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = advClient(t, tr.Transport(nil)).Get("http://" + addr + "/x?token=S3CRET")
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err %v, want connection refused", err)
	}
	s := advWait(t, m, 1)[0]
	wantTag(t, s, "error", true)
	wantNoSecret(t, []mock.Span{s}, "S3CRET")
	if msg, _ := s.Logs[0].Fields["message"].(string); !strings.Contains(msg, "refused") {
		t.Errorf("log message %q", msg)
	}
}

// TestAdversarialTransportNilResponse: a RoundTripper that breaks its
// contract by returning (nil, nil) gets a clear error from http.Client
// ("RoundTripper ... returned a nil *Response with a nil error"). Wrapped by
// Transport, the same client must still get an error, not a panic, and the
// span must finish.
func TestAdversarialTransportNilResponse(t *testing.T) {
	tr, m := newMock(t)
	broken := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, nil })
	if _, err := (&http.Client{Transport: broken}).Get("http://svc.local/"); err == nil {
		t.Fatal("premise: http.Client reports a nil response")
	}
	var err error
	var panicked any
	func() {
		defer func() { panicked = recover() }()
		_, err = (&http.Client{Transport: tr.Transport(broken)}).Get("http://svc.local/")
	}()
	if panicked != nil {
		t.Fatalf("the traced client panicked: %v", panicked)
	}
	if err == nil {
		t.Error("no error")
	}
	s := onlySpan(t, m)
	wantTag(t, s, "error", true)

	// (nil, err), the contract's other half, for the record.
	m.Reset()
	failing := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("down") })
	if _, err := (&http.Client{Transport: tr.Transport(failing)}).Get("http://svc.local/"); err == nil || !strings.Contains(err.Error(), "down") {
		t.Errorf("err %v", err)
	}
	wantTag(t, onlySpan(t, m), "error", true)
}

// TestAdversarialTransportRetryOnReusedConn: http.Transport retries an
// idempotent request internally when a reused keep-alive connection dies
// before the response; that is one RoundTrip, so one client span, and both
// attempts carry the same context.
func TestAdversarialTransportRetryOnReusedConn(t *testing.T) {
	tr, m := newMock(t)
	var n atomic.Int32
	var mu sync.Mutex
	var seen []string
	srv := advServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Traceparent"))
		mu.Unlock()
		if n.Add(1) == 2 {
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				c.Close() // the request was read; no response
			}
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	c := advClient(t, tr.Transport(nil))
	if code, _ := advGet(t, c, srv.URL+"/1"); code != 200 {
		t.Fatal(code)
	}
	m.Reset()
	code, body := advGet(t, c, srv.URL+"/2")
	if code != 200 || body != "ok" {
		t.Fatalf("second request: %d %q", code, body)
	}
	if n.Load() != 3 {
		t.Fatalf("server saw %d requests, want 3 (the retry premise failed)", n.Load())
	}
	s := advWait(t, m, 1)[0]
	wantTag(t, s, "http.status_code", uint16(200))
	if seen[1] != seen[2] || spanIDOf(seen[2]) != hex16(s.SpanID) {
		t.Errorf("attempts carried %q and %q, span %x", seen[1], seen[2], s.SpanID)
	}
}

// TestAdversarialTransportReusedRequest: one *http.Request sent twice gives
// two spans, two contexts, and the caller's request is never changed.
func TestAdversarialTransportReusedRequest(t *testing.T) {
	tr, m := newMock(t)
	var seen []string
	srv := advServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, strings.Join(r.Header.Values("Traceparent"), "|"))
	}))
	c := advClient(t, tr.Transport(nil))
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Header.Set("Accept", "x")
	for range 2 {
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if len(req.Header) != 1 {
		t.Errorf("caller's request changed: %v", req.Header)
	}
	spans := advWait(t, m, 2)
	if len(seen) != 2 || seen[0] == seen[1] || strings.Contains(seen[0]+seen[1], "|") {
		t.Errorf("contexts sent %q", seen)
	}
	if spans[0].TraceID == spans[1].TraceID {
		t.Error("two independent calls share a trace")
	}
}

// TestAdversarialTransportStaleContextHeaders: the caller's request may
// already carry propagation headers: copied from the incoming request (a
// proxy), or left from an earlier attempt. Transport "injects the client
// span into a copy of the request's headers"; the next service must receive
// exactly the client span's context: one value per header, no header of a
// configured format left from another context.
func TestAdversarialTransportStaleContextHeaders(t *testing.T) {
	const (
		staleTP    = "00-0000000000000000000000000000beef-000000000000dead-01"
		staleB3    = "000000000000beef-000000000000dead-1"
		staleState = "vendor=stale-from-another-trace"
	)
	for _, tc := range []struct {
		name, propagation string
		stale             http.Header
		check             func(t *testing.T, got http.Header, client mock.Span)
	}{
		{"canonical traceparent and b3", "tracecontext,b3", http.Header{"Traceparent": {staleTP}, "B3": {staleB3}},
			func(t *testing.T, got http.Header, s mock.Span) {
				if v := got.Values("Traceparent"); len(v) != 1 || spanIDOf(v[0]) != hex16(s.SpanID) {
					t.Errorf("traceparent %q, want the client span %x alone", v, s.SpanID)
				}
				if v := got.Values("B3"); len(v) != 1 || !strings.Contains(v[0], hex16(s.SpanID)) {
					t.Errorf("b3 %q, want the client span alone", v)
				}
			}},
		{"lower-case keys set on the map", "tracecontext,b3", http.Header{"traceparent": {staleTP}, "b3": {staleB3}},
			func(t *testing.T, got http.Header, s mock.Span) {
				if v := got.Values("Traceparent"); len(v) != 1 || spanIDOf(v[0]) != hex16(s.SpanID) {
					t.Errorf("the next service received traceparent %q, want the client span %x alone", v, s.SpanID)
				}
				if v := got.Values("B3"); len(v) != 1 {
					t.Errorf("the next service received b3 %q, want one", v)
				}
			}},
		{"stale tracestate", "tracecontext", http.Header{"Traceparent": {staleTP}, "Tracestate": {staleState}},
			func(t *testing.T, got http.Header, s mock.Span) {
				if v := got.Get("Tracestate"); v == staleState {
					t.Errorf("tracestate %q of another trace sent with the client span's traceparent %q", v, got.Get("Traceparent"))
				}
			}},
		{"stale b3multi parent and debug flag", "b3multi", http.Header{
			"X-B3-Traceid": {"000000000000beef"}, "X-B3-Spanid": {"000000000000dead"},
			"X-B3-Parentspanid": {"000000000000f00d"}, "X-B3-Flags": {"1"}, "X-B3-Sampled": {"0"},
		}, func(t *testing.T, got http.Header, s mock.Span) {
			if v := got.Get("X-B3-Spanid"); v != hex16(s.SpanID) {
				t.Errorf("X-B3-SpanId %q, want %x", v, s.SpanID)
			}
			if v := got.Get("X-B3-Parentspanid"); v == "000000000000f00d" {
				t.Errorf("X-B3-ParentSpanId %q of another span sent with the client span's ids", v)
			}
			if v := got.Get("X-B3-Flags"); v == "1" {
				t.Errorf("stale X-B3-Flags: 1 (debug) sent with the client span's ids")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, m := newMock(t, core.WithPropagation(tc.propagation))
			var got http.Header
			srv := advServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
			parent := tr.StartSpan("caller")
			ctx := opentracing.ContextWithSpan(context.Background(), parent)
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/", nil)
			for k, v := range tc.stale {
				req.Header[k] = v
			}
			resp, err := advClient(t, tr.Transport(nil)).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			parent.Finish()
			var client mock.Span
			for _, s := range advWait(t, m, 2) {
				if s.Operation != "caller" {
					client = s
				}
			}
			tc.check(t, got, client)
		})
	}
}

// TestAdversarialTransportHTTP2: over HTTP/2 (TLS, lower-cased headers on the
// wire) the context arrives once and the span finishes at EOF.
func TestAdversarialTransportHTTP2(t *testing.T) {
	tr, m := newMock(t)
	var got []string
	srv := advServerH2(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Values("Traceparent")
		_, _ = io.WriteString(w, r.Proto)
	}))
	base := srv.Client()
	defer base.CloseIdleConnections()
	c := &http.Client{Transport: tr.Transport(base.Transport)}
	code, body := advGet(t, c, srv.URL+"/h2")
	if code != 200 || body != "HTTP/2.0" {
		t.Fatalf("%d %q", code, body)
	}
	s := advWait(t, m, 1)[0]
	if len(got) != 1 || spanIDOf(got[0]) != hex16(s.SpanID) {
		t.Errorf("traceparent %q, span %x", got, s.SpanID)
	}
	wantTag(t, s, "peer.hostname", "127.0.0.1")
}

// TestAdversarialTransportUpgrade: a 101 response's body stays writable
// (net/http gives an io.ReadWriteCloser) through the wrapper; the span ends
// when it is closed.
func TestAdversarialTransportUpgrade(t *testing.T) {
	tr, m := newMock(t)
	srv := advServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		echoUpgrade(rw)
	}))
	// (A client without Timeout: http.Client wraps the body of a request with a
	// deadline in a type of its own, which is not writable.)
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	for _, traced := range []bool{false, true} {
		var rt http.RoundTripper = base
		if traced {
			rt = tr.Transport(base)
		}
		req, _ := http.NewRequest("GET", srv.URL+"/ws", nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "echo")
		resp, err := (&http.Client{Transport: rt}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rwc, isRW := resp.Body.(io.ReadWriteCloser)
		if resp.StatusCode != 101 || !isRW {
			t.Fatalf("traced=%v: status %d, body writable %v", traced, resp.StatusCode, isRW)
		}
		_, _ = io.WriteString(rwc, "ping\n")
		line, _ := bufio.NewReader(rwc).ReadString('\n')
		if line != "echo:ping\n" {
			t.Errorf("traced=%v: echo %q", traced, line)
		}
		rwc.Close()
	}
	s := advWait(t, m, 1)[0]
	wantTag(t, s, "http.status_code", uint16(101))
}

// TestAdversarialConcurrent: many goroutines through a traced front service
// calling a traced back service with one Transport: every span recorded
// once, every back span the child of a client span, under -race.
func TestAdversarialConcurrent(t *testing.T) {
	front, fm := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes("META", "URL"))
	back, bm := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes("Header"))
	backSrv := advServer(t, back.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if back.GetSpan(r) == nil {
			t.Error("no span in back")
		}
		_, _ = io.WriteString(w, "b")
	})))
	hc := advClient(t, front.Transport(nil))
	frontSrv := advServer(t, front.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span := front.GetSpan(r)
		span.SetTag("worker", r.URL.Query().Get("w"))
		req, _ := http.NewRequestWithContext(r.Context(), "GET", backSrv.URL+"/b?token=S3CRET", nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.Copy(w, resp.Body)
		resp.Body.Close()
	})))
	c := advClient(t, nil)
	const workers, each = 16, 10
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				resp, err := c.Get(fmt.Sprintf("%s/f?w=%d&j=%d", frontSrv.URL, i, j))
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	fs := advWait(t, fm, 2*workers*each)
	bs := advWait(t, bm, workers*each)
	clients := map[uint64]mock.Span{}
	for _, s := range fs {
		if s.Tags["span.kind"] == "client" || fmt.Sprint(s.Tags["span.kind"]) == "client" {
			clients[s.SpanID] = s
		}
	}
	if len(clients) != workers*each {
		t.Fatalf("%d client spans", len(clients))
	}
	for _, s := range bs {
		cs, found := clients[s.ParentID]
		if !found || cs.TraceID != s.TraceID {
			t.Errorf("back span %x has parent %x, no client span", s.SpanID, s.ParentID)
		}
	}
	wantNoSecret(t, append(fs, bs...), "S3CRET")
	if fm.DoubleFinishes()+bm.DoubleFinishes() != 0 {
		t.Error("double finishes")
	}
}

// ---------------------------------------------------------------------------
// GetSpan and nesting

// TestAdversarialGetSpanOutsideRequests: GetSpan is nil, safely, for
// anything but a live request this tracer traces.
func TestAdversarialGetSpanOutsideRequests(t *testing.T) {
	tr, _ := newMock(t, core.WithTraceAll(true))
	none, err := core.New("none", core.WithTraceAll(true))
	if err != nil {
		t.Fatal(err)
	}
	defer none.Close()
	for name, r := range map[string]*http.Request{
		"nil":          nil,
		"zero request": {},
		"httptest":     httptest.NewRequest("GET", "/", nil),
		"foreign span": httptest.NewRequest("GET", "/", nil).WithContext(opentracing.ContextWithSpan(context.Background(), tr.StartSpan("x"))),
	} {
		for _, tracer := range []*core.Tracer{tr, none} {
			if s := tracer.GetSpan(r); s != nil {
				t.Errorf("%s: GetSpan = %v", name, s)
			}
		}
	}
	// Held past the handler's return, from another goroutine.
	held := make(chan *http.Request, 1)
	do(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { held <- r })), httptest.NewRequest("GET", "/", nil))
	r := <-held
	done := make(chan opentracing.Span)
	go func() { done <- tr.GetSpan(r) }()
	if s := <-done; s != nil {
		t.Errorf("GetSpan after the request: %v", s)
	}
	// Under none, inside a request: a usable span, nil after.
	var inside opentracing.Span
	do(none.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inside = none.GetSpan(r)
		held <- r
	})), httptest.NewRequest("GET", "/", nil))
	if inside == nil {
		t.Error("none: GetSpan nil inside the request")
	} else {
		inside.SetTag("k", "v").LogKV("event", "x")
	}
	if s := none.GetSpan(<-held); s != nil {
		t.Error("none: GetSpan after the request")
	}
}

// TestAdversarialNestedMiddleware: the same tracer's middleware applied twice
// (a sub-router wrapped by a library, and the whole app by main) must trace
// the request once, as Trace inside Middleware does ("the request is traced
// once, by Tracer.Middleware").
func TestAdversarialNestedMiddleware(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	var inner opentracing.Span
	h := tr.Middleware(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner = tr.GetSpan(r)
	})))
	srv := advServer(t, h)
	advGet(t, advClient(t, nil), srv.URL+"/")
	time.Sleep(20 * time.Millisecond)
	spans := m.FinishedSpans()
	if len(spans) != 1 {
		desc := []string{}
		for _, s := range spans {
			desc = append(desc, fmt.Sprintf("%q trace=%x span=%x parent=%x", s.Operation, s.TraceID, s.SpanID, s.ParentID))
		}
		t.Errorf("nested middleware recorded %d server spans for one request: %s", len(spans), strings.Join(desc, "; "))
	}
	if inner == nil {
		t.Error("no span inside")
	}
}

// echoUpgrade answers an upgrade to the echo protocol on a hijacked
// connection: 101, then the first line it reads, prefixed with "echo:".
func echoUpgrade(rw *bufio.ReadWriter) {
	_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	_ = rw.Flush()
	line, _ := rw.ReadString('\n')
	_, _ = rw.WriteString("echo:" + line)
	_ = rw.Flush()
}
