package interop_test

// A fleet with no propagation configuration anywhere (issue 26, "What it must
// show"): an OpenTelemetry service (otelhttp's client on the SDK) calls a
// traceplug service on each backend built with its defaults (no
// core.WithPropagation, no TRACEPLUG_PROPAGATION or OTEL_PROPAGATORS), whose
// handler calls an OpenTelemetry gRPC service (otelgrpc's server on the SDK)
// through grpctrace's client on the same traceplug Tracer:
//
//	otelhttp client --> traceplug server (Middleware) --> grpctrace client --> otelgrpc server
//
// The OpenTelemetry services use OpenTelemetry's default propagators (W3C
// trace context and baggage, what OTEL_PROPAGATORS means when unset), passed
// to otelhttp and otelgrpc as options rather than set as OpenTelemetry's
// globals, which withglobal_test.go owns. What traceplug sent is read back
// from its backend's in-process collector (drain), what the OpenTelemetry
// services recorded from the SDK's span recorder.

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/baggage"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	"github.com/traceplug/traceplug/backends/mock/mocktest"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/grpctrace"
)

// noConfigEnv are the environment variables that would configure
// propagation, trace id width or sampling for traceplug or the backends
// under test: the test unsets them, so that every side runs on its
// defaults.
var noConfigEnv = []string{
	core.EnvPropagation, core.EnvParams, "TRACEPLUG_SAMPLER", core.EnvSampleRate,
	"OTEL_PROPAGATORS", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
	"JAEGER_TRACEID_128BIT", "JAEGER_SAMPLER_TYPE", "JAEGER_SAMPLER_PARAM",
}

// unsetenv unsets each variable for the rest of the test, and puts back its
// value at the end (t.Setenv records it).
func unsetenv(t *testing.T, names ...string) {
	t.Helper()
	for _, k := range names {
		t.Setenv(k, "")
		if err := os.Unsetenv(k); err != nil {
			t.Fatal(err)
		}
	}
}

// otelDefaultPropagators are OpenTelemetry's default propagators: W3C trace
// context and baggage (OTEL_PROPAGATORS unset means "tracecontext,baggage").
func otelDefaultPropagators() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// ncSeen is what the otelgrpc service's handler saw of one call.
type ncSeen struct {
	md      metadata.MD       // the incoming metadata
	sc      trace.SpanContext // otelgrpc's server span, as the handler finds it
	baggage string            // the W3C baggage item bagKey
}

// ncService is the OpenTelemetry gRPC service: it records what its handler
// sees.
type ncService struct {
	testgrpc.UnimplementedTestServiceServer
	mu   sync.Mutex
	seen []ncSeen
}

func (s *ncService) UnaryCall(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	s.seen = append(s.seen, ncSeen{md: md.Copy(), sc: trace.SpanContextFromContext(ctx), baggage: baggage.FromContext(ctx).Member(bagKey).Value()})
	s.mu.Unlock()
	return &testgrpc.SimpleResponse{}, nil
}

func (s *ncService) only(t *testing.T) ncSeen {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) != 1 {
		t.Fatalf("the otelgrpc service was called %d times, want 1", len(s.seen))
	}
	return s.seen[0]
}

// ncChain is one world of the test: the traceplug service on one backend,
// with its default propagation, and the otelgrpc service it calls.
type ncChain struct {
	h       conformance.Harness
	col     conformance.Collector
	tr      *core.Tracer
	url     string // the traceplug service
	grpcRec *tracetest.SpanRecorder
	grpcSvc *ncService
	base    *http.Transport
}

func newNoConfigChain(t *testing.T, h conformance.Harness) *ncChain {
	t.Helper()
	c := &ncChain{h: h, base: &http.Transport{}, grpcSvc: &ncService{}}
	t.Cleanup(c.base.CloseIdleConnections)

	// The otelgrpc service, on an SDK of its own.
	c.grpcRec = tracetest.NewSpanRecorder()
	grpcTP := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(c.grpcRec),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))
	t.Cleanup(func() { _ = grpcTP.Shutdown(context.Background()) })

	// The traceplug service: defaults but for the collector and trace-all.
	c.col = h.Start(t)
	tr, err := core.New(h.Backend, append(append(c.col.Options(), h.Options...),
		core.WithServiceName("nocfg-"+h.Backend), core.WithTraceAll(true))...)
	if err != nil {
		t.Fatalf("core.New(%q): %v", h.Backend, err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	c.tr = tr

	rpc := tcpServer(t, c.grpcSvc,
		[]grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(
			otelgrpc.WithTracerProvider(grpcTP), otelgrpc.WithPropagators(otelDefaultPropagators()),
			otelgrpc.WithMeterProvider(metricnoop.NewMeterProvider())))},
		grpc.WithStatsHandler(grpctrace.ClientHandler(tr)))
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := rpc.UnaryCall(r.Context(), &testgrpc.SimpleRequest{}); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})))
	t.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}

