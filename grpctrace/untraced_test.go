package grpctrace_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/grpctrace"
)

// The caller's trace, as another service (an OpenTelemetry one, say) sends
// it.
const (
	callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpan  = "00f067aa0ba902b7"
)

// A call the server does not trace, or whose trace is not sampled, records
// nothing, but the calls its handler makes carry the caller's trace and
// sampling decision on (a new trace's, unsampled, when it came with none).
// Real gRPC over 127.0.0.1: a caller with metadata written by hand, a
// server traced with the tracer whose handler makes an onward call through
// a client traced with the same tracer, and a next hop that keeps what it
// received.
func TestUntracedCallPassesTraceOn(t *testing.T) {
	w3c := func(flags string) metadata.MD {
		return metadata.Pairs("traceparent", "00-"+callerTrace+"-"+callerSpan+"-"+flags)
	}
	never := grpctrace.WithFilter(func(context.Context, string) bool { return false })
	for _, tc := range []struct {
		name      string
		tracer    []core.Option
		server    []grpctrace.Option
		client    []grpctrace.Option
		in        metadata.MD
		newTrace  bool   // the onward call carries a new trace, not the caller's
		flags     string // the onward call's W3C flags
		spans     int    // recorded, every one in the caller's trace
		serverRec bool   // one of them is the server's
	}{
		{name: "trace-all off, sampled", in: w3c("01"), flags: "01", spans: 1},
		{name: "trace-all off, sampled, untraced client", in: w3c("01"), flags: "01",
			client: []grpctrace.Option{grpctrace.WithMethods("/grpc.testing.TestService/UnaryCall")}},
		{name: "trace-all off, not sampled", in: w3c("00"), flags: "00"},
		{name: "filtered out, sampled", tracer: []core.Option{core.WithTraceAll(true)}, server: []grpctrace.Option{never},
			in: w3c("01"), flags: "01", spans: 1},
		{name: "filtered out, not sampled", tracer: []core.Option{core.WithTraceAll(true)}, server: []grpctrace.Option{never},
			in: w3c("00"), flags: "00"},
		{name: "ratio 0, caller undecided", tracer: []core.Option{core.WithTraceAll(true), core.WithSampleRate(0), core.WithPropagation("tracecontext,b3multi")},
			in: metadata.Pairs("x-b3-traceid", callerTrace, "x-b3-spanid", callerSpan), flags: "00"},
		{name: "ratio 0, caller not sampled", tracer: []core.Option{core.WithTraceAll(true), core.WithSampleRate(0)},
			in: w3c("00"), flags: "00"},
		{name: "ratio 0, new trace", tracer: []core.Option{core.WithTraceAll(true), core.WithSampleRate(0)},
			newTrace: true, flags: "00"},
		{name: "ratio 0, caller sampled", tracer: []core.Option{core.WithTraceAll(true), core.WithSampleRate(0)},
			in: w3c("01"), flags: "01", spans: 2, serverRec: true},
	} {
		for _, mode := range rvModes {
			for _, entry := range []string{"unary", "stream"} {
				t.Run(tc.name+"/"+mode+"/"+entry, func(t *testing.T) {
					rvNoLeaks(t)
					tr, m := newTracer(t, tc.tracer...)
					got := make(chan metadata.MD, 1)
					_, next := rvPair(t, &rvSvc{empty: func(ctx context.Context) error {
						md, _ := metadata.FromIncomingContext(ctx)
						got <- md
						return nil
					}}, nil, rvDialOpts(mode, tr, tc.client...)...)
					onward := func(ctx context.Context) error {
						_, err := next.EmptyCall(ctx, &testgrpc.Empty{})
						return err
					}
					_, mid := rvPair(t, &rvSvc{
						empty: onward,
						out: func(_ *testgrpc.StreamingOutputCallRequest, st testgrpc.TestService_StreamingOutputCallServer) error {
							if err := onward(st.Context()); err != nil {
								return err
							}
							return st.Send(&testgrpc.StreamingOutputCallResponse{})
						},
					}, rvServerOpts(mode, tr, tc.server...))

					ctx := metadata.NewOutgoingContext(context.Background(), tc.in)
					if entry == "unary" {
						if _, err := mid.EmptyCall(ctx, &testgrpc.Empty{}); err != nil {
							t.Fatal(err)
						}
					} else {
						st, err := mid.StreamingOutputCall(ctx, &testgrpc.StreamingOutputCallRequest{})
						if err != nil {
							t.Fatal(err)
						}
						if _, err := st.Recv(); err != nil {
							t.Fatal(err)
						}
					}
					md := <-got

					tp := md.Get("traceparent")
					if len(tp) != 1 {
						t.Fatalf("the onward call carried traceparent %q, want one (metadata %v)", tp, md)
					}
					trace, span, flags := parseTraceparent(t, tp[0])
					switch {
					case tc.newTrace && (trace == callerTrace || strings.Trim(trace, "0") == ""):
						t.Errorf("traceparent %s: want a new, valid trace id", tp[0])
					case !tc.newTrace && trace != callerTrace:
						t.Errorf("traceparent %s: want the caller's trace %s", tp[0], callerTrace)
					}
					if strings.Trim(span, "0") == "" {
						t.Errorf("traceparent %s: want a valid span id", tp[0])
					}
					if flags != tc.flags {
						t.Errorf("traceparent %s: flags %s, want %s", tp[0], flags, tc.flags)
					}
					if b3 := md.Get("x-b3-traceid"); len(b3) > 0 {
						// Both formats of the list say the same.
						if want := map[string]string{"00": "0", "01": "1"}[tc.flags]; b3[0] != trace || fmt.Sprint(md.Get("x-b3-sampled")) != "["+want+"]" {
							t.Errorf("b3: trace %s, sampled %v, want %s, %s", b3[0], md.Get("x-b3-sampled"), trace, want)
						}
					}

					spans := rvMustSettle(t, tr, m)
					if st := tr.Stats(); len(spans) != tc.spans || st.Started != uint64(tc.spans) || st.Finished != uint64(tc.spans) {
						t.Fatalf("%d spans recorded, Stats %+v; want %d:\n%s", len(spans), st, tc.spans, rvList(spans))
					}
					if tc.spans == 0 {
						if span == callerSpan == tc.newTrace {
							t.Errorf("traceparent %s: span id %s; an unrecorded hop passes on the caller's own", tp[0], span)
						}
						return
					}
					client := rvOne(t, spans, "client")
					if got := fmt.Sprintf("%016x", client.SpanID); got != span {
						t.Errorf("the onward call carried span %s, want its client span %s", span, got)
					}
					parent := callerSpan
					if tc.serverRec {
						server := rvOne(t, spans, "server")
						if fmt.Sprintf("%016x", server.ParentID) != callerSpan {
							t.Errorf("server span's parent %x, want the caller's %s", server.ParentID, callerSpan)
						}
						parent = fmt.Sprintf("%016x", server.SpanID)
					}
					if got := fmt.Sprintf("%016x", client.ParentID); got != parent {
						t.Errorf("client span's parent %s, want %s", got, parent)
					}
					for _, s := range spans {
						if got := fmt.Sprintf("%016x%016x", s.TraceIDHigh, s.TraceID); got != callerTrace {
							t.Errorf("%s span in trace %s, want the caller's %s", rvKind(s), got, callerTrace)
						}
					}
				})
			}
		}
	}
}

