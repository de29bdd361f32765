package otel_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/redact/redacttest"
)

// TestExportTimeoutFromEnv: OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, over
// OTEL_EXPORTER_OTLP_TIMEOUT, bounds an export: against a collector that
// never answers, the export fails with a timeout, and the span is dropped
// and counted as send failed.
func TestExportTimeoutFromEnv(t *testing.T) {
	t.Run("http", func(t *testing.T) {
		t.Setenv(otel.EnvTimeout, "3600000")
		t.Setenv(otel.EnvTracesTimeout, "100")
		st, err, logged := send(t, core.WithEndpoint(oteltest.FaultyEndpoint(t, "http", oteltest.Silent)))
		wantFailed(t, st, err, logged, nil, "context deadline exceeded")
	})
	t.Run("grpc", func(t *testing.T) {
		t.Setenv(otel.EnvTimeout, "3600000")
		t.Setenv(otel.EnvTracesTimeout, "100")
		silent := &silentService{}
		st, err, logged := send(t, core.WithEndpoint("grpc://"+startService(t, silent)))
		wantFailed(t, st, err, logged, nil, "DeadlineExceeded")
		// The call's deadline, which gRPC sends: at most the traces
		// variable's 100ms away when the collector got it (not the
		// general variable's hour, nor the default 10s).
		silent.mu.Lock()
		defer silent.mu.Unlock()
		if len(silent.left) == 0 {
			t.Fatal("the collector got no call")
		}
		for _, left := range silent.left {
			if left > 100*time.Millisecond {
				t.Errorf("a call came with %v left before its deadline, want at most %s=100 (ms)", left, otel.EnvTracesTimeout)
			}
		}
	})
}

// silentService is a TraceService that never answers: each call waits for
// its end. It keeps how long each call had left before its deadline when
// it came.
type silentService struct {
	coltracepb.UnimplementedTraceServiceServer

	mu   sync.Mutex
	left []time.Duration
}

func (s *silentService) Export(ctx context.Context, _ *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	left := time.Hour * 24
	if deadline, ok := ctx.Deadline(); ok {
		left = time.Until(deadline)
	}
	s.mu.Lock()
	s.left = append(s.left, left)
	s.mu.Unlock()
	<-ctx.Done()
	return nil, ctx.Err()
}

// startService serves a TraceService on 127.0.0.1 until the test ends, and
// returns its address.
func startService(t *testing.T, svc coltracepb.TraceServiceServer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, svc)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return ln.Addr().String()
}

// TestEndpointQuery: the query of an OTLP/HTTP endpoint goes with every
// request, whichever setting names the endpoint; its values are REDACTED in
// the log.
func TestEndpointQuery(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name     string
		env      map[string]string
		endpoint string
		want     string
	}{
		{name: "code", endpoint: srv.URL + "/v1/traces?tenant=a&api_key=k", want: "/v1/traces?tenant=a&api_key=k"},
		{name: "code, no path", endpoint: srv.URL + "?tenant=b", want: "/v1/traces?tenant=b"},
		{name: "traces variable", env: map[string]string{otel.EnvTracesEndpoint: srv.URL + "/ingest?tenant=c"}, want: "/ingest?tenant=c"},
		{name: "general variable", env: map[string]string{otel.EnvEndpoint: srv.URL + "/otlp/?tenant=d"}, want: "/otlp/v1/traces?tenant=d"},
		{name: "general variable, no path", env: map[string]string{otel.EnvEndpoint: srv.URL + "?tenant=e#fragment"}, want: "/v1/traces?tenant=e"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var opts []core.Option
			if tc.endpoint != "" {
				opts = append(opts, core.WithEndpoint(tc.endpoint))
			}
			before := len(rec.uris())
			st, err, logged := send(t, opts...)
			uris := rec.uris()[before:]
			if err != nil || st.Reported != 1 || len(uris) != 1 || uris[0] != tc.want {
				t.Errorf("Close = %v, reported %d, the collector got %q: want one request to %q (logged %q)", err, st.Reported, uris, tc.want, logged)
			}
		})
	}

	t.Run("redacted", func(t *testing.T) {
		failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("api_key") != redacttest.Key {
				t.Errorf("the collector got %q, without the api_key", r.URL.RequestURI())
			}
			http.Error(w, "no", http.StatusInternalServerError)
		}))
		t.Cleanup(failing.Close)
		redacttest.CheckFailedSend(t, "otel", "sending 1 span to "+failing.URL+"/v1/traces?api_key=REDACTED",
			core.WithEndpoint(failing.URL+"/v1/traces?api_key="+redacttest.Key))
	})
}

// uris returns the path and query of each request received over HTTP.
func (r *recorder) uris() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.requests...)
}

// proxy is an HTTP proxy on 127.0.0.1 that keeps what it is asked for,
// and sends everything to one collector, whatever host a request names:
// it serves requests for http:// URLs itself with http, and tunnels
// CONNECT requests (for https:// URLs, and gRPC) to the address to.
type proxy struct {
	URL  string
	http http.Handler
	to   string

	mu    sync.Mutex
	asked []string
	conns []net.Conn
	wg    sync.WaitGroup
}

