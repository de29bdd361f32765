package muxtrace_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/handlers"
	"github.com/gorilla/mux"
	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/backends/mock/mocktest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/muxtrace"
	"github.com/traceplug/traceplug/sampling"
)

// traced is a router as its users install muxtrace: the middleware, and the
// handlers for requests no route matches.
func traced(tr *core.Tracer) *mux.Router {
	r := mux.NewRouter()
	r.Use(muxtrace.Middleware(tr))
	r.NotFoundHandler = muxtrace.NotFound(tr, r.NotFoundHandler)
	r.MethodNotAllowedHandler = muxtrace.MethodNotAllowed(tr, r.MethodNotAllowedHandler)
	return r
}

// serve sends one request (host "" keeps httptest's example.com) through h.
func serve(h http.Handler, method, target, host string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	if host != "" {
		req.Host = host
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func write(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) }
}

func TestSpanNames(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	r := traced(tr)
	// Host routes first: gorilla tries routes in order.
	r.Host("{tenant}.shop.test").Path("/home").Methods("GET").Handler(write("home"))
	r.Host("static.test").Handler(write("a host route without a path"))
	r.HandleFunc("/items", write("items")).Methods("GET")
	r.HandleFunc("/items/{id}", write("item")).Methods("GET")
	r.HandleFunc("/items/{id}/parts/{part}", write("part")).Methods("GET")
	r.HandleFunc("/orders/{id:[0-9]+}", write("order")).Methods("GET")
	r.PathPrefix("/files/").Handler(write("file"))
	r.HandleFunc("/any", write("any method"))
	api := r.PathPrefix("/api").Subrouter()
	api.HandleFunc("/users/{id}", write("user")).Methods("GET")
	admin := r.PathPrefix("/v2").Subrouter().PathPrefix("/admin").Subrouter()
	admin.HandleFunc("/users/{id}", write("admin")).Methods("GET")

	for _, tc := range []struct {
		name, method, target, host string
		span, route                string // route "": no http.route tag
		status                     int
	}{
		{"static", "GET", "/items", "", "GET /items", "/items", 200},
		{"parameter", "GET", "/items/42", "", "GET /items/{id}", "/items/{id}", 200},
		{"two parameters", "GET", "/items/42/parts/7", "", "GET /items/{id}/parts/{part}", "/items/{id}/parts/{part}", 200},
		{"regexp parameter", "GET", "/orders/42", "", "GET /orders/{id:[0-9]+}", "/orders/{id:[0-9]+}", 200},
		{"path prefix (wildcard)", "GET", "/files/a/b.txt", "", "GET /files/", "/files/", 200},
		{"sub-router", "GET", "/api/users/7", "", "GET /api/users/{id}", "/api/users/{id}", 200},
		{"nested sub-router", "GET", "/v2/admin/users/7", "", "GET /v2/admin/users/{id}", "/v2/admin/users/{id}", 200},
		{"host template", "GET", "/home", "acme.shop.test", "GET /home", "/home", 200},
		{"host route without a path", "GET", "/anything/42", "static.test", "HTTP GET", "", 200},
		{"any method route, unknown method", "PURGE", "/any", "", "_OTHER /any", "/any", 200},
		{"unmatched", "GET", "/nope/42", "", "HTTP GET", "", 404},
		{"unmatched in a sub-router", "GET", "/api/nope/42", "", "HTTP GET", "", 404},
		{"regexp unmatched", "GET", "/orders/abc", "", "HTTP GET", "", 404},
		{"method not allowed", "POST", "/items/42", "", "HTTP POST", "", 405},
		{"method not allowed in a sub-router", "DELETE", "/api/users/7", "", "HTTP DELETE", "", 405},
		{"unknown method not allowed", "PURGE", "/items", "", "HTTP _OTHER", "", 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(r, tc.method, tc.target, tc.host)
			if w.Code != tc.status {
				t.Errorf("answered %d, want %d", w.Code, tc.status)
			}
			s := mocktest.OnlySpan(t, m)
			if s.Operation != tc.span {
				t.Errorf("span named %q, want %q", s.Operation, tc.span)
			}
			if strings.Contains(s.Operation, "42") || strings.Contains(s.Operation, "acme") {
				t.Errorf("span named %q: the raw path or host became a name", s.Operation)
			}
			route, found := s.Tags[core.TagHTTPRoute]
			switch {
			case tc.route == "" && found:
				t.Errorf("tagged %s=%v, want none", core.TagHTTPRoute, route)
			case tc.route != "" && route != tc.route:
				t.Errorf("tagged %s=%v, want %q", core.TagHTTPRoute, route, tc.route)
			}
			if got := s.Tags["http.status_code"]; got != uint16(tc.status) && got != tc.status {
				t.Errorf("tagged http.status_code=%v (%T), want %d", got, got, tc.status)
			}
			if fmt.Sprint(s.Tags["span.kind"]) != "server" {
				t.Errorf("tagged span.kind=%v", s.Tags["span.kind"])
			}
		})
	}
}

