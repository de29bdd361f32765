package core

import (
	"errors"

	"github.com/opentracing/opentracing-go"
)

// isNotFound reports whether err says only that no span context was there.
func isNotFound(err error) bool {
	return errors.Is(err, opentracing.ErrSpanContextNotFound)
}

// ClearContext deletes from h, headers or gRPC metadata about to carry a
// span context injected by t, every header of t's propagation formats,
// context or baggage, in any case of its name: stale ones (copied from an
// incoming request by a proxy, or set by hand) would otherwise travel
// beside the new context, or twice in another case of the name. Read a
// context set by hand (as the parent) before. For a tracer that is no
// backend.SpanContextCodec it does nothing: its formats are its own. It is part
// of the surface for instrumentation packages.
func (t *Tracer) ClearContext(h map[string][]string) {
	if t.prop != nil {
		t.prop.Clean(h)
	}
}
