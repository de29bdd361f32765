package grpctrace_test

// Adversarial tests: the contract of grpctrace under the ways gRPC calls
// end badly, hostile metadata, doubled instrumentation, concurrency and
// shutdown. Real gRPC over 127.0.0.1, the mock backend.

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/grpctrace"
	"github.com/traceplug/traceplug/internal/leakcheck"
)

// ---------------------------------------------------------------- helpers

// rvSvc is a TestService whose methods the test sets.
type rvSvc struct {
	testgrpc.UnimplementedTestServiceServer
	empty func(ctx context.Context) error
	unary func(ctx context.Context, req *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error)
	out   func(req *testgrpc.StreamingOutputCallRequest, s testgrpc.TestService_StreamingOutputCallServer) error
	in    func(s testgrpc.TestService_StreamingInputCallServer) error
	bidi  func(s testgrpc.TestService_FullDuplexCallServer) error
}

func (s *rvSvc) EmptyCall(ctx context.Context, _ *testgrpc.Empty) (*testgrpc.Empty, error) {
	if s.empty != nil {
		if err := s.empty(ctx); err != nil {
			return nil, err
		}
	}
	return &testgrpc.Empty{}, nil
}

func (s *rvSvc) UnaryCall(ctx context.Context, req *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	if s.unary != nil {
		return s.unary(ctx, req)
	}
	return &testgrpc.SimpleResponse{}, nil
}

func (s *rvSvc) StreamingOutputCall(req *testgrpc.StreamingOutputCallRequest, st testgrpc.TestService_StreamingOutputCallServer) error {
	if s.out != nil {
		return s.out(req, st)
	}
	for range req.GetResponseParameters() {
		if err := st.Send(&testgrpc.StreamingOutputCallResponse{}); err != nil {
			return err
		}
	}
	return nil
}

func (s *rvSvc) StreamingInputCall(st testgrpc.TestService_StreamingInputCallServer) error {
	if s.in != nil {
		return s.in(st)
	}
	for {
		if _, err := st.Recv(); err == io.EOF {
			return st.SendAndClose(&testgrpc.StreamingInputCallResponse{})
		} else if err != nil {
			return err
		}
	}
}

func (s *rvSvc) FullDuplexCall(st testgrpc.TestService_FullDuplexCallServer) error {
	if s.bidi != nil {
		return s.bidi(st)
	}
	for {
		if _, err := st.Recv(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if err := st.Send(&testgrpc.StreamingOutputCallResponse{}); err != nil {
			return err
		}
	}
}

// rvModes are the two ways of instrumenting both sides.
var rvModes = []string{"stats", "interceptors"}

func rvServerOpts(mode string, tr *core.Tracer, opts ...grpctrace.Option) []grpc.ServerOption {
	if mode == "stats" {
		return []grpc.ServerOption{grpc.StatsHandler(grpctrace.ServerHandler(tr, opts...))}
	}
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(grpctrace.UnaryServerInterceptor(tr, opts...)),
		grpc.ChainStreamInterceptor(grpctrace.StreamServerInterceptor(tr, opts...)),
	}
}

func rvDialOpts(mode string, tr *core.Tracer, opts ...grpctrace.Option) []grpc.DialOption {
	if mode == "stats" {
		return []grpc.DialOption{grpc.WithStatsHandler(grpctrace.ClientHandler(tr, opts...))}
	}
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(grpctrace.UnaryClientInterceptor(tr, opts...)),
		grpc.WithChainStreamInterceptor(grpctrace.StreamClientInterceptor(tr, opts...)),
	}
}

