package core

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/traceplug/traceplug/internal/redact"
)

// This file is what a debug page (package debugpage, or one of your own)
// reads from a Tracer: each span the Tracer finishes, handed to a [Recorder]
// given with [WithRecorder], and the Tracer's settings ([Tracer.Settings]).
// Without a Recorder the request path pays one nil check per span.

// A Recorder receives a summary of each span a [Tracer] finishes: server
// spans of [Tracer.Middleware] and [Tracer.Trace], client spans of
// [Tracer.Transport], and spans started through [Tracer.StartSpan] (and so
// through opentracing.StartSpanFromContextWithTracer with the Tracer, or the
// global tracer of a Tracer built [WithGlobal]). Give one to a Tracer with
// [WithRecorder].
//
// What is not recorded: spans started with a span's own tracer
// (span.Tracer().StartSpan on a server or client span, whose Tracer() is the
// backend's), with [Tracer.Unwrap]'s tracer, or by the backend's own
// instrumentation, which bypass the Tracer; and gRPC calls of
// instrument.StartServerSpan and instrument.StartClientSpan, whose
// instrument.FinishSpan receives only the span. Under the none backend nothing
// is recorded.
//
// RecordSpan is called on the goroutine that finishes the span, after the
// span finished and was counted in [Stats], once per span: it must be quick,
// must not block, and must be safe for concurrent use. A panic in it is
// recovered and counted in [Stats].CallbackPanics.
//
// With a Recorder, the Tracer reads the clock when it starts a server span
// and when it finishes a span, and gives the backend those times
// (opentracing.StartTime, opentracing.FinishOptions.FinishTime), so that the
// Recorder and the backend agree on when the span ran, and the backend need
// not read the clock again.
type Recorder interface {
	RecordSpan(s FinishedSpan)
}

// FinishedSpan is what a [Recorder] learns of a finished span. Its strings
// went through the Tracer's redaction and length cap, as the span's tags.
type FinishedSpan struct {
	// Span is the finished span. Only its Context method may be called
	// (the ids, with [Tracer.SpanContextIDs]): the span is finished, and
	// may be sent by the backend concurrently. Keeping it keeps the span's
	// memory (its tags and logs) alive, so keep a bounded number.
	Span opentracing.Span
	// Parent is the span context the span continued: a server span's
	// incoming context (from another process, or a client span of this
	// one), a client span's parent, a child's first reference; nil for a
	// root.
	Parent opentracing.SpanContext
	// Operation is the span's name, as the backend got it.
	Operation string
	// URL is the span's http.url tag: without userinfo or fragment, secret
	// query values REDACTED, within the tag length cap; "" for a span that
	// is not an HTTP request.
	URL  string
	Kind SpanKind
	// End is when the span finished (the backend got the same time), and
	// Duration how long it ran, as the Tracer measured it from just before
	// it started: it started at End.Add(-Duration).
	End      time.Time
	Duration time.Duration
	// Status is the HTTP status code, 0 when there is none (a hijacked
	// connection, a handler that panicked before writing, a transport
	// error, a span that is no HTTP request).
	Status int
	// Error is true for a 5xx status, a handler's panic, a transport or
	// body error, or a span tagged error=true through the Tracer's span.
	Error bool
}

// SpanKind is the kind of a recorded span, as its span.kind tag says.
type SpanKind uint8

// The kinds of span.kind; a span without the tag is KindInternal.
const (
	KindInternal SpanKind = iota
	KindServer
	KindClient
	KindProducer
	KindConsumer
)

// String returns the kind as span.kind spells it ("server", "client",
// "producer", "consumer"), or "internal".
func (k SpanKind) String() string {
	switch k {
	case KindServer:
		return "server"
	case KindClient:
		return "client"
	case KindProducer:
		return "producer"
	case KindConsumer:
		return "consumer"
	}
	return "internal"
}

// kindOf returns the SpanKind of a span.kind tag's value.
func kindOf(v any) SpanKind {
	var s string
	switch v := v.(type) {
	case ext.SpanKindEnum:
		s = string(v)
	case string:
		s = v
	}
	switch s {
	case "server":
		return KindServer
	case "client":
		return KindClient
	case "producer":
		return KindProducer
	case "consumer":
		return KindConsumer
	}
	return KindInternal
}

// record hands s to the Recorder, recovering (and counting) its panics.
func (t *Tracer) record(s FinishedSpan) {
	defer func() {
		if recover() != nil {
			t.counts.callbackPanics.Add(1)
		}
	}()
	t.recorder.RecordSpan(s)
}

// recording is a server span's recording state, on serve's stack: zero
// unless a Recorder is attached.
type recording struct {
	start   time.Time
	op, url string
}

