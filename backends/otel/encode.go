package otel

import (
	"math"
	"strings"
	"sync"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// The backend writes OTLP's ExportTraceServiceRequest itself, in protobuf's
// wire format with protowire, straight from the SDK's spans. The OTLP
// exporter's way (a tree of generated messages, 3 allocations an attribute
// and some 24 a span, then proto.Marshal walking it by reflection) costs five
// times as much on a batch of gRPC spans, and 12,324 allocations where the
// encoder makes 2 (BenchmarkEncode; bench/results/otel-encode-2026-11-26.txt).
// With GC, each attribute cost a traced gRPC call some 8,000 instructions a
// span (bench/results/grpc-instructions-2026-11-26-attrs-before-encoder.txt).
// The output is the message the exporter builds (TestEncodeMatchesExporter
// and FuzzEncode compare the two on every kind of span and value), with two
// differences:
//
//   - Text that is not UTF-8 (an OpenTracing tag holding a header's bytes, a
//     file name) is written with U+FFFD in place of each run of invalid bytes,
//     as W3C and OpenTelemetry replace them elsewhere: protobuf strings must
//     be UTF-8, and the protobuf encoder refused a whole request, and every
//     span of the batch, for one such string.
//   - A link's trace state is written (field 3 of Span.Link), which the
//     exporter leaves out.
//
// Resources and scopes are written in the order their first span comes.

// OTLP field numbers (opentelemetry/proto/trace/v1/trace.proto,
// common/v1/common.proto, resource/v1/resource.proto,
// collector/trace/v1/trace_service.proto).
const (
	pbRequestResourceSpans = 1

	pbResourceSpansResource   = 1
	pbResourceSpansScopeSpans = 2
	pbResourceSpansSchemaURL  = 3

	pbResourceAttributes = 1

	pbScopeSpansScope     = 1
	pbScopeSpansSpans     = 2
	pbScopeSpansSchemaURL = 3

	pbScopeName       = 1
	pbScopeVersion    = 2
	pbScopeAttributes = 3

	pbSpanTraceID           = 1
	pbSpanSpanID            = 2
	pbSpanTraceState        = 3
	pbSpanParentSpanID      = 4
	pbSpanName              = 5
	pbSpanKind              = 6
	pbSpanStartTime         = 7
	pbSpanEndTime           = 8
	pbSpanAttributes        = 9
	pbSpanDroppedAttributes = 10
	pbSpanEvents            = 11
	pbSpanDroppedEvents     = 12
	pbSpanLinks             = 13
	pbSpanDroppedLinks      = 14
	pbSpanStatus            = 15
	pbSpanFlags             = 16

	pbEventTime              = 1
	pbEventName              = 2
	pbEventAttributes        = 3
	pbEventDroppedAttributes = 4

	pbLinkTraceID           = 1
	pbLinkSpanID            = 2
	pbLinkTraceState        = 3
	pbLinkAttributes        = 4
	pbLinkDroppedAttributes = 5
	pbLinkFlags             = 6

	pbStatusMessage = 2
	pbStatusCode    = 3

	pbKeyValueKey   = 1
	pbKeyValueValue = 2

	pbAnyString = 1
	pbAnyBool   = 2
	pbAnyInt    = 3
	pbAnyDouble = 4
	pbAnyArray  = 5
	pbAnyKVList = 6
	pbAnyBytes  = 7

	pbListValues = 1 // ArrayValue.values, KeyValueList.values

	// SpanFlags: the context knows whether its parent is remote, and
	// whether it is.
	pbFlagHasIsRemote = 0x100
	pbFlagIsRemote    = 0x200
)

// encoder writes export requests. It keeps the memory it groups a batch's
// spans in from one request to the next; it is not safe for concurrent use
// (the processor's one goroutine exports).
type encoder struct {
	groups []spanGroup
	group  []int  // the group of each span of the batch
	size   int    // the last request's size, to size the next one's buffer
	spare  []byte // a request's memory that nothing reads any more (recycle)
}

// recycle gives back the memory of a request that nothing reads any more,
// for the next request.
func (e *encoder) recycle(b []byte) {
	if cap(b) > cap(e.spare) {
		e.spare = b[:0]
	}
}

// spanGroup is the spans of a batch that share a resource and a scope.
type spanGroup struct {
	res   *resource.Resource
	scope instrumentation.Scope
}

// encodedSpan is a span encoded when it ended: field is its Span field of
// ScopeSpans (tag, length and message), and group the resource and scope it
// goes under (shared by the spans that share them). The processor queues
// spans so: a queue of the SDK's spans is a graph of pointers (the span,
// its attributes, their strings) that the collector marks at every cycle
// until the batch is sent; this is a few bytes that it need not look into,
// and the SDK's span is garbage once it ends.
type encodedSpan struct {
	group *spanGroup
	field []byte
}

// encodeSpan returns s encoded, in group g if g is s's, else in a new group.
// Its field is one allocation of its size: s is encoded in a scratch buffer
// first.
func encodeSpan(s sdktrace.ReadOnlySpan, g *spanGroup) encodedSpan {
	res, scope := s.Resource(), s.InstrumentationScope()
	if g == nil || g.res != res || g.scope != scope {
		g = &spanGroup{res: res, scope: scope}
	}
	scratch := scratchBufs.Get().(*[]byte)
	b := appendSpan((*scratch)[:0], s)
	field := append([]byte(nil), b...)
	if cap(b) <= maxScratch { // a huge span's memory is not kept
		*scratch = b
		scratchBufs.Put(scratch)
	}
	return encodedSpan{group: g, field: field}
}

// scratchBufs hold spans while they are encoded.
var scratchBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxScratch is the largest scratch buffer kept for the next span.
const maxScratch = 64 << 10

// request returns the ExportTraceServiceRequest for spans, in the memory
// last recycled if it is large enough, else in a new buffer (a request may
// still be read by the transport after the export returns, so a request's
// memory is used again only once recycled), or nil when there are none.
func (e *encoder) request(spans []encodedSpan) []byte {
	e.groups, e.group = e.groups[:0], e.group[:0]
	for _, s := range spans {
		e.group = append(e.group, e.groupOf(s.group))
	}
	if len(e.groups) == 0 {
		return nil
	}
	var b []byte
	if cap(e.spare) >= e.size { // holds a request like the last (append grows it if not)
		b, e.spare = e.spare[:0], nil
	} else {
		b = make([]byte, 0, e.size+e.size/8+64)
	}
	for i, g := range e.groups {
		if e.seenResource(i) {
			continue
		}
		var rs int
		b, rs = beginMessage(b, pbRequestResourceSpans)
		if g.res != nil {
			var r int
			b, r = beginMessage(b, pbResourceSpansResource)
			b = appendIterator(b, pbResourceAttributes, g.res.Iter())
			b = endMessage(b, r)
		}
		for j := i; j < len(e.groups); j++ {
			if sameResource(e.groups[j].res, g.res) {
				b = e.appendScopeSpans(b, j, spans)
			}
		}
		if g.res != nil {
			b = appendString(b, pbResourceSpansSchemaURL, g.res.SchemaURL())
		}
		b = endMessage(b, rs)
	}
	clear(e.groups) // hold no resource past the export
	e.size = len(b)
	return b
}

// groupOf returns the index of the request's group for sg, a span's group,
// adding it if new.
func (e *encoder) groupOf(sg *spanGroup) int {
	if sg == nil {
		return -1
	}
	for i, g := range e.groups {
		if g.scope == sg.scope && sameResource(g.res, sg.res) {
			return i
		}
	}
	e.groups = append(e.groups, *sg)
	return len(e.groups) - 1
}

// seenResource reports whether a group before i has group i's resource
// (whose spans were written with that group's).
func (e *encoder) seenResource(i int) bool {
	for _, g := range e.groups[:i] {
		if sameResource(g.res, e.groups[i].res) {
			return true
		}
	}
	return false
}

// sameResource reports whether a and b have the same attributes, as the
// OTLP exporter groups spans (a nil resource is an empty one; the first
// span's resource, schema URL included, is the one written).
func sameResource(a, b *resource.Resource) bool {
	return a == b || a.Equivalent() == b.Equivalent()
}

// appendScopeSpans appends the ScopeSpans of group g's spans.
func (e *encoder) appendScopeSpans(b []byte, g int, spans []encodedSpan) []byte {
	scope := e.groups[g].scope
	b, ss := beginMessage(b, pbResourceSpansScopeSpans)
	if scope != (instrumentation.Scope{}) {
		var sc int
		b, sc = beginMessage(b, pbScopeSpansScope)
		b = appendString(b, pbScopeName, scope.Name)
		b = appendString(b, pbScopeVersion, scope.Version)
		b = appendIterator(b, pbScopeAttributes, scope.Attributes.Iter())
		b = endMessage(b, sc)
	}
	for i, s := range spans {
		if e.group[i] == g {
			b = append(b, s.field...)
		}
	}
	b = appendString(b, pbScopeSpansSchemaURL, scope.SchemaURL)
	return endMessage(b, ss)
}

// appendSpan appends s as a Span field of ScopeSpans.
func appendSpan(b []byte, s sdktrace.ReadOnlySpan) []byte {
	b, m := beginMessage(b, pbScopeSpansSpans)
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	b = appendBytes(b, pbSpanTraceID, tid[:])
	b = appendBytes(b, pbSpanSpanID, sid[:])
	b = appendString(b, pbSpanTraceState, sc.TraceState().String())
	parent := s.Parent()
	if psid := parent.SpanID(); psid.IsValid() {
		b = appendBytes(b, pbSpanParentSpanID, psid[:])
	}
	b = appendString(b, pbSpanName, s.Name())
	b = appendVarint(b, pbSpanKind, uint64(kindNumber(s.SpanKind())))
	b = appendTime(b, pbSpanStartTime, s.StartTime().UnixNano())
	b = appendTime(b, pbSpanEndTime, s.EndTime().UnixNano())
	for _, kv := range s.Attributes() {
		b = appendKeyValue(b, pbSpanAttributes, kv)
	}
	b = appendVarint(b, pbSpanDroppedAttributes, clampUint32(s.DroppedAttributes()))
	for _, ev := range s.Events() {
		var em int
		b, em = beginMessage(b, pbSpanEvents)
		b = appendTime(b, pbEventTime, ev.Time.UnixNano())
		b = appendString(b, pbEventName, ev.Name)
		for _, kv := range ev.Attributes {
			b = appendKeyValue(b, pbEventAttributes, kv)
		}
		b = appendVarint(b, pbEventDroppedAttributes, clampUint32(ev.DroppedAttributeCount))
		b = endMessage(b, em)
	}
	b = appendVarint(b, pbSpanDroppedEvents, clampUint32(s.DroppedEvents()))
	for _, l := range s.Links() {
		var lm int
		b, lm = beginMessage(b, pbSpanLinks)
		ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		b = appendBytes(b, pbLinkTraceID, ltid[:])
		b = appendBytes(b, pbLinkSpanID, lsid[:])
		b = appendString(b, pbLinkTraceState, l.SpanContext.TraceState().String())
		for _, kv := range l.Attributes {
			b = appendKeyValue(b, pbLinkAttributes, kv)
		}
		b = appendVarint(b, pbLinkDroppedAttributes, clampUint32(l.DroppedAttributeCount))
		b = protowire.AppendTag(b, pbLinkFlags, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, flags(l.SpanContext.TraceFlags(), l.SpanContext))
		b = endMessage(b, lm)
	}
	b = appendVarint(b, pbSpanDroppedLinks, clampUint32(s.DroppedLinks()))
	status := s.Status()
	b, st := beginMessage(b, pbSpanStatus)
	b = appendString(b, pbStatusMessage, status.Description)
	b = appendVarint(b, pbStatusCode, uint64(statusNumber(status.Code)))
	b = endMessage(b, st)
	b = protowire.AppendTag(b, pbSpanFlags, protowire.Fixed32Type)
	b = protowire.AppendFixed32(b, flags(sc.TraceFlags(), parent))
	return endMessage(b, m)
}

// flags is a span's or a link's SpanFlags: the W3C trace flags, and whether
// the parent (for a link, the linked context) is remote.
func flags(tf trace.TraceFlags, parent trace.SpanContext) uint32 {
	f := uint32(tf) | pbFlagHasIsRemote
	if parent.IsRemote() {
		f |= pbFlagIsRemote
	}
	return f
}

// kindNumber is Span.SpanKind's number for k.
func kindNumber(k trace.SpanKind) int {
	switch k {
	case trace.SpanKindInternal:
		return 1
	case trace.SpanKindServer:
		return 2
	case trace.SpanKindClient:
		return 3
	case trace.SpanKindProducer:
		return 4
	case trace.SpanKindConsumer:
		return 5
	}
	return 0
}

// statusNumber is Status.StatusCode's number for c.
func statusNumber(c codes.Code) int {
	switch c {
	case codes.Ok:
		return 1
	case codes.Error:
		return 2
	}
	return 0
}

func clampUint32(v int) uint64 {
	return uint64(min(max(v, 0), math.MaxUint32))
}

// appendIterator appends the attributes of it as KeyValue fields num.
func appendIterator(b []byte, num protowire.Number, it attribute.Iterator) []byte {
	for it.Next() {
		b = appendKeyValue(b, num, it.Attribute())
	}
	return b
}

// appendKeyValue appends kv as KeyValue field num.
func appendKeyValue(b []byte, num protowire.Number, kv attribute.KeyValue) []byte {
	b, m := beginMessage(b, num)
	b = appendString(b, pbKeyValueKey, string(kv.Key))
	b = appendAnyValue(b, pbKeyValueValue, kv.Value)
	return endMessage(b, m)
}

// appendAnyValue appends v as AnyValue field num. A oneof's field is written
// even when its value is the zero value.
func appendAnyValue(b []byte, num protowire.Number, v attribute.Value) []byte {
	b, m := beginMessage(b, num)
	switch v.Type() {
	case attribute.STRING:
		b = protowire.AppendTag(b, pbAnyString, protowire.BytesType)
		b = protowire.AppendString(b, validText(v.AsString()))
	case attribute.BOOL:
		b = protowire.AppendTag(b, pbAnyBool, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeBool(v.AsBool()))
	case attribute.INT64:
		b = protowire.AppendTag(b, pbAnyInt, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		b = protowire.AppendTag(b, pbAnyDouble, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(v.AsFloat64()))
	case attribute.BYTESLICE:
		b = protowire.AppendTag(b, pbAnyBytes, protowire.BytesType)
		b = protowire.AppendBytes(b, v.AsByteSlice())
	case attribute.STRINGSLICE:
		b = appendArray(b, v.AsStringSlice(), attribute.StringValue)
	case attribute.BOOLSLICE:
		b = appendArray(b, v.AsBoolSlice(), attribute.BoolValue)
	case attribute.INT64SLICE:
		b = appendArray(b, v.AsInt64Slice(), attribute.Int64Value)
	case attribute.FLOAT64SLICE:
		b = appendArray(b, v.AsFloat64Slice(), attribute.Float64Value)
	case attribute.SLICE:
		b = appendArray(b, v.AsSlice(), func(x attribute.Value) attribute.Value { return x })
	case attribute.MAP:
		var l int
		b, l = beginMessage(b, pbAnyKVList)
		for _, kv := range v.AsMap() {
			b = appendKeyValue(b, pbListValues, kv)
		}
		b = endMessage(b, l)
	case attribute.EMPTY:
		// An AnyValue with no value.
	default:
		b = protowire.AppendTag(b, pbAnyString, protowire.BytesType)
		b = protowire.AppendString(b, "INVALID") // as the exporter writes a type it does not know
	}
	return endMessage(b, m)
}

// appendArray appends xs as the ArrayValue of an AnyValue, each element the
// AnyValue of value(x).
func appendArray[T any](b []byte, xs []T, value func(T) attribute.Value) []byte {
	b, a := beginMessage(b, pbAnyArray)
	for _, x := range xs {
		b = appendAnyValue(b, pbListValues, value(x))
	}
	return endMessage(b, a)
}

// appendString appends s as string field num, unless it is empty (proto3),
// made UTF-8.
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, validText(s))
}

