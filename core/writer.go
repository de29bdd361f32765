package core

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/felixge/httpsnoop"
)

// The response writer a traced handler gets observes the status net/http
// sends, the bytes written and a hijack, and must implement exactly the
// optional interfaces of the writer it wraps (a handler that type-asserts
// http.Flusher or http.Hijacker must get the same answer as without
// tracing). httpsnoop does this for any combination of interfaces, but its
// hooks are closures bound when it wraps: about three allocations for each
// method observed, a dozen a request. The writers of net/http's own
// server, HTTP/1 and HTTP/2, and httptest's recorder (in benchmarks and
// tests) have fixed combinations: for those, the request's state holds the
// wrapper, whose types below implement each combination, and wrapping
// allocates nothing. A writer that keeps the response's state itself (a
// router's, see responseState) is not wrapped at all: the request reads the
// state from it when the handler returns. Any other writer (another
// middleware's) goes through httpsnoop, with the same observations.

// responseState is instrument.ResponseState: a writer that reports the
// status it sent or will send once the handler returns (0: none), the body
// bytes it sent, and whether the connection was hijacked.
type responseState interface {
	ResponseState() (status int, size int64, hijacked bool)
}

// writeHeader records the status of WriteHeader(code), as net/http sends
// it: the first final status (or 101), unless a write or a flush sent 200
// before, or the connection was hijacked; an invalid code (net/http panics)
// is no status.
func (rq *request) writeHeader(code int) {
	// HTTP/2 has no 101: net/http's HTTP/2 server sends it as informational.
	final := code >= 200 || code == http.StatusSwitchingProtocols && !rq.http2
	if rq.status == 0 && !rq.hijacked && code <= 999 && final {
		rq.status = code
	}
}

// sent is called before a write or a flush: net/http sends 200 then, unless
// a final status was written before.
func (rq *request) sent() {
	if rq.status == 0 && !rq.hijacked {
		rq.status = http.StatusOK
	}
}

// wrote records n body bytes sent, when they are counted.
func (rq *request) wrote(n int64) {
	if rq.t.responseSize || rq.t.conv&convOTel != 0 { // http.response_size, http.response.body.size
		rq.bytes += n
	}
}

// shape is a combination of the optional interfaces httpsnoop preserves, a
// bit each.
type shape uint16

const (
	hasFlusher shape = 1 << iota
	hasFlushError
	hasCloseNotifier
	hasHijacker
	hasReaderFrom
	hasDeadlines
	hasFullDuplex
	hasPusher
	hasStringWriter
	hasState // a responseState: never wrapped
)

// The combinations of net/http's writers (Go 1.26): *http.response
// (HTTP/1.x), *http.http2responseWriter (HTTP/2), and
// *httptest.ResponseRecorder.
const (
	shapeHTTP1    = hasFlusher | hasFlushError | hasCloseNotifier | hasHijacker | hasReaderFrom | hasDeadlines | hasFullDuplex | hasStringWriter
	shapeHTTP2    = hasFlusher | hasFlushError | hasCloseNotifier | hasDeadlines | hasFullDuplex | hasPusher | hasStringWriter
	shapeRecorder = hasFlusher | hasStringWriter
)

type (
	flushErrorer interface{ FlushError() error }
	deadliner    interface {
		SetReadDeadline(time.Time) error
		SetWriteDeadline(time.Time) error
	}
	fullDuplexEnabler interface{ EnableFullDuplex() error }
)

// shapeOf is w's combination of optional interfaces.
func shapeOf(w http.ResponseWriter) shape {
	var s shape
	set := func(b shape, ok bool) {
		if ok {
			s |= b
		}
	}
	_, ok := w.(http.Flusher)
	set(hasFlusher, ok)
	_, ok = w.(flushErrorer)
	set(hasFlushError, ok)
	_, ok = w.(http.CloseNotifier) //nolint:staticcheck // preserved, as httpsnoop does
	set(hasCloseNotifier, ok)
	_, ok = w.(http.Hijacker)
	set(hasHijacker, ok)
	_, ok = w.(io.ReaderFrom)
	set(hasReaderFrom, ok)
	_, ok = w.(deadliner)
	set(hasDeadlines, ok)
	_, ok = w.(fullDuplexEnabler)
	set(hasFullDuplex, ok)
	_, ok = w.(http.Pusher)
	set(hasPusher, ok)
	_, ok = w.(io.StringWriter)
	set(hasStringWriter, ok)
	return s
}

// shapeCache remembers the shapes of the last few writer types: a server
// sees one or two (HTTP/1 and HTTP/2), and nine type assertions a request
// cost more than a look here.
type shapeCache struct {
	slots [4]atomic.Pointer[typeShape]
	next  atomic.Uint32 // the slot a miss replaces
}

