// Package none registers the backend "none": opentracing's no-op tracer, so
// that tracing can be switched off by configuration (TRACEPLUG_BACKEND=none)
// without changing code.
//
//	import _ "github.com/traceplug/traceplug/backends/none"
//
// It accepts every standard option and ignores them, has no params, and sends
// nothing anywhere.
package none

import (
	"context"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/core"
)

func init() { core.Register("none", factory) }

func factory(cfg backend.Config) (opentracing.Tracer, func(context.Context) error, error) {
	t, err := New(cfg)
	return t, nil, err
}

// New returns opentracing's no-op tracer. It fails only on a param, since none
// has none.
func New(cfg backend.Config) (opentracing.Tracer, error) {
	if err := cfg.CheckParams("none"); err != nil {
		return nil, err
	}
	return opentracing.NoopTracer{}, nil
}
