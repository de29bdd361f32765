package interop_test

// OpenTelemetry code inside a traceplug request, with core.WithGlobal and
// nothing else set up (issue 26, "What it must show"): a traceplug server on
// the otel backend, whose handler uses OpenTelemetry's API
// (otel.Tracer("…").Start), an otelhttp transport and an otelgrpc client made
// with no options (so with OpenTelemetry's global provider and propagator),
// and traceplug's own Transport and grpctrace client:
//
//	plain client (traceparent, baggage) --> traceplug server (Middleware, WithGlobal)
//	    ├─ otel.Tracer("interop/lib").Start          (OpenTelemetry API)
//	    ├─ otelhttp.NewTransport(base)  -->  downstream HTTP server /otelhttp
//	    ├─ otelgrpc.NewClientHandler()  -->  downstream gRPC server (x-caller: otelgrpc)
//	    ├─ tracer.Transport(base)       -->  downstream HTTP server /traceplug
//	    └─ grpctrace.ClientHandler(tr)  -->  downstream gRPC server (x-caller: grpctrace)
//
// The downstream servers are not traced: they record the headers and
// metadata they receive. Every span is read back from the OTLP collector
// (oteltest). This file is the only one in the package that lets
// OpenTelemetry's globals change; it puts back the process's at the end.

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	otelapi "go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/grpctrace"
)

// The baggage of the test: the incoming request's (W3C header), the item
// the handler sets through OpenTelemetry's API, and the item it sets through
// OpenTracing's.
const (
	wgOTelKey, wgOTelValue = "set-by-otel", "o1"
	wgOTKey, wgOTValue     = "set-by-opentracing", "t1"
)

// wgDown is the downstream HTTP server: it records each request's headers
// by path.
type wgDown struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen map[string]http.Header
}

func newWGDown(t *testing.T) *wgDown {
	t.Helper()
	d := &wgDown{seen: map[string]http.Header{}}
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.seen[r.URL.Path] = r.Header.Clone()
		d.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *wgDown) header(t *testing.T, path string) http.Header {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	h, ok := d.seen[path]
	if !ok {
		t.Fatalf("the downstream HTTP server never received %s", path)
	}
	return h
}

// wgRPC is the downstream gRPC server: it records each call's metadata by
// the caller's x-caller.
type wgRPC struct {
	testgrpc.UnimplementedTestServiceServer
	mu   sync.Mutex
	seen map[string]metadata.MD
}

func (s *wgRPC) UnaryCall(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	if v := md.Get("x-caller"); len(v) == 1 {
		s.seen[v[0]] = md.Copy()
	}
	s.mu.Unlock()
	return &testgrpc.SimpleResponse{}, nil
}

func (s *wgRPC) header(t *testing.T, caller string) http.Header {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	md, ok := s.seen[caller]
	if !ok {
		t.Fatalf("the downstream gRPC server never received the %s call", caller)
	}
	return http.Header(md) // keys in lower case: read them with index, not Get
}

// newWGRPC serves a wgRPC on 127.0.0.1 and returns a client connection per
// dial option (each its own ClientConn), all closed at the end of the test.
func newWGRPC(t *testing.T, dials ...grpc.DialOption) (*wgRPC, []testgrpc.TestServiceClient) {
	t.Helper()
	svc := &wgRPC{seen: map[string]metadata.MD{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	testgrpc.RegisterTestServiceServer(srv, svc)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	var clients []testgrpc.TestServiceClient
	for _, d := range dials {
		cc, err := grpc.NewClient(lis.Addr().String(), d, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cc.Close() })
		clients = append(clients, testgrpc.NewTestServiceClient(cc))
	}
	return svc, clients
}

// scopedSpan is an exported span and the instrumentation scope it was
// exported under.
type scopedSpan struct {
	scope string
	*tracepb.Span
}

func scopedSpans(c *oteltest.Collector) []scopedSpan {
	var out []scopedSpan
	for _, req := range c.Requests() {
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					out = append(out, scopedSpan{scope: ss.GetScope().GetName(), Span: s})
				}
			}
		}
	}
	return out
}

