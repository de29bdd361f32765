package console

import (
	"bytes"
	"context"
	"io"
	"maps"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/redact"
	"github.com/traceplug/traceplug/propagation"
)

func init() { core.Register("console", factory) }

func factory(cfg backend.Config) (opentracing.Tracer, func(context.Context) error, error) {
	t, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return t, t.Shutdown, nil
}

// Bounds on what a Tracer holds unprinted.
const (
	maxTraces        = 1000
	maxSpansPerTrace = 1000
)

// Tracer is the console backend's tracer: it prints each finished trace as
// a waterfall. It is safe for concurrent use; call Shutdown (or Close) to
// print what it still holds and to close a file it opened.
type Tracer struct {
	mock        *mock.Tracer // ids, sampling, baggage and propagation
	service     string
	processTags string // rendered once, for each trace's header
	out         io.Writer
	file        *os.File // the endpoint's file, closed by Shutdown; nil otherwise
	counts      backend.SpanCounts

	mu     sync.Mutex
	traces map[traceKey]*trace
	closed bool

	writeMu sync.Mutex // one trace at a time on out
}

var (
	_ opentracing.Tracer        = (*Tracer)(nil)
	_ backend.StatsReporter     = (*Tracer)(nil)
	_ backend.SpanContextCodec  = (*Tracer)(nil)
	_ backend.NativePropagation = (*Tracer)(nil)
)

// New builds a console tracer from cfg, without the registry, printing to
// the output its endpoint names (see the package doc). It fails on a param
// (console has none), an unknown propagation format, or an endpoint that is
// a URL or a file that cannot be opened.
func New(cfg backend.Config) (*Tracer, error) {
	out, file, err := openEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	t, err := newTracer(cfg, out)
	if err != nil {
		if file != nil {
			_ = file.Close()
		}
		return nil, err
	}
	t.file = file
	return t, nil
}

// NewWriter builds a console tracer from cfg, without the registry, that
// prints to w; cfg's endpoint must be empty. Shutdown does not close w.
func NewWriter(w io.Writer, cfg backend.Config) (*Tracer, error) {
	if w == nil {
		return nil, backend.BadOptionf("console: NewWriter: nil writer")
	}
	if cfg.Endpoint != "" {
		return nil, backend.BadOptionf("console: NewWriter: endpoint %q: NewWriter prints to its writer, so the endpoint must be empty", redact.Endpoint(cfg.Endpoint))
	}
	return newTracer(cfg, w)
}

func newTracer(cfg backend.Config, out io.Writer) (*Tracer, error) {
	if err := cfg.CheckParams("console"); err != nil {
		return nil, err
	}
	m, err := mock.New(backend.Config{
		ServiceName:    cfg.ServiceName,
		SampleRate:     cfg.SampleRate,
		Propagation:    cfg.Propagation,
		ServiceNameSet: cfg.ServiceNameSet,
		SampleRateSet:  cfg.SampleRateSet,
	})
	if err != nil {
		return nil, err
	}
	return &Tracer{
		mock:        m,
		service:     cfg.ServiceName,
		processTags: renderTags(cfg.Tags, nil),
		out:         out,
		traces:      map[traceKey]*trace{},
	}, nil
}

// openEndpoint returns the writer the endpoint names, and the file it
// opened, if any.
func openEndpoint(endpoint string) (io.Writer, *os.File, error) {
	switch endpoint {
	case "", "stderr":
		return os.Stderr, nil, nil
	case "stdout":
		return os.Stdout, nil, nil
	}
	if strings.Contains(endpoint, "://") {
		return nil, nil, backend.BadOptionf("console: endpoint %q: want stderr (the default), stdout, or a file's path (still set for another backend?)", redact.Endpoint(endpoint))
	}
	f, err := os.OpenFile(endpoint, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		// The path, shown as an endpoint: one left for another backend
		// ("user:pass@host:port") loses its credentials.
		if pe, ok := err.(*os.PathError); ok {
			return nil, nil, backend.BadOptionf("console: endpoint: %s %s: %w", pe.Op, redact.Endpoint(pe.Path), pe.Err)
		}
		return nil, nil, backend.BadOptionf("console: endpoint: %w", err)
	}
	return f, f, nil
}

