package console_test

import (
	"path/filepath"
	"testing"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/console"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/redact/redacttest"
)

// TestEndpointCredentialsNeverShow (issue 27): an endpoint left set for
// another backend, credentials and all, is rejected by New (or by
// NewWriter), and the error shows neither the user name nor the password
// nor a query value; nor does the error for a file that cannot be opened
// whose name looks like one.
func TestEndpointCredentialsNeverShow(t *testing.T) {
	bad := append(redacttest.BadEndpoints("http", "collector:9411", "/api/v2/spans")[:5],
		redacttest.WithCredentials("http", "collector:9411", "/api/v2/spans"),
		filepath.Join(t.TempDir(), "no", redacttest.User+":"+redacttest.Password+"@collector:9411"),
	)
	for _, endpoint := range bad {
		_, err := core.New("console", core.WithEndpoint(endpoint))
		if err == nil {
			t.Errorf("New accepted %q", endpoint)
			continue
		}
		t.Logf("New: %v", err)
		redacttest.NoSecrets(t, "New's error", err.Error())

		_, err = console.NewWriter(&syncBuffer{}, backend.Config{ServiceName: "s", Endpoint: endpoint})
		if err == nil {
			t.Errorf("NewWriter accepted %q", endpoint)
			continue
		}
		redacttest.NoSecrets(t, "NewWriter's error", err.Error())
	}
}
