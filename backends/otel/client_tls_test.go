package otel_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/redact/redacttest"
)

// clientName is the common name of the client certificates a pki signs.
const clientName = "traceplug-client"

// pki is a certificate authority of a test, with a server certificate it
// signed for 127.0.0.1 and collector.invalid, and a client certificate, the
// CA's certificate and the client's certificate and key written as PEM
// files in the test's temporary directory.
type pki struct {
	caFile, certFile, keyFile string
	pool                      *x509.CertPool
	server                    tls.Certificate
}

func newPKI(t *testing.T, name string) *pki {
	t.Helper()
	dir := t.TempDir()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(file, kind string, der []byte) string {
		path := filepath.Join(dir, file)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	caKey := key()
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name + " CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		t.Fatal(err)
	}
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		k := key()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    ca.NotBefore,
			NotAfter:     ca.NotAfter,
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		}
		if usage == x509.ExtKeyUsageServerAuth {
			tmpl.DNSNames = []string{"collector.invalid"}
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, k
	}
	p := &pki{caFile: write("ca.pem", "CERTIFICATE", caDER), pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	serverDER, serverKey := leaf(2, "collector", x509.ExtKeyUsageServerAuth)
	p.server = tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}
	clientDER, clientKey := leaf(3, clientName, x509.ExtKeyUsageClientAuth)
	p.certFile = write("client.pem", "CERTIFICATE", clientDER)
	keyDER, err := x509.MarshalPKCS8PrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	p.keyFile = write("client-key.pem", "PRIVATE KEY", keyDER)
	return p
}

// serverTLS is the collector's TLS configuration: its certificate, and,
// when clientAuth, a client certificate signed by the CA required.
func (p *pki) serverTLS(clientAuth bool) *tls.Config {
	c := &tls.Config{Certificates: []tls.Certificate{p.server}, MinVersion: tls.VersionTLS12}
	if clientAuth {
		c.ClientAuth, c.ClientCAs = tls.RequireAndVerifyClientCert, p.pool
	}
	return c
}

// recorder is an OTLP collector's receiving end, over HTTP (ServeHTTP) and
// gRPC (Export): it decodes each request and keeps its spans' names, the
// common name of the client's certificate, and the URL's path and query.
// It is safe for concurrent use.
type recorder struct {
	coltracepb.UnimplementedTraceServiceServer

	mu       sync.Mutex
	spans    []string
	peers    []string
	requests []string // path?query, over HTTP
}

func (r *recorder) record(req *coltracepb.ExportTraceServiceRequest, state *tls.ConnectionState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.spans = append(r.spans, s.GetName())
			}
		}
	}
	cn := ""
	if state != nil && len(state.PeerCertificates) > 0 {
		cn = state.PeerCertificates[0].Subject.CommonName
	}
	r.peers = append(r.peers, cn)
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.requests = append(r.requests, req.URL.RequestURI())
	r.mu.Unlock()
	body, err := io.ReadAll(req.Body)
	m := &coltracepb.ExportTraceServiceRequest{}
	if err == nil {
		err = proto.Unmarshal(body, m)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.record(m, req.TLS)
	answer, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(answer)
}

func (r *recorder) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	var state *tls.ConnectionState
	if p, ok := peer.FromContext(ctx); ok {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok {
			state = &info.State
		}
	}
	r.record(req, state)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// received returns the names of the spans decoded so far, and the client
// certificates' common names.
func (r *recorder) received() (spans, peers []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.spans...), append([]string(nil), r.peers...)
}

// startHTTPS serves rec over TLS with conf on 127.0.0.1 until the test
// ends, and returns its address.
func startHTTPS(t *testing.T, rec *recorder, conf *tls.Config) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(rec)
	srv.TLS = conf
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes the tests cause
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// startGRPC serves rec's TraceService on 127.0.0.1, over TLS with conf
// unless it is nil, until the test ends, and returns its address.
func startGRPC(t *testing.T, rec *recorder, conf *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var opts []grpc.ServerOption
	if conf != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(conf)))
	}
	srv := grpc.NewServer(opts...)
	coltracepb.RegisterTraceServiceServer(srv, rec)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return ln.Addr().String()
}

// startTLSCollector starts rec over transport ("http" or "grpc") with
// TLS conf, and returns its endpoint, https:// or grpcs://.
func startTLSCollector(t *testing.T, transport string, rec *recorder, conf *tls.Config) string {
	t.Helper()
	if transport == "grpc" {
		return "grpcs://" + startGRPC(t, rec, conf)
	}
	return "https://" + startHTTPS(t, rec, conf) + "/v1/traces"
}

