package interop_test

// Ratio sampling across projects: OpenTelemetry's otelhttp on the SDK with
// ParentBased(TraceIDRatioBased(0.3)), and zipkin-go's B3 injector, against
// traceplug on each backend at the same ratio, over W3C trace context and
// B3 on loopback. Hundreds of traces each way, so that both decisions occur;
// every decision is deterministic on its trace id, so every assertion is
// exact. What traceplug decided is read from its backend's collector (the
// spans it decoded) and from the headers of its onward call; what
// OpenTelemetry decided, from its in-memory exporter.

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/propagation/b3"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	otelprop "go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/propagation"
	"github.com/traceplug/traceplug/sampling"
)

const (
	// smpRatio is the ratio every sampler of these tests is set to.
	smpRatio = 0.3
	// smpTraces is how many traces each run sends: at 0.3, both decisions
	// occur (the chance that one does not is below 0.7⁵⁰⁰).
	smpTraces = 500
)

// ratioSampled is the decision of a trace-id ratio sampler at ratio for a
// trace whose lower 64 bits are low, written out apart from both
// implementations under test: OpenTelemetry's TraceIDRatioBased and
// traceplug's traceidratio sample when low, shifted right by one, is below
// ratio × 2⁶³ (computed in float64, then truncated).
func ratioSampled(ratio float64, low uint64) bool {
	return low>>1 < uint64(ratio*(1<<63))
}

// lowBits returns the lower 64 bits of a trace id in the conformance
// model's form (hex without leading zeros).
func lowBits(t *testing.T, id string) uint64 {
	t.Helper()
	padded := fmt.Sprintf("%032s", id)
	low, err := strconv.ParseUint(padded[16:], 16, 64)
	if err != nil {
		t.Fatalf("trace id %q: %v", id, err)
	}
	return low
}

// smpSetting is one way of setting traceplug's sampler.
type smpSetting struct {
	name string
	opts []core.Option
	env  map[string]string
	// source is what Stats().Sampling.Source must say.
	source string
}

// parentRatioSettings are the two ways of asking traceplug for
// OpenTelemetry's parentbased_traceidratio at smpRatio: in code, and in
// OpenTelemetry's own variables, which core reads on every backend.
func parentRatioSettings() []smpSetting {
	return []smpSetting{
		{name: "WithSampleRate", opts: []core.Option{core.WithSampleRate(smpRatio)}, source: core.SourceCode},
		{name: "OTEL_TRACES_SAMPLER=parentbased_traceidratio", env: map[string]string{
			core.EnvOTelSampler:    sampling.NameParentTraceIDRatio,
			core.EnvOTelSamplerArg: fmt.Sprint(smpRatio),
		}, source: core.EnvOTelSampler},
	}
}

// apply sets the setting's environment for the rest of t.
func (s smpSetting) apply(t *testing.T) {
	for k, v := range s.env {
		t.Setenv(k, v)
	}
}

// headerLog keeps the headers of every request a server receives, before any
// instrumentation reads them: what came over the wire, in arrival order.
type headerLog struct {
	mu  sync.Mutex
	got []http.Header
}

func (l *headerLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.got = append(l.got, r.Header.Clone())
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// wire reads the span context of format from each request received, and
// fails t unless there is one for each of n requests.
func (l *headerLog) wire(t *testing.T, format string, n int) []wireCtx {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.got) != n {
		t.Fatalf("the server received %d requests, want %d", len(l.got), n)
	}
	out := make([]wireCtx, n)
	for i, h := range l.got {
		c, err := readWire(format, h)
		if err != nil {
			t.Fatalf("request %d: %s: %v (received headers: %s)", i, format, err, show(h))
		}
		if c.sampled == nil {
			t.Fatalf("request %d: %s carries no sampling decision (received headers: %s)", i, format, show(h))
		}
		out[i] = c
	}
	return out
}

// okHandler answers 200 "ok".
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })

