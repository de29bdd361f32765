package core

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/felixge/httpsnoop"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
)

// ctxKey keys a traced request's state in its context, per Tracer, so that two
// Tracers in one process (two services, say) never see each other's spans.
type ctxKey struct{ t *Tracer }

// serverKind is span.kind=server as a start option, boxed once.
var serverKind opentracing.StartSpanOption = ext.SpanKindRPCServer

// noopSpan is the span of every request under the no-op tracer.
var noopSpan = opentracing.NoopTracer{}.StartSpan("")

// request is the state of one traced request, written by the handler's
// goroutine through the wrapped ResponseWriter. It is also the request's
// context (see Value), and holds the span's start options, so that a request
// costs as few allocations as possible.
type request struct {
	context.Context
	t        *Tracer
	span     opentracing.Span
	done     atomic.Bool
	status   int
	bytes    int64
	hijacked bool
	panicked bool

	parent opentracing.SpanReference
	opts   [2]opentracing.StartSpanOption
}

// Middleware returns next traced: with trace-all on ([WithTraceAll]), every
// request gets a server span, tagged with the traced attributes
// ([WithTracedAttributes]); with trace-all off (the default), Middleware
// returns next itself and only handlers wrapped by [Tracer.Trace] are traced.
//
// The span continues the trace in the request's headers, is available to
// handlers through [Tracer.GetSpan] and [opentracing.SpanFromContext], and
// finishes when next returns, tagged with the response status. Middleware
// composes with any router: put it outermost, around an [http.ServeMux] to
// name spans after the matched pattern.
func (t *Tracer) Middleware(next http.Handler) http.Handler {
	switch {
	case !t.traceAll:
		return next
	case t.noop:
		return &noopHandler{t: t, next: next, outer: true}
	}
	return &middleware{t: t, next: next}
}

type middleware struct {
	t    *Tracer
	next http.Handler
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.t.serve(w, r, m.next, "", m.t.attrs)
}

// Trace returns a decorator that traces the handler it wraps, with attrs as
// traced attributes: the counterpart of django_opentracing's
// @tracer.trace(attrs). The span is named after the handler's function (or
// type), as Django names it after the view.
//
// With trace-all on, Trace wrappers are ignored, attributes included: the
// request is traced once, by [Tracer.Middleware]. (If the middleware is
// missing, the wrapper traces the request with the tracer's attributes, so no
// request goes untraced.)
//
// Trace panics when an attribute name is unknown (see [TracedAttributes]) or
// the handler is nil: both are wiring mistakes, found at start-up.
func (t *Tracer) Trace(attrs ...string) func(http.Handler) http.Handler {
	resolved, err := resolveAttributes(attrs)
	if err != nil {
		panic(err)
	}
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("traceplug: Trace: nil handler")
		}
		if t.noop {
			return &noopHandler{t: t, next: next}
		}
		return &decorated{t: t, next: next, name: handlerName(next), attrs: resolved}
	}
}

// noopHandler serves requests under the no-op tracer (the "none" backend):
// nothing is recorded, so there is nothing to measure or tag, and handlers
// still find a (no-op) span through GetSpan and the context.
type noopHandler struct {
	t     *Tracer
	next  http.Handler
	outer bool // the middleware, not a Trace wrapper inside it
}

func (h *noopHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := h.t
	if (t.filter != nil && !t.filter(r)) || (!h.outer && r.Context().Value(ctxKey{t}) != nil) {
		h.next.ServeHTTP(w, r) // filtered out, or traced already
		return
	}
	nr := &noopRequest{Context: r.Context(), t: t}
	r = r.WithContext(nr)
	if t.observer != nil {
		t.observe(noopSpan, r)
	}
	defer nr.done.Store(true)
	h.next.ServeHTTP(w, r)
}

// noopRequest is a request's context under the no-op tracer.
type noopRequest struct {
	context.Context
	t    *Tracer
	done atomic.Bool
}

func (nr *noopRequest) Value(key any) any {
	switch key {
	case ctxKey{nr.t}:
		return nr
	case spanKey:
		if spanKey != nil {
			return noopSpan
		}
	}
	return nr.Context.Value(key)
}

type decorated struct {
	t     *Tracer
	next  http.Handler
	name  string
	attrs []attribute
}

