package grpcconformance

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/grpctrace"
)

// property is one check of the contract, run in the listed modes.
type property struct {
	name  string
	run   func(f *fixture)
	modes []mode
}

var (
	handlersAndInterceptors = []mode{stats, interceptors}
	panicModes              = []mode{interceptors, both}
)

var properties = []property{
	{"standard_tags", standardTags, handlersAndInterceptors},
	{"trace_all_and_named_methods", namedMethods, handlersAndInterceptors},
	{"status", statusCodes, handlersAndInterceptors},
	{"streaming", streaming, handlersAndInterceptors},
	{"two_services", twoServices, handlersAndInterceptors},
	{"baggage", baggageAcross, handlersAndInterceptors},
	{"propagation_each_format", propagationEachFormat, handlersAndInterceptors},
	{"malformed_metadata", malformedMetadata, handlersAndInterceptors},
	{"metadata_tags", metadataTags, handlersAndInterceptors},
	{"unknown_methods", unknownMethods, handlersAndInterceptors},
	{"panic", panicking, panicModes},
	{"traced_once", tracedOnce, []mode{both}},
	{"concurrency", concurrency, handlersAndInterceptors},
	{"flush", flush, handlersAndInterceptors},
}

// Run checks grpctrace over the backend h describes against every property,
// each in each of its modes (stats handlers, interceptors) as its own
// subtest, "property/mode", with a fresh collector and fresh tracers. A
// property that needs a capability the backend lacks is skipped with the
// harness's reason.
func Run(t *testing.T, h conformance.Harness) {
	if h.Backend == "" || h.Start == nil {
		t.Fatal("grpcconformance: the Harness needs a Backend name and a Start function")
	}
	for _, p := range properties {
		t.Run(p.name, func(t *testing.T) {
			for _, m := range p.modes {
				t.Run(string(m), func(t *testing.T) { p.run(newFixture(t, h, m)) })
			}
		})
	}
}

const (
	serverService = "grpcconformance-server"
	clientService = "grpcconformance-client"
	thirdService  = "grpcconformance-third"

	unaryMethod = "/grpc.testing.TestService/UnaryCall"
	emptyMethod = "/grpc.testing.TestService/EmptyCall"
	duplex      = "/grpc.testing.TestService/FullDuplexCall"
)

// pair is a traced client service calling a traced server service.
func (f *fixture) pair(serverOpts []core.Option, svc *service, gopts ...grpctrace.Option) (server, client *core.Tracer, c testgrpc.TestServiceClient) {
	server = f.tracer(append([]core.Option{core.WithTraceAll(true), core.WithServiceName(serverService)}, serverOpts...)...)
	client = f.tracer(core.WithTraceAll(true), core.WithServiceName(clientService))
	addr := f.server(server, svc, gopts...)
	return server, client, f.client(client, addr, gopts...)
}

// 1. One server and one client span per call, with the standard tags.
func standardTags(f *fixture) {
	_, _, c := f.pair(nil, newService())
	if _, err := c.UnaryCall(f.ctx(), &testgrpc.SimpleRequest{}); err != nil {
		f.t.Fatal(err)
	}
	spans := f.spans()
	if len(spans) != 2 {
		f.t.Fatalf("want 2 spans (client, server) for 1 call, got %d:\n%s", len(spans), list(spans))
	}
	server := one(f.t, spans, kind("server"), "server span")
	client := one(f.t, spans, kind("client"), "client span")
	for _, s := range []conformance.Span{server, client} {
		if !f.sameName(s.Operation, unaryMethod) {
			f.t.Errorf("span named %q, want %q", s.Operation, unaryMethod)
		}
		wantTag(f.t, s, "component", "traceplug")
		wantTag(f.t, s, "rpc.system", "grpc")
		wantTag(f.t, s, "rpc.service", "grpc.testing.TestService")
		wantTag(f.t, s, "rpc.method", "UnaryCall")
		wantTag(f.t, s, "rpc.grpc.status_code", "0")
		wantError(f.t, s, false)
		wantNoTag(f.t, s, "rpc.grpc.messages_sent")
	}
	if server.Service != serverService || client.Service != clientService {
		f.t.Errorf("services %q and %q, want %q and %q", server.Service, client.Service, serverService, clientService)
	}
	wantTag(f.t, server, "peer.ipv4", "127.0.0.1")
	if _, ok := server.Tag("peer.port"); !ok {
		f.t.Errorf("server span lacks peer.port: %v", server.Tags)
	}
	if v, _ := client.Tag("peer.address"); !strings.Contains(v, "127.0.0.1:") {
		f.t.Errorf("client span peer.address %q, want the server's address (or the target)", v)
	}
	wantChild(f.t, server, client)
	if client.ParentID != "" {
		f.t.Errorf("the client span has parent %s, want a root", client.ParentID)
	}
}

