package core

import (
	"net/http"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"

	"github.com/traceplug/traceplug/propagation"
	"github.com/traceplug/traceplug/sampling"
)

// serverKind is span.kind=server as a start option, boxed once.
var serverKind opentracing.StartSpanOption = ext.SpanKindRPCServer

// Middleware returns next traced: with trace-all on ([WithTraceAll]), every
// request gets a server span, tagged with the traced attributes
// ([WithTracedAttributes]); with trace-all off (the default), Middleware
// returns next itself and only handlers wrapped by [Tracer.Trace] are traced.
//
// The span continues the trace in the request's headers (on a public
// endpoint, [WithPublicEndpoint], it starts a new one), is available to
// handlers through [Tracer.GetSpan] and [opentracing.SpanFromContext], and
// finishes when next returns, tagged with the response status. Middleware
// composes with any router: put it outermost, around an [http.ServeMux] to
// name spans after the matched pattern. A request the same Tracer traces
// already (Middleware inside Middleware) is traced once.
//
// The status tag is the one net/http sends: that of the handler's first
// WriteHeader with a final status, or 200 when it writes or flushes first
// (a later WriteHeader is superfluous, and ignored by net/http as by the
// span); none for a hijacked connection, or for a handler that panicked or
// called runtime.Goexit before writing (both tag error). What the status
// cannot see: a writer another middleware installed outside Middleware,
// whose Unwrap lets [http.ResponseController] flush or hijack net/http's
// writer past methods it lacks (put Middleware outermost), and an answer
// such a middleware replaces ([http.TimeoutHandler]'s 503 outside it).
func (t *Tracer) Middleware(next http.Handler) http.Handler {
	switch {
	case !t.traceAll && t.prop != nil:
		return &passThrough{t: t, next: next}
	case !t.traceAll:
		return next
	case t.noop:
		return &noopHandler{t: t, next: next, outer: true}
	}
	m := &middleware{t: t, next: next}
	if rt, ok := next.(router); ok && t.sampling != nil && t.sampling.usesOp && t.opName == nil {
		m.router = rt
	}
	return m
}

// router is what Middleware asks, when the sampler decides by operation, for
// the route a request will take before its handler runs: [http.ServeMux]'s
// Handler method, which returns the pattern that will match.
type router interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

type middleware struct {
	t      *Tracer
	next   http.Handler
	router router // next, when the span's name must be known at its start
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Context().Value(ctxKey{m.t}) != nil {
		m.next.ServeHTTP(w, r) // Middleware inside Middleware: traced once
		return
	}
	m.t.serve(w, r, m.next, "", m.t.attrs, m.router)
}

// Trace returns a decorator that traces the handler it wraps, with attrs as
// traced attributes: the counterpart of django_opentracing's
// @tracer.trace(attrs). The span is named after the handler's function (or
// type), as Django names it after the view; a function literal, whose name
// ("main.routes.func1") says little, is named after the route that serves
// the request ("GET /items/{id}", from r.Pattern) when there is one.
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
		name, literal := handlerName(next)
		return &decorated{t: t, next: next, name: name, literal: literal, attrs: resolved}
	}
}

type decorated struct {
	t       *Tracer
	next    http.Handler
	name    string
	literal bool // next is a function literal: name spans after the route
	attrs   []attribute
}

func (d *decorated) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case !d.t.traceAll:
		d.t.serve(w, r, d.next, d.spanName(r), d.attrs, nil)
	case r.Context().Value(ctxKey{d.t}) != nil:
		d.next.ServeHTTP(w, r) // traced by the middleware already
	default:
		d.t.serve(w, r, d.next, d.spanName(r), d.t.attrs, nil)
	}
}

// spanName is the decorated handler's name, or, for a function literal
// that a router has matched, "METHOD pattern".
func (d *decorated) spanName(r *http.Request) string {
	if d.literal && r.Pattern != "" {
		return d.t.routeName(r.Method, r.Pattern)
	}
	return d.name
}

