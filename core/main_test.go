package core_test

import (
	"testing"

	"github.com/traceplug/traceplug/internal/leakcheck"

	_ "github.com/traceplug/traceplug/backends/none"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }
