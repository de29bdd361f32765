package bench

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	_ "github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/sampling"
)

// route is the pattern BenchmarkRemoteSampler's ServeMux routes the request
// to, and the operation (span name) the sampler is asked about.
const route = "GET /items/{id}"

// BenchmarkRemoteSampler is BenchmarkServer's request, routed by a ServeMux
// (route), through traceplug on the mock backend whose sampler is
// ParentBased(NewJaegerRemote) following a per-operation strategy, served
// by a strategy server in the process, that lists 10 or 1,000 operations,
// the request's route among them (probability 0.001 each, a lower bound of
// one trace a minute): what a request costs should not grow with the
// operations listed. Beside them, in the same run: the bare ServeMux, and
// traceplug at WithSampleRate(0), which decides on the trace id alone (and so
// does not look the route up before the decision, as a sampler by operation
// makes Middleware do).
func BenchmarkRemoteSampler(b *testing.B) {
	mux := http.NewServeMux()
	mux.Handle(route, handler)
	b.Run("bare", func(b *testing.B) { serve(b, mux, nil) })
	b.Run("rate-0", func(b *testing.B) {
		tr, err := core.New("mock", core.WithTraceAll(true), core.WithSampleRate(0))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = tr.Close() })
		serve(b, tr.Middleware(mux), nil)
	})
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("remote-%d", n), func(b *testing.B) {
			strategies := httptest.NewServer(perOperationStrategy(b, n))
			b.Cleanup(strategies.Close)
			remote, err := sampling.NewJaegerRemote(sampling.JaegerRemoteConfig{Endpoint: strategies.URL, ServiceName: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			tr, err := core.New("mock", core.WithTraceAll(true), core.WithSampler(sampling.ParentBased(remote)))
			if err != nil {
				_ = sampling.Close(remote)
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = tr.Close() }) // closes remote
			status := remote.(sampling.StatusReporter)
			for deadline := time.Now().Add(10 * time.Second); status.Status().Updated.IsZero(); time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					b.Fatalf("no strategy after 10s: %+v", status.Status())
				}
			}
			serve(b, tr.Middleware(mux), nil)
			b.StopTimer()
			st := tr.Stats().Sampling
			if _, ok := st.Operations[route]; !ok || len(st.Operations) != 1 {
				b.Fatalf("decided operations %v, want only %q", st.Operations, route)
			}
			if want := fmt.Sprintf("per-operation: %d operations", n); !strings.Contains(st.Sampler, want) {
				b.Fatalf("sampler %s, want %s", st.Sampler, want)
			}
		})
	}
}

// perOperationStrategy serves a Jaeger per-operation strategy listing n
// operations, route among them, in the collector's and agent's JSON.
func perOperationStrategy(b *testing.B, n int) http.Handler {
	type probabilistic struct {
		SamplingRate float64 `json:"samplingRate"`
	}
	type operation struct {
		Operation             string        `json:"operation"`
		ProbabilisticSampling probabilistic `json:"probabilisticSampling"`
	}
	ops := make([]operation, n)
	for i := range ops {
		ops[i] = operation{fmt.Sprintf("GET /api/v1/resource-%d/{id}", i), probabilistic{0.001}}
	}
	ops[n/2].Operation = route
	body, err := json.Marshal(map[string]any{
		"strategyType":          "PROBABILISTIC",
		"probabilisticSampling": probabilistic{0.001},
		"operationSampling": map[string]any{
			"defaultSamplingProbability":       0.001,
			"defaultLowerBoundTracesPerSecond": 1.0 / 60,
			"perOperationStrategies":           ops,
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}
