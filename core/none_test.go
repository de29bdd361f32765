package core_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/core"
)

// TestNoneBackend: with tracing off, handlers still get a span (a no-op one)
// from GetSpan and the context, so code written for a real backend runs
// unchanged, and the transport is the base one.
func TestNoneBackend(t *testing.T) {
	tr, err := core.New("none", core.WithTraceAll(true))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var seen *http.Request
	var observed int
	tr2, _ := core.New("none", core.WithTraceAll(true), core.WithSpanObserver(func(opentracing.Span, *http.Request) { observed++ }))
	defer tr2.Close()
	for _, tracer := range []*core.Tracer{tr, tr2} {
		mux := http.NewServeMux()
		mux.Handle("/x", tracer.Trace("path")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			span := tracer.GetSpan(r)
			if span == nil {
				t.Fatal("GetSpan is nil under the none backend")
			}
			span.SetTag("k", "v").LogKV("event", "e") // must not panic
			if opentracing.SpanFromContext(r.Context()) != span {
				t.Error("the context's span is not GetSpan's")
			}
			seen = r
			w.WriteHeader(http.StatusTeapot)
		})))
		w := httptest.NewRecorder()
		tracer.Middleware(mux).ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
		if w.Code != http.StatusTeapot {
			t.Errorf("status %d", w.Code)
		}
		if tracer.GetSpan(seen) != nil {
			t.Error("GetSpan after the request is not nil")
		}
	}
	if observed != 1 {
		t.Errorf("the observer ran %d times, want 1", observed)
	}
	base := http.DefaultTransport
	if tr.Transport(base) != base {
		t.Error("Transport under the none backend should be the base round tripper")
	}
}

func TestNoneBackendAllocations(t *testing.T) {
	tr, _ := core.New("none", core.WithTraceAll(true))
	defer tr.Close()
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest("GET", "/", nil)
	w := httptest.NewRecorder()
	if n := testing.AllocsPerRun(200, func() { h.ServeHTTP(w, r) }); n > 2 {
		t.Errorf("the none backend costs %v allocations a request, want at most 2 (the context and the request copy)", n)
	}
}
