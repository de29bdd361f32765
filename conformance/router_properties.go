package conformance

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/propagation"
	"github.com/traceplug/traceplug/sampling"
)

// This file checks a router adapter: the HTTP properties of the suite, with
// requests served through the router (and its 404, its groups and its
// recovery) instead of an http.ServeMux. Every span is named and tagged as
// the router spells its routes ([Router.Spell]); none is ever named after a
// raw path.

// routerProperties are the properties of RunRouter.
var routerProperties = []routerProperty{
	{"route_names", routeNames},
	{"extraction", routeExtraction},
	{"traced_attributes", routeTracedAttributes},
	{"get_span", routeGetSpan},
	{"errors", routeErrors},
	{"response_size", routeResponseSize},
	{"no_double_span", routeNoDoubleSpan},
	{"trace_all_off", routeTraceAllOff},
	{"sampling_by_route", routeSampling},
	{"concurrency", routeConcurrency},
}

// routeName is the name of the span of a request with method that matched
// path (in the suite's syntax, the group's prefix included) on r.
func routeName(r Router, method, path string) string {
	return method + " " + r.Spell(path)
}

// answer answers every request with status and body.
func answer(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

// send sends a request with method to url with header and returns the
// status and body.
func (f *fixture) send(method, url string, header http.Header) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// wantRouted checks that the router served a request to a route with the
// status its handler answers: a router adapter that does not route a request
// as registered fails here, not in a span check that would blame the names.
func wantRouted(t *testing.T, r Router, target string, got, want int, body string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s answered %s with %d %q, want its handler's %d: the Router does not serve the routes it was given", r.Name, target, got, body, want)
	}
}

// routeCase is a request to a route of a test server and what the router
// answers.
type routeCase struct {
	route  Route
	target string // the request's path and query
	status int    // what the route's handler answers
}

func (c routeCase) path() string { return c.route.Group + c.route.Path }

// 1. Names and http.route: a static route, parameters, a wildcard, a group
// and a request no route matches, served together: each span is named
// "METHOD route" as the router spells the route and tagged http.route, the
// unmatched one is named after its method alone and has no http.route, and
// each has the status the router answered.
func routeNames(f *fixture, r Router) {
	tr := f.tracer(core.WithTraceAll(true), core.WithServiceName(serverService))
	cases := []routeCase{
		{Route{Method: "GET", Path: "/items"}, "/items", 200},
		{Route{Method: "POST", Path: "/items"}, "/items", 201},
		{Route{Method: "GET", Path: "/items/{id}"}, "/items/42?color=red", 200},
		{Route{Method: "GET", Path: "/items/{id}/parts/{part}"}, "/items/42/parts/7", 202},
		{Route{Method: "GET", Path: "/files/*"}, "/files/docs/a.txt", 200},
		{Route{Method: "GET", Group: "/api", Path: "/users/{id}"}, "/api/users/7", 200},
	}
	routes := make([]Route, len(cases))
	for i, c := range cases {
		routes[i] = c.route
		routes[i].Handler = answer(c.status, "ok")
	}
	srv := f.server(r.Serve(tr, routes))
	codes := make([]int, len(cases))
	for i, c := range cases {
		code, body := f.send(c.route.Method, srv.URL+c.target, nil)
		wantRouted(f.t, r, c.route.Method+" "+c.target, code, c.status, body)
		codes[i] = code
	}
	const unmatched = "/nowhere/42"
	missCode, missBody := f.get(srv.URL+unmatched, nil)
	if missCode != http.StatusNotFound {
		f.t.Errorf("%s answered GET %s, which no route matches, with %d %q: want its 404", r.Name, unmatched, missCode, missBody)
	}

	spans := f.spans()
	if len(spans) != len(cases)+1 {
		f.t.Fatalf("want one span per request (%d), got %d:\n%s", len(cases)+1, len(spans), list(spans))
	}
	for _, s := range spans {
		for _, raw := range []string{"/items/42", "/files/docs", "/api/users/7", unmatched} {
			if strings.Contains(s.Operation, raw) {
				f.t.Errorf("span %q is named after the raw path %s: one name per id is unbounded cardinality", s.Operation, raw)
			}
		}
	}
	for i, c := range cases {
		name := routeName(r, c.route.Method, c.path())
		s := one(f.t, spans, f.byOp(name), "span named "+name+" (the request "+c.route.Method+" "+c.target+")")
		wantTag(f.t, s, core.TagHTTPRoute, r.Spell(c.path()))
		wantTag(f.t, s, "http.method", c.route.Method)
		wantTag(f.t, s, "http.url", c.target)
		wantTag(f.t, s, "http.status_code", strconv.Itoa(codes[i]))
		wantTag(f.t, s, "span.kind", "server")
		wantNoTag(f.t, s, "error")
	}
	s := one(f.t, spans, f.byOp("HTTP GET"), "span named HTTP GET (the request "+unmatched+" that no route matches)")
	wantNoTag(f.t, s, core.TagHTTPRoute)
	wantTag(f.t, s, "http.url", unmatched)
	wantTag(f.t, s, "http.status_code", strconv.Itoa(missCode))
	wantTag(f.t, s, "span.kind", "server")
}

