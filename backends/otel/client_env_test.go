package otel_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/internal/transporttest"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/redact/redacttest"
)

// TestExportTimeoutFromEnv: OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, over
// OTEL_EXPORTER_OTLP_TIMEOUT, bounds an export: against a collector that
// never answers, the export fails with a timeout, and the span is dropped
// and counted as send failed. (Over gRPC: otlpgrpc's test of the same
// name.)
func TestExportTimeoutFromEnv(t *testing.T) {
	t.Setenv(otel.EnvTimeout, "3600000")
	t.Setenv(otel.EnvTracesTimeout, "100")
	st, err, logged := transporttest.Send(t, core.WithEndpoint(oteltest.FaultyEndpoint(t, "http", oteltest.Silent)))
	transporttest.WantFailed(t, st, err, logged, nil, "context deadline exceeded")
}

// TestEndpointQuery: the query of an OTLP/HTTP endpoint goes with every
// request, whichever setting names the endpoint; its values are REDACTED in
// the log.
func TestEndpointQuery(t *testing.T) {
	rec := &transporttest.Recorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name     string
		env      map[string]string
		endpoint string
		want     string
	}{
		{name: "code", endpoint: srv.URL + "/v1/traces?tenant=a&api_key=k", want: "/v1/traces?tenant=a&api_key=k"},
		{name: "code, no path", endpoint: srv.URL + "?tenant=b", want: "/v1/traces?tenant=b"},
		{name: "traces variable", env: map[string]string{otel.EnvTracesEndpoint: srv.URL + "/ingest?tenant=c"}, want: "/ingest?tenant=c"},
		{name: "general variable", env: map[string]string{otel.EnvEndpoint: srv.URL + "/otlp/?tenant=d"}, want: "/otlp/v1/traces?tenant=d"},
		{name: "general variable, no path", env: map[string]string{otel.EnvEndpoint: srv.URL + "?tenant=e#fragment"}, want: "/v1/traces?tenant=e"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var opts []core.Option
			if tc.endpoint != "" {
				opts = append(opts, core.WithEndpoint(tc.endpoint))
			}
			before := len(rec.URIs())
			st, err, logged := transporttest.Send(t, opts...)
			uris := rec.URIs()[before:]
			if err != nil || st.Reported != 1 || len(uris) != 1 || uris[0] != tc.want {
				t.Errorf("Close = %v, reported %d, the collector got %q: want one request to %q (logged %q)", err, st.Reported, uris, tc.want, logged)
			}
		})
	}

	t.Run("redacted", func(t *testing.T) {
		failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("api_key") != redacttest.Key {
				t.Errorf("the collector got %q, without the api_key", r.URL.RequestURI())
			}
			http.Error(w, "no", http.StatusInternalServerError)
		}))
		t.Cleanup(failing.Close)
		redacttest.CheckFailedSend(t, "otel", "sending 1 span to "+failing.URL+"/v1/traces?api_key=REDACTED",
			core.WithEndpoint(failing.URL+"/v1/traces?api_key="+redacttest.Key))
	})
}

// TestProxyFromEnvironment: OTLP/HTTP goes through the proxy that
// HTTP_PROXY names for an http:// endpoint, and HTTPS_PROXY for an
// https:// one (CONNECT, then TLS with the collector), as otlptracehttp
// does with http.ProxyFromEnvironment. The collector's host,
// collector.invalid, resolves nowhere: only the proxy can have delivered
// the spans. (A loopback host is never proxied, so the tests cannot name
// the collector's own address.)
func TestProxyFromEnvironment(t *testing.T) {
	t.Run("HTTP_PROXY", func(t *testing.T) {
		rec := &transporttest.Recorder{}
		p := transporttest.StartProxy(t, rec, "")
		transporttest.SetProxyEnv(t, p.URL, "", "")
		t.Setenv(otel.EnvEndpoint, "http://collector.invalid:4318?tenant=a")
		st, err, logged := transporttest.Send(t)
		transporttest.WantDelivered(t, st, err, logged, rec)
		if got, want := p.Requests(), "POST http://collector.invalid:4318/v1/traces?tenant=a"; len(got) != 1 || got[0] != want {
			t.Errorf("the proxy got %q, want %q", got, want)
		}
	})
	t.Run("HTTPS_PROXY", func(t *testing.T) {
		pki := transporttest.NewPKI(t, "proxied")
		rec := &transporttest.Recorder{}
		p := transporttest.StartProxy(t, nil, transporttest.StartHTTPS(t, rec, pki.ServerTLS(true)))
		transporttest.SetProxyEnv(t, "http://127.0.0.1:1", p.URL, "")
		t.Setenv(otel.EnvCertificate, pki.CAFile)
		t.Setenv(otel.EnvClientCertificate, pki.CertFile)
		t.Setenv(otel.EnvClientKey, pki.KeyFile)
		st, err, logged := transporttest.Send(t, core.WithEndpoint("https://collector.invalid/v1/traces"))
		transporttest.WantDelivered(t, st, err, logged, rec)
		if got, want := p.Requests(), "CONNECT collector.invalid:443"; len(got) != 1 || got[0] != want {
			t.Errorf("the proxy got %q, want %q", got, want)
		}
	})
}
