package interop_test

// Side by side: the same requests through otelhttp and otelgrpc (on the
// OpenTelemetry SDK) and through traceplug on the otel backend, each side
// exporting to an in-process OTLP collector (oteltest), compared span by
// span and attribute by attribute as the collector decoded them: same
// names, kinds, status, keys and values. What may differ is listed in
// [httpExceptions] and [grpcExceptions], each with its reason; anything
// else fails the test.
//
// Values that depend on the connection are compared by kind only: a
// client's ephemeral port (network.peer.port on a server span). Both sides'
// servers listen on one port (a dispatcher sends each request to one side
// by a header the instrumentation never reads), so server.port,
// server.address and url.full are compared as they are.

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	oteltrace "go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/grpctrace"
)

// semconvSide is one side of the comparison: a tracer on the otel backend
// exporting to its own collector. The reference side uses only its
// TracerProvider, for otelhttp and otelgrpc; traceplug's side uses the
// Tracer itself.
type semconvSide struct {
	coll *oteltest.Collector
	tr   *core.Tracer
}

func newSemconvSide(t *testing.T, service string) *semconvSide {
	t.Helper()
	c := oteltest.New(t)
	tr, err := core.New("otel", append(c.Options("http"),
		core.WithServiceName(service), core.WithTraceAll(true))...)
	if err != nil {
		t.Fatal(err)
	}
	return &semconvSide{coll: c, tr: tr}
}

func (s *semconvSide) provider() oteltrace.TracerProvider {
	return s.tr.Unwrap().(*otel.Tracer).TracerProvider()
}

// spans flushes the side's tracer and returns its spans of kind, in the
// order they started.
func (s *semconvSide) spans(t *testing.T, kind tracepb.Span_SpanKind) []*tracepb.Span {
	t.Helper()
	if err := s.tr.Close(); err != nil {
		t.Fatal(err)
	}
	var out []*tracepb.Span
	for _, sp := range s.coll.OTLPSpans() {
		if sp.GetKind() == kind {
			out = append(out, sp)
		}
	}
	slices.SortStableFunc(out, func(a, b *tracepb.Span) int {
		return int(int64(a.GetStartTimeUnixNano()) - int64(b.GetStartTimeUnixNano()))
	})
	return out
}

// exception is a difference kept on purpose, on spans of one case.
type exception struct {
	// key is the attribute, "status" for the span's status, "events" for
	// its events.
	key string
	// applies says whether the exception applies to a span (traceplug's)
	// of a case.
	applies func(c string, tp *tracepb.Span) bool
	// check holds traceplug's value (nil: absent) to what it must be, given
	// the reference's (nil: absent).
	check func(ref, tp any) error
	why   string
}

// The cases, by name: each is one request (or call) made alike on both sides.
const (
	caseOK       = "success"
	caseNotFound = "404"
	caseUnrouted = "404 unrouted"
	caseFail     = "500"
	casePanic    = "panic"
	caseRedirect = "redirect"
	caseSecret   = "query with a secret"
)

// routed reports whether a server span's request matched a route.
func routed(tp *tracepb.Span) bool { return strings.Contains(tp.GetName(), " /") }

