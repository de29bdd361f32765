package grpctrace_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test stops what it started: servers, connections, tracers, the
// goroutines that watch streams.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
