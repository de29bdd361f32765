package conformance

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/core"
)

// property is one check of the contract.
type property struct {
	name string
	run  func(f *fixture)
}

// properties are the contract, in the order of traceplug's design document.
var properties = []property{
	{"trace_all", traceAll},
	{"decorator_only", decoratorOnly},
	{"trace_all_ignores_decorator", traceAllIgnoresDecorator},
	{"traced_attributes", tracedAttributes},
	{"redaction", redaction},
	{"get_span", getSpan},
	{"child_spans", childSpans},
	{"incoming_context", incomingContext},
	{"two_services", twoServices},
	{"baggage", baggage},
	{"status", status},
	{"panic", panicking},
	{"malformed_headers", malformedHeaders},
	{"operation_names", operationNames},
	{"concurrency", concurrency},
	{"flush", flush},
	{"sample_rate_zero", sampleRateZero},
	{"sampling_parent_each_format", samplingParentEachFormat},
	{"sampling_rules", samplingRules},
	{"sampling_rate_limit", samplingRateLimit},
	{"sampling_ratio", samplingRatio},
	{"sampling_forced", samplingForced},
	{"sampling_forced_limit", samplingForcedLimit},
	{"sampling_untraced_passes_trace", samplingUntracedPassesTrace},
	{"public_endpoint", publicEndpoint},
	{"b3", b3},
	{"propagation_each_format", propagationEachFormat},
	{"propagation_several_formats", propagationSeveralFormats},
	{"propagation_invalid_traceparent", propagationInvalidTraceparent},
	{"opentracing_harness", opentracingHarness},
	{"accounting", accounting},
	{"logs", logs},
	{"process_tags", processTags},
	{"timing", timing},
}

// Run checks the backend h describes against every property of the contract,
// each as its own subtest with a fresh collector and fresh tracers. A
// property that needs a capability the harness says the backend lacks is
// skipped with the harness's reason.
func Run(t *testing.T, h Harness) {
	if h.Backend == "" || h.Start == nil {
		t.Fatal("conformance: the Harness needs a Backend name and a Start function")
	}
	for _, p := range properties {
		t.Run(p.name, func(t *testing.T) {
			p.run(newFixture(t, h))
		})
	}
}

const (
	serverService = "conformance-server"
	clientService = "conformance-client"
)

func okHandler(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }

// decoratedHandler is wrapped by Trace; spans are named after it.
func decoratedHandler(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "decorated") }

const decoratedName = "conformance.decoratedHandler"

// 1. Trace-all: one server span per request with the standard tags.
func traceAll(f *fixture) {
	tr := f.tracer(core.WithTraceAll(true), core.WithServiceName(serverService))
	srv := f.server(tr.Middleware(http.HandlerFunc(okHandler)))
	f.get(srv.URL+"/hello?x=1", nil)
	spans := f.spans()
	if len(spans) != 1 {
		f.t.Fatalf("want 1 span for 1 request, got %d:\n%s", len(spans), list(spans))
	}
	s := spans[0]
	if s.Service != serverService {
		f.t.Errorf("service %q, want %q", s.Service, serverService)
	}
	wantTag(f.t, s, "span.kind", "server")
	wantTag(f.t, s, "component", "traceplug")
	wantTag(f.t, s, "http.method", "GET")
	wantTag(f.t, s, "http.url", "/hello?x=1")
	wantTag(f.t, s, "http.status_code", "200")
	wantNoTag(f.t, s, "error")
	if s.TraceID == "" || s.SpanID == "" || s.ParentID != "" {
		f.t.Errorf("want a root span with ids, got %s", s)
	}
}

// 2. Trace-all off: only Trace-wrapped handlers make spans.
func decoratorOnly(f *fixture) {
	tr := f.tracer(core.WithServiceName(serverService))
	mux := http.NewServeMux()
	mux.HandleFunc("/plain", okHandler)
	mux.Handle("/wrapped", tr.Trace()(http.HandlerFunc(decoratedHandler)))
	srv := f.server(tr.Middleware(mux))
	f.get(srv.URL+"/plain", nil)
	f.get(srv.URL+"/wrapped", nil)
	spans := f.spans()
	s := one(f.t, spans, func(Span) bool { return true }, "span (the wrapped handler's)")
	if !f.sameName(s.Operation, decoratedName) {
		f.t.Errorf("span named %q, want %q", s.Operation, decoratedName)
	}
	wantTag(f.t, s, "span.kind", "server")
}