// 2. Extraction: a request that comes with a parent in any format the
// backend reads by default (its own, and W3C), and in B3 where the backend
// speaks it, continues the parent's trace.
func routeExtraction(f *fixture, r Router) {
	defaults := contextFormats(f.tracer().Settings().Propagation)
	formats := defaults
	if len(defaults) == 0 {
		f.t.Logf("the tracer names no propagation formats: checking a context its own Inject writes")
		formats = append(formats, "")
	}
	if !f.lacks(B3) && !slices.Contains(defaults, propagation.B3) {
		formats = append(formats, propagation.B3) // not read by default: the tracer is told to
	}
	for _, format := range formats {
		explicit := format != "" && !slices.Contains(defaults, format)
		name := format
		if name == "" {
			name = "inject"
		}
		f.t.Run(name, func(t *testing.T) {
			g := newFixture(t, f.h)
			opts := []core.Option{core.WithTraceAll(true), core.WithServiceName(serverService)}
			if explicit {
				opts = append(opts, core.WithPropagation(format))
			}
			tr := g.tracer(opts...)
			srv := g.server(r.Serve(tr, []Route{{Method: "GET", Path: "/items/{id}", Handler: answer(200, "ok")}}))
			var header http.Header
			var trace, parent string
			if format == "" {
				upstream := tr.StartSpan("upstream")
				header = http.Header{}
				if err := tr.Inject(upstream.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(header)); err != nil {
					t.Fatalf("Inject: %v", err)
				}
				upstream.Finish()
			} else {
				in := Context{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7", Sampled: true}
				if g.lacks(TraceID128) || format == propagation.OTTrace {
					in.TraceID = "a3ce929d0e0e4736" // ottrace carries 64-bit ids
				}
				header = Headers(format, in)
				trace, parent = NormalizeID(in.TraceID), NormalizeID(in.SpanID)
			}
			code, body := g.get(srv.URL+"/items/42", header)
			wantRouted(t, r, "GET /items/42", code, 200, body)
			spans := g.spans()
			op := routeName(r, "GET", "/items/{id}")
			server := one(t, spans, g.byOp(op), "server span named "+op)
			if format == "" {
				wantChild(t, server, one(t, spans, g.byOp("upstream"), "upstream span"))
				return
			}
			if server.TraceID != trace || server.ParentID != parent {
				t.Errorf("server span [trace %s parent %s], want a child of the incoming %s context [trace %s span %s] (headers %v)",
					server.TraceID, server.ParentID, format, trace, parent, header)
			}
			wantNoTag(t, server, core.TagExtractError)
		})
	}
}

// 3. Traced attributes and redaction: the tracer's attributes tag a routed
// request's span with its values, and no secret of the request (query,
// headers, cookies) reaches a tag or a log.
func routeTracedAttributes(f *fixture, r Router) {
	tr := f.tracer(core.WithTraceAll(true), core.WithTracedAttributes(
		"path", "method", "scheme", "GET", "content_type", "Method", "Host", "Proto", "RequestURI",
		"META", "Header", "headers", "COOKIES", "URL"))
	srv := f.server(r.Serve(tr, []Route{{Method: "GET", Path: "/items/{id}", Handler: answer(200, "ok")}}))
	code, body := f.get(srv.URL+"/items/42?page=2", http.Header{"Content-Type": {"text/plain; charset=utf-8"}})
	wantRouted(f.t, r, "GET /items/42", code, 200, body)
	secrets := []string{"bearer-s3cret", "proxy-s3cret", "cookie-s3cret", "apikey-s3cret", "token-s3cret", "query-s3cret", "sig-s3cret"}
	code, body = f.get(srv.URL+"/items/7?access_token=query-s3cret&sig=sig-s3cret&page=1", http.Header{
		"Authorization":       {"Bearer bearer-s3cret"},
		"Proxy-Authorization": {"Basic proxy-s3cret"},
		"Cookie":              {"session=cookie-s3cret; theme=dark"},
		"X-Api-Key":           {"apikey-s3cret"},
		"X-Auth-Token":        {"token-s3cret"},
	})
	wantRouted(f.t, r, "GET /items/7", code, 200, body)

	spans := f.spans()
	byPath := func(p string) func(Span) bool {
		return func(s Span) bool { v, _ := s.Tag("path"); return v == p }
	}
	plain := one(f.t, spans, byPath("/items/42"), "span tagged path=/items/42")
	host := strings.TrimPrefix(srv.URL, "http://")
	for k, v := range map[string]string{
		"path": "/items/42", "method": "GET", "scheme": "http", "GET": "page=2", "content_type": "text/plain",
		"Method": "GET", "Host": host, "Proto": "HTTP/1.1", "RequestURI": "/items/42?page=2",
	} {
		wantTag(f.t, plain, k, v)
	}
	op := routeName(r, "GET", "/items/{id}")
	if !f.sameName(plain.Operation, op) {
		f.t.Errorf("span named %q, want %q", plain.Operation, op)
	}
	wantTag(f.t, plain, core.TagHTTPRoute, r.Spell("/items/{id}"))

	secret := one(f.t, spans, byPath("/items/7"), "span tagged path=/items/7")
	if v, _ := secret.Tag("http.url"); !strings.Contains(v, "page=1") {
		f.t.Errorf("http.url %q lost the harmless query", v)
	}
	if v, _ := secret.Tag("COOKIES"); !strings.Contains(v, "session") {
		f.t.Errorf("COOKIES %q: cookie names are kept", v)
	}
	for _, sp := range spans {
		for k, v := range sp.Tags {
			for _, s := range secrets {
				if strings.Contains(fmt.Sprint(v), s) {
					f.t.Errorf("span %q: tag %s leaks %q: %v", sp.Operation, k, s, v)
				}
			}
		}
		for _, l := range sp.Logs {
			for k, v := range l.Fields {
				for _, s := range secrets {
					if strings.Contains(fmt.Sprint(v), s) {
						f.t.Errorf("span %q: log field %s leaks %q", sp.Operation, k, s)
					}
				}
			}
		}
	}
}

// 4. GetSpan: the route's handler sees the live span through GetSpan and
// the request's context, the span the collector receives (same ids, the
// handler's tag), and nil once the request is done.
func routeGetSpan(f *fixture, r Router) {
	tr := f.tracer(core.WithTraceAll(true))
	var mu sync.Mutex
	var seen *http.Request
	var trace, id string
	var canRead bool
	handler := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		span := tr.GetSpan(req)
		if span == nil {
			http.Error(w, "GetSpan is nil", 500)
			return
		}
		span.SetTag("conformance.marker", "get-span")
		t, s, ok := tr.SpanContextIDs(span.Context())
		if ct, cs, _ := tr.ContextIDs(req.Context()); ct != t || cs != s {
			http.Error(w, fmt.Sprintf("GetSpan's span [trace %s span %s] is not the context's [trace %s span %s]", t, s, ct, cs), 500)
			return
		}
		mu.Lock()
		seen, trace, id, canRead = req, t, s, ok
		mu.Unlock()
	})
	srv := f.server(r.Serve(tr, []Route{{Method: "GET", Path: "/items/{id}", Handler: handler}}))
	code, body := f.get(srv.URL+"/items/42", nil)
	wantRouted(f.t, r, "GET /items/42", code, 200, body)
	mu.Lock()
	if tr.GetSpan(seen) != nil {
		f.t.Error("GetSpan after the request finished is not nil")
	}
	mu.Unlock()
	op := routeName(r, "GET", "/items/{id}")
	s := one(f.t, f.spans(), f.byOp(op), "span named "+op)
	wantTag(f.t, s, "conformance.marker", "get-span")
	wantTag(f.t, s, "span.kind", "server")
	if !canRead {
		f.t.Logf("%s: traceplug cannot read the span's ids (SpanContextIDs): not comparing them", f.h.Name)
		return
	}
	if s.TraceID != NormalizeID(trace) || s.SpanID != NormalizeID(id) {
		f.t.Errorf("the handler's GetSpan has [trace %s span %s], the exported span %s", trace, id, s)
	}
}