// serve runs next inside a server span. name is the decorated handler's name,
// or "" for the middleware.
func (t *Tracer) serve(w http.ResponseWriter, r *http.Request, next http.Handler, name string, attrs []attribute, rt router) {
	if t.filter != nil && !t.filter(r) {
		if psc, ok := t.incoming(opentracing.HTTPHeadersCarrier(r.Header)); ok {
			if t.publicRequest(r) {
				psc = propagation.SpanContext{} // the caller's trace stops here
			}
			t.carry(w, r, next, &psc, false) // untraced, but the trace goes on
			return
		}
		next.ServeHTTP(w, r)
		return
	}
	var (
		parent     opentracing.SpanContext
		linked     opentracing.SpanContext // a public endpoint's caller
		orphan     []propagation.BaggageItem
		extractErr error
		op         string
		named      *route // the route op is, if it is
		decision   sampling.Decision
		debugID    string
	)
	if t.sampling != nil {
		var psc, link propagation.SpanContext
		psc, extractErr = t.extractNeutral(opentracing.HTTPHeadersCarrier(r.Header))
		op, named = t.startName(r, name, rt)
		public := carriesTrace(&psc) && t.publicRequest(r)
		if public {
			link = publicEntry(&psc) // a new trace, linked to the caller's
		}
		if decision = t.sampling.decide(&psc, op); !decision.Sampled {
			t.carry(w, r, next, &psc, true)
			return
		}
		parent, debugID = t.importDecided(psc), psc.DebugID
		if public && parent != nil {
			// Without the new trace's context the link, the only
			// reference, would be the span's parent.
			linked = t.importLink(link)
		}
	} else {
		parent, orphan, extractErr = t.extractContext(opentracing.HTTPHeadersCarrier(r.Header))
		op, named = t.startOperation(r, name)
	}
	rq := &request{t: t, named: named}
	// The kind goes in at start: some tracers (zipkin's) can set it only then.
	// The options live in rq, so that passing them allocates nothing.
	var opts []opentracing.StartSpanOption
	if linked != nil {
		opts = linkedOptions(rq, parent, linked)
	} else if parent != nil {
		rq.parent = opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: parent}
		rq.opts = [3]opentracing.StartSpanOption{&rq.parent, serverKind}
		opts = rq.opts[:2]
	} else {
		opts = serverOpts
	}
	var rc recording // what a Recorder gets: zero without one
	if t.recorder != nil {
		// The Recorder and the backend agree on the start, which the
		// backend then need not read from the clock.
		rc.start, rc.op = time.Now(), op
		rq.start = opentracing.StartTime(rc.start)
		if parent == nil {
			rq.opts[0] = serverKind
			opts = rq.opts[:1]
		}
		opts = append(opts, &rq.start) // within rq.opts, or the linked start's
	}
	span := t.startSpan(op, opts, rq.parent.ReferencedContext != nil)
	t.counts.started.Add(1)
	rq.span = span
	if t.conv&convOT != 0 {
		span.SetTag(string(ext.Component), componentName)
		_, methodTag := method(r.Method)
		span.SetTag(string(ext.HTTPMethod), methodTag)
		if methodTag == otherMethod {
			span.SetTag(originalMethod, t.redact.cap(r.Method))
		}
		rc.url = t.redact.cap(t.redact.requestURI(r))
		span.SetTag(string(ext.HTTPUrl), rc.url)
	}
	if t.conv&convOTel != 0 {
		if t.recorder != nil && rc.url == "" {
			rc.url = t.redact.cap(t.redact.requestURI(r))
		}
		t.otelServerStart(span, r)
	}
	if extractErr != nil {
		// A malformed incoming context: this is a new root trace, and says why.
		span.SetTag(TagExtractError, t.redact.cap(extractErr.Error()))
	}
	if decision.Type != "" && decision.Type != samplerConst {
		setSamplerTags(span, decision)
	}
	if debugID != "" {
		span.SetTag(TagDebugID, t.redact.cap(debugID))
	}
	for _, it := range orphan { // baggage that came without a trace
		span.SetBaggageItem(it.Key, it.Value)
	}
	for _, a := range attrs {
		span.SetTag(a.name, t.redact.cap(a.render(r, t.redact)))
	}

	// The handler's request is held in rq, as carry holds an unsampled
	// one: one allocation for both.
	rq.req = *r.WithContext(t.withRequest(r.Context(), rq))
	r = &rq.req
	if t.observer != nil {
		t.observe(span, r)
	}
	rename := name == "" && t.opName == nil
	returned := false
	defer func() {
		if returned {
			return
		}
		if v := recover(); v != nil {
			t.logPanic(span, v)
			rq.panicked = true // no response was sent unless the handler wrote one
			rq.end(t, r, rename, &rc)
			panic(v)
		}
		// Neither returned nor panicked: the handler called runtime.Goexit
		// (a test's handler calling t.FailNow, say), and net/http closes
		// the connection.
		ext.Error.Set(span, true)
		span.LogFields(log.String("event", "error"), log.String("message", "the handler called runtime.Goexit"))
		rq.panicked = true
		rq.end(t, r, rename, &rc)
	}()
	rq.http2 = r.ProtoMajor >= 2
	next.ServeHTTP(rq.wrap(w), r)
	returned = true
	rq.end(t, r, rename, &rc)
}

// serverOpts are a root server span's start options.
var serverOpts = []opentracing.StartSpanOption{serverKind}

// end tags the span with the response and finishes it. rename names it after
// the pattern http.ServeMux matched, if any. rc is what a Recorder gets.
func (rq *request) end(t *Tracer, r *http.Request, rename bool, rc *recording) {
	span := rq.span
	if rq.state != nil {
		rq.status, rq.bytes, rq.hijacked = rq.state.ResponseState()
	}
	status := rq.status
	if status == 0 && !rq.hijacked && !rq.panicked {
		status = http.StatusOK
	}
	if status != 0 {
		if t.conv&convOT != 0 {
			span.SetTag(string(ext.HTTPStatusCode), boxStatus(status))
		}
		if status >= 500 {
			if t.conv&convOTelRun != 0 && status >= 600 {
				invalidStatus(span, status)
			} else {
				ext.Error.Set(span, true)
			}
		}
	}
	if t.responseSize {
		span.SetTag("http.response_size", rq.bytes)
	}
	if t.conv&convOTel != 0 {
		t.otelServerEnd(span, status, rq.bytes)
	}
	rt := rq.route.Load() // a router below Middleware named it (ServeRoute)
	if rt == nil && r.Pattern != "" {
		if rq.named != nil && rq.named.pattern == r.Pattern {
			rt = rq.named // as the span was named at its start
		} else {
			rt = t.route(r.Method, r.Pattern)
		}
	}
	if rt != nil {
		if rename && rt != rq.named {
			rc.op = rt.name
			span.SetOperationName(rc.op)
		}
		span.SetTag(TagHTTPRoute, rt.tag)
	}
	rq.done.Store(true)
	if t.recorder != nil {
		t.finishServer(rq, rc, status) // finished, counted and recorded
		return
	}
	span.Finish()
	t.counts.finished.Add(1)
}

func (t *Tracer) observe(span opentracing.Span, r *http.Request) {
	defer func() {
		if recover() != nil {
			t.counts.callbackPanics.Add(1)
		}
	}()
	t.observer(span, r)
}
