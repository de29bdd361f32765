package otel_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
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
			redacttest.CheckFailedSend(t, "otel", "sending 1 span to http://REDACTED@", core.WithParam("export_timeout", "300ms"),
				core.WithEndpoint(redacttest.WithCredentials("http", tc.host, "/v1/traces")))
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
			redacttest.CheckRefused(t, "otel", fmt.Sprintf("%q from %s", endpoint, source), opts...)
			if source != "code" {
				t.Setenv(source, "")
			}
		}
	}

	// A gRPC endpoint with the HTTP protocol.
	redacttest.CheckRefused(t, "otel", "a gRPC endpoint with the HTTP protocol", core.WithParam("protocol", "http/protobuf"),
		core.WithEndpoint(redacttest.WithCredentials("grpc", "collector:4317", "")))

	// A gRPC endpoint in a program without otlpgrpc: the error that names
	// the import shows the endpoint, redacted.
	redacttest.CheckRefused(t, "otel", "a gRPC endpoint without otlpgrpc linked",
		core.WithEndpoint(redacttest.WithCredentials("grpc", "collector:4317", "")))
}
