package jaeger

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/opentracing/opentracing-go"
	jaeger "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/transport"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/report"
)

func init() { core.Register("jaeger", factory) }

func factory(cfg core.Config) (opentracing.Tracer, func(context.Context) error, error) {
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
// [opentracing.Tracer] and [core.SpanContextCodec], and is safe for
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
	abort   context.CancelFunc // fails the HTTP sends still under way
	http    *http.Transport    // the collector's connections, or nil for UDP
	counts  *core.SpanCounts
	once    sync.Once
	err     error
}

var _ opentracing.Tracer = (*Tracer)(nil)

// New builds a jaeger tracer from cfg, without the registry; see the package
// documentation for the endpoint, params and environment it reads.
func New(cfg core.Config) (*Tracer, error) {
	s, err := newSettings(cfg)
	if err != nil {
		return nil, err
	}
	if s.disabled {
		return &Tracer{Tracer: opentracing.NoopTracer{}}, nil
	}
	t := &Tracer{counts: &core.SpanCounts{}}
	prop, err := core.NewPropagator(cfg, t)
	if err != nil {
		return nil, fmt.Errorf("jaeger: %w", err)
	}
	logger := newLogger()
	metrics := jaeger.NewMetrics(countingFactory{t.counts}, nil)

	var sender jaeger.Transport
	switch s.transport {
	case "udp":
		if sender, err = newUDPSender(s.hostPort, s.maxPacketSize, logger); err != nil {
			return nil, fmt.Errorf("jaeger: agent %s: %w", s.hostPort, err)
		}
	case "http":
		ctx, abort := context.WithCancel(context.Background())
		t.abort = abort
		t.http = &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second}
		opts := []transport.HTTPOption{
			transport.HTTPBatchSize(s.batchSize),
			transport.HTTPTimeout(s.timeout),
			transport.HTTPRoundTripper(report.Abortable(ctx, t.http)),
		}
		if s.user != "" || s.password != "" {
			opts = append(opts, transport.HTTPBasicAuth(s.user, s.password))
		}
		if len(s.headers) > 0 {
			opts = append(opts, transport.HTTPHeaders(s.headers))
		}
		sender = transport.NewHTTPTransport(s.url, opts...)
	}

	var reporter jaeger.Reporter = &countingReporter{Reporter: jaeger.NewRemoteReporter(sender,
		jaeger.ReporterOptions.QueueSize(s.queueSize),
		jaeger.ReporterOptions.BufferFlushInterval(s.flushInterval),
		jaeger.ReporterOptions.Logger(logger),
		jaeger.ReporterOptions.Metrics(metrics),
	), counts: t.counts}
	if s.logSpans {
		reporter = jaeger.NewCompositeReporter(reporter, jaeger.NewLoggingReporter(jaeger.StdLogger))
	}
	opts := []jaeger.TracerOption{
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
	jt, closer := jaeger.NewTracer(s.serviceName, t.sampler, reporter, opts...)
	t.Tracer, t.jaeger, t.closer = jt, jt.(*jaeger.Tracer), closer
	return t, nil
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
		done := make(chan error, 1)
		go func() { done <- t.closer.Close() }()
		select {
		case t.err = <-done:
		case <-ctx.Done():
			if t.abort != nil {
				t.abort() // HTTP sends now fail at once, so Close ends promptly
			}
			<-done
			t.err = fmt.Errorf("jaeger: shutdown stopped before every span was sent: %w", ctx.Err())
		}
		if t.abort != nil {
			t.abort()
		}
		if t.http != nil {
			t.http.CloseIdleConnections()
		}
		t.counts.Settle()
	})
	return t.err
}

// BackendStats implements [core.StatsReporter].
func (t *Tracer) BackendStats() core.BackendStats {
	if t.counts == nil {
		return core.BackendStats{}
	}
	return t.counts.BackendStats()
}

// Close flushes every buffered span and closes the reporter.
func (t *Tracer) Close() error { return t.Shutdown(context.Background()) }

// logger adapts report.Logger to jaeger-client-go's logger.
type logger struct{ *report.Logger }

func newLogger() logger { return logger{report.NewLogger("traceplug/jaeger: ")} }

func (l logger) Error(msg string)      { l.Printf("%s", msg) }
func (l logger) Infof(string, ...any)  {}
func (l logger) Debugf(string, ...any) {}
