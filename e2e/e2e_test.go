//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/traceplug/traceplug/core"

	_ "github.com/traceplug/traceplug/backends/jaeger"
	_ "github.com/traceplug/traceplug/backends/otel"
	_ "github.com/traceplug/traceplug/backends/otel/otlpgrpc" // OTLP over gRPC (grpc:// endpoints)
	_ "github.com/traceplug/traceplug/backends/zipkin"
)

// Where scripts/jaeger.sh puts Jaeger, either version.
const (
	queryURL     = "http://127.0.0.1:16686"
	agentUDP     = "udp://127.0.0.1:6831"
	collectorURL = "http://127.0.0.1:14268/api/traces"
	zipkinURL    = "http://127.0.0.1:9411/api/v2/spans"
	otlpHTTPURL  = "http://127.0.0.1:4318/v1/traces"
	otlpGRPCAddr = "127.0.0.1:4317"

	v1HealthURL  = "http://127.0.0.1:14269/"       // v1's admin port: "Server available"
	v2HealthURL  = "http://127.0.0.1:13133/status" // v2's healthcheckv2 extension
	v2MetricsURL = "http://127.0.0.1:8888/metrics" // v2's own metrics, Prometheus text
)

var (
	query   = Query{URL: queryURL, Client: &http.Client{Timeout: 5 * time.Second}}
	example string  // the built example program
	version Version // of the Jaeger under test
)