// 3. Trace-all on and a Trace wrapper: one span, the wrapper's attributes ignored.
func traceAllIgnoresDecorator(f *fixture) {
	tr := f.tracer(core.WithTraceAll(true), core.WithTracedAttributes("method"))
	mux := http.NewServeMux()
	mux.Handle("/wrapped", tr.Trace("path", "Host")(http.HandlerFunc(decoratedHandler)))
	srv := f.server(tr.Middleware(mux))
	f.get(srv.URL+"/wrapped", nil)
	s := one(f.t, f.spans(), func(Span) bool { return true }, "span")
	wantTag(f.t, s, "method", "GET")
	wantNoTag(f.t, s, "path")
	wantNoTag(f.t, s, "Host")
}

// 4. Traced attributes: Django and Go names become tags with the request's values.
func tracedAttributes(f *fixture) {
	tr := f.tracer(core.WithTraceAll(true),
		core.WithTracedAttributes("path", "method", "scheme", "GET", "content_type", "Method", "Host", "Proto", "RequestURI"))
	srv := f.server(tr.Middleware(http.HandlerFunc(okHandler)))
	f.get(srv.URL+"/shop/cart?page=2", http.Header{"Content-Type": {"text/plain; charset=utf-8"}})
	s := one(f.t, f.spans(), func(Span) bool { return true }, "span")
	host := strings.TrimPrefix(srv.URL, "http://")
	for k, v := range map[string]string{
		"path": "/shop/cart", "method": "GET", "scheme": "http", "GET": "page=2", "content_type": "text/plain",
		"Method": "GET", "Host": host, "Proto": "HTTP/1.1", "RequestURI": "/shop/cart?page=2",
	} {
		wantTag(f.t, s, k, v)
	}
}

// 5. Redaction: no secret reaches a tag or a log.
func redaction(f *fixture) {
	tr := f.tracer(core.WithTraceAll(true),
		core.WithTracedAttributes("META", "Header", "headers", "COOKIES", "GET", "URL", "RequestURI"))
	srv := f.server(tr.Middleware(http.HandlerFunc(okHandler)))
	secrets := []string{"bearer-s3cret", "proxy-s3cret", "cookie-s3cret", "apikey-s3cret", "token-s3cret", "query-s3cret", "sig-s3cret"}
	f.get(srv.URL+"/account?access_token=query-s3cret&sig=sig-s3cret&page=1", http.Header{
		"Authorization":       {"Bearer bearer-s3cret"},
		"Proxy-Authorization": {"Basic proxy-s3cret"},
		"Cookie":              {"session=cookie-s3cret; theme=dark"},
		"X-Api-Key":           {"apikey-s3cret"},
		"X-Auth-Token":        {"token-s3cret"},
	})
	spans := f.spans()
	s := one(f.t, spans, func(Span) bool { return true }, "span")
	if v, _ := s.Tag("http.url"); !strings.Contains(v, "page=1") {
		f.t.Errorf("http.url %q lost the harmless query", v)
	}
	if v, _ := s.Tag("COOKIES"); !strings.Contains(v, "session") {
		f.t.Errorf("COOKIES %q: cookie names are kept", v)
	}
	for _, sp := range spans {
		for k, v := range sp.Tags {
			for _, secret := range secrets {
				if strings.Contains(fmt.Sprint(v), secret) {
					f.t.Errorf("tag %s leaks %q: %v", k, secret, v)
				}
			}
		}
		for _, l := range sp.Logs {
			for k, v := range l.Fields {
				for _, secret := range secrets {
					if strings.Contains(fmt.Sprint(v), secret) {
						f.t.Errorf("log field %s leaks %q", k, secret)
					}
				}
			}
		}
	}
}

