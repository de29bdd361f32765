package core_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
)

func listItems(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "items") }

func TestTraceAllOffByDefault(t *testing.T) {
	tr, m := newMock(t)
	h := tr.Middleware(ok)
	if w := do(h, httptest.NewRequest("GET", "/", nil)); w.Body.String() != "ok" {
		t.Fatalf("body %q", w.Body)
	}
	if n := len(m.FinishedSpans()); n != 0 {
		t.Fatalf("trace-all off: middleware made %d spans, want 0", n)
	}

	// Only the decorated handler is traced, named after its function.
	mux := http.NewServeMux()
	mux.Handle("/items", tr.Trace("path")(http.HandlerFunc(listItems)))
	mux.Handle("/plain", ok)
	do(tr.Middleware(mux), httptest.NewRequest("GET", "/plain", nil))
	do(tr.Middleware(mux), httptest.NewRequest("GET", "/items", nil))
	s := onlySpan(t, m)
	if s.Operation != "core_test.listItems" {
		t.Errorf("decorated span named %q, want core_test.listItems", s.Operation)
	}
	wantTag(t, s, "path", "/items")
	wantTag(t, s, "span.kind", ext.SpanKindRPCServerEnum)
}

func TestTraceAllTracesEveryRequestOnce(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes("method"))
	mux := http.NewServeMux()
	mux.Handle("/decorated", tr.Trace("path", "Header")(ok))
	mux.Handle("/plain", ok)
	h := tr.Middleware(mux)
	do(h, httptest.NewRequest("GET", "/decorated", nil))
	do(h, httptest.NewRequest("GET", "/plain", nil))
	spans := m.FinishedSpans()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want one per request (2)", len(spans))
	}
	for _, s := range spans {
		wantTag(t, s, "method", "GET")
		for _, ignored := range []string{"path", "Header"} {
			if _, found := s.Tags[ignored]; found {
				t.Errorf("span %q carries the ignored decorator attribute %q", s.Operation, ignored)
			}
		}
	}
	if spans[0].Operation != "GET /decorated" || spans[1].Operation != "GET /plain" {
		t.Errorf("operations %q, %q; want the mux patterns", spans[0].Operation, spans[1].Operation)
	}
}

func TestTraceWithoutMiddlewareUnderTraceAll(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	do(tr.Trace("path")(http.HandlerFunc(listItems)), httptest.NewRequest("GET", "/items", nil))
	s := onlySpan(t, m)
	if _, found := s.Tags["path"]; found {
		t.Error("decorator attributes apply under trace-all; they are ignored")
	}
}