// 2. Trace-all traces every method but health checks; with it off, only the
// named methods; a filter has the last word.
func namedMethods(f *fixture) {
	register := func(svc *service) func(*grpc.Server) {
		return func(s *grpc.Server) {
			testgrpc.RegisterTestServiceServer(s, svc)
			healthpb.RegisterHealthServer(s, health.NewServer())
		}
	}
	svc := newService()
	all := f.tracer(core.WithTraceAll(true), core.WithServiceName("all"))
	named := f.tracer(core.WithServiceName("named"))
	filtered := f.tracer(core.WithTraceAll(true), core.WithServiceName("filtered"))
	noEmpty := func(ctx context.Context, m string) bool { return m != emptyMethod && grpctrace.DefaultFilter(ctx, m) }
	addrs := []string{
		f.serve(f.serverOptions(all, nil, svc.options()...), register(svc)),
		f.serve(f.serverOptions(named, []grpctrace.Option{grpctrace.WithMethods(unaryMethod)}, svc.options()...), register(svc)),
		f.serve(f.serverOptions(filtered, []grpctrace.Option{grpctrace.WithFilter(noEmpty)}, svc.options()...), register(svc)),
	}
	for _, addr := range addrs {
		cc := f.conn(nil, addr) // untraced clients
		c := testgrpc.NewTestServiceClient(cc)
		if _, err := c.UnaryCall(f.ctx(), &testgrpc.SimpleRequest{}); err != nil {
			f.t.Fatal(err)
		}
		if _, err := c.EmptyCall(f.ctx(), &testgrpc.Empty{}); err != nil {
			f.t.Fatal(err)
		}
		if _, err := healthpb.NewHealthClient(cc).Check(f.ctx(), &healthpb.HealthCheckRequest{}); err != nil {
			f.t.Fatal(err)
		}
	}
	spans := f.spans()
	for _, c := range []struct {
		service string
		want    []string
	}{
		{"all", []string{unaryMethod, emptyMethod}},
		{"named", []string{unaryMethod}},
		{"filtered", []string{unaryMethod}},
	} {
		got := pick(spans, func(s conformance.Span) bool { return s.Service == c.service })
		var names []string
		for _, s := range got {
			names = append(names, s.Operation)
		}
		if len(got) != len(c.want) {
			f.t.Errorf("%s: spans %q, want %q", c.service, names, c.want)
			continue
		}
		for _, w := range c.want {
			if len(pick(got, func(s conformance.Span) bool { return f.sameName(s.Operation, w) })) != 1 {
				f.t.Errorf("%s: spans %q, want %q", c.service, names, c.want)
			}
		}
	}
}

// 3. Every status code: the numeric code on both sides, error=true on the
// client for every failure and on the server for the server's failures.
func statusCodes(f *fixture) {
	_, _, c := f.pair(nil, newService(), grpctrace.WithMetadata("x-case"))
	for code := codes.OK; code <= codes.Unauthenticated; code++ {
		ctx := metadata.AppendToOutgoingContext(f.ctx(), "x-case", strconv.Itoa(int(code)))
		_, err := c.UnaryCall(ctx, &testgrpc.SimpleRequest{ResponseStatus: &testgrpc.EchoStatus{Code: int32(code), Message: "conformance " + code.String()}})
		if !isCode(err, code) {
			f.t.Fatalf("call for %v: %v", code, err)
		}
	}
	spans := f.spans()
	serverErrors := map[codes.Code]bool{codes.Unknown: true, codes.DeadlineExceeded: true, codes.Unimplemented: true,
		codes.Internal: true, codes.Unavailable: true, codes.DataLoss: true}
	for code := codes.OK; code <= codes.Unauthenticated; code++ {
		is := tagged("rpc.grpc.request.metadata.x-case", strconv.Itoa(int(code)))
		server := one(f.t, spans, and(is, kind("server")), "server span for "+code.String())
		client := one(f.t, spans, and(is, kind("client")), "client span for "+code.String())
		wantTag(f.t, server, "rpc.grpc.status_code", strconv.Itoa(int(code)))
		wantTag(f.t, client, "rpc.grpc.status_code", strconv.Itoa(int(code)))
		wantError(f.t, server, serverErrors[code])
		wantError(f.t, client, code != codes.OK)
	}
}