// serve starts a server on 127.0.0.1 for h behind log; close it before
// reading what was recorded, as Close waits for the handlers to return.
func serve(t *testing.T, log *headerLog, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(log.wrap(h))
	t.Cleanup(srv.Close)
	return srv
}

// send sends req, as it is, with client and reads the whole response.
func send(client *http.Client, req *http.Request) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL, resp.StatusCode, body)
	}
	return nil
}

// seededIDs is an OpenTelemetry IDGenerator drawing from a fixed seed, so
// that a run's trace ids, and so its decisions, are the same every time.
type seededIDs struct {
	mu sync.Mutex
	r  *rand.Rand
}

func newSeededIDs(seed uint64) *seededIDs {
	return &seededIDs{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (g *seededIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var tid trace.TraceID
	for !tid.IsValid() {
		binary.BigEndian.PutUint64(tid[:8], g.r.Uint64())
		binary.BigEndian.PutUint64(tid[8:], g.r.Uint64())
	}
	return tid, g.spanID()
}

func (g *seededIDs) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.spanID()
}

func (g *seededIDs) spanID() trace.SpanID {
	var sid trace.SpanID
	for !sid.IsValid() {
		binary.BigEndian.PutUint64(sid[:], g.r.Uint64())
	}
	return sid
}

// otelService is an otelhttp service on the OpenTelemetry SDK with sampler,
// W3C trace context as its propagator, exporting synchronously to an
// in-memory exporter.
type otelService struct {
	exp  *tracetest.InMemoryExporter
	tp   *sdktrace.TracerProvider
	opts []otelhttp.Option
}

func newOTelService(t *testing.T, sampler sdktrace.Sampler, ids sdktrace.IDGenerator) *otelService {
	exp := tracetest.NewInMemoryExporter()
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithSyncer(exp), sdktrace.WithSampler(sampler)}
	if ids != nil {
		tpOpts = append(tpOpts, sdktrace.WithIDGenerator(ids))
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &otelService{exp: exp, tp: tp, opts: []otelhttp.Option{
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithPropagators(otelprop.TraceContext{}),
	}}
}

func (o *otelService) handler(h http.Handler) http.Handler {
	return otelhttp.NewHandler(h, "interop-otel", o.opts...)
}

func (o *otelService) transport(base http.RoundTripper) http.RoundTripper {
	return otelhttp.NewTransport(base, o.opts...)
}

// exported returns the spans of kind the exporter received, by trace id in
// the conformance model's form; a trace with two fails t.
func (o *otelService) exported(t *testing.T, kind trace.SpanKind) map[string]tracetest.SpanStub {
	t.Helper()
	if err := o.tp.ForceFlush(context.Background()); err != nil {
		t.Errorf("otel: ForceFlush: %v", err)
	}
	out := map[string]tracetest.SpanStub{}
	for _, s := range o.exp.GetSpans() {
		if s.SpanKind != kind {
			continue
		}
		id := conformance.NormalizeID(s.SpanContext.TraceID().String())
		if _, dup := out[id]; dup {
			t.Errorf("otel exported two %s spans in trace %s", kind, id)
		}
		out[id] = s
	}
	return out
}

// tpService is a service traced by traceplug on the backend of h, reporting
// to the backend's in-process collector, with trace-all on and the sampler
// of set and WithPropagation(formats). Its server is tracer.Middleware; its
// handler calls next, when given, through tracer.Transport.
type tpService struct {
	h   conformance.Harness
	col conformance.Collector
	tr  *core.Tracer
	// client is the service's traced client.
	client *http.Client
	srv    *httptest.Server
	log    headerLog
}

func newTPService(t *testing.T, h conformance.Harness, set smpSetting, formats string, base http.RoundTripper, next string) *tpService {
	t.Helper()
	s := &tpService{h: h, col: h.Start(t)}
	opts := append(append(s.col.Options(), h.Options...),
		core.WithServiceName("interop-sampling-"+h.Backend), core.WithTraceAll(true), core.WithPropagation(formats))
	if h.QueueSize != nil {
		opts = append(opts, h.QueueSize(4*smpTraces)...)
	}
	opts = append(opts, set.opts...)
	tr, err := core.New(h.Backend, opts...)
	if err != nil {
		t.Fatalf("traceplug/%s: core.New: %v", h.Backend, err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	s.tr, s.client = tr, &http.Client{Transport: tr.Transport(base)}
	s.srv = serve(t, &s.log, tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if next != "" {
			if err := get(s.client, r, next); err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
		}
		_, _ = io.WriteString(w, "ok")
	})))
	return s
}

