package mock

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/core"
)

func init() { core.Register("mock", factory) }

func factory(cfg backend.Config) (opentracing.Tracer, func(context.Context) error, error) {
	t, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return t, nil, nil
}

// Tracer is an in-memory OpenTracing tracer. It is safe for concurrent use.
type Tracer struct {
	service    string
	tags       map[string]string
	sampleRate float64
	propagator *backend.Propagator
	collector  *Collector

	mu             sync.Mutex
	finished       []Span // a ring of at most maxSpans, oldest at head once full
	head           int
	maxSpans       int
	evicted        uint64
	doubleFinishes int
	reported       atomic.Uint64
}

// DefaultMaxSpans is how many finished spans a mock tracer keeps by default
// (the max_spans param): the newest; older ones are evicted and counted
// ([Tracer.Evicted]). A program that names the mock by mistake in
// production (TRACEPLUG_BACKEND=mock) so holds a few megabytes, not every
// span it ever made.
const DefaultMaxSpans = 10000

var _ opentracing.Tracer = (*Tracer)(nil)

// New builds a mock tracer from cfg, without the registry. It fails when the
// endpoint names no live [Collector], the propagation format is unknown, or a
// param is set (mock has none).
func New(cfg backend.Config) (*Tracer, error) {
	if err := cfg.CheckParams("mock", "max_spans"); err != nil {
		return nil, err
	}
	p := cfg.Reader("mock")
	t := &Tracer{service: cfg.ServiceName, tags: maps.Clone(cfg.Tags), sampleRate: cfg.SampleRate,
		maxSpans: p.Positive("max_spans", DefaultMaxSpans)}
	if err := p.Err(); err != nil {
		return nil, err
	}
	var err error
	if t.propagator, err = backend.NewPropagator(cfg, t); err != nil {
		return nil, err
	}
	if cfg.Endpoint != "" {
		if t.collector, err = lookupCollector(cfg.Endpoint); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Span is a finished span as the mock tracer recorded it.
type Span struct {
	// TraceIDHigh is the upper half of a 128-bit trace id, 0 for a 64-bit one.
	TraceIDHigh uint64
	TraceID     uint64
	SpanID      uint64
	ParentID    uint64 // 0 for a root span
	// Sampled is whether the span's trace is sampled; only sampled spans are
	// recorded, so it is always true in recorded spans.
	Sampled   bool
	Operation string
	Service   string
	// ProcessTags are the tracer's process-level tags.
	ProcessTags map[string]string
	Tags        map[string]any
	Logs        []Log
	Baggage     map[string]string
	Start       time.Time
	Finish      time.Time
	// References are the span's references at its start to span contexts
	// of the mock, in order: the first is its parent (or, with no span id,
	// the new trace it is a root of); the others are links (a public
	// endpoint's FollowsFrom its caller, say).
	References []Reference
	// IgnoredReferences counts references to span contexts of other tracers
	// (or nil ones), which the mock ignores.
	IgnoredReferences int
}

// Reference is a reference a span started with, to a span context of the
// mock.
type Reference struct {
	Type                 opentracing.SpanReferenceType
	TraceIDHigh, TraceID uint64
	SpanID               uint64 // 0 for a new trace core decided
	Baggage              map[string]string
}

// TraceIDHex returns the span's trace id in lower-case hex as traceplug
// writes it in logs and headers: 32 digits for a 128-bit id, else 16.
func (s Span) TraceIDHex() string {
	if s.TraceIDHigh != 0 {
		return fmt.Sprintf("%016x%016x", s.TraceIDHigh, s.TraceID)
	}
	return fmt.Sprintf("%016x", s.TraceID)
}

// Log is a span's timestamped log record.
type Log struct {
	Time   time.Time
	Fields map[string]any
}

// Duration is how long the span lasted.
func (s Span) Duration() time.Duration { return s.Finish.Sub(s.Start) }

func (s Span) clone() Span {
	s.ProcessTags = maps.Clone(s.ProcessTags)
	s.Tags = maps.Clone(s.Tags)
	s.Baggage = maps.Clone(s.Baggage)
	logs := make([]Log, len(s.Logs))
	for i, l := range s.Logs {
		logs[i] = Log{Time: l.Time, Fields: maps.Clone(l.Fields)}
	}
	s.Logs = logs
	return s
}

// FinishedSpans returns copies of the spans finished so far, in finishing
// order: the newest max_spans of them ([DefaultMaxSpans] by default).
func (t *Tracer) FinishedSpans() []Span {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Span, 0, len(t.finished))
	for _, s := range t.finished[t.head:] {
		out = append(out, s.clone())
	}
	for _, s := range t.finished[:t.head] {
		out = append(out, s.clone())
	}
	return out
}

// Evicted counts the finished spans dropped from memory to keep the newest
// max_spans ([DefaultMaxSpans] by default); they still count as reported.
func (t *Tracer) Evicted() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.evicted
}

