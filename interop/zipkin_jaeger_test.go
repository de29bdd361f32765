package zipkin_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"github.com/traceplug/traceplug/core"

	_ "github.com/traceplug/traceplug/backends/jaeger"
)

// TestBaggageAcrossZipkinAndJaeger: on B3, baggage set by a zipkin service is
// read by a jaeger service, and the other way round.
func TestBaggageAcrossZipkinAndJaeger(t *testing.T) {
	zc, jc := zipkintest.New(t), jaegertest.NewHTTP(t)
	zipkinTr, err := core.New("zipkin", core.WithEndpoint(zc.Endpoint()), core.WithTraceAll(true))
	if err != nil {
		t.Fatal(err)
	}
	defer zipkinTr.Close()
	jaegerTr, err := core.New("jaeger", core.WithEndpoint(jc.Endpoint()), core.WithTraceAll(true), core.WithPropagation("b3"))
	if err != nil {
		t.Fatal(err)
	}
	defer jaegerTr.Close()
	for _, tc := range []struct {
		name        string
		front, back *core.Tracer
	}{{"zipkin to jaeger", zipkinTr, jaegerTr}, {"jaeger to zipkin", jaegerTr, zipkinTr}} {
		t.Run(tc.name, func(t *testing.T) {
			back := httptest.NewServer(tc.back.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, tc.back.GetSpan(r).BaggageItem("tenant"))
			})))
			defer back.Close()
			client := &http.Client{Transport: tc.front.Transport(nil)}
			front := httptest.NewServer(tc.front.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tc.front.GetSpan(r).SetBaggageItem("tenant", "acme")
				req, _ := http.NewRequestWithContext(r.Context(), "GET", back.URL, nil)
				resp, err := client.Do(req)
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
			if string(body) != "acme" {
				t.Errorf("the back service read baggage %q, want acme", body)
			}
		})
	}
}
