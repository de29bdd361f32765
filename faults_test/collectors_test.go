package faults_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
)

// A fault is a way for a collector to fail.
type fault string

const (
	down    fault = "not listening"
	silent  fault = "accepts, never answers"
	slow    fault = "answers after 5s"
	failing fault = "answers 500"
)

var faults = []fault{down, silent, slow, failing}

// A target is how to stand a failing collector where a backend, over one
// transport, sends: the backends and transports themselves are the
// conformance harnesses' (builtin.Harnesses).
type target struct {
	opts []core.Option
	// endpoint starts a collector failing with f and returns the endpoint to
	// give the backend, or "" when f means nothing for this transport.
	endpoint func(t *testing.T, f fault) string
}

// targets are keyed by harness name.
var targets = map[string]target{
	"jaeger/udp":     {endpoint: udpEndpoint},
	"jaeger/http":    {endpoint: func(t *testing.T, f fault) string { return httpEndpoint(t, f) + "/api/traces" }},
	"zipkin":         {endpoint: func(t *testing.T, f fault) string { return httpEndpoint(t, f) + "/api/v2/spans" }},
	"lightstep/http": {opts: []core.Option{core.WithParam("transport", "http")}, endpoint: httpEndpoint},
	"lightstep/grpc": {opts: []core.Option{core.WithParam("transport", "grpc")}, endpoint: grpcEndpoint},
	"otel/http":      {endpoint: func(t *testing.T, f fault) string { return oteltest.FaultyEndpoint(t, "http", oteltest.Fault(f)) }},
	"otel/grpc":      {endpoint: func(t *testing.T, f fault) string { return oteltest.FaultyEndpoint(t, "grpc", oteltest.Fault(f)) }},
}

// freePort returns a port on 127.0.0.1 that nothing listens on.
func freePort(t *testing.T, network string) string {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		addr := c.LocalAddr().String()
		c.Close()
		return addr
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentListener accepts connections and never reads or writes.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
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
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

// httpEndpoint is http://HOST:PORT of a collector failing with f.
func httpEndpoint(t *testing.T, f fault) string {
	switch f {
	case down:
		return "http://" + freePort(t, "tcp")
	case silent:
		return "http://" + silentListener(t)
	}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f == slow {
			select {
			case <-time.After(5 * time.Second):
			case <-release:
			case <-r.Context().Done():
			}
			w.WriteHeader(http.StatusAccepted)
			return
		}
		http.Error(w, "collector failure", http.StatusInternalServerError)
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv.URL
}

// udpEndpoint is udp://HOST:PORT of an agent failing with f: nothing there,
// or a socket nobody reads (whose buffer fills, and the kernel drops). UDP
// has no answers, slow or failing.
func udpEndpoint(t *testing.T, f fault) string {
	switch f {
	case down:
		return "udp://" + freePort(t, "udp")
	case silent:
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return "udp://" + c.LocalAddr().String()
	}
	return ""
}

// grpcEndpoint is http://HOST:PORT (plaintext) of a lightstep gRPC collector
// failing with f.
func grpcEndpoint(t *testing.T, f fault) string {
	switch f {
	case down:
		return "http://" + freePort(t, "tcp")
	case silent:
		return "http://" + silentListener(t)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	collectorpb.RegisterCollectorServiceServer(srv, failingCollector{f})
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return "http://" + ln.Addr().String()
}

type failingCollector struct{ f fault }

func (c failingCollector) Report(ctx context.Context, _ *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	if c.f == slow {
		select {
		case <-time.After(5 * time.Second):
			return &collectorpb.ReportResponse{}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, status.Error(codes.Internal, "collector failure")
}