// get sends a GET to the traceplug service with client, in ctx, and reads
// the whole response, which ends an otelhttp client span.
func (c *ncChain) get(t *testing.T, ctx context.Context, client *http.Client) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/orders", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET the traceplug/%s service: %v", c.h.Backend, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the traceplug/%s service answered %d: %s", c.h.Backend, resp.StatusCode, body)
	}
}

// traceplugSpans closes the Tracer and returns its server and client spans
// as the collector decoded them: exactly one of each.
func (c *ncChain) traceplugSpans(t *testing.T) (server, client conformance.Span) {
	t.Helper()
	spans := drain(t, c.h, c.col, c.tr)
	var servers, clients []conformance.Span
	for _, s := range spans {
		switch k, _ := s.Tag("span.kind"); k {
		case "server":
			servers = append(servers, s)
		case "client":
			clients = append(clients, s)
		}
	}
	if len(spans) != 2 || len(servers) != 1 || len(clients) != 1 {
		t.Fatalf("traceplug/%s: want one server and one client span on the wire, got:\n%s", c.h.Backend, list(spans))
	}
	return servers[0], clients[0]
}

// noConfigBackends are the built-in backends, each with its in-process
// collector.
func noConfigBackends() []conformance.Harness {
	return []conformance.Harness{
		mocktest.Harness(),
		jaegertest.Harness("udp"),
		jaegertest.Harness("http"),
		zipkintest.Harness(),
		lightsteptest.Harness("http"),
		oteltest.Harness("http"),
	}
}

// sdkID is an SDK id in the model's form.
func sdkID(s interface{ String() string }) string { return conformance.NormalizeID(s.String()) }

// TestNoConfigChain: otelhttp client → traceplug (each backend, default
// propagation) → grpctrace client → otelgrpc server, with no propagation
// configuration anywhere:
//   - one trace: the otelhttp client span's 128-bit trace id is the trace
//     id of the traceplug server span and client span (as the backend's
//     collector decoded them) and of otelgrpc's server span;
//   - parents: the traceplug server span is a child of the otelhttp client
//     span, the traceplug client span a child of the server span, and
//     otelgrpc's server span a (remote) child of the traceplug client span;
//   - W3C on the wire by default: the gRPC metadata carries traceparent
//     naming the traceplug client span, and the otelhttp client's W3C
//     baggage reaches the otelgrpc handler;
//   - a backend that lacks 128-bit trace ids (conformance.TraceID128 in its
//     harness: lightstep) is held to what it says instead, checked: it
//     continues the trace under the low 64 bits of the trace id, parents
//     right, and the otelgrpc service receives those 64 bits padded with
//     zeros, a trace id other than the one its caller's caller started.
//
// Then the same chain without the otelhttp client: traceplug starts the
// trace, and its new trace ids have 128 bits by default.
func TestNoConfigChain(t *testing.T) {
	for _, h := range noConfigBackends() {
		t.Run(h.Name, func(t *testing.T) {
			t.Run("otelhttp origin", func(t *testing.T) { noConfigFromOTel(t, h) })
			t.Run("traceplug origin", func(t *testing.T) { noConfigFromTraceplug(t, h) })
		})
	}
}

