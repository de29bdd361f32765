package otel

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	otlog "github.com/opentracing/opentracing-go/log"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/propagation"
)

// This file holds the backend's OpenTracing span, written straight over an
// SDK span: what OpenTelemetry's OpenTracing bridge did for the backend
// before, with its conversions (kept as the bridge wrote them, so that spans
// look the same on the wire) but without its tag map, wrapper span, span
// context and contexts per span.

// spanAttrs is how many attributes a span holds before it needs more memory:
// enough for the tags of traceplug's server, client and gRPC spans, in
// OpenTelemetry's conventions (12 or 13 on a server span) as in
// OpenTracing's. At 8, a server span's attributes grew once more: one more
// allocation, and a copy of 8 of them.
const spanAttrs = 16

// attrBuf is where a span buffers its attributes until it finishes.
type attrBuf [spanAttrs]attribute.KeyValue

// attrBufs are reused: the SDK span copies the attributes it is handed, so
// a span's buffer is free once it finishes. A buffer is 1 KiB, most of a
// recording span's own memory; taken from the pool, a span that records
// costs that much less to allocate, clear and collect.
var attrBufs = sync.Pool{New: func() any { return new(attrBuf) }}

// maxBuffered is how many attributes a span buffers at most: at that many
// it hands them to the SDK span, in order (the SDK copies them), so that a
// long-lived span that sets the same tag over and over holds no more than
// the SDK span would (it de-duplicates at its attribute count limit).
const maxBuffered = 64

// span is an OpenTracing span over an OpenTelemetry SDK span: one allocation
// holds what the span needs besides the SDK's own and its span context
// (apart, so that a context kept after the span finished keeps only itself).
//
// Its attributes (start tags and SetTag's) are handed to the SDK span in one
// go when it finishes (or when [maxBuffered] are waiting) rather than one
// call per tag: the SDK takes a lock, copies its options and may grow its
// attribute slice at each call. OpenTelemetry code that sets attributes on
// the span it finds in a context goes through the same buffer (see
// [contextSpan]), so the later write wins whichever API made it. The kind,
// the status, events and the name go to the SDK span at once.
type span struct {
	tracer *Tracer
	otel   trace.Span

	// ctx is the span's context, replaced when a baggage item is set.
	ctx atomic.Pointer[spanContext]

	// direct: tags go to the SDK span at once. It is set on a view of an
	// OpenTelemetry span that OpenTelemetry code started (and may end): such
	// a span may never finish through this one.
	direct bool
	// recording is the SDK span's IsRecording at start: when false, tags
	// and logs are dropped, as the SDK would.
	recording bool

	start  startContext
	hook   hookContext
	hooked atomic.Bool
	// inCtx is the OpenTelemetry span that contexts hold for this one when
	// its tags are buffered; unset (inCtx.s nil) when they are not.
	inCtx contextSpan

	// ended is set by the first Finish, the one that ends the SDK span.
	ended atomic.Bool

	mu       sync.Mutex           // guards the rest, and ctx's writers
	finished bool                 // attributes were handed over
	attrs    []attribute.KeyValue // not yet handed to the SDK span
	buf      *attrBuf             // attrs' first memory, from attrBufs, until the span finishes
}

var _ opentracing.Span = (*span)(nil)

// Finish implements [opentracing.Span]. Only the first Finish (or
// FinishWithOptions) ends the SDK span, after handing it the attributes.
func (s *span) Finish() {
	if s.flush() {
		s.otel.End()
	}
}

// FinishWithOptions implements [opentracing.Span]: log records become
// events, and a finish time the span's end.
func (s *span) FinishWithOptions(opts opentracing.FinishOptions) {
	for _, record := range opts.LogRecords {
		s.log(record.Timestamp, record.Fields)
	}
	for _, data := range opts.BulkLogData {
		record := data.ToLogRecord()
		s.log(record.Timestamp, record.Fields)
	}
	if !s.flush() {
		return
	}
	if opts.FinishTime.IsZero() {
		s.otel.End()
		return
	}
	s.otel.End(trace.WithTimestamp(opts.FinishTime))
}