// rvListen serves on 127.0.0.1 with srvOpts, register adding the services,
// and returns the address; the server stops with the test.
func rvListen(t *testing.T, srvOpts []grpc.ServerOption, register func(*grpc.Server)) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(srvOpts...)
	register(srv)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func rvDial(t *testing.T, addr string, dial ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(addr, append(dial, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// rvPair serves svc and dials it; it returns the connection and a client.
func rvPair(t *testing.T, svc testgrpc.TestServiceServer, srvOpts []grpc.ServerOption, dial ...grpc.DialOption) (*grpc.ClientConn, testgrpc.TestServiceClient) {
	t.Helper()
	addr := rvListen(t, srvOpts, func(s *grpc.Server) { testgrpc.RegisterTestServiceServer(s, svc) })
	cc := rvDial(t, addr, dial...)
	return cc, testgrpc.NewTestServiceClient(cc)
}

// rvSettle waits until tr has finished every span it started, for at most
// d; it reports whether it did.
func rvSettle(tr *core.Tracer, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for st := tr.Stats(); st.Started != st.Finished; st = tr.Stats() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

func rvMustSettle(t *testing.T, tr *core.Tracer, m *mock.Tracer) []mock.Span {
	t.Helper()
	if !rvSettle(tr, 10*time.Second) {
		st := tr.Stats()
		t.Fatalf("spans never all finished: started %d, finished %d; finished spans:\n%s", st.Started, st.Finished, rvList(m.FinishedSpans()))
	}
	return m.FinishedSpans()
}

// rvNoLeaks checks, after the test's other cleanups (servers stopped,
// connections closed), that it left no goroutine behind. Call it first.
func rvNoLeaks(t *testing.T) { leakcheck.Check(t) }

func rvKind(s mock.Span) string { return fmt.Sprint(s.Tags["span.kind"]) }

func rvOfKind(spans []mock.Span, kind string) []mock.Span {
	var out []mock.Span
	for _, s := range spans {
		if rvKind(s) == kind {
			out = append(out, s)
		}
	}
	return out
}

func rvTag(s mock.Span, k string) (string, bool) {
	v, ok := s.Tags[k]
	if !ok {
		return "", false
	}
	return fmt.Sprint(v), true
}

func rvList(spans []mock.Span) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "  %s [%s] id=%x parent=%x tags=%v\n", s.Operation, rvKind(s), s.SpanID, s.ParentID, s.Tags)
	}
	return b.String()
}

func rvWantTag(t *testing.T, s mock.Span, k, want string) {
	t.Helper()
	if got, ok := rvTag(s, k); !ok || got != want {
		t.Errorf("%s span %s: tag %s = %q (present %v), want %q", rvKind(s), s.Operation, k, got, ok, want)
	}
}

func rvIsError(s mock.Span) bool { v, _ := rvTag(s, "error"); return v == "true" }

func rvOne(t *testing.T, spans []mock.Span, kind string) mock.Span {
	t.Helper()
	got := rvOfKind(spans, kind)
	if len(got) != 1 {
		t.Fatalf("%d %s spans, want 1:\n%s", len(got), kind, rvList(spans))
	}
	return got[0]
}

func rvCode(err error) codes.Code { return status.Code(err) }

// ------------------------------------------------------------------ tests

// A server stream the client cancels mid-stream: both spans end, the
// client's with Canceled (an error), the server's with Canceled (not a
// server error); the server span is the client span's child.
func TestHostileServerStreamClientCancel(t *testing.T) {
	for _, mode := range rvModes {
		t.Run(mode, func(t *testing.T) {
			rvNoLeaks(t)
			tr, m := newTracer(t, core.WithTraceAll(true))
			svc := &rvSvc{out: func(_ *testgrpc.StreamingOutputCallRequest, s testgrpc.TestService_StreamingOutputCallServer) error {
				for {
					if err := s.Send(&testgrpc.StreamingOutputCallResponse{Payload: &testgrpc.Payload{Body: make([]byte, 1024)}}); err != nil {
						return err
					}
					select {
					case <-s.Context().Done():
						return s.Context().Err()
					default:
					}
				}
			}}
			_, c := rvPair(t, svc, rvServerOpts(mode, tr), rvDialOpts(mode, tr)...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			st, err := c.StreamingOutputCall(ctx, &testgrpc.StreamingOutputCallRequest{})
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if _, err := st.Recv(); err != nil {
					t.Fatal(err)
				}
			}
			cancel()
			spans := rvMustSettle(t, tr, m)
			client, server := rvOne(t, spans, "client"), rvOne(t, spans, "server")
			rvWantTag(t, client, "rpc.grpc.status_code", "1")
			if !rvIsError(client) {
				t.Error("client span of a cancelled stream: no error=true")
			}
			rvWantTag(t, server, "rpc.grpc.status_code", "1")
			if rvIsError(server) {
				t.Error("server span: error=true for the client's cancellation (Canceled is not a server error)")
			}
			if server.ParentID != client.SpanID || server.TraceID != client.TraceID {
				t.Error("server span is not the client span's child")
			}
			if v, _ := rvTag(client, "rpc.grpc.messages_received"); v == "" || v == "0" {
				t.Errorf("client messages_received %q, want >= 3", v)
			}
			if v, _ := rvTag(server, "rpc.grpc.messages_sent"); v == "" || v == "0" || v == "1" || v == "2" {
				t.Errorf("server messages_sent %q, want >= 3", v)
			}
		})
	}
}

// A stream the client abandons (no CloseSend, no further Recv, no cancel)
// and whose ClientConn then closes: gRPC ends the stream (ClientConn.Close
// is one of the four ways grpc-go documents a stream ends), so both spans
// must end, and no goroutine may be left behind.
func TestHostileAbandonedStreamThenConnClose(t *testing.T) {
	for _, mode := range rvModes {
		for _, kind := range []string{"bidi", "client_stream", "server_stream"} {
			t.Run(mode+"/"+kind, func(t *testing.T) {
				rvNoLeaks(t)
				tr, m := newTracer(t, core.WithTraceAll(true))
				entered := make(chan struct{}, 1)
				svc := &rvSvc{
					in: func(s testgrpc.TestService_StreamingInputCallServer) error {
						entered <- struct{}{}
						for {
							if _, err := s.Recv(); err != nil {
								return err
							}
						}
					},
					out: func(_ *testgrpc.StreamingOutputCallRequest, s testgrpc.TestService_StreamingOutputCallServer) error {
						entered <- struct{}{}
						for range 5 {
							if err := s.Send(&testgrpc.StreamingOutputCallResponse{}); err != nil {
								return err
							}
						}
						<-s.Context().Done()
						return s.Context().Err()
					},
					bidi: func(s testgrpc.TestService_FullDuplexCallServer) error {
						entered <- struct{}{}
						for {
							if _, err := s.Recv(); err != nil {
								return err
							}
							if err := s.Send(&testgrpc.StreamingOutputCallResponse{}); err != nil {
								return err
							}
						}
					},
				}
				cc, c := rvPair(t, svc, rvServerOpts(mode, tr), rvDialOpts(mode, tr)...)
				// The caller's context is never cancelled during the test,
				// only at its very end: the stream must end with the
				// ClientConn alone.
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				switch kind {
				case "bidi":
					s, err := c.FullDuplexCall(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if err := s.Send(&testgrpc.StreamingOutputCallRequest{}); err != nil {
						t.Fatal(err)
					}
					if _, err := s.Recv(); err != nil {
						t.Fatal(err)
					}
				case "client_stream":
					s, err := c.StreamingInputCall(ctx)
					if err != nil {
						t.Fatal(err)
					}
					for range 2 {
						if err := s.Send(&testgrpc.StreamingInputCallRequest{}); err != nil {
							t.Fatal(err)
						}
					}
				case "server_stream":
					s, err := c.StreamingOutputCall(ctx, &testgrpc.StreamingOutputCallRequest{})
					if err != nil {
						t.Fatal(err)
					}
					if _, err := s.Recv(); err != nil {
						t.Fatal(err)
					}
				}
				<-entered
				_ = cc.Close()
				if !rvSettle(tr, 5*time.Second) {
					st := tr.Stats()
					t.Errorf("after the abandoned stream's ClientConn closed: started %d spans, finished %d; finished:\n%s",
						st.Started, st.Finished, rvList(m.FinishedSpans()))
					return
				}
				spans := m.FinishedSpans()
				client := rvOne(t, spans, "client")
				if v, _ := rvTag(client, "rpc.grpc.status_code"); v == "0" || !rvIsError(client) {
					t.Errorf("client span of an abandoned stream: status %s error %v, want a failure", v, rvIsError(client))
				}
				rvOne(t, spans, "server")
			})
		}
	}
}

// Deadlines on unary and server-streaming calls: status 4 and error=true on
// both sides.
func TestHostileDeadlineExceeded(t *testing.T) {
	for _, mode := range rvModes {
		for _, kind := range []string{"unary", "server_stream", "bidi"} {
			t.Run(mode+"/"+kind, func(t *testing.T) {
				rvNoLeaks(t)
				tr, m := newTracer(t, core.WithTraceAll(true))
				svc := &rvSvc{
					unary: func(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
						<-ctx.Done()
						return nil, ctx.Err()
					},
					out: func(_ *testgrpc.StreamingOutputCallRequest, s testgrpc.TestService_StreamingOutputCallServer) error {
						if err := s.Send(&testgrpc.StreamingOutputCallResponse{}); err != nil {
							return err
						}
						<-s.Context().Done()
						return s.Context().Err()
					},
					bidi: func(s testgrpc.TestService_FullDuplexCallServer) error {
						<-s.Context().Done()
						return s.Context().Err()
					},
				}
				_, c := rvPair(t, svc, rvServerOpts(mode, tr), rvDialOpts(mode, tr)...)
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
				var err error
				switch kind {
				case "unary":
					_, err = c.UnaryCall(ctx, &testgrpc.SimpleRequest{})
				case "server_stream":
					var s testgrpc.TestService_StreamingOutputCallClient
					if s, err = c.StreamingOutputCall(ctx, &testgrpc.StreamingOutputCallRequest{}); err == nil {
						if _, err = s.Recv(); err == nil {
							_, err = s.Recv()
						}
					}
				case "bidi":
					var s testgrpc.TestService_FullDuplexCallClient
					if s, err = c.FullDuplexCall(ctx); err == nil {
						_ = s.Send(&testgrpc.StreamingOutputCallRequest{})
						_, err = s.Recv()
					}
				}
				if rvCode(err) != codes.DeadlineExceeded {
					t.Fatalf("call ended with %v, want DeadlineExceeded", err)
				}
				spans := rvMustSettle(t, tr, m)
				client := rvOne(t, spans, "client")
				rvWantTag(t, client, "rpc.grpc.status_code", "4")
				if !rvIsError(client) {
					t.Error("client span of a deadline: no error=true")
				}
				// The server sees either its own deadline (4) or the
				// client's RST_STREAM, sent when the client's deadline
				// fires, first (1): gRPC's timing, not grpctrace's. Either
				// way the span ends, and error follows the code.
				server := rvOne(t, spans, "server")
				code, _ := rvTag(server, "rpc.grpc.status_code")
				if code != "4" && code != "1" {
					t.Errorf("server span of a deadline: status %q, want 4 or 1", code)
				}
				if rvIsError(server) != (code == "4") {
					t.Errorf("server span: status %s with error=%v", code, rvIsError(server))
				}
			})
		}
	}
}

// A bidi stream half-closed by the client, the server answering after the
// half-close: the spans end OK with exact message counts.
func TestHostileBidiHalfClose(t *testing.T) {
	for _, mode := range rvModes {
		t.Run(mode, func(t *testing.T) {
			tr, m := newTracer(t, core.WithTraceAll(true))
			svc := &rvSvc{bidi: func(s testgrpc.TestService_FullDuplexCallServer) error {
				n := 0
				for {
					_, err := s.Recv()
					if err == io.EOF {
						break
					}
					if err != nil {
						return err
					}
					n++
				}
				for range n + 3 {
					if err := s.Send(&testgrpc.StreamingOutputCallResponse{}); err != nil {
						return err
					}
				}
				return nil
			}}
			_, c := rvPair(t, svc, rvServerOpts(mode, tr), rvDialOpts(mode, tr)...)
			s, err := c.FullDuplexCall(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if err := s.Send(&testgrpc.StreamingOutputCallRequest{}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.CloseSend(); err != nil {
				t.Fatal(err)
			}
			got := 0
			for {
				if _, err := s.Recv(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				got++
			}
			if got != 5 {
				t.Fatalf("received %d, want 5", got)
			}
			spans := rvMustSettle(t, tr, m)
			client, server := rvOne(t, spans, "client"), rvOne(t, spans, "server")
			for _, sp := range []mock.Span{client, server} {
				rvWantTag(t, sp, "rpc.grpc.status_code", "0")
				if rvIsError(sp) {
					t.Errorf("%s span error=true on OK", rvKind(sp))
				}
			}
			rvWantTag(t, client, "rpc.grpc.messages_sent", "2")
			rvWantTag(t, client, "rpc.grpc.messages_received", "5")
			rvWantTag(t, server, "rpc.grpc.messages_sent", "5")
			rvWantTag(t, server, "rpc.grpc.messages_received", "2")
		})
	}
}

// A panic in a stream handler with only the stream interceptor (and with a
// stats handler beside it): the span records it, ends once, and the panic
// reaches the outer recovering interceptor.
func TestHostileStreamPanic(t *testing.T) {
	for _, withStats := range []bool{false, true} {
		t.Run(fmt.Sprintf("stats=%v", withStats), func(t *testing.T) {
			tr, m := newTracer(t, core.WithTraceAll(true))
			recovered := make(chan any, 1)
			recoverer := func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
				defer func() {
					if v := recover(); v != nil {
						recovered <- v
						err = status.Error(codes.Internal, "recovered")
					}
				}()
				return h(srv, ss)
			}
			opts := []grpc.ServerOption{grpc.ChainStreamInterceptor(recoverer, grpctrace.StreamServerInterceptor(tr))}
			if withStats {
				opts = append(opts, grpc.StatsHandler(grpctrace.ServerHandler(tr)))
			}
			svc := &rvSvc{bidi: func(s testgrpc.TestService_FullDuplexCallServer) error {
				if _, err := s.Recv(); err != nil {
					return err
				}
				panic("review boom")
			}}
			_, c := rvPair(t, svc, opts)
			s, err := c.FullDuplexCall(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			_ = s.Send(&testgrpc.StreamingOutputCallRequest{})
			if _, err := s.Recv(); rvCode(err) != codes.Internal {
				t.Errorf("client got %v, want the recoverer's Internal", err)
			}
			select {
			case v := <-recovered:
				if v != "review boom" {
					t.Errorf("recovered %v", v)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the panic was not re-raised to the outer interceptor")
			}
			spans := rvMustSettle(t, tr, m)
			server := rvOne(t, spans, "server")
			if !rvIsError(server) {
				t.Error("panicking stream: no error=true")
			}
			found := false
			for _, l := range server.Logs {
				if strings.Contains(fmt.Sprint(l.Fields["message"]), "review boom") {
					found = true
				}
			}
			if !found {
				t.Errorf("no log with the panic's message: %v", server.Logs)
			}
			if n := m.DoubleFinishes(); n != 0 {
				t.Errorf("%d double finishes", n)
			}
		})
	}
}

// Every instrument at once, interceptors chained twice, on one tracer: one
// server span and one client span per call; the handler's context holds the
// server span.
func TestHostileEverythingInstalledTracesOnce(t *testing.T) {
	tr, m := newTracer(t, core.WithTraceAll(true))
	inCtx := make(chan opentracing.Span, 4)
	svc := &rvSvc{
		unary: func(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
			inCtx <- opentracing.SpanFromContext(ctx)
			return &testgrpc.SimpleResponse{}, nil
		},
		bidi: func(s testgrpc.TestService_FullDuplexCallServer) error {
			inCtx <- opentracing.SpanFromContext(s.Context())
			for {
				if _, err := s.Recv(); err == io.EOF {
					return nil
				} else if err != nil {
					return err
				}
				if err := s.Send(&testgrpc.StreamingOutputCallResponse{}); err != nil {
					return err
				}
			}
		},
	}
	srvOpts := []grpc.ServerOption{
		grpc.StatsHandler(grpctrace.ServerHandler(tr)),
		grpc.ChainUnaryInterceptor(grpctrace.UnaryServerInterceptor(tr), grpctrace.UnaryServerInterceptor(tr)),
		grpc.ChainStreamInterceptor(grpctrace.StreamServerInterceptor(tr), grpctrace.StreamServerInterceptor(tr)),
	}
	dial := []grpc.DialOption{
		grpc.WithStatsHandler(grpctrace.ClientHandler(tr)),
		grpc.WithChainUnaryInterceptor(grpctrace.UnaryClientInterceptor(tr), grpctrace.UnaryClientInterceptor(tr)),
		grpc.WithChainStreamInterceptor(grpctrace.StreamClientInterceptor(tr), grpctrace.StreamClientInterceptor(tr)),
	}
	_, c := rvPair(t, svc, srvOpts, dial...)
	if _, err := c.UnaryCall(context.Background(), &testgrpc.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	s, err := c.FullDuplexCall(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		_ = s.Send(&testgrpc.StreamingOutputCallRequest{})
		if _, err := s.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.CloseSend()
	if _, err := s.Recv(); err != io.EOF {
		t.Fatal(err)
	}
	spans := rvMustSettle(t, tr, m)
	servers, clients := rvOfKind(spans, "server"), rvOfKind(spans, "client")
	if len(servers) != 2 || len(clients) != 2 || len(spans) != 4 {
		t.Fatalf("%d server and %d client spans (%d in all) for 2 calls, want 2 and 2:\n%s", len(servers), len(clients), len(spans), rvList(spans))
	}
	ids := map[uint64]bool{}
	for _, sp := range servers {
		ids[sp.SpanID] = true
		ok := false
		for _, cl := range clients {
			ok = ok || (sp.ParentID == cl.SpanID && cl.Operation == sp.Operation)
		}
		if !ok {
			t.Errorf("server span %s is not a child of its client span", sp.Operation)
		}
	}
	for range 2 {
		sp := <-inCtx
		if sp == nil {
			t.Error("no span in the handler's context")
			continue
		}
		if ms, ok := sp.Context().(mock.SpanContext); !ok || !ids[ms.SpanID] {
			t.Errorf("the handler's span %v is not a recorded server span", sp.Context())
		}
	}
	for _, sp := range spans {
		if sp.Tags["rpc.grpc.messages_sent"] != nil && sp.Operation == "/grpc.testing.TestService/FullDuplexCall" {
			if v, _ := rvTag(sp, "rpc.grpc.messages_sent"); v != "2" {
				t.Errorf("%s span of the bidi stream: messages_sent %s, want 2 (counted once)", rvKind(sp), v)
			}
		}
	}
	if n := m.DoubleFinishes(); n != 0 {
		t.Errorf("%d double finishes", n)
	}
}

// Secret metadata named in WithMetadata never shows; binary keys are never
// tagged; plain keys are.
func TestHostileMetadataRedaction(t *testing.T) {
	const secret = "s3cr3tV4lue"
	for _, mode := range rvModes {
		t.Run(mode, func(t *testing.T) {
			tr, m := newTracer(t, core.WithTraceAll(true))
			keys := grpctrace.WithMetadata("Authorization", "cookie", "x-api-key", "x-trace-bin", "x-note", "x-multi", "x-url",
				"x-forwarded-authorization", "proxy-authorization", "x-session-id", "x-csrf-token")
			_, c := rvPair(t, &rvSvc{}, rvServerOpts(mode, tr, keys), rvDialOpts(mode, tr, keys)...)
			ctx := metadata.AppendToOutgoingContext(context.Background(),
				"authorization", "Bearer "+secret,
				"cookie", "session="+secret,
				"x-api-key", secret,
				"x-trace-bin", string([]byte{0, 1, 2})+secret,
				"x-note", "hello",
				"x-multi", "a",
				"x-multi", "Bearer "+secret+"abcdef",
				"x-url", "https://user:"+secret+"@example.com/p?token="+secret,
				"x-forwarded-authorization", "Basic "+secret,
				"proxy-authorization", secret,
				"x-session-id", secret,
				"x-csrf-token", secret,
			)
			if _, err := c.EmptyCall(ctx, &testgrpc.Empty{}); err != nil {
				t.Fatal(err)
			}
			spans := rvMustSettle(t, tr, m)
			if len(spans) != 2 {
				t.Fatalf("%d spans:\n%s", len(spans), rvList(spans))
			}
			for _, sp := range spans {
				for k, v := range sp.Tags {
					if strings.Contains(fmt.Sprint(v), secret) || strings.Contains(k, secret) {
						t.Errorf("%s span: tag %s=%v leaks the secret", rvKind(sp), k, v)
					}
				}
				for _, l := range sp.Logs {
					if strings.Contains(fmt.Sprint(l.Fields), secret) {
						t.Errorf("%s span: log leaks the secret", rvKind(sp))
					}
				}
				rvWantTag(t, sp, "rpc.grpc.request.metadata.authorization", "REDACTED")
				rvWantTag(t, sp, "rpc.grpc.request.metadata.cookie", "REDACTED")
				rvWantTag(t, sp, "rpc.grpc.request.metadata.x-api-key", "REDACTED")
				rvWantTag(t, sp, "rpc.grpc.request.metadata.x-note", "hello")
				if _, ok := sp.Tags["rpc.grpc.request.metadata.x-trace-bin"]; ok {
					t.Errorf("%s span: binary metadata tagged", rvKind(sp))
				}
			}
		})
	}
}

// Malformed trace context in every format: a new root, tagged
// traceplug.extract_error, the call served, the span in the handler's
// context.
func TestHostileMalformedIncomingContext(t *testing.T) {
	cases := []struct {
		format string
		kv     []string
	}{
		{"tracecontext", []string{"traceparent", "00-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-00f067aa0ba902b7-01"}},
		{"tracecontext", []string{"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}},
		{"jaeger", []string{"uber-trace-id", "not:a:valid:id"}},
		{"jaeger", []string{"uber-trace-id", "zz:zz:0:1"}},
		{"b3", []string{"b3", "a3ce929d0e0e4736-00f067aa0ba902b7-x"}},
		{"b3multi", []string{"x-b3-traceid", "nothex", "x-b3-spanid", "nothex", "x-b3-sampled", "1"}},
		{"ottrace", []string{"ot-tracer-traceid", "zz", "ot-tracer-spanid", "zz", "ot-tracer-sampled", "true"}},
	}
	for _, mode := range rvModes {
		for i, tc := range cases {
			t.Run(fmt.Sprintf("%s/%s/%d", mode, tc.format, i), func(t *testing.T) {
				tr, m := newTracer(t, core.WithTraceAll(true), core.WithPropagation(tc.format))
				inCtx := make(chan opentracing.Span, 1)
				svc := &rvSvc{empty: func(ctx context.Context) error { inCtx <- opentracing.SpanFromContext(ctx); return nil }}
				_, c := rvPair(t, svc, rvServerOpts(mode, tr)) // an untraced client: the metadata is the test's
				ctx := metadata.AppendToOutgoingContext(context.Background(), tc.kv...)
				if _, err := c.EmptyCall(ctx, &testgrpc.Empty{}); err != nil {
					t.Fatalf("the call failed: %v", err)
				}
				if <-inCtx == nil {
					t.Error("no span in the handler's context")
				}
				spans := rvMustSettle(t, tr, m)
				server := rvOne(t, spans, "server")
				if server.ParentID != 0 {
					t.Errorf("malformed context continued: parent %x", server.ParentID)
				}
				if _, ok := server.Tags["traceplug.extract_error"]; !ok {
					t.Errorf("no traceplug.extract_error tag; tags %v", server.Tags)
				}
			})
		}
	}
}

// A huge metadata value is capped in its tag; thousands of baggage entries
// are held to the limits, and the call is served, continuing the trace.
func TestHostileHugeMetadataAndBaggage(t *testing.T) {
	const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	const hi, lo, parent = 0x4bf92f3577b34da6, 0xa3ce929d0e0e4736, 0x00f067aa0ba902b7
	for _, mode := range rvModes {
		for _, format := range []string{"tracecontext,baggage", "jaeger"} {
			t.Run(mode+"/"+format, func(t *testing.T) {
				tr, m := newTracer(t, core.WithTraceAll(true), core.WithPropagation(format))
				_, c := rvPair(t, &rvSvc{}, rvServerOpts(mode, tr, grpctrace.WithMetadata("x-huge")))
				kv := []string{"x-huge", strings.Repeat("h", 200_000)}
				if format == "jaeger" {
					kv = append(kv, "uber-trace-id", fmt.Sprintf("%x:%x:0:1", uint64(lo), uint64(parent)))
					for i := range 3000 {
						kv = append(kv, fmt.Sprintf("uberctx-k%d", i), fmt.Sprintf("v%d", i))
					}
				} else {
					kv = append(kv, "traceparent", traceparent)
					items := make([]string, 5000)
					for i := range items {
						items[i] = fmt.Sprintf("k%d=v%d", i, i)
					}
					kv = append(kv, "baggage", strings.Join(items, ","))
				}
				ctx := metadata.AppendToOutgoingContext(context.Background(), kv...)
				if _, err := c.EmptyCall(ctx, &testgrpc.Empty{}); err != nil {
					t.Fatalf("the call failed: %v", err)
				}
				spans := rvMustSettle(t, tr, m)
				server := rvOne(t, spans, "server")
				if v, _ := rvTag(server, "rpc.grpc.request.metadata.x-huge"); len(v) > core.DefaultMaxTagLength || !strings.HasPrefix(v, "hhh") {
					t.Errorf("x-huge tagged with %d bytes, want at most %d", len(v), core.DefaultMaxTagLength)
				}
				if server.TraceID != lo || server.ParentID != parent || (format != "jaeger" && server.TraceIDHigh != hi) {
					t.Errorf("trace not continued: trace %x%x parent %x", server.TraceIDHigh, server.TraceID, server.ParentID)
				}
				size := 0
				for k, v := range server.Baggage {
					size += len(k) + len(v)
				}
				if len(server.Baggage) > core.DefaultMaxBaggageItems || size > core.DefaultMaxBaggageBytes {
					t.Errorf("baggage of %d items, %d bytes: over the limits", len(server.Baggage), size)
				}
			})
		}
	}
}

// Many concurrent calls of every shape, some cancelled, some past their
// deadline: every span finishes once, two per call.
func TestHostileConcurrentMixed(t *testing.T) {
	for _, mode := range rvModes {
		t.Run(mode, func(t *testing.T) {
			rvNoLeaks(t)
			tr, m := newTracer(t, core.WithTraceAll(true))
			svc := &rvSvc{
				unary: func(ctx context.Context, req *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
					if req.GetResponseSize() == 1 {
						<-ctx.Done()
						return nil, ctx.Err()
					}
					if req.GetResponseSize() == 2 {
						return nil, status.Error(codes.Internal, "boom")
					}
					return &testgrpc.SimpleResponse{}, nil
				},
				out: func(_ *testgrpc.StreamingOutputCallRequest, s testgrpc.TestService_StreamingOutputCallServer) error {
					for {
						if err := s.Send(&testgrpc.StreamingOutputCallResponse{}); err != nil {
							return err
						}
						if s.Context().Err() != nil {
							return s.Context().Err()
						}
					}
				},
			}
			_, c := rvPair(t, svc, rvServerOpts(mode, tr), rvDialOpts(mode, tr)...)
			const n = 200
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					switch i % 5 {
					case 0:
						_, _ = c.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
					case 1:
						ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
						defer cancel()
						_, _ = c.UnaryCall(ctx, &testgrpc.SimpleRequest{ResponseSize: 1})
					case 2:
						_, _ = c.UnaryCall(context.Background(), &testgrpc.SimpleRequest{ResponseSize: 2})
					case 3:
						ctx, cancel := context.WithCancel(context.Background())
						defer cancel()
						s, err := c.StreamingOutputCall(ctx, &testgrpc.StreamingOutputCallRequest{})
						if err == nil {
							_, _ = s.Recv()
							_, _ = s.Recv()
						}
						cancel()
					case 4:
						s, err := c.FullDuplexCall(context.Background())
						if err == nil {
							_ = s.Send(&testgrpc.StreamingOutputCallRequest{})
							_, _ = s.Recv()
							_ = s.CloseSend()
							_, _ = s.Recv()
						}
					}
				}()
			}
			wg.Wait()
			spans := rvMustSettle(t, tr, m)
			// Every call but those whose 20ms deadline may pass before the
			// server sees them has a server span.
			clients, servers := map[string]int{}, map[string]int{}
			for _, sp := range spans {
				if rvKind(sp) == "client" {
					clients[sp.Operation]++
				} else {
					servers[sp.Operation]++
				}
			}
			const u, so, bd = "/grpc.testing.TestService/UnaryCall", "/grpc.testing.TestService/StreamingOutputCall", "/grpc.testing.TestService/FullDuplexCall"
			// Under a stats handler, a call whose deadline passes before
			// gRPC makes its first attempt (while the connection comes up)
			// reaches no stats handler at all: grpc-go calls TagRPC per
			// attempt, after checking the context. So the 20ms calls may
			// lack a client span there; under the interceptors, never.
			minUnary := 3 * n / 5
			if mode == "stats" {
				minUnary = 2 * n / 5
			}
			if clients[u] < minUnary || clients[u] > 3*n/5 || clients[so] != n/5 || clients[bd] != n/5 {
				t.Errorf("client spans %v for %d calls of each shape", clients, n/5)
			}
			if servers[u] < 2*n/5 || servers[u] > 3*n/5 || servers[so] != n/5 || servers[bd] != n/5 {
				t.Errorf("server spans %v for %d calls of each shape", servers, n/5)
			}
			if d := m.DoubleFinishes(); d != 0 {
				t.Errorf("%d double finishes", d)
			}
			for _, sp := range spans {
				if !strings.HasPrefix(sp.Operation, "/grpc.testing.TestService/") {
					t.Errorf("span named %q", sp.Operation)
				}
				if _, ok := sp.Tags["rpc.grpc.status_code"]; !ok {
					t.Errorf("%s span %s without a status", rvKind(sp), sp.Operation)
				}
			}
		})
	}
}

// Methods a client makes up, through an unknown service handler: the server
// span is named grpctrace.UnknownMethod, whatever instrument, whatever the
// name's length; its tags are capped.
func TestHostileUnknownMethodNames(t *testing.T) {
	proxy := grpc.UnknownServiceHandler(func(_ any, s grpc.ServerStream) error {
		var m testgrpc.Empty
		if err := s.RecvMsg(&m); err != nil {
			return err
		}
		return s.SendMsg(&m)
	})
	for _, mode := range []string{"stats", "stream-interceptor", "both"} {
		t.Run(mode, func(t *testing.T) {
			tr, m := newTracer(t, core.WithTraceAll(true), core.WithMaxTagLength(64))
			opts := []grpc.ServerOption{proxy}
			if mode != "stream-interceptor" {
				opts = append(opts, grpc.StatsHandler(grpctrace.ServerHandler(tr)))
			}
			if mode != "stats" {
				opts = append(opts, grpc.ChainStreamInterceptor(grpctrace.StreamServerInterceptor(tr)))
			}
			addr := rvListen(t, opts, func(*grpc.Server) {})
			cc := rvDial(t, addr)
			names := []string{
				fmt.Sprintf("/rnd%x.Svc/M%x", rand.Uint64(), rand.Uint64()),
				"/" + strings.Repeat("s", 300) + "/" + strings.Repeat("m", 300),
				fmt.Sprintf("/grpc.testing.TestService/Nope%x", rand.Uint64()), // a known service, an unknown method
				"/a/b/c/d",
			}
			for _, name := range names {
				if err := cc.Invoke(context.Background(), name, &testgrpc.Empty{}, &testgrpc.Empty{}); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			spans := rvMustSettle(t, tr, m)
			if len(spans) != len(names) {
				t.Fatalf("%d spans for %d calls:\n%s", len(spans), len(names), rvList(spans))
			}
			for _, sp := range spans {
				if sp.Operation != grpctrace.UnknownMethod {
					t.Errorf("server span named %.80q, want %q", sp.Operation, grpctrace.UnknownMethod)
				}
				for _, k := range []string{"rpc.service", "rpc.method"} {
					if v, _ := rvTag(sp, k); len(v) > 64 {
						t.Errorf("tag %s has %d bytes, over the cap of 64", k, len(v))
					}
				}
			}
		})
	}
}

// A service registered by hand (a grpc.ServiceDesc with no protobuf file
// descriptor linked in: another codec, a hand-written or non-protoc stub).
// Its methods are the server's own, routed to a registered handler: the span
// must be named after the method, not grpctrace.UnknownMethod.
func TestHostileHandRegisteredServiceNames(t *testing.T) {
	desc := grpc.ServiceDesc{
		ServiceName: "review.Hand",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Echo",
			Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
				in := new(testgrpc.Empty)
				if err := dec(in); err != nil {
					return nil, err
				}
				h := func(ctx context.Context, req any) (any, error) { return req, nil }
				if ic == nil {
					return h(ctx, in)
				}
				return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/review.Hand/Echo"}, h)
			},
		}},
		Streams: []grpc.StreamDesc{{
			StreamName: "Chat", ServerStreams: true, ClientStreams: true,
			Handler: func(_ any, s grpc.ServerStream) error {
				var m testgrpc.Empty
				if err := s.RecvMsg(&m); err != nil {
					return err
				}
				return s.SendMsg(&m)
			},
		}},
	}
	desc.Streams = append(desc.Streams, grpc.StreamDesc{
		StreamName: "List", ServerStreams: true,
		Handler: func(_ any, s grpc.ServerStream) error {
			var m testgrpc.Empty
			if err := s.RecvMsg(&m); err != nil {
				return err
			}
			return s.SendMsg(&m)
		},
	})
	// A stats handler cannot tell a bidirectional stream of a service
	// without a descriptor from the unknown service handler's (both are
	// bidirectional, and it does not see the server): such a stream is
	// named after its method when WithMethods names it. Interceptors see
	// the service, and unary calls and one-way streams are registered.
	for _, tc := range []struct {
		mode     string
		opts     []grpctrace.Option
		wantChat string
	}{
		{"stats", nil, grpctrace.UnknownMethod},
		{"stats", []grpctrace.Option{grpctrace.WithMethods("/review.Hand/Chat")}, "/review.Hand/Chat"},
		{"interceptors", nil, "/review.Hand/Chat"},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.mode, len(tc.opts)), func(t *testing.T) {
			tr, m := newTracer(t, core.WithTraceAll(true))
			addr := rvListen(t, rvServerOpts(tc.mode, tr, tc.opts...), func(s *grpc.Server) { s.RegisterService(&desc, struct{}{}) })
			cc := rvDial(t, addr)
			if err := cc.Invoke(context.Background(), "/review.Hand/Echo", &testgrpc.Empty{}, &testgrpc.Empty{}); err != nil {
				t.Fatal(err)
			}
			for _, sd := range desc.Streams {
				s, err := cc.NewStream(context.Background(), &sd, "/review.Hand/"+sd.StreamName)
				if err != nil {
					t.Fatal(err)
				}
				_ = s.SendMsg(&testgrpc.Empty{})
				_ = s.CloseSend()
				if err := s.RecvMsg(&testgrpc.Empty{}); err != nil {
					t.Fatal(err)
				}
			}
			spans := rvMustSettle(t, tr, m)
			got := map[string]bool{}
			for _, sp := range spans {
				if fmt.Sprint(sp.Tags["span.kind"]) == "server" {
					got[sp.Operation] = true
				}
			}
			for _, want := range []string{"/review.Hand/Echo", "/review.Hand/List", tc.wantChat} {
				if !got[want] {
					t.Errorf("no server span named %s; spans:\n%s", want, rvList(spans))
				}
			}
		})
	}
}

// A proxy: a server with an unknown service handler that forwards every
// call through a traced client. The method names come from the network;
// the contract says a made-up method must not become a span name, on the
// proxy's client spans either.
func TestHostileProxyClientSpanNames(t *testing.T) {
	tr, m := newTracer(t, core.WithTraceAll(true))
	backend := rvListen(t, nil, func(*grpc.Server) {}) // answers Unimplemented
	out := rvDial(t, backend, grpc.WithStatsHandler(grpctrace.ClientHandler(tr)))
	proxy := grpc.UnknownServiceHandler(func(_ any, s grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(s)
		var req testgrpc.Empty
		if err := s.RecvMsg(&req); err != nil {
			return err
		}
		var resp testgrpc.Empty
		if err := out.Invoke(s.Context(), method, &req, &resp); err != nil {
			return err
		}
		return s.SendMsg(&resp)
	})
	addr := rvListen(t, []grpc.ServerOption{proxy, grpc.StatsHandler(grpctrace.ServerHandler(tr))}, func(*grpc.Server) {})
	cc := rvDial(t, addr)
	made := fmt.Sprintf("/made%x.Up/M%x", rand.Uint64(), rand.Uint64())
	if err := cc.Invoke(context.Background(), made, &testgrpc.Empty{}, &testgrpc.Empty{}); rvCode(err) != codes.Unimplemented {
		t.Fatalf("proxied call: %v, want Unimplemented from the backend", err)
	}
	spans := rvMustSettle(t, tr, m)
	for _, sp := range spans {
		if sp.Operation == made {
			t.Errorf("%s span named after the method a client made up, %q (high cardinality)", rvKind(sp), made)
		}
	}
	servers, clients := rvOfKind(spans, "server"), rvOfKind(spans, "client")
	if len(servers) != 1 || len(clients) != 1 || servers[0].Operation != grpctrace.UnknownMethod || clients[0].Operation != grpctrace.UnknownMethod {
		t.Errorf("want the proxy's server and client spans, both named %s:\n%s", grpctrace.UnknownMethod, rvList(spans))
	}
}

// gRPC retries: with the stats handler, a client span per attempt, each
// server span the child of its own attempt's span; with the interceptor,
// one client span for the call.
func TestHostileClientRetries(t *testing.T) {
	const cfg = `{"methodConfig":[{"name":[{"service":"grpc.testing.TestService"}],
	  "retryPolicy":{"maxAttempts":3,"initialBackoff":"0.01s","maxBackoff":"0.05s","backoffMultiplier":1.5,
	  "retryableStatusCodes":["UNAVAILABLE"]}}]}`
	for _, mode := range rvModes {
		t.Run(mode, func(t *testing.T) {
			tr, m := newTracer(t, core.WithTraceAll(true))
			var attempts atomic.Int32
			svc := &rvSvc{unary: func(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
				if attempts.Add(1) < 3 {
					return nil, status.Error(codes.Unavailable, "try again")
				}
				return &testgrpc.SimpleResponse{}, nil
			}}
			dial := append(rvDialOpts(mode, tr), grpc.WithDefaultServiceConfig(cfg))
			_, c := rvPair(t, svc, rvServerOpts("stats", tr), dial...)
			if _, err := c.UnaryCall(context.Background(), &testgrpc.SimpleRequest{}); err != nil {
				t.Fatalf("call failed after retries: %v (attempts %d)", err, attempts.Load())
			}
			if attempts.Load() != 3 {
				t.Fatalf("%d attempts, want 3 (retries not enabled?)", attempts.Load())
			}
			spans := rvMustSettle(t, tr, m)
			servers, clients := rvOfKind(spans, "server"), rvOfKind(spans, "client")
			if len(servers) != 3 {
				t.Errorf("%d server spans for 3 attempts", len(servers))
			}
			wantClients := 3
			if mode != "stats" {
				wantClients = 1
			}
			if len(clients) != wantClients {
				t.Fatalf("%d client spans, want %d:\n%s", len(clients), wantClients, rvList(spans))
			}
			parents := map[uint64]bool{}
			for _, sp := range servers {
				ok := false
				for _, cl := range clients {
					ok = ok || cl.SpanID == sp.ParentID
				}
				if !ok {
					t.Errorf("server span (parent %x) is no client span's child", sp.ParentID)
				}
				parents[sp.ParentID] = true
			}
			if len(parents) != wantClients {
				t.Errorf("server spans have %d distinct parents, want %d", len(parents), wantClients)
			}
			failed := 0
			for _, cl := range clients {
				if rvIsError(cl) {
					failed++
				}
			}
			if failed != wantClients-1 {
				t.Errorf("%d failed client spans, want %d", failed, wantClients-1)
			}
		})
	}
}

// Calls on a closed ClientConn fail; whatever spans they start end.
func TestHostileCallOnClosedConn(t *testing.T) {
	for _, mode := range rvModes {
		t.Run(mode, func(t *testing.T) {
			rvNoLeaks(t)
			tr, m := newTracer(t, core.WithTraceAll(true))
			cc, c := rvPair(t, &rvSvc{}, rvServerOpts(mode, tr), rvDialOpts(mode, tr)...)
			if _, err := c.EmptyCall(context.Background(), &testgrpc.Empty{}); err != nil {
				t.Fatal(err)
			}
			_ = cc.Close()
			if _, err := c.EmptyCall(context.Background(), &testgrpc.Empty{}); rvCode(err) != codes.Canceled {
				t.Errorf("unary on a closed conn: %v, want Canceled", err)
			}
			if _, err := c.FullDuplexCall(context.Background()); rvCode(err) != codes.Canceled {
				t.Errorf("stream on a closed conn: %v, want Canceled", err)
			}
			spans := rvMustSettle(t, tr, m)
			for _, sp := range rvOfKind(spans, "client")[1:] {
				if !rvIsError(sp) {
					t.Errorf("client span of a call on a closed conn not failed: %v", sp.Tags)
				}
			}
		})
	}
}

// Closing the tracer while calls are in flight does not panic, and every
// span started is finished.
func TestHostileTracerCloseInFlight(t *testing.T) {
	for _, mode := range rvModes {
		t.Run(mode, func(t *testing.T) {
			rvNoLeaks(t)
			tr, m := newTracer(t, core.WithTraceAll(true))
			release := make(chan struct{})
			entered := make(chan struct{}, 64)
			svc := &rvSvc{
				unary: func(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
					entered <- struct{}{}
					<-release
					return &testgrpc.SimpleResponse{}, nil
				},
				bidi: func(s testgrpc.TestService_FullDuplexCallServer) error {
					entered <- struct{}{}
					<-release
					for {
						if _, err := s.Recv(); err == io.EOF {
							return nil
						} else if err != nil {
							return err
						}
						if err := s.Send(&testgrpc.StreamingOutputCallResponse{}); err != nil {
							return err
						}
					}
				},
			}
			_, c := rvPair(t, svc, rvServerOpts(mode, tr), rvDialOpts(mode, tr)...)
			const unary, streams = 20, 5
			errs := make(chan error, unary+streams)
			var wg sync.WaitGroup
			for i := range unary + streams {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i < unary {
						_, err := c.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
						errs <- err
						return
					}
					s, err := c.FullDuplexCall(context.Background())
					if err == nil {
						if err = s.Send(&testgrpc.StreamingOutputCallRequest{}); err == nil {
							if _, err = s.Recv(); err == nil {
								_ = s.CloseSend()
								if _, err = s.Recv(); err == io.EOF {
									err = nil
								}
							}
						}
					}
					errs <- err
				}()
			}
			for range unary + streams {
				<-entered
			}
			var closers sync.WaitGroup
			for range 2 {
				closers.Add(1)
				go func() { defer closers.Done(); _ = tr.Close() }()
			}
			closers.Wait()
			close(release)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("call failed: %v", err)
				}
			}
			// And a call after Close still works.
			if _, err := c.EmptyCall(context.Background(), &testgrpc.Empty{}); err != nil {
				t.Errorf("call after Close: %v", err)
			}
			spans := rvMustSettle(t, tr, m)
			if st := tr.Stats(); st.Started != 2*(unary+streams+1) {
				t.Errorf("started %d spans, want %d", st.Started, 2*(unary+streams+1))
			}
			_ = spans
		})
	}
}

// With several formats listed, a malformed context in the first and a
// valid one in the second: the server continues the first valid one, and
// the call is served.
func TestHostileFirstValidFormatWins(t *testing.T) {
	for _, mode := range rvModes {
		t.Run(mode, func(t *testing.T) {
			tr, m := newTracer(t, core.WithTraceAll(true), core.WithPropagation("tracecontext,b3multi"))
			_, c := rvPair(t, &rvSvc{}, rvServerOpts(mode, tr))
			ctx := metadata.AppendToOutgoingContext(context.Background(),
				"traceparent", "00-zzzz-zzzz-01",
				"x-b3-traceid", "a3ce929d0e0e4736", "x-b3-spanid", "00f067aa0ba902b7", "x-b3-sampled", "1")
			if _, err := c.EmptyCall(ctx, &testgrpc.Empty{}); err != nil {
				t.Fatal(err)
			}
			server := rvOne(t, rvMustSettle(t, tr, m), "server")
			if server.TraceID != 0xa3ce929d0e0e4736 || server.ParentID != 0x00f067aa0ba902b7 {
				t.Errorf("server span trace %x parent %x: the valid b3 context was not continued", server.TraceID, server.ParentID)
			}
		})
	}
}

// Outgoing metadata carrying a malformed context (forwarded from elsewhere,
// or set by hand): the client span is a new root, and the malformed value is
// replaced by the client span's context, not sent beside it.
func TestHostileMalformedOutgoingReplaced(t *testing.T) {
	for _, mode := range rvModes {
		t.Run(mode, func(t *testing.T) {
			tr, m := newTracer(t, core.WithTraceAll(true), core.WithPropagation("tracecontext"))
			md := sentMetadata(t, mode, tr, metadata.Pairs("traceparent", "00-garbage-garbage-01"))
			spans := rvMustSettle(t, tr, m)
			client, server := rvOne(t, spans, "client"), rvOne(t, spans, "server")
			if tp := md.Get("traceparent"); len(tp) != 1 || !strings.Contains(tp[0], hex(client.SpanID)) {
				t.Errorf("server received traceparent %q, want exactly the client span's", tp)
			}
			if client.ParentID != 0 {
				t.Errorf("client span has parent %x, want a new root", client.ParentID)
			}
			if server.ParentID != client.SpanID {
				t.Error("server span is not the client span's child")
			}
		})
	}
}

// Outgoing metadata copied from an incoming call (a proxy's) carries another
// context's tracestate and B3 parent and debug flag: the client drops the
// metadata of the tracer's formats before injecting its own, so none of it
// travels beside the client span's context.
func TestHostileStaleOutgoingContextDropped(t *testing.T) {
	for _, mode := range rvModes {
		t.Run(mode, func(t *testing.T) {
			tr, _ := newTracer(t, core.WithTraceAll(true), core.WithPropagation("tracecontext,b3multi"))
			md := sentMetadata(t, mode, tr,
				metadata.Pairs("tracestate", "stale=1", "x-b3-parentspanid", "00f067aa0ba902b7", "x-b3-flags", "1", "x-app", "kept"))
			for _, k := range []string{"tracestate", "x-b3-parentspanid", "x-b3-flags"} {
				if v := md.Get(k); len(v) != 0 {
					t.Errorf("stale %s %q sent beside the client span's context", k, v)
				}
			}
			if len(md.Get("traceparent")) != 1 || len(md.Get("x-b3-traceid")) != 1 || len(md.Get("x-app")) != 1 {
				t.Errorf("metadata %v: want one traceparent, one x-b3-traceid and the application's own key", md)
			}
		})
	}
}

// The tracer's own additions to the redaction list, and values that are
// secrets by their shape (a JWT) under innocent keys, are redacted in
// metadata tags as in HTTP headers.
func TestHostileMetadataRedactionByListAndShape(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	for _, mode := range rvModes {
		t.Run(mode, func(t *testing.T) {
			tr, m := newTracer(t, core.WithTraceAll(true), core.WithRedactedHeaders("x-private"))
			keys := grpctrace.WithMetadata("x-private-id", "x-note", "x-plain")
			_, c := rvPair(t, &rvSvc{}, rvServerOpts(mode, tr, keys), rvDialOpts(mode, tr, keys)...)
			ctx := metadata.AppendToOutgoingContext(context.Background(),
				"x-private-id", "privatevalue", "x-note", "id "+jwt, "x-plain", "ok")
			if _, err := c.EmptyCall(ctx, &testgrpc.Empty{}); err != nil {
				t.Fatal(err)
			}
			for _, sp := range rvMustSettle(t, tr, m) {
				rvWantTag(t, sp, "rpc.grpc.request.metadata.x-private-id", "REDACTED")
				rvWantTag(t, sp, "rpc.grpc.request.metadata.x-plain", "ok")
				if v, _ := rvTag(sp, "rpc.grpc.request.metadata.x-note"); strings.Contains(v, "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c") {
					t.Errorf("%s span: a JWT tagged in clear: %s", rvKind(sp), v)
				}
			}
		})
	}
}

// sentMetadata makes one call, traced by tr in mode, with out as its
// outgoing metadata, and returns the metadata the server received.
func sentMetadata(t *testing.T, mode string, tr *core.Tracer, out metadata.MD) metadata.MD {
	t.Helper()
	got := make(chan metadata.MD, 1)
	svc := &rvSvc{empty: func(ctx context.Context) error {
		md, _ := metadata.FromIncomingContext(ctx)
		got <- md
		return nil
	}}
	_, c := rvPair(t, svc, rvServerOpts(mode, tr), rvDialOpts(mode, tr)...)
	if _, err := c.EmptyCall(metadata.NewOutgoingContext(context.Background(), out), &testgrpc.Empty{}); err != nil {
		t.Fatal(err)
	}
	return <-got
}
