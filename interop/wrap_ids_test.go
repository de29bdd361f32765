package interop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"
	zipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"
	zipkin "github.com/openzipkin/zipkin-go"
	zipkinreporter "github.com/openzipkin/zipkin-go/reporter"
	"github.com/uber/jaeger-client-go"

	"github.com/traceplug/traceplug/core"
)

// TestWrapStockTracerLogIDs: a service moving to traceplug one step at a
// time wraps the tracer it already builds (core.Wrap); its log lines still
// get the trace and span ids (LogHandler), as that tracer's own span
// context gives them, for jaeger-client-go, zipkin-go-opentracing and
// lightstep-tracer-go.
func TestWrapStockTracerLogIDs(t *testing.T) {
	jt, closer := jaeger.NewTracer("wrapped", jaeger.NewConstSampler(true), jaeger.NewNullReporter(), jaeger.TracerOptions.Gen128Bit(true))
	t.Cleanup(func() { _ = closer.Close() })
	zt, err := zipkin.NewTracer(zipkinreporter.NewNoopReporter(), zipkin.WithSampler(zipkin.AlwaysSample))
	if err != nil {
		t.Fatal(err)
	}
	lt, err := lightstep.CreateTracer(lightstep.Options{
		AccessToken:   "interop-token",
		Collector:     lightstep.Endpoint{Host: "127.0.0.1", Port: 9, Plaintext: true}, // never reached: spans are recorded
		UseHttp:       true,
		Recorder:      &lightstepRecorder{},
		SystemMetrics: lightstep.SystemMetricsOptions{Disabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lt.Close(context.Background()) })
	for _, tc := range []struct {
		name string
		ot   opentracing.Tracer
		ids  func(opentracing.SpanContext) (trace, span string)
	}{
		{"jaeger-client-go", jt, func(sc opentracing.SpanContext) (string, string) {
			c := sc.(jaeger.SpanContext)
			return c.TraceID().String(), c.SpanID().String()
		}},
		{"zipkin-go-opentracing", zipkinot.Wrap(zt), func(sc opentracing.SpanContext) (string, string) {
			c := sc.(zipkinot.SpanContext)
			return c.TraceID.String(), c.ID.String()
		}},
		{"lightstep-tracer-go", lt, func(sc opentracing.SpanContext) (string, string) {
			c := sc.(lightstep.SpanContext)
			return strconv.FormatUint(c.TraceID, 16), strconv.FormatUint(c.SpanID, 16)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := core.Wrap(tc.ot, core.WithTraceAll(true))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			logger := slog.New(tr.LogHandler(slog.NewJSONHandler(&buf, nil)))
			var wantTrace, wantSpan string
			srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				wantTrace, wantSpan = tc.ids(tr.GetSpan(r).Context())
				logger.InfoContext(r.Context(), "served")
			})))
			defer srv.Close()
			resp, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("log line %q: %v", buf.String(), err)
			}
			if rec[core.LogTraceIDKey] != padded(wantTrace) || rec[core.LogSpanIDKey] != padded(wantSpan) {
				t.Errorf("logged trace_id %v span_id %v, want the tracer's %s and %s", rec[core.LogTraceIDKey], rec[core.LogSpanIDKey], wantTrace, wantSpan)
			}
		})
	}
}

// padded is a hex id in 16 or 32 digits, as traceplug renders ids.
func padded(id string) string {
	for len(id) < 16 || len(id) > 16 && len(id) < 32 {
		id = "0" + id
	}
	return id
}