// DoubleFinishes counts the calls to Finish on spans already finished. Such
// spans are recorded once; a count above zero shows a bug in the caller.
func (t *Tracer) DoubleFinishes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.doubleFinishes
}

// BackendStats implements [backend.StatsReporter]: every sampled span is
// recorded, so every one counts as reported.
func (t *Tracer) BackendStats() backend.BackendStats {
	return backend.BackendStats{Reported: t.reported.Load()}
}

// Reset forgets the finished spans and the double-finish and eviction counts.
func (t *Tracer) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.finished, t.head, t.evicted = nil, 0, 0
	t.doubleFinishes = 0
}

// SpanContext is the mock tracer's span context. It is immutable.
type SpanContext struct {
	// TraceIDHigh is the upper half of a 128-bit trace id (continued from a
	// peer: the mock starts 64-bit traces), 0 for a 64-bit one.
	TraceIDHigh uint64
	TraceID     uint64
	SpanID      uint64
	Sampled     bool
	// Random is W3C's random trace-id flag the trace arrived with, passed
	// on (the mock's own trace ids are not said to be random).
	Random bool
	// TraceState is the W3C tracestate the trace arrived with, passed on.
	TraceState string
	baggage    map[string]string
}

var _ opentracing.SpanContext = SpanContext{}

// ForeachBaggageItem implements [opentracing.SpanContext].
func (c SpanContext) ForeachBaggageItem(handler func(k, v string) bool) {
	for k, v := range c.baggage {
		if !handler(k, v) {
			return
		}
	}
}

func (c SpanContext) withBaggage(k, v string) SpanContext {
	b := make(map[string]string, len(c.baggage)+1)
	maps.Copy(b, c.baggage)
	b[k] = v
	c.baggage = b
	return c
}

// StartSpan implements [opentracing.Tracer].
func (t *Tracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	s := &span{tracer: t, operation: operationName, start: so.StartTime}
	if s.start.IsZero() {
		s.start = time.Now()
	}
	for _, ref := range so.References {
		parent, ok := ref.ReferencedContext.(SpanContext)
		if !ok || parent.TraceID == 0 && parent.TraceIDHigh == 0 {
			s.ignoredRefs++
			continue
		}
		s.refs = append(s.refs, Reference{Type: ref.Type, TraceIDHigh: parent.TraceIDHigh, TraceID: parent.TraceID,
			SpanID: parent.SpanID, Baggage: maps.Clone(parent.baggage)})
		if s.parentID == 0 && !s.newTrace { // the first valid reference is the parent
			s.ctx = SpanContext{TraceIDHigh: parent.TraceIDHigh, TraceID: parent.TraceID, Sampled: parent.Sampled,
				Random: parent.Random, TraceState: parent.TraceState, baggage: parent.baggage}
			s.parentID = parent.SpanID
			s.newTrace = parent.SpanID == 0 // a new trace core decided: a root of it
		}
	}
	if s.parentID == 0 && !s.newTrace {
		s.ctx.TraceID = newID()
		s.ctx.Sampled = t.sample()
	}
	s.ctx.SpanID = newID()
	if len(so.Tags) > 0 {
		s.tags = maps.Clone(so.Tags)
	}
	return s
}

// sample makes a new trace's sampling decision.
func (t *Tracer) sample() bool {
	return t.sampleRate >= 1 || (t.sampleRate > 0 && rand.Float64() < t.sampleRate)
}

func newID() uint64 {
	for {
		if id := rand.Uint64(); id != 0 {
			return id
		}
	}
}

// record stores a finished span, once.
func (t *Tracer) record(s Span, again bool) {
	t.mu.Lock()
	if again {
		t.doubleFinishes++
		t.mu.Unlock()
		return
	}
	if s.Sampled {
		if len(t.finished) < t.maxSpans || t.maxSpans == 0 {
			t.finished = append(t.finished, s)
		} else {
			t.finished[t.head] = s
			t.head = (t.head + 1) % len(t.finished)
			t.evicted++
		}
		t.reported.Add(1)
	}
	t.mu.Unlock()
	if s.Sampled && t.collector != nil {
		t.collector.add(s.clone())
	}
}