// exactlyOne returns the only span of spans that match accepts.
func exactlyOne(t *testing.T, spans []scopedSpan, what string, match func(scopedSpan) bool) scopedSpan {
	t.Helper()
	var found []scopedSpan
	for _, s := range spans {
		if match(s) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		var all []string
		for _, s := range spans {
			all = append(all, s.scope+" "+s.GetName()+"/"+s.GetKind().String())
		}
		t.Fatalf("want one exported span for %s, got %d among:\n  %s", what, len(found), strings.Join(all, "\n  "))
	}
	return found[0]
}

// wgBaggage parses W3C baggage header values (joined, as OpenTelemetry's
// propagator reads several); an empty baggage when there are none.
func wgBaggage(t *testing.T, where string, values []string) baggage.Baggage {
	t.Helper()
	b, err := baggage.Parse(strings.Join(values, ","))
	if err != nil {
		t.Errorf("%s: baggage %q does not parse: %v", where, values, err)
	}
	return b
}

// keepGlobals returns OpenTelemetry's globals as they are, and puts them
// back at the end of the test where they changed (setting a global to
// itself makes OpenTelemetry log an error).
func keepGlobals(t *testing.T) (trace.TracerProvider, propagation.TextMapPropagator) {
	t.Helper()
	tp, prop := otelapi.GetTracerProvider(), otelapi.GetTextMapPropagator()
	t.Cleanup(func() {
		if otelapi.GetTracerProvider() != tp {
			otelapi.SetTracerProvider(tp)
		}
		if otelapi.GetTextMapPropagator() != prop {
			otelapi.SetTextMapPropagator(prop)
		}
	})
	return tp, prop
}

