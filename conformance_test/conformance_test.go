package conformance_test

import (
	"testing"

	"github.com/traceplug/traceplug/backends/mock/mocktest"
	"github.com/traceplug/traceplug/conformance"
)

func TestMock(t *testing.T) { conformance.Run(t, mocktest.Harness()) }
