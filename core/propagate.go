package core

import (
	"errors"

	"github.com/opentracing/opentracing-go"
)

// isNotFound reports whether err says only that no span context was there.
func isNotFound(err error) bool {
	return errors.Is(err, opentracing.ErrSpanContextNotFound)
}

// clearContext is instrument.ClearContext.
func (t *Tracer) clearContext(h map[string][]string) {
	if t.prop != nil {
		t.prop.Clean(h)
	}
}
