package otel

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/traceplug/traceplug/backend"
)

// TestExportTimeoutSettings: the export's timeout is the export_timeout
// param, else the smaller of OTEL_BSP_EXPORT_TIMEOUT and
// OTEL_EXPORTER_OTLP_TRACES_TIMEOUT (else OTEL_EXPORTER_OTLP_TIMEOUT) of
// those set, else 10s. The tests of client_env_test.go show it bounding an
// export on the wire.
func TestExportTimeoutSettings(t *testing.T) {
	for _, tc := range []struct {
		name  string
		env   map[string]string
		param string
		want  time.Duration
	}{
		{name: "default", want: 10 * time.Second},
		{name: "general", env: map[string]string{EnvTimeout: "2500"}, want: 2500 * time.Millisecond},
		{name: "general, above the default", env: map[string]string{EnvTimeout: "60000"}, want: time.Minute},
		{name: "traces over general", env: map[string]string{EnvTimeout: "2500", EnvTracesTimeout: "1500"}, want: 1500 * time.Millisecond},
		{name: "traces over a bad general", env: map[string]string{EnvTimeout: "soon", EnvTracesTimeout: "1500"}, want: 1500 * time.Millisecond},
		{name: "processor's", env: map[string]string{EnvBSPExportTimeout: "20000"}, want: 20 * time.Second},
		{name: "exporter's smaller", env: map[string]string{EnvBSPExportTimeout: "3000", EnvTimeout: "2000"}, want: 2 * time.Second},
		{name: "processor's smaller", env: map[string]string{EnvBSPExportTimeout: "1000", EnvTracesTimeout: "2000"}, want: time.Second},
		{name: "param over all", env: map[string]string{EnvBSPExportTimeout: "1000", EnvTracesTimeout: "2000"}, param: "5s", want: 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			cfg := backend.Config{ServiceName: "s", SampleRate: 1}
			if tc.param != "" {
				cfg.Params = map[string]string{"export_timeout": tc.param}
			}
			s, err := newSettings(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if s.exportTimeout != tc.want {
				t.Errorf("export timeout %v, want %v", s.exportTimeout, tc.want)
			}
		})
	}
}

// TestProxySettings: the OTLP/HTTP client's proxy is the one the
// environment names when New runs, NO_PROXY and loopback hosts excepted,
// as http.ProxyFromEnvironment picks it (which reads the environment once
// in a process's life). client_env_test.go shows requests going through
// it; NO_PROXY is shown here, on the transport, because a host it names
// would be dialled directly, and only loopback hosts resolve in the tests.
func TestProxySettings(t *testing.T) {
	// net/http reads the variables as they are before the test (once in a
	// process's life), so that this test's are not the process's, and a
	// client using http.ProxyFromEnvironment would not see them.
	_, _ = http.ProxyFromEnvironment(&http.Request{URL: &url.URL{Scheme: "http", Host: "collector.invalid"}})
	for _, name := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"} {
		t.Setenv(strings.ToLower(name), "")
	}
	t.Setenv("HTTP_PROXY", "http://proxy.invalid:3128")
	t.Setenv("HTTPS_PROXY", "http://tls-proxy.invalid:3128")
	t.Setenv("NO_PROXY", "direct.invalid,.internal.invalid")
	s, err := newSettings(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: "http://collector.invalid:4318"})
	if err != nil {
		t.Fatal(err)
	}
	c := newHTTPClient(s.export(), s.proxy)
	defer c.Stop()
	for _, tc := range []struct{ url, want string }{
		{"http://collector.invalid:4318/v1/traces", "http://proxy.invalid:3128"},
		{"https://collector.invalid/v1/traces", "http://tls-proxy.invalid:3128"},
		{"http://direct.invalid:4318/v1/traces", ""},
		{"http://a.internal.invalid:4318/v1/traces", ""},
		{"http://127.0.0.1:4318/v1/traces", ""},
		{"http://localhost:4318/v1/traces", ""},
	} {
		u, _ := url.Parse(tc.url)
		got, err := c.conn.Transport.Proxy(&http.Request{URL: u})
		if err != nil || (got == nil) != (tc.want == "") || got != nil && got.String() != tc.want {
			t.Errorf("proxy of %s: %v, %v; want %q", tc.url, got, err, tc.want)
		}
	}

	// Read when New runs: a later change is not this client's.
	t.Setenv("HTTP_PROXY", "http://other.invalid:3128")
	u, _ := url.Parse("http://collector.invalid:4318/v1/traces")
	if got, _ := c.conn.Transport.Proxy(&http.Request{URL: u}); got == nil || got.Host != "proxy.invalid:3128" {
		t.Errorf("after HTTP_PROXY changed, the client's proxy is %v, want the one it was built with", got)
	}

	// gRPC's proxy is grpc-go's.
	g, err := newSettings(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: "grpc://collector.invalid:4317"})
	if err != nil {
		t.Fatal(err)
	}
	if g.proxy != nil {
		t.Error("the gRPC settings have an HTTP proxy")
	}
}
