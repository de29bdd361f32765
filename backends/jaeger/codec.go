package jaeger

import (
	"bytes"
	"encoding/binary"
	"sync"

	"github.com/opentracing/opentracing-go"
	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/propagation"
	jaeger "github.com/uber/jaeger-client-go"
)

var (
	_ backend.SpanContextCodec  = (*Tracer)(nil)
	_ backend.NativePropagation = (*Tracer)(nil)
	_ backend.SamplerDefault    = (*Tracer)(nil)
)

// NativePropagation implements [backend.NativePropagation]: jaeger's
// uber-trace-id and uberctx- headers, then W3C trace context and baggage,
// read and written by default so that OpenTelemetry services on either side
// continue the trace with no configuration.
func (t *Tracer) NativePropagation() string {
	return propagation.Jaeger + "," + backend.DefaultPropagation
}

// jaeger-client-go's flag bits.
const (
	flagSampled = 1
	flagDebug   = 2
)

// ExportSpanContext implements [backend.SpanContextCodec]. Both halves of a
// 128-bit trace id are kept; the sampled and debug flags become SamplingYes,
// SamplingDebug or SamplingNo (a jaeger span context always holds a
// decision). A context with baggage and no ids (as jaeger's jaeger-baggage
// header gives) exports its baggage alone; a new trace's context (see
// [Tracer.ImportSpanContext]) exports as it was imported, without a span id.
func (t *Tracer) ExportSpanContext(sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	c, ok := sc.(jaeger.SpanContext)
	if !ok {
		return propagation.SpanContext{}, false
	}
	var psc propagation.SpanContext
	// A context without a trace id may have no sampling state at all; one
	// with a trace id has (a new trace's context has no span id).
	if id := c.TraceID(); id.IsValid() {
		psc.TraceIDHigh, psc.TraceID = id.High, id.Low
		psc.SpanID, psc.ParentID = uint64(c.SpanID()), uint64(c.ParentID())
		switch {
		case c.IsSampled() && c.IsDebug():
			psc.Sampling = propagation.SamplingDebug
		case c.IsSampled():
			psc.Sampling = propagation.SamplingYes
		default:
			psc.Sampling = propagation.SamplingNo
		}
	}
	c.ForeachBaggageItem(func(k, v string) bool {
		psc.Baggage = append(psc.Baggage, propagation.BaggageItem{Key: k, Value: v})
		return true
	})
	return psc, true
}

// ImportSpanContext implements [backend.SpanContextCodec]. The context is a
// remote parent, as jaeger-client-go's own Extract makes: its sampling
// decision is final, and children inherit it. A deferred decision (B3
// without X-B3-Sampled) is taken here, by the tracer's sampler on the trace
// id, as for a new trace; debug sets jaeger's debug flag. The parent id is
// kept; tracestate is dropped (jaeger has no place for it). Of two baggage
// items with one key, the first wins. A psc with baggage and no ids gives a
// context from which spans start a new trace carrying that baggage.
//
// A psc with a trace id and no span id is a new trace that core began: the
// span that [Tracer.StartSpan] starts with the context as its parent
// (ChildOf or FollowsFrom, the first reference) is the trace's root. It has
// psc's trace id (128 bits when TraceIDHigh is not 0), no parent, a random
// span id of its own, psc's baggage, and psc's decision, final: SamplingYes
// (or SamplingDeferred) sampled, SamplingDebug sampled with jaeger's debug
// flag, SamplingNo not sampled. Such a context given to jaeger-client-go's
// own tracer instead starts a trace of that tracer's.
func (t *Tracer) ImportSpanContext(psc propagation.SpanContext) (opentracing.SpanContext, error) {
	if t.jaeger == nil { // JAEGER_DISABLED
		return opentracing.NoopTracer{}.StartSpan("").Context(), nil
	}
	id := jaeger.TraceID{High: psc.TraceIDHigh, Low: psc.TraceID}
	if !psc.IsValid() {
		if id.IsValid() {
			return newTrace(id, psc), nil
		}
		if len(psc.Baggage) == 0 {
			return nil, opentracing.ErrSpanContextNotFound
		}
		return jaeger.NewSpanContext(jaeger.TraceID{}, 0, 0, false, baggageMap(psc.Baggage)), nil
	}
	sampled := false
	switch psc.Sampling {
	case propagation.SamplingYes:
		sampled = true
	case propagation.SamplingDebug:
		return t.importBinary(id, psc)
	case propagation.SamplingDeferred:
		sampled, _ = t.sampler.IsSampled(id, "")
	}
	// jaeger-client-go marks a span context a remote parent (whose sampling
	// decision its spans honour) only in its Extract: hand it the context
	// through an extractor of our own.
	c := importings.Get().(*importing)
	c.id, c.psc, c.sampled = id, psc, sampled
	sc, err := t.jaeger.Extract(importFormat{}, c)
	*c = importing{}
	importings.Put(c)
	return sc, err
}