// 5. Errors: a handler's 500 tags the span error, a 404 does not, and a
// handler's panic, answered by the router's own recovery, gives one span,
// tagged error, with the status the recovery sent.
func routeErrors(f *fixture, r Router) {
	tr := f.tracer(core.WithTraceAll(true))
	srv := f.server(r.Serve(tr, []Route{
		{Method: "GET", Path: "/ok", Handler: answer(200, "ok")},
		{Method: "GET", Path: "/missing", Handler: http.NotFoundHandler()},
		{Method: "GET", Path: "/broken", Handler: answer(500, "broken")},
		{Method: "GET", Path: "/panic", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("conformance boom") })},
	}))
	codes := map[string]int{}
	for p, want := range map[string]int{"/ok": 200, "/missing": 404, "/broken": 500} {
		code, body := f.get(srv.URL+p, nil)
		wantRouted(f.t, r, "GET "+p, code, want, body)
		codes[p] = code
	}
	code, body := f.get(srv.URL+"/panic", nil)
	if code < 500 {
		f.t.Fatalf("%s answered a panicking handler with %d %q: want its recovery's 5xx (Serve must install the router's recovery)", r.Name, code, body)
	}
	codes["/panic"] = code

	spans := f.spans()
	if len(spans) != len(codes) {
		f.t.Fatalf("want one span per request (%d), got %d:\n%s", len(codes), len(spans), list(spans))
	}
	for _, c := range []struct {
		path    string
		isError bool
	}{{"/ok", false}, {"/missing", false}, {"/broken", true}, {"/panic", true}} {
		op := routeName(r, "GET", c.path)
		s := one(f.t, spans, f.byOp(op), "span named "+op)
		wantTag(f.t, s, "http.status_code", strconv.Itoa(codes[c.path]))
		if c.isError {
			wantTag(f.t, s, "error", "true")
		} else if v, ok := s.Tag("error"); ok && v != "false" {
			f.t.Errorf("%s: error=%s", op, v)
		}
	}
}

