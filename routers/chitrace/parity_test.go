package chitrace_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/riandyrn/otelchi"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/protobuf/proto"

	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/chitrace"
)

// A pipeline is one instrumentation of shop, exporting to its own OTLP
// collector.
type pipeline struct {
	name string
	// build returns shop instrumented, and a function that flushes every
	// span it made to col.
	build func(t *testing.T, col *oteltest.Collector) (http.Handler, func())
}

// sdkProvider is the OpenTelemetry SDK exporting with its own OTLP/HTTP
// exporter to col: nothing of traceplug's between the counterpart and the
// wire.
func sdkProvider(t *testing.T, col *oteltest.Collector) (*sdktrace.TracerProvider, func()) {
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(col.Endpoint("http")))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	return tp, func() {
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}
}

var w3c = propagation.TraceContext{}

var pipelines = []pipeline{
	{"chitrace", func(t *testing.T, col *oteltest.Collector) (http.Handler, func()) {
		tr, err := core.New("otel", append(col.Options("http"), core.WithServiceName("shop"), core.WithTraceAll(true))...)
		if err != nil {
			t.Fatal(err)
		}
		return shop(chitrace.Middleware(tr)), func() {
			if err := tr.Close(); err != nil {
				t.Error(err)
			}
		}
	}},
	// chitrace with as many attributes as otelchi's span has (the
	// benchmark's chi+chitrace-10attrs): named as chitrace is.
	{"chitrace-10attrs", func(t *testing.T, col *oteltest.Collector) (http.Handler, func()) {
		tr, err := core.New("otel", append(col.Options("http"), core.WithServiceName("shop"), core.WithTraceAll(true),
			core.WithTracedAttributes("scheme", "Host", "RemoteAddr", "Proto", "ContentLength"))...)
		if err != nil {
			t.Fatal(err)
		}
		return shop(chitrace.Middleware(tr)), func() {
			if err := tr.Close(); err != nil {
				t.Error(err)
			}
		}
	}},
	// otelchi as its README sets it up to name spans at their start, with
	// the method: WithChiRoutes and WithRequestMethodInSpanName.
	{"otelchi", func(t *testing.T, col *oteltest.Collector) (http.Handler, func()) {
		tp, flush := sdkProvider(t, col)
		r := chi.NewRouter()
		return shopOn(r, otelchi.Middleware("shop", otelchi.WithTracerProvider(tp), otelchi.WithPropagators(w3c),
			otelchi.WithChiRoutes(r), otelchi.WithRequestMethodInSpanName(true))), flush
	}},
	// otelchi with its defaults: named after chi's route once routed,
	// without the method.
	{"otelchi-default", func(t *testing.T, col *oteltest.Collector) (http.Handler, func()) {
		tp, flush := sdkProvider(t, col)
		return shop(otelchi.Middleware("shop", otelchi.WithTracerProvider(tp), otelchi.WithPropagators(w3c))), flush
	}},
	// OpenTelemetry's own otelhttp in chi's r.Use: it renames its span after
	// r.Pattern, which chi (v5.3.0 on) sets as it routes.
	{"otelhttp", func(t *testing.T, col *oteltest.Collector) (http.Handler, func()) {
		tp, flush := sdkProvider(t, col)
		return shop(otelhttp.NewMiddleware("shop", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(w3c),
			otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()))), flush
	}},
}

// seen is what a pipeline's span for one request says.
type seen struct {
	name, route string
	hasRoute    bool
}

func (s seen) String() string {
	if !s.hasRoute {
		return fmt.Sprintf("%q (no http.route)", s.name)
	}
	return fmt.Sprintf("%q http.route=%q", s.name, s.route)
}

// semconvName is the span name OpenTelemetry's HTTP semantic conventions
// give a server span: "{method} {http.route}", or "{method}" without a
// route, and "HTTP" for a method outside the known ones.
func semconvName(method, route string) string {
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE":
	default:
		method = "HTTP"
	}
	if route == "" {
		return method
	}
	return method + " " + route
}

