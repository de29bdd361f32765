package otlpgrpc_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/internal/transporttest"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// TestEnvEndpoint: the endpoint and protocol, traceplug's settings over the
// traces variables over the general ones over the defaults, with both
// transports linked: the span arrives over the one the settings choose.
func TestEnvEndpoint(t *testing.T) {
	c := oteltest.New(t)
	httpBase := strings.TrimSuffix(c.Endpoint("http"), "/v1/traces")
	grpcAddr := strings.TrimPrefix(c.Endpoint("grpc"), "grpc://")
	cases := []struct {
		name      string
		env       map[string]string
		opts      []core.Option
		transport string // where the span must arrive
	}{
		{name: "general endpoint gets /v1/traces", env: map[string]string{otel.EnvEndpoint: httpBase}, transport: "http"},
		{name: "traces endpoint over general", env: map[string]string{otel.EnvTracesEndpoint: httpBase + "/v1/traces", otel.EnvEndpoint: "http://" + grpcAddr}, transport: "http"},
		{name: "grpc protocol variable", env: map[string]string{otel.EnvEndpoint: "http://" + grpcAddr, otel.EnvProtocol: "grpc"}, transport: "grpc"},
		{name: "traces protocol over general", env: map[string]string{otel.EnvEndpoint: httpBase, otel.EnvProtocol: "grpc", otel.EnvTracesProtocol: "http/protobuf"}, transport: "http"},
		{name: "grpc scheme", opts: []core.Option{core.WithEndpoint("grpc://" + grpcAddr)}, transport: "grpc"},
		{name: "grpc scheme from the environment", env: map[string]string{otel.EnvTracesEndpoint: "grpc://" + grpcAddr}, transport: "grpc"},
		{name: "protocol param over variable", env: map[string]string{otel.EnvProtocol: "http/protobuf"},
			opts: []core.Option{core.WithEndpoint("http://" + grpcAddr), core.WithParam("protocol", "grpc")}, transport: "grpc"},
		{name: "grpc endpoint from the environment, gzip", env: map[string]string{otel.EnvEndpoint: "http://" + grpcAddr, otel.EnvProtocol: "grpc", otel.EnvCompression: "gzip"}, transport: "grpc"},
		{name: "gzip param", opts: []core.Option{core.WithEndpoint("grpc://" + grpcAddr), core.WithParam("compression", "gzip")}, transport: "grpc"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			before := len(c.Requests())
			transporttest.Probe(t, tc.opts...)
			reqs, headers := c.Requests()[before:], c.Headers()[before:]
			if len(reqs) != 1 {
				t.Fatalf("the collector received %d requests, want 1 (errors: %v)", len(reqs), c.Errors())
			}
			isHTTP := headers[0].Get("Content-Type") == "application/x-protobuf"
			if got := map[bool]string{true: "http", false: "grpc"}[isHTTP]; got != tc.transport {
				t.Errorf("the span arrived over %s, want %s", got, tc.transport)
			}
			if tc.transport == "grpc" && headers[0].Get("Content-Type") != "application/grpc" {
				t.Errorf("content-type %q, want application/grpc (protobuf), as the OTLP exporter's", headers[0].Get("Content-Type"))
			}
		})
	}
}

// TestExportTimeoutFromEnv: OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, over
// OTEL_EXPORTER_OTLP_TIMEOUT, bounds an export: against a collector that
// never answers, the export fails with a timeout, and the span is dropped
// and counted as send failed.
func TestExportTimeoutFromEnv(t *testing.T) {
	t.Setenv(otel.EnvTimeout, "3600000")
	t.Setenv(otel.EnvTracesTimeout, "100")
	silent := &silentService{}
	st, err, logged := transporttest.Send(t, core.WithEndpoint("grpc://"+startGRPC(t, silent, nil)))
	transporttest.WantFailed(t, st, err, logged, nil, "DeadlineExceeded")
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
		st, err, logged := transporttest.Send(t)
		if err != nil || st.Reported != 1 || st.Dropped != 0 || st.Pending != 0 {
			t.Errorf("Close = %v, reported %d, dropped %v, pending %d: want the span delivered (logged %q)", err, st.Reported, st.DroppedBy, st.Pending, logged)
		}
		return
	}
	c := oteltest.New(t)
	collector := strings.TrimPrefix(c.Endpoint("grpc"), "grpc://")
	_, port, _ := net.SplitHostPort(collector)
	p := transporttest.StartProxy(t, nil, collector)

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
	if got, want := p.Requests(), "CONNECT collector.invalid:"+port; len(got) != 1 || got[0] != want {
		t.Errorf("the proxy got %q, want %q", got, want)
	}
	if spans := c.Spans(); len(spans) != 1 || spans[0].Operation != "probe" {
		t.Errorf("the collector decoded %v, want the span probe", spans)
	}
}

