package grpctrace_test

import (
	"testing"

	"github.com/traceplug/traceplug/internal/leakcheck"
)

// Every test stops what it started: servers, connections, tracers, and
// the goroutines of streams.
func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }
