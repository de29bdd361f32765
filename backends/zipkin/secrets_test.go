package zipkin_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/redact/redacttest"
)

// TestEndpointCredentialsNeverShow (issue 27): an endpoint's user name,
// password and query values reach the collector and nowhere else: not the
// log lines of a collector that is down or answers 500, not Shutdown's
// error, not New's error for an endpoint it rejects. And the log lines go
// to core.WithLogger's logger, not to the log package.
func TestEndpointCredentialsNeverShow(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	defer failing.Close()

	for _, tc := range []struct {
		name, host, want string
	}{
		{"down", down.Listener.Addr().String(), "sending 1 span to http://REDACTED@"},
		{"500", failing.Listener.Addr().String(), "the collector refused the spans: 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			redacttest.CheckFailedSend(t, "zipkin", tc.want,
				core.WithEndpoint(redacttest.WithCredentials("http", tc.host, "/api/v2/spans")))
		})
	}

	for _, endpoint := range redacttest.BadEndpoints("http", "collector:9411", "/api/v2/spans") {
		redacttest.CheckRefused(t, "zipkin", fmt.Sprintf("endpoint %q", endpoint), core.WithEndpoint(endpoint))
	}
}
