package transporttest

import (
	"strings"
	"testing"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
)

// TLSCertificate: the CA certificate that verifies the collector's: the
// param over OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE over
// OTEL_EXPORTER_OTLP_CERTIFICATE. Without it (the system's roots) or with
// another CA's, the handshake fails, and the span is dropped and counted,
// with the reason logged.
func TLSCertificate(t *testing.T, tp Transport) {
	trusted, other := NewPKI(t, "trusted"), NewPKI(t, "other")
	for _, tc := range []struct {
		name      string
		env       map[string]string
		opts      []core.Option
		delivered bool
	}{
		{name: "general variable", env: map[string]string{otel.EnvCertificate: trusted.CAFile}, delivered: true},
		{name: "traces variable over general", env: map[string]string{otel.EnvCertificate: other.CAFile, otel.EnvTracesCertificate: trusted.CAFile}, delivered: true},
		{name: "param over variables", env: map[string]string{otel.EnvTracesCertificate: other.CAFile},
			opts: []core.Option{core.WithParam("certificate", trusted.CAFile)}, delivered: true},
		{name: "another CA", env: map[string]string{otel.EnvCertificate: other.CAFile}},
		{name: "system roots"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			rec := &Recorder{}
			endpoint := tp.StartTLS(t, rec, trusted.ServerTLS(false))
			st, err, logged := Send(t, append(tc.opts, core.WithEndpoint(endpoint))...)
			if tc.delivered {
				WantDelivered(t, st, err, logged, rec)
			} else {
				WantFailed(t, st, err, logged, rec, "x509: certificate signed by unknown authority")
			}
		})
	}
}

// MutualTLS: a collector that requires a client certificate signed by its
// CA takes the spans of a client with one (from the params, over the
// traces variables, over the general ones), and refuses the handshake of a
// client without one, or with another CA's: the span is dropped and
// counted, and the log says what the collector said.
func MutualTLS(t *testing.T, tp Transport) {
	ca, stranger := NewPKI(t, "collector"), NewPKI(t, "stranger")
	for _, tc := range []struct {
		name      string
		env       map[string]string
		opts      []core.Option
		delivered bool
		why       string // logged when not delivered
	}{
		{name: "general variables", env: map[string]string{otel.EnvClientCertificate: ca.CertFile, otel.EnvClientKey: ca.KeyFile}, delivered: true},
		{name: "traces variables over general", env: map[string]string{
			otel.EnvClientCertificate: stranger.CertFile, otel.EnvClientKey: stranger.KeyFile,
			otel.EnvTracesClientCertificate: ca.CertFile, otel.EnvTracesClientKey: ca.KeyFile,
		}, delivered: true},
		{name: "params over variables", env: map[string]string{otel.EnvTracesClientCertificate: stranger.CertFile, otel.EnvTracesClientKey: stranger.KeyFile},
			opts: []core.Option{core.WithParam("client_certificate", ca.CertFile), core.WithParam("client_key", ca.KeyFile)}, delivered: true},
		{name: "no client certificate", why: "none is set"},
		{name: "another CA's client certificate", env: map[string]string{otel.EnvClientCertificate: stranger.CertFile, otel.EnvClientKey: stranger.KeyFile},
			why: "the one set is not signed by a CA it accepts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(otel.EnvCertificate, ca.CAFile)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			rec := &Recorder{}
			endpoint := tp.StartTLS(t, rec, ca.ServerTLS(true))
			opts := append(tc.opts, core.WithEndpoint(endpoint))
			if !tc.delivered {
				// Over TLS 1.3 the collector refuses the client's
				// certificate after the client's part of the handshake:
				// gRPC may see a broken connection, which it tries
				// again until the export's timeout. The hint says why
				// from the first try on; the timeout only bounds the
				// retries.
				opts = append(opts, core.WithParam("export_timeout", "2s"))
			}
			st, err, logged := Send(t, opts...)
			if !tc.delivered {
				WantFailed(t, st, err, logged, rec, "the collector asked for a client certificate, and "+tc.why)
				return
			}
			WantDelivered(t, st, err, logged, rec)
			if _, peers := rec.Received(); len(peers) != 1 || peers[0] != ClientName {
				t.Errorf("the collector saw client certificates %q, want %q", peers, ClientName)
			}
		})
	}
}

// CertificatesOfAPlaintextEndpoint: the certificate variables are ignored
// for a plaintext endpoint, as its scheme says, with a log line. (The
// params, given in code with it, are an error: the otel module's test of
// the same name shows it.)
func CertificatesOfAPlaintextEndpoint(t *testing.T, tp Transport) {
	p := NewPKI(t, "plain")
	c := oteltest.New(t)
	t.Setenv(otel.EnvCertificate, p.CAFile)
	t.Setenv(otel.EnvTracesClientCertificate, p.CertFile)
	t.Setenv(otel.EnvTracesClientKey, p.KeyFile)
	st, err, logged := Send(t, c.Options(tp.Name)...)
	if err != nil || st.Reported != 1 || len(c.Spans()) != 1 {
		t.Errorf("Close = %v, reported %d, the collector decoded %d spans: want the span delivered", err, st.Reported, len(c.Spans()))
	}
	want := otel.EnvCertificate + ", " + otel.EnvTracesClientCertificate + ", " + otel.EnvTracesClientKey + " ignored: the endpoint "
	if !strings.Contains(logged, want) || !strings.Contains(logged, "is plaintext") {
		t.Errorf("logged %q, want %q", logged, want)
	}
}
