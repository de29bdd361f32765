package lightstep

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	lightstep "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/redact"
)

func init() { core.Register("lightstep", factory) }

func factory(cfg backend.Config) (opentracing.Tracer, func(context.Context) error, error) {
	t, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return t, t.Shutdown, nil
}

// EnvAccessToken is the variable the access token is read from when the
// access_token param is not set.
const EnvAccessToken = "LIGHTSTEP_ACCESS_TOKEN"

const defaultEndpoint = "ingest.lightstep.com:443"

var params = []string{"access_token", "transport", "plaintext", "max_buffered_spans", "reporting_period", "min_reporting_period", "report_timeout", "max_report_bytes"}

// Tracer is a lightstep tracer. It implements [opentracing.Tracer] and
// [backend.SpanContextCodec], and is safe for concurrent use. Call Close or
// Shutdown to flush.
//
// Its spans' Tracer() is the Tracer itself, whose Inject and Extract speak
// the configured propagation formats (ottrace by default) for TextMap and
// HTTPHeaders, and traceplug's Binary format.
type Tracer struct {
	lightstep lightstep.Tracer
	prop      *backend.Propagator
	counts    *backend.SpanCounts
	sender    sender
	rate      float64
	token     string
	logger    *slog.Logger // where lightstep-tracer-go's errors go (nil: the log package)
	once      sync.Once
	err       error

	// finishing is read-held by every span's Finish while it hands the span
	// to lightstep-tracer-go, and held by Shutdown while it sets closed: so
	// every span is either handed before the final flush, or counted as
	// finished after close and never handed.
	finishing sync.RWMutex
	closed    bool

	// closing tells the sender that Shutdown has begun, and with which
	// context: from then on a report that fails is dropped, not kept.
	closing closing
}