// span is the mock tracer's span.
type span struct {
	tracer      *Tracer
	parentID    uint64
	newTrace    bool // a root of a trace core decided (see ImportSpanContext)
	start       time.Time
	ignoredRefs int
	refs        []Reference

	mu        sync.Mutex
	ctx       SpanContext
	operation string
	tags      map[string]any
	logs      []Log
	finished  bool
}

func (s *span) Context() opentracing.SpanContext {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx
}

func (s *span) Tracer() opentracing.Tracer { return s.tracer }

func (s *span) SetOperationName(name string) opentracing.Span {
	s.mu.Lock()
	s.operation = name
	s.mu.Unlock()
	return s
}

func (s *span) SetTag(key string, value any) opentracing.Span {
	s.mu.Lock()
	if s.tags == nil {
		s.tags = make(map[string]any)
	}
	s.tags[key] = value
	s.mu.Unlock()
	return s
}

func (s *span) LogFields(fields ...log.Field) {
	s.log(time.Now(), fields)
}

func (s *span) log(at time.Time, fields []log.Field) {
	m := make(map[string]any, len(fields))
	for _, f := range fields {
		m[f.Key()] = f.Value()
	}
	s.mu.Lock()
	s.logs = append(s.logs, Log{Time: at, Fields: m})
	s.mu.Unlock()
}

func (s *span) LogKV(alternatingKeyValues ...any) {
	fields, err := log.InterleavedKVToFields(alternatingKeyValues...)
	if err != nil {
		fields = []log.Field{log.Error(err), log.String("function", "LogKV")}
	}
	s.LogFields(fields...)
}

func (s *span) SetBaggageItem(key, val string) opentracing.Span {
	s.mu.Lock()
	s.ctx = s.ctx.withBaggage(key, val)
	s.mu.Unlock()
	return s
}

func (s *span) BaggageItem(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx.baggage[key]
}

func (s *span) Finish() { s.FinishWithOptions(opentracing.FinishOptions{}) }

func (s *span) FinishWithOptions(opts opentracing.FinishOptions) {
	end := opts.FinishTime
	if end.IsZero() {
		end = time.Now()
	}
	for _, rec := range opts.LogRecords {
		s.log(rec.Timestamp, rec.Fields)
	}
	for _, bulk := range opts.BulkLogData {
		rec := bulk.ToLogRecord()
		s.log(rec.Timestamp, rec.Fields)
	}
	s.mu.Lock()
	again := s.finished
	s.finished = true
	rec := Span{
		TraceIDHigh:       s.ctx.TraceIDHigh,
		TraceID:           s.ctx.TraceID,
		SpanID:            s.ctx.SpanID,
		ParentID:          s.parentID,
		Sampled:           s.ctx.Sampled,
		Operation:         s.operation,
		Service:           s.tracer.service,
		ProcessTags:       maps.Clone(s.tracer.tags),
		Tags:              maps.Clone(s.tags),
		Logs:              s.logs,
		Baggage:           maps.Clone(s.ctx.baggage),
		Start:             s.start,
		Finish:            end,
		References:        s.refs,
		IgnoredReferences: s.ignoredRefs,
	}
	s.logs = append([]Log(nil), s.logs...) // the record owns the old slice
	s.mu.Unlock()
	s.tracer.record(rec, again)
}

// Deprecated: use LogFields or LogKV.
func (s *span) LogEvent(event string) { s.LogFields(log.String("event", event)) }

// Deprecated: use LogFields or LogKV.
func (s *span) LogEventWithPayload(event string, payload any) {
	s.LogFields(log.String("event", event), log.Object("payload", payload))
}

// Deprecated: use LogFields or LogKV.
func (s *span) Log(data opentracing.LogData) {
	rec := data.ToLogRecord()
	s.log(rec.Timestamp, rec.Fields)
}

// String is for debugging.
func (c SpanContext) String() string {
	if c.TraceIDHigh != 0 {
		return fmt.Sprintf("%016x%016x:%016x:%t", c.TraceIDHigh, c.TraceID, c.SpanID, c.Sampled)
	}
	return fmt.Sprintf("%016x:%016x:%t", c.TraceID, c.SpanID, c.Sampled)
}
