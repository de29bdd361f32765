package chitrace_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/backends/mock/mocktest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/chitrace"
	"github.com/traceplug/traceplug/sampling"
)

// newRecorded returns a tracer over the mock backend that also records
// the name each span had at its start (see starts): where sampling rules
// see it, before anything could rename the span.
func newRecorded(t *testing.T, opts ...core.Option) (*core.Tracer, *mock.Tracer, *starts) {
	t.Helper()
	_, m := mocktest.New(t)
	rec := &starts{Tracer: m}
	tr, err := core.Wrap(rec, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr, m, rec
}

// wantNamed checks that the only span m recorded was named want at its
// start (rec) and at its end.
func wantNamed(t *testing.T, m *mock.Tracer, rec *starts, what, want string) {
	t.Helper()
	if got := rec.take(); len(got) != 1 || got[0] != want {
		t.Errorf("%s: span started as %q, want [%s]", what, got, want)
	}
	if s := mocktest.OnlySpan(t, m); s.Operation != want {
		t.Errorf("%s: span named %q, want %q", what, s.Operation, want)
	}
	m.Reset()
}

// starts is an OpenTracing tracer that records the name each span had
// when it started, before anything could rename it.
type starts struct {
	opentracing.Tracer
	mu    sync.Mutex
	names []string
}

func (s *starts) StartSpan(op string, opts ...opentracing.StartSpanOption) opentracing.Span {
	s.mu.Lock()
	s.names = append(s.names, op)
	s.mu.Unlock()
	return s.Tracer.StartSpan(op, opts...)
}

func (s *starts) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.names
	s.names = nil
	return n
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })

// shop is a router with routes of every kind: static, parameters, a
// regexp parameter, wildcards, an inline group, sub-routers (Route, and
// Mount of a router and of a plain handler), nested two deep. mw goes in
// its r.Use first, and Recoverer after it.
func shop(mw ...func(http.Handler) http.Handler) *chi.Mux { return shopOn(chi.NewRouter(), mw...) }

// shopOn registers shop's middlewares and routes on r.
func shopOn(r *chi.Mux, mw ...func(http.Handler) http.Handler) *chi.Mux {
	r.Use(mw...)
	r.Use(middleware.Recoverer)
	r.Get("/", ok)
	r.Get("/items", ok)
	r.Get("/items/{id}", ok)
	r.Get("/items/{id}/parts/{part}", ok)
	r.Get("/re/{n:[0-9]+}", ok)
	r.Get("/files/*", ok)
	r.Get("/trailing/", ok)
	r.Get("/healthz", ok)
	r.Group(func(r chi.Router) {
		r.Use(middleware.NoCache)
		r.Get("/grouped/{id}", ok)
	})
	r.Route("/api", func(r chi.Router) {
		r.Get("/", ok)
		r.Get("/users/{id}", ok)
		r.Route("/v2", func(r chi.Router) {
			r.Get("/things/{id}", ok)
			r.Get("/blobs/*", ok)
		})
	})
	admin := chi.NewRouter()
	admin.Get("/stats", ok)
	r.Mount("/admin", admin)
	r.Mount("/static", http.StripPrefix("/static", ok))
	return r
}

