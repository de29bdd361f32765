package otel_test

import (
	"bytes"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
)

// TestPublicEndpointLinkOnTheWire: on a public endpoint
// (core.WithPublicEndpoint), the server span the collector decodes is the
// root of a new trace, with one OTLP span link to the caller's span (core's
// FollowsFrom reference, as the backend maps it), whatever the caller's
// sampling flag; the onward call carries the new trace, as the client span's
// child, and not the caller's baggage.
func TestPublicEndpointLinkOnTheWire(t *testing.T) {
	const (
		callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
		callerSpan  = "00f067aa0ba902b7"
	)
	for _, flags := range []string{"01", "00"} {
		t.Run("caller flags "+flags, func(t *testing.T) {
			c := oteltest.New(t)
			tr, _ := newTracer(t, c, core.WithTraceAll(true), core.WithPublicEndpoint(true))
			sent := make(chan http.Header, 1)
			down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sent <- r.Header.Clone() }))
			defer down.Close()
			base := &http.Transport{}
			defer base.CloseIdleConnections()
			client := &http.Client{Transport: tr.Transport(base)}
			front := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				req, _ := http.NewRequestWithContext(r.Context(), "GET", down.URL, nil)
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_ = resp.Body.Close()
			})))
			defer front.Close()

			req, _ := http.NewRequest("GET", front.URL+"/checkout", nil)
			req.Header.Set("traceparent", "00-"+callerTrace+"-"+callerSpan+"-"+flags)
			req.Header.Set("baggage", "user=mallory")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			onward := <-sent
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}

			var server, cl *tracepb.Span
			for _, s := range c.OTLPSpans() {
				switch s.GetKind() {
				case tracepb.Span_SPAN_KIND_SERVER:
					server = s
				case tracepb.Span_SPAN_KIND_CLIENT:
					cl = s
				}
			}
			if server == nil || cl == nil {
				t.Fatalf("the collector got %d spans, want a server and a client span", len(c.OTLPSpans()))
			}
			newTrace := hex.EncodeToString(server.GetTraceId())
			if newTrace == callerTrace || len(server.GetParentSpanId()) != 0 {
				t.Errorf("server span in trace %s under %x: want the root of a new trace", newTrace, server.GetParentSpanId())
			}
			links := server.GetLinks()
			if len(links) != 1 {
				t.Fatalf("server span has %d links, want 1 to the caller's span", len(links))
			}
			l := links[0]
			if hex.EncodeToString(l.GetTraceId()) != callerTrace || hex.EncodeToString(l.GetSpanId()) != callerSpan {
				t.Errorf("link to %x/%x, want the caller's %s/%s", l.GetTraceId(), l.GetSpanId(), callerTrace, callerSpan)
			}
			var kind any
			for _, kv := range l.GetAttributes() {
				if kv.GetKey() == "ot-span-reference-type" {
					kind = oteltest.Value(kv.GetValue())
				}
			}
			if kind != "follows-from-ref" {
				t.Errorf("link attribute ot-span-reference-type = %v, want follows-from-ref", kind)
			}
			if !bytes.Equal(cl.GetTraceId(), server.GetTraceId()) || !bytes.Equal(cl.GetParentSpanId(), server.GetSpanId()) {
				t.Errorf("client span in %x under %x: want the server span's child", cl.GetTraceId(), cl.GetParentSpanId())
			}
			want := "00-" + newTrace + "-" + hex.EncodeToString(cl.GetSpanId()) + "-01"
			if got := onward.Get("traceparent"); got != want {
				t.Errorf("the onward call carried traceparent %q, want %q", got, want)
			}
			if got := onward.Get("baggage"); strings.Contains(got, "mallory") {
				t.Errorf("the onward call carried the caller's baggage %q", got)
			}
		})
	}
}
