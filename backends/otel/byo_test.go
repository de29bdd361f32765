package otel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	otelapi "go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"go.uber.org/goleak"

	"github.com/traceplug/traceplug/backend"
	_ "github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
)

// userProvider is an application's own SDK provider, exporting
// synchronously (no goroutine) to an in-memory exporter, shut down at the
// end of the test.
func userProvider(t *testing.T, opts ...sdktrace.TracerProviderOption) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithSyncer(exp)}, opts...)...)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

// providerTracer builds an otel tracer over tp, closed at the end of the
// test.
func providerTracer(t *testing.T, tp trace.TracerProvider, opts ...core.Option) *core.Tracer {
	t.Helper()
	tr, err := core.New("otel", append([]core.Option{otel.WithTracerProvider(tp)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// stub returns the one span named name that exp holds.
func stub(t *testing.T, exp *tracetest.InMemoryExporter, name string) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, s := range exp.GetSpans() {
		if s.Name == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one span %q, got %d among %v", name, len(found), names(exp))
	}
	return found[0]
}

func names(exp *tracetest.InMemoryExporter) []string {
	var out []string
	for _, s := range exp.GetSpans() {
		out = append(out, s.Name)
	}
	return out
}

func wantChildOf(t *testing.T, child, parent tracetest.SpanStub) {
	t.Helper()
	if child.Parent.TraceID() != parent.SpanContext.TraceID() || child.Parent.SpanID() != parent.SpanContext.SpanID() {
		t.Errorf("%q (parent %s/%s) is not a child of %q (%s/%s)", child.Name, child.Parent.TraceID(), child.Parent.SpanID(),
			parent.Name, parent.SpanContext.TraceID(), parent.SpanContext.SpanID())
	}
}

func get(t *testing.T, url string, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

const (
	incomingTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	incomingSpan  = "00f067aa0ba902b7"
)

// TestProviderRequest: over the application's provider, traceplug's server
// span continues the incoming traceparent, in traceplug's instrumentation
// scope; the application's own spans (its provider's tracer, in the
// handler) are its children, and so is the client span of traceplug's
// Transport, which sends the client span's context on; a span of the
// Tracer's TracerProvider is the parent of OpenTracing code's; GetSpan and
// ContextIDs name the exported span; every span went through the
// application's provider and exporter.
func TestProviderRequest(t *testing.T) {
	tp, exp := userProvider(t)
	tr := providerTracer(t, tp, core.WithTraceAll(true))

	var sent http.Header
	downstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sent = r.Header.Clone() }))
	defer downstream.Close()
	client := &http.Client{Transport: tr.Transport(http.DefaultTransport)}

	var ids [2]string
	var bag string
	var getSpan opentracing.Span
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		getSpan = tr.GetSpan(r)
		ids[0], ids[1], _ = tr.ContextIDs(r.Context())
		bag = baggage.FromContext(r.Context()).Member("user").Value()
		_, span := tp.Tracer("shop/db").Start(r.Context(), "load item")
		span.End()
		ctx, span := tr.Unwrap().(*otel.Tracer).TracerProvider().Tracer("shop/cache").Start(r.Context(), "cache")
		child, _ := opentracing.StartSpanFromContextWithTracer(ctx, tr, "ot.child")
		child.Finish()
		span.End()
		req, _ := http.NewRequestWithContext(r.Context(), "GET", downstream.URL, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	})
	srv := httptest.NewServer(tr.Middleware(mux))
	defer srv.Close()
	get(t, srv.URL+"/items/7", http.Header{
		"Traceparent": {"00-" + incomingTrace + "-" + incomingSpan + "-01"},
		"Baggage":     {"user=ann"},
	})
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}

	server := stub(t, exp, "GET /items/{id}")
	if got := server.SpanContext.TraceID().String(); got != incomingTrace {
		t.Errorf("server span's trace %s, want the incoming %s", got, incomingTrace)
	}
	if got := server.Parent.SpanID().String(); got != incomingSpan || !server.Parent.IsRemote() {
		t.Errorf("server span's parent %s (remote %v), want the caller's %s, remote", got, server.Parent.IsRemote(), incomingSpan)
	}
	if server.SpanKind != trace.SpanKindServer {
		t.Errorf("server span's kind %v, want server", server.SpanKind)
	}
	if got := server.InstrumentationScope.Name; got != "github.com/traceplug/traceplug" {
		t.Errorf("server span's scope %q, want traceplug's", got)
	}
	wantChildOf(t, stub(t, exp, "load item"), server)
	cache := stub(t, exp, "cache")
	wantChildOf(t, cache, server)
	wantChildOf(t, stub(t, exp, "ot.child"), cache)
	clientSpan := stub(t, exp, "HTTP GET")
	wantChildOf(t, clientSpan, server)
	if clientSpan.SpanKind != trace.SpanKindClient {
		t.Errorf("client span's kind %v, want client", clientSpan.SpanKind)
	}
	want := "00-" + incomingTrace + "-" + clientSpan.SpanContext.SpanID().String() + "-01"
	if got := sent.Get("traceparent"); got != want {
		t.Errorf("downstream got traceparent %q, want the client span's %q", got, want)
	}
	if got := sent.Get("baggage"); got != "user=ann" {
		t.Errorf("downstream got baggage %q, want user=ann", got)
	}
	if bag != "ann" {
		t.Errorf("OpenTelemetry baggage in the handler: user=%q, want ann", bag)
	}
	if ids != [2]string{incomingTrace, server.SpanContext.SpanID().String()} {
		t.Errorf("ContextIDs in the handler: %v, want the server span's %s/%s", ids, incomingTrace, server.SpanContext.SpanID())
	}
	if getSpan == nil {
		t.Fatal("GetSpan returned nil in a traced request")
	}
	var sc string
	_ = tr.Inject(getSpan.Context(), opentracing.HTTPHeaders, httpHeaders(func(k, v string) {
		if strings.EqualFold(k, "traceparent") {
			sc = v
		}
	}))
	if want := "00-" + incomingTrace + "-" + server.SpanContext.SpanID().String() + "-01"; sc != want {
		t.Errorf("GetSpan's span context injects %q, want the server span's %q", sc, want)
	}
	if st := tr.Stats(); st.Started != 2 || st.Finished != 2 || st.Reported != 0 || st.Dropped != 0 || st.Pending != 0 {
		t.Errorf("Stats %+v: want 2 started and finished (server, client), and no backend counts", st)
	}
}