// send builds an otel tracer with opts, sends one span named "probe",
// closes the tracer, and returns its counts, Close's error and what it
// logged.
func send(t *testing.T, opts ...core.Option) (core.Stats, error, string) {
	t.Helper()
	logs := &redacttest.Logs{}
	tr, err := core.New("otel", append([]core.Option{core.WithLogger(logs.Slog())}, opts...)...)
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	tr.StartSpan("probe").Finish()
	err = tr.Close()
	return tr.Stats(), err, logs.String()
}

// wantDelivered checks that the one span was reported, and decoded by rec.
func wantDelivered(t *testing.T, st core.Stats, closeErr error, logged string, rec *recorder) {
	t.Helper()
	spans, _ := rec.received()
	if closeErr != nil || st.Reported != 1 || st.Dropped != 0 || st.Pending != 0 || len(spans) != 1 {
		t.Errorf("Close = %v; reported %d, dropped %v, pending %d; the collector decoded %v: want the span delivered (logged %q)",
			closeErr, st.Reported, st.DroppedBy, st.Pending, spans, logged)
	}
}

// wantFailed checks that the one span was dropped as send failed, which
// Close reports, that rec (if any) decoded nothing, and that the log line
// says every text of why.
func wantFailed(t *testing.T, st core.Stats, closeErr error, logged string, rec *recorder, why ...string) {
	t.Helper()
	if rec != nil {
		if spans, _ := rec.received(); len(spans) != 0 {
			t.Errorf("the collector decoded %v, want nothing", spans)
		}
	}
	if !errors.Is(closeErr, core.ErrSpansLost) || st.Reported != 0 || st.Dropped != 1 || st.DroppedBy[backend.DropSend] != 1 || st.Pending != 0 {
		t.Errorf("Close = %v; reported %d, dropped %v, pending %d: want the span dropped as %q, and ErrSpansLost",
			closeErr, st.Reported, st.DroppedBy, st.Pending, backend.DropSend)
	}
	for _, w := range why {
		if !strings.Contains(logged, w) {
			t.Errorf("logged %q: want %q", logged, w)
		}
	}
}

// TestTLSCertificate: the CA certificate that verifies the collector's,
// over both transports: the param over OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE
// over OTEL_EXPORTER_OTLP_CERTIFICATE. Without it (the system's roots) or
// with another CA's, the handshake fails, and the span is dropped and
// counted, with the reason logged.
func TestTLSCertificate(t *testing.T) {
	trusted, other := newPKI(t, "trusted"), newPKI(t, "other")
	for _, transport := range []string{"http", "grpc"} {
		for _, tc := range []struct {
			name      string
			env       map[string]string
			opts      []core.Option
			delivered bool
		}{
			{name: "general variable", env: map[string]string{otel.EnvCertificate: trusted.caFile}, delivered: true},
			{name: "traces variable over general", env: map[string]string{otel.EnvCertificate: other.caFile, otel.EnvTracesCertificate: trusted.caFile}, delivered: true},
			{name: "param over variables", env: map[string]string{otel.EnvTracesCertificate: other.caFile},
				opts: []core.Option{core.WithParam("certificate", trusted.caFile)}, delivered: true},
			{name: "another CA", env: map[string]string{otel.EnvCertificate: other.caFile}},
			{name: "system roots"},
		} {
			t.Run(transport+"/"+tc.name, func(t *testing.T) {
				for k, v := range tc.env {
					t.Setenv(k, v)
				}
				rec := &recorder{}
				endpoint := startTLSCollector(t, transport, rec, trusted.serverTLS(false))
				st, err, logged := send(t, append(tc.opts, core.WithEndpoint(endpoint))...)
				if tc.delivered {
					wantDelivered(t, st, err, logged, rec)
				} else {
					wantFailed(t, st, err, logged, rec, "x509: certificate signed by unknown authority")
				}
			})
		}
	}
}