type typeShape struct {
	t reflect.Type
	s shape
}

var shapes shapeCache

// of is shapeOf(w), remembered by w's type.
func (c *shapeCache) of(w http.ResponseWriter) shape {
	t := reflect.TypeOf(w)
	for i := range c.slots {
		if e := c.slots[i].Load(); e != nil && e.t == t {
			return e.s
		}
	}
	s := shape(0) // unknown: through httpsnoop
	if _, ok := w.(responseState); ok {
		s = hasState
	} else if knownWriter(t) {
		s = shapeOf(w)
	}
	c.slots[c.next.Add(1)%uint32(len(c.slots))].Store(&typeShape{t, s})
	return s
}

// knownWriter reports whether t is one of the writer types whose shapes
// wrap knows: net/http's and httptest's own. Another middleware's writer
// may have the same interfaces and unwrap to net/http's, whose methods
// http.ResponseController would then reach past a wrapper that lacks them.
func knownWriter(t reflect.Type) bool {
	if t.Kind() != reflect.Pointer {
		return false
	}
	e := t.Elem()
	switch e.PkgPath() {
	case "net/http":
		return e.Name() == "response" || e.Name() == "http2responseWriter"
	case "net/http/httptest":
		return e.Name() == "ResponseRecorder"
	}
	return false
}

// wrap returns w observed for rq: w itself for a writer that keeps the
// response's state, without allocating for net/http's own writers, else
// through httpsnoop.
func (rq *request) wrap(w http.ResponseWriter) http.ResponseWriter {
	sh := shapes.of(w)
	if sh == hasState {
		rq.state = w.(responseState)
		return w
	}
	rq.rw = respWriter{w: w, rq: rq}
	switch sh {
	case shapeHTTP1:
		return (*http1Writer)(&rq.rw)
	case shapeHTTP2:
		return (*http2Writer)(&rq.rw)
	case shapeRecorder:
		return (*recorderWriter)(&rq.rw)
	}
	return httpsnoop.Wrap(w, rq.hooks(w))
}

// respWriter holds a writer and the request it answers, and implements every
// method the wrappers below have; each wrapper type, of the same structure,
// has only the methods of its combination.
type respWriter struct {
	w  http.ResponseWriter
	rq *request
}

func (r *respWriter) header() http.Header { return r.w.Header() }

func (r *respWriter) writeHeader(code int) {
	r.rq.writeHeader(code)
	r.w.WriteHeader(code)
}

func (r *respWriter) write(b []byte) (int, error) {
	r.rq.sent()
	n, err := r.w.Write(b)
	r.rq.wrote(int64(n))
	return n, err
}

func (r *respWriter) writeString(s string) (int, error) {
	r.rq.sent()
	n, err := r.w.(io.StringWriter).WriteString(s)
	r.rq.wrote(int64(n))
	return n, err
}

func (r *respWriter) readFrom(src io.Reader) (int64, error) {
	n, err := r.w.(io.ReaderFrom).ReadFrom(src)
	if n > 0 { // net/http's ReadFrom sends nothing, not even the header, for an empty source
		r.rq.sent()
	}
	r.rq.wrote(n)
	return n, err
}

func (r *respWriter) flush() {
	r.rq.sent()
	r.w.(http.Flusher).Flush()
}

func (r *respWriter) flushError() error {
	r.rq.sent()
	return r.w.(flushErrorer).FlushError()
}

func (r *respWriter) hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := r.w.(http.Hijacker).Hijack()
	if err == nil {
		r.rq.hijacked = true
	}
	return c, rw, err
}

func (r *respWriter) closeNotify() <-chan bool {
	return r.w.(http.CloseNotifier).CloseNotify() //nolint:staticcheck // preserved, as httpsnoop does
}

func (r *respWriter) setReadDeadline(t time.Time) error {
	return r.w.(deadliner).SetReadDeadline(t)
}

func (r *respWriter) setWriteDeadline(t time.Time) error {
	return r.w.(deadliner).SetWriteDeadline(t)
}

func (r *respWriter) enableFullDuplex() error { return r.w.(fullDuplexEnabler).EnableFullDuplex() }

func (r *respWriter) push(target string, opts *http.PushOptions) error {
	return r.w.(http.Pusher).Push(target, opts)
}

// http1Writer wraps net/http's HTTP/1.x writer (shapeHTTP1).
type http1Writer respWriter