// 6. Response size: with WithResponseSize, each span has the bytes the
// client received, whether the handler wrote them in pieces or not at all,
// or the router answered by itself (its 404).
func routeResponseSize(f *fixture, r Router) {
	tr := f.tracer(core.WithTraceAll(true), core.WithResponseSize(true))
	srv := f.server(r.Serve(tr, []Route{
		{Method: "GET", Path: "/items/{id}", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, strings.Repeat("a", 600))
			_, _ = io.WriteString(w, strings.Repeat("b", 400))
		})},
		{Method: "GET", Path: "/empty", Handler: answer(204, "")},
	}))
	sizes := map[string]int{}
	for target, op := range map[string]string{
		"/items/42":   routeName(r, "GET", "/items/{id}"),
		"/empty":      routeName(r, "GET", "/empty"),
		"/nowhere/42": "HTTP GET",
	} {
		_, body := f.get(srv.URL+target, nil)
		sizes[op] = len(body)
	}
	if sizes[routeName(r, "GET", "/items/{id}")] != 1000 {
		f.t.Fatalf("the client received %d bytes from GET /items/42, want the handler's 1000", sizes[routeName(r, "GET", "/items/{id}")])
	}
	spans := f.spans()
	if len(spans) != len(sizes) {
		f.t.Fatalf("want one span per request (%d), got %d:\n%s", len(sizes), len(spans), list(spans))
	}
	for op, n := range sizes {
		wantTag(f.t, one(f.t, spans, f.byOp(op), "span named "+op), "http.response_size", strconv.Itoa(n))
	}
}

