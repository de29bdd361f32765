package echotrace_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/backends/mock/mocktest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/echotrace"
	"github.com/traceplug/traceplug/sampling"
)

// newEcho is an echo server as its users set it up: quiet, with the
// adapter installed before Recover when tr is not nil.
func newEcho(tr *core.Tracer) *echo.Echo {
	e := echo.New()
	e.Logger.SetOutput(io.Discard) // Recover logs the stacks of the panics tests cause
	if tr != nil {
		e.Use(echotrace.Middleware(tr))
	}
	e.Use(middleware.Recover())
	return e
}

func names(spans []mock.Span) []string {
	var ns []string
	for _, s := range spans {
		ns = append(ns, s.Operation)
	}
	return ns
}

// answer is a handler that answers status and its text.
func answer(status int) echo.HandlerFunc {
	return func(c echo.Context) error { return c.String(status, http.StatusText(status)) }
}

// passThrough is middleware that does nothing: a group given middleware
// registers RouteNotFound routes for its prefix.
func passThrough(next echo.HandlerFunc) echo.HandlerFunc { return next }

// routedEcho serves every kind of route echo has, traced by tr.
func routedEcho(tr *core.Tracer) *echo.Echo { return addRoutes(newEcho(tr)) }

// addRoutes adds to e a route of every kind echo has.
func addRoutes(e *echo.Echo) *echo.Echo {
	e.GET("/items", answer(200))
	e.POST("/items", answer(201))
	e.GET("/items/:id", answer(200))
	e.GET("/items/:id/parts/:part", answer(202))
	e.GET("/files/*", answer(200))
	e.Add("PURGE", "/cache/:key", answer(200))
	api := e.Group("/api", passThrough) // registers RouteNotFound "/api" and "/api/*"
	api.GET("/users/:id", answer(200))
	v2 := e.Group("/v2") // no middleware: no RouteNotFound routes
	v2.GET("/things/:id", answer(200))
	e.RouteNotFound("/static/*", answer(http.StatusGone))
	return e
}

// nameCases are requests to routedEcho and how their spans are named: a
// request that matched no route is named after its method, whatever path
// echo reports for it.
var nameCases = []struct {
	name, method, target string
	status               int
	op, route            string // route "": no http.route
}{
	{"static", "GET", "/items", 200, "GET /items", "/items"},
	{"static other method", "POST", "/items", 201, "POST /items", "/items"},
	{"parameter", "GET", "/items/42?color=red", 200, "GET /items/:id", "/items/:id"},
	{"two parameters", "GET", "/items/42/parts/7", 202, "GET /items/:id/parts/:part", "/items/:id/parts/:part"},
	{"wildcard", "GET", "/files/docs/a.txt", 200, "GET /files/*", "/files/*"},
	{"other method", "PURGE", "/cache/k1", 200, "_OTHER /cache/:key", "/cache/:key"},
	{"group with middleware", "GET", "/api/users/7", 200, "GET /api/users/:id", "/api/users/:id"},
	{"group", "GET", "/v2/things/9", 200, "GET /v2/things/:id", "/v2/things/:id"},
	{"unmatched", "GET", "/nowhere/42", 404, "HTTP GET", ""},
	{"unmatched in a group (its RouteNotFound /api/*)", "GET", "/api/nowhere/42", 404, "HTTP GET", ""},
	{"unmatched group prefix (its RouteNotFound /api)", "GET", "/api", 404, "HTTP GET", ""},
	{"unmatched in a group without middleware", "GET", "/v2/nowhere", 404, "HTTP GET", ""},
	{"RouteNotFound route", "GET", "/static/a.css", http.StatusGone, "HTTP GET", ""},
	{"method not allowed", "DELETE", "/items/42", 405, "HTTP DELETE", ""},
	{"method not allowed, no HEAD route", "HEAD", "/items", 405, "HTTP HEAD", ""},
	{"unmatched other method", "PURGE", "/items", 405, "HTTP _OTHER", ""},
	{"unmatched other method on a RouteNotFound path", "PURGE", "/api/x", 404, "HTTP _OTHER", ""},
}

