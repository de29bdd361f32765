package lightstep_test

import (
	"fmt"
	"testing"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/redact/redacttest"
)

// TestEndpointCredentialsNeverShow (issue 27): New rejects an endpoint that
// carries credentials (lightstep's go in the access token: an endpoint's
// would be dialled as part of the host, and logged), or that is mistyped,
// and its error shows neither the user name nor the password nor a query
// value.
func TestEndpointCredentialsNeverShow(t *testing.T) {
	bad := append(redacttest.BadEndpoints("https", "collector:443", ""),
		redacttest.WithCredentials("https", "collector:443", ""),
		"https://"+redacttest.User+"@collector:443",
		redacttest.User+"@collector:443",
	)
	for _, endpoint := range bad {
		for _, transport := range transports {
			redacttest.CheckRefused(t, "lightstep", fmt.Sprintf("%q over %s", endpoint, transport),
				core.WithEndpoint(endpoint), core.WithParam("transport", transport))
		}
	}
}