// finishServer finishes the server span of rq at the time it records,
// counts it, and records it.
func (t *Tracer) finishServer(rq *request, rc *recording, status int) {
	end := time.Now()
	rq.span.FinishWithOptions(opentracing.FinishOptions{FinishTime: end})
	t.counts.finished.Add(1)
	t.record(FinishedSpan{
		Span:      rq.span,
		Parent:    rq.parent.ReferencedContext,
		Operation: rc.op,
		URL:       rc.url,
		Kind:      KindServer,
		End:       end,
		Duration:  end.Sub(rc.start),
		Status:    status,
		Error:     status >= 500 || rq.panicked,
	})
}

// clientRecording is a client span's recording state, used only when a
// Recorder is attached. Its methods do nothing on nil.
type clientRecording struct {
	start   time.Time
	op, url string
	status  int
	failed  atomic.Bool // a body error may come on another goroutine
}

func (r *clientRecording) named(op, url string) {
	if r != nil {
		r.op, r.url = op, url
	}
}

func (r *clientRecording) got(status int) {
	if r != nil {
		r.status = status
	}
}

func (r *clientRecording) fail() {
	if r != nil {
		r.failed.Store(true)
	}
}

// finishClient finishes the client span of c at the time it records,
// counts it, and records it.
func (t *Tracer) finishClient(c *call) {
	r := c.rec
	end := time.Now()
	c.span.FinishWithOptions(opentracing.FinishOptions{FinishTime: end})
	t.counts.finished.Add(1)
	t.record(FinishedSpan{
		Span:      c.span,
		Parent:    c.parent.ReferencedContext,
		Operation: r.op,
		URL:       r.url,
		Kind:      KindClient,
		End:       end,
		Duration:  end.Sub(r.start),
		Status:    r.status,
		Error:     r.status >= 500 || r.failed.Load(),
	})
}

// startRecorded starts a span for [Tracer.StartSpan] with a Recorder
// attached: the backend's span, wrapped so that its end is recorded.
func (t *Tracer) startRecorded(op string, opts []opentracing.StartSpanOption) opentracing.Span {
	s := &recordedSpan{t: t, op: op}
	for _, o := range opts {
		switch o := o.(type) {
		case opentracing.SpanReference:
			if s.parent == nil {
				s.parent = o.ReferencedContext
			}
		case *opentracing.SpanReference:
			if s.parent == nil && o != nil {
				s.parent = o.ReferencedContext
			}
		case opentracing.StartTime:
			if !time.Time(o).IsZero() {
				s.start = time.Time(o)
			}
		case *opentracing.StartTime:
			if o != nil && !time.Time(*o).IsZero() {
				s.start = time.Time(*o)
			}
		case opentracing.Tag:
			s.tag(o.Key, o.Value)
		case *opentracing.Tag:
			if o != nil {
				s.tag(o.Key, o.Value)
			}
		case opentracing.Tags:
			for k, v := range o {
				s.tag(k, v)
			}
		}
	}
	if s.start.IsZero() && len(opts) < len(s.opts) {
		// The backend starts the span at the time recorded, and need not
		// read the clock itself.
		s.start = time.Now()
		s.startOpt = opentracing.StartTime(s.start)
		opts = append(append(s.opts[:0], opts...), &s.startOpt)
	} else if s.start.IsZero() {
		s.start = time.Now()
	}
	s.Span = t.startChecked(op, opts)
	return s
}

// recordedSpan is a span started through Tracer.StartSpan while a Recorder
// is attached: the backend's span, recorded when it finishes. Its Tracer()
// is the Tracer (so its children are recorded too), with the backend's
// context hook.
type recordedSpan struct {
	opentracing.Span
	t      *Tracer
	parent opentracing.SpanContext
	start  time.Time
	done   atomic.Bool

	// The start options, with startOpt: room for a few, so that passing
	// them allocates nothing.
	startOpt opentracing.StartTime
	opts     [4]opentracing.StartSpanOption

	mu     sync.Mutex
	op     string
	kind   SpanKind
	failed bool
}

func (s *recordedSpan) Finish() {
	s.FinishWithOptions(opentracing.FinishOptions{})
}

func (s *recordedSpan) FinishWithOptions(opts opentracing.FinishOptions) {
	if opts.FinishTime.IsZero() {
		opts.FinishTime = time.Now()
	}
	s.Span.FinishWithOptions(opts)
	if !s.done.CompareAndSwap(false, true) {
		return // the backend counts a second Finish; record the first
	}
	s.mu.Lock()
	op, kind, failed := s.op, s.kind, s.failed
	s.mu.Unlock()
	s.t.record(FinishedSpan{
		Span:      s.Span,
		Parent:    s.parent,
		Operation: op,
		Kind:      kind,
		End:       opts.FinishTime,
		Duration:  opts.FinishTime.Sub(s.start),
		Error:     failed,
	})
}

