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
	"strings"
	"testing"
	"time"

	"github.com/traceplug/traceplug/core"

	_ "github.com/traceplug/traceplug/backends/jaeger"
	_ "github.com/traceplug/traceplug/backends/zipkin"
)

// Where scripts/jaeger.sh puts Jaeger.
const (
	queryURL     = "http://127.0.0.1:16686"
	agentUDP     = "udp://127.0.0.1:6831"
	collectorURL = "http://127.0.0.1:14268/api/traces"
	zipkinURL    = "http://127.0.0.1:9411/api/v2/spans"
)

var (
	query   = Query{URL: queryURL, Client: &http.Client{Timeout: 5 * time.Second}}
	example string // the built example program
)

func TestMain(m *testing.M) {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:16686", 2*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: no Jaeger query service on 127.0.0.1:16686: start one with scripts/jaeger.sh start")
		os.Exit(1)
	}
	conn.Close()
	dir, err := os.MkdirTemp("", "traceplug-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	example = filepath.Join(dir, "clientserver")
	if out, err := exec.Command("go", "build", "-o", example, "../examples/clientserver").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building the example: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runExample runs the example with env and returns the trace id it printed
// for each flow.
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
		f := strings.Fields(sc.Text())
		if len(f) == 3 && strings.HasPrefix(f[0], "/client/") && f[1] == "trace" {
			ids[strings.TrimPrefix(f[0], "/client/")] = f[2]
		}
	}
	if len(ids) != 3 {
		t.Fatalf("the example printed %d trace ids, want 3", len(ids))
	}
	return ids
}

func TestExampleTracesInJaeger(t *testing.T) {
	for _, tc := range []struct {
		name, backend, endpoint string
		fold                    bool // Zipkin lower-cases span names
	}{
		{"jaeger-udp", "jaeger", agentUDP, false},
		{"jaeger-http", "jaeger", collectorURL, false},
		{"zipkin-receiver", "zipkin", zipkinURL, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Lower case: Zipkin lower-cases service names too.
			service := fmt.Sprintf("e2e-%s-%d", tc.name, time.Now().UnixNano())
			ids := runExample(t, "TRACEPLUG_BACKEND="+tc.backend, "TRACEPLUG_ENDPOINT="+tc.endpoint, "TRACEPLUG_SERVICE_NAME="+service)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for _, flow := range []string{"simple", "log", "childspan"} {
				want := ExampleShape(flow, service)
				tr, err := query.WaitTrace(ctx, ids[flow], count(want))
				if err != nil {
					t.Fatalf("%s flow: %v", flow, err)
				}
				if !SameID(tr.TraceID, ids[flow]) {
					t.Errorf("%s flow: Jaeger returned trace %s for id %s", flow, tr.TraceID, ids[flow])
				}
				if err := CheckShape(tr, want, tc.fold); err != nil {
					t.Errorf("%s flow: %v", flow, err)
				}
			}
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
	t.Logf("one trace %s across %s (zipkin) and %s (jaeger):\n%s", tr.TraceID, frontName, backName, tr.Describe())
}