func TestTracedAttributes(t *testing.T) {
	all := []string{"path", "path_info", "method", "scheme", "content_type", "encoding", "GET", "Method", "URL", "Host", "RemoteAddr", "Proto", "RequestURI", "ContentLength"}
	tr, m := newMock(t, core.WithTraceAll(true), core.WithTracedAttributes(all...))
	r := httptest.NewRequest("POST", "http://shop.example/cart?page=2&api_key=k123", strings.NewReader("x=1"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	do(tr.Middleware(ok), r)
	s := onlySpan(t, m)
	for k, want := range map[string]string{
		"path": "/cart", "path_info": "/cart", "method": "POST", "scheme": "http",
		"content_type": "application/x-www-form-urlencoded", "encoding": "utf-8",
		"GET": "page=2&api_key=REDACTED", "Method": "POST", "URL": "http://shop.example/cart?page=2&api_key=REDACTED",
		"Host": "shop.example", "RemoteAddr": "192.0.2.1:1234", "Proto": "HTTP/1.1",
		"RequestURI": "http://shop.example/cart?page=2&api_key=REDACTED", "ContentLength": "3",
	} {
		wantTag(t, s, k, want)
	}
}

func TestUnknownAttributeIsAnError(t *testing.T) {
	_, err := core.New("mock", core.WithTracedAttributes("path", "bogus"))
	if !errors.Is(err, core.ErrBadOption) || !strings.Contains(err.Error(), `"bogus"`) || !strings.Contains(err.Error(), "path_info") {
		t.Fatalf("New with an unknown attribute: %v; want ErrBadOption naming it and listing the valid ones", err)
	}
	if _, err := core.Wrap(opentracing.NoopTracer{}, core.WithTracedAttributes("bogus")); !errors.Is(err, core.ErrBadOption) {
		t.Fatalf("Wrap with an unknown attribute: %v", err)
	}
	tr, _ := newMock(t)
	defer func() {
		if v := recover(); v == nil || !strings.Contains(v.(error).Error(), "valid:") {
			t.Fatalf("Trace(bogus) panicked with %v, want the list of valid names", v)
		}
	}()
	tr.Trace("bogus")
}

func TestSecretsNeverTagged(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true),
		core.WithTracedAttributes("META", "Header", "headers", "COOKIES", "GET", "URL", "RequestURI"),
		core.WithRedactedHeaders("X-Tenant"), core.WithRedactedQueryKeys("ssn"))
	secrets := []string{"s3cr3t-bearer", "proxy-pw", "cookie-val", "apikey-val", "tok-val", "tenant-val", "qs-token", "userpw", "ssn-val"}
	r := httptest.NewRequest("GET", "http://bob:userpw@api.example/a?access_token=qs-token&ssn=ssn-val&q=books", nil)
	r.Header.Set("Authorization", "Bearer s3cr3t-bearer")
	r.Header.Set("Proxy-Authorization", "Basic proxy-pw")
	r.Header.Set("Cookie", "session=cookie-val; theme=dark")
	r.Header.Set("X-Api-Key", "apikey-val")
	r.Header.Set("X-Auth-Token", "tok-val")
	r.Header.Set("X-Tenant-Id", "tenant-val")
	r.Header.Set("Accept", "text/html")
	do(tr.Middleware(ok), r)
	s := onlySpan(t, m)
	for k, v := range s.Tags {
		for _, secret := range secrets {
			if strings.Contains(strings.ToLower(toString(v)), secret) {
				t.Errorf("tag %s=%v leaks %q", k, v, secret)
			}
		}
	}
	if !strings.Contains(s.Tags["Header"].(string), `"Accept":["text/html"]`) {
		t.Errorf("harmless headers should be kept: %v", s.Tags["Header"])
	}
	if !strings.Contains(s.Tags["COOKIES"].(string), `"session":"REDACTED"`) {
		t.Errorf("cookie names are kept, values redacted: %v", s.Tags["COOKIES"])
	}
	if got := s.Tags["http.url"]; got != "http://api.example/a?access_token=REDACTED&ssn=REDACTED&q=books" {
		t.Errorf("http.url = %v", got)
	}
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(fmtAny(v), "\n", " "), "\t", " "))
}

func TestGetSpan(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	var live opentracing.Span
	var r2 *http.Request
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		live = tr.GetSpan(r)
		r2 = r
		if live == nil {
			t.Error("GetSpan is nil inside the handler")
			return
		}
		if opentracing.SpanFromContext(r.Context()) != live {
			t.Error("the span in r.Context() is not GetSpan's")
		}
		live.SetTag("marker", "here")
	}))
	untraced := httptest.NewRequest("GET", "/", nil)
	do(h, untraced)
	if tr.GetSpan(untraced) != nil {
		t.Error("GetSpan of a request the tracer did not trace is not nil")
	}
	if tr.GetSpan(r2) != nil {
		t.Error("GetSpan after the span finished is not nil")
	}
	other, _ := newMock(t, core.WithTraceAll(true))
	if other.GetSpan(r2) != nil {
		t.Error("another Tracer sees this tracer's span")
	}
	wantTag(t, onlySpan(t, m), "marker", "here")
}

func TestIncomingContext(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	parent := tr.StartSpan("caller")
	parent.SetBaggageItem("user", "ann")
	r := httptest.NewRequest("GET", "/", nil)
	if err := tr.Inject(parent.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(r.Header)); err != nil {
		t.Fatal(err)
	}
	parent.Finish()
	var baggage string
	do(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		baggage = tr.GetSpan(r).BaggageItem("user")
	})), r)
	spans := m.FinishedSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	caller, server := spans[0], spans[1]
	if server.TraceID != caller.TraceID || server.ParentID != caller.SpanID {
		t.Errorf("server span %x/%x parent %x; want trace %x parent %x", server.TraceID, server.SpanID, server.ParentID, caller.TraceID, caller.SpanID)
	}
	if baggage != "ann" {
		t.Errorf("baggage %q, want ann", baggage)
	}
}

