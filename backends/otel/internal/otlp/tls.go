package otlp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
)

// ClientCert picks the certificate a client sends when the collector asks
// for one, as crypto/tls does (the first that the collector's CAs signed),
// and remembers whether the last collector to ask got none. A handshake
// that the collector then fails may read as a broken connection (TLS 1.3
// ends the client's part of the handshake before the collector checks its
// certificate, and gRPC keeps only the text of the failure), so the error
// of a failed export says so. It is safe for concurrent use.
type ClientCert struct {
	certs  []tls.Certificate
	missed atomic.Bool
}

// NewTLSConfig returns the TLS configuration of a client of s's TLS
// endpoint, and its ClientCert.
func NewTLSConfig(s *Settings) (*tls.Config, *ClientCert) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		conf = s.TLSConfig.Clone()
	}
	cc := &ClientCert{certs: conf.Certificates}
	conf.Certificates, conf.GetClientCertificate = nil, cc.get
	return conf, cc
}

func (c *ClientCert) get(info *tls.CertificateRequestInfo) (*tls.Certificate, error) {
	for i := range c.certs {
		if info.SupportsCertificate(&c.certs[i]) == nil {
			c.missed.Store(false)
			return &c.certs[i], nil
		}
	}
	c.missed.Store(true)
	return &tls.Certificate{}, nil // none: the collector may do without
}

// Explain adds to msg, the text of a failure to send, that the collector
// asked for a client certificate and got none, if it did. A nil ClientCert
// (a plaintext endpoint's) adds nothing.
func (c *ClientCert) Explain(msg string) string {
	if c == nil || !c.missed.Load() {
		return msg
	}
	what := "none is set"
	if len(c.certs) > 0 {
		what = "the one set is not signed by a CA it accepts"
	}
	// The variable is otel.EnvClientCertificate, which this package
	// cannot import.
	return fmt.Sprintf("%s (the collector asked for a client certificate, and %s: see param \"client_certificate\" and OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE)", msg, what)
}

// TLSFailure reports whether err says that a TLS handshake failed for good:
// a certificate that does not verify, an alert from the collector (which
// refused the client's certificate, say), or a server that does not speak
// TLS. Trying again would fail again, so the failure is final, as the OTLP
// exporter's is.
func TLSFailure(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		op       *net.OpError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &record) || errors.As(err, &op) && op.Op == "remote error"
}

// TLSFailureMessage reports whether a gRPC status message says what
// [TLSFailure]'s errors say: grpc-go keeps only the text of a connection's
// failure. (The OTLP exporter retries these, as any Unavailable.)
func TLSFailureMessage(msg string) bool {
	return strings.Contains(msg, "tls: failed to verify certificate") || strings.Contains(msg, "remote error: tls: ") ||
		strings.Contains(msg, "first record does not look like a TLS handshake")
}
