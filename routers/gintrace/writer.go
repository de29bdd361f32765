package gintrace

import (
	"bufio"
	"io"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"
)

// A request goes through core.Tracer.ServeRoute (or a Trace decorator) as
// through any http.Handler, so the span observes the response through the
// http.ResponseWriter core hands on. gin's handlers write to c.Writer, a
// gin.ResponseWriter, which sends the status late: WriteHeader (c.Status,
// c.AbortWithStatus) only records it, until the body's first byte,
// WriteHeaderNow, or the end of the handlers, and the last status recorded
// before then is the one sent. So a step has two faces over one
// allocation: lower, the http.ResponseWriter core wraps, which writes to
// the c.Writer the step found; and upper, the c.Writer the handlers below
// get, which keeps gin's semantics and tells core's writer the status gin
// sends, when gin sends it.
//
//	handlers -> upper -> core's writer (observes) -> lower -> gin's c.Writer -> net/http
//
// Core observes lower through httpsnoop, as every writer that is not
// net/http's own: 18 allocations and about 5,400 instructions a request
// (BenchmarkGin, counted by callgrind), most of what gintrace adds to a
// request over core.Tracer.Middleware on a ServeMux. gin's writer keeps
// the status and size it sends itself; were core to read them from a
// writer that has them, rather than wrap it, the two faces would go, and
// that cost with them.

// step is one request through Middleware or Trace.
type step struct {
	c   *gin.Context
	gin gin.ResponseWriter  // c.Writer as the step found it
	w   http.ResponseWriter // what core handed on: lower, observed
	// miss is, for a request no route matched, the status gin set before
	// running the handlers (404 or 405); else 0.
	miss int
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

// ServeHTTP runs the rest of the gin handlers with the request and the
// writer core hands on, and puts c's back when they return or panic.
func (s *step) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := s.c
	req, writer := c.Request, c.Writer
	defer func() { c.Request, c.Writer = req, writer }()
	s.w = w
	c.Request, c.Writer = r, (*upper)(s)
	c.Next()
	if s.miss != 0 {
		s.answerMiss()
	}
	s.commit() // the status gin will send when the handlers have all returned
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

// commit tells core's writer the status gin records, before gin sends it.
func (s *step) commit() {
	if !s.gin.Written() {
		s.w.WriteHeader(s.gin.Status()) // recorded by core; gin's status is unchanged
	}
}

// lower is the writer core wraps: gin's c.Writer as an http.ResponseWriter
// with the optional interfaces gin.ResponseWriter has, so that core's
// wrapper has them too.
type lower step

func (l *lower) Header() http.Header                          { return l.gin.Header() }
func (l *lower) WriteHeader(code int)                         { l.gin.WriteHeader(code) }
func (l *lower) Write(b []byte) (int, error)                  { return l.gin.Write(b) }
func (l *lower) WriteString(s string) (int, error)            { return l.gin.WriteString(s) }
func (l *lower) Flush()                                       { l.gin.Flush() }
func (l *lower) CloseNotify() <-chan bool                     { return l.gin.CloseNotify() }
func (l *lower) Unwrap() http.ResponseWriter                  { return l.gin }
func (l *lower) Hijack() (net.Conn, *bufio.ReadWriter, error) { return l.gin.Hijack() }

// upper is the c.Writer handlers get while the step serves: a
// gin.ResponseWriter that behaves as the one it replaces, whose writes go
// through core's writer, told the status first.
type upper step

var _ gin.ResponseWriter = (*upper)(nil)

func (u *upper) s() *step { return (*step)(u) }

// Header returns the header map of the writer the step found.
func (u *upper) Header() http.Header { return u.gin.Header() }

// WriteHeader records code as gin does: it is sent later.
func (u *upper) WriteHeader(code int) { u.gin.WriteHeader(code) }

// WriteHeaderNow sends the recorded status, if it was not sent.
func (u *upper) WriteHeaderNow() {
	u.s().commit()
	u.gin.WriteHeaderNow()
}

func (u *upper) Write(b []byte) (int, error) {
	u.s().commit()
	return u.w.Write(b)
}

func (u *upper) WriteString(s string) (int, error) {
	u.s().commit()
	return io.WriteString(u.w, s)
}

// Flush sends the recorded status and what was written.
func (u *upper) Flush() {
	u.s().commit()
	if f, ok := u.w.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hijacks the connection through core's writer, which observes it.
func (u *upper) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := u.w.(http.Hijacker); ok {
		return h.Hijack()
	}
	return u.gin.Hijack()
}

//nolint:staticcheck // gin.ResponseWriter has it
func (u *upper) CloseNotify() <-chan bool { return u.gin.CloseNotify() }
func (u *upper) Status() int              { return u.gin.Status() }
func (u *upper) Size() int                { return u.gin.Size() }
func (u *upper) Written() bool            { return u.gin.Written() }
func (u *upper) Pusher() http.Pusher      { return u.gin.Pusher() }

// Unwrap returns core's writer, for [http.ResponseController].
func (u *upper) Unwrap() http.ResponseWriter { return u.w }