func (d *decorated) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case !d.t.traceAll:
		d.t.serve(w, r, d.next, d.name, d.attrs)
	case r.Context().Value(ctxKey{d.t}) != nil:
		d.next.ServeHTTP(w, r) // traced by the middleware already
	default:
		d.t.serve(w, r, d.next, d.name, d.t.attrs)
	}
}

// GetSpan returns the server span of r while it is live: nil when r is not
// traced by t, and nil once the span has finished. Handlers use it to tag,
// log, or start child spans:
//
//	if span := tracer.GetSpan(r); span != nil {
//		span.LogKV("event", "cache miss")
//	}
func (t *Tracer) GetSpan(r *http.Request) opentracing.Span {
	if r == nil {
		return nil
	}
	switch rq := r.Context().Value(ctxKey{t}).(type) {
	case *request:
		if !rq.done.Load() {
			return rq.span
		}
	case *noopRequest:
		if !rq.done.Load() {
			return noopSpan
		}
	}
	return nil
}

// serve runs next inside a server span. name is the decorated handler's name,
// or "" for the middleware.
func (t *Tracer) serve(w http.ResponseWriter, r *http.Request, next http.Handler, name string, attrs []attribute) {
	if t.filter != nil && !t.filter(r) {
		next.ServeHTTP(w, r)
		return
	}
	rq := &request{t: t}
	header, baggageDropped := t.limitBaggage(r.Header)
	if baggageDropped > 0 {
		t.counts.baggageDropped.Add(uint64(baggageDropped))
	}
	parent, extractErr := t.ot.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(header))
	op := t.operationName(r, name)
	// The kind goes in at start: some tracers (zipkin's) can set it only then.
	// The options live in rq, so that passing them allocates nothing.
	var opts []opentracing.StartSpanOption
	if parent != nil && extractErr == nil {
		rq.parent = opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: parent}
		rq.opts = [2]opentracing.StartSpanOption{&rq.parent, serverKind}
		opts = rq.opts[:2]
	} else {
		opts = serverOpts
	}
	span := t.startServer(op, opts)
	t.counts.started.Add(1)
	rq.span = span
	span.SetTag(string(ext.Component), componentName)
	span.SetTag(string(ext.HTTPMethod), boxMethod(r.Method))
	span.SetTag(string(ext.HTTPUrl), t.redact.cap(t.redact.requestURI(r)))
	if extractErr != nil && extractErr != opentracing.ErrSpanContextNotFound {
		// A malformed incoming context: this is a new root trace, and says why.
		span.SetTag("traceplug.extract_error", extractErr.Error())
	}
	for _, a := range attrs {
		span.SetTag(a.name, t.redact.cap(a.render(r, t.redact)))
	}

	r = r.WithContext(t.withRequest(r.Context(), rq))
	if t.observer != nil {
		t.observe(span, r)
	}
	rename := name == "" && t.opName == nil
	defer func() {
		if v := recover(); v != nil {
			logPanic(span, v)
			rq.panicked = true // no response was sent unless the handler wrote one
			rq.end(t, r, rename)
			panic(v)
		}
	}()
	next.ServeHTTP(httpsnoop.Wrap(w, rq.hooks(w, t.responseSize)), r)
	rq.end(t, r, rename)
}

// serverOpts are a root server span's start options.
var serverOpts = []opentracing.StartSpanOption{serverKind}

// startServer starts a server span; a reference the tracer rejects by
// panicking (a foreign context) is dropped, as in StartSpan.
func (t *Tracer) startServer(op string, opts []opentracing.StartSpanOption) (span opentracing.Span) {
	if len(opts) == 1 {
		return t.ot.StartSpan(op, opts...)
	}
	return t.StartSpan(op, opts...)
}

// end tags the span with the response and finishes it. rename names it after
// the pattern http.ServeMux matched, if any.
func (rq *request) end(t *Tracer, r *http.Request, rename bool) {
	span := rq.span
	status := rq.status
	if status == 0 && !rq.hijacked && !rq.panicked {
		status = http.StatusOK
	}
	if status != 0 {
		span.SetTag(string(ext.HTTPStatusCode), boxStatus(status))
		if status >= 500 {
			ext.Error.Set(span, true)
		}
	}
	if t.responseSize {
		span.SetTag("http.response_size", rq.bytes)
	}
	if rename && r.Pattern != "" {
		span.SetOperationName(patternName(r.Method, r.Pattern))
	}
	rq.done.Store(true)
	span.Finish()
	t.counts.finished.Add(1)
}