func TestMain(m *testing.M) {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:16686", 2*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: no Jaeger query service on 127.0.0.1:16686: start one with scripts/jaeger.sh start")
		os.Exit(1)
	}
	conn.Close()
	if version, err = detectVersion(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// JAEGER_VERSION, as scripts/jaeger.sh reads it: a run meant for one
	// version must not pass on the other.
	if want := os.Getenv("JAEGER_VERSION"); want != "" && Version(want) != version {
		fmt.Fprintf(os.Stderr, "e2e: JAEGER_VERSION=%s but the Jaeger on 127.0.0.1 is %s\n", want, version)
		os.Exit(1)
	}
	fmt.Printf("e2e: testing against Jaeger %s\n", version)
	dir, err := os.MkdirTemp("", "traceplug-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	example = filepath.Join(dir, "clientserver")
	// Built in its own module, so that GOWORK=off works too.
	build := exec.Command("go", "build", "-o", example, "./clientserver")
	build.Dir = "../examples"
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building the example: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// detectVersion asks which Jaeger runs: only v2 answers on 13133, only v1
// on 14269.
func detectVersion() (Version, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	healthy := func(url, want string) bool {
		resp, err := client.Get(url)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return resp.StatusCode == http.StatusOK && strings.Contains(string(body), want)
	}
	switch {
	case healthy(v2HealthURL, `"healthy":true`):
		return V2, nil
	case healthy(v1HealthURL, "Server available"):
		return V1, nil
	}
	return "", fmt.Errorf("e2e: Jaeger answers on 127.0.0.1:16686 but is healthy on neither %s (v2) nor %s (v1)", v2HealthURL, v1HealthURL)
}

// arrivals is v2's count of accepted spans by receiver and transport, taken
// before spans are sent; nil on v1, which tags each span instead.
type arrivals map[string]int64

func noteArrivals(t *testing.T) arrivals {
	t.Helper()
	if version != V2 {
		return nil
	}
	resp, err := http.Get(v2MetricsURL)
	if err != nil {
		t.Fatalf("reading Jaeger's metrics: %v", err)
	}
	defer resp.Body.Close()
	counts, err := AcceptedSpans(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

// checkVia checks that the spans of service in traces came in through via:
// on v1 each must carry via's internal.span.format tag; on v2 the receiver's
// accepted-spans counter must have grown by at least their number since
// before (at least: another client of the same Jaeger may add to it).
func checkVia(t *testing.T, before arrivals, via Via, service string, traces ...*Trace) {
	t.Helper()
	n := 0
	for _, tr := range traces {
		if version == V1 {
			if err := CheckFormat(tr, service, via.Format); err != nil {
				t.Errorf("trace %s did not come in %s: %v", tr.TraceID, via.Format, err)
			}
		}
		for _, s := range tr.Spans {
			if tr.Processes[s.ProcessID].ServiceName == service {
				n++
			}
		}
	}
	if version != V2 {
		return
	}
	after := noteArrivals(t)
	if got := after[via.Transport] - before[via.Transport]; got < int64(n) {
		t.Errorf("Jaeger accepted %d spans on %s, want at least the %d of %s (counts before %v, after %v)", got, via.Transport, n, service, before, after)
	}
}

// checkListed checks that the query API lists service and exactly the
// operations of wants, each under its span kind.
func checkListed(ctx context.Context, t *testing.T, service string, fold bool, wants ...Want) {
	t.Helper()
	services, err := query.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(services, service) {
		t.Errorf("/api/services does not list %s: %v", service, services)
	}
	ops, err := query.Operations(ctx, service)
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	var walk func(Want)
	walk = func(w Want) {
		want = append(want, w.Kind+" "+w.Op)
		for _, c := range w.Children {
			walk(c)
		}
	}
	for _, w := range wants {
		walk(w)
	}
	for _, op := range ops {
		got = append(got, op.SpanKind+" "+op.Name)
	}
	norm := func(list []string) []string {
		for i := range list {
			if fold {
				list[i] = strings.ToLower(list[i])
			}
		}
		slices.Sort(list)
		return slices.Compact(list)
	}
	if want, got := norm(want), norm(got); !slices.Equal(got, want) {
		t.Errorf("/api/operations for %s lists (kind name):\n  %s\nwant:\n  %s", service, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// runExample runs the example with env and returns the trace id of each
// flow, from the line each client handler logs through the tracer's log
// handler: level=INFO msg="calling the server" path=/server/log trace_id=… span_id=…
func runExample(t *testing.T, env ...string) map[string]string {
	t.Helper()
	cmd := exec.Command(example)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the example failed: %v\n%s", err, out.String())
	}
	t.Logf("the example printed:\n%s", out.String())
	ids := map[string]string{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if !strings.Contains(sc.Text(), `msg="calling the server"`) {
			continue
		}
		var flow, id string
		for _, f := range strings.Fields(sc.Text()) {
			if v, ok := strings.CutPrefix(f, "path=/server/"); ok {
				flow = v
			} else if v, ok := strings.CutPrefix(f, "trace_id="); ok {
				id = v
			}
		}
		if flow != "" && id != "" {
			ids[flow] = id
		}
	}
	if len(ids) != 3 {
		t.Fatalf("the example logged the trace ids of %d flows, want 3: %v", len(ids), ids)
	}
	return ids
}

func TestExampleTracesInJaeger(t *testing.T) {
	for _, tc := range []struct {
		name, backend, endpoint string
		fold                    bool // Zipkin lower-cases span names
		via                     Via
		// unkinded is the span.kind Jaeger shows for child_span, started
		// without one: none, but OTLP spans always have a kind (INTERNAL).
		unkinded string
	}{
		{"jaeger-udp", "jaeger", agentUDP, false, ViaAgentUDP, ""},
		{"jaeger-http", "jaeger", collectorURL, false, ViaThriftHTTP, ""},
		{"zipkin-receiver", "zipkin", zipkinURL, true, ViaZipkin, ""},
		{"otel-otlp-http", "otel", otlpHTTPURL, false, ViaOTLPHTTP, "internal"},
		{"otel-otlp-grpc", "otel", "grpc://" + otlpGRPCAddr, false, ViaOTLPGRPC, "internal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Lower case: Zipkin lower-cases service names too.
			service := fmt.Sprintf("e2e-%s-%d", tc.name, time.Now().UnixNano())
			before := noteArrivals(t)
			// The shapes checked here are OpenTracing's tags; the otel
			// backend's own conventions (OpenTelemetry's) are compared
			// attribute by attribute with otelhttp in interop/semconv_test.go.
			ids := runExample(t, "TRACEPLUG_BACKEND="+tc.backend, "TRACEPLUG_ENDPOINT="+tc.endpoint, "TRACEPLUG_SERVICE_NAME="+service,
				"TRACEPLUG_CONVENTIONS=opentracing")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var got []*Trace
			var wants []Want
			for _, flow := range []string{"simple", "log", "childspan"} {
				want := ExampleShape(flow, service).Unkinded(tc.unkinded)
				wants = append(wants, want)
				tr, err := query.WaitTrace(ctx, ids[flow], count(want))
				if err != nil {
					t.Fatalf("%s flow: %v", flow, err)
				}
				got = append(got, tr)
				if !SameID(tr.TraceID, ids[flow]) {
					t.Errorf("%s flow: Jaeger returned trace %s for id %s", flow, tr.TraceID, ids[flow])
				}
				if err := CheckShape(tr, want, tc.fold); err != nil {
					t.Errorf("%s flow: %v", flow, err)
				}
				t.Logf("%s flow: trace %s\n%s", flow, tr.TraceID, tr.Describe())
			}
			checkVia(t, before, tc.via, service, got...)
			checkListed(ctx, t, service, tc.fold, wants...)
			traces, err := query.Traces(ctx, service)
			if err != nil {
				t.Fatal(err)
			}
			if len(traces) != 3 {
				t.Errorf("Jaeger lists %d traces for service %s, want 3", len(traces), service)
			}
		})
	}
}

// TestMixedFleetOnB3: a service on the zipkin backend calls a service on the
// jaeger backend, both speaking B3; Jaeger shows one trace across both.
func TestMixedFleetOnB3(t *testing.T) {
	stamp := time.Now().UnixNano()
	frontName, backName := fmt.Sprintf("e2e-zipkin-front-%d", stamp), fmt.Sprintf("e2e-jaeger-back-%d", stamp)
	back, err := core.New("jaeger", core.WithEndpoint(collectorURL), core.WithServiceName(backName), core.WithTraceAll(true), core.WithPropagation("b3"))
	if err != nil {
		t.Fatal(err)
	}
	front, err := core.New("zipkin", core.WithEndpoint(zipkinURL), core.WithServiceName(frontName), core.WithTraceAll(true), core.WithPropagation("b3"))
	if err != nil {
		t.Fatal(err)
	}
	before := noteArrivals(t)
	backSrv := httptest.NewServer(back.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "stock: 7")
	})))
	defer backSrv.Close()
	client := &http.Client{Transport: front.Transport(nil)}
	frontSrv := httptest.NewServer(front.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", backSrv.URL+"/stock", nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		_, _ = io.Copy(w, resp.Body)
	})))
	defer frontSrv.Close()
	resp, err := http.Get(frontSrv.URL + "/order")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := front.Close(); err != nil {
		t.Fatal(err)
	}
	if err := back.Close(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var traces []Trace
	for {
		if traces, err = query.Traces(ctx, backName); err == nil && len(traces) == 1 && len(traces[0].Spans) >= 3 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Jaeger has no 3-span trace for %s: %v %v", backName, traces, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	tr := &traces[0]
	want := Want{Op: "HTTP GET", Kind: "server", Service: frontName, Children: []Want{
		{Op: "HTTP GET", Kind: "client", Service: frontName, Children: []Want{
			{Op: "HTTP GET", Kind: "server", Service: backName},
		}},
	}}
	if err := CheckShape(tr, want, true); err != nil {
		t.Fatal(err)
	}
	checkVia(t, before, ViaZipkin, frontName, tr)
	checkVia(t, before, ViaThriftHTTP, backName, tr)
	t.Logf("one trace %s across %s (zipkin) and %s (jaeger):\n%s", tr.TraceID, frontName, backName, tr.Describe())
}