type httpHeaders func(k, v string)

func (h httpHeaders) Set(k, v string) { h(k, v) }

// shape is what a span looks like on either pipeline: ids aside, and the
// attributes that differ per connection (the client's port).
type shape struct {
	Name, Kind, Status string
	Attrs              map[string]string
	Events             []string
}

func shapeOfStub(s tracetest.SpanStub) shape {
	sh := shape{Name: s.Name, Kind: s.SpanKind.String(), Attrs: map[string]string{}}
	switch s.Status.Code {
	case codes.Error:
		sh.Status = "ERROR " + s.Status.Description
	case codes.Ok:
		sh.Status = "OK"
	}
	for _, kv := range s.Attributes {
		sh.Attrs[string(kv.Key)] = kv.Value.Emit()
	}
	for _, e := range s.Events {
		sh.Events = append(sh.Events, e.Name+fmt.Sprint(attrText(e.Attributes)))
	}
	return sh
}

func attrText(kvs []attribute.KeyValue) []string {
	var out []string
	for _, kv := range kvs {
		out = append(out, string(kv.Key)+"="+kv.Value.Emit())
	}
	slices.Sort(out)
	return out
}

func shapeOfOTLP(s *tracepb.Span) shape {
	sh := shape{Name: s.GetName(), Kind: trace.SpanKind(s.GetKind()).String(), Attrs: map[string]string{}}
	switch s.GetStatus().GetCode() {
	case tracepb.Status_STATUS_CODE_ERROR:
		sh.Status = "ERROR " + s.GetStatus().GetMessage()
	case tracepb.Status_STATUS_CODE_OK:
		sh.Status = "OK"
	}
	for k, v := range oteltest.Attributes(s) {
		sh.Attrs[k] = fmt.Sprint(v)
	}
	for _, e := range s.GetEvents() {
		var kvs []string
		for _, kv := range e.GetAttributes() {
			kvs = append(kvs, kv.GetKey()+"="+fmt.Sprint(oteltest.Value(kv.GetValue())))
		}
		slices.Sort(kvs)
		sh.Events = append(sh.Events, e.GetName()+fmt.Sprint(kvs))
	}
	return sh
}

