package gintrace_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/backends/mock/mocktest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/gintrace"
	"github.com/traceplug/traceplug/sampling"
)

// engine is a gin engine with Middleware installed as the package doc
// says, before gin's Recovery, serving routes.
func engine(tr *core.Tracer, routes func(e *gin.Engine)) *gin.Engine {
	e := gin.New()
	e.Use(gintrace.Middleware(tr), gin.RecoveryWithWriter(io.Discard))
	routes(e)
	return e
}

func ok(c *gin.Context) { c.String(http.StatusOK, "ok") }

func TestSpanNamesAndRoutes(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.Use(gintrace.Middleware(tr), gin.RecoveryWithWriter(io.Discard))
	e.GET("/items", ok)
	e.GET("/items/:id", ok)
	e.GET("/users/:uid/orders/:oid", ok)
	e.GET("/files/*rest", ok)
	e.POST("/items", ok)
	api := e.Group("/api")
	api.GET("/users/:id", ok)
	v2 := api.Group("/v2")
	v2.GET("/users/:id", ok)

	for _, tc := range []struct {
		name, method, target string
		span, route          string // route "" for none
		status               uint16
	}{
		{"static", "GET", "/items", "GET /items", "/items", 200},
		{"static POST", "POST", "/items", "POST /items", "/items", 200},
		{"parameter", "GET", "/items/42?x=1", "GET /items/:id", "/items/:id", 200},
		{"two parameters", "GET", "/users/7/orders/9", "GET /users/:uid/orders/:oid", "/users/:uid/orders/:oid", 200},
		{"wildcard", "GET", "/files/a/b/c.txt", "GET /files/*rest", "/files/*rest", 200},
		{"wildcard empty", "GET", "/files/", "GET /files/*rest", "/files/*rest", 200},
		{"group", "GET", "/api/users/3", "GET /api/users/:id", "/api/users/:id", 200},
		{"nested group", "GET", "/api/v2/users/3", "GET /api/v2/users/:id", "/api/v2/users/:id", 200},
		{"unmatched", "GET", "/nowhere/42", "HTTP GET", "", 404},
		{"unmatched in a group", "GET", "/api/nowhere", "HTTP GET", "", 404},
		{"method not allowed", "DELETE", "/items", "HTTP DELETE", "", 405},
		{"unknown method", "PURGE", "/items/42", "HTTP _OTHER", "", 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m.Reset()
			w := mocktest.Serve(e, tc.method, tc.target, nil)
			if w.Code != int(tc.status) {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			s := mocktest.OnlySpan(t, m)
			if s.Operation != tc.span {
				t.Errorf("span named %q, want %q", s.Operation, tc.span)
			}
			if path, _, _ := strings.Cut(tc.target, "?"); tc.route == "" && strings.Contains(s.Operation, path) {
				t.Errorf("span named %q after the raw path", s.Operation)
			}
			if tc.route != "" {
				mocktest.WantTag(t, s, core.TagHTTPRoute, tc.route)
			} else {
				mocktest.NoTag(t, s, core.TagHTTPRoute)
			}
			mocktest.WantTag(t, s, "http.status_code", tc.status)
			mocktest.WantTag(t, s, "span.kind", ext.SpanKindRPCServerEnum)
		})
	}
}

