// Command example runs one trace across HTTP and gRPC: a "web" service's
// HTTP handler calls an "orders" gRPC service, whose handler calls an
// "inventory" HTTP service. Each service has its own traceplug Tracer on the
// mock backend (point them at jaeger, zipkin, lightstep or otel with a
// one-word change), and the example prints the trace's waterfall as the
// collector received it:
//
//	go run ./example
//
// The gRPC service is gRPC's own test service
// (google.golang.org/grpc/interop/grpc_testing), so nothing is generated at
// build time.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"

	"github.com/traceplug/traceplug/backends/mock" // registers "mock"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/grpctrace"
)

func main() {
	spans, err := run()
	if err != nil {
		log.Fatal(err)
	}
	waterfall(os.Stdout, spans)
}

// orders is the gRPC service: UnaryCall asks the inventory over HTTP.
type orders struct {
	testgrpc.UnimplementedTestServiceServer
	inventory string
	client    *http.Client
}

func (o *orders) UnaryCall(ctx context.Context, req *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	// ctx holds the server span: the HTTP call below is its child.
	r, err := http.NewRequestWithContext(ctx, "GET", o.inventory+"/stock/42", nil)
	if err != nil {
		return nil, err
	}
	resp, err := o.client.Do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return &testgrpc.SimpleResponse{Username: string(body)}, nil
}

// run starts the three services, sends one request to the first, closes the
// tracers and returns the spans the collector received.
func run() ([]mock.Span, error) {
	col := mock.NewCollector()
	defer col.Close()
	tracer := func(service string) (*core.Tracer, error) {
		return core.New("mock", core.WithServiceName(service), core.WithTraceAll(true), core.WithEndpoint(col.Endpoint()))
	}
	web, err := tracer("web")
	if err != nil {
		return nil, err
	}
	defer web.Close()
	ordersTracer, err := tracer("orders")
	if err != nil {
		return nil, err
	}
	defer ordersTracer.Close()
	inventoryTracer, err := tracer("inventory")
	if err != nil {
		return nil, err
	}
	defer inventoryTracer.Close()

	// inventory: an HTTP service.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stock/{id}", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond) // a lookup
		_, _ = io.WriteString(w, "in stock")
	})
	inventory := httptest.NewServer(inventoryTracer.Middleware(mux))
	defer inventory.Close()

	// orders: a gRPC service, traced by a stats handler.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	// snippet:server
	srv := grpc.NewServer(grpc.StatsHandler(grpctrace.ServerHandler(ordersTracer)))
	// end snippet
	testgrpc.RegisterTestServiceServer(srv, &orders{inventory: inventory.URL, client: &http.Client{Transport: ordersTracer.Transport(nil)}})
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	// web: an HTTP service whose handler calls orders.
	// snippet:client
	conn, err := grpc.NewClient(lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(grpctrace.ClientHandler(web)))
	// end snippet
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	client := testgrpc.NewTestServiceClient(conn)
	front := httptest.NewServer(web.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := client.UnaryCall(r.Context(), &testgrpc.SimpleRequest{})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_, _ = io.WriteString(w, resp.GetUsername())
	})))
	defer front.Close()

	resp, err := http.Get(front.URL + "/checkout")
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	// Wait for the servers' spans, then flush every tracer.
	for _, tr := range []*core.Tracer{web, ordersTracer, inventoryTracer} {
		for st := tr.Stats(); st.Started != st.Finished; st = tr.Stats() {
			time.Sleep(time.Millisecond)
		}
		if err := tr.Close(); err != nil {
			return nil, err
		}
	}
	return col.Spans(), nil
}

// waterfall prints spans as a tree under their roots, children in start
// order, each with its offset from the trace's start and its duration.
func waterfall(w io.Writer, spans []mock.Span) {
	sort.Slice(spans, func(i, j int) bool { return spans[i].Start.Before(spans[j].Start) })
	children := map[uint64][]mock.Span{}
	ids := map[uint64]bool{}
	for _, s := range spans {
		ids[s.SpanID] = true
	}
	var roots []mock.Span
	for _, s := range spans {
		if s.ParentID == 0 || !ids[s.ParentID] {
			roots = append(roots, s)
		} else {
			children[s.ParentID] = append(children[s.ParentID], s)
		}
	}
	for _, root := range roots {
		fmt.Fprintf(w, "trace %016x%016x\n", root.TraceIDHigh, root.TraceID)
		var walk func(s mock.Span, depth int)
		walk = func(s mock.Span, depth int) {
			label := fmt.Sprintf("%s%s %s [%v]", strings.Repeat("  ", depth), s.Service, s.Operation, s.Tags["span.kind"])
			fmt.Fprintf(w, "%-72s +%6.2fms %6.2fms\n", label,
				float64(s.Start.Sub(root.Start).Microseconds())/1000, float64(s.Duration().Microseconds())/1000)
			for _, c := range children[s.SpanID] {
				walk(c, depth+1)
			}
		}
		walk(root, 0)
	}
}