// TestNamingParity serves shop's requests (routeCases) through chitrace on
// traceplug's otel backend and through OpenTelemetry instrumentations of
// chi, each on a real server on 127.0.0.1 exporting OTLP to its own
// collector, and states how their span names and http.route compare.
//
// For every request chi matched, at the root or through sub-routers,
// chitrace, otelchi set up to name at the start (WithChiRoutes,
// WithRequestMethodInSpanName) and otelhttp name the span alike, "GET
// /items/{id}", as the conventions do. They differ where no route matched,
// and in http.route:
//   - chitrace: "HTTP GET", no http.route: traceplug's name for an
//     unmatched request on every router, where the conventions say "GET";
//     "HTTP _OTHER" for a method chi does not know, where they say "HTTP";
//   - otelchi: "GET /" with http.route "", as if the request were for the
//     root route; with its defaults (no method) "/items/{id}", and "/";
//   - otelhttp: the conventions' names ("GET", "HTTP"), but no http.route
//     on any span: it reads the route (r.Pattern) only at the start, before
//     chi has routed.
func TestNamingParity(t *testing.T) {
	got := map[string][]seen{} // by pipeline, per routeCase
	for _, p := range pipelines {
		col := oteltest.New(t)
		h, flush := p.build(t, col)
		srv := httptest.NewServer(h)
		client := srv.Client()
		for _, tc := range routeCases {
			req, err := http.NewRequest(tc.method, srv.URL+tc.target, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s: %s %s: %v", p.name, tc.method, tc.target, err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("%s: %s %s: status %d, want %d", p.name, tc.method, tc.target, resp.StatusCode, tc.status)
			}
		}
		srv.Close()
		flush()
		got[p.name] = byCase(t, p.name, col.Spans())
		logAttributes(t, p.name, col)
	}

	for i, tc := range routeCases {
		tp, oc, def, oh := got["chitrace"][i], got["otelchi"][i], got["otelchi-default"][i], got["otelhttp"][i]
		t.Logf("%-46s chitrace %s | otelchi %s | otelchi-default %s | otelhttp %s", tc.method+" "+tc.target, tp, oc, def, oh)
		semconv := semconvName(tc.method, tc.route)
		// chitrace, on the otel backend (OpenTelemetry's conventions): the
		// conventions' name for every request, and http.route for a
		// matched one.
		if want := (seen{semconv, tc.route, tc.route != ""}); tp != want {
			t.Errorf("%s %s: chitrace %s, want %s", tc.method, tc.target, tp, want)
		}
		if ten := got["chitrace-10attrs"][i]; ten != tp {
			t.Errorf("%s %s: chitrace with traced attributes %s, without %s", tc.method, tc.target, ten, tp)
		}
		// otelchi: the same as chitrace where a route matched; "METHOD /"
		// and http.route "" where none did.
		wantChi := seen{tc.span, tc.route, true}
		wantDef := seen{tc.route, tc.route, true}
		if tc.route == "" {
			wantChi = seen{tc.method + " /", "", true}
			wantDef = seen{"/", "", true}
		}
		if oc != wantChi {
			t.Errorf("%s %s: otelchi %s, want %s", tc.method, tc.target, oc, wantChi)
		}
		if def != wantDef {
			t.Errorf("%s %s: otelchi-default %s, want %s", tc.method, tc.target, def, wantDef)
		}
		// otelhttp: the conventions' name, no http.route.
		if want := (seen{name: semconv}); oh != want {
			t.Errorf("%s %s: otelhttp %s, want %s", tc.method, tc.target, oh, want)
		}
	}
}

// byCase returns what each routeCase's span says: the requests were sent
// one after the other, so their spans started in the order of routeCases.
func byCase(t *testing.T, pipeline string, spans []conformance.Span) []seen {
	t.Helper()
	if len(spans) != len(routeCases) {
		t.Fatalf("%s: %d spans for %d requests:\n%v", pipeline, len(spans), len(routeCases), spans)
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].Start.Before(spans[j].Start) })
	out := make([]seen, len(spans))
	for i, s := range spans {
		route, has := s.Tag("http.route")
		out[i] = seen{s.Operation, route, has}
	}
	return out
}

// logAttributes logs the attribute keys and the encoded size of the span of
// GET /items/{id}: what the benchmark's pipelines export per span.
func logAttributes(t *testing.T, pipeline string, col *oteltest.Collector) {
	for _, s := range col.OTLPSpans() {
		if s.GetName() != "GET /items/{id}" && s.GetName() != "/items/{id}" {
			continue
		}
		var keys []string
		for _, kv := range s.GetAttributes() {
			keys = append(keys, kv.GetKey())
		}
		sort.Strings(keys)
		t.Logf("%s: %d bytes, %d attributes: %s", pipeline, proto.Size(s), len(keys), strings.Join(keys, " "))
		return
	}
}