func TestUnmatchedWithNoRouteHandler(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	e := engine(tr, func(e *gin.Engine) {
		e.NoRoute(func(c *gin.Context) { c.JSON(http.StatusNotFound, gin.H{"error": "no such page"}) })
	})
	w := mocktest.Serve(e, "GET", "/users/42", nil)
	s := mocktest.OnlySpan(t, m)
	if s.Operation != "HTTP GET" || w.Code != 404 {
		t.Errorf("span %q, status %d; want HTTP GET, 404", s.Operation, w.Code)
	}
	mocktest.WantTag(t, s, "http.status_code", uint16(404))
}

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler gin.HandlerFunc
		status  uint16
		error   bool
	}{
		{"written", func(c *gin.Context) { c.String(http.StatusCreated, "made") }, 201, false},
		{"AbortWithStatus", func(c *gin.Context) { c.AbortWithStatus(http.StatusForbidden) }, 403, false},
		{"AbortWithStatusJSON", func(c *gin.Context) { c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"e": 1}) }, 400, false},
		{"AbortWithError", func(c *gin.Context) { _ = c.AbortWithError(http.StatusBadGateway, errors.New("upstream")) }, 502, true},
		{"status, no body", func(c *gin.Context) { c.Status(http.StatusNoContent) }, 204, false},
		{"nothing written", func(c *gin.Context) {}, 200, false},
		// gin sends the last status recorded before the body: so does the span.
		{"status replaced before the body", func(c *gin.Context) {
			c.Status(http.StatusAccepted)
			c.String(http.StatusOK, "ok")
		}, 200, false},
		{"status after the body is ignored", func(c *gin.Context) {
			c.String(http.StatusOK, "ok")
			c.Status(http.StatusTeapot)
		}, 200, false},
		{"500", func(c *gin.Context) { c.String(http.StatusInternalServerError, "boom") }, 500, true},
		{"WriteHeaderNow", func(c *gin.Context) {
			c.Status(http.StatusTeapot)
			c.Writer.WriteHeaderNow()
			c.Status(http.StatusOK)
		}, 418, false},
		{"flushed", func(c *gin.Context) {
			c.Status(http.StatusPartialContent)
			http.NewResponseController(c.Writer).Flush()
		}, 206, false},
		{"panic through Recovery", func(c *gin.Context) { panic("boom") }, 500, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, m := mocktest.New(t, core.WithTraceAll(true))
			e := engine(tr, func(e *gin.Engine) { e.GET("/x", tc.handler) })
			w := mocktest.Serve(e, "GET", "/x", nil)
			if w.Code != int(tc.status) {
				t.Errorf("gin sent %d, want %d", w.Code, tc.status)
			}
			s := mocktest.OnlySpan(t, m)
			mocktest.WantTag(t, s, "http.status_code", tc.status)
			if _, e := s.Tags["error"]; e != tc.error {
				t.Errorf("tagged error: %v, want %v", e, tc.error)
			}
		})
	}
}

// With gin.Default()'s order, Recovery before Middleware, the panic goes
// through the span, which ends before Recovery answers 500.
func TestPanicRecoveredOutside(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	e := gin.New()
	e.Use(gin.RecoveryWithWriter(io.Discard), gintrace.Middleware(tr))
	e.GET("/x", func(c *gin.Context) { panic("boom") })
	w := mocktest.Serve(e, "GET", "/x", nil)
	if w.Code != 500 {
		t.Errorf("Recovery sent %d, want 500", w.Code)
	}
	s := mocktest.OnlySpan(t, m)
	mocktest.WantTag(t, s, "error", true)
	mocktest.NoTag(t, s, "http.status_code")
	logged := false
	for _, l := range s.Logs {
		if l.Fields["event"] == "error" && strings.Contains(l.Fields["message"].(string), "boom") {
			logged = true
		}
	}
	if !logged {
		t.Errorf("no error log with the panic's message: %v", s.Logs)
	}
}

func TestResponseSize(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true), core.WithResponseSize(true))
	e := engine(tr, func(e *gin.Engine) {
		e.GET("/json", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"id": 42}) })
		e.GET("/string", func(c *gin.Context) {
			_, _ = c.Writer.WriteString("hello, ")
			_, _ = c.Writer.Write([]byte("world"))
		})
	})
	for path, want := range map[string]int64{"/json": int64(len(`{"id":42}`)), "/string": int64(len("hello, world"))} {
		m.Reset()
		w := mocktest.Serve(e, "GET", path, nil)
		s := mocktest.OnlySpan(t, m)
		mocktest.WantTag(t, s, "http.response_size", want)
		if int64(w.Body.Len()) != want {
			t.Errorf("%s: gin sent %d bytes, want %d", path, w.Body.Len(), want)
		}
	}
}