// The handlers users set for unmatched requests keep answering, traced.
func TestCustomUnmatchedHandlers(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such page", http.StatusNotFound)
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "try GET", http.StatusMethodNotAllowed)
	})
	r.Use(muxtrace.Middleware(tr))
	r.NotFoundHandler = muxtrace.NotFound(tr, r.NotFoundHandler)
	r.MethodNotAllowedHandler = muxtrace.MethodNotAllowed(tr, r.MethodNotAllowedHandler)
	r.HandleFunc("/items", write("items")).Methods("GET")

	for _, tc := range []struct {
		method, target, body, span string
		status                     int
	}{
		{"GET", "/elsewhere", "no such page\n", "HTTP GET", 404},
		{"POST", "/items", "try GET\n", "HTTP POST", 405},
	} {
		w := serve(r, tc.method, tc.target, "")
		if w.Code != tc.status || w.Body.String() != tc.body {
			t.Errorf("%s %s answered %d %q, want %d %q", tc.method, tc.target, w.Code, w.Body, tc.status, tc.body)
		}
		if s := mocktest.OnlySpan(t, m); s.Operation != tc.span || s.Tags["http.status_code"] != uint16(tc.status) {
			t.Errorf("%s %s: span %q status %v", tc.method, tc.target, s.Operation, s.Tags["http.status_code"])
		}
	}
}

// gorilla's own context reaches the handler through the span's: route
// variables and the current route, and the span is the request's.
func TestHandlerSeesGorillaAndTheSpan(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	r := traced(tr)
	var (
		vars     map[string]string
		template string
		pattern  string
		live     opentracing.Span
		fromCtx  opentracing.Span
	)
	r.HandleFunc("/items/{id}", func(w http.ResponseWriter, req *http.Request) {
		vars = mux.Vars(req)
		template, _ = mux.CurrentRoute(req).GetPathTemplate()
		pattern = req.Pattern
		live = tr.GetSpan(req)
		fromCtx = opentracing.SpanFromContext(req.Context())
		live.SetTag("user", "ann")
	})
	serve(r, "GET", "/items/42", "")
	s := mocktest.OnlySpan(t, m)
	if vars["id"] != "42" || template != "/items/{id}" {
		t.Errorf("mux.Vars %v, mux.CurrentRoute %q: gorilla's context lost", vars, template)
	}
	if pattern != "/items/{id}" {
		t.Errorf("r.Pattern %q, want the route", pattern)
	}
	if live == nil || live != fromCtx {
		t.Fatalf("GetSpan %v, SpanFromContext %v", live, fromCtx)
	}
	if sc, ok := live.Context().(mock.SpanContext); !ok || sc.SpanID != s.SpanID || s.Tags["user"] != "ann" {
		t.Errorf("the handler's span is not the exported one: %+v", s)
	}
	if tr.GetSpan(httptest.NewRequest("GET", "/", nil)) != nil {
		t.Error("GetSpan of an untraced request is not nil")
	}
}

