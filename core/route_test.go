package core_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/sampling"
)

// routed is how a router adapter calls ServeRoute: the router has matched
// route before its middleware runs.
func routed(tr *core.Tracer, route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.ServeRoute(w, r, route, next)
	})
}

func TestServeRouteNamesTheSpan(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	for _, tc := range []struct{ route, name string }{
		{"/items/:id", "GET /items/:id"},
		{"/files/*", "GET /files/*"},
		{"", "HTTP GET"}, // unmatched: never the raw path
	} {
		m.Reset()
		do(routed(tr, tc.route, ok), newRequest("/items/42?x=1"))
		s := onlySpan(t, m)
		if s.Operation != tc.name {
			t.Errorf("route %q: span named %q, want %q", tc.route, s.Operation, tc.name)
		}
		if tc.route != "" {
			wantTag(t, s, core.TagHTTPRoute, tc.route)
		} else if _, found := s.Tags[core.TagHTTPRoute]; found {
			t.Errorf("unmatched request tagged %s=%v", core.TagHTTPRoute, s.Tags[core.TagHTTPRoute])
		}
	}
}

func TestServeRouteInsideMiddlewareTracesOnce(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	var pattern string
	h := tr.Middleware(routed(tr, "/items/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pattern = r.Pattern
		if tr.GetSpan(r) == nil {
			t.Error("GetSpan is nil under ServeRoute")
		}
	})))
	do(h, newRequest("/items/42"))
	s := onlySpan(t, m)
	if s.Operation != "GET /items/{id}" {
		t.Errorf("span named %q, want GET /items/{id}", s.Operation)
	}
	wantTag(t, s, core.TagHTTPRoute, "/items/{id}")
	if pattern != "/items/{id}" {
		t.Errorf("the handler saw r.Pattern %q", pattern)
	}
}

func TestServeRouteRulesSeeTheRoute(t *testing.T) {
	rules, err := sampling.ParseRules("GET /healthz=0; *=1")
	if err != nil {
		t.Fatal(err)
	}
	tr, m := newMock(t, core.WithTraceAll(true), core.WithSamplingRules(rules...))
	do(routed(tr, "/healthz", ok), newRequest("/healthz"))
	do(routed(tr, "/items/:id", ok), newRequest("/items/1"))
	s := onlySpan(t, m)
	if s.Operation != "GET /items/:id" {
		t.Errorf("exported %q, want only GET /items/:id", s.Operation)
	}
}

func TestServeRouteTraceAllOffPassesTheTraceAndDecoratorTraces(t *testing.T) {
	tr, m := newMock(t)
	do(routed(tr, "/plain", ok), newRequest("/plain"))
	if n := len(m.FinishedSpans()); n != 0 {
		t.Fatalf("trace-all off: %d spans for an undecorated route", n)
	}
	do(routed(tr, "/items/:id", tr.Trace()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))), newRequest("/items/1"))
	s := onlySpan(t, m)
	if s.Operation != "GET /items/:id" {
		t.Errorf("a decorated function literal under a route is named %q, want GET /items/:id", s.Operation)
	}
}

// TestServeRouteOnAnotherGoroutine: a router that runs on another goroutine
// than Middleware (behind http.TimeoutHandler) names the outer span without
// a race, even when the handler outlives the timeout.
func TestServeRouteOnAnotherGoroutine(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	release, done := make(chan struct{}), make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		<-release
	})
	h := tr.Middleware(http.TimeoutHandler(routed(tr, "/items/{id}", slow), time.Millisecond, "late"))
	w := do(h, newRequest("/items/1"))
	close(release)
	<-done
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want the timeout's 503", w.Code)
	}
	s := onlySpan(t, m)
	if s.Operation != "GET /items/{id}" && s.Operation != "HTTP GET" {
		t.Errorf("span named %q", s.Operation)
	}
}