// TestProviderSpansAsBuiltIn: one request, traced by the backend's own
// pipeline and by a tracer over the application's provider, gives spans of
// the same names, kinds, status, attributes and events.
func TestProviderSpansAsBuiltIn(t *testing.T) {
	c := oteltest.New(t)
	builtIn, _ := newTracer(t, c, core.WithTraceAll(true), core.WithTracedAttributes("path"))
	tp, exp := userProvider(t)
	byo := providerTracer(t, tp, core.WithTraceAll(true), core.WithTracedAttributes("path"))

	handler := func(tr *core.Tracer) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
			span := opentracing.SpanFromContext(r.Context())
			span.SetTag("order.items", 3)
			span.LogKV("event", "error", "message", "db down")
			child, _ := opentracing.StartSpanFromContextWithTracer(r.Context(), tr, "reserve",
				opentracing.Tag{Key: "stock", Value: uint64(12)}, ext.SpanKindProducer)
			ext.Error.Set(child, true)
			child.Finish()
			w.WriteHeader(http.StatusBadGateway)
		})
		return tr.Middleware(mux)
	}
	both := map[string]http.Handler{"builtin": handler(builtIn), "byo": handler(byo)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		both[r.Header.Get("X-Pipeline")].ServeHTTP(w, r)
	}))
	defer srv.Close()
	for which := range both {
		get(t, srv.URL+"/orders/9?q=1", http.Header{"X-Pipeline": {which}})
	}
	if err := builtIn.Close(); err != nil {
		t.Fatal(err)
	}
	if err := byo.Close(); err != nil {
		t.Fatal(err)
	}

	want := oteltest.ByName(c.OTLPSpans())
	for _, name := range []string{"GET /orders/{id}", "reserve"} {
		w, g := shapeOfOTLP(want[name]), shapeOfStub(stub(t, exp, name))
		for _, perConn := range []string{"client.port", "network.peer.port"} {
			if _, ok := w.Attrs[perConn]; ok != (g.Attrs[perConn] != "") {
				t.Errorf("%s: attribute %s on one pipeline only", name, perConn)
			}
			delete(w.Attrs, perConn)
			delete(g.Attrs, perConn)
		}
		if fmt.Sprint(w) != fmt.Sprint(g) {
			t.Errorf("%s differs from the built-in pipeline's:\n got %v\nwant %v", name, g, w)
		}
	}
	if len(want["GET /orders/{id}"].GetAttributes()) < 5 {
		t.Errorf("the server span has too few attributes to compare: %v", want["GET /orders/{id}"].GetAttributes())
	}
}