// TestWithGlobalOpenTelemetryChildren: with core.WithGlobal on the otel
// backend, and no other set-up,
//   - spans started with OpenTelemetry's API (otel.Tracer), by an otelhttp
//     transport and by an otelgrpc client made with no options, in a
//     traceplug request, are children of its server span in the OTLP
//     collector, in the incoming trace, as are traceplug's own client spans
//     (Transport, grpctrace);
//   - the otelhttp and otelgrpc calls carry traceparent naming their own
//     client spans, in the same trace;
//   - W3C baggage both ways between the APIs: the incoming baggage header
//     is in OpenTelemetry's baggage.FromContext(r.Context()); it travels on
//     with otelhttp and otelgrpc (the global propagator); an item set with
//     baggage.ContextWithBaggage in the handler travels on traceplug's
//     Transport and grpctrace's client (instrument.Inject), and an item set
//     with OpenTracing's SetBaggageItem is
//     OpenTelemetry baggage in a context made from the span, which otelhttp
//     then sends;
//   - after Shutdown, OpenTelemetry's globals are the ones from before, and
//     its API traces nothing through them.
func TestWithGlobalOpenTelemetryChildren(t *testing.T) {
	prevTP, prevProp := keepGlobals(t)

	c := oteltest.New(t)
	tr, err := core.New("otel", append(c.Options("http"),
		core.WithServiceName("global"), core.WithTraceAll(true), core.WithGlobal())...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })

	// The clients, made as an application makes them once the tracer is
	// built: OpenTelemetry's with no provider or propagator given.
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	otelClient := &http.Client{Transport: otelhttp.NewTransport(base)}
	tpClient := &http.Client{Transport: tr.Transport(base)}
	down := newWGDown(t)
	rpc, rpcClients := newWGRPC(t,
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()),
		grpc.WithStatsHandler(grpctrace.ClientHandler(tr)))
	otelRPC, tpRPC := rpcClients[0], rpcClients[1]

	type handlerSaw struct {
		inBaggage  string // baggage.FromContext(r.Context()), the incoming item
		otBaggage  string // baggage.FromContext of a context made from the span, the OpenTracing item
		libSC      trace.SpanContext
		libRecords bool
	}
	var (
		mu  sync.Mutex
		saw handlerSaw
	)
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s handlerSaw
		s.inBaggage = baggage.FromContext(r.Context()).Member(bagKey).Value()

		// OpenTelemetry's API, through its global provider.
		_, lib := otelapi.Tracer("interop/lib").Start(r.Context(), "lib.work")
		s.libSC, s.libRecords = lib.SpanContext(), lib.IsRecording()
		lib.End()

		fail := func(err error) {
			http.Error(w, err.Error(), http.StatusBadGateway)
		}
		// An item set through OpenTracing, seen by OpenTelemetry in a
		// context made from the span, and sent by otelhttp.
		span := opentracing.SpanFromContext(r.Context())
		if span == nil {
			fail(io.ErrUnexpectedEOF)
			return
		}
		span.SetBaggageItem(wgOTKey, wgOTValue)
		otCtx := opentracing.ContextWithSpan(r.Context(), span)
		s.otBaggage = baggage.FromContext(otCtx).Member(wgOTKey).Value()
		mu.Lock()
		saw = s
		mu.Unlock()

		// otelhttp and otelgrpc, no options.
		if err := get(otelClient, r.WithContext(otCtx), down.srv.URL+"/otelhttp"); err != nil {
			fail(err)
			return
		}
		if _, err := otelRPC.UnaryCall(metadata.AppendToOutgoingContext(r.Context(), "x-caller", "otelgrpc"), &testgrpc.SimpleRequest{}); err != nil {
			fail(err)
			return
		}

		// An item set through OpenTelemetry's API, sent by traceplug's
		// Transport and grpctrace.
		m, err := baggage.NewMember(wgOTelKey, wgOTelValue)
		if err != nil {
			fail(err)
			return
		}
		b, err := baggage.FromContext(r.Context()).SetMember(m)
		if err != nil {
			fail(err)
			return
		}
		ctx := baggage.ContextWithBaggage(r.Context(), b)
		if err := get(tpClient, r.WithContext(ctx), down.srv.URL+"/traceplug"); err != nil {
			fail(err)
			return
		}
		if _, err := tpRPC.UnaryCall(metadata.AppendToOutgoingContext(ctx, "x-caller", "grpctrace"), &testgrpc.SimpleRequest{}); err != nil {
			fail(err)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})))
	t.Cleanup(srv.Close)

	if code := hopRaw(t, srv.URL+"/orders", http.Header{
		"Traceparent": {"00-" + rvTraceID + "-" + rvSpanID + "-01"},
		"Baggage":     {bagKey + "=" + bagValue},
	}); code != http.StatusOK {
		t.Fatalf("the traceplug service answered %d", code)
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	// After Shutdown: the globals from before (the process's defaults, here),
	// which trace nothing.
	if otelapi.GetTracerProvider() != prevTP {
		t.Errorf("after Shutdown, OpenTelemetry's global tracer provider is %T, want the one from before (%T)", otelapi.GetTracerProvider(), prevTP)
	}
	if otelapi.GetTextMapPropagator() != prevProp {
		t.Errorf("after Shutdown, OpenTelemetry's global propagator is %T, want the one from before (%T)", otelapi.GetTextMapPropagator(), prevProp)
	}
	if _, s := otelapi.Tracer("interop/lib").Start(context.Background(), "after"); s.IsRecording() {
		t.Errorf("after Shutdown, otel.Tracer starts a recording span")
	}

	mu.Lock()
	got := saw
	mu.Unlock()
	if got.inBaggage != bagValue {
		t.Errorf("in the handler, baggage.FromContext(r.Context()) has %s=%q, want %q from the request's baggage header", bagKey, got.inBaggage, bagValue)
	}
	if got.otBaggage != wgOTValue {
		t.Errorf("in the handler, after SetBaggageItem(%q, %q), baggage.FromContext(opentracing.ContextWithSpan(ctx, span)) has %q", wgOTKey, wgOTValue, got.otBaggage)
	}
	if !got.libRecords || got.libSC.TraceID().String() != rvTraceID {
		t.Errorf("otel.Tracer(...).Start in the handler: recording %v, trace %s; want a recording span in trace %s", got.libRecords, got.libSC.TraceID(), rvTraceID)
	}

	// In the collector: every span a child of the server span.
	spans := scopedSpans(c)
	server := exactlyOne(t, spans, "traceplug's server span", func(s scopedSpan) bool { return s.GetKind() == tracepb.Span_SPAN_KIND_SERVER })
	if hexOf(server.GetTraceId()) != rvTraceID || hexOf(server.GetParentSpanId()) != rvSpanID {
		t.Errorf("traceplug's server span [trace %s parent %s], want [trace %s parent %s] (the incoming traceparent)",
			hexOf(server.GetTraceId()), hexOf(server.GetParentSpanId()), rvTraceID, rvSpanID)
	}
	const (
		otelhttpScope = "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
		otelgrpcScope = otelgrpc.ScopeName
	)
	isClient := func(s scopedSpan) bool { return s.GetKind() == tracepb.Span_SPAN_KIND_CLIENT }
	isRPC := func(s scopedSpan) bool { return strings.Contains(s.GetName(), "TestService/UnaryCall") }
	ours := func(s scopedSpan) bool {
		return s.scope != otelhttpScope && s.scope != otelgrpcScope && s.scope != "interop/lib"
	}
	children := map[string]scopedSpan{
		"otel.Tracer's span": exactlyOne(t, spans, "otel.Tracer(\"interop/lib\")", func(s scopedSpan) bool {
			return s.scope == "interop/lib" && s.GetName() == "lib.work"
		}),
		"otelhttp's client span": exactlyOne(t, spans, "otelhttp's client", func(s scopedSpan) bool { return s.scope == otelhttpScope && isClient(s) }),
		"otelgrpc's client span": exactlyOne(t, spans, "otelgrpc's client", func(s scopedSpan) bool { return s.scope == otelgrpcScope && isClient(s) }),
		"traceplug's Transport span": exactlyOne(t, spans, "traceplug's Transport", func(s scopedSpan) bool {
			return ours(s) && isClient(s) && !isRPC(s)
		}),
		"grpctrace's client span": exactlyOne(t, spans, "grpctrace's client", func(s scopedSpan) bool { return ours(s) && isClient(s) && isRPC(s) }),
	}
	if n := len(spans); n != 1+len(children) {
		t.Errorf("%d spans exported, want %d: the server span and its %d children", n, 1+len(children), len(children))
	}
	for name, s := range children {
		if hexOf(s.GetTraceId()) != rvTraceID || hexOf(s.GetParentSpanId()) != hexOf(server.GetSpanId()) {
			t.Errorf("%s %q [trace %s parent %s], want a child of the server span [trace %s parent %s]",
				name, s.GetName(), hexOf(s.GetTraceId()), hexOf(s.GetParentSpanId()), rvTraceID, hexOf(server.GetSpanId()))
		}
	}
	if got.libSC.SpanID() != trace.SpanID(children["otel.Tracer's span"].GetSpanId()) {
		t.Errorf("the span otel.Tracer started in the handler (%s) is not the one exported", got.libSC.SpanID())
	}

	// On the wire: each call names its client span, in the trace, with the
	// baggage.
	for _, w := range []struct {
		name   string
		header http.Header
		span   string // the child whose id traceparent must carry
		bag    map[string]string
	}{
		{"otelhttp → downstream", down.header(t, "/otelhttp"), "otelhttp's client span",
			map[string]string{bagKey: bagValue, wgOTKey: wgOTValue}},
		{"otelgrpc → downstream", rpc.header(t, "otelgrpc"), "otelgrpc's client span",
			map[string]string{bagKey: bagValue}},
		{"traceplug Transport → downstream", down.header(t, "/traceplug"), "traceplug's Transport span",
			map[string]string{bagKey: bagValue, wgOTelKey: wgOTelValue}},
		{"grpctrace → downstream", rpc.header(t, "grpctrace"), "grpctrace's client span",
			map[string]string{bagKey: bagValue, wgOTKey: wgOTValue, wgOTelKey: wgOTelValue}},
	} {
		tp := w.header[http.CanonicalHeaderKey("traceparent")]
		if tp == nil {
			tp = w.header["traceparent"]
		}
		bag := w.header[http.CanonicalHeaderKey("baggage")]
		if bag == nil {
			bag = w.header["baggage"]
		}
		if len(tp) != 1 {
			t.Errorf("%s: traceparent %q, want one (headers %v)", w.name, tp, w.header)
			continue
		}
		_, tid, sid, flags := parseTP(t, tp[0])
		if want := hexOf(children[w.span].GetSpanId()); tid != rvTraceID || sid != want || flags != "01" {
			t.Errorf("%s: traceparent %q, want trace %s, span %s (%s), sampled", w.name, tp[0], rvTraceID, want, w.span)
		}
		b := wgBaggage(t, w.name, bag)
		for k, v := range w.bag {
			got := b.Member(k).Value()
			if got != v {
				t.Errorf("%s: baggage %s=%q, want %q (baggage header %q)", w.name, k, got, v, bag)
			}
		}
	}
}