// TestMutualTLS: a collector that requires a client certificate signed by
// its CA takes the spans of a client with one (from the params, over the
// traces variables, over the general ones), and refuses the handshake of a
// client without one, or with another CA's: the span is dropped and
// counted, and the log says what the collector said.
func TestMutualTLS(t *testing.T) {
	ca, stranger := newPKI(t, "collector"), newPKI(t, "stranger")
	for _, transport := range []string{"http", "grpc"} {
		for _, tc := range []struct {
			name      string
			env       map[string]string
			opts      []core.Option
			delivered bool
			why       string // logged when not delivered
		}{
			{name: "general variables", env: map[string]string{otel.EnvClientCertificate: ca.certFile, otel.EnvClientKey: ca.keyFile}, delivered: true},
			{name: "traces variables over general", env: map[string]string{
				otel.EnvClientCertificate: stranger.certFile, otel.EnvClientKey: stranger.keyFile,
				otel.EnvTracesClientCertificate: ca.certFile, otel.EnvTracesClientKey: ca.keyFile,
			}, delivered: true},
			{name: "params over variables", env: map[string]string{otel.EnvTracesClientCertificate: stranger.certFile, otel.EnvTracesClientKey: stranger.keyFile},
				opts: []core.Option{core.WithParam("client_certificate", ca.certFile), core.WithParam("client_key", ca.keyFile)}, delivered: true},
			{name: "no client certificate", why: "none is set"},
			{name: "another CA's client certificate", env: map[string]string{otel.EnvClientCertificate: stranger.certFile, otel.EnvClientKey: stranger.keyFile},
				why: "the one set is not signed by a CA it accepts"},
		} {
			t.Run(transport+"/"+tc.name, func(t *testing.T) {
				t.Setenv(otel.EnvCertificate, ca.caFile)
				for k, v := range tc.env {
					t.Setenv(k, v)
				}
				rec := &recorder{}
				endpoint := startTLSCollector(t, transport, rec, ca.serverTLS(true))
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
				st, err, logged := send(t, opts...)
				if !tc.delivered {
					wantFailed(t, st, err, logged, rec, "the collector asked for a client certificate, and "+tc.why)
					return
				}
				wantDelivered(t, st, err, logged, rec)
				if _, peers := rec.received(); len(peers) != 1 || peers[0] != clientName {
					t.Errorf("the collector saw client certificates %q, want %q", peers, clientName)
				}
			})
		}
	}
}

// TestGRPCHostPort: a gRPC endpoint of the form HOST:PORT is TLS unless
// OTEL_EXPORTER_OTLP_TRACES_INSECURE, else OTEL_EXPORTER_OTLP_INSECURE, is
// true; an endpoint with a scheme is what its scheme says, whatever those
// variables say, and a log line says that they are ignored.
func TestGRPCHostPort(t *testing.T) {
	p := newPKI(t, "grpc")
	for _, tc := range []struct {
		name     string
		env      map[string]string // $PLAIN and $TLS: the collectors' addresses
		endpoint string            // in code, with $PLAIN or $TLS
		protocol string            // the protocol param
		tls      bool              // where the span must arrive
		ignored  string
	}{
		{name: "TLS by default", env: map[string]string{otel.EnvEndpoint: "$TLS", otel.EnvProtocol: "grpc"}, tls: true},
		{name: "INSECURE=true", env: map[string]string{otel.EnvEndpoint: "$PLAIN", otel.EnvProtocol: "grpc", otel.EnvInsecure: "true"}},
		{name: "traces variables over general", env: map[string]string{
			otel.EnvEndpoint: "$PLAIN", otel.EnvTracesEndpoint: "$TLS", otel.EnvTracesProtocol: "grpc", otel.EnvInsecure: "true", otel.EnvTracesInsecure: "False",
		}, tls: true},
		{name: "code endpoint, protocol param", env: map[string]string{otel.EnvInsecure: "TRUE"}, endpoint: "$PLAIN", protocol: "grpc"},
		{name: "http scheme over INSECURE=false", env: map[string]string{otel.EnvEndpoint: "http://$PLAIN", otel.EnvProtocol: "grpc", otel.EnvInsecure: "false"},
			ignored: otel.EnvInsecure + "=false is ignored"},
		{name: "grpcs scheme over INSECURE=true", env: map[string]string{otel.EnvTracesInsecure: "true"}, endpoint: "grpcs://$TLS",
			tls: true, ignored: otel.EnvTracesInsecure + "=true is ignored"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(otel.EnvCertificate, p.caFile)
			plainRec, tlsRec := &recorder{}, &recorder{}
			addrs := strings.NewReplacer("$PLAIN", startGRPC(t, plainRec, nil), "$TLS", startGRPC(t, tlsRec, p.serverTLS(false)))
			for k, v := range tc.env {
				t.Setenv(k, addrs.Replace(v))
			}
			var opts []core.Option
			if tc.endpoint != "" {
				opts = append(opts, core.WithEndpoint(addrs.Replace(tc.endpoint)))
			}
			if tc.protocol != "" {
				opts = append(opts, core.WithParam("protocol", tc.protocol))
			}
			want, other := plainRec, tlsRec
			if tc.tls {
				want, other = tlsRec, plainRec
			}
			st, err, logged := send(t, opts...)
			wantDelivered(t, st, err, logged, want)
			if spans, _ := other.received(); len(spans) != 0 {
				t.Errorf("the other collector decoded %v", spans)
			}
			if tc.ignored != "" && !strings.Contains(logged, tc.ignored) {
				t.Errorf("logged %q, want %q", logged, tc.ignored)
			}
		})
	}
}

