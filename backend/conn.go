package backend

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// The collector connection's settings, the same for every backend.
const (
	dialTimeout         = 10 * time.Second
	keepAlive           = 30 * time.Second
	tlsHandshakeTimeout = 10 * time.Second
	maxIdleConnsPerHost = 2
	idleConnTimeout     = 30 * time.Second
)

// Conn is a backend's HTTP connection to its collector: its own transport
// (never http.DefaultTransport, so that closing it closes nothing of the
// application's), and a client whose requests Abort fails at once.
type Conn struct {
	// Transport is the connection pool, for senders that need a
	// RoundTripper of their own (gRPC's is separate).
	Transport *http.Transport
	// Client sends through Transport until Abort.
	Client *http.Client

	abort context.CancelFunc
}

// NewConn returns a fresh connection to a collector.
func NewConn() *Conn {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: keepAlive}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   maxIdleConnsPerHost,
		IdleConnTimeout:       idleConnTimeout,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ExpectContinueTimeout: time.Second,
	}
	ctx, abort := context.WithCancel(context.Background())
	return &Conn{Transport: t, Client: &http.Client{Transport: Abortable(ctx, t)}, abort: abort}
}

// Abort fails the requests under way and every later one at once, and closes
// the idle connections: after Abort the connection sends nothing more. It is
// what Shutdown does when its deadline ends, and once it is done. Abort is
// idempotent and safe for concurrent use.
func (c *Conn) Abort() {
	c.abort()
	c.Transport.CloseIdleConnections()
}

// Shutdown is the shutdown every backend shares: it runs flush (which sends
// what the backend holds and returns when done, or returns ctx's error when
// it gives up at ctx's end) until ctx ends; if ctx ends first it calls abort,
// so that sends under way fail at once and flush returns, and waits for it.
// Either way abort is called last. The error is flush's, or says that ctx
// ended before every span was sent. The caller then settles its counts.
func Shutdown(ctx context.Context, backend string, flush func() error, abort func()) error {
	done := make(chan error, 1)
	go func() { done <- flush() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		abort()
		<-done
		err = ctx.Err()
	}
	abort()
	if err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		err = fmt.Errorf("%s: shutdown stopped before every span was sent: %w", backend, err)
	}
	return err
}