// 6. GetSpan is the span the collector receives, and nil once finished.
func getSpan(f *fixture) {
	tr := f.tracer(core.WithTraceAll(true))
	var mu sync.Mutex
	var seen *http.Request
	srv := f.server(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span := tr.GetSpan(r)
		if span == nil {
			http.Error(w, "GetSpan is nil", 500)
			return
		}
		span.SetTag("conformance.marker", "get-span")
		mu.Lock()
		seen = r
		mu.Unlock()
	})))
	if code, body := f.get(srv.URL, nil); code != 200 {
		f.t.Fatalf("handler: %d %s", code, body)
	}
	mu.Lock()
	if tr.GetSpan(seen) != nil {
		f.t.Error("GetSpan after the request finished is not nil")
	}
	mu.Unlock()
	s := one(f.t, f.spans(), func(Span) bool { return true }, "span")
	wantTag(f.t, s, "conformance.marker", "get-span")
	wantTag(f.t, s, "span.kind", "server")
}

// 7. Child spans from GetSpan(r) and from the request context.
func childSpans(f *fixture) {
	tr := f.tracer(core.WithTraceAll(true))
	srv := f.server(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.StartSpan("child.getspan", opentracing.ChildOf(tr.GetSpan(r).Context())).Finish()
		s, _ := opentracing.StartSpanFromContextWithTracer(r.Context(), tr, "child.context")
		s.Finish()
	})))
	f.get(srv.URL, nil)
	spans := f.spans()
	server := one(f.t, spans, f.byOp("HTTP GET"), "server span")
	wantChild(f.t, one(f.t, spans, f.byOp("child.getspan"), "child from GetSpan"), server)
	wantChild(f.t, one(f.t, spans, f.byOp("child.context"), "child from the context"), server)
}

// 8. An incoming context injected by the same backend is continued.
func incomingContext(f *fixture) {
	tr := f.tracer(core.WithTraceAll(true))
	srv := f.server(tr.Middleware(http.HandlerFunc(okHandler)))
	upstream := tr.StartSpan("upstream")
	h := http.Header{}
	if err := tr.Inject(upstream.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		f.t.Fatalf("Inject: %v", err)
	}
	upstream.Finish()
	f.get(srv.URL, h)
	spans := f.spans()
	wantChild(f.t, one(f.t, spans, f.byOp("HTTP GET"), "server span"), one(f.t, spans, f.byOp("upstream"), "upstream span"))
}

// twoServiceWorld is a client service calling a server service through
// Transport, each with its own tracer on one collector.
type twoServiceWorld struct {
	front  string // URL of the client service's handler
	client *core.Tracer
}

func newTwoServices(f *fixture, backend http.HandlerFunc, opts ...core.Option) twoServiceWorld {
	server := f.tracer(append([]core.Option{core.WithTraceAll(true), core.WithServiceName(serverService)}, opts...)...)
	back := f.server(server.Middleware(backendHandler(server, backend)))
	client := f.tracer(append([]core.Option{core.WithTraceAll(true), core.WithServiceName(clientService)}, opts...)...)
	hc := &http.Client{Transport: client.Transport(nil)}
	front := f.server(client.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.URL.Query().Get("baggage"); v != "" {
			client.GetSpan(r).SetBaggageItem("conformance-user", v)
		}
		req, _ := http.NewRequestWithContext(r.Context(), "GET", back.URL+"/backend", nil)
		resp, err := hc.Do(req)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		defer resp.Body.Close()
		_, _ = io.Copy(w, resp.Body)
	})))
	return twoServiceWorld{front: front.URL, client: client}
}

// backendHandler lets tests see the server tracer's span.
func backendHandler(tr *core.Tracer, h http.HandlerFunc) http.Handler {
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) {
			if span := tr.GetSpan(r); span != nil {
				_, _ = io.WriteString(w, "baggage="+span.BaggageItem("conformance-user"))
			}
		}
	}
	return h
}

// 9. Two services: one trace, the client span the parent of the server span.
func twoServices(f *fixture) {
	w := newTwoServices(f, nil)
	if code, body := f.get(w.front, nil); code != 200 {
		f.t.Fatalf("front: %d %s", code, body)
	}
	spans := f.spans()
	if len(spans) != 3 {
		f.t.Fatalf("want 3 spans (client service's server span, its client span, server service's span), got %d:\n%s", len(spans), list(spans))
	}
	frontSpan := one(f.t, spans, byKind("server", clientService), "server span of the client service")
	clientSpan := one(f.t, spans, byKind("client", clientService), "client span")
	backSpan := one(f.t, spans, byKind("server", serverService), "server span of the server service")
	wantChild(f.t, clientSpan, frontSpan)
	wantChild(f.t, backSpan, clientSpan)
	wantTag(f.t, clientSpan, "http.method", "GET")
	wantTag(f.t, clientSpan, "http.status_code", "200")
	wantTag(f.t, clientSpan, "peer.hostname", "127.0.0.1")
	wantTag(f.t, clientSpan, "component", "traceplug")
	if u, _ := clientSpan.Tag("http.url"); !strings.HasSuffix(u, "/backend") {
		f.t.Errorf("client span http.url %q", u)
	}
	if _, ok := clientSpan.Tag("peer.port"); !ok {
		f.t.Error("client span lacks peer.port")
	}
}

