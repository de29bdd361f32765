package lightstep

import (
	lightstep "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/internal/b3"
)

// b3Propagator is lightstep's side of traceplug's B3 codec. lightstep-tracer-go
// has a B3 propagator of its own, but it reads the high half of a 128-bit
// trace id from 15 hex digits, not 16.
type b3Propagator struct{}

func (b3Propagator) Inject(sc opentracing.SpanContext, carrier any) error {
	c, ok := sc.(lightstep.SpanContext)
	if !ok {
		return opentracing.ErrInvalidSpanContext
	}
	w, ok := carrier.(opentracing.TextMapWriter)
	if !ok {
		return opentracing.ErrInvalidCarrier
	}
	sampled := c.Sampled != "false"
	b3.Inject(w, b3.Context{TraceHigh: c.TraceIDUpper, TraceLow: c.TraceID, SpanID: c.SpanID, Sampled: &sampled, Baggage: c.Baggage})
	return nil
}

func (b3Propagator) Extract(carrier any) (opentracing.SpanContext, error) {
	r, ok := carrier.(opentracing.TextMapReader)
	if !ok {
		return nil, opentracing.ErrInvalidCarrier
	}
	c, err := b3.Extract(r)
	if err != nil {
		return nil, err
	}
	sampled := "true"
	if !c.IsSampled(true) {
		sampled = "false"
	}
	return lightstep.SpanContext{TraceIDUpper: c.TraceHigh, TraceID: c.TraceLow, SpanID: c.SpanID, Sampled: sampled, Baggage: c.Baggage}, nil
}