// TestWithGlobalRestoresApplicationGlobals: an application that set
// OpenTelemetry's globals (an SDK provider and a propagator of its own)
// before building a Tracer WithGlobal gets them back at Shutdown, and
// OpenTelemetry's API then records on its provider again.
func TestWithGlobalRestoresApplicationGlobals(t *testing.T) {
	keepGlobals(t)
	rec := tracetest.NewSpanRecorder()
	appTP := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = appTP.Shutdown(context.Background()) })
	appProp := &wgPropagator{propagation.TraceContext{}}
	otelapi.SetTracerProvider(appTP)
	otelapi.SetTextMapPropagator(appProp)

	c := oteltest.New(t)
	tr, err := core.New("otel", append(c.Options("http"), core.WithGlobal())...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	if otelapi.GetTracerProvider() == trace.TracerProvider(appTP) || otelapi.GetTextMapPropagator() == propagation.TextMapPropagator(appProp) {
		t.Fatalf("a Tracer built WithGlobal left OpenTelemetry's globals as the application set them")
	}
	_, s := otelapi.Tracer("interop/lib").Start(context.Background(), "while global")
	s.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if otelapi.GetTracerProvider() != trace.TracerProvider(appTP) {
		t.Errorf("after Shutdown, the global tracer provider is %T, want the application's", otelapi.GetTracerProvider())
	}
	if otelapi.GetTextMapPropagator() != propagation.TextMapPropagator(appProp) {
		t.Errorf("after Shutdown, the global propagator is %T, want the application's", otelapi.GetTextMapPropagator())
	}
	_, s = otelapi.Tracer("interop/lib").Start(context.Background(), "after")
	s.End()
	if ended := rec.Ended(); len(ended) != 1 || ended[0].Name() != "after" {
		var names []string
		for _, e := range ended {
			names = append(names, e.Name())
		}
		t.Errorf("the application's provider recorded %q, want only the span started after Shutdown", names)
	}
	if spans := c.OTLPSpans(); len(spans) != 1 || spans[0].GetName() != "while global" {
		t.Errorf("the collector received %d spans, want the one started while the Tracer was global", len(spans))
	}
}

// wgPropagator is an application's propagator, a pointer so that it
// compares as itself.
type wgPropagator struct{ propagation.TextMapPropagator }