// 7. No double span: the router served inside the same Tracer's Middleware
// (a user who wraps the whole engine too) gives one span per request, named
// after the route.
func routeNoDoubleSpan(f *fixture, r Router) {
	tr := f.tracer(core.WithTraceAll(true))
	srv := f.server(tr.Middleware(r.Serve(tr, []Route{
		{Method: "GET", Path: "/items/{id}", Handler: answer(200, "ok")},
		{Method: "GET", Group: "/api", Path: "/users/{id}", Handler: answer(200, "ok")},
	})))
	for _, target := range []string{"/items/42", "/api/users/7"} {
		code, body := f.get(srv.URL+target, nil)
		wantRouted(f.t, r, "GET "+target, code, 200, body)
	}
	f.get(srv.URL+"/nowhere/42", nil)
	spans := f.spans()
	if len(spans) != 3 {
		f.t.Fatalf("want one span per request (3) with the router inside Middleware, got %d:\n%s", len(spans), list(spans))
	}
	for _, p := range []string{"/items/{id}", "/api/users/{id}"} {
		op := routeName(r, "GET", p)
		s := one(f.t, spans, f.byOp(op), "span named "+op)
		wantTag(f.t, s, core.TagHTTPRoute, r.Spell(p))
		wantTag(f.t, s, "http.status_code", "200")
	}
	wantNoTag(f.t, one(f.t, spans, f.byOp("HTTP GET"), "span named HTTP GET (the unmatched request)"), core.TagHTTPRoute)
}