// TestProviderSampling: core decides first. A trace core does not sample
// (rate 0, or an incoming unsampled traceparent) never reaches the
// application's provider through traceplug: nothing is exported, and the
// application's own spans under it follow the unsampled parent with a
// parent-based sampler (the SDK's default), though not with one that
// ignores parents. A trace core samples is exported, unless the provider's
// root sampler drops it: the provider has the last word, as documented.
func TestProviderSampling(t *testing.T) {
	serve := func(t *testing.T, tp trace.TracerProvider, header http.Header, opts ...core.Option) {
		t.Helper()
		tr := providerTracer(t, tp, append([]core.Option{core.WithTraceAll(true)}, opts...)...)
		srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, span := tp.Tracer("app").Start(r.Context(), "app.work")
			span.End()
			s, _ := opentracing.StartSpanFromContextWithTracer(r.Context(), tr, "ot.work")
			s.Finish()
		})))
		defer srv.Close()
		get(t, srv.URL+"/x", header)
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
	}
	unsampled := http.Header{"Traceparent": {"00-" + incomingTrace + "-" + incomingSpan + "-00"}}
	sampled := http.Header{"Traceparent": {"00-" + incomingTrace + "-" + incomingSpan + "-01"}}
	for _, tc := range []struct {
		name    string
		sampler sdktrace.Sampler // the provider's; nil: the SDK's default
		header  http.Header
		opts    []core.Option
		want    []string
	}{
		{"core samples nothing", nil, nil, []core.Option{core.WithSampleRate(0)}, nil},
		{"core samples nothing, provider ignores parents", sdktrace.AlwaysSample(), nil, []core.Option{core.WithSampleRate(0)}, []string{"app.work"}},
		{"incoming unsampled", nil, unsampled, nil, nil},
		{"core samples", nil, nil, []core.Option{core.WithSampleRate(1)}, []string{"GET", "app.work", "ot.work"}},
		{"incoming sampled", nil, sampled, []core.Option{core.WithSampleRate(0)}, []string{"GET", "app.work", "ot.work"}},
		{"core samples, provider's root sampler drops", sdktrace.ParentBased(sdktrace.NeverSample()), nil, nil, nil},
		{"incoming sampled, provider's root sampler drops", sdktrace.ParentBased(sdktrace.NeverSample()), sampled, nil, []string{"GET", "app.work", "ot.work"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var popts []sdktrace.TracerProviderOption
			if tc.sampler != nil {
				popts = append(popts, sdktrace.WithSampler(tc.sampler))
			}
			tp, exp := userProvider(t, popts...)
			serve(t, tp, tc.header, tc.opts...)
			got := names(exp)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("exported %v, want %v", got, tc.want)
			}
		})
	}
}

// TestProviderCloseFlushesNotShutsDown: Close flushes the application's
// batching provider (its spans are exported when Close returns, long
// before the batch's 5s delay) and leaves it working: the application's
// spans after Close are still recorded and exported.
func TestProviderCloseFlushesNotShutsDown(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp)) // a goroutine, until tp.Shutdown
	defer func() {
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	tr := providerTracer(t, tp)
	tr.StartSpan("before close").Finish()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if got := names(exp); !slices.Equal(got, []string{"before close"}) {
		t.Fatalf("after Close the exporter holds %v, want the span traceplug finished", got)
	}
	_, span := tp.Tracer("app").Start(context.Background(), "after close")
	if !span.IsRecording() {
		t.Fatal("the application's provider records nothing after traceplug's Close: it was shut down")
	}
	span.End()
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := names(exp); !slices.Equal(got, []string{"before close", "after close"}) {
		t.Errorf("the exporter holds %v, want the application's span after Close too", got)
	}
}

// flushFails is a provider whose ForceFlush fails, and that counts the
// calls of ForceFlush and Shutdown.
type flushFails struct {
	noop.TracerProvider
	flushes, shutdowns int
}

func (p *flushFails) ForceFlush(context.Context) error {
	p.flushes++
	return errors.New("exporter down")
}
func (p *flushFails) Shutdown(context.Context) error { p.shutdowns++; return nil }

// TestProviderAnyProvider: any trace.TracerProvider serves, not only the
// SDK's; Close flushes it once, returns its error, and never shuts it down.
func TestProviderAnyProvider(t *testing.T) {
	p := &flushFails{}
	tr := providerTracer(t, p, core.WithTraceAll(true))
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	defer srv.Close()
	get(t, srv.URL, nil)
	err := tr.Close()
	if err == nil || !strings.Contains(err.Error(), "exporter down") {
		t.Errorf("Close: %v, want the provider's flush error", err)
	}
	_ = tr.Close()
	if p.flushes != 1 || p.shutdowns != 0 {
		t.Errorf("Close flushed %d times and shut down %d times, want 1 and 0", p.flushes, p.shutdowns)
	}
}