// routeCases are requests to shop: the span's name, its http.route ("" for
// none) and the status chi answers.
var routeCases = []struct {
	name, method, target string
	span, route          string
	status               int
}{
	{"root", "GET", "/", "GET /", "/", 200},
	{"static", "GET", "/items", "GET /items", "/items", 200},
	{"parameter", "GET", "/items/42?color=red", "GET /items/{id}", "/items/{id}", 200},
	{"two parameters", "GET", "/items/42/parts/7", "GET /items/{id}/parts/{part}", "/items/{id}/parts/{part}", 200},
	{"regexp parameter", "GET", "/re/12", "GET /re/{n:[0-9]+}", "/re/{n:[0-9]+}", 200},
	{"escaped slash in a parameter", "GET", "/items/a%2Fb", "GET /items/{id}", "/items/{id}", 200},
	{"wildcard", "GET", "/files/css/site.css", "GET /files/*", "/files/*", 200},
	{"trailing slash as chi reports it", "GET", "/trailing/", "GET /trailing", "/trailing", 200},
	{"inline group", "GET", "/grouped/3", "GET /grouped/{id}", "/grouped/{id}", 200},
	{"sub-router root", "GET", "/api/", "GET /api", "/api", 200},
	{"sub-router root without slash", "GET", "/api", "GET /api", "/api", 200},
	{"sub-router", "GET", "/api/users/7", "GET /api/users/{id}", "/api/users/{id}", 200},
	{"nested sub-router", "GET", "/api/v2/things/1", "GET /api/v2/things/{id}", "/api/v2/things/{id}", 200},
	{"nested sub-router wildcard", "GET", "/api/v2/blobs/a/b", "GET /api/v2/blobs/*", "/api/v2/blobs/*", 200},
	{"mounted router", "GET", "/admin/stats", "GET /admin/stats", "/admin/stats", 200},
	{"mounted handler", "GET", "/static/js/app.js", "GET /static/*", "/static/*", 200},
	{"not found", "GET", "/nope/42", "HTTP GET", "", 404},
	{"regexp not matched", "GET", "/re/ab", "HTTP GET", "", 404},
	{"method not allowed", "POST", "/items/42", "HTTP POST", "", 405},
	{"method chi does not know", "FROB", "/items/42", "HTTP _OTHER", "", 405},
	{"not found in a sub-router: the mount", "GET", "/api/nope", "GET /api/*", "/api/*", 404},
	{"method not allowed in a sub-router: the mount", "DELETE", "/api/users/7", "DELETE /api/*", "/api/*", 405},
}

// TestRouteNames checks each span's name at its start and at its end, its
// http.route and its status, and that the name is the route chi reports
// once it has routed the request (RoutePattern, read after the handler by
// a middleware, as chi's documentation does).
func TestRouteNames(t *testing.T) {
	tr, m, rec := newRecorded(t, core.WithTraceAll(true))
	var after string
	routed := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			after = chi.RouteContext(r.Context()).RoutePattern()
		})
	}
	h := shop(chitrace.Middleware(tr), routed)
	for _, tc := range routeCases {
		t.Run(tc.name, func(t *testing.T) {
			m.Reset()
			rec.take()
			w := mocktest.Serve(h, tc.method, tc.target, nil)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if after != tc.route {
				t.Errorf("chi reports the route %q once routed; the case says %q", after, tc.route)
			}
			if got := rec.take(); len(got) != 1 || got[0] != tc.span {
				t.Errorf("span started as %q, want [%s]", got, tc.span)
			}
			s := mocktest.OnlySpan(t, m)
			if s.Operation != tc.span {
				t.Errorf("span named %q, want %q", s.Operation, tc.span)
			}
			if tc.route == "" {
				if v, found := s.Tags[core.TagHTTPRoute]; found {
					t.Errorf("unmatched request tagged %s=%v", core.TagHTTPRoute, v)
				}
			} else {
				mocktest.WantTag(t, s, core.TagHTTPRoute, tc.route)
			}
			mocktest.WantTag(t, s, "http.status_code", uint16(tc.status))
			if path, _, _ := strings.Cut(tc.target, "?"); strings.Contains(s.Operation, path) && tc.route != path {
				t.Errorf("span %q is named after the raw path", s.Operation)
			}
		})
	}
}

