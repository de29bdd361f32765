package core_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/instrument"
)

// otelTracer is the mock backend's tracer declaring OpenTelemetry's
// conventions, as the otel backend's does.
type otelTracer struct{ *mock.Tracer }

func (otelTracer) Conventions() string { return backend.ConventionsOpenTelemetry }

var _ backend.Conventions = otelTracer{}

// serveAndCall serves one routed request through tr's Middleware, and
// makes one call through its Transport to a server answering 404, with a
// secret in the query; it returns the server span and the client span.
func serveAndCall(t *testing.T, tr *core.Tracer, m *mock.Tracer) (server, client mock.Span) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET /items/{id}", ok)
	r := httptest.NewRequest("GET", "http://shop.example:8080/items/42?page=2", nil)
	r.Header.Set("User-Agent", "test/1.0")
	do(tr.Middleware(mux), r)

	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	resp, err := (&http.Client{Transport: tr.Transport(nil)}).Get(srv.URL + "/x?token=s3cret&page=1")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	spans := m.FinishedSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2: %+v", len(spans), spans)
	}
	return spans[0], spans[1]
}

func noTag(t *testing.T, s mock.Span, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if v, ok := s.Tags[k]; ok {
			t.Errorf("span %q: tag %s=%v, want none", s.Operation, k, v)
		}
	}
}

// TestConventionsOpenTracingByDefault: a backend that declares no
// conventions gets OpenTracing's tags, and no OpenTelemetry attribute.
func TestConventionsOpenTracingByDefault(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	if names, both := instrument.Conventions(tr); names != backend.ConventionsOpenTracing || both {
		t.Errorf("Conventions() = %q, %v", names, both)
	}
	server, client := serveAndCall(t, tr, m)
	if server.Operation != "GET /items/{id}" || client.Operation != "HTTP GET" {
		t.Errorf("names %q, %q", server.Operation, client.Operation)
	}
	wantTag(t, server, "component", "traceplug")
	wantTag(t, server, "http.method", "GET")
	wantTag(t, server, "http.url", "http://shop.example:8080/items/42?page=2")
	wantTag(t, server, "http.status_code", uint16(200))
	wantTag(t, server, "http.route", "/items/{id}")
	wantTag(t, client, "http.status_code", uint16(404))
	noTag(t, server, "http.request.method", "url.path", "server.address", "http.response.status_code")
	noTag(t, client, "error", "url.full", "error.type")
}

// TestConventionsOpenTelemetry: chosen in code, OpenTelemetry's conventions
// name spans and set attributes and status as otelhttp does, on any backend.
func TestConventionsOpenTelemetry(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithConventions("OpenTelemetry"))
	if names, both := instrument.Conventions(tr); names != backend.ConventionsOpenTelemetry || both {
		t.Errorf("Conventions() = %q, %v", names, both)
	}
	server, client := serveAndCall(t, tr, m)
	if server.Operation != "GET /items/{id}" || client.Operation != "HTTP GET" {
		t.Errorf("names %q, %q", server.Operation, client.Operation)
	}
	wantTag(t, server, "http.request.method", "GET")
	wantTag(t, server, "url.scheme", "http")
	wantTag(t, server, "url.path", "/items/42")
	wantTag(t, server, "server.address", "shop.example")
	wantTag(t, server, "server.port", 8080)
	wantTag(t, server, "user_agent.original", "test/1.0")
	wantTag(t, server, "network.protocol.version", "1.1")
	wantTag(t, server, "http.route", "/items/{id}")
	wantTag(t, server, "http.response.status_code", uint16(200))
	wantTag(t, server, "http.response.body.size", int64(2))
	noTag(t, server, "component", "http.method", "http.url", "http.status_code", "error")

	wantTag(t, client, "http.request.method", "GET")
	wantTag(t, client, "http.response.status_code", uint16(404))
	wantTag(t, client, "error.type", "404")
	wantTag(t, client, "error", true) // a 4xx fails a call
	if u, _ := client.Tags["url.full"].(string); !strings.Contains(u, "token=REDACTED") || strings.Contains(u, "s3cret") {
		t.Errorf("url.full %q: the secret is not redacted", u)
	}
	noTag(t, client, "component", "http.method", "http.url", "peer.hostname")

	// No route: the method alone; an unknown method: "HTTP".
	m.Reset()
	do(tr.Middleware(ok), newRequest("/plain"))
	do(tr.Middleware(ok), httptest.NewRequest("BREW", "/pot", nil))
	spans := m.FinishedSpans()
	if len(spans) != 2 || spans[0].Operation != "GET" || spans[1].Operation != "HTTP" {
		t.Fatalf("spans %+v, want GET and HTTP", spans)
	}
	wantTag(t, spans[1], "http.request.method", "_OTHER")
	wantTag(t, spans[1], "http.request.method_original", "BREW")
}