// TestProviderNoPipeline: with a provider given, the backend builds no
// pipeline: no goroutine, and none of the OTLP exporter's settings is read
// (a bad one is no error).
func TestProviderNoPipeline(t *testing.T) {
	for _, name := range []string{otel.EnvEndpoint, otel.EnvTracesEndpoint, otel.EnvHeaders, otel.EnvProtocol,
		otel.EnvCompression, otel.EnvBSPMaxQueueSize, otel.EnvBSPScheduleDelay, otel.EnvResourceAttributes} {
		t.Setenv(name, "::not valid::")
	}
	tp, exp := userProvider(t)
	before := goleak.IgnoreCurrent()
	tr := providerTracer(t, tp)
	if err := goleak.Find(before); err != nil {
		t.Errorf("building the tracer started goroutines: %v", err)
	}
	tr.StartSpan("one").Finish()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if got := names(exp); !slices.Equal(got, []string{"one"}) {
		t.Errorf("exported %v, want [one]", got)
	}
}

// TestProviderConflicts: settings that only the backend's own pipeline
// reads are an error with a provider, naming each (never a header's
// value); so are a nil provider and a hand-made provider param.
func TestProviderConflicts(t *testing.T) {
	tp, _ := userProvider(t)
	var typedNil *sdktrace.TracerProvider
	for _, tc := range []struct {
		name string
		opts []core.Option
		want []string
	}{
		{"endpoint", []core.Option{otel.WithTracerProvider(tp), core.WithEndpoint("http://user:secret@127.0.0.1:4318")},
			[]string{"endpoint", "WithEndpoint", "REDACTED"}},
		{"params", []core.Option{otel.WithTracerProvider(tp), core.WithParam("headers", "authorization=hunter2"), core.WithParam("queue_size", "10")},
			[]string{`"headers"`, `"queue_size"`}},
		{"service name", []core.Option{otel.WithTracerProvider(tp), core.WithServiceName("shop")},
			[]string{`service name "shop"`, "sdktrace.WithResource"}},
		{"tags", []core.Option{otel.WithTracerProvider(tp), core.WithTag("env", "prod")},
			[]string{`tags "env"`}},
		{"unknown param", []core.Option{otel.WithTracerProvider(tp), core.WithParam("queue_sise", "10")},
			[]string{`unknown param "queue_sise"`, `did you mean "queue_size"`}},
		{"nil", []core.Option{otel.WithTracerProvider(nil)}, []string{"WithTracerProvider(nil)"}},
		{"typed nil", []core.Option{otel.WithTracerProvider(typedNil)}, []string{"WithTracerProvider(nil)"}},
		{"param by hand", []core.Option{core.WithParam("tracer_provider", "mine")}, []string{"otel.WithTracerProvider"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := core.New("otel", tc.opts...)
			if err == nil {
				_ = tr.Close()
				t.Fatal("core.New succeeded")
			}
			if !errors.Is(err, core.ErrBadOption) {
				t.Errorf("%v does not wrap ErrBadOption", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v does not say %q", err, w)
				}
			}
			for _, secret := range []string{"hunter2", "secret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("%v shows a secret", err)
				}
			}
		})
	}
	t.Run("another backend", func(t *testing.T) {
		tr, err := core.New("mock", otel.WithTracerProvider(tp))
		if err == nil {
			_ = tr.Close()
			t.Fatal("the mock backend took a tracer provider")
		}
		if !errors.Is(err, core.ErrBadOption) || !strings.Contains(err.Error(), `unknown param "tracer_provider"`) {
			t.Errorf("%v: want ErrBadOption naming the unknown param", err)
		}
	})
	t.Run("environment", func(t *testing.T) {
		t.Setenv(core.EnvBackend, "otel")
		t.Setenv(core.EnvServiceName, "shop")
		tr, err := core.FromEnv(otel.WithTracerProvider(tp))
		if err == nil {
			_ = tr.Close()
			t.Fatal("core.FromEnv succeeded")
		}
		if !strings.Contains(err.Error(), "TRACEPLUG_SERVICE_NAME") {
			t.Errorf("%v does not name the variable", err)
		}
	})
	t.Run("NewWithProvider", func(t *testing.T) {
		if _, err := otel.NewWithProvider(backend.Config{}, nil); err == nil || !errors.Is(err, backend.ErrBadOption) {
			t.Errorf("NewWithProvider(nil): %v, want an error wrapping ErrBadOption", err)
		}
		cfg := backend.Config{ServiceName: "x", Endpoint: "http://127.0.0.1:4318"}
		if _, err := otel.NewWithProvider(cfg, tp); err == nil || !strings.Contains(err.Error(), "endpoint") {
			t.Errorf("NewWithProvider with an endpoint: %v, want an error naming it", err)
		}
	})
	t.Run("the backend's global forwarder", func(t *testing.T) {
		userGlobals(t)
		g := providerTracer(t, tp, core.WithGlobal())
		defer g.Close()
		tr, err := core.New("otel", otel.WithTracerProvider(otelapi.GetTracerProvider()))
		if err == nil {
			_ = tr.Close()
			t.Fatal("core.New over the backend's own global forwarder succeeded")
		}
		if !strings.Contains(err.Error(), "forwarder") {
			t.Errorf("%v does not say what is wrong", err)
		}
	})
}