// flush hands the span's attributes to the SDK span, once: it reports
// whether the caller is the first to finish the span, the one that ends the
// SDK span (after the hand-over, so that no attribute comes after the end).
// It holds mu across the hand-over, so that a write through [contextSpan]
// that finds the span finished reaches the SDK span after the buffered ones.
func (s *span) flush() bool {
	if s.ended.Swap(true) {
		return false
	}
	if s.direct {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finished = true
	if len(s.attrs) > 0 {
		s.otel.SetAttributes(s.attrs...)
	}
	s.attrs = nil
	s.buf.release()
	s.buf = nil // a span kept alive (by a context) keeps no tag values
	return true
}

// release clears b, which holds tag values no longer needed, and puts it
// back in the pool. b may be nil.
func (b *attrBuf) release() {
	if b != nil {
		clear(b[:])
		attrBufs.Put(b)
	}
}

// buffer adds attrs to those not yet handed to the SDK span, handing them
// over once [maxBuffered] are waiting. It reports false, having done
// nothing, when the span has finished. mu must be held.
func (s *span) buffer(attrs ...attribute.KeyValue) bool {
	if s.finished {
		return false
	}
	s.attrs = append(s.attrs, attrs...)
	if len(s.attrs) >= maxBuffered {
		s.handOver()
	}
	return true
}

// handOver hands the buffered attributes to the SDK span, before the span
// finishes. mu must be held.
func (s *span) handOver() {
	if s.finished || len(s.attrs) == 0 {
		return
	}
	s.otel.SetAttributes(s.attrs...)
	clear(s.attrs)
	s.attrs = s.attrs[:0]
}

// failed reports whether the SDK span's status is ERROR already.
func (s *span) failed() bool {
	ro, ok := s.otel.(sdktrace.ReadOnlySpan)
	return ok && ro.Status().Code == codes.Error
}

// Context implements [opentracing.Span].
func (s *span) Context() opentracing.SpanContext { return s.ctx.Load() }

// SetOperationName implements [opentracing.Span].
func (s *span) SetOperationName(name string) opentracing.Span {
	s.otel.SetName(name)
	return s
}

// SetTag implements [opentracing.Span]: error=true sets the status to ERROR
// (keeping the description of a status that is ERROR already, as an error
// log sets it), otel.status_description (a string) sets it to ERROR with
// that description, span.kind is ignored (the kind is fixed at start), any
// other tag is an attribute.
func (s *span) SetTag(key string, value any) opentracing.Span {
	switch key {
	case string(ext.SpanKind):
	case string(ext.Error):
		if b, ok := value.(bool); ok && b && !s.failed() {
			s.otel.SetStatus(codes.Error, "")
		}
	case statusDescription:
		if d, ok := value.(string); ok && (d != "" || !s.failed()) {
			s.otel.SetStatus(codes.Error, d)
		}
	default:
		if s.recording {
			s.setAttribute(tagAttribute(key, value))
		}
	}
	return s
}

var _ backend.TypedTagger = (*span)(nil)

// SetStringTag implements [backend.TypedTagger]: SetTag(key, value), without
// boxing value.
func (s *span) SetStringTag(key, value string) {
	switch {
	case key == string(ext.SpanKind) || key == statusDescription:
		s.SetTag(key, value)
	case s.recording:
		s.setAttribute(attribute.String(key, value))
	}
}

// SetIntTag implements [backend.TypedTagger]: SetTag(key, value), without
// boxing value.
func (s *span) SetIntTag(key string, value int64) {
	if key == string(ext.SpanKind) || key == string(ext.Error) || key == statusDescription {
		s.SetTag(key, value)
		return
	}
	if s.recording {
		s.setAttribute(attribute.Int64(key, value))
	}
}

// setAttribute sets a tag's attribute, as SetTag does for an ordinary tag
// of a recording span.
func (s *span) setAttribute(kv attribute.KeyValue) {
	if s.direct {
		s.otel.SetAttributes(kv)
		return
	}
	s.mu.Lock()
	s.buffer(kv)
	s.mu.Unlock()
}

// SetBaggageItem implements [opentracing.Span]. The span's context becomes a
// new one with the item; contexts taken before keep their baggage.
func (s *span) SetBaggageItem(key, value string) opentracing.Span {
	s.mu.Lock()
	s.ctx.Store(s.ctx.Load().withBaggageItem(key, value))
	s.mu.Unlock()
	return s
}

// BaggageItem implements [opentracing.Span].
func (s *span) BaggageItem(key string) string { return s.ctx.Load().baggageItem(key) }

// Tracer implements [opentracing.Span]: the backend's [Tracer], so that code
// that injects a span's context with span.Tracer() speaks the formats
// (Binary included) that traceplug speaks.
func (s *span) Tracer() opentracing.Tracer { return s.tracer }

// LogFields implements [opentracing.Span]: the fields become an event named
// after the last "event" field (else "log"); see [span.log] for errors.
func (s *span) LogFields(fields ...otlog.Field) { s.log(time.Time{}, fields) }

// LogKV implements [opentracing.Span], as LogFields.
func (s *span) LogKV(alternatingKeyValues ...any) {
	fields, err := otlog.InterleavedKVToFields(alternatingKeyValues...)
	if err != nil {
		return
	}
	s.log(time.Time{}, fields)
}

// LogEvent implements [opentracing.Span] (deprecated there).
func (s *span) LogEvent(event string) { s.LogEventWithPayload(event, nil) }

// LogEventWithPayload implements [opentracing.Span] (deprecated there).
func (s *span) LogEventWithPayload(event string, payload any) {
	s.Log(opentracing.LogData{Event: event, Payload: payload})
}

// Log implements [opentracing.Span] (deprecated there). Its timestamp is
// ignored, as the bridge ignored it.
func (s *span) Log(data opentracing.LogData) {
	s.log(time.Time{}, data.ToLogRecord().Fields)
}

// The bridge turned an OpenTracing error log (LogKV("event", "error",
// "message", ...), as traceplug writes for a panic) into an OpenTelemetry
// event named "error", and the span's status into ERROR with no
// description. An OpenTelemetry user looks for an "exception" event with
// exception.message and exception.type, and for the message in the status:
// an error log with a message is written so.
const (
	exceptionEvent   = "exception"
	exceptionMessage = attribute.Key("exception.message")
	exceptionType    = attribute.Key("exception.type")
)

// log adds an event for fields, at ts (now if zero). An error log with a
// message (message or error.message, else the text of an error.object that
// is an error) is an "exception" event, its type the Go type of an
// error.object that is an error, else the error.object or else the
// error.kind field, and sets the status to ERROR with the message.
func (s *span) log(ts time.Time, fields []otlog.Field) {
	if !s.recording {
		return
	}
	var enc fieldEncoder
	for _, f := range fields {
		enc.field(f)
	}
	attrs := enc.attrs
	name := eventName(attrs)
	var msg, typ string
	if name == "error" {
		for _, a := range attrs {
			switch a.Key {
			case "message", "error.message":
				msg = a.Value.Emit()
			case "error.object":
				typ = a.Value.Emit()
			case "error.kind":
				if typ == "" {
					typ = a.Value.Emit()
				}
			}
		}
		if enc.errType != "" {
			typ = enc.errType
		}
		if msg == "" {
			msg = enc.errMsg
		}
	}
	if msg != "" {
		name = exceptionEvent
		attrs = append(attrs, exceptionMessage.String(msg))
		if typ != "" {
			attrs = append(attrs, exceptionType.String(typ))
		}
	}
	if ts.IsZero() {
		s.otel.AddEvent(name, trace.WithAttributes(attrs...))
	} else {
		s.otel.AddEvent(name, trace.WithTimestamp(ts), trace.WithAttributes(attrs...))
	}
	if msg != "" {
		s.otel.SetStatus(codes.Error, msg)
	}
}

// eventName is the name of the event for a log's attributes: the last
// "event" field's value, "log" when there is none or it is empty.
func eventName(attrs []attribute.KeyValue) string {
	for i := len(attrs) - 1; i >= 0; i-- {
		if attrs[i].Key != "event" {
			continue
		}
		if name := attrs[i].Value.String(); name != "" {
			return name
		}
		return "log"
	}
	return "log"
}

// fieldEncoder turns log fields into attributes, as [tagAttribute] turns
// their values, and notes the last error.object field whose value is an
// error (whose attribute is its text).
type fieldEncoder struct {
	attrs   []attribute.KeyValue
	errType string // the error's Go type
	errMsg  string // its text
}

var _ otlog.Encoder = (*fieldEncoder)(nil)

// field encodes f. An otlog.Error field reaches the encoder as a string,
// so its error is read from f itself.
func (e *fieldEncoder) field(f otlog.Field) {
	if f.Key() == "error.object" {
		e.errorObject(f.Value())
	}
	f.Marshal(e)
}

// errorObject notes the value of an error.object field, if it is an error.
func (e *fieldEncoder) errorObject(value any) {
	if err, ok := value.(error); ok && err != nil {
		e.errType, e.errMsg = fmt.Sprintf("%T", err), err.Error()
	}
}

func (e *fieldEncoder) EmitString(key, value string) {
	e.attrs = append(e.attrs, attribute.String(key, value))
}

func (e *fieldEncoder) EmitBool(key string, value bool) {
	e.attrs = append(e.attrs, attribute.Bool(key, value))
}

func (e *fieldEncoder) EmitInt(key string, value int) {
	e.attrs = append(e.attrs, attribute.Int(key, value))
}

func (e *fieldEncoder) EmitInt32(key string, value int32) {
	e.attrs = append(e.attrs, attribute.Int64(key, int64(value)))
}

func (e *fieldEncoder) EmitInt64(key string, value int64) {
	e.attrs = append(e.attrs, attribute.Int64(key, value))
}

func (e *fieldEncoder) EmitUint32(key string, value uint32) {
	e.attrs = append(e.attrs, attribute.Int64(key, int64(value)))
}

func (e *fieldEncoder) EmitUint64(key string, value uint64) {
	e.attrs = append(e.attrs, attribute.String(key, strconv.FormatUint(value, 10)))
}

func (e *fieldEncoder) EmitFloat32(key string, value float32) {
	e.attrs = append(e.attrs, attribute.Float64(key, float64(value)))
}

func (e *fieldEncoder) EmitFloat64(key string, value float64) {
	e.attrs = append(e.attrs, attribute.Float64(key, value))
}

func (e *fieldEncoder) EmitObject(key string, value any) {
	if key == "error.object" {
		e.errorObject(value) // from a lazy logger
	}
	e.attrs = append(e.attrs, tagAttribute(key, value))
}

func (e *fieldEncoder) EmitLazyLogger(value otlog.LazyLogger) { value(e) }

// tagAttribute is the attribute for a tag, as the bridge converted them:
// integers of up to 32 bits and int64 are int64, uint64 and uint are
// strings (they may not fit), float32 is float64, other types are their
// fmt.Sprint text.
func tagAttribute(key string, value any) attribute.KeyValue {
	k := attribute.Key(key)
	switch v := value.(type) {
	case string:
		return k.String(v)
	case bool:
		return k.Bool(v)
	case int:
		return k.Int(v)
	case int64:
		return k.Int64(v)
	case uint64:
		return k.String(strconv.FormatUint(v, 10))
	case float64:
		return k.Float64(v)
	case int8:
		return k.Int64(int64(v))
	case uint8:
		return k.Int64(int64(v))
	case int16:
		return k.Int64(int64(v))
	case uint16:
		return k.Int64(int64(v))
	case int32:
		return k.Int64(int64(v))
	case uint32:
		return k.Int64(int64(v))
	case float32:
		return k.Float64(float64(v))
	case uint:
		return k.String(strconv.FormatUint(uint64(v), 10))
	default:
		return k.String(fmt.Sprint(v))
	}
}

// spanKind is the kind for a span.kind tag's value, as the bridge read it: a
// string in any case, or ext's enum; anything else is INTERNAL.
func spanKind(value any) trace.SpanKind {
	k := value
	if s, ok := value.(string); ok {
		k = ext.SpanKindEnum(strings.ToLower(s))
	}
	switch k {
	case ext.SpanKindRPCClientEnum:
		return trace.SpanKindClient
	case ext.SpanKindRPCServerEnum:
		return trace.SpanKindServer
	case ext.SpanKindProducerEnum:
		return trace.SpanKindProducer
	case ext.SpanKindConsumerEnum:
		return trace.SpanKindConsumer
	}
	return trace.SpanKindInternal
}

// startOptions are the SDK's start options for each kind, made once: a span
// without links nor start time needs no other.
var startOptions = func() (opts [trace.SpanKindConsumer + 1][]trace.SpanStartOption) {
	for k := range opts {
		opts[k] = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKind(k))}
	}
	return opts
}()

