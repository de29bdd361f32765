package conformance_test

import (
	"testing"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/conformance_test/builtin"
)

// TestConformance runs the suite over every built-in backend and transport:
// go test -run 'TestConformance/jaeger/udp/baggage' picks one property.
func TestConformance(t *testing.T) {
	for _, h := range builtin.Harnesses() {
		t.Run(h.Name, func(t *testing.T) { conformance.Run(t, h) })
	}
}