// 4. Streams: one span per side for the stream's whole life, with the
// messages counted, however the stream ends.
func streaming(f *fixture) {
	_, _, c := f.pair(nil, newService(), grpctrace.WithMetadata("x-case"))
	call := func(name string) context.Context {
		return metadata.AppendToOutgoingContext(f.ctx(), "x-case", name)
	}
	msg := func(body string) *testgrpc.StreamingOutputCallRequest {
		return &testgrpc.StreamingOutputCallRequest{Payload: &testgrpc.Payload{Body: []byte(body)}}
	}
	// Half-close, then the normal end: three messages each way.
	s, err := c.FullDuplexCall(call("normal"))
	if err != nil {
		f.t.Fatal(err)
	}
	for range 3 {
		if err := s.Send(msg("x")); err != nil {
			f.t.Fatal(err)
		}
		if _, err := s.Recv(); err != nil {
			f.t.Fatal(err)
		}
	}
	_ = s.CloseSend()
	if _, err := s.Recv(); err != io.EOF {
		f.t.Fatalf("normal end: %v", err)
	}
	// The server ends the stream with an error.
	s, _ = c.FullDuplexCall(call("server_error"))
	_ = s.Send(msg("x"))
	_, _ = s.Recv()
	_ = s.Send(&testgrpc.StreamingOutputCallRequest{ResponseStatus: &testgrpc.EchoStatus{Code: int32(codes.Internal), Message: "conformance"}})
	if _, err := s.Recv(); !isCode(err, codes.Internal) {
		f.t.Fatalf("server error: %v", err)
	}
	// The client cancels.
	ctx, cancel := context.WithCancel(call("cancel"))
	s, _ = c.FullDuplexCall(ctx)
	_ = s.Send(msg("x"))
	_, _ = s.Recv()
	cancel()
	if _, err := s.Recv(); !isCode(err, codes.Canceled) {
		f.t.Fatalf("cancel: %v", err)
	}
	// The deadline passes while the server waits.
	ctx, cancel = context.WithTimeout(call("deadline"), 200e6)
	defer cancel()
	s, _ = c.FullDuplexCall(ctx)
	_ = s.Send(msg(blockBody))
	if _, err := s.Recv(); !isCode(err, codes.DeadlineExceeded) {
		f.t.Fatalf("deadline: %v", err)
	}
	// Client streaming: two messages, half-close, one answer.
	in, _ := c.StreamingInputCall(call("client_streaming"))
	_ = in.Send(&testgrpc.StreamingInputCallRequest{})
	_ = in.Send(&testgrpc.StreamingInputCallRequest{})
	if _, err := in.CloseAndRecv(); err != nil {
		f.t.Fatalf("client streaming: %v", err)
	}
	// Server streaming: four answers, read to the end.
	out, _ := c.StreamingOutputCall(call("server_streaming"), &testgrpc.StreamingOutputCallRequest{ResponseParameters: make([]*testgrpc.ResponseParameters, 4)})
	for {
		if _, err := out.Recv(); err != nil {
			if err != io.EOF {
				f.t.Fatalf("server streaming: %v", err)
			}
			break
		}
	}
	spans := f.spans()
	for _, c := range []struct {
		name                       string
		code                       codes.Code
		serverError                bool
		clientSent, clientReceived int // the server's are the other way round
		exact                      bool
	}{
		{"normal", codes.OK, false, 3, 3, true},
		{"server_error", codes.Internal, true, 2, 1, true},
		{"cancel", codes.Canceled, false, 1, 1, false},
		{"deadline", codes.DeadlineExceeded, true, 1, 0, false},
		{"client_streaming", codes.OK, false, 2, 1, true},
		{"server_streaming", codes.OK, false, 1, 4, true},
	} {
		is := tagged("rpc.grpc.request.metadata.x-case", c.name)
		server := one(f.t, spans, and(is, kind("server")), "server span of the "+c.name+" stream")
		client := one(f.t, spans, and(is, kind("client")), "client span of the "+c.name+" stream")
		wantChild(f.t, server, client)
		wantTag(f.t, client, "rpc.grpc.status_code", strconv.Itoa(int(c.code)))
		wantError(f.t, client, c.code != codes.OK)
		if c.exact {
			wantTag(f.t, server, "rpc.grpc.status_code", strconv.Itoa(int(c.code)))
			wantError(f.t, server, c.serverError)
			wantTag(f.t, client, "rpc.grpc.messages_sent", strconv.Itoa(c.clientSent))
			wantTag(f.t, client, "rpc.grpc.messages_received", strconv.Itoa(c.clientReceived))
			wantTag(f.t, server, "rpc.grpc.messages_sent", strconv.Itoa(c.clientReceived))
			wantTag(f.t, server, "rpc.grpc.messages_received", strconv.Itoa(c.clientSent))
		} else {
			// How the server sees a client's cancellation or deadline
			// depends on timing; that it ended, with a status, is the point.
			if _, ok := server.Tag("rpc.grpc.status_code"); !ok {
				f.t.Errorf("the %s stream's server span has no status", c.name)
			}
			for _, s := range []conformance.Span{server, client} {
				if _, ok := s.Tag("rpc.grpc.messages_sent"); !ok {
					f.t.Errorf("the %s stream's %s span has no message counts", c.name, s.Tags["span.kind"])
				}
			}
		}
	}
}