func TestSpanAccessor(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	type seen struct {
		span, copied, getSpan opentracing.Span
		pattern               string
	}
	got := make(chan seen, 1)
	e := engine(tr, func(e *gin.Engine) {
		e.GET("/items/:id", func(c *gin.Context) {
			gintrace.Span(c).SetTag("item", c.Param("id"))
			got <- seen{gintrace.Span(c), gintrace.Span(c.Copy()), tr.GetSpan(c.Request), c.Request.Pattern}
		})
	})
	mocktest.Serve(e, "GET", "/items/7", nil)
	s := mocktest.OnlySpan(t, m)
	v := <-got
	if v.span == nil || v.span != v.getSpan || v.copied != v.span {
		t.Fatalf("Span(c) %v, Span(c.Copy()) %v, GetSpan(c.Request) %v: want the same live span", v.span, v.copied, v.getSpan)
	}
	if id := v.span.Context().(mock.SpanContext).SpanID; id != s.SpanID {
		t.Errorf("Span(c) has span id %x, the recorded span %x", id, s.SpanID)
	}
	mocktest.WantTag(t, s, "item", "7")
	if v.pattern != "/items/:id" {
		t.Errorf("c.Request.Pattern = %q, want /items/:id", v.pattern)
	}

	// Not traced: nil; after the span, nil.
	var outside *gin.Context
	off, _ := mocktest.New(t)
	e = engine(off, func(e *gin.Engine) {
		e.GET("/plain", func(c *gin.Context) {
			if sp := gintrace.Span(c); sp != nil {
				t.Errorf("Span(c) = %v for a request that is not traced", sp)
			}
		})
	})
	mocktest.Serve(e, "GET", "/plain", nil)
	e = engine(tr, func(e *gin.Engine) { e.GET("/later", func(c *gin.Context) { outside = c.Copy() }) })
	mocktest.Serve(e, "GET", "/later", nil)
	if sp := gintrace.Span(outside); sp != nil {
		t.Errorf("Span(c.Copy()) = %v once the request's span finished, want nil", sp)
	}
	if gintrace.Span(nil) != nil {
		t.Error("Span(nil) is not nil")
	}
}

// The engine wrapped whole in tracer.Middleware too: one span, named after
// the route gin matched.
func TestEngineWrappedWholeTracesOnce(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true), core.WithResponseSize(true))
	h := tr.Middleware(engine(tr, func(e *gin.Engine) {
		e.GET("/items/:id", func(c *gin.Context) {
			if gintrace.Span(c) == nil || gintrace.Span(c) != tr.GetSpan(c.Request) {
				t.Error("Span(c) is not the span of tracer.Middleware")
			}
			c.AbortWithStatusJSON(http.StatusConflict, gin.H{"id": c.Param("id")})
		})
		e.GET("/decorated/:id", gintrace.Trace(tr, "path"), ok)
	}))
	for _, tc := range []struct {
		target, name, route string
		status              uint16
	}{
		{"/items/1", "GET /items/:id", "/items/:id", 409},
		{"/decorated/1", "GET /decorated/:id", "/decorated/:id", 200},
		{"/nowhere", "HTTP GET", "", 404},
		{"/items/1/", "HTTP GET", "", 301}, // gin's redirect runs no handler
	} {
		m.Reset()
		w := mocktest.Serve(h, "GET", tc.target, nil)
		s := mocktest.OnlySpan(t, m)
		if s.Operation != tc.name || w.Code != int(tc.status) {
			t.Errorf("%s: span %q status %d, want %q %d", tc.target, s.Operation, w.Code, tc.name, tc.status)
		}
		if tc.route != "" {
			mocktest.WantTag(t, s, core.TagHTTPRoute, tc.route)
		}
		mocktest.WantTag(t, s, "http.status_code", tc.status)
		mocktest.WantTag(t, s, "http.response_size", int64(w.Body.Len()))
		mocktest.NoTag(t, s, "path") // trace-all on: the decorator's attributes are ignored
	}
}

func TestTraceAllOffDecorated(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTracedAttributes("method"))
	e := engine(tr, func(e *gin.Engine) {
		e.GET("/plain/:id", func(c *gin.Context) {
			if gintrace.Span(c) != nil {
				t.Error("an undecorated route has a span")
			}
		})
		e.GET("/orders/:id", gintrace.Trace(tr, "path"), func(c *gin.Context) {
			if gintrace.Span(c) == nil {
				t.Error("a decorated route has no span")
			}
			c.AbortWithStatus(http.StatusAccepted)
		})
		g := e.Group("/admin", gintrace.Trace(tr))
		g.DELETE("/users/:id", ok)
	})
	mocktest.Serve(e, "GET", "/plain/1", nil)
	mocktest.Serve(e, "GET", "/nowhere", nil)
	if n := len(m.FinishedSpans()); n != 0 {
		t.Fatalf("trace-all off: %d spans for undecorated routes", n)
	}
	mocktest.Serve(e, "GET", "/orders/9?q=1", nil)
	s := mocktest.OnlySpan(t, m)
	if s.Operation != "GET /orders/:id" {
		t.Errorf("decorated route's span named %q, want GET /orders/:id", s.Operation)
	}
	mocktest.WantTag(t, s, "path", "/orders/9")
	mocktest.NoTag(t, s, "method") // the decorator's attributes, not the tracer's
	mocktest.WantTag(t, s, core.TagHTTPRoute, "/orders/:id")
	mocktest.WantTag(t, s, "http.status_code", uint16(202))

	m.Reset()
	mocktest.Serve(e, "DELETE", "/admin/users/3", nil)
	if s := mocktest.OnlySpan(t, m); s.Operation != "DELETE /admin/users/:id" {
		t.Errorf("a group's decorated route's span named %q, want DELETE /admin/users/:id", s.Operation)
	}
}

