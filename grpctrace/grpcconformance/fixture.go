package grpcconformance

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/grpctrace"
)

// mode is how calls are traced: gRPC stats handlers, interceptors, or both
// on the server (the handler tracing, the interceptors recording panics).
type mode string

const (
	stats        mode = "stats"
	interceptors mode = "interceptors"
	both         mode = "stats+interceptors"
)

// fixture is one property's world: a collector, the tracers pointed at it,
// the servers and clients they trace.
type fixture struct {
	t    *testing.T
	h    conformance.Harness
	mode mode
	col  conformance.Collector

	mu      sync.Mutex
	tracers []*core.Tracer
}

func newFixture(t *testing.T, h conformance.Harness, m mode) *fixture {
	t.Helper()
	return &fixture{t: t, h: h, mode: m, col: h.Start(t)}
}

// tracer builds a tracer on the backend, pointed at the collector.
func (f *fixture) tracer(opts ...core.Option) *core.Tracer {
	f.t.Helper()
	all := append(append(f.col.Options(), f.h.Options...), opts...)
	tr, err := core.New(f.h.Backend, all...)
	if err != nil {
		f.t.Fatalf("core.New(%q): %v", f.h.Backend, err)
	}
	f.mu.Lock()
	f.tracers = append(f.tracers, tr)
	f.mu.Unlock()
	f.t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// serverOptions are the options that trace a server with tr in the
// fixture's mode; extra server options (interceptors) come first, outermost.
func (f *fixture) serverOptions(tr *core.Tracer, opts []grpctrace.Option, extra ...grpc.ServerOption) []grpc.ServerOption {
	so := append([]grpc.ServerOption(nil), extra...)
	if f.mode == stats || f.mode == both {
		so = append(so, grpc.StatsHandler(grpctrace.ServerHandler(tr, opts...)))
	}
	if f.mode == interceptors || f.mode == both {
		so = append(so,
			grpc.ChainUnaryInterceptor(grpctrace.UnaryServerInterceptor(tr, opts...)),
			grpc.ChainStreamInterceptor(grpctrace.StreamServerInterceptor(tr, opts...)))
	}
	return so
}

// serve starts a gRPC server on 127.0.0.1 with srvOpts, registering the
// test service (svc) and whatever register adds, stopped at the end.
func (f *fixture) serve(srvOpts []grpc.ServerOption, register func(*grpc.Server)) string {
	f.t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.t.Fatal(err)
	}
	srv := grpc.NewServer(srvOpts...)
	register(srv)
	go func() { _ = srv.Serve(lis) }()
	f.t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// server starts the test service traced by tr, in the fixture's mode.
func (f *fixture) server(tr *core.Tracer, svc *service, opts ...grpctrace.Option) string {
	return f.serve(f.serverOptions(tr, opts, svc.options()...), func(s *grpc.Server) {
		testgrpc.RegisterTestServiceServer(s, svc)
	})
}

// conn dials addr, traced by tr in the fixture's mode (nil: untraced).
func (f *fixture) conn(tr *core.Tracer, addr string, opts ...grpctrace.Option) *grpc.ClientConn {
	f.t.Helper()
	do := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if tr != nil {
		if f.mode == interceptors {
			do = append(do,
				grpc.WithChainUnaryInterceptor(grpctrace.UnaryClientInterceptor(tr, opts...)),
				grpc.WithChainStreamInterceptor(grpctrace.StreamClientInterceptor(tr, opts...)))
		} else {
			do = append(do, grpc.WithStatsHandler(grpctrace.ClientHandler(tr, opts...)))
		}
	}
	cc, err := grpc.NewClient("passthrough:///"+addr, do...)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// client is a test service client over conn(tr, addr).
func (f *fixture) client(tr *core.Tracer, addr string, opts ...grpctrace.Option) testgrpc.TestServiceClient {
	return testgrpc.NewTestServiceClient(f.conn(tr, addr, opts...))
}

// settle waits until every span the tracers started has finished: a
// server span ends when the server's handler returns, which can be after
// the client has its answer.
func (f *fixture) settle() {
	f.t.Helper()
	f.mu.Lock()
	tracers := append([]*core.Tracer(nil), f.tracers...)
	f.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for _, tr := range tracers {
		for {
			st := tr.Stats()
			if st.Started == st.Finished {
				break
			}
			if time.Now().After(deadline) {
				f.t.Fatalf("%d spans started, %d finished: a span never ended", st.Started, st.Finished)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// spans waits for the spans in flight to end, closes every tracer, and
// returns what the collector decoded (see [conformance.Drain]).
func (f *fixture) spans() []conformance.Span {
	f.t.Helper()
	f.settle()
	f.mu.Lock()
	tracers := f.tracers
	f.tracers = nil
	f.mu.Unlock()
	sentinel := f.tracer(core.WithServiceName("grpcconformance-sentinel"))
	f.mu.Lock()
	f.tracers = nil // Drain closes it
	f.mu.Unlock()
	return conformance.Drain(f.t, f.col, tracers, sentinel)
}

// need skips the test when the backend lacks c.
func (f *fixture) need(c conformance.Capability) {
	f.t.Helper()
	if reason, lacks := f.h.Lacks[c]; lacks {
		f.t.Skipf("%s lacks %s: %s", f.h.Name, c, reason)
	}
}

func (f *fixture) sameName(got, want string) bool {
	if f.h.FoldsNames {
		return strings.EqualFold(got, want)
	}
	return got == want
}

// ctx is a context for one call, ended with the test.
func (f *fixture) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	f.t.Cleanup(cancel)
	return ctx
}

// select returns the spans match accepts.
func pick(spans []conformance.Span, match func(conformance.Span) bool) []conformance.Span {
	var out []conformance.Span
	for _, s := range spans {
		if match(s) {
			out = append(out, s)
		}
	}
	return out
}

// one returns the only span match accepts.
func one(t *testing.T, spans []conformance.Span, match func(conformance.Span) bool, what string) conformance.Span {
	t.Helper()
	found := pick(spans, match)
	if len(found) != 1 {
		t.Fatalf("want exactly one %s, found %d among %d spans:\n%s", what, len(found), len(spans), list(spans))
	}
	return found[0]
}

func kind(k string) func(conformance.Span) bool {
	return func(s conformance.Span) bool { v, _ := s.Tag("span.kind"); return v == k }
}

func kindOf(k, service string) func(conformance.Span) bool {
	return func(s conformance.Span) bool { v, _ := s.Tag("span.kind"); return v == k && s.Service == service }
}

// tagged matches spans whose tag key is value.
func tagged(key, value string) func(conformance.Span) bool {
	return func(s conformance.Span) bool { v, ok := s.Tag(key); return ok && v == value }
}

func and(a, b func(conformance.Span) bool) func(conformance.Span) bool {
	return func(s conformance.Span) bool { return a(s) && b(s) }
}

func list(spans []conformance.Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString("  ")
		b.WriteString(s.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func wantTag(t *testing.T, s conformance.Span, key, want string) {
	t.Helper()
	got, ok := s.Tag(key)
	switch {
	case !ok:
		t.Errorf("span %q lacks tag %q (tags: %v)", s.Operation, key, s.Tags)
	case got != want:
		t.Errorf("span %q: tag %q = %q, want %q", s.Operation, key, got, want)
	}
}

func wantNoTag(t *testing.T, s conformance.Span, key string) {
	t.Helper()
	if v, ok := s.Tags[key]; ok {
		t.Errorf("span %q has tag %q = %v, want none", s.Operation, key, v)
	}
}

// wantError checks the error tag: "true" when failed, absent or "false"
// otherwise.
func wantError(t *testing.T, s conformance.Span, failed bool) {
	t.Helper()
	v, ok := s.Tag("error")
	if failed && v != "true" {
		t.Errorf("span %q (status %v): error=%q, want true", s.Operation, s.Tags["rpc.grpc.status_code"], v)
	}
	if !failed && ok && v != "false" {
		t.Errorf("span %q (status %v): error=%q, want none", s.Operation, s.Tags["rpc.grpc.status_code"], v)
	}
}

// wantChild checks that child is in parent's trace with parent as its parent.
func wantChild(t *testing.T, child, parent conformance.Span) {
	t.Helper()
	if child.TraceID != parent.TraceID || child.ParentID != parent.SpanID || child.ParentID == "" {
		t.Errorf("span %q [trace %s parent %s] is not a child of %q [trace %s span %s]",
			child.Operation, child.TraceID, child.ParentID, parent.Operation, parent.TraceID, parent.SpanID)
	}
}
