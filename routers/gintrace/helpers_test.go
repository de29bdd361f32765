package gintrace_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/traceplug/traceplug/backends/mock" // also registers "mock"
	"github.com/traceplug/traceplug/core"
)

// newMock returns a Tracer on the mock backend, whose spans m records.
func newMock(t *testing.T, opts ...core.Option) (tr *core.Tracer, m *mock.Tracer) {
	t.Helper()
	tr, err := core.New("mock", opts...)
	if err != nil {
		t.Fatalf("core.New(mock): %v", err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr, tr.Unwrap().(*mock.Tracer)
}

// do serves one request to h and returns the response.
func do(h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// onlySpan returns the only span m recorded, failing unless there is one.
func onlySpan(t *testing.T, m *mock.Tracer) mock.Span {
	t.Helper()
	spans := m.FinishedSpans()
	if len(spans) != 1 {
		names := make([]string, len(spans))
		for i, s := range spans {
			names[i] = s.Operation
		}
		t.Fatalf("%d spans %q, want 1", len(spans), names)
	}
	return spans[0]
}

// wantTag fails unless s has tag key with value want.
func wantTag(t *testing.T, s mock.Span, key string, want any) {
	t.Helper()
	if got, ok := s.Tags[key]; !ok || got != want {
		t.Errorf("span %q: %s = %v (%T, present %v), want %v (%T)", s.Operation, key, got, got, ok, want, want)
	}
}

// noTag fails if s has tag key.
func noTag(t *testing.T, s mock.Span, key string) {
	t.Helper()
	if v, ok := s.Tags[key]; ok {
		t.Errorf("span %q tagged %s=%v, want no such tag", s.Operation, key, v)
	}
}
