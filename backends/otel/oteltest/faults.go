package oteltest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A Fault is a way for a collector to fail. The values are the names the
// faults tests give them.
type Fault string

// The faults a collector started by [FaultyEndpoint] can have.
const (
	// Down: nothing listens on the endpoint.
	Down Fault = "not listening"
	// Silent: connections are accepted, and never read or answered.
	Silent Fault = "accepts, never answers"
	// Slow: every request is answered with success after 5s.
	Slow Fault = "answers after 5s"
	// Failing: every request is answered with an error at once (HTTP 500,
	// gRPC Internal).
	Failing Fault = "answers 500"
)

// FaultyEndpoint starts a collector on 127.0.0.1 failing with f over
// transport "http" or "grpc", stopped when the test ends, and returns its
// endpoint for core.WithEndpoint.
func FaultyEndpoint(t testing.TB, transport string, f Fault) string {
	t.Helper()
	scheme, path := "http://", "/v1/traces"
	if transport == "grpc" {
		scheme, path = "grpc://", ""
	}
	switch f {
	case Down:
		return scheme + freePort(t) + path
	case Silent:
		return scheme + silentListener(t) + path
	case Slow, Failing:
	default:
		t.Fatalf("oteltest: unknown fault %q", f)
	}
	release := make(chan struct{})
	var once sync.Once
	stop := func() { once.Do(func() { close(release) }) }
	wait := func(ctx context.Context) {
		select {
		case <-time.After(5 * time.Second):
		case <-release:
		case <-ctx.Done():
		}
	}
	if transport == "grpc" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("oteltest: %v", err)
		}
		srv := grpc.NewServer()
		coltracepb.RegisterTraceServiceServer(srv, faultyService{f: f, wait: wait})
		done := make(chan struct{})
		go func() { defer close(done); _ = srv.Serve(ln) }()
		t.Cleanup(func() { stop(); srv.Stop(); <-done })
		return scheme + ln.Addr().String()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f == Slow {
			wait(r.Context())
			w.Header().Set("Content-Type", "application/x-protobuf")
			return
		}
		http.Error(w, "collector failure", http.StatusInternalServerError)
	}))
	t.Cleanup(func() { stop(); srv.Close() })
	return srv.URL + path
}

type faultyService struct {
	coltracepb.UnimplementedTraceServiceServer
	f    Fault
	wait func(context.Context)
}

func (s faultyService) Export(ctx context.Context, _ *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	if s.f == Slow {
		s.wait(ctx)
		if err := ctx.Err(); err != nil {
			return nil, status.FromContextError(err).Err()
		}
		return &coltracepb.ExportTraceServiceResponse{}, nil
	}
	return nil, status.Error(codes.Internal, "collector failure")
}

// freePort returns HOST:PORT on 127.0.0.1 where nothing listens.
func freePort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("oteltest: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentListener accepts connections and never reads or writes.
func silentListener(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("oteltest: %v", err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}
