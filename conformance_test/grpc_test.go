package conformance_test

import (
	"testing"

	"github.com/traceplug/traceplug/conformance_test/builtin"
	"github.com/traceplug/traceplug/grpctrace/grpcconformance"
)

// TestGRPCConformance runs grpctrace's contract over every built-in backend
// and transport, read back from each backend's in-process collector:
// go test -run 'TestGRPCConformance/otel/grpc/streams' picks one property.
func TestGRPCConformance(t *testing.T) {
	for _, h := range builtin.Harnesses() {
		t.Run(h.Name, func(t *testing.T) { grpcconformance.Run(t, h) })
	}
}
