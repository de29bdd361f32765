package grpctrace_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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

// inventoryService is the gRPC service of the example: UnaryCall asks an
// HTTP service, with the call's context, so that the HTTP call is the gRPC
// span's child.
type inventoryService struct {
	testgrpc.UnimplementedTestServiceServer
	url    string
	client *http.Client
}

func (s *inventoryService) UnaryCall(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	r, _ := http.NewRequestWithContext(ctx, "GET", s.url+"/stock/42", nil)
	resp, err := s.client.Do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return &testgrpc.SimpleResponse{Username: string(body)}, nil
}

// One trace across HTTP → gRPC → HTTP, every hop with the same Tracer: the
// HTTP middleware and transport, and the gRPC stats handlers.
func Example() {
	col := mock.NewCollector()
	defer col.Close()
	tracer, err := core.New("mock", core.WithServiceName("shop"), core.WithTraceAll(true), core.WithEndpoint(col.Endpoint()))
	if err != nil {
		fmt.Println(err)
		return
	}

	// An HTTP service.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stock/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "in stock") })
	stock := httptest.NewServer(tracer.Middleware(mux))
	defer stock.Close()

	// A gRPC server calling it.
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := grpc.NewServer(grpc.StatsHandler(grpctrace.ServerHandler(tracer)))
	testgrpc.RegisterTestServiceServer(srv, &inventoryService{url: stock.URL, client: &http.Client{Transport: tracer.Transport(nil)}})
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	// An HTTP handler calling the gRPC server.
	conn, _ := grpc.NewClient(lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(grpctrace.ClientHandler(tracer)))
	defer conn.Close()
	client := testgrpc.NewTestServiceClient(conn)
	front := httptest.NewServer(tracer.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))

	for st := tracer.Stats(); st.Started != st.Finished; st = tracer.Stats() {
		time.Sleep(time.Millisecond) // the gRPC server's span ends just after the answer
	}
	_ = tracer.Close()
	printTree(col.Spans())
	// Output:
	// in stock
	// HTTP GET [server]
	//   /grpc.testing.TestService/UnaryCall [client]
	//     /grpc.testing.TestService/UnaryCall [server]
	//       HTTP GET [client]
	//         GET /stock/{id} [server]
}

// printTree prints spans as a tree, children in start order.
func printTree(spans []mock.Span) {
	sort.Slice(spans, func(i, j int) bool { return spans[i].Start.Before(spans[j].Start) })
	var walk func(parent uint64, depth int)
	walk = func(parent uint64, depth int) {
		for _, s := range spans {
			if s.ParentID == parent {
				fmt.Printf("%s%s [%v]\n", strings.Repeat("  ", depth), s.Operation, s.Tags["span.kind"])
				walk(s.SpanID, depth+1)
			}
		}
	}
	walk(0, 0)
}
