//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/grpctrace"
)

// TestGRPCTraceInJaeger (issue 17): the grpctrace example's trace, HTTP →
// gRPC → HTTP, with each service's tracer on a real backend reporting to
// Jaeger: "web" serves HTTP and calls "orders" over gRPC (grpctrace's client
// stats handler), whose method (grpctrace's server stats handler) calls
// "inventory" over HTTP. Jaeger shows one trace of five spans across the
// three services, the gRPC ones tagged rpc.system=grpc.
func TestGRPCTraceInJaeger(t *testing.T) {
	for _, tc := range []struct {
		name, backend, endpoint string
		via                     Via
	}{
		{"jaeger-udp", "jaeger", agentUDP, ViaAgentUDP},
		{"otel-otlp-grpc", "otel", "grpc://" + otlpGRPCAddr, ViaOTLPGRPC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			stamp := time.Now().UnixNano()
			service := func(role string) string { return fmt.Sprintf("e2e-grpc-%s-%s-%d", tc.name, role, stamp) }
			webName, ordersName, inventoryName := service("web"), service("orders"), service("inventory")
			tracer := func(name string) *core.Tracer {
				// OpenTracing's tags, which the shapes below check, on every
				// backend: interop/semconv_test.go compares the otel
				// backend's own (OpenTelemetry's) with otelgrpc.
				tr, err := core.New(tc.backend, core.WithEndpoint(tc.endpoint), core.WithServiceName(name), core.WithTraceAll(true),
					core.WithConventions("opentracing"))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = tr.Close() })
				return tr
			}
			web, orders, inventory := tracer(webName), tracer(ordersName), tracer(inventoryName)
			before := noteArrivals(t)

			// inventory: HTTP.
			mux := http.NewServeMux()
			mux.HandleFunc("GET /stock/{id}", func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "in stock")
			})
			inventorySrv := httptest.NewServer(inventory.Middleware(mux))
			defer inventorySrv.Close()

			// orders: gRPC, calling inventory.
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := grpc.NewServer(grpc.StatsHandler(grpctrace.ServerHandler(orders)))
			testgrpc.RegisterTestServiceServer(srv, &ordersService{
				inventory: inventorySrv.URL,
				client:    &http.Client{Transport: orders.Transport(nil)},
			})
			go func() { _ = srv.Serve(lis) }()
			defer srv.Stop()

			// web: HTTP, calling orders.
			conn, err := grpc.NewClient(lis.Addr().String(),
				grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithStatsHandler(grpctrace.ClientHandler(web)))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			client := testgrpc.NewTestServiceClient(conn)
			webMux := http.NewServeMux()
			webMux.HandleFunc("GET /checkout", func(w http.ResponseWriter, r *http.Request) {
				if id, _, ok := web.ContextIDs(r.Context()); ok {
					w.Header().Set("X-Trace-Id", id)
				}
				resp, err := client.UnaryCall(r.Context(), &testgrpc.SimpleRequest{})
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				_, _ = io.WriteString(w, resp.GetUsername())
			})
			webSrv := httptest.NewServer(web.Middleware(webMux))
			defer webSrv.Close()

			resp, err := http.Get(webSrv.URL + "/checkout")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(body) != "in stock" {
				t.Fatalf("GET /checkout: %s %q", resp.Status, body)
			}
			traceID := resp.Header.Get("X-Trace-Id")
			if traceID == "" {
				t.Fatal("web's handler found no trace id in its context")
			}
			// gRPC ends the server span after the answer is sent: wait for
			// every span to finish, then flush.
			for _, tr := range []*core.Tracer{web, orders, inventory} {
				if err := finished(ctx, tr); err != nil {
					t.Fatal(err)
				}
				if err := tr.Shutdown(ctx); err != nil {
					t.Fatal(err)
				}
			}

			const method = "/grpc.testing.TestService/UnaryCall"
			rpc := map[string]string{"rpc.system": "grpc", "rpc.service": "grpc.testing.TestService", "rpc.method": "UnaryCall", "rpc.grpc.status_code": "0"}
			want := Want{Op: "GET /checkout", Kind: "server", Service: webName, Children: []Want{
				{Op: method, Kind: "client", Service: webName, NotHTTP: true, Tags: rpc, Children: []Want{
					{Op: method, Kind: "server", Service: ordersName, NotHTTP: true, Tags: rpc, Children: []Want{
						{Op: "HTTP GET", Kind: "client", Service: ordersName, Children: []Want{
							{Op: "GET /stock/{id}", Kind: "server", Service: inventoryName},
						}},
					}},
				}},
			}}
			tr, err := query.WaitTrace(ctx, traceID, count(want))
			if err != nil {
				t.Fatal(err)
			}
			if !SameID(tr.TraceID, traceID) {
				t.Errorf("Jaeger returned trace %s for id %s", tr.TraceID, traceID)
			}
			if err := CheckShape(tr, want, false); err != nil {
				t.Error(err)
			}
			if got, want := tr.Services(), sorted(webName, ordersName, inventoryName); !slices.Equal(got, want) {
				t.Errorf("the trace's processes are the services %v, want %v", got, want)
			}
			for _, name := range []string{webName, ordersName, inventoryName} {
				checkVia(t, before, tc.via, name, tr)
			}
			checkListed(ctx, t, webName, false, Want{Op: want.Op, Kind: want.Kind}, Want{Op: method, Kind: "client"})
			checkListed(ctx, t, ordersName, false, Want{Op: method, Kind: "server"}, Want{Op: "HTTP GET", Kind: "client"})
			checkListed(ctx, t, inventoryName, false, Want{Op: "GET /stock/{id}", Kind: "server"})
			t.Logf("one trace %s across HTTP, gRPC and HTTP:\n%s", tr.TraceID, tr.Describe())
		})
	}
}

// ordersService is the gRPC service: UnaryCall asks the inventory over HTTP,
// with the call's context, so that the HTTP call is the server span's child.
type ordersService struct {
	testgrpc.UnimplementedTestServiceServer
	inventory string
	client    *http.Client
}

func (o *ordersService) UnaryCall(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
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

// finished waits until every span tr started has finished, or ctx ends.
func finished(ctx context.Context, tr *core.Tracer) error {
	for {
		st := tr.Stats()
		if st.Started == st.Finished {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of the tracer's %d spans still unfinished: %w", st.Started-st.Finished, st.Started, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}