// 10. Baggage set before an outgoing call is readable by the server.
func baggage(f *fixture) {
	f.need(Baggage)
	w := newTwoServices(f, nil)
	if _, body := f.get(w.front+"?baggage=ann", nil); body != "baggage=ann" {
		f.t.Errorf("the server service read %q, want baggage=ann", body)
	}
}

// 11. Status codes and error tags.
func status(f *fixture) {
	tr := f.tracer(core.WithTraceAll(true))
	mux := http.NewServeMux()
	mux.HandleFunc("/default", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	srv := f.server(tr.Middleware(mux))
	for _, p := range []string{"/default", "/missing", "/broken"} {
		f.get(srv.URL+p, nil)
	}
	spans := f.spans()
	for _, c := range []struct {
		op, code string
		isError  bool
	}{{"GET /default", "200", false}, {"GET /missing", "404", false}, {"GET /broken", "500", true}} {
		s := one(f.t, spans, f.byOp(c.op), c.op)
		wantTag(f.t, s, "http.status_code", c.code)
		if c.isError {
			wantTag(f.t, s, "error", "true")
		} else if v, ok := s.Tag("error"); ok && v != "false" {
			f.t.Errorf("%s: error=%s", c.op, v)
		}
	}
}

// 12. A panic: the span arrives with error=true and an error log, and the
// panic reaches the caller.
func panicking(f *fixture) {
	tr := f.tracer(core.WithTraceAll(true))
	reached := make(chan any, 1)
	traced := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("conformance boom") }))
	srv := f.server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			reached <- recover()
			w.WriteHeader(500)
		}()
		traced.ServeHTTP(w, r)
	}))
	f.get(srv.URL, nil)
	if v := <-reached; v != "conformance boom" {
		f.t.Errorf("the caller recovered %v, want the handler's panic", v)
	}
	s := one(f.t, f.spans(), func(Span) bool { return true }, "span")
	wantTag(f.t, s, "error", "true")
	if f.lacks(Logs) {
		return
	}
	for _, l := range s.Logs {
		if fmt.Sprint(l.Fields["event"]) == "error" && strings.Contains(fmt.Sprint(l.Fields["message"]), "conformance boom") {
			return
		}
	}
	f.t.Errorf("no error log with the panic's message; logs: %v", s.Logs)
}

// genericMalformed are broken headers in no backend's format in particular:
// the same keys every backend uses, holding garbage.
var genericMalformed = []Malformed{
	{"b3 garbage", http.Header{"X-B3-Traceid": {"not-hex!"}, "X-B3-Spanid": {"zz"}}},
	{"b3 single garbage", http.Header{"B3": {"----"}}},
	{"uber garbage", http.Header{"Uber-Trace-Id": {"::::"}}},
	{"lightstep garbage", http.Header{"Ot-Tracer-Traceid": {"xyz"}, "Ot-Tracer-Spanid": {"-1"}}},
	{"huge", http.Header{"X-B3-Traceid": {strings.Repeat("f", 4096)}, "Uber-Trace-Id": {strings.Repeat("9", 4096)}}},
}

// 13. Malformed incoming headers: served, new root trace, no panic.
func malformedHeaders(f *fixture) {
	cases := append(append([]Malformed(nil), f.h.MalformedHeaders...), genericMalformed...)
	for _, c := range cases {
		f.t.Run(c.Name, func(t *testing.T) {
			g := newFixture(t, f.h)
			tr := g.tracer(core.WithTraceAll(true))
			srv := g.server(tr.Middleware(http.HandlerFunc(okHandler)))
			if code, body := g.get(srv.URL, c.Header); code != 200 || body != "ok" {
				t.Fatalf("served %d %q, want 200 ok", code, body)
			}
			s := one(t, g.spans(), func(Span) bool { return true }, "span")
			if s.ParentID != "" {
				t.Errorf("span has parent %s: a malformed context must start a new root trace", s.ParentID)
			}
		})
	}
}