// Trace without Middleware: the decorator names the span after the route
// itself.
func TestTraceWithoutMiddleware(t *testing.T) {
	tr, m := mocktest.New(t)
	e := gin.New()
	e.Use(gin.RecoveryWithWriter(io.Discard))
	e.GET("/orders/:id", gintrace.Trace(tr), ok)
	mocktest.Serve(e, "GET", "/orders/1", nil)
	if s := mocktest.OnlySpan(t, m); s.Operation != "GET /orders/:id" {
		t.Errorf("span named %q, want GET /orders/:id", s.Operation)
	}
}

// Trace-all on: a decorated route is traced once, by Middleware.
func TestTraceAllOnIgnoresTheDecorator(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	e := engine(tr, func(e *gin.Engine) { e.GET("/orders/:id", gintrace.Trace(tr, "path"), ok) })
	mocktest.Serve(e, "GET", "/orders/1", nil)
	s := mocktest.OnlySpan(t, m)
	if s.Operation != "GET /orders/:id" {
		t.Errorf("span named %q, want GET /orders/:id", s.Operation)
	}
	mocktest.NoTag(t, s, "path")
}

func TestSamplingRuleByRoute(t *testing.T) {
	rules, err := sampling.ParseRules("GET /healthz=0; GET /items/:id=1; *=0")
	if err != nil {
		t.Fatal(err)
	}
	tr, m := mocktest.New(t, core.WithTraceAll(true), core.WithSamplingRules(rules...))
	e := engine(tr, func(e *gin.Engine) {
		e.GET("/healthz", ok)
		e.GET("/items/:id", ok)
		e.GET("/other", ok)
	})
	for _, p := range []string{"/healthz", "/items/1", "/other", "/items/2"} {
		mocktest.Serve(e, "GET", p, nil)
	}
	spans := m.FinishedSpans()
	if len(spans) != 2 || spans[0].Operation != "GET /items/:id" || spans[1].Operation != "GET /items/:id" {
		t.Errorf("sampled %v, want GET /items/:id twice", spans)
	}
}

// An incoming trace continues, in the formats the tracer reads, and with
// trace-all off an undecorated route passes it on to the calls it makes.
func TestIncomingTrace(t *testing.T) {
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tr, m := mocktest.New(t, core.WithTraceAll(true))
	e := engine(tr, func(e *gin.Engine) { e.GET("/items/:id", ok) })
	mocktest.Serve(e, "GET", "/items/1", http.Header{"Traceparent": {parent}})
	s := mocktest.OnlySpan(t, m)
	if s.TraceIDHex() != "4bf92f3577b34da6a3ce929d0e0e4736" || s.ParentID != 0x00f067aa0ba902b7 {
		t.Errorf("span in trace %s under %x, want the incoming trace", s.TraceIDHex(), s.ParentID)
	}

	off, _ := mocktest.New(t)
	var out http.Header
	e = engine(off, func(e *gin.Engine) {
		e.GET("/plain", func(c *gin.Context) {
			out = http.Header{}
			sp := opentracing.SpanFromContext(c.Request.Context())
			if sp == nil {
				t.Fatal("no span context to pass on")
			}
			_ = off.Inject(sp.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(out))
		})
	})
	mocktest.Serve(e, "GET", "/plain", http.Header{"Traceparent": {parent}})
	if got := out.Get("Traceparent"); !strings.Contains(got, "4bf92f3577b34da6a3ce929d0e0e4736") {
		t.Errorf("passed on traceparent %q, want the incoming trace", got)
	}
}

