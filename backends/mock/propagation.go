package mock

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/b3"
)

// propagator is a text format: the mock's own headers, or B3 (through
// traceplug's B3 codec; the mock keeps the low 64 bits of a 128-bit trace id).
type propagator struct {
	traceID, spanID, sampled, baggagePrefix string
	b3                                      bool
}

var native = propagator{traceID: "mock-traceid", spanID: "mock-spanid", sampled: "mock-sampled", baggagePrefix: "mockbaggage-"}

func propagatorFor(name string) (propagator, error) {
	switch name {
	case "", "mock":
		return native, nil
	case "b3":
		return propagator{b3: true}, nil
	}
	return propagator{}, fmt.Errorf("mock: propagation %q is not supported (use \"mock\" or \"b3\"): %w", name, core.ErrBadOption)
}

// Inject implements [opentracing.Tracer] for the TextMap, HTTPHeaders and
// Binary formats.
func (t *Tracer) Inject(sc opentracing.SpanContext, format, carrier any) error {
	c, ok := sc.(SpanContext)
	if !ok {
		return opentracing.ErrInvalidSpanContext
	}
	switch format {
	case opentracing.TextMap, opentracing.HTTPHeaders:
		w, ok := carrier.(opentracing.TextMapWriter)
		if !ok {
			return opentracing.ErrInvalidCarrier
		}
		t.propagation.inject(c, w)
		return nil
	case opentracing.Binary:
		w, ok := carrier.(io.Writer)
		if !ok {
			return opentracing.ErrInvalidCarrier
		}
		return injectBinary(c, w)
	}
	return opentracing.ErrUnsupportedFormat
}

// Extract implements [opentracing.Tracer] for the TextMap, HTTPHeaders and
// Binary formats. A malformed context is [opentracing.ErrSpanContextCorrupted].
func (t *Tracer) Extract(format, carrier any) (opentracing.SpanContext, error) {
	switch format {
	case opentracing.TextMap, opentracing.HTTPHeaders:
		r, ok := carrier.(opentracing.TextMapReader)
		if !ok {
			return nil, opentracing.ErrInvalidCarrier
		}
		return t.propagation.extract(r)
	case opentracing.Binary:
		r, ok := carrier.(io.Reader)
		if !ok {
			return nil, opentracing.ErrInvalidCarrier
		}
		return extractBinary(r)
	}
	return nil, opentracing.ErrUnsupportedFormat
}

func (p propagator) inject(c SpanContext, w opentracing.TextMapWriter) {
	if p.b3 {
		b3.Inject(w, b3.Context{TraceLow: c.TraceID, SpanID: c.SpanID, Sampled: &c.Sampled, Baggage: c.baggage})
		return
	}
	w.Set(p.traceID, strconv.FormatUint(c.TraceID, 10))
	w.Set(p.spanID, strconv.FormatUint(c.SpanID, 10))
	sampled := "0"
	if c.Sampled {
		sampled = "1"
	}
	w.Set(p.sampled, sampled)
	for k, v := range c.baggage {
		w.Set(p.baggagePrefix+k, v)
	}
}

func (p propagator) extract(r opentracing.TextMapReader) (opentracing.SpanContext, error) {
	if p.b3 {
		bc, err := b3.Extract(r)
		if err != nil {
			return nil, err
		}
		return SpanContext{TraceID: bc.TraceLow, SpanID: bc.SpanID, Sampled: bc.IsSampled(true), baggage: bc.Baggage}, nil
	}
	var c SpanContext
	var fields int
	sampled := ""
	err := r.ForeachKey(func(key, val string) error {
		var err error
		switch lk := strings.ToLower(key); {
		case lk == p.traceID:
			c.TraceID, err = strconv.ParseUint(val, 10, 64)
			fields++
		case lk == p.spanID:
			c.SpanID, err = strconv.ParseUint(val, 10, 64)
			fields++
		case lk == p.sampled:
			sampled = val
		case strings.HasPrefix(lk, p.baggagePrefix):
			c = c.withBaggage(lk[len(p.baggagePrefix):], val)
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %q: %v", opentracing.ErrSpanContextCorrupted, key, val, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if fields == 0 {
		return nil, opentracing.ErrSpanContextNotFound
	}
	if c.TraceID == 0 || c.SpanID == 0 {
		return nil, fmt.Errorf("%w: need both %s and %s, non-zero", opentracing.ErrSpanContextCorrupted, p.traceID, p.spanID)
	}
	switch sampled {
	case "1", "true", "":
		c.Sampled = true // absent: the receiver decides, and the mock samples
	case "0", "false":
	default:
		return nil, fmt.Errorf("%w: %s: %q: want 0 or 1", opentracing.ErrSpanContextCorrupted, p.sampled, sampled)
	}
	return c, nil
}

// The Binary format: trace id, span id (8 bytes each, big-endian), a sampled
// byte, a baggage count (4 bytes), then each key and value as a 4-byte length
// and its bytes.
const maxBinaryBaggage = 1 << 16

func injectBinary(c SpanContext, w io.Writer) error {
	buf := binary.BigEndian.AppendUint64(nil, c.TraceID)
	buf = binary.BigEndian.AppendUint64(buf, c.SpanID)
	if c.Sampled {
		buf = append(buf, 1)
	} else {
		buf = append(buf, 0)
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(c.baggage)))
	for k, v := range c.baggage {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(k)))
		buf = append(buf, k...)
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(v)))
		buf = append(buf, v...)
	}
	_, err := w.Write(buf)
	return err
}

func extractBinary(r io.Reader) (opentracing.SpanContext, error) {
	var head [21]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		if err == io.EOF {
			return nil, opentracing.ErrSpanContextNotFound
		}
		return nil, fmt.Errorf("%w: %v", opentracing.ErrSpanContextCorrupted, err)
	}
	c := SpanContext{
		TraceID: binary.BigEndian.Uint64(head[0:8]),
		SpanID:  binary.BigEndian.Uint64(head[8:16]),
		Sampled: head[16] == 1,
	}
	if c.TraceID == 0 || c.SpanID == 0 || head[16] > 1 {
		return nil, opentracing.ErrSpanContextCorrupted
	}
	n := binary.BigEndian.Uint32(head[17:21])
	if n > maxBinaryBaggage {
		return nil, opentracing.ErrSpanContextCorrupted
	}
	for i := uint32(0); i < n; i++ {
		k, err := readString(r)
		if err != nil {
			return nil, err
		}
		v, err := readString(r)
		if err != nil {
			return nil, err
		}
		c = c.withBaggage(k, v)
	}
	return c, nil
}

func readString(r io.Reader) (string, error) {
	var l [4]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return "", fmt.Errorf("%w: %v", opentracing.ErrSpanContextCorrupted, err)
	}
	n := binary.BigEndian.Uint32(l[:])
	if n > maxBinaryBaggage {
		return "", opentracing.ErrSpanContextCorrupted
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("%w: %v", opentracing.ErrSpanContextCorrupted, err)
	}
	return string(b), nil
}
