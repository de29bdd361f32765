package readme

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/traceplug/traceplug/backends/mock"
)

// TestSamplingSnippet: the Sampling snippet's rules apply by route: health
// checks never, orders always, searches within their rate.
func TestSamplingSnippet(t *testing.T) {
	mux := http.NewServeMux()
	for _, route := range []string{"GET /healthz", "GET /search", "POST /orders", "GET /items/{id}"} {
		mux.HandleFunc(route, func(http.ResponseWriter, *http.Request) {})
	}
	h, tr, err := newSampledTracer(mux)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for range 3 {
		for _, r := range []struct{ method, path string }{{"GET", "/healthz"}, {"POST", "/orders"}, {"GET", "/items/7"}} {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(r.method, r.path, nil))
		}
	}
	byName := map[string]int{}
	for _, s := range tr.Unwrap().(*mock.Tracer).FinishedSpans() {
		byName[s.Operation]++
	}
	if byName["GET /healthz"] != 0 || byName["POST /orders"] != 3 || byName["GET /items/{id}"] != 3 {
		t.Errorf("recorded %v", byName)
	}
	if ops := tr.Stats().Sampling.Operations; ops["GET /healthz"].NotSampled != 3 {
		t.Errorf("stats: %v", ops)
	}
}