func TestTracedAttributesAndRedaction(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true), core.WithTracedAttributes("path", "Header"))
	e := engine(tr, func(e *gin.Engine) { e.GET("/items/:id", ok) })
	mocktest.Serve(e, "GET", "/items/1?token=secret-value&page=2", http.Header{"Authorization": {"Bearer abc.def"}})
	s := mocktest.OnlySpan(t, m)
	mocktest.WantTag(t, s, "path", "/items/1")
	for k, v := range s.Tags {
		if str, _ := v.(string); strings.Contains(str, "secret-value") || strings.Contains(str, "abc.def") {
			t.Errorf("tag %s=%q holds a secret", k, str)
		}
	}
}

func TestNilTracerPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"Middleware": func() { gintrace.Middleware(nil) },
		"Trace":      func() { gintrace.Trace(nil) },
		"Trace with an unknown attribute": func() {
			tr, _ := mocktest.New(t)
			gintrace.Trace(tr, "no such attribute")
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// gin's own answers to requests no route matched are the same, byte for
// byte, with Middleware, which writes them early so that the span counts
// them.
func TestUnmatchedAnswersUnchanged(t *testing.T) {
	routes := func(e *gin.Engine) {
		e.GET("/items", ok)
		e.NoMethod(func(c *gin.Context) { c.Header("X-No-Method", "1") })
	}
	bare := gin.New()
	bare.HandleMethodNotAllowed = true
	routes(bare)
	tr, m := mocktest.New(t, core.WithTraceAll(true), core.WithResponseSize(true))
	traced := gin.New()
	traced.HandleMethodNotAllowed = true
	traced.Use(gintrace.Middleware(tr))
	routes(traced)
	for _, tc := range []struct{ method, target string }{
		{"GET", "/nowhere"}, {"POST", "/items"}, {"HEAD", "/nowhere"},
	} {
		m.Reset()
		want, got := mocktest.Serve(bare, tc.method, tc.target, nil), mocktest.Serve(traced, tc.method, tc.target, nil)
		if got.Code != want.Code || got.Body.String() != want.Body.String() || fmt.Sprint(got.Header()) != fmt.Sprint(want.Header()) {
			t.Errorf("%s %s: traced answer %d %v %q, gin's %d %v %q", tc.method, tc.target,
				got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
		}
		s := mocktest.OnlySpan(t, m)
		mocktest.WantTag(t, s, "http.status_code", uint16(want.Code))
		mocktest.WantTag(t, s, "http.response_size", int64(want.Body.Len()))
	}

	// A NoRoute handler that answers: gin adds nothing, nor does Middleware.
	m.Reset()
	traced.NoRoute(func(c *gin.Context) { c.String(http.StatusTeapot, "short and stout") })
	w := mocktest.Serve(traced, "GET", "/nowhere", nil)
	if w.Code != http.StatusTeapot || w.Body.String() != "short and stout" {
		t.Errorf("NoRoute's answer became %d %q", w.Code, w.Body)
	}
	mocktest.WantTag(t, mocktest.OnlySpan(t, m), "http.response_size", int64(len("short and stout")))
}

// Hijacking and flushing over a real connection go through the span's
// writer, which sees them.
func TestHijackAndFlush(t *testing.T) {
	tr, m := mocktest.New(t, core.WithTraceAll(true), core.WithResponseSize(true))
	served := make(chan struct{}, 1) // the span of /upgrade has ended
	e := gin.New()
	e.Use(func(c *gin.Context) {
		c.Next()
		if c.FullPath() == "/upgrade" {
			served <- struct{}{}
		}
	}, gintrace.Middleware(tr))
	func(e *gin.Engine) {
		e.GET("/upgrade", func(c *gin.Context) {
			conn, rw, err := c.Writer.Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			defer conn.Close()
			_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")
			_ = rw.Flush()
		})
		e.GET("/stream", func(c *gin.Context) {
			for i := range 3 {
				c.SSEvent("n", i)
				c.Writer.Flush()
			}
		})
	}(e)
	srv := httptest.NewServer(e)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	s := mocktest.OnlySpan(t, m)
	mocktest.WantTag(t, s, "http.status_code", uint16(200))
	mocktest.WantTag(t, s, "http.response_size", int64(len(body)))

	m.Reset()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")
	resp, err = http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("status %d, want 101", resp.StatusCode)
	}
	<-served
	s = mocktest.OnlySpan(t, m)
	mocktest.NoTag(t, s, "http.status_code") // a hijacked connection's status is the handler's business
	mocktest.NoTag(t, s, "error")
}