// trace64 says the backend keeps the low 64 bits of a trace id only.
func (s *tpService) trace64() bool { return s.h.Backend == "lightstep" }

// traceID returns the id under which the service holds trace id.
func (s *tpService) traceID(id string) string {
	if s.trace64() {
		return low64(id)
	}
	return id
}

// collected closes the servers (which waits for their handlers), then the
// tracer, and returns the spans the collector decoded, by trace id and
// kind; two spans of one kind in a trace fail t.
func (s *tpService) collected(t *testing.T, servers ...*httptest.Server) map[string]map[string]conformance.Span {
	t.Helper()
	s.srv.Close()
	for _, srv := range servers {
		srv.Close()
	}
	// drain proves the spans arrived with a sentinel span from a fresh
	// tracer, sampled whatever the environment says.
	out := map[string]map[string]conformance.Span{}
	for _, sp := range drain(t, s.h, s.col, s.tr) {
		kind, _ := sp.Tag("span.kind")
		if out[sp.TraceID] == nil {
			out[sp.TraceID] = map[string]conformance.Span{}
		}
		if _, dup := out[sp.TraceID][kind]; dup {
			t.Errorf("traceplug/%s: two %s spans in trace %s", s.h.Backend, kind, sp.TraceID)
		}
		out[sp.TraceID][kind] = sp
	}
	return out
}

// checkStats asserts that the tracer used the sampler OpenTelemetry
// describes as want, from source, and decided once for each of n traces,
// sampled of them sampled.
func (s *tpService) checkStats(t *testing.T, want sdktrace.Sampler, source string, n, sampled int) {
	t.Helper()
	st := s.tr.Stats().Sampling
	if st.Sampler != want.Description() || st.Source != source {
		t.Errorf("traceplug/%s samples with %s from %q; want %s (OpenTelemetry's description) from %q", s.h.Backend, st.Sampler, st.Source, want.Description(), source)
	}
	var yes, no uint64
	for _, c := range st.Operations {
		yes, no = yes+c.Sampled, no+c.NotSampled
	}
	if yes != uint64(sampled) || no != uint64(n-sampled) {
		t.Errorf("traceplug/%s counted %d decisions sampled and %d not (%v); want %d and %d: one decision for each trace", s.h.Backend, yes, no, st.Operations, sampled, n-sampled)
	}
}

// bothOutcomes fails t unless some of n traces were sampled and some not.
func bothOutcomes(t *testing.T, sampled, n int) {
	t.Helper()
	if sampled == 0 || sampled == n {
		t.Errorf("%d of %d traces sampled: want both outcomes", sampled, n)
	} else if !t.Failed() {
		t.Logf("%d of %d traces sampled, every decision as expected", sampled, n)
	}
}

