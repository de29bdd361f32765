package jaeger

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	jaeger "github.com/uber/jaeger-client-go"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/core"
)

func init() { core.Register("jaeger", factory) }

func factory(cfg backend.Config) (opentracing.Tracer, func(context.Context) error, error) {
	t, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	if t.jaeger == nil { // JAEGER_DISABLED: core's no-op paths apply
		return opentracing.NoopTracer{}, nil, nil
	}
	return t, t.Shutdown, nil
}

// Tracer is a jaeger tracer with its reporter. It implements
// [opentracing.Tracer] and [backend.SpanContextCodec], and is safe for
// concurrent use. Call Close or Shutdown to flush.
//
// Its Inject and Extract, which are those of the jaeger-client-go tracer
// ([Tracer.Jaeger], what span.Tracer() returns), speak the configured
// propagation formats (jaeger's by default) for TextMap and HTTPHeaders, and
// jaeger-client-go's own Binary format.
type Tracer struct {
	opentracing.Tracer

	jaeger  *jaeger.Tracer // nil when JAEGER_DISABLED made it a no-op
	sampler jaeger.Sampler // decides deferred incoming decisions
	closer  io.Closer
	conn    *backend.Conn // the collector's connection, or nil for UDP
	agent   *agentConn    // the agent's connection, or nil for HTTP
	counts  *backend.SpanCounts
	once    sync.Once
	err     error

	envSampler envSampler // JAEGER_SAMPLER_*, for DefaultSampler
}

var _ opentracing.Tracer = (*Tracer)(nil)

// New builds a jaeger tracer from cfg, without the registry; see the package
// documentation for the endpoint, params and environment it reads.
func New(cfg backend.Config) (*Tracer, error) {
	s, err := newSettings(cfg)
	if err != nil {
		return nil, err
	}
	if s.disabled {
		return &Tracer{Tracer: opentracing.NoopTracer{}, envSampler: s.envSampler}, nil
	}
	t := &Tracer{counts: &backend.SpanCounts{}, envSampler: s.envSampler}
	prop, err := backend.NewPropagator(cfg, t)
	if err != nil {
		return nil, fmt.Errorf("jaeger: %w", err)
	}
	logger := newLoggerTo(cfg.Logger)

	var sender jaeger.Transport
	switch s.transport {
	case "udp":
		udp, err := newUDPSender(s.hostPort, s.maxPacketSize, s.maxTagValueLength, t.counts, logger)
		if err != nil {
			return nil, fmt.Errorf("jaeger: agent %s: %w", s.hostPort, err)
		}
		sender, t.agent = udp, udp.conn
	case "http":
		t.conn = backend.NewConn()
		sender = newHTTPSender(s.url, t.conn.Client.Transport, s.timeout, s, t.counts)
	}
	// The UDP sender counts the spans it sends as reported itself, once it
	// knows the agent's host did not refuse them (see udpSender.settle).
	metrics := jaeger.NewMetrics(countingFactory{counts: t.counts, senderReports: t.agent != nil}, nil)

	var reporter jaeger.Reporter = &countingReporter{Reporter: jaeger.NewRemoteReporter(sender,
		jaeger.ReporterOptions.QueueSize(s.queueSize),
		jaeger.ReporterOptions.BufferFlushInterval(s.flushInterval),
		jaeger.ReporterOptions.Logger(logger),
		jaeger.ReporterOptions.Metrics(metrics),
	), counts: t.counts}
	if s.logSpans {
		reporter = jaeger.NewCompositeReporter(reporter, jaeger.NewLoggingReporter(spanLogger(cfg.Logger)))
	}
	opts := []jaeger.TracerOption{
		// jaeger-client-go's own ids come from a sync.Pool of math/rand
		// sources, each seeded, when the collector has emptied the pool,
		// with one of 2^31 seeds: under load two sources eventually share a
		// seed, and spans get ids given before (seen in faults_test's burst).
		jaeger.TracerOptions.RandomNumber(rand.Uint64),
		jaeger.TracerOptions.Gen128Bit(s.traceID128),
		jaeger.TracerOptions.MaxTagValueLength(s.maxTagValueLength),
		jaeger.TracerOptions.Logger(logger),
		jaeger.TracerOptions.Metrics(metrics),
	}
	for _, tag := range s.tags {
		opts = append(opts, jaeger.TracerOptions.Tag(tag.Key, tag.Value))
	}
	opts = append(opts, jaeger.TracerOptions.Extractor(importFormat{}, importer{}))
	for _, format := range []opentracing.BuiltinFormat{opentracing.HTTPHeaders, opentracing.TextMap} {
		c := textCodec{p: prop, format: format}
		opts = append(opts, jaeger.TracerOptions.Injector(format, c), jaeger.TracerOptions.Extractor(format, c))
	}
	if t.sampler, err = s.sampler(); err != nil {
		reporter.Close()
		return nil, err
	}
	jt, closer := jaeger.NewTracer(s.serviceName, selfRefSampler{t.sampler}, reporter, opts...)
	t.Tracer, t.jaeger, t.closer = jt, jt.(*jaeger.Tracer), closer
	return t, nil
}

// StartSpan implements [opentracing.Tracer]: jaeger-client-go's, except
// for three things. A span.kind tag among opts (as traceplug's middleware and
// transport give) is set on the span as soon as it starts, rather than
// passed in: passed in, it costs the map of tags opentracing-go makes for
// every such start. The span is the same, its tags in the same order. A
// span whose first reference is to a new trace's context (see
// [Tracer.ImportSpanContext]) is that trace's root. And the span's first
// Finish is its only one: a second Finish or FinishWithOptions, from any
// goroutine, does nothing (jaeger-client-go's would report the span again).
// The span is not a *jaeger.Span, whose Finish reports at every call; it
// has jaeger.Span's SpanContext method.
func (t *Tracer) StartSpan(op string, opts ...opentracing.StartSpanOption) opentracing.Span {
	if t.jaeger == nil {
		return t.Tracer.StartSpan(op, opts...)
	}
	return own(t.start(op, opts))
}

