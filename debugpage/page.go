package debugpage

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/core"
)

// Page records the spans of one [core.Tracer] and serves them as a debug
// page ([Page.Handler]). Give it to the Tracer with [core.WithRecorder] when
// the Tracer is built; it implements [core.Recorder]. Its memory is fixed by
// its options, whatever the traffic. It is safe for concurrent use.
type Page struct {
	cfg     config
	created time.Time

	// mu guards what follows. Recording a span holds it once, for some
	// 30 ns; drawing the page, once per operation and once for the ring.
	// One lock costs a span less than one per operation and one for the
	// ring, and is contended only at millions of spans per second.
	mu     sync.Mutex
	ops    opTable
	nops   int
	other  *operation            // spans beyond WithMaxOperations; nil until then
	cache  [cacheSize]*operation // operations by a cheap hash of their key
	recent []recent              // the ring of the latest spans
	next   int                   // the place of the next span in recent
	full   bool                  // every place of recent holds a span
}

// recent is a span of the ring of the latest spans.
type recent struct {
	s   core.FinishedSpan
	end int64 // unix seconds
}

var _ core.Recorder = (*Page)(nil)

// An Option configures a [Page]; pass options to [New].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	traceURL    string
	maxOps      int
	slowest     int
	failed      int
	recentSpans int
	traces      int
}

// Defaults of the options.
const (
	DefaultMaxOperations = 100
	DefaultSlowest       = 5
	DefaultFailed        = 5
	DefaultRecentSpans   = 256
	DefaultTraces        = 10
)

// WithTraceURL links each trace id on the page to the trace in the
// backend's UI: template is a URL with "{trace_id}" (or "{span_id}") where
// the id goes, such as
//
//	http://localhost:16686/trace/{trace_id}             (Jaeger)
//	http://localhost:9411/zipkin/traces/{trace_id}      (Zipkin)
//	https://app.lightstep.com/PROJECT/trace?span_guid={span_id} (Lightstep)
//
// A template without either, or that is not an http or https URL or a path,
// is an error from [New].
func WithTraceURL(template string) Option {
	return optionFunc(func(c *config) { c.traceURL = template })
}

// WithMaxOperations caps the operations (span names, by kind) the page
// keeps statistics for, [DefaultMaxOperations] by default; spans of
// operations beyond are counted together, as "(other operations)". Each
// operation takes about 9 KB. n <= 0 leaves the default.
func WithMaxOperations(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxOps = n
		}
	})
}

// WithSlowest sets how many of its slowest spans of the last hour the page
// keeps per operation, [DefaultSlowest] by default. n <= 0 leaves it.
func WithSlowest(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.slowest = n
		}
	})
}

// WithFailed sets how many of its latest failed spans the page keeps per
// operation, [DefaultFailed] by default. n <= 0 leaves it.
func WithFailed(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.failed = n
		}
	})
}

// WithRecentSpans sets how many of the latest spans, of every operation,
// the page keeps to draw recent traces from, [DefaultRecentSpans] by
// default. n <= 0 leaves it.
func WithRecentSpans(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.recentSpans = n
		}
	})
}

// WithTraces sets how many recent traces the page draws, at most,
// [DefaultTraces] by default. n <= 0 leaves it.
func WithTraces(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.traces = n
		}
	})
}

