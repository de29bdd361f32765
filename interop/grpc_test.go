package interop_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	otgrpc "github.com/opentracing-contrib/go-grpc"
	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"

	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/grpctrace"
)

// Interop: traceplug's gRPC instrumentation and other projects' on one
// trace, both ways: otgrpc (opentracing-contrib/go-grpc interceptors) on
// jaeger-client-go, and otelgrpc (stats handlers) on the OpenTelemetry SDK
// with W3C trace context and baggage. Each side's view is read from its own
// recorder (jaeger-client-go's in-memory reporter, the SDK's span recorder)
// or, for traceplug, from its backend's in-process collector, on the wire.

const rpcBagKey, rpcBagValue = "interop-user", "ann"

// rpcView is what a gRPC handler sees of its trace.
type rpcView struct {
	trace, span string
	sampled     bool
	baggage     string
}

// rpcViewService answers UnaryCall with what see reads from the handler's
// context, as "trace span sampled baggage".
type rpcViewService struct {
	testgrpc.UnimplementedTestServiceServer
	see func(ctx context.Context) rpcView
}

func (s rpcViewService) UnaryCall(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	v := s.see(ctx)
	return &testgrpc.SimpleResponse{Username: fmt.Sprintf("%s %s %t %s", v.trace, v.span, v.sampled, v.baggage)}, nil
}

func parseRPCView(s string) (v rpcView) {
	var sampled string
	_, _ = fmt.Sscan(s, &v.trace, &v.span, &sampled, &v.baggage)
	v.sampled = sampled == "true"
	return v
}

