package interop_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	oteltrace "go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/grpctrace"
)

// countingProcessor is an application's own span processor: it sees each
// span start and end, as a vendor's or a metrics processor would.
type countingProcessor struct {
	mu            sync.Mutex
	started, ends map[string]int
}

func (p *countingProcessor) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	p.mu.Lock()
	p.started[s.Name()]++
	p.mu.Unlock()
}

func (p *countingProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	p.mu.Lock()
	p.ends[s.Name()]++
	p.mu.Unlock()
}

func (*countingProcessor) Shutdown(context.Context) error   { return nil }
func (*countingProcessor) ForceFlush(context.Context) error { return nil }

type byoRPC struct {
	testgrpc.UnimplementedTestServiceServer
}

func (byoRPC) EmptyCall(context.Context, *testgrpc.Empty) (*testgrpc.Empty, error) {
	return &testgrpc.Empty{}, nil
}

// A service on the application's own TracerProvider (the SDK's in-memory
// exporter behind a synchronous processor, and a processor of its own),
// traced through traceplug's middleware, Transport and grpctrace: every
// span reaches the application's exporter and processor, in one trace, with
// the right parents; and traceplug's Close leaves the provider to the
// application.
func TestOwnTracerProviderEverywhere(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	counted := &countingProcessor{started: map[string]int{}, ends: map[string]int{}}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSpanProcessor(counted))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tr, err := core.New("otel", otel.WithTracerProvider(tp), core.WithTraceAll(true))
	if err != nil {
		t.Fatal(err)
	}

	// gRPC: a grpctrace server, called through a grpctrace client.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.StatsHandler(grpctrace.ServerHandler(tr)))
	testgrpc.RegisterTestServiceServer(srv, byoRPC{})
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(grpctrace.ClientHandler(tr)))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	rpc := testgrpc.NewTestServiceClient(cc)

	// HTTP: front calls back through the Transport, and the gRPC service.
	backMux := http.NewServeMux()
	backMux.HandleFunc("GET /back", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	back := httptest.NewServer(tr.Middleware(backMux))
	defer back.Close()
	client := &http.Client{Transport: tr.Transport(nil)}
	frontMux := http.NewServeMux()
	frontMux.HandleFunc("GET /front", func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", back.URL+"/back", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		if _, err := rpc.EmptyCall(r.Context(), &testgrpc.Empty{}); err != nil {
			t.Error(err)
		}
	})
	front := httptest.NewServer(tr.Middleware(frontMux))
	defer front.Close()

	resp, err := http.Get(front.URL + "/front")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.GracefulStop() // the gRPC server span ends after the client has its answer
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}

	byName := map[string]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		byName[s.Name] = s
	}
	server := byName["GET /front"]
	want := []struct {
		name   string
		kind   oteltrace.SpanKind
		parent string
	}{
		{"GET /front", oteltrace.SpanKindServer, ""},
		{"HTTP GET", oteltrace.SpanKindClient, "GET /front"},
		{"GET /back", oteltrace.SpanKindServer, "HTTP GET"},
		{"grpc.testing.TestService/EmptyCall", oteltrace.SpanKindClient, "GET /front"},
	}
	for _, w := range want {
		s, ok := byName[w.name]
		if !ok {
			t.Errorf("no span %q reached the application's exporter; it has %v", w.name, stubNames(exp.GetSpans()))
			continue
		}
		if s.SpanKind != w.kind || s.SpanContext.TraceID() != server.SpanContext.TraceID() {
			t.Errorf("%s: kind %v, trace %s; want %v in the request's trace %s", w.name, s.SpanKind, s.SpanContext.TraceID(), w.kind, server.SpanContext.TraceID())
		}
		if w.parent != "" && s.Parent.SpanID() != byName[w.parent].SpanContext.SpanID() {
			t.Errorf("%s: parent %s, want %s's", w.name, s.Parent.SpanID(), w.parent)
		}
	}
	var rpcServer, rpcClient tracetest.SpanStub
	for _, s := range exp.GetSpans() {
		if s.Name == "grpc.testing.TestService/EmptyCall" {
			if s.SpanKind == oteltrace.SpanKindServer {
				rpcServer = s
			} else {
				rpcClient = s
			}
		}
	}
	if rpcServer.SpanContext.TraceID() != server.SpanContext.TraceID() || rpcServer.Parent.SpanID() != rpcClient.SpanContext.SpanID() {
		t.Errorf("the gRPC server span is not the client span's child in the request's trace: %+v", rpcServer.Parent)
	}
	if n := len(exp.GetSpans()); n != 5 {
		t.Errorf("%d spans exported, want 5: %v", n, stubNames(exp.GetSpans()))
	}
	counted.mu.Lock()
	// Counted by name at start and at end: a span may be named after its
	// route only when it ends.
	if starts, ends := sumCounts(counted.started), sumCounts(counted.ends); starts != 5 || ends != 5 {
		t.Errorf("the application's processor saw %d spans start and %d end, want 5 and 5", starts, ends)
	}
	counted.mu.Unlock()

	// The provider is the application's: still working after Close.
	_, s := tp.Tracer("app").Start(context.Background(), "after")
	s.End()
	if n := len(exp.GetSpans()); n != 6 {
		t.Errorf("after traceplug's Close the application's provider exported %d spans, want 6", n)
	}
}

func stubNames(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