// TestGRPCHostPort: a gRPC endpoint of the form HOST:PORT is TLS unless
// OTEL_EXPORTER_OTLP_TRACES_INSECURE, else OTEL_EXPORTER_OTLP_INSECURE, is
// true; an endpoint with a scheme is what its scheme says, whatever those
// variables say, and a log line says that they are ignored.
func TestGRPCHostPort(t *testing.T) {
	p := transporttest.NewPKI(t, "grpc")
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
			t.Setenv(otel.EnvCertificate, p.CAFile)
			plainRec, tlsRec := &transporttest.Recorder{}, &transporttest.Recorder{}
			addrs := strings.NewReplacer("$PLAIN", startGRPC(t, recorder{rec: plainRec}, nil), "$TLS", startGRPC(t, recorder{rec: tlsRec}, p.ServerTLS(false)))
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
			st, err, logged := transporttest.Send(t, opts...)
			transporttest.WantDelivered(t, st, err, logged, want)
			if spans, _ := other.Received(); len(spans) != 0 {
				t.Errorf("the other collector decoded %v", spans)
			}
			if tc.ignored != "" && !strings.Contains(logged, tc.ignored) {
				t.Errorf("logged %q, want %q", logged, tc.ignored)
			}
		})
	}
}

// TestUnavailableIsRetried: a collector that is there but answers
// Unavailable (overloaded) is tried again until export_timeout, as the OTLP
// specification asks; only a refused connection is final.
func TestUnavailableIsRetried(t *testing.T) {
	var calls atomic.Int64
	addr := startGRPC(t, unavailable{calls: &calls}, nil)
	tr, err := core.New("otel", core.WithEndpoint("grpc://"+addr),
		core.WithParam("export_timeout", "1s"), core.WithParam("export_interval", "1h"))
	if err != nil {
		t.Fatal(err)
	}
	tr.StartSpan("busy").Finish()
	_ = tr.Close() // its error counts the span lost, checked below
	if n := calls.Load(); n < 2 {
		t.Errorf("%d calls: Unavailable was not retried", n)
	}
	if st := tr.Stats(); st.DroppedBy[backend.DropSend] != 1 {
		t.Errorf("dropped %v, want 1 %q", st.DroppedBy, backend.DropSend)
	}
}

type unavailable struct {
	coltracepb.UnimplementedTraceServiceServer
	calls *atomic.Int64
}

func (u unavailable) Export(context.Context, *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	u.calls.Add(1)
	return nil, status.Error(codes.Unavailable, "overloaded, try again")
}

// TestAdversarialOtelCollectorAnswers: a collector that answers every call
// with Internal (an error that is not temporary) rejects the spans, counted
// as such: the gRPC case of the otel module's test of the same name, whose
// other cases are HTTP status codes.
func TestAdversarialOtelCollectorAnswers(t *testing.T) {
	tr, err := core.New("otel", core.WithEndpoint(oteltest.FaultyEndpoint(t, "grpc", oteltest.Failing)),
		core.WithServiceName("adv-svc"), core.WithParam("export_timeout", "3s"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		tr.StartSpan("s").Finish()
	}
	_ = tr.Close()
	st := conformance.CheckAccounting(t, tr, 0)
	if st.DroppedBy[backend.DropRejected] != 4 {
		t.Errorf("DroppedBy %v, want 4 rejected", st.DroppedBy)
	}
}
