package backend

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/propagation"
)

// DefaultPropagation is the propagation of a [SpanContextCodec] backend that
// names no native format: W3C trace context and baggage, OpenTelemetry's
// default.
const DefaultPropagation = "tracecontext,baggage"

// Propagator carries the span contexts of a backend whose tracer implements
// [SpanContextCodec]: the TextMap and HTTPHeaders formats in the user's list
// of propagation formats (core.WithPropagation; the backend's native ones by
// default), and the Binary format in traceplug's own encoding. It is for
// backend authors: a backend's Inject and Extract delegate to it, so that a
// span's own tracer (span.Tracer(), which is the backend's) speaks the same
// formats as the core.Tracer the user holds. It is immutable and safe for
// concurrent use.
type Propagator struct {
	codec SpanContextCodec
	text  propagation.Propagator
}

// NewPropagator returns the Propagator for cfg.Propagation, or, when that is
// empty, for codec's [NativePropagation] (else [DefaultPropagation]). An
// invalid list is an error wrapping [ErrBadOption].
func NewPropagator(cfg Config, codec SpanContextCodec) (*Propagator, error) {
	list := cfg.Propagation
	if list == "" {
		list = nativePropagation(codec)
	}
	text, err := propagation.Parse(list)
	if err != nil {
		return nil, BadOptionf("traceplug: propagation: %w", err)
	}
	return &Propagator{codec: codec, text: text}, nil
}

func nativePropagation(tracer any) string {
	if n, ok := tracer.(NativePropagation); ok {
		return n.NativePropagation()
	}
	return DefaultPropagation
}

// Formats returns the text formats p reads and writes, in order ("jaeger,b3").
func (p *Propagator) Formats() string { return p.text.String() }

// Inject implements [opentracing.Tracer]'s Inject with the codec: sc must be
// one of the codec's span contexts, carrier an [opentracing.TextMapWriter]
// for TextMap and HTTPHeaders, or an [io.Writer] for Binary.
func (p *Propagator) Inject(sc opentracing.SpanContext, format, carrier any) error {
	psc, ok := p.codec.ExportSpanContext(sc)
	if !ok {
		return opentracing.ErrInvalidSpanContext
	}
	return p.InjectContext(psc, format, carrier)
}

// Codec returns the codec p was built with.
func (p *Propagator) Codec() SpanContextCodec { return p.codec }

// Clean deletes from h, headers or gRPC metadata about to carry a span
// context, every header of p's formats, context or baggage, in any case of
// its name.
func (p *Propagator) Clean(h map[string][]string) { p.text.Clean(h) }

// InjectContext writes psc, a span context in neutral form, into carrier in
// format, as [Propagator.Inject] writes a span context of the codec.
func (p *Propagator) InjectContext(psc propagation.SpanContext, format, carrier any) error {
	switch format {
	case opentracing.TextMap, opentracing.HTTPHeaders:
		w, ok := carrier.(opentracing.TextMapWriter)
		if !ok {
			return opentracing.ErrInvalidCarrier
		}
		p.text.Inject(psc, w)
		return nil
	case opentracing.Binary:
		w, ok := carrier.(io.Writer)
		if !ok {
			return opentracing.ErrInvalidCarrier
		}
		return writeBinary(w, psc)
	}
	return opentracing.ErrUnsupportedFormat
}

// Extract implements [opentracing.Tracer]'s Extract with the codec. A carrier
// with no span context in any listed format, or with baggage alone, is
// [opentracing.ErrSpanContextNotFound]; a malformed one is an error wrapping
// [opentracing.ErrSpanContextCorrupted] that says what is wrong.
func (p *Propagator) Extract(format, carrier any) (opentracing.SpanContext, error) {
	psc, err := p.ExtractContext(format, carrier)
	if err != nil {
		return nil, err
	}
	if !psc.IsValid() {
		return nil, opentracing.ErrSpanContextNotFound
	}
	return p.codec.ImportSpanContext(psc)
}

// ExtractContext reads the span context in carrier, in format, in neutral
// form, without importing it. Like [propagation.Propagator]'s Extract, it
// may return baggage with an error.
func (p *Propagator) ExtractContext(format, carrier any) (propagation.SpanContext, error) {
	switch format {
	case opentracing.TextMap, opentracing.HTTPHeaders:
		r, ok := carrier.(opentracing.TextMapReader)
		if !ok {
			return propagation.SpanContext{}, opentracing.ErrInvalidCarrier
		}
		return p.text.Extract(r)
	case opentracing.Binary:
		r, ok := carrier.(io.Reader)
		if !ok {
			return propagation.SpanContext{}, opentracing.ErrInvalidCarrier
		}
		return readBinary(r)
	}
	return propagation.SpanContext{}, opentracing.ErrUnsupportedFormat
}