// New builds a lightstep tracer from cfg, without the registry; see the
// package documentation for the endpoint, params and environment it reads.
func New(cfg backend.Config) (*Tracer, error) {
	if err := cfg.CheckParams("lightstep", params...); err != nil {
		return nil, err
	}
	p := cfg.Reader("lightstep")
	plaintext := p.Bool("plaintext", false)
	opts := lightstep.Options{
		MaxBufferedSpans:   p.Int("max_buffered_spans", 10000),
		ReportingPeriod:    p.Duration("reporting_period", lightstep.DefaultMaxReportingPeriod),
		MinReportingPeriod: p.Duration("min_reporting_period", lightstep.DefaultMinReportingPeriod),
		ReportTimeout:      p.Duration("report_timeout", lightstep.DefaultReportTimeout),
		// lightstep-tracer-go's own splitting of large reports is broken (its
		// parts share one request, so all but the last part are lost): it is
		// turned off, and countingSender splits by max_report_bytes instead.
		GRPCMaxCallSendMsgSizeBytes: math.MaxInt32,
		SystemMetrics:               lightstep.SystemMetricsOptions{Disabled: true},
		Tags:                        opentracing.Tags{},
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	maxReport := p.Int("max_report_bytes", 3<<20)
	if opts.MaxBufferedSpans <= 0 || opts.ReportingPeriod <= 0 || opts.MinReportingPeriod <= 0 || opts.ReportTimeout <= 0 || maxReport <= 0 {
		return nil, backend.BadOptionf("lightstep: params max_buffered_spans, reporting_period, min_reporting_period, report_timeout and max_report_bytes must be positive")
	}
	transport, _ := cfg.Param("transport")
	if transport != "" && transport != "http" && transport != "grpc" {
		return nil, backend.BadOptionf("lightstep: param \"transport\": %q is not http or grpc", transport)
	}
	var err error
	if opts.Collector, err = collector(cfg.Endpoint, plaintext); err != nil {
		return nil, err
	}
	opts.AccessToken, _ = cfg.Param("access_token")
	if opts.AccessToken == "" {
		opts.AccessToken = os.Getenv(EnvAccessToken)
	}
	for k, v := range cfg.Tags {
		opts.Tags[k] = v
	}
	opts.Tags[lightstep.ComponentNameKey] = cfg.ServiceName
	opts.Tags[lightstep.CommandLineKey] = filepath.Base(os.Args[0])

	t := &Tracer{rate: cfg.SampleRate, token: opts.AccessToken, logger: cfg.Logger, counts: &backend.SpanCounts{}}
	if t.prop, err = backend.NewPropagator(cfg, t); err != nil {
		return nil, fmt.Errorf("lightstep: %w", err)
	}
	opts.Recorder = handed{t.counts}
	var shown string // the collector, for the log
	if transport == "grpc" {
		if t.sender, err = newGRPCSender(opts.Collector); err != nil {
			return nil, fmt.Errorf("lightstep: gRPC client for %s: %w", redact.Endpoint(cfg.Endpoint), err)
		}
		shown = net.JoinHostPort(opts.Collector.Host, strconv.Itoa(opts.Collector.Port))
	} else {
		hs := newHTTPSender(opts.Collector, opts.AccessToken)
		t.sender, shown = hs, hs.url
	}
	t.sender = countingSender{sender: t.sender, counts: t.counts, maxBytes: maxReport, closing: &t.closing,
		log: backend.NewLoggerTo(cfg.Logger, "traceplug/lightstep: "), shown: shown, flight: new(inflight)}
	opts.CustomCollector = t.sender

	routeEvents(opts.AccessToken, cfg.Logger)
	if t.lightstep, err = lightstep.CreateTracer(opts); err != nil {
		forgetTracer(opts.AccessToken, cfg.Logger)
		t.sender.close()
		return nil, backend.BadOptionf("lightstep: %s", redactTokens(err.Error()))
	}
	return t, nil
}

// collector reads HOST:PORT, or http:// or https:// before it.
func collector(endpoint string, plaintext bool) (lightstep.Endpoint, error) {
	if endpoint == "" {
		endpoint = defaultEndpoint
	}
	shown := redact.Endpoint(endpoint)
	hostPort := endpoint
	if scheme, rest, ok := strings.Cut(endpoint, "://"); ok {
		u, err := url.Parse(endpoint)
		if err != nil || (scheme != "http" && scheme != "https") || (u.Path != "" && u.Path != "/") {
			return lightstep.Endpoint{}, backend.BadOptionf("lightstep: endpoint %q: want HOST:PORT, http://HOST:PORT or https://HOST:PORT", shown)
		}
		hostPort, plaintext = strings.TrimSuffix(rest, "/"), scheme == "http"
	}
	if strings.Contains(hostPort, "@") { // a host has none: the rest would be dialled, and logged
		return lightstep.Endpoint{}, backend.BadOptionf("lightstep: endpoint %q: want HOST:PORT without credentials (the access_token param or %s carries them)", shown, EnvAccessToken)
	}
	host, port, err := net.SplitHostPort(hostPort)
	n, perr := strconv.Atoi(port)
	if err != nil || host == "" || perr != nil || n <= 0 || n > 65535 {
		return lightstep.Endpoint{}, backend.BadOptionf("lightstep: endpoint %q: want HOST:PORT, such as %s", shown, defaultEndpoint)
	}
	return lightstep.Endpoint{Host: host, Port: n, Plaintext: plaintext}, nil
}

// Lightstep returns the lightstep-tracer-go tracer.
func (t *Tracer) Lightstep() lightstep.Tracer { return t.lightstep }

// StartSpan implements [opentracing.Tracer], deciding whether a new trace is
// sampled (lightstep-tracer-go has no sampler).
func (t *Tracer) StartSpan(op string, opts ...opentracing.StartSpanOption) opentracing.Span {
	if t.rate < 1 && !hasParent(opts) && !t.sampleRoot() {
		opts = append(opts, lightstep.SetSampled("false"))
	}
	opts, start := startOptions(opts)
	inner := t.lightstep.StartSpan(op, opts...)
	if start.IsZero() {
		start = time.Now() // not before lightstep-tracer-go's own start
	}
	return &span{Span: inner, tracer: t, start: start}
}

// sampleRoot decides whether a new trace is sampled, at the sample rate.
func (t *Tracer) sampleRoot() bool {
	return t.rate >= 1 || (t.rate > 0 && rand.Float64() < t.rate)
}

func hasParent(opts []opentracing.StartSpanOption) bool {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	for _, ref := range so.References {
		if _, ok := ref.ReferencedContext.(lightstep.SpanContext); ok {
			return true
		}
	}
	return false
}

// Inject implements [opentracing.Tracer] with core's [backend.Propagator]: the
// configured formats for TextMap and HTTPHeaders, traceplug's own for
// Binary.
func (t *Tracer) Inject(sc opentracing.SpanContext, format, carrier any) error {
	return t.prop.Inject(sc, format, carrier)
}

// Extract implements [opentracing.Tracer] with core's [backend.Propagator].
func (t *Tracer) Extract(format, carrier any) (opentracing.SpanContext, error) {
	return t.prop.Extract(format, carrier)
}

// Shutdown flushes every buffered span and closes the connection, returning
// when that is done or when ctx ends, whichever is first. Only the first call
// of Shutdown or Close does the work.
func (t *Tracer) Shutdown(ctx context.Context) error {
	t.once.Do(func() {
		// Spans finished from now on are counted as finished after close
		// and never reach lightstep-tracer-go, which would buffer them where
		// nothing reads them any more.
		t.finishing.Lock()
		t.closed = true
		t.finishing.Unlock()
		t.closing.begin(ctx)
		// lightstep-tracer-go's Close flushes until ctx ends; its own loop
		// reports without a deadline, so the sender's abort fails whatever
		// report is still under way, and Close then returns at once.
		t.err = backend.Shutdown(ctx, "lightstep", func() error {
			t.lightstep.Close(ctx)
			return ctx.Err()
		}, t.sender.abort)
		t.sender.close()
		forgetTracer(t.token, t.logger)
		t.counts.Settle()
	})
	return t.err
}

// BackendStats implements [backend.StatsReporter].
func (t *Tracer) BackendStats() backend.BackendStats { return t.counts.BackendStats() }

// Close flushes every buffered span and closes the connection.
func (t *Tracer) Close() error { return t.Shutdown(context.Background()) }
