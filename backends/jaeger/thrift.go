package jaeger

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	jaeger "github.com/uber/jaeger-client-go"
	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"
)

// The senders encode jaeger's thrift structs (jaeger.thrift's Span, Tag, Log,
// SpanRef, Process and Batch) with the writer below instead of
// jaeger-client-go's generated code and thrift library: each span once,
// straight from the jaeger-client-go span into the batch, with no
// intermediate thrift structs and no lookups per field. The bytes are those
// jaeger-client-go's own encoder writes for the same spans, in both thrift
// protocols: compact (the agent's UDP datagrams) and binary (the
// collector's HTTP bodies). thrift_test.go holds it to that.

// Thrift's field types (TType), as the binary protocol writes them.
const (
	tBool   = 2
	tDouble = 4
	tI32    = 8
	tI64    = 10
	tString = 11
	tStruct = 12
	tList   = 15
)

// compactType is each TType's code in the compact protocol.
var compactType = [16]byte{tBool: 1, tDouble: 7, tI32: 5, tI64: 6, tString: 8, tStruct: 12, tList: 9}

// writer appends thrift to b, in the compact protocol or the binary one.
// Struct writers keep the last field id written (the compact protocol
// writes field ids as deltas) in a local variable: jaeger's structs have
// fewer than 16 fields, so every delta fits the short form.
type writer struct {
	b       []byte
	compact bool
	text    []byte // room to format values of other types
}

// field writes a field header (not for booleans: see boolField).
func (w *writer) field(last *int16, id int16, t byte) {
	if w.compact {
		w.b = append(w.b, byte(id-*last)<<4|compactType[t])
		*last = id
		return
	}
	w.b = append(w.b, t, byte(id>>8), byte(id))
}

func (w *writer) stop() { w.b = append(w.b, 0) }

func (w *writer) boolField(last *int16, id int16, v bool) {
	if w.compact {
		t := byte(2) // compact's false
		if v {
			t = 1
		}
		w.b = append(w.b, byte(id-*last)<<4|t)
		*last = id
		return
	}
	w.field(last, id, tBool)
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

func (w *writer) i64(v int64) {
	if w.compact {
		w.b = binary.AppendUvarint(w.b, uint64(v<<1)^uint64(v>>63))
		return
	}
	w.b = binary.BigEndian.AppendUint64(w.b, uint64(v))
}

func (w *writer) i32(v int32) {
	if w.compact {
		w.b = binary.AppendUvarint(w.b, uint64(uint32(v<<1)^uint32(v>>31)))
		return
	}
	w.b = binary.BigEndian.AppendUint32(w.b, uint32(v))
}

func (w *writer) double(v float64) {
	if w.compact {
		w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(v))
		return
	}
	w.b = binary.BigEndian.AppendUint64(w.b, math.Float64bits(v))
}

func (w *writer) length(n int) {
	if w.compact {
		w.b = binary.AppendUvarint(w.b, uint64(uint32(n)))
		return
	}
	w.b = binary.BigEndian.AppendUint32(w.b, uint32(n))
}

func (w *writer) string(s string) {
	w.length(len(s))
	w.b = append(w.b, s...)
}

func (w *writer) bytes(s []byte) {
	w.length(len(s))
	w.b = append(w.b, s...)
}

// list writes a list header: n elements of type t.
func (w *writer) list(t byte, n int) {
	if !w.compact {
		w.b = append(w.b, t)
		w.b = binary.BigEndian.AppendUint32(w.b, uint32(n))
		return
	}
	if n <= 14 {
		w.b = append(w.b, byte(n)<<4|compactType[t])
		return
	}
	w.b = append(w.b, 0xf0|compactType[t])
	w.b = binary.AppendUvarint(w.b, uint64(uint32(n)))
}

// listSize is the size of a list header of n elements.
func (w *writer) listSize(n int) int {
	switch {
	case !w.compact:
		return 5
	case n <= 14:
		return 1
	}
	return 1 + uvarintSize(uint64(uint32(n)))
}