// httpExceptions are the differences from otelhttp that traceplug keeps.
var httpExceptions = []exception{
	{
		key: "http.route",
		applies: func(c string, tp *tracepb.Span) bool {
			return tp.GetKind() == tracepb.Span_SPAN_KIND_SERVER && routed(tp)
		},
		check: func(ref, tp any) error {
			if ref != nil {
				return fmt.Errorf("otelhttp wrote http.route %v around a ServeMux: the exception is obsolete", ref)
			}
			if s, ok := tp.(string); !ok || !strings.HasPrefix(s, "/") {
				return fmt.Errorf("want the route, got %v", tp)
			}
			return nil
		},
		why: "otelhttp writes http.route only when the route is known at the span's start, which it never " +
			"is around a ServeMux (it renames the span at the end, and leaves the attribute out); traceplug " +
			"writes the route it names the span after, which span metrics group by",
	},
	{
		key: "url.full",
		applies: func(c string, tp *tracepb.Span) bool {
			return c == caseSecret && tp.GetKind() == tracepb.Span_SPAN_KIND_CLIENT
		},
		check: func(ref, tp any) error {
			r, _ := ref.(string)
			want := strings.Replace(r, "token=s3cret", "token=REDACTED", 1)
			if r == want || tp != want {
				return fmt.Errorf("url.full %v, want %q (otelhttp's %q, its secret redacted)", tp, want, r)
			}
			return nil
		},
		why: "otelhttp writes the query as it is, secrets included; traceplug redacts secret values " +
			"(core.DefaultRedactedQueryKeys) in every attribute, as in http.url",
	},
	{
		key: "status",
		applies: func(c string, tp *tracepb.Span) bool {
			return c == casePanic && tp.GetKind() == tracepb.Span_SPAN_KIND_SERVER
		},
		check: func(ref, tp any) error {
			if ref != tracepb.Status_STATUS_CODE_UNSET || tp != tracepb.Status_STATUS_CODE_ERROR {
				return fmt.Errorf("status %v, want ERROR (otelhttp's %v)", tp, ref)
			}
			return nil
		},
		why: "otelhttp's handler sets nothing after a panic (its code after the handler does not run), so " +
			"the span of a request that got no answer looks like a success; traceplug records a panic as " +
			"an error, with its message",
	},
	{
		key: "name",
		applies: func(c string, tp *tracepb.Span) bool {
			return c == casePanic && tp.GetKind() == tracepb.Span_SPAN_KIND_SERVER
		},
		check: func(ref, tp any) error {
			if ref != "GET" || tp != "GET /panic" {
				return fmt.Errorf("name %v, want %q (otelhttp's %v)", tp, "GET /panic", ref)
			}
			return nil
		},
		why: "otelhttp names a span after its route only once the handler returns, which a panicking one " +
			"never does; traceplug names it after the route it matched, as every other request of the route",
	},
}

// TestSemconvHTTPSideBySide: server and client spans of traceplug on the
// otel backend carry what otelhttp's carry, for the same requests.
func TestSemconvHTTPSideBySide(t *testing.T) {
	ref, tp := newSemconvSide(t, "otelhttp"), newSemconvSide(t, "traceplug")

	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "404" {
			http.Error(w, "no such item", http.StatusNotFound)
			return
		}
		_, _ = io.WriteString(w, "item "+r.PathValue("id"))
	})
	mux.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken", http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	mux.HandleFunc("GET /redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/items/1", http.StatusFound)
	})
	refServer := otelhttp.NewMiddleware("", otelhttp.WithTracerProvider(ref.provider()))(mux)
	tpServer := tp.tr.Middleware(mux)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Side") == "ref" {
			refServer.ServeHTTP(w, r)
			return
		}
		tpServer.ServeHTTP(w, r)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the panic's
	srv.Start()
	defer srv.Close()

	cases := []struct{ name, path string }{
		{caseOK, "/items/42"},
		{caseNotFound, "/items/404"},
		{caseUnrouted, "/nowhere"},
		{caseFail, "/fail"},
		{casePanic, "/panic"},
		{caseRedirect, "/redirect"},
		{caseSecret, "/items/7?page=2&token=s3cret"},
	}
	// Every request on a connection of its own: a Transport retries a GET
	// whose reused connection broke (the panic's), which would make one
	// case two requests.
	base := &http.Transport{DisableKeepAlives: true}
	defer base.CloseIdleConnections()
	plain := &http.Client{Transport: base}
	// The servers, called by a plain client.
	var serverCases []string
	for _, c := range cases {
		for _, side := range []string{"ref", "tp"} {
			req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
			req.Header.Set("X-Side", side)
			req.Header.Set("User-Agent", "semconv-test/1.0")
			req.Header.Set("X-Forwarded-For", "203.0.113.7, 10.0.0.1")
			drainResp(plain.Do(req))
		}
		serverCases = append(serverCases, c.name)
		if c.name == caseRedirect {
			serverCases = append(serverCases, c.name) // and the request it redirects to
		}
	}
	// The clients, calling the same servers (whose spans, of kind SERVER,
	// are left out of the clients' comparison).
	refClient := &http.Client{Transport: otelhttp.NewTransport(base, otelhttp.WithTracerProvider(ref.provider()))}
	tpClient := &http.Client{Transport: tp.tr.Transport(base)}
	var clientCases []string
	for _, c := range cases {
		for _, hc := range []*http.Client{refClient, tpClient} {
			req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
			req.Header.Set("X-Side", "none")
			drainResp(hc.Do(req))
		}
		clientCases = append(clientCases, c.name)
		if c.name == caseRedirect {
			clientCases = append(clientCases, c.name)
		}
	}
	refSpans, tpSpans := ref.spans(t, tracepb.Span_SPAN_KIND_SERVER), tp.spans(t, tracepb.Span_SPAN_KIND_SERVER)
	// The clients' calls hit traceplug's server (X-Side none): its spans
	// come after the servers' cases.
	compareSpans(t, "server", serverCases, refSpans, tpSpans[:min(len(tpSpans), len(serverCases))], httpExceptions, connectionKeys)
	compareSpans(t, "client", clientCases, ref.spansOf(tracepb.Span_SPAN_KIND_CLIENT), tp.spansOf(tracepb.Span_SPAN_KIND_CLIENT), httpExceptions, connectionKeys)
}

