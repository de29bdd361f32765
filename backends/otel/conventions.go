package otel

import "github.com/traceplug/traceplug/backend"

var _ backend.Conventions = (*Tracer)(nil)

// Conventions implements [backend.Conventions]: the backend's spans follow
// OpenTelemetry's stable HTTP and RPC semantic conventions, as otelhttp and
// otelgrpc write them, unless the user chose others (core.WithConventions).
func (t *Tracer) Conventions() string { return backend.ConventionsOpenTelemetry }

// statusDescription is core.TagStatusDescription: the description of the
// span's error status, never an attribute.
const statusDescription = "otel.status_description"
