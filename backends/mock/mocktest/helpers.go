package mocktest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
)

// New returns a Tracer on the mock backend, closed when the test ends, and
// the mock tracer that records its spans.
func New(t testing.TB, opts ...core.Option) (*core.Tracer, *mock.Tracer) {
	t.Helper()
	tr, err := core.New("mock", opts...)
	if err != nil {
		t.Fatalf("core.New(mock): %v", err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr, tr.Unwrap().(*mock.Tracer)
}

// Serve serves one request, method target with header, through h in
// process and returns the response.
func Serve(h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// OnlySpan returns the one span m finished, failing the test unless there
// is exactly one, and resets m for the next request.
func OnlySpan(t testing.TB, m *mock.Tracer) mock.Span {
	t.Helper()
	spans := m.FinishedSpans()
	m.Reset()
	if len(spans) != 1 {
		names := make([]string, len(spans))
		for i, s := range spans {
			names[i] = s.Operation
		}
		t.Fatalf("%d spans %q, want 1", len(spans), names)
	}
	return spans[0]
}

// WantTag fails the test unless s has tag key with value want, of want's
// type.
func WantTag(t testing.TB, s mock.Span, key string, want any) {
	t.Helper()
	if got, ok := s.Tags[key]; !ok || got != want {
		t.Errorf("span %q: %s = %v (%T, present %v), want %v (%T)", s.Operation, key, got, got, ok, want, want)
	}
}

// NoTag fails the test if s has tag key.
func NoTag(t testing.TB, s mock.Span, key string) {
	t.Helper()
	if v, ok := s.Tags[key]; ok {
		t.Errorf("span %q: tagged %s=%v, want no such tag", s.Operation, key, v)
	}
}