// parseTraceparent splits a W3C traceparent into its trace id, parent id
// and flags.
func parseTraceparent(t *testing.T, tp string) (trace, span, flags string) {
	t.Helper()
	f := strings.Split(tp, "-")
	if len(f) != 4 || f[0] != "00" || len(f[1]) != 32 || len(f[2]) != 16 || len(f[3]) != 2 {
		t.Fatalf("traceparent %q is malformed", tp)
	}
	for _, h := range f[1:] {
		if _, err := strconv.ParseUint(h[:min(len(h), 16)], 16, 64); err != nil {
			t.Fatalf("traceparent %q is malformed: %v", tp, err)
		}
	}
	return f[1], f[2], f[3]
}

// The server's untraced path, for a call whose metadata holds no trace,
// allocates nothing: the handler's context is the call's.
func TestUntracedCallWithoutTraceAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	tr, _ := newTracer(t)
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs(
		"content-type", "application/grpc", "user-agent", "grpc-go", "x-request-id", "42"))
	h := grpctrace.ServerHandler(tr)
	info := &stats.RPCTagInfo{FullMethodName: "/grpc.testing.TestService/EmptyCall"}
	if n := testing.AllocsPerRun(100, func() {
		if h.TagRPC(ctx, info) != ctx {
			t.Fatal("TagRPC changed the context of an untraced call without a trace")
		}
	}); n != 0 {
		t.Errorf("ServerHandler: %v allocations, want 0", n)
	}
	icpt := grpctrace.UnaryServerInterceptor(tr)
	uinfo := &grpc.UnaryServerInfo{FullMethod: info.FullMethodName}
	handler := func(hctx context.Context, _ any) (any, error) {
		if hctx != ctx {
			t.Fatal("the interceptor changed the context of an untraced call without a trace")
		}
		return nil, nil
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = icpt(ctx, nil, uinfo, handler) }); n != 0 {
		t.Errorf("UnaryServerInterceptor: %v allocations, want 0", n)
	}
	// With a trace, the handler's context carries it.
	in := metadata.NewIncomingContext(context.Background(), metadata.Pairs("traceparent", "00-"+callerTrace+"-"+callerSpan+"-01"))
	if span := opentracing.SpanFromContext(h.TagRPC(in, info)); span == nil {
		t.Error("no span context in an untraced call's context whose metadata has a trace")
	}
}