func (w *http1Writer) Header() http.Header                 { return (*respWriter)(w).header() }
func (w *http1Writer) WriteHeader(code int)                { (*respWriter)(w).writeHeader(code) }
func (w *http1Writer) Write(b []byte) (int, error)         { return (*respWriter)(w).write(b) }
func (w *http1Writer) WriteString(s string) (int, error)   { return (*respWriter)(w).writeString(s) }
func (w *http1Writer) ReadFrom(r io.Reader) (int64, error) { return (*respWriter)(w).readFrom(r) }
func (w *http1Writer) Flush()                              { (*respWriter)(w).flush() }
func (w *http1Writer) FlushError() error                   { return (*respWriter)(w).flushError() }
func (w *http1Writer) CloseNotify() <-chan bool            { return (*respWriter)(w).closeNotify() }
func (w *http1Writer) SetReadDeadline(t time.Time) error   { return (*respWriter)(w).setReadDeadline(t) }
func (w *http1Writer) SetWriteDeadline(t time.Time) error {
	return (*respWriter)(w).setWriteDeadline(t)
}
func (w *http1Writer) EnableFullDuplex() error     { return (*respWriter)(w).enableFullDuplex() }
func (w *http1Writer) Unwrap() http.ResponseWriter { return w.w }

func (w *http1Writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return (*respWriter)(w).hijack()
}

// http2Writer wraps net/http's HTTP/2 writer (shapeHTTP2).
type http2Writer respWriter

func (w *http2Writer) Header() http.Header               { return (*respWriter)(w).header() }
func (w *http2Writer) WriteHeader(code int)              { (*respWriter)(w).writeHeader(code) }
func (w *http2Writer) Write(b []byte) (int, error)       { return (*respWriter)(w).write(b) }
func (w *http2Writer) WriteString(s string) (int, error) { return (*respWriter)(w).writeString(s) }
func (w *http2Writer) Flush()                            { (*respWriter)(w).flush() }
func (w *http2Writer) FlushError() error                 { return (*respWriter)(w).flushError() }
func (w *http2Writer) CloseNotify() <-chan bool          { return (*respWriter)(w).closeNotify() }
func (w *http2Writer) SetReadDeadline(t time.Time) error { return (*respWriter)(w).setReadDeadline(t) }
func (w *http2Writer) SetWriteDeadline(t time.Time) error {
	return (*respWriter)(w).setWriteDeadline(t)
}
func (w *http2Writer) EnableFullDuplex() error     { return (*respWriter)(w).enableFullDuplex() }
func (w *http2Writer) Unwrap() http.ResponseWriter { return w.w }

func (w *http2Writer) Push(target string, opts *http.PushOptions) error {
	return (*respWriter)(w).push(target, opts)
}

// recorderWriter wraps httptest's recorder (shapeRecorder).
type recorderWriter respWriter

func (w *recorderWriter) Header() http.Header               { return (*respWriter)(w).header() }
func (w *recorderWriter) WriteHeader(code int)              { (*respWriter)(w).writeHeader(code) }
func (w *recorderWriter) Write(b []byte) (int, error)       { return (*respWriter)(w).write(b) }
func (w *recorderWriter) WriteString(s string) (int, error) { return (*respWriter)(w).writeString(s) }
func (w *recorderWriter) Flush()                            { (*respWriter)(w).flush() }
func (w *recorderWriter) Unwrap() http.ResponseWriter       { return w.w }

// hooks are what the request observes through httpsnoop, for other writers:
// the same as respWriter's methods. httpsnoop calls each hook once, in Wrap.
func (rq *request) hooks(w http.ResponseWriter) httpsnoop.Hooks {
	return httpsnoop.Hooks{
		WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
			return func(code int) {
				rq.writeHeader(code)
				next(code)
			}
		},
		Write: func(next httpsnoop.WriteFunc) httpsnoop.WriteFunc {
			return func(b []byte) (int, error) {
				rq.sent()
				n, err := next(b)
				rq.wrote(int64(n))
				return n, err
			}
		},
		WriteString: func(next httpsnoop.WriteStringFunc) httpsnoop.WriteStringFunc {
			return func(s string) (int, error) {
				rq.sent()
				n, err := next(s)
				rq.wrote(int64(n))
				return n, err
			}
		},
		ReadFrom: func(next httpsnoop.ReadFromFunc) httpsnoop.ReadFromFunc {
			return func(src io.Reader) (int64, error) {
				n, err := next(src)
				if n > 0 {
					rq.sent()
				}
				rq.wrote(n)
				return n, err
			}
		},
		FlushError: func(next httpsnoop.FlushErrorFunc) httpsnoop.FlushErrorFunc {
			return func() error {
				rq.sent()
				return next()
			}
		},
		Flush: func(next httpsnoop.FlushFunc) httpsnoop.FlushFunc {
			return func() {
				rq.sent()
				next()
			}
		},
		Hijack: func(next httpsnoop.HijackFunc) httpsnoop.HijackFunc {
			return func() (net.Conn, *bufio.ReadWriter, error) {
				c, rw, err := next()
				if err == nil {
					rq.hijacked = true
				}
				return c, rw, err
			}
		},
	}
}