// importFormat is the format of importer, registered with jaeger-client-go's
// tracer, which makes jaeger span contexts of importing carriers.
type importFormat struct{}

// importing is a span context on its way in, its decision taken. They are
// pooled: one is needed for every request with an incoming trace, and only
// for the time of the call.
type importing struct {
	id      jaeger.TraceID
	psc     propagation.SpanContext
	sampled bool
}

var importings = sync.Pool{New: func() any { return new(importing) }}

type importer struct{}

func (importer) Extract(carrier any) (jaeger.SpanContext, error) {
	c, ok := carrier.(*importing)
	if !ok {
		return jaeger.SpanContext{}, opentracing.ErrInvalidCarrier
	}
	return jaeger.NewSpanContext(c.id, jaeger.SpanID(c.psc.SpanID), jaeger.SpanID(c.psc.ParentID), c.sampled, baggageMap(c.psc.Baggage)), nil
}

// baggageMap returns items as a map, the first of a key winning; nil for
// none.
func baggageMap(items []propagation.BaggageItem) map[string]string {
	if len(items) == 0 {
		return nil
	}
	bag := make(map[string]string, len(items))
	for _, it := range items {
		if _, dup := bag[it.Key]; !dup {
			bag[it.Key] = it.Value
		}
	}
	return bag
}

// importBinary imports psc through jaeger-client-go's Binary format, which
// carries every flag (NewSpanContext sets only the sampled one): for debug
// contexts.
func (t *Tracer) importBinary(id jaeger.TraceID, psc propagation.SpanContext) (opentracing.SpanContext, error) {
	wire, late := encodeBinary(id, psc, flagSampled|flagDebug)
	sc, err := t.jaeger.Extract(opentracing.Binary, bytes.NewReader(wire))
	if err != nil {
		return nil, err
	}
	c := sc.(jaeger.SpanContext)
	if len(late) > 0 { // rare: more than 180 items, or one over 4 KiB
		have := map[string]bool{}
		c.ForeachBaggageItem(func(k, _ string) bool { have[k] = true; return true })
		for _, it := range late {
			if !have[it.Key] {
				have[it.Key] = true
				c = c.WithBaggageItem(it.Key, it.Value)
			}
		}
	}
	return c, nil
}

// Limits of jaeger-client-go's Binary extraction.
const (
	maxBinaryBaggage      = 180
	maxBinaryNameValueLen = 4096
)

// encodeBinary writes a span context in jaeger-client-go's Binary format:
// big-endian trace id (high, low), span id, parent id, flags, then a count
// of baggage items, each a length-prefixed key and value. Items the format's
// reader would refuse are returned in late, to be added one by one.
// Extraction keeps the last of two items with one key, so items are written
// last first.
func encodeBinary(id jaeger.TraceID, psc propagation.SpanContext, flags byte) (wire []byte, late []propagation.BaggageItem) {
	size := 16 + 8 + 8 + 1 + 4
	for _, it := range psc.Baggage {
		size += 8 + len(it.Key) + len(it.Value)
	}
	b := make([]byte, 0, size)
	b = binary.BigEndian.AppendUint64(b, id.High)
	b = binary.BigEndian.AppendUint64(b, id.Low)
	b = binary.BigEndian.AppendUint64(b, psc.SpanID)
	b = binary.BigEndian.AppendUint64(b, psc.ParentID)
	b = append(b, flags)
	countAt := len(b)
	b = append(b, 0, 0, 0, 0)
	n := 0
	for i := len(psc.Baggage) - 1; i >= 0; i-- {
		it := psc.Baggage[i]
		if n == maxBinaryBaggage || len(it.Key)+len(it.Value) > maxBinaryNameValueLen {
			late = append(late, it)
			continue
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(it.Key)))
		b = append(b, it.Key...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(it.Value)))
		b = append(b, it.Value...)
		n++
	}
	binary.BigEndian.PutUint32(b[countAt:], uint32(n))
	// late holds items last first; restore their order, so that the first
	// of a key wins when they are added.
	for i, j := 0, len(late)-1; i < j; i, j = i+1, j-1 {
		late[i], late[j] = late[j], late[i]
	}
	return b, late
}

// textCodec is jaeger-client-go's Injector and Extractor for a text format
// (TextMap or HTTPHeaders) over core's Propagator, so that the jaeger tracer
// itself, which is what span.Tracer() returns, speaks the configured list of
// propagation formats.
type textCodec struct {
	p      *backend.Propagator
	format opentracing.BuiltinFormat
}

func (c textCodec) Inject(sc jaeger.SpanContext, carrier any) error {
	return c.p.Inject(sc, c.format, carrier)
}

func (c textCodec) Extract(carrier any) (jaeger.SpanContext, error) {
	sc, err := c.p.Extract(c.format, carrier)
	if err != nil {
		return jaeger.SpanContext{}, err
	}
	jc, ok := sc.(jaeger.SpanContext)
	if !ok {
		return jaeger.SpanContext{}, opentracing.ErrSpanContextNotFound
	}
	return jc, nil
}
