package interop_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test closes what it started: servers, tracers, the other projects'
// tracers and reporters, idle connections.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
