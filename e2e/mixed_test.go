//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing-contrib/go-stdlib/nethttp"
	"github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceplug/traceplug/core"
)

// TestMixedFormatsInOneTrace (issue 13): one request crosses three services
// that speak three formats and report to Jaeger three ways, and Jaeger shows
// one trace:
//
//   - "front", an otelhttp server and client on the OpenTelemetry SDK: W3C
//     traceparent, 128-bit trace ids, spans exported by OpenTelemetry's own
//     OTLP/HTTP exporter;
//   - "plug", a traceplug service on the jaeger backend with
//     WithPropagation("tracecontext,baggage,jaeger"): it continues the W3C
//     context and writes uber-trace-id beside traceparent, and reports binary
//     thrift to the collector over HTTP;
//   - "native", a jaeger-client-go service traced by go-stdlib's nethttp: it
//     reads only uber-trace-id, and reports compact thrift to the agent over
//     UDP.
func TestMixedFormatsInOneTrace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stamp := time.Now().UnixNano()
	frontName := fmt.Sprintf("e2e-mixed-otelhttp-%d", stamp)
	plugName := fmt.Sprintf("e2e-mixed-traceplug-%d", stamp)
	nativeName := fmt.Sprintf("e2e-mixed-jaeger-client-go-%d", stamp)
	before := noteArrivals(t)

	// native: jaeger-client-go's tracer and reporter, its UDP sender.
	sender, err := jaeger.NewUDPTransport(strings.TrimPrefix(agentUDP, "udp://"), 0)
	if err != nil {
		t.Fatal(err)
	}
	nativeTracer, nativeCloser := jaeger.NewTracer(nativeName, jaeger.NewConstSampler(true), jaeger.NewRemoteReporter(sender))
	closeNative := closeOnce(t, func() error { return nativeCloser.Close() })
	native := httptest.NewServer(nethttp.Middleware(nativeTracer, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "stock: 7")
	})))
	defer native.Close()

	// plug: traceplug on the jaeger backend, reading W3C first.
	plug, err := core.New("jaeger", core.WithEndpoint(collectorURL), core.WithServiceName(plugName),
		core.WithTraceAll(true), core.WithPropagation("tracecontext,baggage,jaeger"))
	if err != nil {
		t.Fatal(err)
	}
	closePlug := closeOnce(t, plug.Close)
	plugClient := &http.Client{Transport: plug.Transport(nil)}
	plugMux := http.NewServeMux()
	plugMux.HandleFunc("GET /reserve", func(w http.ResponseWriter, r *http.Request) {
		forward(w, r, plugClient, native.URL+"/stock")
	})
	plugSrv := httptest.NewServer(plug.Middleware(plugMux))
	defer plugSrv.Close()

	// front: otelhttp on the OpenTelemetry SDK, exporting OTLP/HTTP.
	exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(otlpHTTPURL))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", frontName))))
	closeFront := closeOnce(t, func() error { return tp.Shutdown(context.Background()) })
	opts := []otelhttp.Option{
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})),
	}
	frontClient := &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport, opts...)}
	frontMux := http.NewServeMux()
	frontMux.HandleFunc("GET /order", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Trace-Id", trace.SpanContextFromContext(r.Context()).TraceID().String())
		forward(w, r, frontClient, plugSrv.URL+"/reserve")
	})
	front := httptest.NewServer(otelhttp.NewHandler(frontMux, "front", opts...))
	defer front.Close()

	resp, err := http.Get(front.URL + "/order")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "stock: 7" {
		t.Fatalf("GET /order: %s %q", resp.Status, body)
	}
	traceID := resp.Header.Get("X-Trace-Id")
	// Each server span ended before its handler's answer was sent: flush.
	for _, flush := range []func() error{closeFront, closePlug, closeNative} {
		if err := flush(); err != nil {
			t.Fatal(err)
		}
	}

	want := Want{Op: "GET /order", Kind: "server", Service: frontName, NotHTTP: true, Tags: otelhttpTags, Children: []Want{
		{Op: "HTTP GET", Kind: "client", Service: frontName, NotHTTP: true, Tags: otelhttpTags, Children: []Want{
			{Op: "GET /reserve", Kind: "server", Service: plugName, Children: []Want{
				{Op: "HTTP GET", Kind: "client", Service: plugName, Children: []Want{
					{Op: "HTTP GET", Kind: "server", Service: nativeName, Tags: map[string]string{"component": "net/http"}},
				}},
			}},
		}},
	}}
	tr, err := query.WaitTrace(ctx, traceID, count(want))
	if err != nil {
		t.Fatal(err)
	}
	if !SameID(tr.TraceID, traceID) || len(traceID) != 32 {
		t.Errorf("Jaeger returned trace %s for OpenTelemetry's trace id %s", tr.TraceID, traceID)
	}
	if err := CheckShape(tr, want, false); err != nil {
		t.Error(err)
	}
	if got, want := tr.Services(), sorted(frontName, plugName, nativeName); !slices.Equal(got, want) {
		t.Errorf("the trace's processes are the services %v, want %v", got, want)
	}
	checkVia(t, before, ViaOTLPHTTP, frontName, tr)
	checkVia(t, before, ViaThriftHTTP, plugName, tr)
	checkVia(t, before, ViaAgentUDP, nativeName, tr)
	t.Logf("one trace %s across %s (otelhttp, W3C, OTLP/HTTP), %s (traceplug jaeger, W3C+uber-trace-id, thrift/HTTP) and %s (jaeger-client-go, uber-trace-id, UDP):\n%s",
		tr.TraceID, frontName, plugName, nativeName, tr.Describe())
}

// otelhttpTags are tags otelhttp's server and client spans carry (its own
// names: OpenTelemetry's HTTP semantic conventions).
var otelhttpTags = map[string]string{"http.request.method": "GET", "http.response.status_code": "200"}

// forward answers r with the answer to GET url, sent by client with r's
// context.
func forward(w http.ResponseWriter, r *http.Request, client *http.Client, url string) {
	req, err := http.NewRequestWithContext(r.Context(), "GET", url, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	resp, err := client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// closeOnce returns close to be called once, and calls it at the end of the
// test if the test did not.
func closeOnce(t *testing.T, close func() error) func() error {
	f := sync.OnceValue(close)
	t.Cleanup(func() { _ = f() })
	return f
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}