// tcpServer serves svc on 127.0.0.1 with opts and returns a client
// connection with dial.
func tcpServer(t *testing.T, svc testgrpc.TestServiceServer, opts []grpc.ServerOption, dial ...grpc.DialOption) testgrpc.TestServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	testgrpc.RegisterTestServiceServer(srv, svc)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	cc, err := grpc.NewClient(lis.Addr().String(), append(dial, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return testgrpc.NewTestServiceClient(cc)
}

// traceplugView reads the server span in ctx.
func traceplugView(tr *core.Tracer) func(ctx context.Context) rpcView {
	return func(ctx context.Context) rpcView {
		span := opentracing.SpanFromContext(ctx)
		if span == nil {
			return rpcView{trace: "none", span: "none", baggage: "none"}
		}
		trace, id, _ := tr.SpanContextIDs(span.Context())
		return rpcView{trace: conformance.NormalizeID(trace), span: conformance.NormalizeID(id), baggage: span.BaggageItem(rpcBagKey) + "."}
	}
}

// closeAndRead closes tr and returns the spans the collector decoded once
// at least n arrived (or a moment passed, when n is 0).
// callInSpan makes a call through c inside a span of tracer that carries
// baggage, and returns what the called handler saw, and the span.
func callInSpan(t *testing.T, tracer opentracing.Tracer, c testgrpc.TestServiceClient) (rpcView, opentracing.Span) {
	t.Helper()
	origin := tracer.StartSpan("origin")
	origin.SetBaggageItem(rpcBagKey, rpcBagValue)
	resp, err := c.UnaryCall(opentracing.ContextWithSpan(context.Background(), origin), &testgrpc.SimpleRequest{})
	if err != nil {
		t.Fatal(err)
	}
	origin.Finish()
	return parseRPCView(resp.GetUsername()), origin
}

// callFromTraceplug makes a call through c inside a span of tr, checks
// what the peer's handler saw (the span's trace, its sampling decision and
// its baggage), and returns the spans tr sent to the collector, read back
// after closing it: two when sampled, none when not.
func callFromTraceplug(t *testing.T, tr *core.Tracer, c testgrpc.TestServiceClient, read func() []conformance.Span, sampled bool, peer string) []conformance.Span {
	t.Helper()
	got, origin := callInSpan(t, tr, c)
	want := 0
	if sampled {
		want = 2
	}
	spans := closeAndRead(t, tr, read, want)
	originTrace, _, _ := tr.SpanContextIDs(origin.Context())
	if got.trace != conformance.NormalizeID(originTrace) || got.sampled != sampled || got.baggage != rpcBagValue+"." {
		t.Errorf("%s saw [trace %s sampled %t baggage %q], want [trace %s sampled %t baggage %q]",
			peer, got.trace, got.sampled, got.baggage, conformance.NormalizeID(originTrace), sampled, rpcBagValue)
	}
	return spans
}

func closeAndRead(t *testing.T, tr *core.Tracer, spans func() []conformance.Span, n int) []conformance.Span {
	t.Helper()
	for st := tr.Stats(); st.Started != st.Finished; st = tr.Stats() {
		time.Sleep(time.Millisecond)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := spans()
		if (n > 0 && len(got) >= n) || (n == 0 && time.Now().After(deadline.Add(-4500*time.Millisecond))) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newJaegerClient(t *testing.T, sampled bool) (opentracing.Tracer, *jaeger.InMemoryReporter) {
	rep := jaeger.NewInMemoryReporter()
	tr, closer := jaeger.NewTracer("interop-jaeger", jaeger.NewConstSampler(sampled), rep)
	t.Cleanup(func() { _ = closer.Close() })
	return tr, rep
}

func jaegerSpans(rep *jaeger.InMemoryReporter) []*jaeger.Span {
	var out []*jaeger.Span
	for _, s := range rep.GetSpans() {
		out = append(out, s.(*jaeger.Span))
	}
	return out
}

func id64(id jaeger.SpanID) string { return conformance.ID(uint64(id)) }

// otgrpc client on jaeger-client-go → traceplug server on jaeger.
func TestInteropOtgrpcToTraceplug(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		t.Run("sampled="+strconv.FormatBool(sampled), func(t *testing.T) {
			col := jaegertest.NewUDP(t)
			tr, err := core.New("jaeger", core.WithEndpoint(col.Endpoint()), core.WithTraceAll(true))
			if err != nil {
				t.Fatal(err)
			}
			peer, rep := newJaegerClient(t, sampled)
			c := tcpServer(t, rpcViewService{see: traceplugView(tr)},
				[]grpc.ServerOption{grpc.StatsHandler(grpctrace.ServerHandler(tr))},
				grpc.WithUnaryInterceptor(otgrpc.OpenTracingClientInterceptor(peer)))
			got, origin := callInSpan(t, peer, c)
			var want int
			if sampled {
				want = 1
			}
			spans := closeAndRead(t, tr, col.Spans, want)
			originTrace := origin.Context().(jaeger.SpanContext).TraceID()
			if got.trace != conformance.ID128(originTrace.High, originTrace.Low) {
				t.Errorf("traceplug's handler saw trace %s, want otgrpc's %s", got.trace, originTrace)
			}
			if got.baggage != rpcBagValue+"." {
				t.Errorf("traceplug's handler saw baggage %q, want %q", got.baggage, rpcBagValue)
			}
			if len(spans) != want {
				t.Fatalf("sampled=%t: traceplug reported %d spans, want %d: it must follow the caller's decision", sampled, len(spans), want)
			}
			if sampled {
				s, clientSpan := spans[0], jaegerSpans(rep)[0] // otgrpc's client span finishes first
				if s.ParentID != id64(clientSpan.SpanContext().SpanID()) || s.TraceID != got.trace {
					t.Errorf("traceplug's server span [trace %s parent %s], want [trace %s parent %s] (otgrpc's client span)",
						s.TraceID, s.ParentID, got.trace, id64(clientSpan.SpanContext().SpanID()))
				}
			}
		})
	}
}

// traceplug client on jaeger → otgrpc server on jaeger-client-go.
func TestInteropTraceplugToOtgrpc(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		t.Run("sampled="+strconv.FormatBool(sampled), func(t *testing.T) {
			col := jaegertest.NewUDP(t)
			rate := 1.0
			if !sampled {
				rate = 0
			}
			tr, err := core.New("jaeger", core.WithEndpoint(col.Endpoint()), core.WithSampleRate(rate))
			if err != nil {
				t.Fatal(err)
			}
			peer, rep := newJaegerClient(t, true) // a root would be sampled: the caller's decision must win
			see := func(ctx context.Context) rpcView {
				span := opentracing.SpanFromContext(ctx)
				if span == nil {
					return rpcView{trace: "none", span: "none", baggage: "none"}
				}
				sc := span.Context().(jaeger.SpanContext)
				return rpcView{trace: conformance.ID128(sc.TraceID().High, sc.TraceID().Low), span: id64(sc.SpanID()), sampled: sc.IsSampled(), baggage: span.BaggageItem(rpcBagKey) + "."}
			}
			c := tcpServer(t, rpcViewService{see: see},
				[]grpc.ServerOption{grpc.UnaryInterceptor(otgrpc.OpenTracingServerInterceptor(peer))},
				grpc.WithStatsHandler(grpctrace.ClientHandler(tr)))
			spans := callFromTraceplug(t, tr, c, col.Spans, sampled, "otgrpc's handler")
			if !sampled {
				if len(spans) != 0 || len(jaegerSpans(rep)) != 0 {
					t.Errorf("unsampled: traceplug reported %d spans, jaeger-client-go %d", len(spans), len(jaegerSpans(rep)))
				}
				return
			}
			client, serverSpan := one(t, spans, "client"), jaegerSpans(rep)[0]
			if id64(serverSpan.SpanContext().ParentID()) != client.SpanID {
				t.Errorf("otgrpc's server span has parent %s, want traceplug's client span %s", id64(serverSpan.SpanContext().ParentID()), client.SpanID)
			}
		})
	}
}

func one(t *testing.T, spans []conformance.Span, kind string) conformance.Span {
	t.Helper()
	for _, s := range spans {
		if k, _ := s.Tag("span.kind"); k == kind {
			return s
		}
	}
	t.Fatalf("no %s span among %v", kind, spans)
	return conformance.Span{}
}

func newOtelSDK(t *testing.T, sampled bool) (*sdktrace.TracerProvider, *tracetest.SpanRecorder, propagation.TextMapPropagator) {
	sr := tracetest.NewSpanRecorder()
	root := sdktrace.AlwaysSample()
	if !sampled {
		root = sdktrace.NeverSample()
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr), sdktrace.WithSampler(sdktrace.ParentBased(root)))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, sr, propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// otelgrpc client on the OpenTelemetry SDK → traceplug server on otel.
func TestInteropOtelgrpcToTraceplug(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		t.Run("sampled="+strconv.FormatBool(sampled), func(t *testing.T) {
			col := oteltest.New(t)
			tr, err := core.New("otel", append(col.Options("http"), core.WithTraceAll(true))...)
			if err != nil {
				t.Fatal(err)
			}
			tp, sr, props := newOtelSDK(t, sampled)
			c := tcpServer(t, rpcViewService{see: traceplugView(tr)},
				[]grpc.ServerOption{grpc.StatsHandler(grpctrace.ServerHandler(tr))},
				grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(tp), otelgrpc.WithPropagators(props))))
			ctx, origin := tp.Tracer("interop").Start(context.Background(), "origin")
			m, _ := baggage.NewMember(rpcBagKey, rpcBagValue)
			b, _ := baggage.New(m)
			resp, err := c.UnaryCall(baggage.ContextWithBaggage(ctx, b), &testgrpc.SimpleRequest{})
			if err != nil {
				t.Fatal(err)
			}
			origin.End()
			got := parseRPCView(resp.GetUsername())
			want := 0
			if sampled {
				want = 1
			}
			spans := closeAndRead(t, tr, col.Spans, want)
			traceID := conformance.NormalizeID(origin.SpanContext().TraceID().String())
			if got.trace != traceID || got.baggage != rpcBagValue+"." {
				t.Errorf("traceplug's handler saw [trace %s baggage %q], want [trace %s baggage %q]", got.trace, got.baggage, traceID, rpcBagValue)
			}
			if len(spans) != want {
				t.Fatalf("sampled=%t: traceplug reported %d spans, want %d", sampled, len(spans), want)
			}
			if sampled {
				var client sdktrace.ReadOnlySpan
				for _, s := range sr.Ended() {
					if s.SpanKind() == trace.SpanKindClient {
						client = s
					}
				}
				if spans[0].ParentID != conformance.NormalizeID(client.SpanContext().SpanID().String()) {
					t.Errorf("traceplug's server span has parent %s, want otelgrpc's client span %s", spans[0].ParentID, client.SpanContext().SpanID())
				}
			}
		})
	}
}