func TestSpanNames(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	e := routedEcho(tr)
	for _, tc := range nameCases {
		t.Run(tc.name, func(t *testing.T) {
			w := mocktest.Serve(e, tc.method, tc.target, nil)
			if w.Code != tc.status {
				t.Fatalf("%s %s answered %d, want %d", tc.method, tc.target, w.Code, tc.status)
			}
			s := mocktest.OnlySpan(t, m)
			if s.Operation != tc.op {
				t.Errorf("%s %s: span named %q, want %q", tc.method, tc.target, s.Operation, tc.op)
			}
			if tc.route != "" {
				mocktest.WantTag(t, s, core.TagHTTPRoute, tc.route)
			} else {
				mocktest.NoTag(t, s, core.TagHTTPRoute)
			}
			mocktest.WantTag(t, s, "http.status_code", uint16(tc.status))
			mocktest.WantTag(t, s, string(ext.SpanKind), ext.SpanKindRPCServerEnum)
		})
	}
}

// A route registered after the server has served requests is named too.
func TestRoutesAddedLater(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	e := newEcho(tr)
	e.GET("/a", answer(200))
	mocktest.Serve(e, "GET", "/a", nil)
	mocktest.WantTag(t, mocktest.OnlySpan(t, m), core.TagHTTPRoute, "/a")
	e.GET("/b/:id", answer(200))
	mocktest.Serve(e, "GET", "/b/1", nil)
	if s := mocktest.OnlySpan(t, m); s.Operation != "GET /b/:id" {
		t.Errorf("a route added later: span named %q, want GET /b/:id", s.Operation)
	}
	g := e.Group("/g", passThrough)
	mocktest.Serve(e, "GET", "/g/x", nil)
	if s := mocktest.OnlySpan(t, m); s.Operation != "HTTP GET" {
		t.Errorf("a group's RouteNotFound added later: span named %q, want HTTP GET", s.Operation)
	}
	g.GET("/y", answer(200))
	mocktest.Serve(e, "GET", "/g/y", nil)
	if s := mocktest.OnlySpan(t, m); s.Operation != "GET /g/y" {
		t.Errorf("a group's route added later: span named %q, want GET /g/y", s.Operation)
	}
	// A route added to the router directly, which e.Routes() does not list.
	e.Router().Add("GET", "/direct/:id", answer(200))
	for range 2 {
		mocktest.Serve(e, "GET", "/direct/1", nil)
		if s := mocktest.OnlySpan(t, m); s.Operation != "GET /direct/:id" {
			t.Errorf("a route added with Router.Add: span named %q, want GET /direct/:id", s.Operation)
		}
	}
}

// One middleware on two servers, and a server with host routers, each
// request named after the route of its own server and host.
func TestServersAndHosts(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	mw := echotrace.Middleware(tr)
	one, two := echo.New(), echo.New()
	one.Use(mw)
	two.Use(mw)
	one.GET("/x/:id", answer(200))
	two.GET("/x/*", answer(200))
	two.RouteNotFound("/y/*", answer(404))
	admin := two.Host("admin.local", passThrough)
	admin.GET("/x/:name", answer(200))
	for i := range 3 {
		for _, c := range []struct {
			e        *echo.Echo
			host, op string
		}{
			{one, "example.com", "GET /x/:id"},
			{two, "example.com", "GET /x/*"},
			{two, "admin.local", "GET /x/:name"},
		} {
			r := httptest.NewRequest("GET", "/x/"+strconv.Itoa(i), nil)
			r.Host = c.host
			c.e.ServeHTTP(httptest.NewRecorder(), r)
			if s := mocktest.OnlySpan(t, m); s.Operation != c.op {
				t.Errorf("host %s: span named %q, want %q", c.host, s.Operation, c.op)
			}
		}
	}
}