// starter reads a span's start options.
type starter struct {
	attrs       []attribute.KeyValue
	kind        trace.SpanKind
	failed      bool   // error=true
	description string // otel.status_description
	start       time.Time
	foreign     bool         // a reference to another tracer's span context
	refs        int          // references to the backend's span contexts
	child       *spanContext // the first ChildOf one
	follows     *spanContext // the first FollowsFrom one
}

func (st *starter) option(o opentracing.StartSpanOption) {
	switch o := o.(type) {
	case opentracing.Tag:
		st.tag(o.Key, o.Value)
	case *opentracing.Tag:
		st.tag(o.Key, o.Value)
	case opentracing.Tags:
		for k, v := range o {
			st.tag(k, v)
		}
	case opentracing.SpanReference:
		st.reference(o)
	case *opentracing.SpanReference:
		st.reference(*o)
	case opentracing.StartTime:
		st.start = time.Time(o)
	default:
		var sso opentracing.StartSpanOptions
		o.Apply(&sso)
		for _, r := range sso.References {
			st.reference(r)
		}
		for k, v := range sso.Tags {
			st.tag(k, v)
		}
		if !sso.StartTime.IsZero() {
			st.start = sso.StartTime
		}
	}
}

// tag reads a start tag: the last span.kind is the kind, the last error tag
// says whether the span failed, the others are attributes.
func (st *starter) tag(key string, value any) {
	switch key {
	case string(ext.SpanKind):
		st.kind = spanKind(value)
	case string(ext.Error):
		b, ok := value.(bool)
		st.failed = ok && b
	case statusDescription:
		if d, ok := value.(string); ok {
			st.failed, st.description = true, d
		}
	default:
		st.attrs = append(st.attrs, tagAttribute(key, value))
	}
}