// The middleware installed on a sub-router as well, and the router wrapped
// whole in tracer.Middleware too: one span a request, named after the
// route. gorilla's 301 that cleans a path, which comes before routing, is
// traced by the outer span alone.
func TestTracesOnce(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	r := traced(tr)
	r.HandleFunc("/items/{id}", write("item")).Methods("GET")
	api := r.PathPrefix("/api").Subrouter()
	api.Use(muxtrace.Middleware(tr)) // installed twice on the way
	api.HandleFunc("/users/{id}", write("user")).Methods("GET")

	for _, outer := range []bool{false, true} {
		var h http.Handler = r
		if outer {
			h = tr.Middleware(r)
		}
		for _, tc := range []struct {
			target, span, route string
			status              int
		}{
			{"/items/42", "GET /items/{id}", "/items/{id}", 200},
			{"/api/users/7", "GET /api/users/{id}", "/api/users/{id}", 200},
			{"/nope", "HTTP GET", "", 404},
			{"/items//42", "HTTP GET", "", 301},
		} {
			w := serve(h, "GET", tc.target, "")
			if w.Code != tc.status {
				t.Errorf("outer Middleware %v: %s answered %d, want %d", outer, tc.target, w.Code, tc.status)
			}
			if !outer && tc.status == 301 {
				if n := len(m.FinishedSpans()); n != 0 {
					t.Errorf("%d spans for gorilla's 301, which no middleware sees", n)
				}
				continue
			}
			s := mocktest.OnlySpan(t, m)
			if s.Operation != tc.span || (tc.route != "" && s.Tags[core.TagHTTPRoute] != tc.route) {
				t.Errorf("outer Middleware %v: %s: span %q http.route %v, want %q %q",
					outer, tc.target, s.Operation, s.Tags[core.TagHTTPRoute], tc.span, tc.route)
			}
		}
	}
}

func TestStatusAndErrors(t *testing.T) {
	quiet := handlers.RecoveryLogger(log.New(io.Discard, "", 0))
	tr, m := mocktest.New(t, core.WithTraceAll(true), core.WithResponseSize(true))

	// Recovery installed with r.Use after the middleware, inside the span.
	inside := traced(tr)
	inside.Use(handlers.RecoveryHandler(quiet))
	inside.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "db down", http.StatusInternalServerError)
	})
	inside.HandleFunc("/teapot", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	inside.HandleFunc("/panic/{id}", func(w http.ResponseWriter, r *http.Request) { panic("boom") })

	w := serve(inside, "GET", "/fail", "")
	s := mocktest.OnlySpan(t, m)
	if w.Code != 500 || s.Tags["http.status_code"] != uint16(500) || s.Tags["error"] != true {
		t.Errorf("500: answered %d, span tags %v", w.Code, s.Tags)
	}
	if s.Tags["http.response_size"] != int64(len("db down\n")) {
		t.Errorf("http.response_size=%v (%T), want %d", s.Tags["http.response_size"], s.Tags["http.response_size"], len("db down\n"))
	}
	serve(inside, "GET", "/teapot", "")
	if s := mocktest.OnlySpan(t, m); s.Tags["http.status_code"] != uint16(418) || s.Tags["error"] != nil {
		t.Errorf("418: span tags %v", s.Tags)
	}
	w = serve(inside, "GET", "/panic/1", "")
	s = mocktest.OnlySpan(t, m)
	if w.Code != 500 || s.Operation != "GET /panic/{id}" || s.Tags["http.status_code"] != uint16(500) || s.Tags["error"] != true {
		t.Errorf("panic, recovered inside: answered %d, span %q tags %v", w.Code, s.Operation, s.Tags)
	}

	// Recovery around the whole router, as gorilla/handlers' example has it:
	// the span ends first, with the panic, and no status.
	outer := traced(tr)
	outer.HandleFunc("/panic/{id}", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	w = serve(handlers.RecoveryHandler(quiet)(outer), "GET", "/panic/1", "")
	s = mocktest.OnlySpan(t, m)
	if w.Code != 500 || s.Operation != "GET /panic/{id}" || s.Tags["error"] != true || len(s.Logs) == 0 {
		t.Errorf("panic, recovered outside: answered %d, span %q tags %v logs %v", w.Code, s.Operation, s.Tags, s.Logs)
	}
	if code, found := s.Tags["http.status_code"]; found {
		t.Errorf("panic, recovered outside: tagged http.status_code=%v, which the span cannot have seen", code)
	}
}

// Trace-all off: only routes whose handler is decorated with tracer.Trace
// are traced, named after the handler, or after the route for a function
// literal.
func TestTraceAllOffDecorator(t *testing.T) {
	tr, m := mocktest.New(t)
	r := traced(tr)
	r.HandleFunc("/plain/{id}", write("plain"))
	r.Handle("/items/{id}", tr.Trace("path")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tr.GetSpan(r) == nil {
			t.Error("GetSpan is nil in a decorated handler")
		}
	}))).Methods("GET")
	r.Handle("/checkout", tr.Trace()(http.HandlerFunc(checkout))).Methods("POST")

	serve(r, "GET", "/plain/1", "")
	serve(r, "GET", "/nope", "")
	serve(r, "POST", "/items/1", "") // 405: not decorated
	if spans := m.FinishedSpans(); len(spans) != 0 {
		t.Fatalf("trace-all off: %d spans for undecorated or unmatched requests", len(spans))
	}
	serve(r, "GET", "/items/42", "")
	s := mocktest.OnlySpan(t, m)
	if s.Operation != "GET /items/{id}" || s.Tags[core.TagHTTPRoute] != "/items/{id}" || s.Tags["path"] != "/items/42" {
		t.Errorf("decorated literal: span %q tags %v", s.Operation, s.Tags)
	}
	serve(r, "POST", "/checkout", "")
	if s := mocktest.OnlySpan(t, m); s.Operation != "muxtrace_test.checkout" || s.Tags[core.TagHTTPRoute] != "/checkout" {
		t.Errorf("decorated function: span %q tags %v", s.Operation, s.Tags)
	}
}

