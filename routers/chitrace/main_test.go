package chitrace_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test stops what it started: servers, clients' idle connections,
// tracers and their exporters.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