// TestSamplingOTelToTraceplug: an otelhttp client on the SDK with
// ParentBased(TraceIDRatioBased(0.3)) starts smpTraces traces and calls a
// traceplug service at parentbased_traceidratio 0.3 (in code, and in
// OTEL_TRACES_SAMPLER) on each backend, over W3C trace context; the service
// calls an otelhttp server with the same sampler. For every trace:
//   - the flag OpenTelemetry sent is its ratio decision on the trace id, and
//     its exporter has the client span exactly when the flag says sampled;
//   - traceplug follows the flag: its collector has the server span (a child
//     of OpenTelemetry's client span) and the client span exactly when
//     sampled, never otherwise;
//   - its onward call carries the trace (the low 64 bits on lightstep) and
//     the same flag, sampled or not, from its client span when sampled, and
//     the OpenTelemetry server downstream records the trace exactly then.
//
// Since both sides decide on the trace id alike, traceplug deciding by
// itself would agree too; so one more run has OpenTelemetry's client at 0.6:
// traceplug, still at 0.3, must follow the flag on the traces its own ratio
// would have dropped.
func TestSamplingOTelToTraceplug(t *testing.T) {
	want := sdktrace.ParentBased(sdktrace.TraceIDRatioBased(smpRatio))
	sets := parentRatioSettings()
	for i, h := range backends() {
		for _, c := range []struct {
			set     smpSetting
			upRatio float64
		}{{sets[0], smpRatio}, {sets[1], smpRatio}, {sets[1], 0.6}} {
			t.Run(fmt.Sprintf("%s/%s/upstream %g", h.Name, c.set.name, c.upRatio), func(t *testing.T) {
				c.set.apply(t)
				base := &http.Transport{}
				t.Cleanup(base.CloseIdleConnections)
				down := newOTelService(t, want, nil)
				var downLog headerLog
				downSrv := serve(t, &downLog, down.handler(okHandler))
				mid := newTPService(t, h, c.set, "tracecontext", base, downSrv.URL)
				up := newOTelService(t, sdktrace.ParentBased(sdktrace.TraceIDRatioBased(c.upRatio)), newSeededIDs(uint64(100+i)))
				client := &http.Client{Transport: up.transport(base)}
				bg := httptest.NewRequest(http.MethodGet, "/", nil) // no trace in its context
				for range smpTraces {
					if err := get(client, bg, mid.srv.URL); err != nil {
						t.Fatal(err)
					}
				}

				spans := mid.collected(t, downSrv)
				ins, outs := mid.log.wire(t, "tracecontext", smpTraces), downLog.wire(t, "tracecontext", smpTraces)
				upSpans, downSpans := up.exported(t, trace.SpanKindClient), down.exported(t, trace.SpanKindServer)
				sampled, followed := 0, 0
				for j, in := range ins {
					yes, tid := *in.sampled, mid.traceID(in.trace)
					if yes {
						sampled++
						if !ratioSampled(smpRatio, lowBits(t, in.trace)) {
							followed++
						}
					}
					if want := ratioSampled(c.upRatio, lowBits(t, in.trace)); yes != want {
						t.Errorf("trace %s: OpenTelemetry sent sampled=%v, want %v, its ratio decision on the id", in.trace, yes, want)
					}
					if _, got := upSpans[in.trace]; got != yes {
						t.Errorf("trace %s: OpenTelemetry exported its client span: %v, but sent sampled=%v", in.trace, got, yes)
					}
					sspan, gotServer := spans[tid]["server"]
					cspan, gotClient := spans[tid]["client"]
					if gotServer != yes || gotClient != yes {
						t.Errorf("trace %s received with sampled=%v: traceplug's collector has a server span: %v, a client span: %v", in.trace, yes, gotServer, gotClient)
					}
					if gotServer && sspan.ParentID != in.span {
						t.Errorf("trace %s: traceplug's server span has parent %s, want %s, OpenTelemetry's client span", in.trace, sspan.ParentID, in.span)
					}
					out := outs[j]
					if out.trace != tid || *out.sampled != yes {
						t.Errorf("request %d: received trace %s sampled=%v, sent on trace %s sampled=%v (want trace %s)", j, in.trace, yes, out.trace, *out.sampled, tid)
					}
					if gotClient && out.span != cspan.SpanID {
						t.Errorf("trace %s: the onward call carries span %s, want %s, traceplug's client span", in.trace, out.span, cspan.SpanID)
					}
					if ds, got := downSpans[out.trace]; got != yes {
						t.Errorf("trace %s: the OpenTelemetry server downstream exported its span: %v, want %v", out.trace, got, yes)
					} else if got && (!gotClient || conformance.NormalizeID(ds.Parent.SpanID().String()) != cspan.SpanID) {
						t.Errorf("trace %s: the OpenTelemetry server's span has parent %s, want traceplug's client span", out.trace, ds.Parent.SpanID())
					}
				}
				if len(spans) != sampled {
					t.Errorf("traceplug's collector has spans of %d traces, want %d, the sampled ones", len(spans), sampled)
				}
				if c.upRatio > smpRatio && followed == 0 {
					t.Errorf("no trace sampled upstream at %g fell outside traceplug's own %g: the run shows nothing", c.upRatio, smpRatio)
				}
				mid.checkStats(t, want, c.set.source, smpTraces, sampled)
				bothOutcomes(t, sampled, smpTraces)
				if followed > 0 && !t.Failed() {
					t.Logf("%d sampled traces followed against traceplug's own ratio", followed)
				}
			})
		}
	}
}

