package muxtrace_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/github.com/gorilla/mux/otelmux"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/gorilla/mux"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
)

// parityRoutes registers the same routes on r, whichever middleware r uses.
func parityRoutes(r *mux.Router) {
	ok := write("ok")
	r.Host("{tenant}.shop.test").Path("/home").Methods("GET").Handler(ok)
	r.Host("static.test").Handler(ok) // no path template
	r.HandleFunc("/items", ok).Methods("GET", "POST")
	r.HandleFunc("/items/{id}", ok).Methods("GET")
	r.HandleFunc("/orders/{id:[0-9]+}", ok).Methods("GET")
	r.PathPrefix("/files/").Handler(ok)
	r.HandleFunc("/any", ok)
	r.PathPrefix("/api").Subrouter().HandleFunc("/users/{id}", ok).Methods("GET")
}

// otelTracer is traceplug on its otel backend, exporting OTLP/HTTP to c.
func otelTracer(t testing.TB, c *oteltest.Collector, opts ...core.Option) *core.Tracer {
	t.Helper()
	tr, err := core.New("otel", append(c.Options("http"), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// otelmuxMiddleware is OpenTelemetry's otelmux on the SDK TracerProvider
// of a traceplug otel tracer (the same SDK, batch processor and OTLP
// exporter as traceplug's spans), with its propagator and no metrics.
func otelmuxMiddleware(tr *core.Tracer) mux.MiddlewareFunc {
	ot := tr.Unwrap().(*otel.Tracer)
	return otelmux.Middleware("shop",
		otelmux.WithTracerProvider(ot.TracerProvider()),
		otelmux.WithPropagators(ot.TextMapPropagator()),
		otelmux.WithMeterProvider(metricnoop.NewMeterProvider()))
}

// TestParityWithOtelmux sends the same requests through otelmux and through
// muxtrace on traceplug's otel backend, each exporting to an in-process OTLP
// collector, and compares the span names and http.route on the wire.
//
// For every request that a route with a path template matches with a known
// method, the two agree: "METHOD template", http.route the template, as the
// semantic conventions name a server span ("{method} {http.route}"). The
// other requests muxtrace names as traceplug names them on an
// http.ServeMux (the test asks a ServeMux on a third tracer): on the otel
// backend, whose spans follow OpenTelemetry's conventions, that is the
// conventions' name, "{method}" alone without a route and "HTTP" for a
// method outside the known ones; on a tracer with OpenTracing's
// conventions, "HTTP GET" and "_OTHER /any". otelmux differs there:
//   - an unknown method: otelmux "HTTP /any", as the conventions;
//   - a route without a path template: otelmux "GET HTTP GET route not
//     found" (its text for a missing template, after the method), where the
//     conventions say "GET";
//   - a request no route matches (404, 405): otelmux records no span, since
//     gorilla runs no middleware for it.
func TestParityWithOtelmux(t *testing.T) {
	// How traceplug names requests without a route on this backend, from a
	// ServeMux: an unmatched GET and DELETE, and an unknown method.
	ref := oteltest.New(t)
	refTracer := otelTracer(t, ref, core.WithTraceAll(true))
	sm := http.NewServeMux()
	sm.Handle("/any", write("ok"))
	h := refTracer.Middleware(sm)
	for _, req := range []struct{ method, target string }{{"GET", "/nope"}, {"DELETE", "/nope"}, {"PURGE", "/any"}} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.target, nil))
	}
	if err := refTracer.Close(); err != nil {
		t.Fatal(err)
	}
	var refNames []string
	for _, s := range ref.OTLPSpans() {
		refNames = append(refNames, s.GetName())
	}
	if len(refNames) != 3 {
		t.Fatalf("the ServeMux reference exported %q, want 3 spans", refNames)
	}
	unmatchedGET, unmatchedDELETE, unknownMethod := refNames[0], refNames[1], refNames[2]
	otelConventions := unmatchedGET == "GET"
	t.Logf("traceplug on the otel backend names an unmatched GET %q, DELETE %q, PURGE /any %q (OpenTelemetry's conventions: %v)",
		unmatchedGET, unmatchedDELETE, unknownMethod, otelConventions)
	switch {
	case otelConventions && (unmatchedDELETE != "DELETE" || unknownMethod != "HTTP /any"):
		t.Errorf("OpenTelemetry's conventions name an unmatched DELETE \"DELETE\" and PURGE /any \"HTTP /any\"")
	case !otelConventions && (unmatchedGET != "HTTP GET" || unmatchedDELETE != "HTTP DELETE" || unknownMethod != "_OTHER /any"):
		t.Errorf("OpenTracing's conventions name them \"HTTP GET\", \"HTTP DELETE\", \"_OTHER /any\"")
	}

	cases := []struct {
		name, method, target, host string
		same                       bool   // the same name and http.route on both
		traceplug, otelmux         string // the names, when not the same ("": no span)
		route                      string // http.route
	}{
		{name: "static", method: "GET", target: "/items", same: true, route: "/items"},
		{name: "static, POST", method: "POST", target: "/items", same: true, route: "/items"},
		{name: "parameter", method: "GET", target: "/items/42", same: true, route: "/items/{id}"},
		{name: "regexp parameter", method: "GET", target: "/orders/42", same: true, route: "/orders/{id:[0-9]+}"},
		{name: "path prefix", method: "GET", target: "/files/a/b.txt", same: true, route: "/files/"},
		{name: "sub-router", method: "GET", target: "/api/users/7", same: true, route: "/api/users/{id}"},
		{name: "host template", method: "GET", target: "/home", host: "acme.shop.test", same: true, route: "/home"},
		{name: "unknown method", method: "PURGE", target: "/any", same: otelConventions,
			traceplug: unknownMethod, otelmux: "HTTP /any", route: "/any"},
		{name: "route without a path template", method: "GET", target: "/x/42", host: "static.test",
			traceplug: unmatchedGET, otelmux: "GET HTTP GET route not found"},
		{name: "not found", method: "GET", target: "/nope/42", traceplug: unmatchedGET},
		{name: "method not allowed", method: "DELETE", target: "/items/42", traceplug: unmatchedDELETE},
	}

	ours, theirs := oteltest.New(t), oteltest.New(t)
	tpTracer := otelTracer(t, ours, core.WithTraceAll(true))
	tp := traced(tpTracer)
	parityRoutes(tp)
	omTracer := otelTracer(t, theirs) // only its SDK provider is used
	om := mux.NewRouter()
	om.Use(otelmuxMiddleware(omTracer))
	parityRoutes(om)

	// One request at a time, each in its own trace: the spans are matched
	// to their requests by the order the collector lists them in.
	for _, c := range cases {
		for _, h := range []http.Handler{tp, om} {
			req := httptest.NewRequest(c.method, c.target, nil)
			if c.host != "" {
				req.Host = c.host
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
	}
	if err := tpTracer.Close(); err != nil {
		t.Fatal(err)
	}
	if err := omTracer.Close(); err != nil {
		t.Fatal(err)
	}
	tpSpans, omSpans := ours.OTLPSpans(), theirs.OTLPSpans()

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantTP, wantOM := c.traceplug, c.otelmux
			if c.same && wantTP == "" {
				wantTP = c.method + " " + c.route
				wantOM = wantTP
			}
			tpSpan := next(t, &tpSpans, "traceplug", wantTP)
			omSpan := next(t, &omSpans, "otelmux", wantOM)
			if c.same && tpSpan.GetName() != omSpan.GetName() {
				t.Errorf("traceplug named the span %q, otelmux %q", tpSpan.GetName(), omSpan.GetName())
			}
			for side, s := range map[string]*tracepb.Span{"traceplug": tpSpan, "otelmux": omSpan} {
				if s == nil {
					continue
				}
				if s.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
					t.Errorf("%s: span kind %v", side, s.GetKind())
				}
				got, found := oteltest.Attributes(s)["http.route"]
				switch {
				case c.route == "" && found:
					t.Errorf("%s: http.route %v, want none", side, got)
				case c.route != "" && got != c.route:
					t.Errorf("%s: http.route %v, want %q", side, got, c.route)
				}
			}
		})
	}
	for side, rest := range map[string][]*tracepb.Span{"traceplug": tpSpans, "otelmux": omSpans} {
		for _, s := range rest {
			t.Errorf("%s: an extra span %q", side, s.GetName())
		}
	}
}

// next takes the next span of side's from spans and checks its name; want
// "" means the side records no span for the request.
func next(t *testing.T, spans *[]*tracepb.Span, side, want string) *tracepb.Span {
	t.Helper()
	if want == "" {
		return nil
	}
	if len(*spans) == 0 {
		t.Errorf("%s: no span, want %q", side, want)
		return nil
	}
	s := (*spans)[0]
	*spans = (*spans)[1:]
	if s.GetName() != want {
		t.Errorf("%s: span named %q, want %q", side, s.GetName(), want)
	}
	return s
}
