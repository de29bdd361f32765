package conformance

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// This file stands broken collectors on 127.0.0.1, for tests of how a
// backend behaves when its collector fails (traceplug's faults_test; a
// third-party backend's own). They are protocol-neutral: a backend's test
// package adds what its transport needs (a failing gRPC service, a path).

// A Fault is a way for a collector to fail.
type Fault string

// The faults of [FaultyHTTP] and [FaultyListener].
const (
	// Down: nothing listens on the address.
	Down Fault = "not listening"
	// Silent: connections are accepted, and never read or answered.
	Silent Fault = "accepts, never answers"
	// Slow: every request is answered with success after SlowAnswer.
	Slow Fault = "answers after 5s"
	// Failing: every request is answered with an error at once.
	Failing Fault = "answers 500"
)

// Faults are every Fault, in order of severity.
var Faults = []Fault{Down, Silent, Slow, Failing}

// SlowAnswer is how long a Slow collector takes to answer.
const SlowAnswer = 5 * time.Second

// FaultyListener returns HOST:PORT on 127.0.0.1 for the faults that need no
// protocol: Down (a port nothing listens on) and Silent (a listener that
// accepts connections and never reads or writes them). For the other faults
// it returns "", and the caller stands a server of its protocol (see
// [FaultyHTTP], [SlowWait]). What it starts stops when the test ends.
func FaultyListener(t testing.TB, f Fault) string {
	t.Helper()
	switch f {
	case Down:
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("conformance: %v", err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	case Silent:
		return silentListener(t)
	}
	return ""
}

// FaultyHTTP returns the base URL (http://HOST:PORT) of an HTTP collector on
// 127.0.0.1 failing with f: nothing there, a silent listener, a server that
// answers 202 after [SlowAnswer] (or when the request or the test ends), or
// one that answers 500 at once. It stops when the test ends.
func FaultyHTTP(t testing.TB, f Fault) string {
	t.Helper()
	if addr := FaultyListener(t, f); addr != "" {
		return "http://" + addr
	}
	var wait func(context.Context)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f == Slow {
			wait(r.Context())
			w.WriteHeader(http.StatusAccepted)
			return
		}
		http.Error(w, "collector failure", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	wait = SlowWait(t) // its cleanup runs before srv.Close, which waits for the handlers
	return srv.URL
}

// SlowWait returns the wait of a Slow collector: it returns after
// [SlowAnswer], when ctx ends, or when the test ends, whichever is first, so
// that no server outlives the test waiting. Call it after registering the
// server's own cleanup: cleanups run last-registered first, and the server's
// close waits for the handlers that wait here.
func SlowWait(t testing.TB) func(ctx context.Context) {
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	return func(ctx context.Context) {
		select {
		case <-time.After(SlowAnswer):
		case <-release:
		case <-ctx.Done():
		}
	}
}

// silentListener accepts connections and never reads or writes.
func silentListener(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("conformance: %v", err)
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