// TestSamplingTraceplugToOTel: traceplug on each backend, at
// parentbased_traceidratio 0.3 (in code, and in OTEL_TRACES_SAMPLER), starts
// smpTraces traces and calls an otelhttp server with
// ParentBased(TraceIDRatioBased(0.3)) over W3C trace context, the trace
// started by tracer.Transport with nothing in the request's context, or by
// tracer.Middleware serving a request that carries no trace. For every
// trace:
//   - traceplug decided on the trace id it sent, with OpenTelemetry's
//     formula, and its collector has its spans exactly when sampled;
//   - the OpenTelemetry server follows the flag: it exports its span (a
//     child of traceplug's client span) exactly when traceplug sampled.
func TestSamplingTraceplugToOTel(t *testing.T) {
	want := sdktrace.ParentBased(sdktrace.TraceIDRatioBased(smpRatio))
	for _, h := range backends() {
		for _, set := range parentRatioSettings() {
			for _, origin := range []string{"Transport", "Middleware"} {
				t.Run(h.Name+"/"+set.name+"/"+origin, func(t *testing.T) {
					set.apply(t)
					base := &http.Transport{}
					t.Cleanup(base.CloseIdleConnections)
					down := newOTelService(t, want, nil)
					var downLog headerLog
					downSrv := serve(t, &downLog, down.handler(okHandler))
					tp := newTPService(t, h, set, "tracecontext", base, downSrv.URL)
					bg := httptest.NewRequest(http.MethodGet, "/", nil) // no trace in its context
					for range smpTraces {
						var err error
						if origin == "Transport" {
							err = get(tp.client, bg, downSrv.URL)
						} else {
							err = get(&http.Client{Transport: base}, bg, tp.srv.URL)
						}
						if err != nil {
							t.Fatal(err)
						}
					}

					spans := tp.collected(t, downSrv)
					outs := downLog.wire(t, "tracecontext", smpTraces)
					downSpans := down.exported(t, trace.SpanKindServer)
					sampled := 0
					for _, out := range outs {
						yes, tid := *out.sampled, tp.traceID(out.trace)
						if yes {
							sampled++
						}
						if want := ratioSampled(smpRatio, lowBits(t, out.trace)); yes != want {
							t.Errorf("trace %s: traceplug sent sampled=%v, want %v, the ratio decision on the id", out.trace, yes, want)
						}
						cspan, gotClient := spans[tid]["client"]
						if gotClient != yes {
							t.Errorf("trace %s sent with sampled=%v: traceplug's collector has its client span: %v", out.trace, yes, gotClient)
						}
						if gotClient && out.span != cspan.SpanID {
							t.Errorf("trace %s: the call carries span %s, want %s, traceplug's client span", out.trace, out.span, cspan.SpanID)
						}
						if origin == "Middleware" {
							if _, gotServer := spans[tid]["server"]; gotServer != yes {
								t.Errorf("trace %s sent with sampled=%v: traceplug's collector has its server span: %v", out.trace, yes, gotServer)
							}
						}
						if ds, got := downSpans[out.trace]; got != yes {
							t.Errorf("trace %s sent with sampled=%v: the OpenTelemetry server exported its span: %v", out.trace, yes, got)
						} else if got && conformance.NormalizeID(ds.Parent.SpanID().String()) != out.span {
							t.Errorf("trace %s: the OpenTelemetry server's span has parent %s, want %s", out.trace, ds.Parent.SpanID(), out.span)
						}
					}
					if len(spans) != sampled {
						t.Errorf("traceplug's collector has spans of %d traces, want %d, the sampled ones", len(spans), sampled)
					}
					tp.checkStats(t, want, set.source, smpTraces, sampled)
					bothOutcomes(t, sampled, smpTraces)
				})
			}
		}
	}
}

