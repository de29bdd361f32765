package grpctrace_test

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/grpctrace"
)

// TestClientHandlerStatusLost replays, event by event, what grpc-go's stats
// handler sees of the calls it reports wrongly: a server's trailers-only
// answer (Unimplemented, say) that closes the stream before the client
// writes its request. SendMsg then gets io.EOF, and the attempt ends with
// End{Error: nil}; the status reaches only the caller, from RecvMsg. A call
// answered with one message that got none cannot be OK: its span must fail.
func TestClientHandlerStatusLost(t *testing.T) {
	trailersOnly := metadata.MD{"content-type": {"application/grpc"}}
	unimplemented := status.Error(codes.Unimplemented, "unknown service conformance.Made")
	for _, tc := range []struct {
		name      string
		begin     stats.Begin
		events    []stats.RPCStats
		end       error
		code      codes.Code
		wantError bool
	}{
		{"unary status lost", stats.Begin{Client: true}, []stats.RPCStats{
			&stats.OutHeader{Client: true}, &stats.InTrailer{Client: true, Trailer: trailersOnly},
		}, nil, codes.Unknown, true},
		{"client stream status lost", stats.Begin{Client: true, IsClientStream: true}, []stats.RPCStats{
			&stats.OutHeader{Client: true}, &stats.InTrailer{Client: true, Trailer: trailersOnly},
		}, nil, codes.Unknown, true},
		{"unary status reported", stats.Begin{Client: true}, []stats.RPCStats{
			&stats.OutHeader{Client: true}, &stats.OutPayload{Client: true}, &stats.InTrailer{Client: true, Trailer: trailersOnly},
		}, unimplemented, codes.Unimplemented, true},
		{"unary OK", stats.Begin{Client: true}, []stats.RPCStats{
			&stats.OutHeader{Client: true}, &stats.OutPayload{Client: true}, &stats.InHeader{Client: true},
			&stats.InPayload{Client: true}, &stats.InTrailer{Client: true},
		}, nil, codes.OK, false},
		{"server stream OK without messages", stats.Begin{Client: true, IsServerStream: true}, []stats.RPCStats{
			&stats.OutHeader{Client: true}, &stats.OutPayload{Client: true}, &stats.InTrailer{Client: true, Trailer: trailersOnly},
		}, nil, codes.OK, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, m := newTracer(t, core.WithTraceAll(true))
			h := grpctrace.ClientHandler(tr)
			ctx := h.TagRPC(context.Background(), &stats.RPCTagInfo{FullMethodName: "/conformance.Made/Up"})
			h.HandleRPC(ctx, &tc.begin)
			for _, e := range tc.events {
				h.HandleRPC(ctx, e)
			}
			h.HandleRPC(ctx, &stats.End{Client: true, Error: tc.end})
			spans := settled(t, tr, m)
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			tags := spans[0].Tags
			if got := fmt.Sprint(tags["rpc.grpc.status_code"]); got != fmt.Sprint(int(tc.code)) {
				t.Errorf("rpc.grpc.status_code = %s, want %d (%v)", got, tc.code, tc.code)
			}
			if got := tags["error"] == true; got != tc.wantError {
				t.Errorf("error = %v, want %v (tags %v)", tags["error"], tc.wantError, tags)
			}
		})
	}
}
