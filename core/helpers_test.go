package core_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
)

// newMock builds a Tracer on the mock backend and returns it with the mock
// tracer that records its spans.
func newMock(t *testing.T, opts ...core.Option) (*core.Tracer, *mock.Tracer) {
	t.Helper()
	tr, err := core.New("mock", opts...)
	if err != nil {
		t.Fatalf("core.New(mock): %v", err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr, tr.Unwrap().(*mock.Tracer)
}

// do serves one request through h and returns the recorded response.
func do(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// ok is a handler that writes 200 "ok".
var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })

// onlySpan returns the only recorded span, failing unless there is exactly one.
func onlySpan(t *testing.T, m *mock.Tracer) mock.Span {
	t.Helper()
	spans := m.FinishedSpans()
	if len(spans) != 1 {
		t.Fatalf("recorded %d spans, want 1: %+v", len(spans), spans)
	}
	return spans[0]
}

func wantTag(t *testing.T, s mock.Span, key string, want any) {
	t.Helper()
	got, found := s.Tags[key]
	if !found {
		t.Errorf("span %.100q has no tag %q; tags: %.500v", s.Operation, key, s.Tags)
		return
	}
	if got != want {
		t.Errorf("span %.100q tag %q = %.200s, want %#v", s.Operation, key, fmt.Sprintf("%#v", got), want)
	}
}

func fmtAny(v any) string { return fmt.Sprint(v) }

func newRequest(path string) *http.Request { return httptest.NewRequest("GET", path, nil) }

// mockOf returns the mock tracer under tr.
func mockOf(tr *core.Tracer) *mock.Tracer { return tr.Unwrap().(*mock.Tracer) }