// Shutdown prints the spans still held (of traces whose local root has not
// finished), marked incomplete, and closes the endpoint's file, if the
// tracer opened one. Spans that finish afterwards are dropped and counted.
// It returns at once if ctx has ended, counting what it held as unsent.
func (t *Tracer) Shutdown(ctx context.Context) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	var held []*trace
	for _, tr := range t.traces {
		if len(tr.spans) > 0 {
			held = append(held, tr)
		}
	}
	t.traces = nil
	t.mu.Unlock()

	sortTraces(held)
	for _, tr := range held {
		if ctx.Err() != nil {
			t.counts.Dropped(backend.DropShutdown, uint64(len(tr.spans)))
			continue
		}
		t.print(tr.spans, "incomplete: shut down before its root finished")
	}
	t.counts.Settle()
	if t.file != nil {
		return t.file.Close()
	}
	return nil
}

// Close is Shutdown without a deadline.
func (t *Tracer) Close() error { return t.Shutdown(context.Background()) }

// BackendStats implements [backend.StatsReporter]: spans printed count as
// reported.
func (t *Tracer) BackendStats() backend.BackendStats { return t.counts.BackendStats() }

// traceKey is a trace id, all 128 bits.
type traceKey struct{ high, low uint64 }

// trace is what the tracer holds of one trace: its finished spans not yet
// printed, and its open spans.
type trace struct {
	key     traceKey
	first   time.Time           // the earliest start, to print held traces in order
	spans   []record            // finished, not printed
	known   map[uint64]struct{} // ids of its spans started here
	roots   int                 // local roots open
	printed bool
}

// record is a finished span.
type record struct {
	traceHigh, traceLow uint64
	spanID, parentID    uint64
	operation           string
	start, finish       time.Time
	tags                map[string]any
	logs                []opentracing.LogRecord
}

// StartSpan implements [opentracing.Tracer].
func (t *Tracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	inner := t.mock.StartSpan(operationName, opts...)
	sc, _ := inner.Context().(mock.SpanContext)
	s := &span{tracer: t, inner: inner, operation: operationName, start: so.StartTime}
	if s.start.IsZero() {
		s.start = time.Now()
	}
	if len(so.Tags) > 0 {
		s.tags = maps.Clone(so.Tags)
	}
	if !sc.Sampled {
		return s // propagated, never printed
	}
	// The parent is the first reference to a span context of this tracer,
	// as the mock has it.
	for _, ref := range so.References {
		if p, ok := ref.ReferencedContext.(mock.SpanContext); ok && (p.TraceID != 0 || p.TraceIDHigh != 0) {
			s.parentID = p.SpanID
			break
		}
	}
	s.traceHigh, s.traceLow, s.spanID = sc.TraceIDHigh, sc.TraceID, sc.SpanID
	key := traceKey{sc.TraceIDHigh, sc.TraceID}

	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return s // finished after close: dropped then
	}
	tr := t.traces[key]
	if tr == nil {
		if len(t.traces) >= maxTraces {
			s.overflow = true
			return s
		}
		tr = &trace{key: key, first: s.start, known: map[uint64]struct{}{}}
		t.traces[key] = tr
	}
	_, parentHere := tr.known[s.parentID]
	s.trace, s.localRoot = tr, s.parentID == 0 || !parentHere
	tr.known[s.spanID] = struct{}{}
	if s.localRoot {
		tr.roots++
	}
	if s.start.Before(tr.first) {
		tr.first = s.start
	}
	return s
}

// finished takes s's record: it prints s's trace when s is its last open
// local root, or s alone when its trace was printed already.
func (t *Tracer) finished(s *span, rec record) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		t.counts.Dropped(backend.DropClosed, 1)
		return
	}
	t.counts.Handed(1)
	tr := s.trace
	switch {
	case s.overflow:
		t.mu.Unlock()
		t.counts.Dropped(backend.DropQueueFull, 1)
		return
	case tr.printed:
		t.mu.Unlock()
		t.print([]record{rec}, "late: finished after the rest of its trace printed")
		return
	}
	if len(tr.spans) < maxSpansPerTrace {
		tr.spans = append(tr.spans, rec)
	} else {
		t.counts.Dropped(backend.DropQueueFull, 1)
	}
	if s.localRoot {
		tr.roots--
	}
	if tr.roots > 0 {
		t.mu.Unlock()
		return
	}
	tr.printed = true
	if t.traces[tr.key] == tr {
		delete(t.traces, tr.key)
	}
	spans := tr.spans
	tr.spans = nil
	t.mu.Unlock()
	t.print(spans, "")
}