// 14. Operation names: the mux pattern, the handler name, the override.
func operationNames(f *fixture) {
	tr := f.tracer(core.WithTraceAll(true))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", okHandler)
	srv := f.server(tr.Middleware(mux))
	f.get(srv.URL+"/items/42", nil)

	decorated := f.tracer()
	srv2 := f.server(decorated.Trace()(http.HandlerFunc(decoratedHandler)))
	f.get(srv2.URL, nil)

	custom := f.tracer(core.WithTraceAll(true), core.WithOperationName(func(r *http.Request) string { return "custom " + r.URL.Path }))
	srv3 := f.server(custom.Middleware(http.HandlerFunc(okHandler)))
	f.get(srv3.URL+"/x", nil)

	spans := f.spans()
	one(f.t, spans, f.byOp("GET /items/{id}"), "span named after the pattern (GET /items/{id})")
	one(f.t, spans, f.byOp(decoratedName), "span named after the handler ("+decoratedName+")")
	one(f.t, spans, f.byOp("custom /x"), "span named by WithOperationName (custom /x)")
}

// 15. Concurrency: 200 concurrent requests, 200 distinct spans.
func concurrency(f *fixture) {
	const n = 200
	tr := f.tracer(core.WithTraceAll(true), core.WithTracedAttributes("path"))
	srv := f.server(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.GetSpan(r).SetTag("conformance.n", r.URL.Query().Get("n"))
	})))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 50}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := client.Get(srv.URL + "/c?n=" + strconv.Itoa(i))
			if err != nil {
				errs <- err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}(i)
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
	for _, s := range spans {
		ids[s.SpanID] = true
		v, _ := s.Tag("conformance.n")
		marks[v] = true
	}
	if len(ids) != n || len(marks) != n {
		f.t.Errorf("%d distinct span ids and %d distinct requests among %d spans", len(ids), len(marks), n)
	}
}

// 16. Flush: every span produced before Close reaches the collector; Close
// twice is harmless.
func flush(f *fixture) {
	const n = 1000
	tr := f.tracer()
	for i := 0; i < n; i++ {
		s := tr.StartSpan("flush")
		s.SetTag("i", i)
		s.Finish()
	}
	if err := tr.Close(); err != nil {
		f.t.Fatalf("Close: %v", err)
	}
	if err := tr.Close(); err != nil {
		f.t.Fatalf("second Close: %v", err)
	}
	spans := f.spans()
	seen := map[string]bool{}
	for _, s := range spans {
		v, _ := s.Tag("i")
		seen[v] = true
	}
	if len(spans) != n || len(seen) != n {
		f.t.Errorf("produced %d spans, the collector has %d (%d distinct)", n, len(spans), len(seen))
	}
}

// 18. B3: headers out, and understood in.
func b3(f *fixture) {
	f.need(B3)
	plain, sent := f.headerRecorder()
	tr := f.tracer(core.WithTraceAll(true), core.WithPropagation("b3"), core.WithServiceName(serverService))
	hc := &http.Client{Transport: tr.Transport(nil)}
	srv := f.server(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", plain.URL, nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
		}
	})))
	const traceID, spanID = "463ac35c9f6413ad", "a2fb4a1d1a96d312"
	f.get(srv.URL, http.Header{"X-B3-Traceid": {traceID}, "X-B3-Spanid": {spanID}, "X-B3-Sampled": {"1"}})
	spans := f.spans()
	server := one(f.t, spans, byKind("server", serverService), "server span")
	if server.TraceID != NormalizeID(traceID) || server.ParentID != NormalizeID(spanID) {
		f.t.Errorf("server span [trace %s parent %s], want the B3 context [trace %s parent %s]", server.TraceID, server.ParentID, traceID, spanID)
	}
	got := sent()
	out := got.Get("X-B3-Traceid")
	if out == "" {
		if single := got.Get("B3"); single != "" {
			out, _, _ = strings.Cut(single, "-")
		}
	}
	if NormalizeID(out) != NormalizeID(traceID) {
		f.t.Errorf("outgoing B3 trace id %q, want %s (headers %v)", out, traceID, got)
	}
}