// validText is s with each run of bytes that are not UTF-8 replaced by one
// U+FFFD (strings.ToValidUTF8).
func validText(s string) string {
	if ascii(s) || utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// ascii reports whether s is all ASCII, as nearly every key and value of a
// span is, 8 bytes at a time and with no loop over a tail:
// utf8.ValidString's byte loop over the tails of a span's 20-odd short
// strings made it cost 3,000 instructions a span, 3 times this.
func ascii(s string) bool {
	const high = 0x8080808080808080
	n := len(s)
	if n < 8 {
		var acc byte
		for i := range n {
			acc |= s[i]
		}
		return acc < utf8.RuneSelf
	}
	acc := le64(s[n-8:]) // the last 8 bytes, which the loop may overlap
	for i := 0; i+8 < n; i += 8 {
		acc |= le64(s[i:])
	}
	return acc&high == 0
}

// le64 is s's first 8 bytes, little-endian: one load once compiled.
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// appendVarint appends v as varint field num, unless it is 0 (proto3).
func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// appendTime appends a time in nanoseconds since 1970 as fixed64 field num,
// unless it is 0 or before 1970 (then 0, as the exporter writes it).
func appendTime(b []byte, num protowire.Number, ns int64) []byte {
	if ns <= 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, uint64(ns))
}

// beginMessage starts message field num: it appends the tag and one byte
// for the length, which endMessage sets, and returns where the message's
// bytes start.
func beginMessage(b []byte, num protowire.Number) ([]byte, int) {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = append(b, 0)
	return b, len(b)
}

// endMessage sets the length of the message that starts at start, moving
// its bytes to make room when the length needs more than one byte.
func endMessage(b []byte, start int) []byte {
	n := len(b) - start
	if n < 0x80 {
		b[start-1] = byte(n)
		return b
	}
	k := protowire.SizeVarint(uint64(n))
	for range k - 1 {
		b = append(b, 0)
	}
	copy(b[start+k-1:], b[start:start+n])
	protowire.AppendVarint(b[:start-1], uint64(n))
	return b
}
