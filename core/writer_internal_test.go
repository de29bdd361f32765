package core

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestWriterShapes: the combinations wrap knows are those of net/http's
// writers as this Go version has them (if a new Go changes one, its writer
// goes through httpsnoop, and this test says so), and each wrapper type
// implements exactly its combination.
func TestWriterShapes(t *testing.T) {
	seen := map[string]shape{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen[r.Proto] = shapeOf(w) })
	s1 := httptest.NewServer(h)
	if resp, err := s1.Client().Get(s1.URL); err == nil {
		resp.Body.Close()
	}
	s1.Close()
	s2 := httptest.NewUnstartedServer(h)
	s2.EnableHTTP2 = true
	s2.StartTLS()
	if resp, err := s2.Client().Get(s2.URL); err == nil {
		resp.Body.Close()
	}
	s2.Close()
	for proto, want := range map[string]shape{"HTTP/1.1": shapeHTTP1, "HTTP/2.0": shapeHTTP2} {
		if got := seen[proto]; got != want {
			t.Errorf("net/http's %s writer has shape %b, wrap expects %b", proto, got, want)
		}
	}
	if got := shapeOf(httptest.NewRecorder()); got != shapeRecorder {
		t.Errorf("httptest's recorder has shape %b, wrap expects %b", got, shapeRecorder)
	}
	rw := &respWriter{}
	for name, c := range map[string]struct {
		w    http.ResponseWriter
		want shape
	}{
		"http1":    {(*http1Writer)(rw), shapeHTTP1},
		"http2":    {(*http2Writer)(rw), shapeHTTP2},
		"recorder": {(*recorderWriter)(rw), shapeRecorder},
	} {
		if got := shapeOf(c.w); got != c.want {
			t.Errorf("%s wrapper has shape %b, want %b", name, got, c.want)
		}
		if _, ok := c.w.(interface{ Unwrap() http.ResponseWriter }); !ok {
			t.Errorf("%s wrapper has no Unwrap, which http.ResponseController needs", name)
		}
	}
}

// everything is a writer with every optional interface, whose shape wrap
// does not know: it goes through httpsnoop.
type everything struct{ *httptest.ResponseRecorder }

func (everything) FlushError() error                            { return nil }
func (everything) CloseNotify() <-chan bool                     { return nil }
func (everything) Hijack() (net.Conn, *bufio.ReadWriter, error) { return nil, nil, nil }
func (everything) ReadFrom(io.Reader) (int64, error)            { return 0, nil }
func (everything) SetReadDeadline(time.Time) error              { return nil }
func (everything) SetWriteDeadline(time.Time) error             { return nil }
func (everything) EnableFullDuplex() error                      { return nil }
func (everything) Push(string, *http.PushOptions) error         { return nil }

// TestWrapObservesAlike: through a known wrapper and through httpsnoop, the
// status is the one net/http would send (200 once written, later
// WriteHeaders ignored), bytes are counted, and a hijack leaves no status.
func TestWrapObservesAlike(t *testing.T) {
	for name, mk := range map[string]func() http.ResponseWriter{
		"known":     func() http.ResponseWriter { return httptest.NewRecorder() },
		"httpsnoop": func() http.ResponseWriter { return everything{httptest.NewRecorder()} },
	} {
		t.Run(name, func(t *testing.T) {
			sized := &Tracer{responseSize: true}
			rq := &request{t: sized}
			w := rq.wrap(mk())
			_, _ = io.WriteString(w, "ab")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("c"))
			if rq.status != http.StatusOK || rq.bytes != 3 {
				t.Errorf("status %d, bytes %d: want 200 (the write sent it) and 3", rq.status, rq.bytes)
			}
			if want := shapeOf(mk()); shapeOf(w) != want {
				t.Errorf("wrapped shape %b, want the writer's %b", shapeOf(w), want)
			}
			rq = &request{t: sized}
			w = rq.wrap(mk())
			w.WriteHeader(http.StatusTeapot)
			w.WriteHeader(http.StatusInternalServerError)
			if rq.status != http.StatusTeapot {
				t.Errorf("status %d, want the first WriteHeader's 418", rq.status)
			}
			if h, ok := w.(http.Hijacker); ok {
				rq = &request{t: sized}
				w = rq.wrap(mk())
				h = w.(http.Hijacker)
				_, _, _ = h.Hijack()
				w.WriteHeader(http.StatusOK)
				if !rq.hijacked || rq.status != 0 {
					t.Errorf("after a hijack: hijacked %t, status %d", rq.hijacked, rq.status)
				}
			}
		})
	}
}