// traceplug client on otel → otelgrpc server on the OpenTelemetry SDK.
func TestInteropTraceplugToOtelgrpc(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		t.Run("sampled="+strconv.FormatBool(sampled), func(t *testing.T) {
			col := oteltest.New(t)
			rate := 1.0
			if !sampled {
				rate = 0
			}
			tr, err := core.New("otel", append(col.Options("http"), core.WithSampleRate(rate))...)
			if err != nil {
				t.Fatal(err)
			}
			tp, sr, props := newOtelSDK(t, true)
			see := func(ctx context.Context) rpcView {
				sc := trace.SpanContextFromContext(ctx)
				return rpcView{trace: conformance.NormalizeID(sc.TraceID().String()), span: conformance.NormalizeID(sc.SpanID().String()),
					sampled: sc.IsSampled(), baggage: baggage.FromContext(ctx).Member(rpcBagKey).Value() + "."}
			}
			c := tcpServer(t, rpcViewService{see: see},
				[]grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(tp), otelgrpc.WithPropagators(props)))},
				grpc.WithStatsHandler(grpctrace.ClientHandler(tr)))
			spans := callFromTraceplug(t, tr, c, col.Spans, sampled, "otelgrpc's handler")
			if !sampled {
				if len(spans) != 0 || len(sr.Ended()) != 0 {
					t.Errorf("unsampled: traceplug reported %d spans, otelgrpc recorded %d", len(spans), len(sr.Ended()))
				}
				return
			}
			client := one(t, spans, "client")
			// otelgrpc ends its server span in the stats handler's End,
			// which gRPC may run after the client has its answer.
			server := endedSpan(t, sr)
			if conformance.NormalizeID(server.Parent().SpanID().String()) != client.SpanID {
				t.Errorf("otelgrpc's server span has parent %s, want traceplug's client span %s", server.Parent().SpanID(), client.SpanID)
			}
		})
	}
}

// endedSpan waits for the one span sr records to end, and returns it.
func endedSpan(t *testing.T, sr *tracetest.SpanRecorder) sdktrace.ReadOnlySpan {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(sr.Ended()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("otelgrpc's server span never ended")
		}
		time.Sleep(time.Millisecond)
	}
	if n := len(sr.Ended()); n != 1 {
		t.Fatalf("otelgrpc recorded %d spans, want 1", n)
	}
	return sr.Ended()[0]
}
