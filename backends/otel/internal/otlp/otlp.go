// Package otlp holds what the otel backend's OTLP clients share: the
// settings a client is built from, the client interface the backend's
// processor sends through, the classification of a failed export, and the
// hook through which the OTLP/gRPC client, in a module of its own
// (github.com/traceplug/traceplug/backends/otel/otlpgrpc), registers with
// the backend, so that a program exporting over HTTP does not link gRPC.
//
// It is internal to the otel backend: Go's internal rule goes by import
// path, so the otlpgrpc module, nested under backends/otel, may import it,
// and nothing outside backends/otel may.
package otlp

import (
	"context"
	"crypto/tls"
	"errors"
	"net/url"
	"sync"
)

// UserAgent is the user agent of the backend's OTLP requests, over either
// transport.
const UserAgent = "traceplug-otel (OTLP exporter, Go)"

// Settings are what a client needs of the backend's settings, resolved once
// by the backend, with traceplug's precedence, when the Tracer is built: a
// client reads no environment variable itself. A client must not modify
// them.
type Settings struct {
	// URL is the collector's endpoint: for OTLP/HTTP the URL requests are
	// POSTed to; for OTLP/gRPC, its Host is the target, and the path,
	// query and fragment are empty.
	URL *url.URL
	// TLS says whether the endpoint is a TLS one.
	TLS bool
	// TLSConfig holds the certificates the settings name, for a TLS
	// endpoint; nil means the system's roots and no client certificate.
	TLSConfig *tls.Config
	// Headers are sent with every request (as gRPC metadata over gRPC).
	// Their values are secrets: never logged, never in an error; see
	// [NewScrubber].
	Headers map[string]string
	// Gzip says whether requests are gzip-compressed.
	Gzip bool
}

// Client sends encoded ExportTraceServiceRequests to a collector. The
// backend's processor calls its methods from one goroutine at a time.
type Client interface {
	// Upload sends one request, trying again within ctx's deadline while
	// the failure is worth another try. Its error is, or wraps, a
	// *[PartialError] or a *[RejectedError] when the collector answered,
	// and is any other error when the spans got no answer.
	Upload(ctx context.Context, body []byte) error
	// Stop closes the client's connections, once no upload is under way.
	Stop()
	// MaxRequest is the size of the largest request a collector takes by
	// default, or 0 when there is none to speak of: the processor splits
	// larger batches before sending them.
	MaxRequest() int
}

// Releaser is implemented by a client that can tell when it no longer
// reads the body of an upload that has returned (a transport may still read
// it after a failed one), so that the processor encodes the next request in
// the same memory rather than in a new buffer, of some hundred kilobytes, for
// every batch.
type Releaser interface {
	// Released reports whether nothing reads body, given to the last
	// Upload, which has returned.
	Released(body []byte) bool
}

// NewClient builds a client for s.
type NewClient func(s *Settings) (Client, error)

// transports holds the OTLP/gRPC client's constructor, registered by the
// otlpgrpc package's init. The zero value is ready to use.
type transports struct {
	mu   sync.RWMutex
	grpc NewClient
}

// registered is the process-wide hook that [RegisterGRPC] and [GRPC] use.
var registered = &transports{}

func (r *transports) registerGRPC(f NewClient) error {
	if f == nil {
		return errors.New("otel: RegisterGRPC called with a nil constructor")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.grpc != nil {
		return errors.New("otel: RegisterGRPC called twice: two copies of github.com/traceplug/traceplug/backends/otel/otlpgrpc linked?")
	}
	r.grpc = f
	return nil
}

func (r *transports) lookupGRPC() NewClient {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.grpc
}

// RegisterGRPC makes f the constructor of the backend's OTLP/gRPC clients.
// The otlpgrpc package calls it from its init function, and does nothing
// else there. It panics if f is nil or a constructor is already registered
// (two copies of otlpgrpc linked into one binary). It is safe for
// concurrent use.
func RegisterGRPC(f NewClient) {
	if err := registered.registerGRPC(f); err != nil {
		panic(err)
	}
}

// GRPC returns the constructor of OTLP/gRPC clients that otlpgrpc
// registered, or nil when it is not linked. The caller calls it after GRPC
// returns, outside the lock. It is safe for concurrent use.
func GRPC() NewClient { return registered.lookupGRPC() }