// TestEveryRouteAsChiReportsIt requests every route of shop, with every
// method chi registered it for (chi.Walk), and requests near them that
// match nothing: each span is named, at its start, after the route chi
// reports once it has routed the request (none for a request no route
// matched), and tagged http.route with it.
func TestEveryRouteAsChiReportsIt(t *testing.T) {
	tr, m, rec := newRecorded(t, core.WithTraceAll(true))
	var after string
	routed := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			after = chi.RouteContext(r.Context()).RoutePattern()
		})
	}
	h := shop(chitrace.Middleware(tr), routed)
	type request struct{ method, target string }
	var requests []request
	err := chi.Walk(h, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		var b strings.Builder
		for i, seg := range strings.Split(route, "/") {
			if i > 0 {
				b.WriteByte('/')
			}
			switch {
			case strings.HasPrefix(seg, "{"):
				b.WriteString("7")
			case seg == "*":
				b.WriteString("a/b")
			default:
				b.WriteString(seg)
			}
		}
		target := b.String()
		requests = append(requests, request{method, target}, request{method, target + "/x/y"}, request{"PATCH", target})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(requests) < 3*20 {
		t.Fatalf("chi.Walk found %d routes, want shop's", len(requests)/3)
	}
	for _, req := range requests {
		after = "unset"
		rec.take()
		m.Reset()
		mocktest.Serve(h, req.method, req.target, nil)
		what := req.method + " " + req.target
		started := rec.take()
		s := mocktest.OnlySpan(t, m)
		if len(started) != 1 || started[0] != s.Operation {
			t.Errorf("%s: span started as %q, ended as %q", what, started, s.Operation)
		}
		route, tagged := s.Tags[core.TagHTTPRoute]
		switch {
		case after == "unset":
			t.Errorf("%s: the router did not route the request", what)
		case after == "" && tagged:
			t.Errorf("%s: chi matched no route; the span is tagged http.route=%v", what, route)
		case after != "" && (route != after || !strings.HasSuffix(s.Operation, " "+after)):
			t.Errorf("%s: span %q, http.route %v; chi reports the route %q", what, s.Operation, route, after)
		}
	}
}

// TestPlacements checks the other ways to install Middleware: in a
// sub-router's r.Use (only its requests are traced, named after the whole
// route), and wrapped around the router instead of in it.
func TestPlacements(t *testing.T) {
	t.Run("sub-router", func(t *testing.T) {
		tr, m, rec := newRecorded(t, core.WithTraceAll(true))
		r := chi.NewRouter()
		r.Get("/items/{id}", ok)
		r.Route("/api", func(r chi.Router) {
			r.Use(chitrace.Middleware(tr))
			r.Get("/users/{id}", ok)
			r.Route("/v2", func(r chi.Router) { r.Get("/things/{id}", ok) })
		})
		mocktest.Serve(r, "GET", "/items/1", nil)
		if n := len(m.FinishedSpans()); n != 0 {
			t.Fatalf("%d spans for a route outside the sub-router", n)
		}
		for target, want := range map[string]string{
			"/api/users/7":     "GET /api/users/{id}",
			"/api/v2/things/1": "GET /api/v2/things/{id}",
			"/api/nope":        "GET /api/*",
		} {
			mocktest.Serve(r, "GET", target, nil)
			wantNamed(t, m, rec, target, want)
		}
	})
	t.Run("around the router", func(t *testing.T) {
		tr, m, rec := newRecorded(t, core.WithTraceAll(true))
		h := chitrace.Middleware(tr)(shop())
		for _, tc := range routeCases {
			mocktest.Serve(h, tc.method, tc.target, nil)
			wantNamed(t, m, rec, tc.method+" "+tc.target, tc.span)
		}
	})
	t.Run("after a middleware that rewrites the route", func(t *testing.T) {
		tr, m, rec := newRecorded(t, core.WithTraceAll(true))
		r := chi.NewRouter()
		r.Use(middleware.StripSlashes, middleware.GetHead, chitrace.Middleware(tr))
		r.Get("/items/{id}", ok)
		for _, tc := range []struct{ method, target, want string }{
			{"GET", "/items/7/", "GET /items/{id}"},
			{"HEAD", "/items/7", "HEAD /items/{id}"}, // GetHead routes it to the GET route
		} {
			if w := mocktest.Serve(r, tc.method, tc.target, nil); w.Code != 200 {
				t.Fatalf("%s %s: status %d", tc.method, tc.target, w.Code)
			}
			wantNamed(t, m, rec, tc.method+" "+tc.target, tc.want)
		}
	})
}