// TestConventionsBoth: "both" keeps the backend's names and status rules
// and writes both sets of attributes.
func TestConventionsBoth(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithConventions("both"))
	if names, both := instrument.Conventions(tr); names != backend.ConventionsOpenTracing || !both {
		t.Errorf("Conventions() = %q, %v", names, both)
	}
	_, client := serveAndCall(t, tr, m)
	m.Reset()
	do(tr.Middleware(ok), newRequest("/plain"))
	server := onlySpan(t, m)
	if server.Operation != "HTTP GET" {
		t.Errorf("name %q, want OpenTracing's", server.Operation)
	}
	wantTag(t, server, "http.method", "GET")
	wantTag(t, server, "http.request.method", "GET")
	wantTag(t, server, "http.status_code", uint16(200))
	wantTag(t, server, "http.response.status_code", uint16(200))
	wantTag(t, client, "http.status_code", uint16(404))
	wantTag(t, client, "error.type", "404")
	noTag(t, client, "error") // OpenTracing's rule: only 5xx
}

// TestConventionsBackendDefault: a tracer that declares OpenTelemetry's
// conventions gets them unless the user chose.
func TestConventionsBackendDefault(t *testing.T) {
	mt, err := mock.New(backend.Config{ServiceName: "svc", SampleRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		opts  []core.Option
		names string
		both  bool
	}{
		{nil, backend.ConventionsOpenTelemetry, false},
		{[]core.Option{core.WithConventions("")}, backend.ConventionsOpenTelemetry, false},
		{[]core.Option{core.WithConventions("opentracing")}, backend.ConventionsOpenTracing, false},
		{[]core.Option{core.WithConventions(" Both ")}, backend.ConventionsOpenTelemetry, true},
	} {
		tr, err := core.Wrap(otelTracer{mt}, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if names, both := instrument.Conventions(tr); names != tc.names || both != tc.both {
			t.Errorf("%d options: Conventions() = %q, %v, want %q, %v", len(tc.opts), names, both, tc.names, tc.both)
		}
	}
	var _ opentracing.Tracer = otelTracer{mt}
}

// TestConventionsEnv: TRACEPLUG_CONVENTIONS chooses, below code; a bad
// value, there or in code, is an error that says what is accepted.
func TestConventionsEnv(t *testing.T) {
	t.Setenv("TRACEPLUG_BACKEND", "mock")
	t.Setenv("TRACEPLUG_CONVENTIONS", "opentelemetry")
	tr, err := core.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if names, _ := instrument.Conventions(tr); names != backend.ConventionsOpenTelemetry {
		t.Errorf("TRACEPLUG_CONVENTIONS ignored: %q", names)
	}
	_ = tr.Close()
	tr, err = core.FromEnv(core.WithConventions("opentracing"))
	if err != nil {
		t.Fatal(err)
	}
	if names, _ := instrument.Conventions(tr); names != backend.ConventionsOpenTracing {
		t.Errorf("code did not win over TRACEPLUG_CONVENTIONS: %q", names)
	}
	_ = tr.Close()

	t.Setenv("TRACEPLUG_CONVENTIONS", "otel")
	_, err = core.FromEnv()
	if !errors.Is(err, core.ErrBadOption) {
		t.Fatalf("TRACEPLUG_CONVENTIONS=otel: %v, want ErrBadOption", err)
	}
	for _, want := range []string{"TRACEPLUG_CONVENTIONS", `"otel"`, "opentracing", "opentelemetry", "both"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
	_, err = core.New("mock", core.WithConventions("zipkin"))
	if !errors.Is(err, core.ErrBadOption) || !strings.Contains(err.Error(), "WithConventions") || !strings.Contains(err.Error(), "opentelemetry") {
		t.Errorf("WithConventions(zipkin): %v", err)
	}
}
