package grpctrace_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/grpctrace"
)

// recorder answers EmptyCall and keeps the incoming metadata and whether a
// span was in the handler's context.
type recorder struct {
	testgrpc.UnimplementedTestServiceServer
	md   chan metadata.MD
	span chan opentracing.Span
}

func newRecorder() *recorder {
	return &recorder{md: make(chan metadata.MD, 8), span: make(chan opentracing.Span, 8)}
}

func (r *recorder) EmptyCall(ctx context.Context, _ *testgrpc.Empty) (*testgrpc.Empty, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	r.md <- md
	r.span <- opentracing.SpanFromContext(ctx)
	return &testgrpc.Empty{}, nil
}

func (r *recorder) UnaryCall(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	_, err := r.EmptyCall(ctx, nil)
	return &testgrpc.SimpleResponse{}, err
}

// serve runs svc on an in-memory listener with opts, and dials it with
// dial; both stop with the test.
func serve(t *testing.T, svc testgrpc.TestServiceServer, opts []grpc.ServerOption, dial ...grpc.DialOption) testgrpc.TestServiceClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(opts...)
	testgrpc.RegisterTestServiceServer(srv, svc)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	dial = append(dial,
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	cc, err := grpc.NewClient("passthrough:///bufnet", dial...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return testgrpc.NewTestServiceClient(cc)
}

func newTracer(t *testing.T, opts ...core.Option) (*core.Tracer, *mock.Tracer) {
	t.Helper()
	tr, err := core.New("mock", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr, tr.Unwrap().(*mock.Tracer)
}

// settled returns m's spans once tr has finished every span it started.
func settled(t *testing.T, tr *core.Tracer, m *mock.Tracer) []mock.Span {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for st := tr.Stats(); st.Started != st.Finished; st = tr.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("started %d spans, finished %d", st.Started, st.Finished)
		}
		time.Sleep(time.Millisecond)
	}
	return m.FinishedSpans()
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

func TestWiringMistakesPanic(t *testing.T) {
	tr, _ := newTracer(t)
	mustPanic(t, "ServerHandler(nil)", func() { grpctrace.ServerHandler(nil) })
	mustPanic(t, "ClientHandler(nil)", func() { grpctrace.ClientHandler(nil) })
	for _, bad := range []string{"pkg.Svc/Method", "/pkg.Svc", "/pkg.Svc/", "//Method", ""} {
		mustPanic(t, "WithMethods("+bad+")", func() { grpctrace.UnaryServerInterceptor(tr, grpctrace.WithMethods(bad)) })
	}
}

func TestDefaultFilter(t *testing.T) {
	for m, want := range map[string]bool{
		"/grpc.health.v1.Health/Check":                                   false,
		"/grpc.health.v1.Health/Watch":                                   false,
		"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      false,
		"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": false,
		"/grpc.testing.TestService/UnaryCall":                            true,
		"/grpc.health.v1.HealthX/Check":                                  true,
	} {
		if got := grpctrace.DefaultFilter(context.Background(), m); got != want {
			t.Errorf("DefaultFilter(%s) = %v, want %v", m, got, want)
		}
	}
}

// With trace-all off, a client given WithMethods traces only those; its
// other calls still carry the caller's trace.
func TestClientMethodsAndUntracedPropagation(t *testing.T) {
	tr, m := newTracer(t, core.WithPropagation("tracecontext"))
	rec := newRecorder()
	c := serve(t, rec, nil, grpc.WithStatsHandler(grpctrace.ClientHandler(tr, grpctrace.WithMethods("/grpc.testing.TestService/UnaryCall"))))
	parent := tr.StartSpan("handler")
	ctx := opentracing.ContextWithSpan(context.Background(), parent)
	if _, err := c.UnaryCall(ctx, &testgrpc.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	<-rec.span
	traced := <-rec.md
	if _, err := c.EmptyCall(ctx, &testgrpc.Empty{}); err != nil {
		t.Fatal(err)
	}
	<-rec.span
	untraced := <-rec.md
	parent.Finish()
	spans := settled(t, tr, m)
	if len(spans) != 2 || spans[0].Operation != "/grpc.testing.TestService/UnaryCall" {
		t.Fatalf("spans %+v, want the UnaryCall's and the handler's", spans)
	}
	client, handler := spans[0], spans[1]
	if client.ParentID != handler.SpanID {
		t.Error("the client span is not the handler's child")
	}
	if got := traced.Get("traceparent"); len(got) != 1 || !strings.Contains(got[0], "-"+hex(client.SpanID)+"-") {
		t.Errorf("traced call carried traceparent %q, want the client span %x", got, client.SpanID)
	}
	if got := untraced.Get("traceparent"); len(got) != 1 || !strings.Contains(got[0], "-"+hex(handler.SpanID)+"-") {
		t.Errorf("untraced call carried traceparent %q, want the handler's span %x", got, handler.SpanID)
	}
}

// Without WithMethods, a client traces every call even with trace-all off,
// as core's Transport traces every request.
func TestClientTracesEveryCallByDefault(t *testing.T) {
	tr, m := newTracer(t)
	c := serve(t, newRecorder(), nil, grpc.WithStatsHandler(grpctrace.ClientHandler(tr)))
	if _, err := c.EmptyCall(context.Background(), &testgrpc.Empty{}); err != nil {
		t.Fatal(err)
	}
	if spans := settled(t, tr, m); len(spans) != 1 {
		t.Errorf("%d spans, want 1", len(spans))
	}
}

// A span context injected into the outgoing metadata by hand is the
// client span's parent; metadata forwarded from an incoming call is
// replaced, never doubled.
func TestOutgoingMetadata(t *testing.T) {
	for _, mode := range []string{"stats", "interceptor"} {
		t.Run(mode, func(t *testing.T) {
			tr, m := newTracer(t, core.WithPropagation("tracecontext,baggage"))
			rec := newRecorder()
			dial := grpc.WithStatsHandler(grpctrace.ClientHandler(tr))
			if mode == "interceptor" {
				dial = grpc.WithChainUnaryInterceptor(grpctrace.UnaryClientInterceptor(tr))
			}
			c := serve(t, rec, nil, dial)
			byHand := tr.StartSpan("by hand")
			md := metadata.MD{}
			carrier := opentracing.TextMapCarrier{}
			_ = tr.Inject(byHand.Context(), opentracing.TextMap, carrier)
			for k, v := range carrier {
				md.Set(k, v)
			}
			md.Set("x-keep", "1")
			if _, err := c.EmptyCall(metadata.NewOutgoingContext(context.Background(), md), &testgrpc.Empty{}); err != nil {
				t.Fatal(err)
			}
			<-rec.span
			got := <-rec.md
			byHand.Finish()
			spans := settled(t, tr, m)
			client := spans[0]
			if client.ParentID != spans[1].SpanID {
				t.Errorf("client span's parent %x, want the span injected by hand %x", client.ParentID, spans[1].SpanID)
			}
			if tp := got.Get("traceparent"); len(tp) != 1 || !strings.Contains(tp[0], hex(client.SpanID)) {
				t.Errorf("traceparent %q: want one, the client span's", tp)
			}
			if got.Get("x-keep")[0] != "1" {
				t.Errorf("the application's metadata was lost: %v", got)
			}
		})
	}
}

// A baggage value that gRPC metadata cannot carry is left out; the call
// goes through.
func TestUnsendableBaggageDoesNotFailTheCall(t *testing.T) {
	tr, _ := newTracer(t, core.WithPropagation("b3multi"))
	rec := newRecorder()
	c := serve(t, rec, nil, grpc.WithStatsHandler(grpctrace.ClientHandler(tr)))
	parent := tr.StartSpan("handler")
	parent.SetBaggageItem("note", "caf\u00e9\n")
	parent.SetBaggageItem("user", "ann")
	defer parent.Finish()
	if _, err := c.EmptyCall(opentracing.ContextWithSpan(context.Background(), parent), &testgrpc.Empty{}); err != nil {
		t.Fatalf("the call failed: %v", err)
	}
	<-rec.span
	md := <-rec.md
	if md.Get("baggage-user")[0] != "ann" || len(md.Get("baggage-note")) != 0 {
		t.Errorf("metadata %v: want baggage-user and no baggage-note", md)
	}
}

// The server span is in the handler's context, under both instruments, and
// Stats counts every span started and finished.
func TestSpanInHandlerContextAndStats(t *testing.T) {
	for _, mode := range []string{"stats", "interceptor"} {
		t.Run(mode, func(t *testing.T) {
			tr, m := newTracer(t, core.WithTraceAll(true))
			opt := grpc.StatsHandler(grpctrace.ServerHandler(tr))
			if mode == "interceptor" {
				opt = grpc.ChainUnaryInterceptor(grpctrace.UnaryServerInterceptor(tr))
			}
			rec := newRecorder()
			c := serve(t, rec, []grpc.ServerOption{opt})
			for range 3 {
				if _, err := c.EmptyCall(context.Background(), &testgrpc.Empty{}); err != nil {
					t.Fatal(err)
				}
				<-rec.md
				if span := <-rec.span; span == nil {
					t.Error("no span in the handler's context")
				}
			}
			spans := settled(t, tr, m)
			if st := tr.Stats(); len(spans) != 3 || st.Started != 3 || st.Finished != 3 {
				t.Errorf("%d spans, Stats %+v", len(spans), st)
			}
		})
	}
}

func hex(id uint64) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 16)
	for i := 15; i >= 0; i-- {
		b[i] = digits[id&0xf]
		id >>= 4
	}
	return string(b)
}