// TestErrors checks the status and error tags for a handler's 500 and for
// a panic through chi's Recoverer, installed after Middleware (the 500 it
// answers is the span's) and before it (the panic is the span's).
func TestErrors(t *testing.T) {
	boom := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
	fail := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	})
	t.Run("500", func(t *testing.T) {
		tr, m := mocktest.New(t, core.WithTraceAll(true))
		r := shop(chitrace.Middleware(tr))
		r.Get("/fail", fail)
		mocktest.Serve(r, "GET", "/fail", nil)
		s := mocktest.OnlySpan(t, m)
		mocktest.WantTag(t, s, "http.status_code", uint16(500))
		mocktest.WantTag(t, s, "error", true)
	})
	t.Run("panic, Recoverer after", func(t *testing.T) {
		tr, m := mocktest.New(t, core.WithTraceAll(true))
		r := shop(chitrace.Middleware(tr)) // Recoverer after it
		r.Get("/boom/{id}", boom)
		if w := mocktest.Serve(r, "GET", "/boom/1", nil); w.Code != 500 {
			t.Fatalf("status %d, want Recoverer's 500", w.Code)
		}
		s := mocktest.OnlySpan(t, m)
		if s.Operation != "GET /boom/{id}" {
			t.Errorf("span named %q", s.Operation)
		}
		mocktest.WantTag(t, s, "http.status_code", uint16(500))
		mocktest.WantTag(t, s, "error", true)
	})
	t.Run("panic, Recoverer before", func(t *testing.T) {
		tr, m := mocktest.New(t, core.WithTraceAll(true))
		r := chi.NewRouter()
		r.Use(middleware.Recoverer, chitrace.Middleware(tr))
		r.Get("/boom/{id}", boom)
		if w := mocktest.Serve(r, "GET", "/boom/1", nil); w.Code != 500 {
			t.Fatalf("status %d, want Recoverer's 500", w.Code)
		}
		s := mocktest.OnlySpan(t, m)
		if s.Operation != "GET /boom/{id}" {
			t.Errorf("span named %q", s.Operation)
		}
		mocktest.WantTag(t, s, "error", true)
		if v, found := s.Tags["http.status_code"]; found {
			t.Errorf("status %v on a span whose handler panicked before writing", v)
		}
		if len(s.Logs) == 0 || s.Logs[0].Fields["message"] != "boom" {
			t.Errorf("logs %v, want the panic's message", s.Logs)
		}
	})
}

// TestGetSpan checks that a handler reaches its request's span, live, from
// the *http.Request chi hands it, the only context chi has.
func TestGetSpan(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	var live, fromContext opentracing.Span
	r := shop(chitrace.Middleware(tr))
	r.Get("/live/{id}", func(w http.ResponseWriter, r *http.Request) {
		live = tr.GetSpan(r)
		fromContext = opentracing.SpanFromContext(r.Context())
		if live != nil {
			live.SetTag("item", chi.URLParam(r, "id"))
		}
	})
	mocktest.Serve(r, "GET", "/live/9", nil)
	s := mocktest.OnlySpan(t, m)
	if live == nil || live != fromContext {
		t.Fatalf("GetSpan %v, SpanFromContext %v: want the request's span from both", live, fromContext)
	}
	mocktest.WantTag(t, s, "item", "9")
	if sc, ok := live.Context().(mock.SpanContext); !ok || sc.SpanID != s.SpanID {
		t.Errorf("GetSpan's span %v is not the exported span %x", live.Context(), s.SpanID)
	}
}

// TestNoDoubleSpan wraps the router whole in tracer.Middleware as well:
// one span per request, named after the route.
func TestNoDoubleSpan(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	h := tr.Middleware(shop(chitrace.Middleware(tr)))
	for _, tc := range routeCases {
		m.Reset()
		mocktest.Serve(h, tc.method, tc.target, nil)
		s := mocktest.OnlySpan(t, m)
		if s.Operation != tc.span {
			t.Errorf("%s %s: span named %q, want %q", tc.method, tc.target, s.Operation, tc.span)
		}
		if tc.route != "" {
			mocktest.WantTag(t, s, core.TagHTTPRoute, tc.route)
		}
	}
}

// TestWrappedWholeSamplesOnTheMethod pins what the package documentation
// says of a router also wrapped whole in tracer.Middleware: the outer span
// starts before chi is asked, so a sampling rule by route does not apply to
// it; the span is still named after the route when it ends.
func TestWrappedWholeSamplesOnTheMethod(t *testing.T) {
	rules, err := sampling.ParseRules("GET /healthz=0; *=1")
	if err != nil {
		t.Fatal(err)
	}
	tr, m := mocktest.New(t, core.WithTraceAll(true), core.WithSamplingRules(rules...))
	mocktest.Serve(tr.Middleware(shop(chitrace.Middleware(tr))), "GET", "/healthz", nil)
	if s := mocktest.OnlySpan(t, m); s.Operation != "GET /healthz" {
		t.Errorf("span named %q, want GET /healthz", s.Operation)
	}
}

