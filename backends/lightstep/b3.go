package lightstep

import (
	"fmt"
	"strconv"
	"strings"

	lightstep "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"
)

// b3Propagator reads and writes B3 multi headers, with baggage as baggage-*
// headers (as jaeger's B3 propagator does). lightstep-tracer-go has one, but it
// reads the high half of a 128-bit trace id from 15 hex digits, not 16.
type b3Propagator struct{}

const (
	b3TraceID       = "x-b3-traceid"
	b3SpanID        = "x-b3-spanid"
	b3Sampled       = "x-b3-sampled"
	b3Flags         = "x-b3-flags"
	b3BaggagePrefix = "baggage-"
)

func (b3Propagator) Inject(sc opentracing.SpanContext, carrier any) error {
	c, ok := sc.(lightstep.SpanContext)
	if !ok {
		return opentracing.ErrInvalidSpanContext
	}
	w, ok := carrier.(opentracing.TextMapWriter)
	if !ok {
		return opentracing.ErrInvalidCarrier
	}
	if c.TraceIDUpper != 0 {
		w.Set(b3TraceID, fmt.Sprintf("%016x%016x", c.TraceIDUpper, c.TraceID))
	} else {
		w.Set(b3TraceID, fmt.Sprintf("%016x", c.TraceID))
	}
	w.Set(b3SpanID, fmt.Sprintf("%016x", c.SpanID))
	if c.Sampled == "false" {
		w.Set(b3Sampled, "0")
	} else {
		w.Set(b3Sampled, "1")
	}
	for k, v := range c.Baggage {
		w.Set(b3BaggagePrefix+k, v)
	}
	return nil
}

func (b3Propagator) Extract(carrier any) (opentracing.SpanContext, error) {
	r, ok := carrier.(opentracing.TextMapReader)
	if !ok {
		return nil, opentracing.ErrInvalidCarrier
	}
	var c lightstep.SpanContext
	found, baggage := 0, map[string]string{}
	err := r.ForeachKey(func(k, v string) error {
		var err error
		switch k = strings.ToLower(k); {
		case k == b3TraceID:
			found++
			c.TraceID, c.TraceIDUpper, err = parseTraceID(v)
		case k == b3SpanID:
			found++
			if len(v) != 16 {
				return opentracing.ErrSpanContextCorrupted
			}
			c.SpanID, err = strconv.ParseUint(v, 16, 64)
		case k == b3Sampled:
			switch v {
			case "1", "true":
				c.Sampled = "true"
			case "0", "false":
				c.Sampled = "false"
			default:
				return opentracing.ErrSpanContextCorrupted
			}
		case k == b3Flags:
			if v == "1" {
				c.Sampled = "true"
			}
		case strings.HasPrefix(k, b3BaggagePrefix):
			baggage[k[len(b3BaggagePrefix):]] = v
		}
		if err != nil {
			return opentracing.ErrSpanContextCorrupted
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case found == 0:
		return nil, opentracing.ErrSpanContextNotFound
	case found != 2 || c.TraceID == 0 && c.TraceIDUpper == 0 || c.SpanID == 0:
		return nil, opentracing.ErrSpanContextCorrupted
	}
	if c.Sampled == "" {
		c.Sampled = "true"
	}
	c.Baggage = baggage
	return c, nil
}

// parseTraceID reads 16 or 32 hex digits into the low and high halves.
func parseTraceID(v string) (low, high uint64, err error) {
	switch len(v) {
	case 16:
		low, err = strconv.ParseUint(v, 16, 64)
	case 32:
		if high, err = strconv.ParseUint(v[:16], 16, 64); err == nil {
			low, err = strconv.ParseUint(v[16:], 16, 64)
		}
	default:
		err = opentracing.ErrSpanContextCorrupted
	}
	return low, high, err
}
