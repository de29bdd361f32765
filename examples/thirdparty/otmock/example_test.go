package otmock_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/traceplug/traceplug/core"

	_ "example.com/thirdparty/otmock" // registers "otmock": the blank import does only that
	"example.com/thirdparty/otmock/otmocktest"
)

// A user's view of a third-party backend: a blank import registers it, and
// core.New picks it by name, like any of traceplug's own. The collector here
// stands in for the one at the endpoint.
func Example() {
	collector, err := otmocktest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer collector.Close()

	tracer, err := core.New("otmock",
		core.WithServiceName("shop"),
		core.WithEndpoint(collector.Endpoint()),
		core.WithTraceAll(true))
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "an item")
	})
	srv := httptest.NewServer(tracer.Middleware(mux))
	resp, err := http.Get(srv.URL + "/items/42")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	srv.Close()

	if err := tracer.Close(); err != nil { // flushes: the span is on the wire
		log.Fatal(err)
	}
	for _, s := range collector.Spans() {
		status, _ := s.Tag("http.status_code")
		fmt.Println(s.Service, s.Operation, status)
	}
	stats := tracer.Stats()
	fmt.Printf("reported %d, dropped %d\n", stats.Reported, stats.Dropped)
	// Output:
	// shop GET /items/{id} 200
	// reported 1, dropped 0
}