// The Binary format: traceplug's own encoding of a neutral span context, for
// backends with none of their own. Big-endian:
//
//	version     1 byte (1)
//	trace id    16 bytes (high, low)
//	span id     8 bytes
//	parent id   8 bytes
//	sampling    1 byte (propagation.Sampling)
//	tracestate  2-byte length, bytes
//	baggage     2-byte count, then per item 2-byte length and bytes of the
//	            key, then of the value
const (
	binaryVersion  = 1
	maxBinarySize  = 64 << 10
	binaryHeadSize = 1 + 16 + 8 + 8 + 1
)

func writeBinary(w io.Writer, sc propagation.SpanContext) error {
	b := make([]byte, binaryHeadSize, binaryHeadSize+2+len(sc.TraceState)+2+16*len(sc.Baggage))
	b[0] = binaryVersion
	binary.BigEndian.PutUint64(b[1:], sc.TraceIDHigh)
	binary.BigEndian.PutUint64(b[9:], sc.TraceID)
	binary.BigEndian.PutUint64(b[17:], sc.SpanID)
	binary.BigEndian.PutUint64(b[25:], sc.ParentID)
	b[33] = byte(sc.Sampling)
	var err error
	if b, err = appendBinaryString(b, sc.TraceState); err != nil {
		return err
	}
	if len(sc.Baggage) > 0xffff {
		return fmt.Errorf("traceplug: binary format: %d baggage items, at most 65535: %w", len(sc.Baggage), opentracing.ErrInvalidSpanContext)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(sc.Baggage)))
	for _, it := range sc.Baggage {
		if b, err = appendBinaryString(b, it.Key); err != nil {
			return err
		}
		if b, err = appendBinaryString(b, it.Value); err != nil {
			return err
		}
	}
	if len(b) > maxBinarySize {
		return fmt.Errorf("traceplug: binary format: %d bytes, at most %d: %w", len(b), maxBinarySize, opentracing.ErrInvalidSpanContext)
	}
	_, err = w.Write(b)
	return err
}

func appendBinaryString(b []byte, s string) ([]byte, error) {
	if len(s) > 0xffff {
		return b, fmt.Errorf("traceplug: binary format: a %d-byte string, at most 65535: %w", len(s), opentracing.ErrInvalidSpanContext)
	}
	return append(binary.BigEndian.AppendUint16(b, uint16(len(s))), s...), nil
}

var errBinary = fmt.Errorf("traceplug: binary format: %w", opentracing.ErrSpanContextCorrupted)

func readBinary(r io.Reader) (propagation.SpanContext, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBinarySize+1))
	switch {
	case err != nil:
		return propagation.SpanContext{}, fmt.Errorf("%w: %w", errBinary, err)
	case len(data) == 0:
		return propagation.SpanContext{}, opentracing.ErrSpanContextNotFound
	case len(data) > maxBinarySize:
		return propagation.SpanContext{}, fmt.Errorf("%w: over %d bytes", errBinary, maxBinarySize)
	case len(data) < binaryHeadSize+4 || data[0] != binaryVersion:
		return propagation.SpanContext{}, fmt.Errorf("%w: not traceplug's binary format version %d", errBinary, binaryVersion)
	}
	sc := propagation.SpanContext{
		TraceIDHigh: binary.BigEndian.Uint64(data[1:]),
		TraceID:     binary.BigEndian.Uint64(data[9:]),
		SpanID:      binary.BigEndian.Uint64(data[17:]),
		ParentID:    binary.BigEndian.Uint64(data[25:]),
		Sampling:    propagation.Sampling(data[33]),
	}
	if sc.Sampling > propagation.SamplingDebug {
		return propagation.SpanContext{}, fmt.Errorf("%w: sampling %d", errBinary, data[33])
	}
	rest := data[binaryHeadSize:]
	next := func() (string, bool) {
		if len(rest) < 2 {
			return "", false
		}
		n := int(binary.BigEndian.Uint16(rest))
		if len(rest) < 2+n {
			return "", false
		}
		s := string(rest[2 : 2+n])
		rest = rest[2+n:]
		return s, true
	}
	var ok bool
	if sc.TraceState, ok = next(); !ok || len(rest) < 2 {
		return propagation.SpanContext{}, fmt.Errorf("%w: truncated", errBinary)
	}
	count := int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	for range count {
		k, ok1 := next()
		v, ok2 := next()
		if !ok1 || !ok2 {
			return propagation.SpanContext{}, fmt.Errorf("%w: truncated baggage", errBinary)
		}
		sc.Baggage = append(sc.Baggage, propagation.BaggageItem{Key: k, Value: v})
	}
	if len(rest) != 0 {
		return propagation.SpanContext{}, fmt.Errorf("%w: %d bytes after the end", errBinary, len(rest))
	}
	if !sc.IsValid() {
		return propagation.SpanContext{}, fmt.Errorf("%w: zero trace or span id", errBinary)
	}
	return sc, nil
}