// spansOf returns the spans of kind the side has exported (after spans
// flushed it), in the order they started.
func (s *semconvSide) spansOf(kind tracepb.Span_SpanKind) []*tracepb.Span {
	var out []*tracepb.Span
	for _, sp := range s.coll.OTLPSpans() {
		if sp.GetKind() == kind {
			out = append(out, sp)
		}
	}
	slices.SortStableFunc(out, func(a, b *tracepb.Span) int {
		return int(int64(a.GetStartTimeUnixNano()) - int64(b.GetStartTimeUnixNano()))
	})
	return out
}

func drainResp(resp *http.Response, err error) {
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// compareSpans compares the spans of each case, pairwise.
func compareSpans(t *testing.T, what string, cases []string, ref, tp []*tracepb.Span, exceptions []exception, loose map[string]bool) {
	t.Helper()
	if len(ref) != len(cases) || len(tp) != len(cases) {
		t.Fatalf("%s: %d spans from the reference and %d from traceplug, want %d (%v):\nref %v\ntp  %v",
			what, len(ref), len(tp), len(cases), cases, names(ref), names(tp))
	}
	for i, c := range cases {
		t.Run(what+"/"+c, func(t *testing.T) {
			compareSpan(t, c, ref[i], tp[i], exceptions, loose)
		})
	}
}

func names(spans []*tracepb.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.GetName())
	}
	return out
}

// connectionKeys are the attributes whose values depend on the connection:
// compared by type only. In the gRPC test every client and server has a
// server of its own, on a port of its own, so there server.port depends on
// the side too (server.address is compared: 127.0.0.1 on both).
var connectionKeys = map[string]bool{"network.peer.port": true}

var grpcConnectionKeys = map[string]bool{"network.peer.port": true, "server.port": true}

func compareSpan(t *testing.T, c string, ref, tp *tracepb.Span, exceptions []exception, loose map[string]bool) {
	t.Helper()
	excepted := map[string]exception{}
	for _, e := range exceptions {
		if e.applies(c, tp) {
			excepted[e.key] = e
		}
	}
	if e, ok := excepted["name"]; ok {
		if err := e.check(ref.GetName(), tp.GetName()); err != nil {
			t.Errorf("name: %v", err)
		}
	} else if ref.GetName() != tp.GetName() {
		t.Errorf("name %q, want %q", tp.GetName(), ref.GetName())
	}
	if ref.GetKind() != tp.GetKind() {
		t.Errorf("kind %v, want %v", tp.GetKind(), ref.GetKind())
	}
	if e, ok := excepted["status"]; ok {
		if err := e.check(ref.GetStatus().GetCode(), tp.GetStatus().GetCode()); err != nil {
			t.Errorf("status: %v", err)
		}
	} else if rs, ts := ref.GetStatus(), tp.GetStatus(); rs.GetCode() != ts.GetCode() || rs.GetMessage() != ts.GetMessage() {
		t.Errorf("status %v %q, want %v %q", ts.GetCode(), ts.GetMessage(), rs.GetCode(), rs.GetMessage())
	}
	refEvents, tpEvents := eventNames(ref), eventNames(tp)
	if e, ok := excepted["events"]; ok {
		if err := e.check(refEvents, tpEvents); err != nil {
			t.Errorf("events: %v", err)
		}
	} else if refEvents != tpEvents {
		t.Errorf("events %q, want %q", tpEvents, refEvents)
	}
	ra, ta := oteltest.Attributes(ref), oteltest.Attributes(tp)
	keys := map[string]bool{}
	for k := range ra {
		keys[k] = true
	}
	for k := range ta {
		keys[k] = true
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	}) {
		rv, rok := ra[k]
		tv, tok := ta[k]
		if e, ok := excepted[k]; ok {
			if err := e.check(rv, tv); err != nil {
				t.Errorf("%s: %v", k, err)
			}
			continue
		}
		switch {
		case !rok:
			t.Errorf("%s=%v (%T): the reference has no such attribute", k, tv, tv)
		case !tok:
			t.Errorf("%s missing, want %v (%T)", k, rv, rv)
		case loose[k]:
			if fmt.Sprintf("%T", rv) != fmt.Sprintf("%T", tv) {
				t.Errorf("%s=%v (%T), want a %T", k, tv, tv, rv)
			}
		case rv != tv:
			t.Errorf("%s=%v (%T), want %v (%T)", k, tv, tv, rv, rv)
		}
	}
}