// Accounting: after Close, Stats accounts for every span: each one the
// tracer finished was reported, none is pending, and the collector decoded
// as many as were reported.
func accounting(f *fixture) {
	if f.lacks(Accounting) {
		f.t.Skipf("%s lacks %s: %s", f.h.Name, Accounting, f.h.Lacks[Accounting])
	}
	tr := f.tracer(core.WithTraceAll(true), core.WithServiceName(serverService))
	plain, _ := f.headerRecorder()
	hc := &http.Client{Transport: tr.Transport(nil)}
	srv := f.server(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", plain.URL, nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
		}
		tr.StartSpan("conformance.manual", opentracing.ChildOf(tr.GetSpan(r).Context())).Finish()
	})))
	const requests = 20
	for range requests {
		f.get(srv.URL, nil)
	}
	decoded := len(f.spans()) // closes tr
	st := tr.Stats()
	if st.Started != 2*requests || st.Finished != 2*requests {
		f.t.Errorf("Stats: started %d, finished %d; want %d of each (a server and a client span per request)", st.Started, st.Finished, 2*requests)
	}
	if st.Reported == 0 && st.Dropped == 0 {
		f.t.Fatalf("Stats after Close reports nothing reported or dropped, with %d spans decoded: the backend's tracer must implement backend.StatsReporter (or the harness declare it lacks %s)", decoded, Accounting)
	}
	if want := uint64(3 * requests); st.Reported != want || st.Dropped != 0 || st.Pending != 0 {
		f.t.Errorf("Stats after Close: reported %d, dropped %d %v, pending %d; want %d reported (server, client and manual spans), none dropped or pending", st.Reported, st.Dropped, st.DroppedBy, st.Pending, want)
	}
	if uint64(decoded) != st.Reported {
		f.t.Errorf("the collector decoded %d spans, the backend reported %d", decoded, st.Reported)
	}
}

// 19. Logs reach the collector with their fields and a time inside the span.
func logs(f *fixture) {
	f.need(Logs)
	tr := f.tracer(core.WithTraceAll(true))
	srv := f.server(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.GetSpan(r).LogKV("event", "conformance.log", "count", 7)
	})))
	f.get(srv.URL, nil)
	s := one(f.t, f.spans(), func(Span) bool { return true }, "span")
	for _, l := range s.Logs {
		if fmt.Sprint(l.Fields["event"]) == "conformance.log" {
			if fmt.Sprint(l.Fields["count"]) != "7" {
				f.t.Errorf("log field count = %v, want 7", l.Fields["count"])
			}
			if l.Time.Before(s.Start.Add(-time.Millisecond)) || l.Time.After(s.Start.Add(s.Duration+time.Millisecond)) {
				f.t.Errorf("log at %v, outside the span [%v, +%v]", l.Time, s.Start, s.Duration)
			}
			return
		}
	}
	f.t.Errorf("log not received; logs: %v", s.Logs)
}

// 20. Process tags from WithTag arrive with the spans.
func processTags(f *fixture) {
	tr := f.tracer(core.WithTag("conformance.env", "ci"))
	tr.StartSpan("tagged").Finish()
	s := one(f.t, f.spans(), f.byOp("tagged"), "span")
	if v, ok := s.ProcessTag("conformance.env"); v != "ci" {
		f.t.Errorf("process tag conformance.env = %q (present %v), want ci", v, ok)
	}
}

// 21. Timing: start and duration cover the handler's work.
func timing(f *fixture) {
	tr := f.tracer(core.WithTraceAll(true))
	srv := f.server(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
	})))
	before := time.Now()
	f.get(srv.URL, nil)
	after := time.Now()
	s := one(f.t, f.spans(), func(Span) bool { return true }, "span")
	if s.Duration < 20*time.Millisecond || s.Duration > after.Sub(before)+time.Millisecond {
		f.t.Errorf("duration %v: want at least the handler's 20ms and at most the request's %v", s.Duration, after.Sub(before))
	}
	if s.Start.Before(before.Add(-time.Millisecond)) || s.Start.After(after) {
		f.t.Errorf("start %v outside the request [%v, %v]", s.Start, before, after)
	}
}
