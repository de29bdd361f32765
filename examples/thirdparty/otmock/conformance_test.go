package otmock_test

import (
	"testing"

	"github.com/traceplug/traceplug/conformance"

	_ "example.com/thirdparty/otmock" // registers "otmock"
	"example.com/thirdparty/otmock/otmocktest"
)

// TestConformance runs traceplug's behaviour contract over otmock, as it
// runs over traceplug's own backends.
func TestConformance(t *testing.T) {
	conformance.Run(t, otmocktest.Harness())
}