func checkout(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "paid") }

// Trace-all off: an undecorated route passes the trace it came with to the
// calls its handler makes.
func TestTraceAllOffPassesTheTrace(t *testing.T) {
	tr, m := mocktest.New(t)
	var got http.Header
	downstream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() })
	r := traced(tr)
	r.HandleFunc("/proxy/{id}", func(w http.ResponseWriter, req *http.Request) {
		out := httptest.NewRequestWithContext(req.Context(), "GET", "http://downstream.test/", nil)
		rt := tr.Transport(roundTripper{downstream})
		resp, err := rt.RoundTrip(out)
		if err != nil {
			t.Error(err)
			return
		}
		_ = resp.Body.Close()
	})
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	req := httptest.NewRequest("GET", "/proxy/1", nil)
	req.Header.Set("Traceparent", parent)
	r.ServeHTTP(httptest.NewRecorder(), req)
	if tp := got.Get("Traceparent"); !strings.HasPrefix(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-") {
		t.Errorf("the outgoing call carried traceparent %q, want the incoming trace", tp)
	}
	for _, s := range m.FinishedSpans() {
		if fmt.Sprint(s.Tags["span.kind"]) == "server" {
			t.Errorf("trace-all off: a server span %q", s.Operation)
		}
	}
}

// roundTripper serves an outgoing request in process.
type roundTripper struct{ h http.Handler }

func (rt roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	rt.h.ServeHTTP(w, r)
	return w.Result(), nil
}

// Sampling rules by route see the route's name when the span starts.
func TestSamplingRuleByRoute(t *testing.T) {
	rules, err := sampling.ParseRules("GET /healthz=0; GET /orders/{id:[0-9]+}=0; GET /api/*=0; *=1")
	if err != nil {
		t.Fatal(err)
	}
	tr, m := mocktest.New(t, core.WithTraceAll(true), core.WithSamplingRules(rules...))
	r := traced(tr)
	r.HandleFunc("/healthz", write("ok"))
	r.HandleFunc("/orders/{id:[0-9]+}", write("order"))
	r.HandleFunc("/items/{id}", write("item"))
	r.PathPrefix("/api").Subrouter().HandleFunc("/users/{id}", write("user"))
	for _, target := range []string{"/healthz", "/orders/1", "/api/users/1", "/items/1"} {
		if w := serve(r, "GET", target, ""); w.Code != 200 {
			t.Errorf("%s answered %d", target, w.Code)
		}
	}
	if s := mocktest.OnlySpan(t, m); s.Operation != "GET /items/{id}" {
		t.Errorf("exported %q, want only GET /items/{id}", s.Operation)
	}
}