func namedHandler(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }

// TestTraceAllOff checks the per-route decorator, tracer.Trace in chi's
// With: only decorated routes are traced, a function literal named after
// its route, a named function after itself; an undecorated route passes
// an incoming trace on to the calls it makes.
func TestTraceAllOff(t *testing.T) {
	tr, m := mocktest.New(t)
	var outgoing http.Header
	client := &http.Client{Transport: tr.Transport(roundTrip(func(r *http.Request) (*http.Response, error) {
		outgoing = r.Header.Clone()
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	}))}
	r := shop(chitrace.Middleware(tr))
	r.With(tr.Trace("path")).Get("/decorated/{id}", func(w http.ResponseWriter, r *http.Request) {})
	r.With(tr.Trace()).Get("/named", namedHandler)
	r.Route("/v3", func(r chi.Router) {
		r.With(tr.Trace()).Get("/things/{id}", func(w http.ResponseWriter, r *http.Request) {})
	})
	r.Get("/calls", func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", "http://127.0.0.1:1/down", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
		}
	})

	mocktest.Serve(r, "GET", "/items/1", nil)
	if n := len(m.FinishedSpans()); n != 0 {
		t.Fatalf("trace-all off: %d spans for an undecorated route", n)
	}
	for target, want := range map[string]string{
		"/decorated/5": "GET /decorated/{id}",
		"/named":       "chitrace_test.namedHandler",
		"/v3/things/2": "GET /v3/things/{id}",
	} {
		m.Reset()
		mocktest.Serve(r, "GET", target, nil)
		s := mocktest.OnlySpan(t, m)
		if s.Operation != want {
			t.Errorf("%s: decorated span named %q, want %q", target, s.Operation, want)
		}
	}
	m.Reset()
	mocktest.Serve(r, "GET", "/decorated/5", nil)
	mocktest.WantTag(t, mocktest.OnlySpan(t, m), "path", "/decorated/5")

	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	m.Reset()
	mocktest.Serve(r, "GET", "/calls", http.Header{"Traceparent": {parent}})
	if got := outgoing.Get("Traceparent"); !strings.HasPrefix(got, "00-4bf92f3577b34da6a3ce929d0e0e4736-") {
		t.Errorf("the outgoing call carried traceparent %q, want the incoming trace", got)
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestSamplingByRoute checks that a sampling rule by route sees the route
// at the span's start: for a route of the root router and for a mounted
// router's.
func TestSamplingByRoute(t *testing.T) {
	rules, err := sampling.ParseRules("GET /healthz=0; GET /api/users/{id}=0; *=1")
	if err != nil {
		t.Fatal(err)
	}
	tr, m := mocktest.New(t, core.WithTraceAll(true), core.WithSamplingRules(rules...))
	h := shop(chitrace.Middleware(tr))
	for _, target := range []string{"/healthz", "/api/users/1", "/items/1", "/healthz", "/api/users/2"} {
		mocktest.Serve(h, "GET", target, nil)
	}
	if s := mocktest.OnlySpan(t, m); s.Operation != "GET /items/{id}" {
		t.Errorf("exported %q, want only GET /items/{id}", s.Operation)
	}
}

// TestConcurrentRequests serves requests to different routes at once: each
// span is named after its own route (the routing contexts Middleware
// reuses are not shared), under -race.
func TestConcurrentRequests(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true), core.WithParam("max_spans", "100000"))
	h := shop(chitrace.Middleware(tr))
	const rounds = 20
	var wg sync.WaitGroup
	for _, tc := range routeCases {
		wg.Go(func() {
			for range rounds {
				mocktest.Serve(h, tc.method, tc.target, nil)
			}
		})
	}
	wg.Wait()
	count := map[string]int{}
	for _, s := range m.FinishedSpans() {
		count[s.Operation]++
	}
	want := map[string]int{}
	for _, tc := range routeCases {
		want[tc.span] += rounds
	}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("span names %v, want %v", count, want)
	}
}

func TestNilTracerPanics(t *testing.T) {
	defer func() {
		if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), "nil tracer") {
			t.Errorf("Middleware(nil) panicked with %v, want a message about the nil tracer", v)
		}
	}()
	chitrace.Middleware(nil)
}
