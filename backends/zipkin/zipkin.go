package zipkin

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/opentracing/opentracing-go"
	zipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"
	zipkin "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/redact"
	"github.com/traceplug/traceplug/propagation"
)

func init() { core.Register("zipkin", factory) }

func factory(cfg backend.Config) (opentracing.Tracer, func(context.Context) error, error) {
	t, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return t, t.Shutdown, nil
}

const defaultEndpoint = "http://127.0.0.1:9411/api/v2/spans"

var params = []string{"batch_size", "batch_interval", "backlog", "queue_size", "timeout", "trace_id_128bit", "shared_spans", "local_endpoint", "b3_inject"}

// Tracer is a zipkin tracer with its reporter. It implements
// [opentracing.Tracer] and [backend.SpanContextCodec], and is safe for
// concurrent use. Call Close or Shutdown to flush.
//
// Its spans' Tracer() is the Tracer itself, whose Inject and Extract speak
// the configured propagation formats (B3 multi headers by default) for
// TextMap and HTTPHeaders, and traceplug's Binary format.
type Tracer struct {
	ot     opentracing.Tracer // zipkin-go-opentracing's, over zipkin
	prop   *backend.Propagator
	native string // the native propagation list, as b3_inject says

	zipkin *zipkin.Tracer
	roots  *rootTracers // start the roots of traces core began
	rep    *reporter
	conn   *backend.Conn
	once   sync.Once
	err    error
}

// New builds a zipkin tracer from cfg, without the registry; see the package
// documentation for the endpoint and params.
func New(cfg backend.Config) (*Tracer, error) {
	if err := cfg.CheckParams("zipkin", params...); err != nil {
		return nil, err
	}
	endpoint, err := collectorURL(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	p := cfg.Reader("zipkin")
	batchSize := p.Int("batch_size", 100)
	batchInterval := p.Duration("batch_interval", time.Second)
	backlog := p.Int("backlog", 10000)
	queueSize := p.Int("queue_size", 10000)
	timeout := p.Duration("timeout", 5*time.Second)
	traceID128 := p.Bool("trace_id_128bit", false)
	shared := p.Bool("shared_spans", false)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if batchSize <= 0 || backlog <= 0 || queueSize <= 0 || batchInterval <= 0 || timeout <= 0 {
		return nil, backend.BadOptionf("zipkin: params batch_size, batch_interval, backlog, queue_size and timeout must be positive")
	}
	native, err := nativeList(cfg)
	if err != nil {
		return nil, err
	}
	local, err := localEndpoint(cfg)
	if err != nil {
		return nil, err
	}

	t := &Tracer{
		native: native,
		conn:   backend.NewConn(),
	}
	if t.prop, err = backend.NewPropagator(cfg, t); err != nil {
		return nil, fmt.Errorf("zipkin: %w", err)
	}
	t.rep = newReporter(reporterConfig{
		url:       endpoint,
		client:    t.conn.Client,
		timeout:   timeout,
		interval:  batchInterval,
		batchSize: batchSize,
		backlog:   backlog,
		queueSize: queueSize,
	}, backend.NewLoggerTo(cfg.Logger, "traceplug/zipkin: "))

	opts := []zipkin.TracerOption{
		zipkin.WithLocalEndpoint(local),
		zipkin.WithSampler(sampler(cfg.SampleRate)),
		zipkin.WithTraceID128Bit(traceID128),
		zipkin.WithSharedSpans(shared),
		zipkin.WithNoopSpan(true),
		zipkin.WithTags(cfg.Tags),
	}
	zt, err := zipkin.NewTracer(t.rep, opts...)
	if err == nil {
		t.zipkin, t.ot = zt, zipkinot.Wrap(zt)
		t.roots, err = newRootTracers(t.rep, opts, t.ot)
	}
	if err != nil {
		_ = t.Shutdown(context.Background())
		return nil, fmt.Errorf("zipkin: %w", err)
	}
	return t, nil
}

// nativeList reads the b3_inject param: which B3 headers the tracer writes
// when WithPropagation names no formats.
func nativeList(cfg backend.Config) (string, error) {
	v, set := cfg.Param("b3_inject")
	list := map[string]string{"": propagation.B3Multi, "multi": propagation.B3Multi, "single": propagation.B3, "both": propagation.B3Multi + "," + propagation.B3}[v]
	switch {
	case list == "":
		return "", backend.BadOptionf("zipkin: param \"b3_inject\": %q is not multi, single or both", v)
	case set && cfg.Propagation != "":
		return "", backend.BadOptionf("zipkin: param \"b3_inject\" picks the native B3 headers, and WithPropagation(%q) replaces them: "+
			"drop b3_inject (\"b3\" writes the single b3 header, \"b3multi\" the X-B3-* headers)", cfg.Propagation)
	}
	return list, nil
}

// Zipkin returns the zipkin-go tracer.
func (t *Tracer) Zipkin() *zipkin.Tracer { return t.zipkin }

// BackendStats implements [backend.StatsReporter].
func (t *Tracer) BackendStats() backend.BackendStats { return t.rep.rep.BackendStats() }

// Shutdown flushes every buffered span and closes the reporter, returning when
// that is done or when ctx ends, whichever is first; in the second case the
// sends under way are abandoned and the error says so. Only the first call of
// Shutdown or Close does the work.
func (t *Tracer) Shutdown(ctx context.Context) error {
	t.once.Do(func() {
		t.err = t.rep.rep.Shutdown(ctx)
		t.conn.Abort() // no send is under way: this closes the connections
	})
	return t.err
}

// Close flushes every buffered span and closes the reporter.
func (t *Tracer) Close() error { return t.Shutdown(context.Background()) }

func collectorURL(endpoint string) (string, error) {
	if endpoint == "" {
		return defaultEndpoint, nil
	}
	if redact.Ambiguous(endpoint) {
		return "", backend.BadOptionf("zipkin: endpoint %q: %s", redact.Endpoint(endpoint), redact.AmbiguousHint)
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", backend.BadOptionf("zipkin: endpoint %q: %s; want the collector's URL, such as %s",
			redact.Endpoint(endpoint), redact.InvalidHint(endpoint), defaultEndpoint)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", backend.BadOptionf("zipkin: endpoint %q: want the collector's URL, such as %s", redact.Endpoint(endpoint), defaultEndpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/api/v2/spans"
	}
	return u.String(), nil
}

func localEndpoint(cfg backend.Config) (*model.Endpoint, error) {
	hostPort, ok := cfg.Param("local_endpoint")
	if !ok {
		return &model.Endpoint{ServiceName: cfg.ServiceName}, nil
	}
	host, port, err := net.SplitHostPort(hostPort)
	p, perr := strconv.ParseUint(port, 10, 16)
	ip := net.ParseIP(host)
	if err != nil || perr != nil || ip == nil {
		return nil, backend.BadOptionf("zipkin: param \"local_endpoint\": %q is not IP:PORT, such as 10.0.0.7:8080", hostPort)
	}
	e := &model.Endpoint{ServiceName: cfg.ServiceName, Port: uint16(p)}
	if ip.To4() != nil {
		e.IPv4 = ip.To4()
	} else {
		e.IPv6 = ip
	}
	return e, nil
}

// sampler maps a rate to zipkin-go's samplers.
func sampler(rate float64) zipkin.Sampler {
	switch rate {
	case 1:
		return zipkin.AlwaysSample
	case 0:
		return zipkin.NeverSample
	}
	s, err := zipkin.NewBoundarySampler(rate, time.Now().UnixNano())
	if err != nil { // rate was checked by core
		return zipkin.AlwaysSample
	}
	return s
}