// TestCertificatesOfAPlaintextEndpoint: the certificate variables are
// ignored for a plaintext endpoint, as its scheme says, with a log line;
// the params, given in code with it, are an error.
func TestCertificatesOfAPlaintextEndpoint(t *testing.T) {
	p := newPKI(t, "plain")
	c := oteltest.New(t)
	t.Setenv(otel.EnvCertificate, p.caFile)
	t.Setenv(otel.EnvTracesClientCertificate, p.certFile)
	t.Setenv(otel.EnvTracesClientKey, p.keyFile)
	for _, transport := range []string{"http", "grpc"} {
		before := len(c.Spans())
		st, err, logged := send(t, c.Options(transport)...)
		if err != nil || st.Reported != 1 || len(c.Spans()) != before+1 {
			t.Errorf("%s: Close = %v, reported %d, the collector decoded %d spans: want the span delivered", transport, err, st.Reported, len(c.Spans())-before)
		}
		want := otel.EnvCertificate + ", " + otel.EnvTracesClientCertificate + ", " + otel.EnvTracesClientKey + " ignored: the endpoint "
		if !strings.Contains(logged, want) || !strings.Contains(logged, "is plaintext") {
			t.Errorf("%s: logged %q, want %q", transport, logged, want)
		}
	}
	_, err := core.New("otel", core.WithEndpoint(c.Endpoint("grpc")), core.WithParam("certificate", p.caFile))
	if !errors.Is(err, core.ErrBadOption) || !strings.Contains(err.Error(), `param "certificate" is for TLS`) {
		t.Errorf("core.New = %v, want an error: the certificate param with a plaintext endpoint", err)
	}
}

// TestBadTLSSettings: a certificate or key file that is missing or not PEM,
// or a certificate without its key, is an error from core.New naming the
// setting, wrapping core.ErrBadOption, and never showing the files' text.
func TestBadTLSSettings(t *testing.T) {
	const secret = "s3cret-key-material"
	p, other := newPKI(t, "bad"), newPKI(t, "other")
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
		{"client certificate without key", map[string]string{otel.EnvClientCertificate: p.certFile}, nil,
			[]string{otel.EnvClientCertificate + " is set, but no client key", otel.EnvClientKey}},
		{"traces key without certificate", map[string]string{otel.EnvTracesClientKey: p.keyFile}, nil,
			[]string{otel.EnvTracesClientKey + " is set", otel.EnvTracesClientCertificate}},
		{"key param without certificate", nil, []core.Option{core.WithParam("client_key", p.keyFile)},
			[]string{`param "client_key" is set`, `param "client_certificate"`}},
		{"missing key file", map[string]string{otel.EnvClientCertificate: p.certFile, otel.EnvClientKey: missing}, nil,
			[]string{otel.EnvClientKey, missing, "no such file"}},
		{"key file not PEM", map[string]string{otel.EnvClientCertificate: p.certFile, otel.EnvClientKey: notPEM}, nil,
			[]string{otel.EnvClientCertificate + " and " + otel.EnvClientKey, "PEM"}},
		{"certificate file not PEM", map[string]string{otel.EnvTracesClientCertificate: notPEM, otel.EnvTracesClientKey: p.keyFile}, nil,
			[]string{otel.EnvTracesClientCertificate + " and " + otel.EnvTracesClientKey, "PEM"}},
		{"key of another certificate", map[string]string{otel.EnvClientCertificate: p.certFile, otel.EnvClientKey: other.keyFile}, nil,
			[]string{otel.EnvClientCertificate + " and " + otel.EnvClientKey, "does not match"}},
		{"insecure", map[string]string{otel.EnvTracesInsecure: "yes"}, nil, []string{otel.EnvTracesInsecure, "true, false"}},
		{"timeout", map[string]string{otel.EnvTimeout: "10s"}, nil, []string{otel.EnvTimeout, "milliseconds"}},
		{"traces timeout", map[string]string{otel.EnvTracesTimeout: "0", otel.EnvTimeout: "1000"}, nil, []string{otel.EnvTracesTimeout, "milliseconds"}},
		{"HOST:PORT over HTTP", map[string]string{otel.EnvEndpoint: "collector:4318"}, nil, []string{otel.EnvEndpoint, "HOST:PORT with the grpc protocol"}},
		{"HOST:PORT with a path", map[string]string{otel.EnvEndpoint: "collector:4317/v1", otel.EnvProtocol: "grpc"}, nil, []string{otel.EnvEndpoint, "grpc://HOST:PORT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			tr, err := core.New("otel", tc.opts...)
			if err == nil {
				_ = tr.Close()
				t.Fatal("no error")
			}
			if !errors.Is(err, core.ErrBadOption) {
				t.Errorf("%v does not wrap core.ErrBadOption", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows the file's text", err)
			}
		})
	}
}