func (st *starter) reference(r opentracing.SpanReference) {
	if r.ReferencedContext == nil {
		return
	}
	sc, ok := r.ReferencedContext.(*spanContext)
	if !ok {
		st.foreign = true
		return
	}
	st.refs++
	switch {
	case r.Type == opentracing.ChildOfRef && st.child == nil:
		st.child = sc
	case r.Type == opentracing.FollowsFromRef && st.follows == nil:
		st.follows = sc
	}
}

// parent is the span's parent: the first ChildOf reference, else the first
// FollowsFrom one; nil when there is neither.
func (st *starter) parent() *spanContext {
	if st.child != nil {
		return st.child
	}
	return st.follows
}

// links returns the span's links: every reference but a ChildOf one that is
// the parent (so a span that only follows from another is its child and
// links to it, saying how), with the reference's type as the bridge wrote it.
// Most spans have none, and their options are read again only when they do.
func (st *starter) links(opts []opentracing.StartSpanOption) []trace.Link {
	if st.refs == 0 || (st.refs == 1 && st.child != nil) {
		return nil
	}
	var links []trace.Link
	parentSkipped := false
	for _, r := range references(opts) {
		sc, ok := r.ReferencedContext.(*spanContext)
		if !ok {
			continue
		}
		if r.Type == opentracing.ChildOfRef && !parentSkipped {
			parentSkipped = true
			continue
		}
		links = append(links, trace.Link{
			SpanContext: sc.sc,
			Attributes:  []attribute.KeyValue{attribute.String("ot-span-reference-type", referenceType(r.Type))},
		})
	}
	return links
}

