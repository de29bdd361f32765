package zipkin_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
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
			std := redacttest.StdLog(t)
			logs := &redacttest.Logs{}
			tr, err := core.New("zipkin", core.WithLogger(logs.Slog()),
				core.WithEndpoint(redacttest.WithCredentials("http", tc.host, "/api/v2/spans")))
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
			if !strings.Contains(logs.String(), tc.want) || !strings.Contains(logs.String(), "level=ERROR") {
				t.Errorf("core.WithLogger's logger got %q, want an error with %q", logs.String(), tc.want)
			}
			if std.String() != "" {
				t.Errorf("the log package got %q", std.String())
			}
		})
	}

	for _, endpoint := range redacttest.BadEndpoints("http", "collector:9411", "/api/v2/spans") {
		_, err := core.New("zipkin", core.WithEndpoint(endpoint))
		if err == nil {
			t.Errorf("New accepted %q", endpoint)
			continue
		}
		t.Logf("New: %v", err)
		redacttest.NoSecrets(t, "New's error", err.Error())
	}
}
