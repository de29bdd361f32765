package mock_test

import (
	"testing"

	"github.com/traceplug/traceplug/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }
