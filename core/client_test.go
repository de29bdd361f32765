package core_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
)

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTransportAcrossTwoServices runs a real client service calling a real
// server service on loopback, each with its own Tracer.
func TestTransportAcrossTwoServices(t *testing.T) {
	col := mock.NewCollector()
	defer col.Close()
	server, _ := newMock(t, core.WithTraceAll(true), core.WithServiceName("server"), core.WithEndpoint(col.Endpoint()))
	client, _ := newMock(t, core.WithTraceAll(true), core.WithServiceName("client"), core.WithEndpoint(col.Endpoint()))

	backend := httptest.NewServer(server.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "baggage="+server.GetSpan(r).BaggageItem("user"))
	})))
	defer backend.Close()
	hc := &http.Client{Transport: client.Transport(nil)}
	front := httptest.NewServer(client.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client.GetSpan(r).SetBaggageItem("user", "ann")
		req, _ := http.NewRequestWithContext(r.Context(), "GET", backend.URL+"/data?token=t0p", nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		defer resp.Body.Close()
		_, _ = io.Copy(w, resp.Body)
	})))
	defer front.Close()

	resp, err := http.Get(front.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "baggage=ann" {
		t.Errorf("body %q: baggage did not cross", body)
	}
	spans := col.Spans()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want front server, client, back server", len(spans))
	}
	byKind := map[any]mock.Span{}
	for _, s := range spans {
		byKind[s.Tags["span.kind"]] = s
		if s.TraceID != spans[0].TraceID {
			t.Errorf("span %q in another trace", s.Operation)
		}
	}
	cs := byKind[ext.SpanKindRPCClientEnum]
	var backSpan mock.Span
	for _, s := range spans {
		if s.Service == "server" {
			backSpan = s
		}
	}
	if backSpan.ParentID != cs.SpanID {
		t.Errorf("back server span's parent %x, want the client span %x", backSpan.ParentID, cs.SpanID)
	}
	wantTag(t, cs, "http.url", backend.URL+"/data?token=REDACTED")
	wantTag(t, cs, "peer.hostname", "127.0.0.1")
	wantTag(t, cs, "http.status_code", uint16(200))
	wantTag(t, cs, "component", "traceplug")
	if _, found := cs.Tags["peer.port"]; !found {
		t.Error("no peer.port")
	}
}

func TestTransportSpanEndsWithBody(t *testing.T) {
	for _, tc := range []struct {
		name string
		use  func(*http.Response)
	}{
		{"closed unread", func(r *http.Response) { r.Body.Close() }},
		{"read to EOF", func(r *http.Response) { _, _ = io.ReadAll(r.Body) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, m := newMock(t)
			rt := tr.Transport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("payload")), Request: r}, nil
			}))
			resp, err := rt.RoundTrip(httptest.NewRequest("GET", "http://svc.local/x", nil))
			if err != nil {
				t.Fatal(err)
			}
			if n := len(m.FinishedSpans()); n != 0 {
				t.Fatalf("span finished before the body was used (%d spans)", n)
			}
			tc.use(resp)
			resp.Body.Close()
			onlySpan(t, m)
			if m.DoubleFinishes() != 0 {
				t.Error("client span finished twice")
			}
		})
	}
}

func TestTransportErrorsAndStatuses(t *testing.T) {
	tr, m := newMock(t)
	failing := tr.Transport(roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("connection refused")
	}))
	if _, err := failing.RoundTrip(httptest.NewRequest("GET", "http://down.local/", nil)); err == nil {
		t.Fatal("want the transport's error")
	}
	s := onlySpan(t, m)
	wantTag(t, s, "error", true)
	if len(s.Logs) != 1 || s.Logs[0].Fields["message"] != "connection refused" {
		t.Errorf("logs %v", s.Logs)
	}

	m.Reset()
	rt := tr.Transport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 502, Body: http.NoBody, Request: r}, nil
	}))
	if _, err := rt.RoundTrip(httptest.NewRequest("GET", "http://up.local/", nil)); err != nil {
		t.Fatal(err)
	}
	s = onlySpan(t, m)
	wantTag(t, s, "http.status_code", uint16(502))
	wantTag(t, s, "error", true)
}

func TestTransportLeavesCallersRequestAlone(t *testing.T) {
	tr, _ := newMock(t)
	var sent http.Header
	rt := tr.Transport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = r.Header
		return &http.Response{StatusCode: 204, Body: http.NoBody, Request: r}, nil
	}))
	req := httptest.NewRequest("GET", "http://svc.local/", nil)
	req.Header.Set("Accept", "a")
	if _, err := rt.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if len(req.Header) != 1 {
		t.Errorf("caller's headers changed: %v", req.Header)
	}
	if sent.Get("traceparent") == "" || sent.Get("Accept") != "a" {
		t.Errorf("sent headers %v: want the trace injected and the caller's headers kept", sent)
	}
}

// TestTransportHandInjected is the seed's manual inject: a span injected into
// the headers by hand becomes the client span's parent.
func TestTransportHandInjected(t *testing.T) {
	tr, m := newMock(t)
	parent := tr.StartSpan("by hand")
	req := httptest.NewRequest("GET", "http://svc.local/", nil)
	if err := tr.Inject(parent.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(req.Header)); err != nil {
		t.Fatal(err)
	}
	var sent http.Header
	rt := tr.Transport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = r.Header
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	}))
	if _, err := rt.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	parent.Finish()
	spans := m.FinishedSpans()
	cs, hand := spans[0], spans[1]
	if cs.ParentID != hand.SpanID || cs.TraceID != hand.TraceID {
		t.Errorf("client span parent %x, want the hand-injected span %x", cs.ParentID, hand.SpanID)
	}
	if got := sent.Values("traceparent"); len(got) != 1 {
		t.Errorf("sent span ids %v: want exactly the client span's", got)
	}
}