// New returns a Page configured by opts, recording nothing until it is
// given to a Tracer with [core.WithRecorder]. Its only error is a bad
// [WithTraceURL] template.
func New(opts ...Option) (*Page, error) {
	c := config{
		maxOps:      DefaultMaxOperations,
		slowest:     DefaultSlowest,
		failed:      DefaultFailed,
		recentSpans: DefaultRecentSpans,
		traces:      DefaultTraces,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if err := checkTraceURL(c.traceURL); err != nil {
		return nil, err
	}
	return &Page{cfg: c, created: time.Now(), recent: make([]recent, c.recentSpans)}, nil
}

func checkTraceURL(t string) error {
	if t == "" {
		return nil
	}
	if !strings.Contains(t, "{trace_id}") && !strings.Contains(t, "{span_id}") {
		return errors.New("debugpage: WithTraceURL(" + fmt.Sprintf("%q", t) + "): the template must hold {trace_id} or {span_id}")
	}
	u, err := url.Parse(t)
	if err != nil {
		return fmt.Errorf("debugpage: WithTraceURL(%q): %w", t, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" && (u.Scheme != "" || !strings.HasPrefix(t, "/")) {
		return fmt.Errorf("debugpage: WithTraceURL(%q): want an http or https URL, or a path", t)
	}
	return nil
}

// opKey names an operation: a span name, per kind.
type opKey struct {
	kind core.SpanKind
	name string
}

// cacheSize is the number of places of the cache of operations: a
// direct-mapped cache in front of the maps, cheaper than a map lookup
// (which hashes the whole name).
const cacheSize = 64

// cacheIndex hashes an operation's kind, length and a few bytes of its
// name: names of the same length usually differ at one of them ("GET
// /a/{id}", "PUT /a/{id}").
func cacheIndex(kind core.SpanKind, name string) int {
	h := uint(len(name))*31 + uint(kind)
	if n := len(name); n > 0 {
		h = h*131 + uint(name[n-1])
		h = h*131 + uint(name[n/2])
		h = h*131 + uint(name[0])
	}
	return int(h % cacheSize)
}

// opTable holds the operations by kind and name: a map per kind, keyed by
// string, is faster to look up than one keyed by both.
type opTable [kinds]map[string]*operation

// otherOps names the operation that counts spans beyond WithMaxOperations.
const otherOps = "(other operations)"

// operation is what the page keeps of one operation's spans.
type operation struct {
	key   opKey
	other bool // otherOps: spans of any kind

	// Guarded by Page.mu.
	count, errors uint64
	minute        [minuteBins]bin
	hour          [hourBins]bin
	slowest       []entry // at most cfg.slowest, in no order
	// A span no slower than slowFloor, ending before slowExpiry, cannot
	// enter slowest (once full): the fastest kept is that fast, and none
	// kept leaves the hour before then.
	slowFloor  time.Duration
	slowExpiry int64
	failed     []entry // a ring of cfg.failed
	failedNext int
	byKind     [kinds]uint64 // for otherOps: the counts by kind
}

// kinds is how many core.SpanKind values there are.
const kinds = int(core.KindConsumer) + 1

// The windows: the last minute in steps of 10 seconds, the last hour in
// steps of 5 minutes.
const (
	minuteStep = 10  // seconds
	minuteBins = 6   // steps in the minute window
	hourStep   = 300 // seconds
	hourBins   = 12  // steps in the hour window

	stepsPerHourBin = hourStep / minuteStep // minute steps in an hour step
)

// entry is a span kept whole: one of the slowest or failed of an operation,
// or a recent one. The span is kept for its ids, computed only when the
// page is drawn.
type entry struct {
	span     opentracing.Span
	parent   opentracing.SpanContext
	op       string
	kind     core.SpanKind
	url      string
	start    time.Time
	end      int64 // unix seconds
	duration time.Duration
	status   int
	err      bool
}

func entryOf(s core.FinishedSpan, end int64) entry {
	return entry{span: s.Span, parent: s.Parent, op: s.Operation, kind: s.Kind, url: s.URL,
		start: s.End.Add(-s.Duration), end: end, duration: s.Duration, status: s.Status, err: s.Error}
}

// RecordSpan implements [core.Recorder]: the Tracer calls it as each span
// finishes. It holds the page's lock for a few tens of nanoseconds, and
// allocates nothing but for an operation's first span.
func (p *Page) RecordSpan(s core.FinishedSpan) {
	end := s.End.Unix()
	p.mu.Lock()
	p.operation(s.Kind, s.Operation).add(s, end, &p.cfg)
	p.recent[p.next] = recent{s, end}
	if p.next++; p.next == len(p.recent) { // no division: a ring index wraps
		p.next, p.full = 0, true
	}
	p.mu.Unlock()
}

// operation returns the statistics of the operation named name, of kind,
// making them if there is room. The caller holds p.mu.
func (p *Page) operation(kind core.SpanKind, name string) *operation {
	if int(kind) >= kinds {
		kind = core.KindInternal
	}
	c := &p.cache[cacheIndex(kind, name)]
	if op := *c; op != nil && op.key.kind == kind && op.key.name == name {
		return op
	}
	op, ok := p.ops[kind][name]
	switch {
	case ok:
	case p.nops < p.cfg.maxOps:
		if p.ops[kind] == nil {
			p.ops[kind] = map[string]*operation{}
		}
		op = p.newOperation(opKey{kind, name}, false)
		p.ops[kind][name] = op
		p.nops++
	default:
		if p.other == nil {
			p.other = p.newOperation(opKey{name: otherOps}, true)
		}
		return p.other // not cached: names beyond the cap are many
	}
	*c = op
	return op
}

func (p *Page) newOperation(k opKey, other bool) *operation {
	return &operation{
		key:     k,
		other:   other,
		slowest: make([]entry, 0, p.cfg.slowest),
		failed:  make([]entry, 0, p.cfg.failed),
	}
}

// fold moves the counts of x, a minute bin whose step is over, into the
// bin of its hour step, if that is still in the window. The caller holds
// Page.mu.
func (op *operation) fold(x *bin) {
	if x.count == 0 {
		return
	}
	h := x.epoch / stepsPerHourBin
	y := &op.hour[h%hourBins]
	switch {
	case h < y.epoch:
		return
	case h > y.epoch:
		*y = bin{epoch: h}
	}
	y.count += x.count
	y.errors += x.errors
	y.sum += x.sum
	y.max = max(y.max, x.max)
	for i, n := range x.hist {
		y.hist[i] += n
	}
}

// keepSlow keeps s among the slowest if it is one. The caller holds Page.mu.
func (op *operation) keepSlow(s core.FinishedSpan, end int64, n int) {
	const hour = hourStep * hourBins
	if len(op.slowest) < n {
		op.slowest = append(op.slowest, entryOf(s, end))
	} else {
		low := 0
		for i := range op.slowest {
			if op.slowest[i].end <= end-hour {
				low = i
				break
			}
			if op.slowest[i].duration < op.slowest[low].duration {
				low = i
			}
		}
		if x := &op.slowest[low]; x.end <= end-hour || x.duration < s.Duration {
			*x = entryOf(s, end)
		}
	}
	if len(op.slowest) < n {
		return // room for any
	}
	op.slowFloor, op.slowExpiry = op.slowest[0].duration, op.slowest[0].end+hour
	for _, e := range op.slowest[1:] {
		op.slowFloor = min(op.slowFloor, e.duration)
		op.slowExpiry = min(op.slowExpiry, e.end+hour)
	}
}

// add counts s, which ended at end (unix seconds). The caller holds Page.mu.
func (op *operation) add(s core.FinishedSpan, end int64, c *config) {
	op.count++
	if s.Error {
		op.errors++
	}
	if op.other && int(s.Kind) < kinds {
		op.byKind[s.Kind]++
	}
	// Only the minute's bin is written: a minute bin's counts move to its
	// hour's bin when a later step takes the bin (see fold), and the hour's
	// window adds the minute bins not yet moved.
	b := bucket(s.Duration)
	m := end / minuteStep
	if x := &op.minute[m%minuteBins]; m < x.epoch { // late: the bin went on
		h := m / stepsPerHourBin
		op.hour[h%hourBins].add(h, s.Duration, b, s.Error)
	} else {
		if m > x.epoch {
			op.fold(x)
		}
		x.add(m, s.Duration, b, s.Error)
	}

	// The slowest of the last hour: replace one that is out of the hour,
	// else the fastest, if s is slower.
	if s.Duration > op.slowFloor || end >= op.slowExpiry {
		op.keepSlow(s, end, c.slowest)
	}
	if s.Error {
		if len(op.failed) < c.failed {
			op.failed = append(op.failed, entryOf(s, end))
		} else {
			op.failed[op.failedNext] = entryOf(s, end)
		}
		op.failedNext = (op.failedNext + 1) % c.failed
	}
}
