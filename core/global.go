package core

import (
	"sync"
	"sync/atomic"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backend"
)

// OpenTracing's global tracer is a plain variable: writing it while any
// goroutine reads it (every opentracing.StartSpanFromContext does) is a data
// race. So traceplug writes it once per process, with forwarder, and switches
// the Tracer the forwarder uses with an atomic pointer: WithGlobal stores a
// Tracer there when it is built, and Shutdown takes it out.
//
// A backend whose ecosystem has globals of its own (OpenTelemetry's) sets
// them as a [Globalizer]: when the Tracer is built, after the forwarder is
// switched, and it restores them at Shutdown, before the backend shuts down.

// forwarder is opentracing's global tracer once a Tracer is built
// WithGlobal: it starts spans with the last such Tracer while that one is
// live, and traces nothing (as opentracing.NoopTracer) otherwise.
type forwarder struct{ current atomic.Pointer[Tracer] }

var (
	globalForwarder forwarder
	globalSet       sync.Once

	// globalRestores holds, by *Tracer, the restore function of a
	// Globalizer's SetGlobals, until that Tracer's Shutdown calls it.
	globalRestores sync.Map
)

var _ opentracing.Tracer = (*forwarder)(nil)

// makeGlobal makes t the tracer of opentracing's global tracer, and has
// t's backend set its own globals if it is a Globalizer.
func makeGlobal(t *Tracer) {
	globalForwarder.current.Store(t)
	globalSet.Do(func() { opentracing.SetGlobalTracer(&globalForwarder) })
	if g, ok := t.ot.(backend.Globalizer); ok {
		if restore := g.SetGlobals(); restore != nil {
			globalRestores.Store(t, restore)
		}
	}
}

// dropGlobal makes the global tracer trace nothing, if t is its tracer,
// and has t's backend restore the globals it set (those still its own).
func dropGlobal(t *Tracer) {
	globalForwarder.current.CompareAndSwap(t, nil)
	if restore, ok := globalRestores.LoadAndDelete(t); ok {
		restore.(func())()
	}
}

func (f *forwarder) tracer() opentracing.Tracer {
	if t := f.current.Load(); t != nil {
		return t
	}
	return opentracing.NoopTracer{}
}

func (f *forwarder) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	return f.tracer().StartSpan(operationName, opts...)
}

func (f *forwarder) Inject(sc opentracing.SpanContext, format, carrier any) error {
	return f.tracer().Inject(sc, format, carrier)
}

func (f *forwarder) Extract(format, carrier any) (opentracing.SpanContext, error) {
	return f.tracer().Extract(format, carrier)
}