// TestProviderWrap: NewWithProvider's tracer, given to core.Wrap, traces
// through the provider, and Close flushes and keeps it.
func TestProviderWrap(t *testing.T) {
	tp, exp := userProvider(t)
	ot, err := otel.NewWithProvider(backend.Config{}, tp)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := core.Wrap(ot, core.WithTraceAll(true))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	defer srv.Close()
	get(t, srv.URL, nil)
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if got := names(exp); !slices.Equal(got, []string{"GET"}) {
		t.Errorf("exported %v, want [GET]", got)
	}
}

// TestProviderWithGlobal: with WithGlobal, OpenTelemetry code that uses
// the globals (otel.Tracer, the global propagator) makes children of the
// request's span through the application's provider, writes them in
// traceplug's formats, and OpenTracing code inside such a span continues
// it; Close puts back the application's globals.
func TestProviderWithGlobal(t *testing.T) {
	appTP, appProp := userGlobals(t)
	tp, exp := userProvider(t)
	tr := providerTracer(t, tp, core.WithTraceAll(true), core.WithGlobal())
	var sent http.Header
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := otelapi.Tracer("lib").Start(r.Context(), "lib.call")
		defer span.End()
		sent = http.Header{}
		otelapi.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(sent))
		s, _ := opentracing.StartSpanFromContext(ctx, "ot.inner") // the global OpenTracing tracer
		s.Finish()
	})))
	defer srv.Close()
	get(t, srv.URL, http.Header{"Traceparent": {"00-" + incomingTrace + "-" + incomingSpan + "-01"}})
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	server, lib := stub(t, exp, "GET"), stub(t, exp, "lib.call")
	wantChildOf(t, lib, server)
	wantChildOf(t, stub(t, exp, "ot.inner"), lib)
	if got := lib.InstrumentationScope.Name; got != "lib" {
		t.Errorf("the library's span has scope %q, want lib", got)
	}
	if want := "00-" + incomingTrace + "-" + lib.SpanContext.SpanID().String() + "-01"; sent.Get("traceparent") != want {
		t.Errorf("the global propagator wrote %q, want %q", sent.Get("traceparent"), want)
	}
	if otelapi.GetTracerProvider() != appTP {
		t.Errorf("after Close the global provider is %T, want the application's back", otelapi.GetTracerProvider())
	}
	if got, want := fields(otelapi.GetTextMapPropagator()), fields(appProp); !slices.Equal(got, want) {
		t.Errorf("after Close the global propagator's fields are %v, want the application's %v", got, want)
	}
}