// 8. Trace-all off: only the decorated routes are traced, each span named
// after its route (the decorated handlers are function literals) and tagged
// with the decorator's attributes; an undecorated route records nothing but
// passes the trace it came with on to its calls, sampled or not.
func routeTraceAllOff(f *fixture, r Router) {
	tr := f.tracer(core.WithServiceName(serverService))
	plain, sent := f.headerRecorder()
	hc := &http.Client{Transport: tr.Transport(nil)}
	srv := f.server(r.Serve(tr, []Route{
		{Method: "GET", Path: "/items/{id}", Decorated: true, Attributes: []string{"path"},
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "decorated") })},
		{Method: "GET", Group: "/api", Path: "/users/{id}", Decorated: true,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "decorated") })},
		{Method: "GET", Path: "/plain", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			req, _ := http.NewRequestWithContext(r.Context(), "GET", plain.URL, nil)
			resp, err := hc.Do(req)
			if err != nil {
				http.Error(w, err.Error(), 502)
				return
			}
			resp.Body.Close()
		})},
		{Method: "GET", Path: "/quiet", Handler: answer(200, "ok")},
	}))
	for _, target := range []string{"/items/42", "/api/users/7", "/quiet"} {
		code, body := f.get(srv.URL+target, nil)
		wantRouted(f.t, r, "GET "+target, code, 200, body)
	}
	f.get(srv.URL+"/nowhere/42", nil)

	passes := !f.lacks(CoreSampling)
	formats := contextFormats(tr.Settings().Propagation)
	if passes && len(formats) == 0 {
		f.t.Fatalf("the tracer names no propagation formats (%q), so core carries no trace for it: the harness must say the backend lacks %s", tr.Settings().Propagation, CoreSampling)
	}
	var sampledIn, unsampledIn propagation.SpanContext
	var sampledOut, unsampledOut http.Header
	if passes {
		sampledIn = f.parentContext(formats[0], propagation.SamplingYes)
		code, body := f.get(srv.URL+"/plain", contextHeaders(formats[0], sampledIn))
		wantRouted(f.t, r, "GET /plain", code, 200, body)
		sampledOut = sent()
		unsampledIn = f.parentContext(formats[0], propagation.SamplingNo)
		unsampledIn.TraceID, unsampledIn.SpanID = 0x0e0e4736a3ce929d, 0xb7a902ba67f0000f // another trace
		f.get(srv.URL+"/plain", contextHeaders(formats[0], unsampledIn))
		unsampledOut = sent()
	}

	spans := f.spans()
	want := 2
	if passes {
		want = 3 // and the client span of the sampled call
	}
	if len(spans) != want {
		f.t.Fatalf("want %d spans (the decorated routes'%s), got %d:\n%s", want,
			map[bool]string{true: " and the sampled call's client span", false: ""}[passes], len(spans), list(spans))
	}
	for _, p := range []string{"/items/{id}", "/api/users/{id}"} {
		op := routeName(r, "GET", p)
		s := one(f.t, spans, f.byOp(op), "span named "+op+" (a decorated function literal)")
		wantTag(f.t, s, "span.kind", "server")
		wantTag(f.t, s, core.TagHTTPRoute, r.Spell(p))
		if p == "/items/{id}" {
			wantTag(f.t, s, "path", "/items/42") // the decorator's attribute
		} else {
			wantNoTag(f.t, s, "path")
		}
	}
	if !passes {
		f.t.Logf("not checking the trace an undecorated route passes on: %s lacks %s", f.h.Name, CoreSampling)
		return
	}
	client := one(f.t, spans, byKind("client", serverService), "client span (the call of the undecorated route, with a sampled trace)")
	trace := ID128(sampledIn.TraceIDHigh, sampledIn.TraceID)
	if client.TraceID != trace || client.ParentID != ID(sampledIn.SpanID) {
		f.t.Errorf("client span [trace %s parent %s], want a child of the incoming %s context [trace %s span %s]",
			client.TraceID, client.ParentID, formats[0], trace, ID(sampledIn.SpanID))
	}
	for _, fm := range formats {
		sc := checkOutgoing(f.t, fm, sampledOut, trace, true, "the call of an undecorated route with a sampled trace")
		if ID(sc.SpanID) != client.SpanID {
			f.t.Errorf("outgoing %s span id %s, want the client span's %s (headers %v)", fm, ID(sc.SpanID), client.SpanID, sampledOut)
		}
		if f.checksUnsampledHeaders() {
			checkOutgoing(f.t, fm, unsampledOut, ID128(unsampledIn.TraceIDHigh, unsampledIn.TraceID), false,
				"the call of an undecorated route with an unsampled trace")
		}
	}
}