func (s *recordedSpan) SetOperationName(name string) opentracing.Span {
	s.Span.SetOperationName(name)
	s.mu.Lock()
	s.op = name
	s.mu.Unlock()
	return s
}

func (s *recordedSpan) SetTag(key string, value any) opentracing.Span {
	s.Span.SetTag(key, value)
	if key == string(ext.Error) || key == string(ext.SpanKind) {
		s.mu.Lock()
		s.tag(key, value)
		s.mu.Unlock()
	}
	return s
}

// tag notes the tags a recording needs: error and span.kind.
func (s *recordedSpan) tag(key string, value any) {
	switch key {
	case string(ext.Error):
		switch v := value.(type) {
		case bool:
			s.failed = v
		case string:
			s.failed = v == "true"
		}
	case string(ext.SpanKind):
		s.kind = kindOf(value)
	}
}

func (s *recordedSpan) SetBaggageItem(key, value string) opentracing.Span {
	s.Span.SetBaggageItem(key, value)
	return s
}

func (s *recordedSpan) Tracer() opentracing.Tracer { return spanTracer{s.t} }

// spanTracer is a recorded span's Tracer(): the Tracer, whose context hook
// hands the backend's hook (the OpenTelemetry bridge's, say) the backend's
// span rather than the wrapper it could not recognise.
type spanTracer struct{ *Tracer }

func (st spanTracer) ContextWithSpanHook(ctx context.Context, span opentracing.Span) context.Context {
	hook, ok := st.ot.(opentracing.TracerContextWithSpanExtension)
	if !ok {
		return ctx
	}
	if rs, ok := span.(*recordedSpan); ok {
		span = rs.Span
	}
	return hook.ContextWithSpanHook(ctx, span)
}

var (
	_ opentracing.Span                           = (*recordedSpan)(nil)
	_ opentracing.TracerContextWithSpanExtension = spanTracer{}
)

// Settings are a Tracer's settings as a debug page shows them. Read them
// with [Tracer.Settings].
type Settings struct {
	// Backend is the registered name of the backend ([New], [FromEnv]), ""
	// for a tracer given to [Wrap] (whose own settings traceplug does not
	// know: ServiceName, Endpoint and SampleRate are then zero).
	Backend     string
	ServiceName string
	// Endpoint is [WithEndpoint]'s value without userinfo or fragment, with
	// secret query values and JSON Web Tokens REDACTED; "" for the
	// backend's default.
	Endpoint string
	// SampleRate is [WithSampleRate]'s rate, 1 by default (a backend may
	// honour a sampler of its own environment variables below it).
	SampleRate float64
	TraceAll   bool
	// Propagation is the formats the Tracer reads and writes, in order
	// ("tracecontext,baggage"), or, for a backend that propagates span
	// contexts itself, [WithPropagation]'s list, "" for its native format.
	Propagation string
	// Recorder reports whether a [Recorder] is attached ([WithRecorder]).
	Recorder bool
	// PublicEndpoint is "all" for [WithPublicEndpoint](true), "by function"
	// for [WithPublicEndpointFn], "" when callers' traces are continued.
	PublicEndpoint string
}

// settings freezes the Settings that c says; Backend is set by build.
func (c *config) settings() Settings {
	// An endpoint with an "@" may hold credentials that do not parse as
	// such (a password with "/", "#" or "?"): the backends' one rule for
	// endpoints shows it. Others keep what is not secret in the query.
	endpoint := redact.Endpoint(c.endpoint)
	if !strings.Contains(c.endpoint, "@") {
		x := &redactor{headerSubs: c.redactHeaders, querySubs: c.redactQuery}
		endpoint = x.urlString(c.endpoint)
	}
	return Settings{
		ServiceName:    c.serviceName,
		Endpoint:       endpoint,
		SampleRate:     c.sampleRate,
		TraceAll:       c.traceAll,
		Propagation:    c.propagation,
		Recorder:       c.recorder != nil,
		PublicEndpoint: c.public.String(),
	}
}

// Settings returns the Tracer's settings, with the endpoint's secrets
// redacted. Backend params and process tags, which may hold credentials,
// are not part of it. It is safe for concurrent use.
func (t *Tracer) Settings() Settings {
	s := t.settings
	if s.Backend == "" {
		s.ServiceName, s.Endpoint, s.SampleRate = "", "", 0
	}
	if t.prop != nil {
		s.Propagation = t.prop.Formats()
	}
	return s
}