// threeServices is an HTTP front service calling a gRPC service that calls
// a third, each with its own tracer, and returns the front's URL.
func (f *fixture) threeServices() string {
	third := f.tracer(core.WithTraceAll(true), core.WithServiceName(thirdService))
	thirdAddr := f.server(third, newService())
	middle := f.tracer(core.WithTraceAll(true), core.WithServiceName(serverService))
	next := f.client(middle, thirdAddr)
	svc := newService()
	svc.next = func(ctx context.Context) error {
		_, err := next.EmptyCall(ctx, &testgrpc.Empty{})
		return err
	}
	middleAddr := f.server(middle, svc)
	front := f.tracer(core.WithTraceAll(true), core.WithServiceName(clientService))
	c := f.client(front, middleAddr)
	srv := httptest.NewServer(front.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.URL.Query().Get("baggage"); v != "" {
			front.GetSpan(r).SetBaggageItem(baggageKey, v)
		}
		resp, err := c.UnaryCall(r.Context(), &testgrpc.SimpleRequest{})
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		_, _ = io.WriteString(w, resp.GetUsername())
	})))
	f.t.Cleanup(srv.Close)
	return srv.URL
}

func (f *fixture) get(url string) string {
	f.t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		f.t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return string(body)
}

// 5. HTTP → gRPC → gRPC: one trace, each client span the child of the span
// whose handler made it, and the parent of the server span it called.
func twoServices(f *fixture) {
	f.get(f.threeServices())
	spans := f.spans()
	if len(spans) != 5 {
		f.t.Fatalf("want 5 spans (HTTP server, gRPC client, gRPC server, gRPC client, gRPC server), got %d:\n%s", len(spans), list(spans))
	}
	httpSpan := one(f.t, spans, kindOf("server", clientService), "HTTP server span")
	client := one(f.t, spans, kindOf("client", clientService), "gRPC client span of the HTTP handler")
	middle := one(f.t, spans, kindOf("server", serverService), "gRPC server span")
	client2 := one(f.t, spans, kindOf("client", serverService), "gRPC client span of the gRPC handler")
	third := one(f.t, spans, kindOf("server", thirdService), "gRPC server span of the third service")
	wantChild(f.t, client, httpSpan)
	wantChild(f.t, middle, client)
	wantChild(f.t, client2, middle)
	wantChild(f.t, third, client2)
	if !f.sameName(client2.Operation, emptyMethod) {
		f.t.Errorf("nested client span %q, want %q", client2.Operation, emptyMethod)
	}
}

// 6. Baggage set in an HTTP handler reaches the gRPC handler.
func baggageAcross(f *fixture) {
	f.need(conformance.Baggage)
	if got := f.get(f.threeServices() + "?baggage=ann"); got != "ann" {
		f.t.Errorf("the gRPC handler read baggage %q, want ann", got)
	}
	f.spans()
}