func TestErrors(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	var mu sync.Mutex
	var outerErr error // what the middleware before the adapter saw
	e := echo.New()
	e.Logger.SetOutput(io.Discard)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			mu.Lock()
			outerErr = err
			mu.Unlock()
			return err
		}
	})
	e.Use(echotrace.Middleware(tr), middleware.Recover())
	errTeapot := errors.New("teapot")
	handled := 0
	defaultHandler := e.HTTPErrorHandler
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		handled++
		if errors.Is(err, errTeapot) && !c.Response().Committed {
			_ = c.String(http.StatusTeapot, "a teapot")
			return
		}
		defaultHandler(err, c)
	}
	e.GET("/conflict", func(c echo.Context) error { return echo.NewHTTPError(http.StatusConflict, "taken") })
	e.GET("/wrapped", func(c echo.Context) error {
		return echo.NewHTTPError(http.StatusInternalServerError).SetInternal(echo.NewHTTPError(http.StatusBadGateway))
	})
	e.GET("/plain-error", func(c echo.Context) error { return errors.New("db down") })
	e.GET("/teapot", func(c echo.Context) error { return fmt.Errorf("brewing: %w", errTeapot) })
	e.GET("/written-then-error", func(c echo.Context) error {
		_ = c.String(http.StatusAccepted, "accepted")
		return errors.New("after the answer")
	})
	e.GET("/panic", func(c echo.Context) error { panic("boom") })

	for _, tc := range []struct {
		target  string
		status  int
		isError bool
		err     bool // the handler returned an error, which the middleware before the adapter sees
		runs    int  // how many times the error handler runs
	}{
		// An error is answered by the adapter, then passed on to echo,
		// whose error handler finds the response committed.
		{"/conflict", 409, false, true, 2},
		{"/wrapped", 502, true, true, 2}, // DefaultHTTPErrorHandler answers the internal HTTPError
		{"/plain-error", 500, true, true, 2},
		{"/teapot", 418, false, true, 2}, // the server's own error handler decides
		{"/written-then-error", 202, false, true, 1},
		{"/panic", 500, true, false, 1}, // Recover answers, after the adapter
		{"/nowhere", 404, false, true, 2},
	} {
		handled = 0
		w := mocktest.Serve(e, "GET", tc.target, nil)
		if w.Code != tc.status {
			t.Errorf("GET %s answered %d, want %d", tc.target, w.Code, tc.status)
		}
		s := mocktest.OnlySpan(t, m)
		mocktest.WantTag(t, s, "http.status_code", uint16(tc.status))
		if tc.isError {
			mocktest.WantTag(t, s, "error", true)
		} else {
			mocktest.NoTag(t, s, "error")
		}
		mu.Lock()
		if (outerErr != nil) != tc.err {
			t.Errorf("GET %s: the middleware before the adapter got error %v, want one: %v", tc.target, outerErr, tc.err)
		}
		mu.Unlock()
		if handled != tc.runs {
			t.Errorf("GET %s: the error handler ran %d times, want %d", tc.target, handled, tc.runs)
		}
		if strings.Count(w.Body.String(), "\n") > 1 {
			t.Errorf("GET %s: answered twice: %q", tc.target, w.Body.String())
		}
	}
}

// Recover installed before the adapter answers after the span has ended:
// the span is tagged error with the panic logged, and has no status.
func TestRecoverBeforeMiddleware(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	e := echo.New()
	e.Logger.SetOutput(io.Discard)
	e.Use(middleware.Recover(), echotrace.Middleware(tr))
	e.GET("/panic", func(c echo.Context) error { panic("boom") })
	if w := mocktest.Serve(e, "GET", "/panic", nil); w.Code != 500 {
		t.Fatalf("answered %d, want Recover's 500", w.Code)
	}
	s := mocktest.OnlySpan(t, m)
	mocktest.WantTag(t, s, "error", true)
	mocktest.NoTag(t, s, "http.status_code")
	if len(s.Logs) == 0 || fmt.Sprint(s.Logs[0].Fields["message"]) != "boom" {
		t.Errorf("the panic is not logged on the span: %v", s.Logs)
	}
}

func TestSpanAccessor(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	other, om := mocktest.New(t, core.WithTraceAll(true))
	var mu sync.Mutex
	var inHandler, afterward opentracing.Span
	e := echo.New()
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			mu.Lock()
			afterward = echotrace.Span(c)
			mu.Unlock()
			return err
		}
	})
	e.Use(echotrace.Middleware(tr))
	e.GET("/items/:id", func(c echo.Context) error {
		span := echotrace.Span(c)
		if span == nil || span != tr.GetSpan(c.Request()) {
			return c.String(500, "Span(c) is not GetSpan's span")
		}
		span.SetTag("item", c.Param("id"))
		mu.Lock()
		inHandler = span
		mu.Unlock()
		return c.NoContent(204)
	})
	// Another tracer's server in the same process: Span finds its own.
	e2 := echo.New()
	e2.Use(echotrace.Middleware(other))
	e2.GET("/x", func(c echo.Context) error {
		if echotrace.Span(c) == nil || echotrace.Span(c) != other.GetSpan(c.Request()) || tr.GetSpan(c.Request()) != nil {
			return c.NoContent(500)
		}
		return c.NoContent(204)
	})

	if w := mocktest.Serve(e, "GET", "/items/42", nil); w.Code != 204 {
		t.Fatalf("GET /items/42: %d %s", w.Code, w.Body)
	}
	if w := mocktest.Serve(e2, "GET", "/x", nil); w.Code != 204 {
		t.Fatalf("GET /x on the other server: %d", w.Code)
	}
	mocktest.WantTag(t, mocktest.OnlySpan(t, m), "item", "42")
	mocktest.OnlySpan(t, om)
	mu.Lock()
	defer mu.Unlock()
	if inHandler == nil {
		t.Fatal("the handler never saw a span")
	}
	if afterward != nil {
		t.Error("Span(c) in the middleware before the adapter, after the request, is not nil")
	}
}

