// Package conformance_test runs the conformance suite over every built-in
// backend, each against its own in-process collector, and shows that the
// suite fails on deliberately broken backends. It has only tests.
package conformance_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