// 9. Sampling by route: a rule for the health route's name drops its
// traces and the others are kept, so the route was known when the trace
// was decided, at the span's start.
func routeSampling(f *fixture, r Router) {
	f.need(CoreSampling)
	const n = 3
	health, items := routeName(r, "GET", "/healthz"), routeName(r, "GET", "/items/{id}")
	rules, err := sampling.ParseRules(health + "=0; *=1")
	if err != nil {
		f.t.Fatalf("sampling.ParseRules(%q): %v", health+"=0; *=1", err)
	}
	tr := f.samplingTracer(core.WithTraceAll(true), core.WithServiceName(serverService), core.WithSamplingRules(rules...))
	srv := f.server(r.Serve(tr, []Route{
		{Method: "GET", Path: "/healthz", Handler: answer(200, "ok")},
		{Method: "GET", Path: "/items/{id}", Handler: answer(200, "ok")},
	}))
	for range n {
		code, body := f.get(srv.URL+"/healthz", nil)
		wantRouted(f.t, r, "GET /healthz", code, 200, body)
		code, body = f.get(srv.URL+"/items/42", nil)
		wantRouted(f.t, r, "GET /items/42", code, 200, body)
	}
	spans := f.spans()
	if len(spans) != n {
		f.t.Errorf("want the %d %s spans and no %s one, got %d:\n%s", n, items, health, len(spans), list(spans))
	}
	for _, s := range spans {
		if !f.sameName(s.Operation, items) {
			f.t.Errorf("span %q sent: only %s is sampled", s.Operation, items)
		}
	}
	ops := tr.Stats().Sampling.Operations
	for op, want := range map[string]core.OperationSampling{health: {NotSampled: n}, items: {Sampled: n}} {
		if ops[op] != want {
			f.t.Errorf("Stats().Sampling.Operations[%q] = %+v, want %+v: the sampler decides on the route's name (all: %v)", op, ops[op], want, ops)
		}
	}
}

// 10. Concurrency: 200 concurrent requests over several routes, 200 spans,
// each named after the route its own request took.
func routeConcurrency(f *fixture, r Router) {
	const n = 200
	tr := f.tracer(core.WithTraceAll(true))
	mark := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span := tr.GetSpan(r)
		if span == nil {
			http.Error(w, "GetSpan is nil", 500)
			return
		}
		span.SetTag("conformance.n", r.URL.Query().Get("n"))
	})
	cases := []routeCase{
		{Route{Method: "GET", Path: "/items"}, "/items", 200},
		{Route{Method: "GET", Path: "/items/{id}"}, "/items/42", 200},
		{Route{Method: "GET", Path: "/files/*"}, "/files/docs/a.txt", 200},
		{Route{Method: "GET", Group: "/api", Path: "/users/{id}"}, "/api/users/7", 200},
	}
	routes := make([]Route, len(cases))
	for i, c := range cases {
		routes[i] = c.route
		routes[i].Handler = mark
	}
	srv := f.server(r.Serve(tr, routes))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 50}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := cases[i%len(cases)].target
			resp, err := client.Get(srv.URL + target + "?n=" + strconv.Itoa(i))
			if err != nil {
				errs <- err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- fmt.Errorf("GET %s: %d", target, resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		f.t.Fatal(err)
	}
	spans := f.spans()
	if len(spans) != n {
		f.t.Fatalf("%d spans for %d requests", len(spans), n)
	}
	ids, marks := map[string]bool{}, map[string]bool{}
	wrong := 0
	for _, s := range spans {
		ids[s.SpanID] = true
		v, _ := s.Tag("conformance.n")
		marks[v] = true
		i, err := strconv.Atoi(v)
		if err != nil {
			f.t.Errorf("span %s: no conformance.n tag", s)
			continue
		}
		c := cases[i%len(cases)]
		if op := routeName(r, c.route.Method, c.path()); !f.sameName(s.Operation, op) {
			if wrong++; wrong <= 5 {
				f.t.Errorf("request %d (GET %s): span named %q, want %q", i, c.target, s.Operation, op)
			}
		}
		if v, _ := s.Tag(core.TagHTTPRoute); v != r.Spell(c.path()) {
			if wrong++; wrong <= 5 {
				f.t.Errorf("request %d (GET %s): %s=%q, want %q", i, c.target, core.TagHTTPRoute, v, r.Spell(c.path()))
			}
		}
	}
	if wrong > 5 {
		f.t.Errorf("... %d wrong names or routes in all", wrong)
	}
	if len(ids) != n || len(marks) != n {
		f.t.Errorf("%d distinct span ids and %d distinct requests among %d spans", len(ids), len(marks), n)
	}
}
