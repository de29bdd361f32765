package otmock_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: a
// tracer's reporter, a collector, an HTTP connection.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
