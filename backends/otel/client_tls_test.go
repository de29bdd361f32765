package otel_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/internal/transporttest"
	"github.com/traceplug/traceplug/core"
)

// The tests of TLS that every transport passes: see transporttest.

func TestTLSCertificate(t *testing.T) { transporttest.TLSCertificate(t, transporttest.HTTP) }

func TestMutualTLS(t *testing.T) { transporttest.MutualTLS(t, transporttest.HTTP) }

// TestCertificatesOfAPlaintextEndpoint: the certificate variables are
// ignored for a plaintext endpoint, as its scheme says, with a log line
// (transporttest); the params, given in code with it, are an error, for a
// gRPC endpoint too, which otlpgrpc need not be linked to refuse.
func TestCertificatesOfAPlaintextEndpoint(t *testing.T) {
	transporttest.CertificatesOfAPlaintextEndpoint(t, transporttest.HTTP)
	p := transporttest.NewPKI(t, "plain")
	for _, endpoint := range []string{"http://127.0.0.1:4318/v1/traces", "grpc://127.0.0.1:4317"} {
		_, err := core.New("otel", core.WithEndpoint(endpoint), core.WithParam("certificate", p.CAFile))
		if !errors.Is(err, core.ErrBadOption) || !strings.Contains(err.Error(), `param "certificate" is for TLS`) {
			t.Errorf("core.New(%s) = %v, want an error: the certificate param with a plaintext endpoint", endpoint, err)
		}
	}
}

// TestBadTLSSettings: a certificate or key file that is missing or not PEM,
// or a certificate without its key, is an error from core.New naming the
// setting, wrapping core.ErrBadOption, and never showing the files' text.
func TestBadTLSSettings(t *testing.T) {
	const secret = "s3cret-key-material"
	p, other := transporttest.NewPKI(t, "bad"), transporttest.NewPKI(t, "other")
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "key.txt")
	if err := os.WriteFile(notPEM, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name string
		env  map[string]string
		opts []core.Option
		want []string
	}{
		{"missing CA file", map[string]string{otel.EnvCertificate: missing}, nil, []string{otel.EnvCertificate, missing, "no such file", "PEM"}},
		{"CA file not PEM", map[string]string{otel.EnvTracesCertificate: notPEM}, nil, []string{otel.EnvTracesCertificate, notPEM, "no PEM certificate"}},
		{"CA param not PEM", nil, []core.Option{core.WithParam("certificate", notPEM)}, []string{`param "certificate"`, "no PEM certificate"}},
		{"client certificate without key", map[string]string{otel.EnvClientCertificate: p.CertFile}, nil,
			[]string{otel.EnvClientCertificate + " is set, but no client key", otel.EnvClientKey}},
		{"traces key without certificate", map[string]string{otel.EnvTracesClientKey: p.KeyFile}, nil,
			[]string{otel.EnvTracesClientKey + " is set", otel.EnvTracesClientCertificate}},
		{"key param without certificate", nil, []core.Option{core.WithParam("client_key", p.KeyFile)},
			[]string{`param "client_key" is set`, `param "client_certificate"`}},
		{"missing key file", map[string]string{otel.EnvClientCertificate: p.CertFile, otel.EnvClientKey: missing}, nil,
			[]string{otel.EnvClientKey, missing, "no such file"}},
		{"key file not PEM", map[string]string{otel.EnvClientCertificate: p.CertFile, otel.EnvClientKey: notPEM}, nil,
			[]string{otel.EnvClientCertificate + " and " + otel.EnvClientKey, "PEM"}},
		{"certificate file not PEM", map[string]string{otel.EnvTracesClientCertificate: notPEM, otel.EnvTracesClientKey: p.KeyFile}, nil,
			[]string{otel.EnvTracesClientCertificate + " and " + otel.EnvTracesClientKey, "PEM"}},
		{"key of another certificate", map[string]string{otel.EnvClientCertificate: p.CertFile, otel.EnvClientKey: other.KeyFile}, nil,
			[]string{otel.EnvClientCertificate + " and " + otel.EnvClientKey, "does not match"}},
		{"insecure", map[string]string{otel.EnvTracesInsecure: "yes"}, nil, []string{otel.EnvTracesInsecure, "true, false"}},
		{"timeout", map[string]string{otel.EnvTimeout: "10s"}, nil, []string{otel.EnvTimeout, "milliseconds"}},
		{"traces timeout", map[string]string{otel.EnvTracesTimeout: "0", otel.EnvTimeout: "1000"}, nil, []string{otel.EnvTracesTimeout, "milliseconds"}},
		{"HOST:PORT over HTTP", map[string]string{otel.EnvEndpoint: "collector:4318"}, nil, []string{otel.EnvEndpoint, "HOST:PORT with the grpc protocol"}},
		{"HOST:PORT with a path", map[string]string{otel.EnvEndpoint: "collector:4317/v1", otel.EnvProtocol: "grpc"}, nil, []string{otel.EnvEndpoint, "grpc://HOST:PORT"}},
	} {
		t.Run(tc.name, func(t *testing.T) { wantBadOption(t, tc.env, tc.opts, tc.want, secret) })
	}
}
