package core

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
)

// Tracer traces HTTP servers and clients with an OpenTracing tracer: it is Go's
// counterpart of django_opentracing's DjangoTracer. Build one with [New] (a
// registered backend, by name), [FromEnv] (the backend and settings from
// TRACEPLUG_* variables) or [Wrap] (any opentracing.Tracer).
//
// A Tracer is itself an [opentracing.Tracer], so it can be given to any
// OpenTracing instrumentation. Its settings are fixed when it is built. It is
// safe for concurrent use. Call [Tracer.Close] or [Tracer.Shutdown] when done
// to flush the spans the backend still holds.
type Tracer struct {
	ot       opentracing.Tracer
	shutdown func(context.Context) error

	// Frozen settings: the request path reads these and nothing else.
	traceAll     bool
	attrs        []attribute
	redact       *redactor
	opName       func(*http.Request) string
	filter       func(*http.Request) bool
	observer     func(opentracing.Span, *http.Request)
	responseSize bool
	global       bool
	noop         bool // the tracer is opentracing's no-op tracer: nothing is recorded

	maxBaggageItems, maxBaggageBytes int

	counts counters

	closeOnce sync.Once
	closeErr  error
}

var _ opentracing.Tracer = (*Tracer)(nil)

// componentName is the value of the "component" tag on every span traceplug makes.
const componentName = "traceplug"