func TestMalformedIncomingContextStartsNewRoot(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers map[string]string
	}{
		{"non-hex trace id", map[string]string{"traceparent": "00-zz000000000000000000000000000001-0000000000000001-01"}},
		{"missing span id", map[string]string{"traceparent": "00-00000000000000000000000000000012--01"}},
		{"zero ids", map[string]string{"traceparent": "00-00000000000000000000000000000000-0000000000000000-01"}},
		{"huge id", map[string]string{"traceparent": "00-" + strings.Repeat("9", 400) + "-0000000000000001-01"}},
		{"bad sampled flag", map[string]string{"traceparent": "00-00000000000000000000000000000001-0000000000000002-maybe"}},
		{"empty", map[string]string{"traceparent": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, m := newMock(t, core.WithTraceAll(true))
			r := httptest.NewRequest("GET", "/", nil)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			if w := do(tr.Middleware(ok), r); w.Code != 200 || w.Body.String() != "ok" {
				t.Fatalf("served %d %q", w.Code, w.Body)
			}
			s := onlySpan(t, m)
			if s.ParentID != 0 {
				t.Errorf("span has parent %x, want a new root", s.ParentID)
			}
			if _, found := s.Tags["traceplug.extract_error"]; !found {
				t.Error("no traceplug.extract_error tag says why the trace was not continued")
			}
		})
	}
}

func TestStatusAndErrorTags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		h       http.HandlerFunc
		status  uint16
		isError bool
	}{
		{"no WriteHeader", func(w http.ResponseWriter, r *http.Request) {}, 200, false},
		{"write only", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "x") }, 200, false},
		{"404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, 404, false},
		{"informational first", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(103); w.WriteHeader(201) }, 201, false},
		{"500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, 500, true},
		{"503", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", 503) }, 503, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, m := newMock(t, core.WithTraceAll(true))
			do(tr.Middleware(tc.h), httptest.NewRequest("GET", "/", nil))
			s := onlySpan(t, m)
			wantTag(t, s, "http.status_code", tc.status)
			if _, found := s.Tags["error"]; found != tc.isError {
				t.Errorf("error tag present = %v, want %v", found, tc.isError)
			}
		})
	}
}

func TestPanicIsTaggedFinishedAndReraised(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") }))
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Errorf("recovered %v, want the handler's panic", v)
			}
		}()
		do(h, httptest.NewRequest("GET", "/", nil))
	}()
	s := onlySpan(t, m)
	wantTag(t, s, "error", true)
	if code, found := s.Tags["http.status_code"]; found {
		t.Errorf("a handler that panicked before writing sent no response, yet the span says %v", code)
	}
	if len(s.Logs) != 1 || s.Logs[0].Fields["event"] != "error" || s.Logs[0].Fields["message"] != "boom" {
		t.Errorf("logs %v, want one error log with the panic message", s.Logs)
	}
}

func TestCallbackPanicsNeverBreakTheRequest(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true),
		core.WithSpanObserver(func(opentracing.Span, *http.Request) { panic("observer") }),
		core.WithOperationName(func(*http.Request) string { panic("namer") }))
	if w := do(tr.Middleware(ok), httptest.NewRequest("GET", "/", nil)); w.Body.String() != "ok" {
		t.Fatalf("body %q", w.Body)
	}
	if s := onlySpan(t, m); s.Operation != "HTTP GET" {
		t.Errorf("operation %q: a panicking namer should fall back to the default", s.Operation)
	}
}

func TestObserverAndOperationName(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true),
		core.WithSpanObserver(func(s opentracing.Span, r *http.Request) { s.SetTag("tenant", r.Header.Get("X-Tenant")) }),
		core.WithOperationName(func(r *http.Request) string { return "api " + r.Method }))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Tenant", "acme")
	mux := http.NewServeMux()
	mux.Handle("/", ok)
	do(tr.Middleware(mux), r)
	s := onlySpan(t, m)
	wantTag(t, s, "tenant", "acme")
	if s.Operation != "api GET" {
		t.Errorf("operation %q: the override must win over the pattern", s.Operation)
	}
}

func TestFilter(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" }))
	mux := http.NewServeMux()
	mux.Handle("/", tr.Trace()(ok))
	do(tr.Middleware(mux), httptest.NewRequest("GET", "/healthz", nil))
	do(tr.Middleware(mux), httptest.NewRequest("GET", "/x", nil))
	if s := onlySpan(t, m); s.Tags["http.url"] != "/x" {
		t.Errorf("traced %v", s.Tags["http.url"])
	}
}

func TestOperationNameFromPattern(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	mux := http.NewServeMux()
	mux.Handle("GET /items/{id}", ok)
	h := tr.Middleware(mux)
	do(h, httptest.NewRequest("GET", "/items/42", nil))
	do(h, httptest.NewRequest("HEAD", "/items/42", nil))
	do(h, httptest.NewRequest("GET", "/nowhere", nil))
	var ops []string
	for _, s := range m.FinishedSpans() {
		ops = append(ops, s.Operation)
	}
	// An unmatched request has no pattern: its name stays "HTTP GET", never the path.
	if got := strings.Join(ops, "|"); got != "GET /items/{id}|HEAD /items/{id}|HTTP GET" {
		t.Errorf("operations %s", got)
	}
}

