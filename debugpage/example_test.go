package debugpage_test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"

	"github.com/opentracing/opentracing-go"

	_ "github.com/traceplug/traceplug/backends/mock" // registers "mock"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/debugpage"
)

// Attach a page to a Tracer when it is built, and serve it on an internal
// address, never on the application's own.
func Example() {
	page, err := debugpage.New(debugpage.WithTraceURL("http://localhost:16686/trace/{trace_id}"))
	if err != nil {
		fmt.Println(err)
		return
	}
	tracer, err := core.New("mock", core.WithTraceAll(true), core.WithRecorder(page))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tracer.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		span, _ := opentracing.StartSpanFromContextWithTracer(r.Context(), tracer, "load item")
		defer span.Finish()
		_, _ = io.WriteString(w, "item "+r.PathValue("id"))
	})
	app := httptest.NewServer(tracer.Middleware(mux))
	defer app.Close()
	internal := httptest.NewServer(page.Handler(tracer)) // say, http.ListenAndServe("127.0.0.1:8081", ...)
	defer internal.Close()

	for _, id := range []string{"1", "2", "3"} {
		if resp, err := http.Get(app.URL + "/items/" + id); err == nil {
			resp.Body.Close()
		}
	}

	// The JSON form, for scripts; the HTML page is at internal.URL.
	resp, err := http.Get(internal.URL + "?format=json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var raw map[string]json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&raw)
	fmt.Println("keys:", strings.Join(slices.Sorted(maps.Keys(raw)), " "))

	var stats struct{ Finished uint64 }
	_ = json.Unmarshal(raw["stats"], &stats)
	fmt.Println("finished:", stats.Finished)
	var ops []struct {
		Kind, Name       string
		Requests, Errors uint64
	}
	_ = json.Unmarshal(raw["operations"], &ops)
	for _, op := range ops {
		fmt.Printf("%s %q: %d requests, %d errors\n", op.Kind, op.Name, op.Requests, op.Errors)
	}
	var traces []struct {
		Spans []struct {
			Depth           int
			Kind, Operation string
		}
	}
	_ = json.Unmarshal(raw["traces"], &traces)
	fmt.Println("traces:", len(traces))
	for _, s := range traces[0].Spans {
		fmt.Printf("%s%s %q\n", strings.Repeat("  ", s.Depth), s.Kind, s.Operation)
	}
	// Output:
	// keys: generated limits operations recorded recording_since settings stats traces
	// finished: 3
	// server "GET /items/{id}": 3 requests, 0 errors
	// internal "load item": 3 requests, 0 errors
	// traces: 3
	// server "GET /items/{id}"
	//   internal "load item"
}