// 7. A panic in a handler: error=true and an error log on the server span,
// and the panic goes on.
func panicking(f *fixture) {
	svc := newService()
	_, _, c := f.pair(nil, svc)
	_, err := c.UnaryCall(f.ctx(), &testgrpc.SimpleRequest{Payload: &testgrpc.Payload{Body: []byte(panicBody)}})
	if !isCode(err, codes.Internal) {
		f.t.Errorf("the client got %v, want the recovering interceptor's Internal", err)
	}
	if v := <-svc.recovered; v != "conformance boom" {
		f.t.Errorf("the outer interceptor recovered %v, want the handler's panic", v)
	}
	spans := f.spans()
	server := one(f.t, spans, kind("server"), "server span")
	wantTag(f.t, server, "error", "true")
	if _, lacks := f.h.Lacks[conformance.Logs]; lacks {
		return
	}
	for _, l := range server.Logs {
		if fmt.Sprint(l.Fields["event"]) == "error" && strings.Contains(fmt.Sprint(l.Fields["message"]), "conformance boom") {
			return
		}
	}
	f.t.Errorf("no error log with the panic's message; logs: %v", server.Logs)
}

// 8. A handler and interceptors on one tracer trace a call once.
func tracedOnce(f *fixture) {
	_, _, c := f.pair(nil, newService())
	if _, err := c.UnaryCall(f.ctx(), &testgrpc.SimpleRequest{}); err != nil {
		f.t.Fatal(err)
	}
	s, _ := c.FullDuplexCall(f.ctx())
	_ = s.CloseSend()
	_, _ = s.Recv()
	if n := len(pick(f.spans(), kind("server"))); n != 2 {
		f.t.Errorf("%d server spans for 2 calls", n)
	}
}

// 9. Concurrent calls and streams: a span each, distinct.
func concurrency(f *fixture) {
	const calls, streams = 100, 20
	_, _, c := f.pair(nil, newService(), grpctrace.WithMetadata("x-n"))
	var wg sync.WaitGroup
	errs := make(chan error, calls+streams)
	for i := range calls + streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := metadata.AppendToOutgoingContext(f.ctx(), "x-n", strconv.Itoa(i))
			if i < calls {
				_, err := c.UnaryCall(ctx, &testgrpc.SimpleRequest{})
				errs <- err
				return
			}
			s, err := c.FullDuplexCall(ctx)
			if err == nil {
				_ = s.Send(&testgrpc.StreamingOutputCallRequest{})
				_, err = s.Recv()
				_ = s.CloseSend()
				_, _ = s.Recv()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			f.t.Fatal(err)
		}
	}
	spans := f.spans()
	if len(spans) != 2*(calls+streams) {
		f.t.Fatalf("%d spans for %d calls", len(spans), calls+streams)
	}
	ids, marks := map[string]bool{}, map[string]bool{}
	for _, s := range pick(spans, kind("server")) {
		ids[s.SpanID] = true
		v, _ := s.Tag("rpc.grpc.request.metadata.x-n")
		marks[v] = true
	}
	if len(ids) != calls+streams || len(marks) != calls+streams {
		f.t.Errorf("%d distinct server span ids, %d distinct calls, for %d calls", len(ids), len(marks), calls+streams)
	}
}

// 10. Every span of every call reaches the collector on Close.
func flush(f *fixture) {
	const n = 300
	_, _, c := f.pair(nil, newService())
	for range n {
		if _, err := c.EmptyCall(f.ctx(), &testgrpc.Empty{}); err != nil {
			f.t.Fatal(err)
		}
	}
	if spans := f.spans(); len(spans) != 2*n {
		f.t.Errorf("%d calls made %d spans, the collector has %d", n, 2*n, len(spans))
	}
}