// TestWithGlobal: the global tracer starts spans with the last Tracer built
// WithGlobal while it is live, and traces nothing once it is shut down.
func TestWithGlobal(t *testing.T) {
	_, m1 := newMock(t, core.WithGlobal())
	opentracing.StartSpan("to first").Finish()
	second, m2 := newMock(t, core.WithGlobal())
	opentracing.StartSpan("to second").Finish()
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	opentracing.StartSpan("to nobody").Finish()
	s1, s2 := m1.FinishedSpans(), m2.FinishedSpans()
	if len(s1) != 1 || s1[0].Operation != "to first" || len(s2) != 1 || s2[0].Operation != "to second" {
		t.Fatalf("first recorded %v, second %v: want one span each, none after Close", s1, s2)
	}
}

func TestForeignSpanContextNeverPanics(t *testing.T) {
	// opentracing-go's mocktracer panics on a parent it did not make.
	tr, err := core.Wrap(mocktracer.New())
	if err != nil {
		t.Fatal(err)
	}
	foreign := mock.SpanContext{TraceID: 1, SpanID: 2, Sampled: true}
	s := tr.StartSpan("op", opentracing.ChildOf(foreign), opentracing.Tag{Key: "k", Value: "v"})
	s.Finish()
	got := s.(*mocktracer.MockSpan)
	if got.Tag("traceplug.dropped_reference") != true || got.Tag("k") != "v" {
		t.Errorf("tags %v: want the reference dropped, said so, and other options kept", got.Tags())
	}
	if err := tr.Inject(foreign, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(http.Header{})); err == nil {
		t.Error("injecting a foreign context reported no error")
	}
}

// TestResponseWriterInterfacesSurvive runs a real server: the wrapped writer
// must still flush, hijack and use ReadFrom, and count the bytes.
func TestResponseWriterInterfacesSurvive(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithResponseSize(true))
	mux := http.NewServeMux()
	mux.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "part1")
		w.(http.Flusher).Flush()
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("ResponseController.Flush: %v", err)
		}
	})
	mux.HandleFunc("/readfrom", func(w http.ResponseWriter, r *http.Request) {
		rf, isRF := w.(io.ReaderFrom)
		if !isRF {
			t.Error("the wrapped writer lost io.ReaderFrom")
			return
		}
		_, _ = rf.ReadFrom(strings.NewReader(strings.Repeat("x", 10000)))
	})
	mux.HandleFunc("/hijack", func(w http.ResponseWriter, r *http.Request) {
		c, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer c.Close()
		_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		_ = rw.Flush()
	})
	srv := httptest.NewServer(tr.Middleware(mux))
	defer srv.Close()
	for path, want := range map[string]string{"/flush": "part1", "/readfrom": strings.Repeat("x", 10000), "/hijack": "hijacked"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != want {
			t.Errorf("%s: body %q", path, body)
		}
	}
	// A hijacked connection's client can finish reading before its handler
	// returns and the span finishes: wait for it.
	deadline := time.Now().Add(5 * time.Second)
	spans := m.FinishedSpans()
	for len(spans) < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
		spans = m.FinishedSpans()
	}
	if len(spans) != 3 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		switch s.Operation {
		case "GET /readfrom":
			wantTag(t, s, "http.response_size", int64(10000))
		case "GET /flush":
			wantTag(t, s, "http.response_size", int64(5))
			wantTag(t, s, "http.status_code", uint16(200))
		case "GET /hijack":
			if _, found := s.Tags["http.status_code"]; found {
				t.Errorf("a hijacked connection has no status the server knows: %v", s.Tags["http.status_code"])
			}
		}
	}
}

// hijackRecorder is a ResponseRecorder that can be hijacked, to check the
// wrapper keeps optional interfaces exactly.
type hijackRecorder struct{ *httptest.ResponseRecorder }

func (hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("no")
}

func TestWrappedWriterKeepsExactInterfaces(t *testing.T) {
	tr, _ := newMock(t, core.WithTraceAll(true))
	check := func(w http.ResponseWriter, wantHijacker bool) {
		tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, isH := w.(http.Hijacker); isH != wantHijacker {
				t.Errorf("Hijacker = %v, want %v", isH, wantHijacker)
			}
		})).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	}
	check(httptest.NewRecorder(), false)
	check(hijackRecorder{httptest.NewRecorder()}, true)
}
