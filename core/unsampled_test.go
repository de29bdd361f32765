package core_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/core"
)

// TestUnsampledAllocations holds a request that records nothing to one
// allocation: its context and the request the handler gets, together (see
// carry), with or without an incoming trace, traced and not sampled or not
// traced at all. Extraction allocates nothing (the propagation package's
// TestExtractAllocs).
func TestUnsampledAllocations(t *testing.T) {
	unsampled := httptest.NewRequest("GET", "/items/42?page=2", nil)
	unsampled.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
	plain := httptest.NewRequest("GET", "/items/42?page=2", nil)
	for _, c := range []struct {
		name string
		opts []core.Option
		r    *http.Request
	}{
		{"new trace, not sampled", []core.Option{core.WithTraceAll(true), core.WithSampleRate(0)}, plain},
		{"unsampled parent", []core.Option{core.WithTraceAll(true)}, unsampled},
		{"not traced, parent passed on", nil, unsampled},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, m := newMock(t, c.opts...)
			var sc opentracing.SpanContext
			h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if span := opentracing.SpanFromContext(r.Context()); span != nil {
					sc = span.Context()
				}
			}))
			w := httptest.NewRecorder()
			n := testing.AllocsPerRun(200, func() { h.ServeHTTP(w, c.r) })
			if sc == nil {
				t.Fatal("the handler's context holds no span to carry the trace on")
			}
			if len(m.FinishedSpans()) != 0 {
				t.Fatalf("%d spans recorded", len(m.FinishedSpans()))
			}
			if n != 1 {
				t.Errorf("%v allocations a request, want 1 (the context with the handler's request)", n)
			}
		})
	}
}