// New builds a Tracer on the backend registered under name, configured by opts.
// The backend's factory runs now, with the options of this call (and whatever
// environment the backend documents), so each call gets a fresh tracer.
//
// A name that no imported backend registered is an error wrapping
// [ErrUnknownBackend]; the usual cause is a missing blank import such as
//
//	import _ "github.com/traceplug/traceplug/backends/jaeger"
//
// An invalid option is an error wrapping [ErrBadOption].
func New(name string, opts ...Option) (*Tracer, error) {
	f, err := backends.lookup(name, "")
	if err != nil {
		return nil, err
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return build(name, f, c)
}

func build(name string, f Factory, c *config) (*Tracer, error) {
	t, err := newTracer(c)
	if err != nil {
		return nil, err
	}
	ot, shutdown, err := f(c.backendConfig())
	if err != nil {
		return nil, fmt.Errorf("traceplug: backend %q: %w", name, err)
	}
	if ot == nil {
		if shutdown != nil {
			_ = shutdown(context.Background())
		}
		return nil, fmt.Errorf("traceplug: backend %q returned a nil tracer and no error (a bug in the backend)", name)
	}
	t.ot, t.shutdown = ot, shutdown
	t.start()
	return t, nil
}

// Wrap returns a Tracer that traces with ot, configured by opts: the
// counterpart of django_opentracing's DjangoTracer(tracer). No registry is
// involved, and the settings that only backends read (service name, endpoint,
// sample rate, tags, params, propagation) are ignored: configure ot itself.
// [Tracer.Shutdown] and [Tracer.Close] flush ot with its Shutdown(ctx) error
// method if it has one, else with its Close() error method (as io.Closer),
// as the registry-free constructors of traceplug's backends return.
//
// An invalid option, or a nil ot, is an error wrapping [ErrBadOption].
func Wrap(ot opentracing.Tracer, opts ...Option) (*Tracer, error) {
	if ot == nil {
		return nil, fmt.Errorf("traceplug: Wrap(nil): a tracer is required (opentracing.NoopTracer{} traces nothing): %w", ErrBadOption)
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	t, err := newTracer(c)
	if err != nil {
		return nil, err
	}
	t.ot = ot
	switch cl := ot.(type) {
	case interface{ Shutdown(context.Context) error }:
		t.shutdown = cl.Shutdown
	case interface{ Close() error }:
		t.shutdown = func(context.Context) error { return cl.Close() }
	}
	t.start()
	return t, nil
}

// newTracer freezes the request-path settings of c.
func newTracer(c *config) (*Tracer, error) {
	attrs, err := resolveAttributes(c.attributes)
	if err != nil {
		return nil, err
	}
	return &Tracer{
		traceAll:     c.traceAll,
		attrs:        attrs,
		redact:       &redactor{headerSubs: c.redactHeaders, querySubs: c.redactQuery, maxLen: c.maxTagLen, maxHeaders: c.maxHeaders},
		opName:       c.opName,
		filter:       c.filter,
		observer:     c.observer,
		responseSize: c.responseSize,
		global:       c.global,

		maxBaggageItems: c.maxBagItems,
		maxBaggageBytes: c.maxBagBytes,
	}, nil
}

func (t *Tracer) start() {
	_, t.noop = t.ot.(opentracing.NoopTracer)
	if t.global {
		opentracing.SetGlobalTracer(t)
	}
}

// Shutdown flushes every span the backend still holds and releases its
// resources, returning when that is done or when ctx ends, whichever comes
// first. Only the first call of Shutdown or [Tracer.Close] does the work;
// later calls return nil. Spans started after Shutdown may be dropped.
func (t *Tracer) Shutdown(ctx context.Context) error {
	var err error
	t.closeOnce.Do(func() {
		if t.global && opentracing.IsGlobalTracerRegistered() && opentracing.GlobalTracer() == opentracing.Tracer(t) {
			opentracing.SetGlobalTracer(opentracing.NoopTracer{})
		}
		if t.shutdown == nil {
			return
		}
		if err = t.shutdown(ctx); err != nil {
			err = fmt.Errorf("traceplug: shutdown: %w", err)
		}
	})
	return err
}

// Close is Shutdown without a deadline: it flushes every span the backend still
// holds and releases its resources. It is idempotent.
func (t *Tracer) Close() error {
	return t.Shutdown(context.Background())
}

// StartSpan starts a span with the backend's tracer. It implements
// [opentracing.Tracer]. A reference to a span context that the backend's
// tracer rejects by panicking (a context from another tracer) is dropped, and
// the span is tagged "traceplug.dropped_reference".
func (t *Tracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) (span opentracing.Span) {
	defer func() {
		if recover() != nil {
			span = t.startWithoutReferences(operationName, opts)
		}
	}()
	return t.ot.StartSpan(operationName, opts...)
}

// startWithoutReferences starts a root span with opts less their references.
func (t *Tracer) startWithoutReferences(operationName string, opts []opentracing.StartSpanOption) opentracing.Span {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	tags := opentracing.Tags{"traceplug.dropped_reference": true}
	for k, v := range so.Tags {
		tags[k] = v
	}
	return t.ot.StartSpan(operationName, opentracing.StartTime(so.StartTime), tags)
}

// Inject implements [opentracing.Tracer] with the backend's tracer.
func (t *Tracer) Inject(sc opentracing.SpanContext, format, carrier any) (err error) {
	defer func() {
		if recover() != nil {
			err = opentracing.ErrInvalidSpanContext
		}
	}()
	return t.ot.Inject(sc, format, carrier)
}

// Extract implements [opentracing.Tracer] with the backend's tracer.
func (t *Tracer) Extract(format, carrier any) (opentracing.SpanContext, error) {
	return t.ot.Extract(format, carrier)
}

// Unwrap returns the backend's own tracer, for features of a backend that
// OpenTracing has no name for. Spans started with it bypass nothing: they are
// the same spans a Tracer starts.
func (t *Tracer) Unwrap() opentracing.Tracer {
	return t.ot
}

// logPanic tags span as failed with the recovered value v.
func logPanic(span opentracing.Span, v any) {
	ext.Error.Set(span, true)
	span.LogFields(
		log.String("event", "error"),
		log.String("error.kind", "panic"),
		log.String("error.object", fmt.Sprintf("%T", v)),
		log.String("message", fmt.Sprint(v)),
	)
}