// print writes one trace's waterfall, and counts its spans.
func (t *Tracer) print(spans []record, note string) {
	var b bytes.Buffer
	writeTrace(&b, t.service, t.processTags, spans, note)
	t.writeMu.Lock()
	_, err := t.out.Write(b.Bytes())
	t.writeMu.Unlock()
	if err != nil {
		t.counts.Dropped(backend.DropSend, uint64(len(spans)))
		return
	}
	t.counts.Reported(uint64(len(spans)))
}

// Inject implements [opentracing.Tracer], in the formats of the user's
// propagation list (the mock's).
func (t *Tracer) Inject(sc opentracing.SpanContext, format, carrier any) error {
	return t.mock.Inject(sc, format, carrier)
}

// Extract implements [opentracing.Tracer], in the formats of the user's
// propagation list (the mock's).
func (t *Tracer) Extract(format, carrier any) (opentracing.SpanContext, error) {
	return t.mock.Extract(format, carrier)
}

// ExportSpanContext implements [backend.SpanContextCodec], through the mock.
func (t *Tracer) ExportSpanContext(sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	return t.mock.ExportSpanContext(sc)
}

// ImportSpanContext implements [backend.SpanContextCodec], through the mock.
func (t *Tracer) ImportSpanContext(psc propagation.SpanContext) (opentracing.SpanContext, error) {
	return t.mock.ImportSpanContext(psc)
}

// NativePropagation implements [backend.NativePropagation]: the mock's, W3C
// trace context and baggage.
func (t *Tracer) NativePropagation() string { return t.mock.NativePropagation() }

// span is the console tracer's span. Its context, and so its ids and
// baggage, are those of the mock's span inner, which is never finished: the
// mock keeps nothing, and this span records what it prints.
type span struct {
	tracer    *Tracer
	inner     opentracing.Span
	start     time.Time
	trace     *trace // nil when unsampled, or the tracer held too many traces
	localRoot bool
	overflow  bool

	traceHigh, traceLow, spanID, parentID uint64

	mu        sync.Mutex
	operation string
	tags      map[string]any
	logs      []opentracing.LogRecord
	finished  bool
}

func (s *span) Context() opentracing.SpanContext { return s.inner.Context() }

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
		s.tags = map[string]any{}
	}
	s.tags[key] = value
	s.mu.Unlock()
	return s
}

func (s *span) LogFields(fields ...log.Field) {
	s.log(opentracing.LogRecord{Timestamp: time.Now(), Fields: fields})
}

func (s *span) LogKV(alternatingKeyValues ...any) {
	fields, err := log.InterleavedKVToFields(alternatingKeyValues...)
	if err != nil {
		fields = []log.Field{log.Error(err), log.String("function", "LogKV")}
	}
	s.LogFields(fields...)
}

func (s *span) log(rec opentracing.LogRecord) {
	s.mu.Lock()
	if !s.finished {
		s.logs = append(s.logs, rec)
	}
	s.mu.Unlock()
}

func (s *span) SetBaggageItem(key, val string) opentracing.Span {
	s.inner.SetBaggageItem(key, val)
	return s
}

func (s *span) BaggageItem(key string) string { return s.inner.BaggageItem(key) }

func (s *span) Finish() { s.FinishWithOptions(opentracing.FinishOptions{}) }

func (s *span) FinishWithOptions(opts opentracing.FinishOptions) {
	end := opts.FinishTime
	if end.IsZero() {
		end = time.Now()
	}
	for _, rec := range opts.LogRecords {
		s.log(rec)
	}
	for _, bulk := range opts.BulkLogData {
		s.log(bulk.ToLogRecord())
	}
	s.mu.Lock()
	if s.finished || s.spanID == 0 { // finished twice, or unsampled
		s.finished = true
		s.mu.Unlock()
		return
	}
	s.finished = true
	rec := record{
		traceHigh: s.traceHigh, traceLow: s.traceLow,
		spanID: s.spanID, parentID: s.parentID,
		operation: s.operation,
		start:     s.start, finish: end,
		tags: s.tags, logs: s.logs,
	}
	s.mu.Unlock()
	s.tracer.finished(s, rec)
}

// Deprecated: use LogFields or LogKV.
func (s *span) LogEvent(event string) { s.LogFields(log.String("event", event)) }

// Deprecated: use LogFields or LogKV.
func (s *span) LogEventWithPayload(event string, payload any) {
	s.LogFields(log.String("event", event), log.Object("payload", payload))
}

// Deprecated: use LogFields or LogKV.
func (s *span) Log(data opentracing.LogData) { s.log(data.ToLogRecord()) }
