package gintrace

import (
	"bufio"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/traceplug/traceplug/instrument"
)

// A request goes through core.Tracer.ServeRoute (or a Trace decorator) as
// through any http.Handler. gin's handlers write to c.Writer, a
// gin.ResponseWriter, which sends the status late: WriteHeader (c.Status,
// c.AbortWithStatus) only records it, until the body's first byte,
// WriteHeaderNow, or the end of the handlers, and the last status recorded
// before then is the one sent. gin's writer keeps the status and size it
// sends, so core need not observe the response: the writer a step hands
// core, lower, reports them (instrument.ResponseState), and core hands it
// on unwrapped. A step has two faces over one allocation: lower, the
// http.ResponseWriter core is given, which writes to the c.Writer the step
// found; and upper, the c.Writer the handlers below get, which writes to
// that c.Writer too, and notes a hijack, which gin's writer does not tell.
//
//	core:     lower -> gin's c.Writer -> net/http
//	handlers: upper -> gin's c.Writer -> net/http

// step is one request through Middleware or Trace.
type step struct {
	c   *gin.Context
	gin gin.ResponseWriter // c.Writer as the step found it
	// miss is, for a request no route matched, the status gin set before
	// running the handlers (404 or 405); else 0.
	miss     int
	returned bool // the handlers returned: gin will send the status it holds
	hijacked bool
}

// stepOf returns the step whose lower face w is, or wraps.
func stepOf(w http.ResponseWriter) *step {
	for {
		switch v := w.(type) {
		case *lower:
			return (*step)(v)
		case interface{ Unwrap() http.ResponseWriter }:
			w = v.Unwrap()
		default:
			panic("gintrace: the writer core handed on does not unwrap to gintrace's")
		}
	}
}

// ServeHTTP runs the rest of the gin handlers with the request core hands
// on (and the writer it was given, lower, which it hands on unwrapped), and
// puts c's back when they return. When they
// panic, c keeps them for the handlers the panic passes through (gin's
// recovery, before Middleware), which then write through the step, as the
// handlers did; gin resets c for its next request.
func (s *step) ServeHTTP(_ http.ResponseWriter, r *http.Request) {
	c := s.c
	req := c.Request
	c.Request, c.Writer = r, (*upper)(s)
	c.Next()
	if s.miss != 0 {
		s.answerMiss()
	}
	s.returned = true
	c.Request, c.Writer = req, s.gin
}

// answerMiss writes gin's default answer to a request no route matched, as
// gin writes it once the handlers have returned (the engine's serveError):
// when they wrote nothing and left gin's status (404, or 405 with
// HandleMethodNotAllowed), a text/plain body that says so. Written here, it
// is counted in the span's response size; gin then writes nothing more.
func (s *step) answerMiss() {
	var body string
	switch s.miss {
	case http.StatusNotFound:
		body = "404 page not found"
	case http.StatusMethodNotAllowed:
		body = "405 method not allowed"
	default:
		return
	}
	if s.gin.Written() || s.gin.Status() != s.miss {
		return
	}
	s.gin.Header()["Content-Type"] = mimePlain
	_, _ = (*upper)(s).WriteString(body)
}

// mimePlain is the Content-Type of gin's default answers.
var mimePlain = []string{gin.MIMEPlain}

// lower is the writer core is given: gin's c.Writer as an
// http.ResponseWriter with the optional interfaces gin.ResponseWriter has,
// which reports the response's state to core.
type lower step

var _ instrument.ResponseState = (*lower)(nil)

// ResponseState implements [instrument.ResponseState]: the status gin sent,
// or, once the handlers have returned, the one it holds and sends next.
func (l *lower) ResponseState() (status int, size int64, hijacked bool) {
	if l.hijacked {
		return 0, 0, true
	}
	n := l.gin.Size() // -1 until gin has sent the header (Written)
	if n >= 0 || l.returned {
		status = l.gin.Status()
	}
	return status, int64(max(n, 0)), false
}

func (l *lower) Header() http.Header               { return l.gin.Header() }
func (l *lower) WriteHeader(code int)              { l.gin.WriteHeader(code) }
func (l *lower) Write(b []byte) (int, error)       { return l.gin.Write(b) }
func (l *lower) WriteString(s string) (int, error) { return l.gin.WriteString(s) }
func (l *lower) Flush()                            { l.gin.Flush() }
func (l *lower) CloseNotify() <-chan bool          { return l.gin.CloseNotify() }
func (l *lower) Unwrap() http.ResponseWriter       { return l.gin }
func (l *lower) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := l.gin.Hijack()
	if err == nil {
		l.hijacked = true
	}
	return c, rw, err
}

// upper is the c.Writer handlers get while the step serves: a
// gin.ResponseWriter that behaves as the one it replaces, and writes to it.
type upper step

var _ gin.ResponseWriter = (*upper)(nil)

// Header returns the header map of the writer the step found.
func (u *upper) Header() http.Header { return u.gin.Header() }

// WriteHeader records code as gin does: it is sent later.
func (u *upper) WriteHeader(code int) { u.gin.WriteHeader(code) }

// WriteHeaderNow sends the recorded status, if it was not sent.
func (u *upper) WriteHeaderNow() { u.gin.WriteHeaderNow() }

func (u *upper) Write(b []byte) (int, error)       { return u.gin.Write(b) }
func (u *upper) WriteString(s string) (int, error) { return u.gin.WriteString(s) }

// Flush sends the recorded status and what was written.
func (u *upper) Flush() { u.gin.Flush() }

// Hijack hijacks the connection through lower, which notes it.
func (u *upper) Hijack() (net.Conn, *bufio.ReadWriter, error) { return (*lower)(u).Hijack() }

//nolint:staticcheck // gin.ResponseWriter has it
func (u *upper) CloseNotify() <-chan bool { return u.gin.CloseNotify() }
func (u *upper) Status() int              { return u.gin.Status() }
func (u *upper) Size() int                { return u.gin.Size() }
func (u *upper) Written() bool            { return u.gin.Written() }
func (u *upper) Pusher() http.Pusher      { return u.gin.Pusher() }

// Unwrap returns lower, for [http.ResponseController], which then notes a
// hijack through it too.
func (u *upper) Unwrap() http.ResponseWriter { return (*lower)(u) }