// startProxy starts a proxy until the test ends. Either of http and to may
// be nil or empty, if the test needs no such requests.
func startProxy(t *testing.T, http http.Handler, to string) *proxy {
	t.Helper()
	p := &proxy{http: http, to: to}
	srv := httptest.NewServer(p)
	p.URL = srv.URL
	t.Cleanup(func() {
		srv.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.asked = append(p.asked, r.Method+" "+r.RequestURI)
	p.mu.Unlock()
	if r.Method != http.MethodConnect {
		if p.http == nil || !r.URL.IsAbs() {
			http.Error(w, "proxy: not a proxy request", http.StatusBadRequest)
			return
		}
		p.http.ServeHTTP(w, r)
		return
	}
	up, err := net.Dial("tcp", p.to)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	down, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		_ = up.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, up, down)
	p.wg.Add(2)
	p.mu.Unlock()
	_, _ = down.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	pipe := func(dst net.Conn, src io.Reader) {
		defer p.wg.Done()
		_, _ = io.Copy(dst, src)
		_ = dst.Close()
	}
	go pipe(up, buf)
	go pipe(down, up)
}

// requests returns the method and target of each request the proxy got.
func (p *proxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.asked...)
}

// setProxyEnv sets the proxy variables for the test, upper case (which
// net/http reads first) and lower case, so that the machine's own do not
// count. It first has net/http read them as they are, as it does once in a
// process's life, so that other tests' clients (gRPC's, and the backends'
// that use http.ProxyFromEnvironment) do not take this test's.
func setProxyEnv(t *testing.T, httpProxy, httpsProxy, noProxy string) {
	t.Helper()
	_, _ = http.ProxyFromEnvironment(&http.Request{URL: &url.URL{Scheme: "https", Host: "collector.invalid"}})
	for name, v := range map[string]string{"HTTP_PROXY": httpProxy, "HTTPS_PROXY": httpsProxy, "NO_PROXY": noProxy} {
		t.Setenv(name, v)
		t.Setenv(strings.ToLower(name), v)
	}
}

// TestProxyFromEnvironment: OTLP/HTTP goes through the proxy that
// HTTP_PROXY names for an http:// endpoint, and HTTPS_PROXY for an
// https:// one (CONNECT, then TLS with the collector), as otlptracehttp
// does with http.ProxyFromEnvironment. The collector's host,
// collector.invalid, resolves nowhere: only the proxy can have delivered
// the spans. (A loopback host is never proxied, so the tests cannot name
// the collector's own address.)
func TestProxyFromEnvironment(t *testing.T) {
	t.Run("HTTP_PROXY", func(t *testing.T) {
		rec := &recorder{}
		p := startProxy(t, rec, "")
		setProxyEnv(t, p.URL, "", "")
		t.Setenv(otel.EnvEndpoint, "http://collector.invalid:4318?tenant=a")
		st, err, logged := send(t)
		wantDelivered(t, st, err, logged, rec)
		if got, want := p.requests(), "POST http://collector.invalid:4318/v1/traces?tenant=a"; len(got) != 1 || got[0] != want {
			t.Errorf("the proxy got %q, want %q", got, want)
		}
	})
	t.Run("HTTPS_PROXY", func(t *testing.T) {
		pki := newPKI(t, "proxied")
		rec := &recorder{}
		p := startProxy(t, nil, startHTTPS(t, rec, pki.serverTLS(true)))
		setProxyEnv(t, "http://127.0.0.1:1", p.URL, "")
		t.Setenv(otel.EnvCertificate, pki.caFile)
		t.Setenv(otel.EnvClientCertificate, pki.certFile)
		t.Setenv(otel.EnvClientKey, pki.keyFile)
		st, err, logged := send(t, core.WithEndpoint("https://collector.invalid/v1/traces"))
		wantDelivered(t, st, err, logged, rec)
		if got, want := p.requests(), "CONNECT collector.invalid:443"; len(got) != 1 || got[0] != want {
			t.Errorf("the proxy got %q, want %q", got, want)
		}
	})
}

// grpcProxyChild is set in the environment of the process that
// TestGRPCProxyFromEnvironment starts.
const grpcProxyChild = "TRACEPLUG_OTEL_TEST_GRPC_PROXY_CHILD"

// TestGRPCProxyFromEnvironment: OTLP/gRPC goes through the proxy that
// HTTPS_PROXY names, with CONNECT, as grpc-go does by default (and so
// otlptracegrpc). grpc-go reads the variables through
// http.ProxyFromEnvironment, once in a process's life, so the test runs
// the tracer in a process of its own, started with them set; the proxy and
// the collector, here, see what it sent.
func TestGRPCProxyFromEnvironment(t *testing.T) {
	if os.Getenv(grpcProxyChild) != "" {
		// The process started below: send one span, and check that it
		// was delivered.
		st, err, logged := send(t)
		if err != nil || st.Reported != 1 || st.Dropped != 0 || st.Pending != 0 {
			t.Errorf("Close = %v, reported %d, dropped %v, pending %d: want the span delivered (logged %q)", err, st.Reported, st.DroppedBy, st.Pending, logged)
		}
		return
	}
	c := oteltest.New(t)
	collector := strings.TrimPrefix(c.Endpoint("grpc"), "grpc://")
	_, port, _ := net.SplitHostPort(collector)
	p := startProxy(t, nil, collector)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestGRPCProxyFromEnvironment$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(),
		grpcProxyChild+"=1",
		"HTTPS_PROXY="+p.URL, "https_proxy="+p.URL, "NO_PROXY=", "no_proxy=",
		otel.EnvEndpoint+"=", otel.EnvTracesEndpoint+"=http://collector.invalid:"+port, otel.EnvTracesProtocol+"=grpc",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("the tracer's process:\n%s", out)
	if err != nil || !strings.Contains(string(out), "--- PASS: TestGRPCProxyFromEnvironment") {
		t.Fatalf("the tracer's process: %v", err)
	}
	if got, want := p.requests(), "CONNECT collector.invalid:"+port; len(got) != 1 || got[0] != want {
		t.Errorf("the proxy got %q, want %q", got, want)
	}
	if spans := c.Spans(); len(spans) != 1 || spans[0].Operation != "probe" {
		t.Errorf("the collector decoded %v, want the span probe", spans)
	}
}
