package otel_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/redact/redacttest"
)

// TestEndpointCredentialsNeverShow (issue 27): an endpoint's user name,
// password and query values show nowhere: not the log lines of a collector
// that is down or answers 500, not Shutdown's error, not New's error for an
// endpoint it rejects, from code or from the OTEL_EXPORTER_OTLP_*
// variables, even when the password holds "%" or "#".
func TestEndpointCredentialsNeverShow(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	defer failing.Close()

	for _, tc := range []struct{ name, host string }{
		{"down", down.Listener.Addr().String()},
		{"500", failing.Listener.Addr().String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			std := redacttest.StdLog(t)
			logs := &redacttest.Logs{}
			tr, err := core.New("otel", core.WithLogger(logs.Slog()), core.WithParam("export_timeout", "300ms"),
				core.WithEndpoint(redacttest.WithCredentials("http", tc.host, "/v1/traces")))
			if err != nil {
				t.Fatal(err)
			}
			tr.StartSpan("probe").Finish()
			if err := tr.Close(); err != nil {
				t.Logf("Close: %v", err)
				redacttest.NoSecrets(t, "Close's error", err.Error())
			}
			t.Logf("logged: %s", logs.String())
			redacttest.NoSecrets(t, "the log", logs.String())
			redacttest.NoSecrets(t, "the log package", std.String())
			if !strings.Contains(logs.String(), "sending 1 span to http://REDACTED@") {
				t.Errorf("core.WithLogger's logger got %q, want the failed export", logs.String())
			}
		})
	}

	bad := append(redacttest.BadEndpoints("http", "collector:4318", "/v1/traces"),
		redacttest.BadEndpoints("grpc", "collector:4317", "")...)
	for _, endpoint := range bad {
		for _, source := range []string{"code", otel.EnvTracesEndpoint, otel.EnvEndpoint} {
			var opts []core.Option
			if source == "code" {
				opts = append(opts, core.WithEndpoint(endpoint))
			} else {
				t.Setenv(source, endpoint)
			}
			_, err := core.New("otel", opts...)
			if source != "code" {
				t.Setenv(source, "")
			}
			if err == nil {
				t.Errorf("New accepted %q from %s", endpoint, source)
				continue
			}
			t.Logf("New: %v", err)
			redacttest.NoSecrets(t, "New's error", err.Error())
		}
	}

	// A gRPC endpoint with the HTTP protocol.
	_, err := core.New("otel", core.WithParam("protocol", "http/protobuf"),
		core.WithEndpoint(redacttest.WithCredentials("grpc", "collector:4317", "")))
	if err == nil {
		t.Fatal("New accepted a gRPC endpoint with the HTTP protocol")
	}
	t.Logf("New: %v", err)
	redacttest.NoSecrets(t, "New's error", err.Error())
}
