package otmock

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/core"
)

// init registers the backend, and does nothing else: the factory runs only
// when a user asks core.New for "otmock".
func init() { core.Register("otmock", factory) }

func factory(cfg backend.Config) (opentracing.Tracer, func(context.Context) error, error) {
	t, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return t, t.Shutdown, nil
}

// DefaultEndpoint is where spans go when the user names no endpoint.
const DefaultEndpoint = "http://127.0.0.1:9999/spans"

// params are the names otmock accepts in core.WithParam.
var params = []string{"queue_size", "batch_size", "flush_interval", "timeout"}

// Tracer is mocktracer with a reporter: an [opentracing.Tracer] whose
// finished spans are sent to a collector. It implements
// [backend.SpanContextCodec], [backend.NativePropagation] and [backend.StatsReporter].
// It is safe for concurrent use; call Shutdown or Close to flush.
//
// Its spans' Tracer() is the Tracer itself, whose Inject and Extract speak
// the configured propagation formats.
type Tracer struct {
	mt       *mocktracer.MockTracer
	prop     *backend.Propagator
	rate     float64
	rep      *backend.Reporter[Span]
	sender   *sender
	finishes atomic.Uint64 // finished spans, to empty mocktracer's list now and then

	once sync.Once
	err  error
}

var (
	_ opentracing.Tracer        = (*Tracer)(nil)
	_ backend.StatsReporter     = (*Tracer)(nil)
	_ backend.SpanContextCodec  = (*Tracer)(nil)
	_ backend.NativePropagation = (*Tracer)(nil)
)

// New builds a tracer from cfg, without the registry, and starts its
// reporter: call Shutdown or Close when done. See the package documentation
// for the endpoint and params.
func New(cfg backend.Config) (*Tracer, error) {
	if err := cfg.CheckParams("otmock", params...); err != nil {
		return nil, err
	}
	endpoint, err := collectorURL(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	p := cfg.Reader("otmock")
	rc := backend.ReporterConfig{
		Name:      "otmock",
		QueueSize: p.Positive("queue_size", 4096),
		BatchSize: p.Positive("batch_size", 100),
		Interval:  p.Duration("flush_interval", time.Second),
		Timeout:   p.Duration("timeout", 5*time.Second),
		Logger:    backend.NewLoggerTo(cfg.Logger, "otmock: "),
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if rc.Interval <= 0 || rc.Timeout <= 0 {
		return nil, backend.BadOptionf("otmock: params flush_interval and timeout must be positive durations, such as 1s")
	}
	t := &Tracer{mt: mocktracer.New(), rate: cfg.SampleRate}
	if t.prop, err = backend.NewPropagator(cfg, t); err != nil {
		return nil, fmt.Errorf("otmock: %w", err)
	}
	// Last: nothing can fail after the reporter's goroutine starts.
	t.sender = newSender(endpoint, cfg.ServiceName, maps.Clone(cfg.Tags))
	t.rep = backend.NewReporter(rc, t.sender.send)
	return t, nil
}

func collectorURL(endpoint string) (string, error) {
	if endpoint == "" {
		return DefaultEndpoint, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", backend.BadOptionf("otmock: endpoint %q: want the collector's URL, such as %s", endpoint, DefaultEndpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/spans"
	}
	return u.String(), nil
}

// MockTracer returns the mocktracer underneath. Spans started with it
// directly are neither sent nor counted.
func (t *Tracer) MockTracer() *mocktracer.MockTracer { return t.mt }

// StartSpan implements [opentracing.Tracer]. The parent is the first
// reference to a mocktracer span context with a trace id; references to
// other tracers' span contexts, on which mocktracer would panic, are
// dropped, and the span is tagged traceplug.dropped_reference. A parent
// without a span id is a new trace core began (see ImportSpanContext): the
// span is its root, with core's decision. A trace otmock starts itself is
// sampled with the configured rate.
func (t *Tracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	so := prepared{}
	for _, o := range opts {
		o.Apply(&so.StartSpanOptions)
	}
	refs := so.References
	so.References = nil
	var (
		orphan  map[string]string // baggage of a context without ids
		dropped bool
	)
	for _, ref := range refs {
		c, ok := ref.ReferencedContext.(mocktracer.MockSpanContext)
		switch {
		case !ok:
			dropped = true
		case c.TraceID != 0: // with no span id, mocktracer starts a root of the trace
			if so.References == nil { // mocktracer continues References[0]
				so.References = []opentracing.SpanReference{ref}
			}
		case orphan == nil:
			orphan = c.Baggage
		}
	}
	// mocktracer honours sampling.priority only in SetTag.
	priority, hasPriority := so.Tags[string(ext.SamplingPriority)]
	if hasPriority {
		delete(so.Tags, string(ext.SamplingPriority))
	}
	ms := t.mt.StartSpan(operationName, &so).(*mocktracer.MockSpan)
	if so.References == nil {
		if !t.sample() {
			ms.SetTag(string(ext.SamplingPriority), uint16(0))
		}
		for k, v := range orphan {
			ms.SetBaggageItem(k, v)
		}
		if dropped {
			ms.SetTag("traceplug.dropped_reference", true)
		}
	}
	if hasPriority {
		ms.SetTag(string(ext.SamplingPriority), priority)
	}
	return &span{t: t, ms: ms}
}

// prepared hands mocktracer options already applied, so that it applies
// one option instead of the caller's again.
type prepared struct{ opentracing.StartSpanOptions }

func (p *prepared) Apply(o *opentracing.StartSpanOptions) { *o = p.StartSpanOptions }

// sample decides a trace otmock starts itself (never one core began).
func (t *Tracer) sample() bool {
	return t.rate >= 1 || (t.rate > 0 && rand.Float64() < t.rate)
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

// resetEvery is how many finished spans mocktracer may keep: it records
// every finished span in a list that only Reset empties, and otmock sends
// spans without reading that list.
const resetEvery = 64

// finished hands a finished span to the reporter, unless it is unsampled.
// It never blocks.
func (t *Tracer) finished(ms *mocktracer.MockSpan) {
	if t.finishes.Add(1)%resetEvery == 0 {
		t.mt.Reset()
	}
	rec, sampled := snapshot(ms)
	if !sampled {
		return
	}
	t.rep.Add(rec)
}

// BackendStats implements [backend.StatsReporter].
func (t *Tracer) BackendStats() backend.BackendStats { return t.rep.BackendStats() }

// Shutdown sends every span still queued and stops the reporter, returning
// when that is done or when ctx ends, whichever comes first; in the second
// case the POST under way is abandoned, the spans not sent are counted as
// dropped (backend.DropShutdown), and the error says so. No goroutine of the
// tracer is left when it returns. Spans finished afterwards are dropped
// (backend.DropClosed). Only the first call of Shutdown or Close does the work.
func (t *Tracer) Shutdown(ctx context.Context) error {
	t.once.Do(func() {
		t.err = t.rep.Shutdown(ctx)
		t.sender.conn.Abort() // closes its connections
	})
	return t.err
}

// Close is Shutdown without a deadline.
func (t *Tracer) Close() error { return t.Shutdown(context.Background()) }