// 11. Metadata is tagged only when named, and then redacted and capped as
// HTTP headers are.
func metadataTags(f *fixture) {
	plain := f.tracer(core.WithTraceAll(true), core.WithServiceName("plain"))
	tagging := f.tracer(core.WithTraceAll(true), core.WithServiceName("tagging"), core.WithMaxTagLength(64))
	secrets := []string{"bearer-s3cret", "apikey-s3cret", "token-s3cret"}
	ctx := metadata.AppendToOutgoingContext(f.ctx(),
		"authorization", "Bearer bearer-s3cret", "x-api-key", "apikey-s3cret", "x-auth-token", "token-s3cret",
		"x-user", "ann", "x-long", strings.Repeat("l", 500))
	for _, tr := range []*core.Tracer{plain, tagging} {
		var opts []grpctrace.Option
		if tr == tagging {
			opts = append(opts, grpctrace.WithMetadata("authorization", "x-api-key", "x-auth-token", "X-User", "x-long"))
		}
		addr := f.server(tr, newService(), opts...)
		if _, err := f.client(tr, addr, opts...).EmptyCall(ctx, &testgrpc.Empty{}); err != nil {
			f.t.Fatal(err)
		}
	}
	spans := f.spans()
	for _, s := range spans {
		for k, v := range s.Tags {
			if s.Service == "plain" && strings.HasPrefix(k, "rpc.grpc.request.metadata.") {
				f.t.Errorf("metadata tagged by default: %s=%v", k, v)
			}
			for _, secret := range secrets {
				if strings.Contains(fmt.Sprint(v), secret) {
					f.t.Errorf("tag %s leaks %q", k, secret)
				}
			}
		}
	}
	for _, k := range []string{"server", "client"} {
		s := one(f.t, spans, kindOf(k, "tagging"), k+" span of the tagging service")
		wantTag(f.t, s, "rpc.grpc.request.metadata.x-user", "ann")
		wantTag(f.t, s, "rpc.grpc.request.metadata.authorization", "REDACTED")
		if v, _ := s.Tag("rpc.grpc.request.metadata.x-long"); len(v) > 64 || !strings.HasPrefix(v, "lll") {
			f.t.Errorf("x-long tagged %d bytes (%.20q...), want at most 64", len(v), v)
		}
	}
}

// 12. A method the server does not know: no span at all when gRPC rejects
// it, a neutral name under an unknown service handler; the client's span
// says Unimplemented.
func unknownMethods(f *fixture) {
	server := f.tracer(core.WithTraceAll(true), core.WithServiceName(serverService))
	client := f.tracer(core.WithTraceAll(true), core.WithServiceName(clientService))
	plainAddr := f.server(server, newService())
	proxy := grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		var m testgrpc.Empty
		if err := stream.RecvMsg(&m); err != nil {
			return err
		}
		return stream.SendMsg(&m)
	})
	proxyAddr := f.serve(f.serverOptions(server, nil, proxy), func(s *grpc.Server) {})
	made := "/conformance.Made/Up" + strconv.Itoa(int(f.t.Name()[0]))
	if err := f.conn(client, plainAddr).Invoke(f.ctx(), made, &testgrpc.Empty{}, &testgrpc.Empty{}); !isCode(err, codes.Unimplemented) {
		f.t.Fatalf("unknown method: %v, want Unimplemented", err)
	}
	if err := f.conn(client, proxyAddr).Invoke(f.ctx(), made, &testgrpc.Empty{}, &testgrpc.Empty{}); err != nil {
		f.t.Fatalf("unknown service handler: %v", err)
	}
	spans := f.spans()
	for _, s := range pick(spans, kind("server")) {
		if !f.sameName(s.Operation, grpctrace.UnknownMethod) {
			f.t.Errorf("server span named %q, want %q", s.Operation, grpctrace.UnknownMethod)
		}
	}
	one(f.t, spans, kind("server"), "server span (the unknown service handler's)")
	clients := pick(spans, kind("client"))
	if len(clients) != 2 {
		f.t.Fatalf("want 2 client spans, got:\n%s", list(spans))
	}
	one(f.t, clients, tagged("rpc.grpc.status_code", "0"), "client span of the proxied call (OK)")
	rejected := one(f.t, clients, func(s conformance.Span) bool { v, _ := s.Tag("rpc.grpc.status_code"); return v != "0" }, "client span of the rejected call (not OK)")
	// It says Unimplemented. Under a stats handler it may say Unknown: when
	// the server's answer beats the request onto the wire, gRPC ends the
	// attempt as OK and gives the status to the caller only (see
	// grpctrace.ClientHandler); the span is then failed, its code unknown.
	code, _ := rejected.Tag("rpc.grpc.status_code")
	if code != strconv.Itoa(int(codes.Unimplemented)) && (f.mode != stats || code != strconv.Itoa(int(codes.Unknown))) {
		f.t.Errorf("client span of the rejected call: status %s, want %d (Unimplemented)", code, codes.Unimplemented)
	}
	wantError(f.t, rejected, true)
	if !f.sameName(rejected.Operation, made) {
		f.t.Errorf("client span named %q, want the method the client called, %q", rejected.Operation, made)
	}
}
