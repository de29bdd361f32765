package grpcconformance

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// toMetadata turns HTTP headers into gRPC metadata: lower-case keys.
func toMetadata(h http.Header) metadata.MD {
	md := metadata.MD{}
	for k, vs := range h {
		md[strings.ToLower(k)] = append(md[strings.ToLower(k)], vs...)
	}
	return md
}

// toHeader turns metadata into an http.Header.
func toHeader(md metadata.MD) http.Header {
	h := http.Header{}
	for k, vs := range md {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return h
}

// recorder is an untraced gRPC server that keeps the metadata of the last
// call it received.
type recorder struct {
	testgrpc.UnimplementedTestServiceServer
	mu sync.Mutex
	md metadata.MD
}

func (r *recorder) EmptyCall(ctx context.Context, _ *testgrpc.Empty) (*testgrpc.Empty, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	r.mu.Lock()
	r.md = md
	r.mu.Unlock()
	return &testgrpc.Empty{}, nil
}

func (r *recorder) last() metadata.MD {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.md
}

// relay is a service traced by tr whose handler calls a recorder through a
// client traced by tr, and answers with the baggage it read.
func (f *fixture) relay(tr *core.Tracer) (testgrpc.TestServiceClient, *recorder) {
	rec := &recorder{}
	recAddr := f.serve(nil, func(s *grpc.Server) { testgrpc.RegisterTestServiceServer(s, rec) })
	next := f.client(tr, recAddr)
	svc := newService()
	svc.next = func(ctx context.Context) error {
		_, err := next.EmptyCall(ctx, &testgrpc.Empty{})
		return err
	}
	return f.client(nil, f.server(tr, svc)), rec
}

var propagationFormats = []string{"tracecontext", "b3", "b3multi", "jaeger", "ottrace"}

// 13. Each format alone, over metadata: an incoming context is continued
// with its baggage, and the outgoing call carries the client span in it.
func propagationEachFormat(f *fixture) {
	for _, format := range propagationFormats {
		f.t.Run(format, func(t *testing.T) {
			g := newFixture(t, f.h, f.mode)
			list := format
			if format == "tracecontext" {
				list = "tracecontext,baggage"
			}
			tr := g.tracer(core.WithTraceAll(true), core.WithPropagation(list), core.WithServiceName(serverService))
			c, rec := g.relay(tr)
			in := conformance.Context{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7", Sampled: true,
				Baggage: map[string]string{baggageKey: "ann"}}
			if _, lacks := g.h.Lacks[conformance.TraceID128]; lacks || format == "ottrace" {
				in.TraceID = "a3ce929d0e0e4736"
			}
			ctx := metadata.NewOutgoingContext(g.ctx(), toMetadata(conformance.Headers(format, in)))
			resp, err := c.UnaryCall(ctx, &testgrpc.SimpleRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if _, lacks := g.h.Lacks[conformance.Baggage]; !lacks && resp.GetUsername() != "ann" {
				t.Errorf("the handler read baggage %q, want ann", resp.GetUsername())
			}
			spans := g.spans()
			server := one(t, spans, kind("server"), "server span")
			client := one(t, spans, kind("client"), "client span")
			if server.TraceID != conformance.NormalizeID(in.TraceID) || server.ParentID != conformance.NormalizeID(in.SpanID) {
				t.Errorf("server span [trace %s parent %s], want the incoming %s context [trace %s parent %s]",
					server.TraceID, server.ParentID, format, conformance.NormalizeID(in.TraceID), conformance.NormalizeID(in.SpanID))
			}
			wantNoTag(t, server, "traceplug.extract_error")
			wantChild(t, client, server)
			out := toHeader(rec.last())
			trace, parent := conformance.HeaderIDs(format, out)
			if trace != server.TraceID || parent != client.SpanID {
				t.Errorf("outgoing %s metadata carries [trace %s span %s], want [trace %s span %s] (metadata %v)",
					format, trace, parent, server.TraceID, client.SpanID, out)
			}
			if _, lacks := g.h.Lacks[conformance.Baggage]; !lacks {
				if v := conformance.HeaderBaggage(format, baggageKey, out); v != "ann" {
					t.Errorf("outgoing %s baggage %s=%q, want ann (metadata %v)", format, baggageKey, v, out)
				}
			}
		})
	}
}

// genericMalformed are broken contexts in no backend's format in particular.
var genericMalformed = []conformance.Malformed{
	{Name: "b3 garbage", Header: http.Header{"X-B3-Traceid": {"not-hex!"}, "X-B3-Spanid": {"zz"}}},
	{Name: "b3 single garbage", Header: http.Header{"B3": {"----"}}},
	{Name: "uber garbage", Header: http.Header{"Uber-Trace-Id": {"::::"}}},
	{Name: "lightstep garbage", Header: http.Header{"Ot-Tracer-Traceid": {"xyz"}, "Ot-Tracer-Spanid": {"-1"}}},
	{Name: "huge", Header: http.Header{"X-B3-Traceid": {strings.Repeat("f", 4096)}, "Uber-Trace-Id": {strings.Repeat("9", 4096)}}},
	{Name: "traceparent garbage", Header: http.Header{"Traceparent": {"00-zz-zz-01"}}},
}

// 14. Malformed metadata: the call is served under a new root trace; a
// context the tracer reads and cannot continue says why.
func malformedMetadata(f *fixture) {
	cases := append(append([]conformance.Malformed(nil), f.h.MalformedHeaders...), genericMalformed...)
	for _, c := range cases {
		f.t.Run(c.Name, func(t *testing.T) {
			g := newFixture(t, f.h, f.mode)
			tr := g.tracer(core.WithTraceAll(true))
			client := g.client(nil, g.server(tr, newService()))
			ctx := metadata.NewOutgoingContext(g.ctx(), toMetadata(c.Header))
			if _, err := client.UnaryCall(ctx, &testgrpc.SimpleRequest{}); err != nil {
				t.Fatalf("not served: %v", err)
			}
			s := one(t, g.spans(), kind("server"), "server span")
			if s.ParentID != "" {
				t.Errorf("span has parent %s: a malformed context must start a new root trace", s.ParentID)
			}
		})
	}
	f.t.Run("extract_error", func(t *testing.T) {
		g := newFixture(t, f.h, f.mode)
		tr := g.tracer(core.WithTraceAll(true), core.WithPropagation("tracecontext,baggage"))
		client := g.client(nil, g.server(tr, newService()))
		ctx := metadata.AppendToOutgoingContext(g.ctx(), "traceparent", "00-"+strings.Repeat("x", 5000))
		if _, err := client.UnaryCall(ctx, &testgrpc.SimpleRequest{}); err != nil {
			t.Fatalf("not served: %v", err)
		}
		s := one(t, g.spans(), kind("server"), "server span")
		msg, ok := s.Tag("traceplug.extract_error")
		if !ok || s.ParentID != "" {
			t.Errorf("an invalid traceparent: parent %q, traceplug.extract_error %q (present %v); want a new root that says why", s.ParentID, msg, ok)
		}
		if len(msg) > 1024 {
			t.Errorf("traceplug.extract_error is %d bytes: it must not quote hostile metadata whole", len(msg))
		}
	})
}