func TestSpanNotTraced(t *testing.T) {
	tr, _ := mocktest.New(t) // trace-all off
	e := newEcho(tr)
	var got opentracing.Span
	e.GET("/plain", func(c echo.Context) error { got = echotrace.Span(c); return nil })
	mocktest.Serve(e, "GET", "/plain", http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
	if got != nil {
		t.Errorf("Span(c) of a request that is not traced (trace-all off, not decorated) is %v, want nil", got)
	}
	if echotrace.Span(echo.New().NewContext(httptest.NewRequest("GET", "/", nil), httptest.NewRecorder())) != nil {
		t.Error("Span(c) of a request no adapter served is not nil")
	}
}

// The server wrapped whole in the same Tracer's Middleware too: one span
// per request, named after the route.
func TestNoDoubleSpan(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	e := routedEcho(tr)
	h := tr.Middleware(e)
	for _, tc := range nameCases {
		w := mocktest.Serve(h, tc.method, tc.target, nil)
		spans := m.FinishedSpans()
		m.Reset()
		if len(spans) != 1 {
			t.Errorf("%s %s: %d spans %v, want one", tc.method, tc.target, len(spans), names(spans))
			continue
		}
		s := spans[0]
		if s.Operation != tc.op {
			t.Errorf("%s %s: span named %q, want %q", tc.method, tc.target, s.Operation, tc.op)
		}
		mocktest.WantTag(t, s, "http.status_code", uint16(w.Code))
	}
}

// With trace-all off, only the decorated routes are traced, with the
// decorator's attributes, whether Middleware is installed or not.
func TestTraceAllOffDecorated(t *testing.T) {
	for _, withMiddleware := range []bool{false, true} {
		t.Run(fmt.Sprint("middleware=", withMiddleware), func(t *testing.T) {
			tr, m := mocktest.New(t)
			var e *echo.Echo
			if withMiddleware {
				e = newEcho(tr)
			} else {
				e = newEcho(nil)
			}
			e.GET("/items/:id", answer(200), echotrace.Trace(tr, "path", "method"))
			e.GET("/fails", func(c echo.Context) error { return echo.ErrForbidden }, echotrace.Trace(tr))
			e.GET("/plain", answer(200))
			admin := e.Group("/admin", echotrace.Trace(tr))
			admin.GET("/users/:id", func(c echo.Context) error {
				if echotrace.Span(c) == nil {
					return c.NoContent(500)
				}
				return c.NoContent(204)
			})

			for _, tc := range []struct {
				target string
				status int
				op     string // "": not traced
				route  string
			}{
				{"/items/42", 200, "GET /items/:id", "/items/:id"},
				{"/fails", 403, "GET /fails", "/fails"},
				{"/admin/users/7", 204, "GET /admin/users/:id", "/admin/users/:id"},
				{"/plain", 200, "", ""},
				{"/admin/nowhere", 404, "", ""}, // unmatched: traced as Middleware traces it, and trace-all is off
				{"/nowhere", 404, "", ""},
			} {
				w := mocktest.Serve(e, "GET", tc.target, nil)
				if w.Code != tc.status {
					t.Errorf("GET %s answered %d, want %d", tc.target, w.Code, tc.status)
				}
				spans := m.FinishedSpans()
				m.Reset()
				if tc.op == "" {
					if len(spans) != 0 {
						t.Errorf("GET %s, not decorated: traced %v", tc.target, names(spans))
					}
					continue
				}
				if len(spans) != 1 {
					t.Errorf("GET %s: %d spans %v, want one", tc.target, len(spans), names(spans))
					continue
				}
				s := spans[0]
				if s.Operation != tc.op {
					t.Errorf("GET %s: span named %q, want %q", tc.target, s.Operation, tc.op)
				}
				mocktest.WantTag(t, s, core.TagHTTPRoute, tc.route)
				mocktest.WantTag(t, s, "http.status_code", uint16(tc.status))
				if tc.target == "/items/42" {
					mocktest.WantTag(t, s, "path", "/items/42")
					mocktest.WantTag(t, s, "method", "GET")
				} else {
					mocktest.NoTag(t, s, "path")
				}
			}
		})
	}
}

// With trace-all on, the decorator is ignored where Middleware traces the
// request (one span, the tracer's attributes), and traces it where
// Middleware is missing.
func TestTraceAllOnDecorated(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	e := newEcho(tr)
	e.GET("/items/:id", answer(200), echotrace.Trace(tr, "path"))
	mocktest.Serve(e, "GET", "/items/1", nil)
	s := mocktest.OnlySpan(t, m)
	if s.Operation != "GET /items/:id" {
		t.Errorf("span named %q, want GET /items/:id", s.Operation)
	}
	mocktest.NoTag(t, s, "path")

	bare := newEcho(nil)
	bare.GET("/items/:id", answer(200), echotrace.Trace(tr, "path"))
	mocktest.Serve(bare, "GET", "/items/1", nil)
	if s := mocktest.OnlySpan(t, m); s.Operation != "GET /items/:id" {
		t.Errorf("without Middleware: span named %q, want GET /items/:id", s.Operation)
	}
}

func TestTraceUnknownAttributePanics(t *testing.T) {
	tr, _ := mocktest.New(t)
	defer func() {
		if recover() == nil {
			t.Error("Trace with an unknown attribute did not panic")
		}
	}()
	echotrace.Trace(tr, "no-such-attribute")
}

func TestSamplingByRoute(t *testing.T) {
	rules, err := sampling.ParseRules("GET /healthz=0; GET /items/:id=1; *=0")
	if err != nil {
		t.Fatal(err)
	}
	tr, m := mocktest.New(t, core.WithTraceAll(true), core.WithSamplingRules(rules...))
	e := newEcho(tr)
	e.GET("/healthz", answer(200))
	e.GET("/items/:id", answer(200))
	for i := range 3 {
		mocktest.Serve(e, "GET", "/healthz", nil)
		mocktest.Serve(e, "GET", "/items/"+strconv.Itoa(i), nil)
		mocktest.Serve(e, "GET", "/nowhere", nil)
	}
	spans := m.FinishedSpans()
	if len(spans) != 3 {
		t.Fatalf("want the 3 spans of GET /items/:id, got %v", names(spans))
	}
	for _, s := range spans {
		if s.Operation != "GET /items/:id" {
			t.Errorf("span %q sampled: only GET /items/:id is", s.Operation)
		}
	}
	ops := tr.Stats().Sampling.Operations
	if ops["GET /healthz"].NotSampled != 3 || ops["HTTP GET"].NotSampled != 3 {
		t.Errorf("the sampler did not decide on the routes' names: %v", ops)
	}
}

// The status and size of what echo writes reach the span, and the incoming
// trace is continued.
func TestResponseAndExtraction(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true), core.WithResponseSize(true))
	e := newEcho(tr)
	e.GET("/items/:id", func(c echo.Context) error {
		return c.JSONBlob(http.StatusCreated, []byte(`{"id":"`+c.Param("id")+`"}`))
	})
	e.GET("/stream", func(c echo.Context) error { // echo's Flush panics on a writer that cannot
		c.Response().WriteHeader(http.StatusAccepted)
		for range 3 {
			_, _ = io.WriteString(c.Response(), "chunk\n")
			c.Response().Flush()
		}
		return nil
	})
	w := mocktest.Serve(e, "GET", "/items/42", http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
	s := mocktest.OnlySpan(t, m)
	mocktest.WantTag(t, s, "http.status_code", uint16(201))
	mocktest.WantTag(t, s, "http.response_size", int64(w.Body.Len()))
	if s.TraceIDHex() != "4bf92f3577b34da6a3ce929d0e0e4736" || s.ParentID != 0x00f067aa0ba902b7 {
		t.Errorf("span [trace %s parent %x] does not continue the incoming trace", s.TraceIDHex(), s.ParentID)
	}

	w = mocktest.Serve(e, "GET", "/stream", nil)
	if w.Code != http.StatusAccepted || !w.Flushed || w.Body.Len() != 18 {
		t.Errorf("streamed %d %q, flushed %v: want 202, three chunks, flushed", w.Code, w.Body, w.Flushed)
	}
	s = mocktest.OnlySpan(t, m)
	mocktest.WantTag(t, s, "http.status_code", uint16(202))
	mocktest.WantTag(t, s, "http.response_size", int64(18))
}