// hooks observe the response: its status (200 unless WriteHeader says
// otherwise), whether the connection was hijacked, and, when size is set, the
// bytes written. Every hook costs allocations per request, so only these.
func (rq *request) hooks(w http.ResponseWriter, size bool) httpsnoop.Hooks {
	h := httpsnoop.Hooks{
		WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
			return func(code int) {
				if rq.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
					rq.status = code
				}
				next(code)
			}
		},
	}
	if _, ok := w.(http.Hijacker); ok {
		h.Hijack = func(next httpsnoop.HijackFunc) httpsnoop.HijackFunc {
			return func() (c net.Conn, rw *bufio.ReadWriter, err error) {
				c, rw, err = next()
				if err == nil {
					rq.hijacked = true
				}
				return c, rw, err
			}
		}
	}
	if !size {
		return h
	}
	h.Write = func(next httpsnoop.WriteFunc) httpsnoop.WriteFunc {
		return func(b []byte) (int, error) {
			n, err := next(b)
			rq.wrote(int64(n))
			return n, err
		}
	}
	h.WriteString = func(next httpsnoop.WriteStringFunc) httpsnoop.WriteStringFunc {
		return func(s string) (int, error) {
			n, err := next(s)
			rq.wrote(int64(n))
			return n, err
		}
	}
	h.ReadFrom = func(next httpsnoop.ReadFromFunc) httpsnoop.ReadFromFunc {
		return func(src io.Reader) (int64, error) {
			n, err := next(src)
			rq.wrote(n)
			return n, err
		}
	}
	return h
}

// wrote records n body bytes sent.
func (rq *request) wrote(n int64) { rq.bytes += n }

// operationName is the span's name at start: the user's function if set and
// sane, else the decorated handler's name, else from the method (and the
// pattern, when a router has already run).
func (t *Tracer) operationName(r *http.Request, name string) string {
	if t.opName != nil {
		if op := t.userOperationName(r); op != "" {
			return op
		}
	}
	if name != "" {
		return name
	}
	if r.Pattern != "" {
		return patternName(r.Method, r.Pattern)
	}
	return methodName(r.Method)
}

func (t *Tracer) userOperationName(r *http.Request) (op string) {
	defer func() {
		if recover() != nil {
			t.counts.callbackPanics.Add(1)
			op = ""
		}
	}()
	return t.opName(r)
}

func (t *Tracer) observe(span opentracing.Span, r *http.Request) {
	defer func() {
		if recover() != nil {
			t.counts.callbackPanics.Add(1)
		}
	}()
	t.observer(span, r)
}

// patternName is "METHOD pattern" for an http.ServeMux pattern such as
// "/items/{id}" or "GET /items/{id}" (whose method is replaced by the
// request's: a GET pattern also serves HEAD).
func patternName(method, pattern string) string {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 && !strings.Contains(pattern[:i], "/") {
		pattern = strings.TrimLeft(pattern[i:], " \t")
	}
	return method + " " + pattern
}

// methodName is "HTTP METHOD", without allocating for the common methods.
func methodName(method string) string {
	switch method {
	case http.MethodGet:
		return "HTTP GET"
	case http.MethodPost:
		return "HTTP POST"
	case http.MethodPut:
		return "HTTP PUT"
	case http.MethodDelete:
		return "HTTP DELETE"
	case http.MethodPatch:
		return "HTTP PATCH"
	case http.MethodHead:
		return "HTTP HEAD"
	case http.MethodOptions:
		return "HTTP OPTIONS"
	}
	return "HTTP " + method
}

// handlerName names a handler after its function ("main.listItems") or, for
// other handler types, after its type ("api.Server").
func handlerName(h http.Handler) string {
	v := reflect.ValueOf(h)
	if v.Kind() == reflect.Func {
		if f := runtime.FuncForPC(v.Pointer()); f != nil {
			name := f.Name()
			if i := strings.LastIndexByte(name, '/'); i >= 0 {
				name = name[i+1:]
			}
			return strings.TrimSuffix(name, "-fm")
		}
	}
	name := fmt.Sprintf("%T", h)
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimLeft(name, "*")
}
