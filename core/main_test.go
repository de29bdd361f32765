package core_test

import (
	"testing"

	"go.uber.org/goleak"

	_ "github.com/traceplug/traceplug/backends/none"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