// smpIDs returns n trace ids, no two with the same lower 64 bits (which is
// all that lightstep keeps): the extremes, the ids on either side of the
// bound at smpRatio (the last lower halves sampled, the first not), with a
// zero and a non-zero upper half by turns, then ids from a fixed seed.
func smpIDs(n int) []trace.TraceID {
	ratio := smpRatio
	bound := uint64(ratio * (1 << 63)) // sampled when low>>1 < bound
	var ids []trace.TraceID
	for i, low := range []uint64{1, bound<<1 - 2, bound<<1 - 1, bound << 1, bound<<1 + 1, 1<<64 - 1} {
		var id trace.TraceID
		if i%2 == 1 {
			binary.BigEndian.PutUint64(id[:8], 0x0123456789abcdef)
		}
		binary.BigEndian.PutUint64(id[8:], low)
		ids = append(ids, id)
	}
	g := newSeededIDs(7)
	for len(ids) < n {
		id, _ := g.NewIDs(context.Background())
		ids = append(ids, id)
	}
	return ids
}

// TestSamplingTraceIDRatioAgrees: with no parent's decision on either side,
// OpenTelemetry's TraceIDRatioBased and traceplug's traceidratio decide
// alike on every trace id, as both documents say (the lower 64 bits, shifted
// right by one, below ratio × 2⁶³):
//   - samplers: the two samplers, asked directly, at several ratios, on
//     seeded random ids and on the ids either side of each ratio's bound;
//   - over HTTP: the same W3C contexts go to an otelhttp server with
//     TraceIDRatioBased(0.3) (not parent based) and to a traceplug server on
//     each backend with OTEL_TRACES_SAMPLER=traceidratio at 0.3, each with a
//     flag the opposite of the ratio's decision, so that a server that
//     followed the flag would get every one wrong. The OpenTelemetry
//     server exports its span, traceplug's collector has its server span,
//     and traceplug's onward call says sampled, all exactly when the ratio
//     says so.
func TestSamplingTraceIDRatioAgrees(t *testing.T) {
	t.Run("samplers", func(t *testing.T) {
		for _, ratio := range []float64{0, 1e-9, 0.001, 0.25, smpRatio, 1.0 / 3, 0.5, 0.999999, 1} {
			ours, err := sampling.Parse(sampling.NameTraceIDRatio, strconv.FormatFloat(ratio, 'g', -1, 64), sampling.Options{})
			if err != nil {
				t.Fatal(err)
			}
			theirs := sdktrace.TraceIDRatioBased(ratio)
			if ours.Description() != theirs.Description() {
				t.Errorf("ratio %g: traceplug describes its sampler %s, OpenTelemetry %s", ratio, ours.Description(), theirs.Description())
			}
			bound := uint64(ratio * (1 << 63))
			ids := smpIDs(10000)
			for _, low := range []uint64{bound<<1 - 1, bound << 1, bound<<1 + 1} {
				var id trace.TraceID
				binary.BigEndian.PutUint64(id[8:], low)
				ids = append(ids, id)
			}
			diff, sampled := 0, 0
			for _, id := range ids {
				o := ours.ShouldSample(sampling.Params{
					TraceIDHigh: binary.BigEndian.Uint64(id[:8]), TraceID: binary.BigEndian.Uint64(id[8:]),
					Operation: "GET /", Parent: propagation.SamplingDeferred,
				}).Sampled
				th := theirs.ShouldSample(sdktrace.SamplingParameters{ParentContext: context.Background(), TraceID: id, Name: "GET /"}).Decision == sdktrace.RecordAndSample
				if o != th {
					diff++
					if diff <= 5 {
						t.Errorf("ratio %g, trace %s: traceplug sampled=%v, OpenTelemetry %v", ratio, id, o, th)
					}
				}
				if th {
					sampled++
				}
			}
			if diff > 0 {
				t.Errorf("ratio %g: %d of %d decisions differ", ratio, diff, len(ids))
			}
			t.Logf("ratio %g: %d of %d ids sampled by both", ratio, sampled, len(ids))
		}
	})

	theirs := sdktrace.TraceIDRatioBased(smpRatio)
	set := smpSetting{name: "OTEL_TRACES_SAMPLER=traceidratio", env: map[string]string{
		core.EnvOTelSampler:    sampling.NameTraceIDRatio,
		core.EnvOTelSamplerArg: fmt.Sprint(smpRatio),
	}, source: core.EnvOTelSampler}
	ids := smpIDs(smpTraces)
	for _, h := range backends() {
		t.Run("http/"+h.Name, func(t *testing.T) {
			set.apply(t)
			base := &http.Transport{}
			t.Cleanup(base.CloseIdleConnections)
			otelSide := newOTelService(t, theirs, nil)
			var otelLog, sinkLog headerLog
			otelSrv := serve(t, &otelLog, otelSide.handler(okHandler))
			sink := serve(t, &sinkLog, okHandler)
			tp := newTPService(t, h, set, "tracecontext", base, sink.URL)
			client := &http.Client{Transport: base}
			for j, id := range ids {
				flags := trace.FlagsSampled
				if ratioSampled(smpRatio, binary.BigEndian.Uint64(id[8:])) {
					flags = 0
				}
				sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: id, SpanID: trace.SpanID{0, 0, 0, 0, 0, 0, 0, byte(j%250 + 1)}, TraceFlags: flags, Remote: true})
				ctx := trace.ContextWithRemoteSpanContext(context.Background(), sc)
				for _, url := range []string{otelSrv.URL, tp.srv.URL} {
					req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
					if err != nil {
						t.Fatal(err)
					}
					otelprop.TraceContext{}.Inject(ctx, otelprop.HeaderCarrier(req.Header))
					if err := send(client, req); err != nil {
						t.Fatal(err)
					}
				}
			}

			spans := tp.collected(t, otelSrv, sink)
			otelSpans := otelSide.exported(t, trace.SpanKindServer)
			outs := sinkLog.wire(t, "tracecontext", len(ids))
			sampled := 0
			for j, id := range ids {
				want := ratioSampled(smpRatio, binary.BigEndian.Uint64(id[8:]))
				if want {
					sampled++
				}
				tid := conformance.NormalizeID(id.String())
				_, otelGot := otelSpans[tid]
				_, tpGot := spans[tp.traceID(tid)]["server"]
				if otelGot != want || tpGot != want || *outs[j].sampled != want {
					t.Errorf("trace %s, received with sampled=%v: OpenTelemetry sampled %v, traceplug sampled %v and sent sampled=%v on; the ratio says %v",
						id, !want, otelGot, tpGot, *outs[j].sampled, want)
				}
				if outs[j].trace != tp.traceID(tid) {
					t.Errorf("trace %s: the onward call carries trace %s", id, outs[j].trace)
				}
			}
			if len(otelSpans) != sampled || len(spans) != sampled {
				t.Errorf("OpenTelemetry exported spans of %d traces, traceplug's collector has %d; want %d", len(otelSpans), len(spans), sampled)
			}
			tp.checkStats(t, theirs, set.source, len(ids), sampled)
			bothOutcomes(t, sampled, len(ids))
		})
	}
}