// start is StartSpan but for the span's type.
func (t *Tracer) start(op string, opts []opentracing.StartSpanOption) opentracing.Span {
	kind, root, refs := -1, -1, 0
	var c jaeger.SpanContext
	for i, o := range opts {
		var sc opentracing.SpanContext
		switch o := o.(type) {
		case opentracing.Tag:
			if kind < 0 && o.Key == string(ext.SpanKind) {
				kind = i
			}
			continue
		case opentracing.SpanReference:
			sc = o.ReferencedContext
		case *opentracing.SpanReference:
			if o == nil {
				continue
			}
			sc = o.ReferencedContext
		case opentracing.StartTime, *opentracing.StartTime, opentracing.Tags:
			continue
		default: // an option of another kind may add references: apply them
			return t.startApplied(op, opts)
		}
		if refs++; refs == 1 {
			var ok bool
			if c, ok = isNewTrace(sc); ok {
				root = i
			}
		}
	}
	if len(opts) > maxStartOptions {
		kind = -1
	}
	if root >= 0 {
		return t.startNewTrace(op, opts, c, root, kind)
	}
	if kind < 0 {
		return t.jaeger.StartSpan(op, opts...)
	}
	var rest [maxStartOptions]opentracing.StartSpanOption
	n := copy(rest[:], opts[:kind])
	n += copy(rest[n:], opts[kind+1:])
	started := t.jaeger.StartSpan(op, rest[:n]...)
	tag := opts[kind].(opentracing.Tag)
	started.SetTag(tag.Key, tag.Value)
	return started
}

// maxStartOptions is how many start options StartSpan handles without help.
const maxStartOptions = 8

// DefaultSampler implements [backend.SamplerDefault]: JAEGER_SAMPLER_TYPE and
// JAEGER_SAMPLER_PARAM (and JAEGER_SAMPLING_ENDPOINT for the remote
// sampler) in the vocabulary of OTEL_TRACES_SAMPLER, for core to use when
// neither code nor TRACEPLUG_SAMPLER nor OTEL_TRACES_SAMPLER chose a
// sampler; ok is false when JAEGER_SAMPLER_TYPE is unset (and
// JAEGER_SAMPLING_ENDPOINT too: jaeger-client-go takes an endpoint alone
// for its remote sampler). The variables are read when the Tracer is built;
// the package documentation lists the mapping.
func (t *Tracer) DefaultSampler() (name, arg string, ok bool) {
	return t.envSampler.name, t.envSampler.arg, t.envSampler.ok
}

// Jaeger returns the jaeger-client-go tracer, or nil when JAEGER_DISABLED
// made this tracer a no-op.
func (t *Tracer) Jaeger() *jaeger.Tracer { return t.jaeger }

// Shutdown flushes every buffered span and closes the reporter, returning when
// that is done or when ctx ends, whichever is first; in the second case the
// sends still under way are abandoned and the error says so. Only the first
// call of Shutdown or Close does the work.
func (t *Tracer) Shutdown(ctx context.Context) error {
	t.once.Do(func() {
		if t.closer == nil {
			return
		}
		abort := func() {}
		switch {
		case t.conn != nil:
			abort = t.conn.Abort // HTTP sends fail at once, so Close ends promptly
		case t.agent != nil:
			abort = t.agent.abort // the wait for a refusal of the last datagram ends
		}
		t.err = backend.Shutdown(ctx, "jaeger", t.closer.Close, abort)
		t.counts.Settle()
	})
	return t.err
}

// BackendStats implements [backend.StatsReporter].
func (t *Tracer) BackendStats() backend.BackendStats {
	if t.counts == nil {
		return backend.BackendStats{}
	}
	return t.counts.BackendStats()
}

// Close flushes every buffered span and closes the reporter.
func (t *Tracer) Close() error { return t.Shutdown(context.Background()) }

// logger adapts backend.Logger to jaeger-client-go's logger: errors go to
// core.WithLogger's logger (the log package when nil), repeats held back;
// jaeger-client-go's info and debug lines are dropped.
type logger struct{ *backend.Logger }

func newLoggerTo(to *slog.Logger) logger {
	return logger{backend.NewLoggerTo(to, "traceplug/jaeger: ")}
}

// newLogger returns a logger over the log package.
func newLogger() logger { return newLoggerTo(nil) }

// Error logs msg less the prefix jaeger-client-go's reporter puts before
// a sender's error, which already says what failed.
func (l logger) Error(msg string) {
	l.Printf("%s", strings.TrimPrefix(msg, "failed to flush Jaeger spans to server: "))
}
func (l logger) Infof(string, ...any)  {}
func (l logger) Debugf(string, ...any) {}

// spanLogger is where log_spans logs each span: core.WithLogger's logger,
// at info level and never held back (each line is a span asked for), or
// jaeger-client-go's logger over the log package when there is none.
func spanLogger(to *slog.Logger) jaeger.Logger {
	if to == nil {
		return jaeger.StdLogger
	}
	return slogSpans{to}
}

type slogSpans struct{ log *slog.Logger }

func (l slogSpans) Error(msg string) {
	l.log.LogAttrs(context.Background(), slog.LevelError, msg, slog.String("component", "traceplug/jaeger"))
}

func (l slogSpans) Infof(format string, args ...any) {
	l.log.LogAttrs(context.Background(), slog.LevelInfo, fmt.Sprintf(format, args...), slog.String("component", "traceplug/jaeger"))
}