func noConfigFromOTel(t *testing.T, h conformance.Harness) {
	unsetenv(t, noConfigEnv...)
	c := newNoConfigChain(t, h)

	// The OpenTelemetry caller: a root span of its own, W3C baggage.
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	client := &http.Client{Transport: otelhttp.NewTransport(c.base, otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(otelDefaultPropagators()), otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()))}
	m, err := baggage.NewMember(bagKey, bagValue)
	if err != nil {
		t.Fatal(err)
	}
	bag, err := baggage.New(m)
	if err != nil {
		t.Fatal(err)
	}
	c.get(t, baggage.ContextWithBaggage(context.Background(), bag), client)

	ended := rec.Ended()
	if len(ended) != 1 || ended[0].SpanKind() != trace.SpanKindClient {
		t.Fatalf("the otelhttp caller recorded %d spans, want its one client span", len(ended))
	}
	origin := ended[0].SpanContext()
	tid := sdkID(origin.TraceID())
	if len(tid) <= 16 {
		t.Fatalf("the SDK drew trace id %s, with a zero high half: this run proves nothing about 128 bits", origin.TraceID())
	}
	grpcServer := endedSpan(t, c.grpcRec) // otelgrpc's server span
	seen := c.grpcSvc.only(t)
	server, tpClient := c.traceplugSpans(t)

	// The trace id each side must hold.
	want, note := tid, "the 128-bit trace id"
	if reason, lacks := h.Lacks[conformance.TraceID128]; lacks {
		want, note = low64(tid), "the low 64 bits of the trace id, because "+reason
	}
	if server.TraceID != want || tpClient.TraceID != want {
		t.Errorf("traceplug/%s: server span in trace %s, client span in trace %s; want %s, %s (the otelhttp caller's trace is %s)",
			h.Backend, server.TraceID, tpClient.TraceID, want, note, origin.TraceID())
	}
	if got := sdkID(grpcServer.SpanContext().TraceID()); got != want {
		t.Errorf("otelgrpc's server span is in trace %s, want %s, %s", grpcServer.SpanContext().TraceID(), want, note)
	}
	if got := sdkID(seen.sc.TraceID()); got != want {
		t.Errorf("otelgrpc's handler sees trace %s, want %s", seen.sc.TraceID(), want)
	}

	// Parents.
	if server.ParentID != sdkID(origin.SpanID()) {
		t.Errorf("traceplug/%s: server span's parent is %q, want the otelhttp client span %s", h.Backend, server.ParentID, origin.SpanID())
	}
	if tpClient.ParentID != server.SpanID {
		t.Errorf("traceplug/%s: client span's parent is %q, want its server span %s", h.Backend, tpClient.ParentID, server.SpanID)
	}
	if p := grpcServer.Parent(); sdkID(p.SpanID()) != tpClient.SpanID || !p.IsRemote() {
		t.Errorf("otelgrpc's server span has parent %s (remote %v), want traceplug's client span %s, remote", p.SpanID(), p.IsRemote(), tpClient.SpanID)
	}

	// On the wire: W3C written by default, and the baggage.
	tp0 := seen.md.Get("traceparent")
	if len(tp0) != 1 {
		t.Fatalf("traceplug/%s wrote %d traceparent values in the gRPC metadata, want 1 (metadata %v)", h.Backend, len(tp0), seen.md)
	}
	_, wtid, wsid, flags := parseTP(t, tp0[0])
	if conformance.NormalizeID(wtid) != want || conformance.NormalizeID(wsid) != tpClient.SpanID || flags != "01" {
		t.Errorf("traceplug/%s: traceparent %q, want trace %s, span %s (its client span), sampled", h.Backend, tp0[0], want, tpClient.SpanID)
	}
	if seen.baggage != bagValue {
		t.Errorf("otelgrpc's handler reads baggage %s=%q, want %q (metadata %v)", bagKey, seen.baggage, bagValue, seen.md)
	}
	if _, lacks := h.Lacks[conformance.TraceID128]; lacks && !strings.HasPrefix(wtid, strings.Repeat("0", 16)) {
		t.Errorf("traceplug/%s, 64-bit: traceparent %q; want the low 64 bits padded with 16 zeros", h.Backend, tp0[0])
	}
	if !t.Failed() {
		t.Logf("otelhttp %s → traceplug/%s server %s, client %s → otelgrpc %s: trace %s (%s)",
			origin.SpanID(), h.Name, server.SpanID, tpClient.SpanID, grpcServer.SpanContext().SpanID(), want, note)
	}
}

func noConfigFromTraceplug(t *testing.T, h conformance.Harness) {
	unsetenv(t, noConfigEnv...)
	c := newNoConfigChain(t, h)
	c.get(t, context.Background(), &http.Client{Transport: c.base})

	grpcServer := endedSpan(t, c.grpcRec)
	seen := c.grpcSvc.only(t)
	server, tpClient := c.traceplugSpans(t)

	reason, lacks := h.Lacks[conformance.TraceID128]
	switch {
	case lacks && len(server.TraceID) > 16:
		t.Errorf("traceplug/%s started trace %s with 128 bits, but its harness says it lacks them: %s", h.Backend, server.TraceID, reason)
	case lacks:
		t.Logf("traceplug/%s starts 64-bit traces (%s), checked: %s", h.Backend, server.TraceID, reason)
	case len(server.TraceID) <= 16:
		t.Errorf("traceplug/%s started trace %s: 64 bits, want a 128-bit trace id by default", h.Backend, server.TraceID)
	}
	if server.ParentID != "" {
		t.Errorf("traceplug/%s: the server span of an untraced request has parent %s, want a root", h.Backend, server.ParentID)
	}
	if tpClient.TraceID != server.TraceID || tpClient.ParentID != server.SpanID {
		t.Errorf("traceplug/%s: client span [trace %s parent %s], want [trace %s parent %s]", h.Backend, tpClient.TraceID, tpClient.ParentID, server.TraceID, server.SpanID)
	}
	sc := grpcServer.SpanContext()
	if sdkID(sc.TraceID()) != server.TraceID || sdkID(grpcServer.Parent().SpanID()) != tpClient.SpanID {
		t.Errorf("otelgrpc's server span [trace %s parent %s], want [trace %s parent %s] (metadata %v)",
			sc.TraceID(), grpcServer.Parent().SpanID(), server.TraceID, tpClient.SpanID, seen.md)
	}
}
