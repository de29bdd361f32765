// Package faults_test checks every real backend against collectors that fail:
// not listening, accepting but never answering, answering after 5 s, and
// answering 500. Requests through the middleware must keep being served
// without waiting on the collector, the spans held must stay within the
// documented queue limits, Shutdown must return by its deadline, no goroutine
// may outlive Close, and every span must be reported or counted as dropped.
package faults_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