func eventNames(s *tracepb.Span) string {
	var out []string
	for _, e := range s.GetEvents() {
		out = append(out, e.GetName())
	}
	return strings.Join(out, ",")
}

// grpcExceptions are the differences from otelgrpc that traceplug keeps:
// none.
var grpcExceptions []exception

// semconvService answers UnaryCall by the response size asked: 0 OK, 404
// NotFound, 500 Internal, 999 a panic.
type semconvService struct {
	testgrpc.UnimplementedTestServiceServer
}

func (semconvService) UnaryCall(_ context.Context, req *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	switch req.GetResponseSize() {
	case 404:
		return nil, status.Error(codes.NotFound, "no such item")
	case 500:
		return nil, status.Error(codes.Internal, "broken")
	case 999:
		panic("boom")
	}
	return &testgrpc.SimpleResponse{}, nil
}

// recoverPanics turns a handler's panic into Internal, as a server must
// (gRPC itself would crash the process): both sides' servers have it.
func recoverPanics(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = status.Errorf(codes.Internal, "panic: %v", v)
		}
	}()
	return h(ctx, req)
}

// semconvGRPCServer serves semconvService with opts, and returns a client
// of it, itself with dial options dial.
func semconvGRPCServer(t *testing.T, opts []grpc.ServerOption, dial ...grpc.DialOption) testgrpc.TestServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(append(opts, grpc.UnaryInterceptor(recoverPanics))...)
	testgrpc.RegisterTestServiceServer(srv, semconvService{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	cc, err := grpc.NewClient(lis.Addr().String(), append(dial, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return testgrpc.NewTestServiceClient(cc)
}

// TestSemconvGRPCSideBySide: server and client spans of grpctrace on the
// otel backend carry what otelgrpc's carry, for the same calls.
func TestSemconvGRPCSideBySide(t *testing.T) {
	ref, tp := newSemconvSide(t, "otelgrpc"), newSemconvSide(t, "traceplug")
	refServer := semconvGRPCServer(t, []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(ref.provider())))})
	tpServer := semconvGRPCServer(t, []grpc.ServerOption{grpc.StatsHandler(grpctrace.ServerHandler(tp.tr))})
	refClient := semconvGRPCServer(t, nil, grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(ref.provider()))))
	tpClient := semconvGRPCServer(t, nil, grpc.WithStatsHandler(grpctrace.ClientHandler(tp.tr)))

	cases := []struct {
		name string
		size int32
	}{{caseOK, 0}, {caseNotFound, 404}, {caseFail, 500}, {casePanic, 999}}
	var names []string
	for _, c := range cases {
		for _, cl := range []testgrpc.TestServiceClient{refServer, tpServer, refClient, tpClient} {
			_, _ = cl.UnaryCall(context.Background(), &testgrpc.SimpleRequest{ResponseSize: c.size})
		}
		names = append(names, c.name)
	}
	refSpans, tpSpans := ref.spans(t, tracepb.Span_SPAN_KIND_SERVER), tp.spans(t, tracepb.Span_SPAN_KIND_SERVER)
	compareSpans(t, "server", names, refSpans, tpSpans, grpcExceptions, grpcConnectionKeys)
	compareSpans(t, "client", names, ref.spansOf(tracepb.Span_SPAN_KIND_CLIENT), tp.spansOf(tracepb.Span_SPAN_KIND_CLIENT), grpcExceptions, grpcConnectionKeys)
}