// TestSamplingB3Deferred: zipkin-go's B3 injector (b3.InjectHTTP) sends
// traces that leave the decision open (no X-B3-Sampled, or a b3 header of
// trace and span only), 64- and 128-bit, to a traceplug service on each
// backend at parentbased_traceidratio 0.3 with WithPropagation("b3multi") or
// ("b3"): having no parent's decision, traceplug decides on the trace id as
// OpenTelemetry's TraceIDRatioBased does (TestSamplingTraceIDRatioAgrees):
// its collector has the server span exactly when the ratio says sampled,
// and its onward call carries that decision in B3.
func TestSamplingB3Deferred(t *testing.T) {
	theirs := sdktrace.TraceIDRatioBased(smpRatio)
	set := parentRatioSettings()[0]
	// The ids: 128-bit, and 64-bit every other one (and where the upper half
	// is zero).
	var ids []model.TraceID
	for j, id := range smpIDs(smpTraces) {
		tid := model.TraceID{High: binary.BigEndian.Uint64(id[:8]), Low: binary.BigEndian.Uint64(id[8:])}
		if j%2 == 0 {
			tid.High = 0
		}
		ids = append(ids, tid)
	}
	for _, h := range backends() {
		for _, format := range []string{"b3multi", "b3"} {
			t.Run(h.Name+"/"+format, func(t *testing.T) {
				base := &http.Transport{}
				t.Cleanup(base.CloseIdleConnections)
				var sinkLog headerLog
				sink := serve(t, &sinkLog, okHandler)
				tp := newTPService(t, h, set, format, base, sink.URL)
				client := &http.Client{Transport: base}
				var inject []b3.InjectOption
				if format == "b3" {
					inject = append(inject, b3.WithSingleHeaderOnly())
				}
				for j, tid := range ids {
					req, err := http.NewRequest(http.MethodGet, tp.srv.URL, nil)
					if err != nil {
						t.Fatal(err)
					}
					if err := b3.InjectHTTP(req, inject...)(model.SpanContext{TraceID: tid, ID: model.ID(j + 1)}); err != nil {
						t.Fatal(err)
					}
					if c, err := readWire(format, req.Header); err != nil || c.sampled != nil {
						t.Fatalf("zipkin-go wrote %s, want a context with no decision (err %v)", show(req.Header), err)
					}
					if err := send(client, req); err != nil {
						t.Fatal(err)
					}
				}

				spans := tp.collected(t, sink)
				outs := sinkLog.wire(t, format, len(ids))
				sampled := 0
				for j, tid := range ids {
					want := ratioSampled(smpRatio, tid.Low)
					var otelID trace.TraceID
					binary.BigEndian.PutUint64(otelID[:8], tid.High)
					binary.BigEndian.PutUint64(otelID[8:], tid.Low)
					if otelSays := theirs.ShouldSample(sdktrace.SamplingParameters{ParentContext: context.Background(), TraceID: otelID}).Decision == sdktrace.RecordAndSample; otelSays != want {
						t.Fatalf("trace %s: OpenTelemetry's TraceIDRatioBased says %v, the formula %v", tid, otelSays, want)
					}
					if want {
						sampled++
					}
					id := tp.traceID(conformance.ID128(tid.High, tid.Low))
					_, got := spans[id]["server"]
					if got != want || *outs[j].sampled != want {
						t.Errorf("trace %s, no decision received: traceplug recorded it %v and sent sampled=%v on; the ratio says %v", tid, got, *outs[j].sampled, want)
					}
					if outs[j].trace != id {
						t.Errorf("trace %s: the onward call carries trace %s, want %s", tid, outs[j].trace, id)
					}
				}
				if len(spans) != sampled {
					t.Errorf("traceplug's collector has spans of %d traces, want %d", len(spans), sampled)
				}
				tp.checkStats(t, sdktrace.ParentBased(theirs), set.source, len(ids), sampled)
				bothOutcomes(t, sampled, len(ids))
			})
		}
	}
}
