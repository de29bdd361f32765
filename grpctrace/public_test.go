package grpctrace_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/grpctrace"
	"github.com/traceplug/traceplug/propagation"
)

// Public endpoints over gRPC: a front service on 127.0.0.1 gets a call whose
// metadata holds an outside caller's trace, and calls a downstream service
// from its handler. What counts is what the tracer recorded and what the
// downstream call's metadata carried.

const (
	callerHex     = "0af7651916cd43dd8448eb211c80319c"
	callerSpanHex = "b7ad6b7169203331"
	callerLow     = 0x8448eb211c80319c
	callerSpanID  = 0xb7ad6b7169203331
)

// newRefTracer builds a Tracer over the mock backend (whose spans keep
// their references), tracing every request and sampling every new trace
// unless opts say otherwise.
func newRefTracer(t *testing.T, opts ...core.Option) (*core.Tracer, *mock.Tracer) {
	t.Helper()
	rt, err := mock.New(backend.Config{ServiceName: "front", SampleRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := core.Wrap(rt, append([]core.Option{core.WithTraceAll(true), core.WithSampleRate(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr, rt
}

// front is the traced service: UnaryCall calls the downstream's EmptyCall
// with the handler's context, through a client traced by the same tracer;
// with proxy, it forwards its incoming metadata, as a proxy does.
type front struct {
	testgrpc.UnimplementedTestServiceServer
	tr    *core.Tracer
	down  testgrpc.TestServiceClient
	proxy bool
	trace chan string // the handler's trace id, from its context
}

func (f *front) UnaryCall(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	id, _, _ := f.tr.ContextIDs(ctx)
	f.trace <- id
	out := ctx
	if md, ok := metadata.FromIncomingContext(ctx); ok && f.proxy {
		out = metadata.NewOutgoingContext(ctx, md)
	}
	_, err := f.down.EmptyCall(out, &testgrpc.Empty{})
	return &testgrpc.SimpleResponse{}, err
}

// listen serves svc on 127.0.0.1 with opts and returns a client of it and
// a function that stops the server gracefully: once it returns, every
// handler, with its span, has finished.
func listen(t *testing.T, svc testgrpc.TestServiceServer, opts []grpc.ServerOption, dial ...grpc.DialOption) (testgrpc.TestServiceClient, func()) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	testgrpc.RegisterTestServiceServer(srv, svc)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(lis)
	}()
	cc, err := grpc.NewClient(lis.Addr().String(), append(dial, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	stop := func() {
		_ = cc.Close()
		srv.GracefulStop()
		<-served
	}
	t.Cleanup(stop)
	return testgrpc.NewTestServiceClient(cc), sync.OnceFunc(stop)
}

// gworld is the front service traced by tr, and the downstream it calls.
type gworld struct {
	t     *testing.T
	front testgrpc.TestServiceClient
	stop  func() // the front server's
	f     *front
	down  *recorder
}

func newGWorld(t *testing.T, tr *core.Tracer, proxy bool, server []grpc.ServerOption) *gworld {
	t.Helper()
	down := newRecorder()
	downClient, _ := listen(t, down, nil, grpc.WithStatsHandler(grpctrace.ClientHandler(tr)))
	f := &front{tr: tr, down: downClient, proxy: proxy, trace: make(chan string, 1)}
	client, stop := listen(t, f, server)
	return &gworld{t: t, front: client, stop: stop, f: f, down: down}
}

// call sends UnaryCall with the caller's trace (sampled or not) and
// baggage, and returns the handler's trace id and the downstream call's
// metadata.
func (w *gworld) call(sampled bool, extra ...string) (handlerTrace string, downstream metadata.MD) {
	w.t.Helper()
	flags := "00"
	if sampled {
		flags = "01"
	}
	ctx := metadata.AppendToOutgoingContext(w.t.Context(),
		append([]string{"traceparent", "00-" + callerHex + "-" + callerSpanHex + "-" + flags, "baggage", "user=mallory"}, extra...)...)
	if _, err := w.front.UnaryCall(ctx, &testgrpc.SimpleRequest{}); err != nil {
		w.t.Fatal(err)
	}
	<-w.down.span
	return <-w.f.trace, <-w.down.md
}

// sent reads the trace the downstream call carried.
func sent(t *testing.T, md metadata.MD) propagation.SpanContext {
	t.Helper()
	p, err := propagation.Parse("tracecontext,baggage")
	if err != nil {
		t.Fatal(err)
	}
	psc, err := p.Extract(opentracing.HTTPHeadersCarrier(md))
	if err != nil {
		t.Fatalf("the downstream call's metadata %v: %v", md, err)
	}
	return psc
}

// spansOf returns the recorded spans of kind.
func spansOf(m *mock.Tracer, kind string) []mock.Span {
	var out []mock.Span
	for _, s := range m.FinishedSpans() {
		if fmt.Sprint(s.Tags["span.kind"]) == kind {
			out = append(out, s)
		}
	}
	return out
}

// wantPublic checks the front's server span: a new root, following from
// the caller's span, without its baggage; and that the downstream call
// carried the new trace and no baggage.
func wantPublic(t *testing.T, rt *mock.Tracer, handlerTrace string, md metadata.MD) {
	t.Helper()
	servers := spansOf(rt, "server")
	if len(servers) != 1 {
		t.Fatalf("%d server spans, want 1: %+v", len(servers), rt.FinishedSpans())
	}
	s := servers[0]
	if s.TraceIDHex() == callerHex || s.ParentID != 0 || handlerTrace != s.TraceIDHex() {
		t.Errorf("server span in %s under %x, handler in %s: want a new root, not the caller's trace", s.TraceIDHex(), s.ParentID, handlerTrace)
	}
	refs := s.References
	if len(refs) != 2 || refs[0].Type != opentracing.ChildOfRef || refs[0].TraceID != s.TraceID ||
		refs[1].Type != opentracing.FollowsFromRef || refs[1].TraceID != callerLow || refs[1].SpanID != callerSpanID {
		t.Errorf("server span's references %+v: want ChildOf the new trace, then FollowsFrom the caller's span", refs)
	}
	if len(s.Baggage) != 0 {
		t.Errorf("the caller's baggage is on the span: %v", s.Baggage)
	}
	got := sent(t, md)
	if got.TraceID != s.TraceID || got.Sampling != propagation.SamplingYes || len(got.Baggage) != 0 {
		t.Errorf("the downstream call carried %+v: want the new trace %s, sampled, without baggage", got, s.TraceIDHex())
	}
}

// TestPublicEndpointGRPC: a server call to a public endpoint, by the
// tracer's setting or by this package's options, on the stats handler and
// on the interceptor.
func TestPublicEndpointGRPC(t *testing.T) {
	for _, tc := range []struct {
		name   string
		core   []core.Option
		server func(*core.Tracer) grpc.ServerOption
	}{
		{"tracer/stats", []core.Option{core.WithPublicEndpoint(true)}, func(tr *core.Tracer) grpc.ServerOption {
			return grpc.StatsHandler(grpctrace.ServerHandler(tr))
		}},
		{"tracer/interceptor", []core.Option{core.WithPublicEndpoint(true)}, func(tr *core.Tracer) grpc.ServerOption {
			return grpc.ChainUnaryInterceptor(grpctrace.UnaryServerInterceptor(tr))
		}},
		{"option/stats", nil, func(tr *core.Tracer) grpc.ServerOption {
			return grpc.StatsHandler(grpctrace.ServerHandler(tr, grpctrace.WithPublicEndpoint(true)))
		}},
		{"option/interceptor", nil, func(tr *core.Tracer) grpc.ServerOption {
			return grpc.ChainUnaryInterceptor(grpctrace.UnaryServerInterceptor(tr, grpctrace.WithPublicEndpoint(true)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, rt := newRefTracer(t, tc.core...)
			w := newGWorld(t, tr, false, []grpc.ServerOption{tc.server(tr)})
			handler, md := w.call(true)
			w.stop()
			wantPublic(t, rt, handler, md)
		})
	}
}

// TestPublicEndpointGRPCSampling: the service's own sampler decides: a
// sampled caller at ratio 0 records nothing, and the downstream call carries
// a new trace, not sampled; an unsampled caller at ratio 1 is recorded.
func TestPublicEndpointGRPCSampling(t *testing.T) {
	t.Run("caller=1/ratio=0", func(t *testing.T) {
		tr, rt := newRefTracer(t, core.WithPublicEndpoint(true), core.WithSampleRate(0))
		w := newGWorld(t, tr, false, []grpc.ServerOption{grpc.StatsHandler(grpctrace.ServerHandler(tr))})
		handler, md := w.call(true)
		w.stop()
		if spans := rt.FinishedSpans(); len(spans) != 0 {
			t.Errorf("recorded %d spans of a trace the sampler left out: %+v", len(spans), spans)
		}
		if got := sent(t, md); got.TraceID == callerLow || got.TraceID == 0 || got.Sampling != propagation.SamplingNo || handler == callerHex {
			t.Errorf("the downstream call carried %+v (handler in %s): want a new trace, not sampled", got, handler)
		}
	})
	t.Run("caller=0/ratio=1", func(t *testing.T) {
		tr, rt := newRefTracer(t, core.WithPublicEndpoint(true))
		w := newGWorld(t, tr, false, []grpc.ServerOption{grpc.StatsHandler(grpctrace.ServerHandler(tr))})
		handler, md := w.call(false)
		w.stop()
		wantPublic(t, rt, handler, md)
	})
}

// TestPublicEndpointGRPCFn: the function decides per call, here by the
// caller's metadata; without a public endpoint, the caller's trace goes on.
func TestPublicEndpointGRPCFn(t *testing.T) {
	outside := func(ctx context.Context, fullMethod string) bool {
		md, _ := metadata.FromIncomingContext(ctx)
		if fullMethod != "/grpc.testing.TestService/UnaryCall" {
			t.Errorf("the function got method %q", fullMethod)
		}
		return len(md.Get("x-internal")) == 0
	}
	for _, internal := range []bool{false, true} {
		t.Run(fmt.Sprint("internal=", internal), func(t *testing.T) {
			tr, rt := newRefTracer(t)
			w := newGWorld(t, tr, false, []grpc.ServerOption{grpc.StatsHandler(grpctrace.ServerHandler(tr, grpctrace.WithPublicEndpointFn(outside)))})
			var extra []string
			if internal {
				extra = []string{"x-internal", "1"}
			}
			handler, md := w.call(true, extra...)
			w.stop()
			if !internal {
				wantPublic(t, rt, handler, md)
				return
			}
			s := spansOf(rt, "server")
			if len(s) != 1 || s[0].TraceIDHex() != callerHex || s[0].ParentID != callerSpanID {
				t.Fatalf("server spans %+v: want one continuing the caller's trace", s)
			}
			if got := sent(t, md); got.TraceID != callerLow || len(got.Baggage) != 1 {
				t.Errorf("the downstream call carried %+v: want the caller's trace and baggage", got)
			}
		})
	}
}

// TestPublicEndpointGRPCUntraced: a call the server does not trace (trace-all
// off, the method not named) passes no trace of its caller on, even when its
// handler forwards the incoming metadata (a proxy): the downstream call
// starts a trace of its own. Without a public endpoint, the caller's goes on.
func TestPublicEndpointGRPCUntraced(t *testing.T) {
	for _, public := range []bool{true, false} {
		t.Run(fmt.Sprint("public=", public), func(t *testing.T) {
			tr, rt := newRefTracer(t, core.WithTraceAll(false))
			w := newGWorld(t, tr, true, []grpc.ServerOption{grpc.StatsHandler(grpctrace.ServerHandler(tr, grpctrace.WithPublicEndpoint(public)))})
			_, md := w.call(true)
			w.stop()
			got := sent(t, md)
			if !public {
				if got.TraceID != callerLow || len(got.Baggage) != 1 {
					t.Errorf("the downstream call carried %+v: want the caller's trace and baggage", got)
				}
				return
			}
			clients := spansOf(rt, "client")
			if got.TraceID == callerLow || len(got.Baggage) != 0 || len(clients) != 1 ||
				clients[0].ParentID != 0 || clients[0].TraceID != got.TraceID {
				t.Errorf("the downstream call carried %+v, client spans %+v: want a trace of the client span's own, without baggage", got, clients)
			}
		})
	}
}