// references returns the references among opts.
func references(opts []opentracing.StartSpanOption) []opentracing.SpanReference {
	var sso opentracing.StartSpanOptions
	for _, o := range opts {
		switch o.(type) {
		case opentracing.Tag, *opentracing.Tag, opentracing.Tags, opentracing.StartTime:
		default:
			o.Apply(&sso)
		}
	}
	return sso.References
}

func referenceType(t opentracing.SpanReferenceType) string {
	switch t {
	case opentracing.ChildOfRef:
		return "extra-child-of" // the first is the parent
	case opentracing.FollowsFromRef:
		return "follows-from-ref"
	default:
		return fmt.Sprintf("unknown-%d", int(t))
	}
}

// droppedReference tags a span one of whose references was another tracer's
// span context, which is ignored.
const droppedReference = "traceplug.dropped_reference"

// startSpan starts a span for [Tracer.StartSpan].
func (t *Tracer) startSpan(operationName string, opts []opentracing.StartSpanOption) *span {
	s := &span{tracer: t}
	sc := &spanContext{}
	buf := attrBufs.Get().(*attrBuf)
	st := starter{attrs: buf[:0], kind: trace.SpanKindInternal}
	for _, o := range opts {
		st.option(o)
	}
	if st.foreign {
		st.attrs = append(st.attrs, attribute.Bool(droppedReference, true))
	}
	if parent := st.parent(); parent != nil {
		s.start.parent = parent
		sc.baggage = parent.baggage
	}
	sopts := startOptions[st.kind]
	if links := st.links(opts); len(links) > 0 || !st.start.IsZero() {
		sopts = []trace.SpanStartOption{trace.WithSpanKind(st.kind), trace.WithLinks(links...)}
		if !st.start.IsZero() {
			sopts = append(sopts, trace.WithTimestamp(st.start))
		}
	}
	_, s.otel = t.sdk.Start(s.start.context(), operationName, sopts...)
	s.start.parent = nil // the SDK has read it: it need not outlive its child
	sc.sc = s.otel.SpanContext()
	s.ctx.Store(sc)
	if s.recording = s.otel.IsRecording(); s.recording {
		s.attrs, s.buf = st.attrs, buf
		if rw, ok := s.otel.(sdktrace.ReadWriteSpan); ok {
			s.inCtx = contextSpan{ReadWriteSpan: rw, s: s}
		}
	} else {
		buf.release() // the start's tags are dropped, as the SDK would
	}
	if st.failed {
		s.otel.SetStatus(codes.Error, st.description)
	}
	return s
}

// viewOf is the OpenTracing span for otel, a span that OpenTelemetry code
// started in ctx, whose OpenTracing span (if any) is parent: its baggage is
// the parent's, as the bridge gave it, and over it ctx's OpenTelemetry
// baggage (what OpenTelemetry code set, see [Tracer.ContextBaggage]), and it
// sends its tags to otel at once.
func (t *Tracer) viewOf(otel trace.Span, ctx context.Context) *span {
	s := &span{tracer: t, otel: otel, direct: true, recording: otel.IsRecording()}
	sc := &spanContext{sc: otel.SpanContext()}
	if parent := opentracing.SpanFromContext(ctx); parent != nil {
		switch pc := parent.Context().(type) {
		case *spanContext:
			sc.baggage = pc.baggage
		case nil:
		default:
			var items []propagation.BaggageItem
			pc.ForeachBaggageItem(func(k, v string) bool {
				items = append(items, propagation.BaggageItem{Key: k, Value: v})
				return true
			})
			sc.baggage = validItems(items)
		}
	}
	if items := t.ContextBaggage(ctx); len(items) > 0 {
		sc.baggage = validItems(append(slices.Clone(sc.baggage), items...))
	}
	s.ctx.Store(sc)
	return s
}