func uvarintSize(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// Span fields: jaeger.thrift's Span.
const (
	spanTraceIDLow    = 1
	spanTraceIDHigh   = 2
	spanSpanID        = 3
	spanParentSpanID  = 4
	spanOperationName = 5
	spanReferences    = 6
	spanFlags         = 7
	spanStartTime     = 8
	spanDuration      = 9
	spanTags          = 10
	spanLogs          = 11
)

// span writes a jaeger-client-go span as jaeger.BuildJaegerThrift and the
// generated Span.Write would, with string and binary tag values cut at
// maxTagLen as BuildJaegerThrift cuts them. It reads the span's tags, logs
// and references in place (see spanFields), under the span's read lock.
func (w *writer) span(s *jaeger.Span, f *spanFields, maxTagLen int, scratch *writer) {
	ctx := s.SpanContext()
	op := s.OperationName()
	start, duration := s.StartTime(), s.Duration()
	id := ctx.TraceID()
	var last int16
	w.field(&last, spanTraceIDLow, tI64)
	w.i64(int64(id.Low))
	w.field(&last, spanTraceIDHigh, tI64)
	w.i64(int64(id.High))
	w.field(&last, spanSpanID, tI64)
	w.i64(int64(ctx.SpanID()))
	w.field(&last, spanParentSpanID, tI64)
	w.i64(int64(ctx.ParentID()))
	w.field(&last, spanOperationName, tString)
	w.string(op)

	s.RLock()
	defer s.RUnlock()
	refs := f.references(s)
	n := 0
	for _, r := range refs {
		if r.Type == opentracing.ChildOfRef || r.Type == opentracing.FollowsFromRef {
			n++
		}
	}
	w.field(&last, spanReferences, tList)
	w.list(tStruct, n)
	for _, r := range refs {
		switch r.Type {
		case opentracing.ChildOfRef:
			w.spanRef(j.SpanRefType_CHILD_OF, r.Context.TraceID(), r.Context.SpanID())
		case opentracing.FollowsFromRef:
			w.spanRef(j.SpanRefType_FOLLOWS_FROM, r.Context.TraceID(), r.Context.SpanID())
		}
	}
	w.field(&last, spanFlags, tI32)
	w.i32(int32(ctx.Flags()))
	w.field(&last, spanStartTime, tI64)
	w.i64(start.UnixNano() / int64(time.Microsecond))
	w.field(&last, spanDuration, tI64)
	w.i64(duration.Nanoseconds() / int64(time.Microsecond))

	tags := f.tags(s)
	w.field(&last, spanTags, tList)
	w.list(tStruct, len(tags))
	for i := range tags {
		w.tagValue(tags[i].key, tags[i].value, maxTagLen)
	}
	logs := f.logs(s)
	w.field(&last, spanLogs, tList)
	w.list(tStruct, len(logs))
	for i := range logs {
		w.log(&logs[i], scratch)
	}
	w.stop()
}

func (w *writer) spanRef(t j.SpanRefType, trace jaeger.TraceID, span jaeger.SpanID) {
	var last int16
	w.field(&last, 1, tI32)
	w.i32(int32(t))
	w.field(&last, 2, tI64)
	w.i64(int64(trace.Low))
	w.field(&last, 3, tI64)
	w.i64(int64(trace.High))
	w.field(&last, 4, tI64)
	w.i64(int64(span))
	w.stop()
}

// Tag fields: jaeger.thrift's Tag.
const (
	tagKey     = 1
	tagVType   = 2
	tagVStr    = 3
	tagVDouble = 4
	tagVBool   = 5
	tagVLong   = 6
	tagVBinary = 7
)

// tagValue writes a span tag as jaeger-client-go's buildTag makes it.
func (w *writer) tagValue(key string, value any, maxLen int) {
	switch v := value.(type) {
	case string:
		w.strTag(key, truncate(v, maxLen))
	case []byte:
		if len(v) > maxLen {
			v = v[:maxLen]
		}
		w.binaryTag(key, v)
	case int:
		w.longTag(key, int64(v))
	case uint:
		w.longTag(key, int64(v))
	case int8:
		w.longTag(key, int64(v))
	case uint8:
		w.longTag(key, int64(v))
	case int16:
		w.longTag(key, int64(v))
	case uint16:
		w.longTag(key, int64(v))
	case int32:
		w.longTag(key, int64(v))
	case uint32:
		w.longTag(key, int64(v))
	case int64:
		w.longTag(key, v)
	case uint64:
		w.longTag(key, int64(v))
	case float32:
		w.doubleTag(key, float64(v))
	case float64:
		w.doubleTag(key, v)
	case bool:
		w.boolTag(key, v)
	case ext.SpanKindEnum: // what %+v makes of it, as below, without fmt
		w.strTag(key, truncate(string(v), maxLen))
	default: // formatted as jaeger-client-go does, without a string to collect
		w.text = fmt.Appendf(w.text[:0], "%+v", value)
		if len(w.text) > maxLen {
			w.text = w.text[:maxLen]
		}
		var last int16
		w.tagHead(&last, key, j.TagType_STRING)
		w.field(&last, tagVStr, tString)
		w.bytes(w.text)
		w.stop()
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (w *writer) tagHead(last *int16, key string, t j.TagType) {
	w.field(last, tagKey, tString)
	w.string(key)
	w.field(last, tagVType, tI32)
	w.i32(int32(t))
}

func (w *writer) strTag(key, v string) {
	var last int16
	w.tagHead(&last, key, j.TagType_STRING)
	w.field(&last, tagVStr, tString)
	w.string(v)
	w.stop()
}

func (w *writer) binaryTag(key string, v []byte) {
	var last int16
	w.tagHead(&last, key, j.TagType_BINARY)
	if v != nil { // an unset optional field is not written
		w.field(&last, tagVBinary, tString)
		w.bytes(v)
	}
	w.stop()
}

func (w *writer) longTag(key string, v int64) {
	var last int16
	w.tagHead(&last, key, j.TagType_LONG)
	w.field(&last, tagVLong, tI64)
	w.i64(v)
	w.stop()
}

func (w *writer) doubleTag(key string, v float64) {
	var last int16
	w.tagHead(&last, key, j.TagType_DOUBLE)
	w.field(&last, tagVDouble, tDouble)
	w.double(v)
	w.stop()
}

func (w *writer) boolTag(key string, v bool) {
	var last int16
	w.tagHead(&last, key, j.TagType_BOOL)
	w.boolField(&last, tagVBool, v)
	w.stop()
}

// log writes a log record as jaeger-client-go's buildLogs makes it: its
// fields are tags (never cut). A field may stand for any number of tags (a
// lazy logger), so they are written to scratch first and counted.
func (w *writer) log(l *opentracing.LogRecord, scratch *writer) {
	var last int16
	w.field(&last, 1, tI64)
	w.i64(l.Timestamp.UnixNano() / int64(time.Microsecond))
	w.field(&last, 2, tList)
	scratch.b = scratch.b[:0]
	enc := fieldWriter{w: scratch}
	for _, f := range l.Fields {
		f.Marshal(&enc)
	}
	w.list(tStruct, enc.n)
	w.b = append(w.b, scratch.b...)
	w.stop()
}

// fieldWriter writes log fields as tags, as jaeger-client-go's
// ConvertLogsToJaegerTags does, counting them.
type fieldWriter struct {
	w *writer
	n int
}

var _ log.Encoder = (*fieldWriter)(nil)

func (e *fieldWriter) EmitString(key, value string)        { e.n++; e.w.strTag(key, value) }
func (e *fieldWriter) EmitBool(key string, value bool)     { e.n++; e.w.boolTag(key, value) }
func (e *fieldWriter) EmitInt(key string, value int)       { e.n++; e.w.longTag(key, int64(value)) }
func (e *fieldWriter) EmitInt32(key string, value int32)   { e.n++; e.w.longTag(key, int64(value)) }
func (e *fieldWriter) EmitInt64(key string, value int64)   { e.n++; e.w.longTag(key, value) }
func (e *fieldWriter) EmitUint32(key string, value uint32) { e.n++; e.w.longTag(key, int64(value)) }
func (e *fieldWriter) EmitUint64(key string, value uint64) { e.n++; e.w.longTag(key, int64(value)) }
func (e *fieldWriter) EmitFloat32(key string, value float32) {
	e.n++
	e.w.doubleTag(key, float64(value))
}
func (e *fieldWriter) EmitFloat64(key string, value float64) { e.n++; e.w.doubleTag(key, value) }
func (e *fieldWriter) EmitObject(key string, value any) {
	e.n++
	e.w.strTag(key, fmt.Sprintf("%+v", value))
}
func (e *fieldWriter) EmitLazyLogger(value log.LazyLogger) { value(e) }

// thriftSpan writes a thrift Span as its generated Write would: the senders'
// way for spans cut to fit a datagram (see udpSender.fit).
func (w *writer) thriftSpan(s *j.Span) {
	var last int16
	w.field(&last, spanTraceIDLow, tI64)
	w.i64(s.TraceIdLow)
	w.field(&last, spanTraceIDHigh, tI64)
	w.i64(s.TraceIdHigh)
	w.field(&last, spanSpanID, tI64)
	w.i64(s.SpanId)
	w.field(&last, spanParentSpanID, tI64)
	w.i64(s.ParentSpanId)
	w.field(&last, spanOperationName, tString)
	w.string(s.OperationName)
	if s.References != nil {
		w.field(&last, spanReferences, tList)
		w.list(tStruct, len(s.References))
		for _, r := range s.References {
			w.spanRef(r.RefType, jaeger.TraceID{High: uint64(r.TraceIdHigh), Low: uint64(r.TraceIdLow)}, jaeger.SpanID(r.SpanId))
		}
	}
	w.field(&last, spanFlags, tI32)
	w.i32(s.Flags)
	w.field(&last, spanStartTime, tI64)
	w.i64(s.StartTime)
	w.field(&last, spanDuration, tI64)
	w.i64(s.Duration)
	if s.Tags != nil {
		w.field(&last, spanTags, tList)
		w.thriftTags(s.Tags)
	}
	if s.Logs != nil {
		w.field(&last, spanLogs, tList)
		w.list(tStruct, len(s.Logs))
		for _, l := range s.Logs {
			var last int16
			w.field(&last, 1, tI64)
			w.i64(l.Timestamp)
			w.field(&last, 2, tList)
			w.thriftTags(l.Fields)
			w.stop()
		}
	}
	w.stop()
}

func (w *writer) thriftTags(tags []*j.Tag) {
	w.list(tStruct, len(tags))
	for _, t := range tags {
		w.thriftTag(t)
	}
}

// thriftTag writes a thrift Tag as its generated Write would: the optional
// value fields that are set.
func (w *writer) thriftTag(t *j.Tag) {
	var last int16
	w.tagHead(&last, t.Key, t.VType)
	if t.VStr != nil {
		w.field(&last, tagVStr, tString)
		w.string(*t.VStr)
	}
	if t.VDouble != nil {
		w.field(&last, tagVDouble, tDouble)
		w.double(*t.VDouble)
	}
	if t.VBool != nil {
		w.boolField(&last, tagVBool, *t.VBool)
	}
	if t.VLong != nil {
		w.field(&last, tagVLong, tI64)
		w.i64(*t.VLong)
	}
	if t.VBinary != nil {
		w.field(&last, tagVBinary, tString)
		w.bytes(t.VBinary)
	}
	w.stop()
}

// process writes a thrift Process as its generated Write would.
func (w *writer) process(p *j.Process) {
	var last int16
	w.field(&last, 1, tString)
	w.string(p.ServiceName)
	if p.Tags != nil {
		w.field(&last, 2, tList)
		w.thriftTags(p.Tags)
	}
	w.stop()
}
