package otel_test

import (
	"testing"

	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/conformance"
)

func TestConformanceHTTP(t *testing.T) { conformance.Run(t, oteltest.Harness("http")) }
