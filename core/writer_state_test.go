package core_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/instrument"
)

// stateWriter is a router's writer that keeps the response's state, as
// gin's does: it sends its recorded status late, when the router finishes.
type stateWriter struct {
	http.ResponseWriter
	status, size int
	sent         bool
	returned     bool
	hijacked     bool
	calls        int
}

var _ instrument.ResponseState = (*stateWriter)(nil)

func (w *stateWriter) WriteHeader(code int) { w.status = code }

func (w *stateWriter) Write(b []byte) (int, error) {
	if !w.sent {
		w.sent = true
		w.ResponseWriter.WriteHeader(w.status)
	}
	n, err := w.ResponseWriter.Write(b)
	w.size += n
	return n, err
}

func (w *stateWriter) ResponseState() (int, int64, bool) {
	w.calls++
	if w.hijacked {
		return 0, 0, true
	}
	if !w.sent && !w.returned {
		return 0, 0, false
	}
	return w.status, int64(w.size), false
}

// A writer that keeps the response's state reaches the handler unwrapped,
// and the span records what it reports, read once, after the handler.
func TestResponseStateWriterIsReadNotWrapped(t *testing.T) {
	cases := []struct {
		name       string
		handler    func(w *stateWriter)
		status     any // the http.status_code tag; nil: none
		size       int64
		wantErrTag bool
	}{
		{"written", func(w *stateWriter) { w.WriteHeader(201); _, _ = w.Write([]byte("made")) }, uint16(201), 4, false},
		{"sent late", func(w *stateWriter) { w.WriteHeader(503); w.returned = true }, uint16(503), 0, true},
		{"hijacked", func(w *stateWriter) { w.hijacked = true }, nil, 0, false},
		{"nothing yet", func(w *stateWriter) {}, uint16(200), 0, false}, // nothing reported: net/http sends 200
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, m := newMock(t, core.WithTraceAll(true), core.WithResponseSize(true))
			sw := &stateWriter{ResponseWriter: httptest.NewRecorder(), status: 200}
			h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if w != http.ResponseWriter(sw) {
					t.Errorf("the handler got %T, want the router's own writer", w)
				}
				c.handler(sw)
			}))
			h.ServeHTTP(sw, newRequest("/x"))
			if sw.calls != 1 {
				t.Errorf("ResponseState called %d times, want once", sw.calls)
			}
			s := onlySpan(t, m)
			if c.status == nil {
				if v, ok := s.Tags["http.status_code"]; ok {
					t.Errorf("http.status_code %v on a hijacked connection", v)
				}
			} else {
				wantTag(t, s, "http.status_code", c.status)
			}
			wantTag(t, s, "http.response_size", c.size)
			if _, ok := s.Tags["error"]; ok != c.wantErrTag {
				t.Errorf("error tag %v, want %v", ok, c.wantErrTag)
			}
		})
	}
}

// A handler that panics before anything was sent leaves no status.
func TestResponseStateWriterPanic(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	sw := &stateWriter{ResponseWriter: httptest.NewRecorder(), status: 200}
	h := tr.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	func() {
		defer func() { _ = recover() }()
		h.ServeHTTP(sw, newRequest("/x"))
	}()
	s := onlySpan(t, m)
	if v, ok := s.Tags["http.status_code"]; ok {
		t.Errorf("http.status_code %v after a panic before any write", v)
	}
}
