package debugpage

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/core"
)

// This file takes a snapshot of what the page shows: the data of both the
// HTML page and its JSON form. Every string in it is a span's name, a
// value the Tracer already redacted (URLs, the endpoint), an id, the
// page's own, or what the Tracer says of its sampling (sampling.go).

type snapshot struct {
	Generated time.Time    `json:"generated"`
	Since     time.Time    `json:"recording_since"`
	Settings  settingsView `json:"settings"`
	Stats     statsView    `json:"stats"`
	Recorded  recordedView `json:"recorded"`
	Ops       []opView     `json:"operations"`
	Traces    []traceView  `json:"traces"`
	Limits    limitsView   `json:"limits"`
	NoIDs     int          `json:"recent_spans_without_ids,omitempty"`
}

type settingsView struct {
	Backend     string  `json:"backend"`
	Wrapped     string  `json:"wrapped_tracer,omitempty"` // the type of a tracer given to core.Wrap
	ServiceName string  `json:"service_name"`
	Endpoint    string  `json:"endpoint"`
	SampleRate  float64 `json:"sample_rate"`
	TraceAll    bool    `json:"trace_all"`
	Propagation string  `json:"propagation"`
	// PublicEndpoint is "all", "by function", or "" (callers' traces are
	// continued): core.Settings.PublicEndpoint.
	PublicEndpoint string `json:"public_endpoint,omitempty"`
	TraceURL       string `json:"trace_url,omitempty"`
	Recording      bool   `json:"recording"` // the Tracer has a Recorder
}

type statsView struct {
	Started        uint64            `json:"started"`
	Finished       uint64            `json:"finished"`
	Reported       uint64            `json:"reported"`
	Dropped        uint64            `json:"dropped"`
	DroppedBy      map[string]uint64 `json:"dropped_by"`
	Pending        uint64            `json:"pending"`
	BaggageDropped uint64            `json:"baggage_dropped"`
	CallbackPanics uint64            `json:"callback_panics"`
	Sampling       samplingView      `json:"sampling"`
}

// recordedView counts the spans the page recorded, by kind: server and
// client spans are those Stats counts as finished.
type recordedView struct {
	Server   uint64 `json:"server"`
	Client   uint64 `json:"client"`
	Internal uint64 `json:"other"` // spans started through the Tracer
}

type limitsView struct {
	MaxOperations int `json:"max_operations"`
	Slowest       int `json:"slowest_per_operation"`
	Failed        int `json:"failed_per_operation"`
	RecentSpans   int `json:"recent_spans"`
	Traces        int `json:"traces"`
	SamplingRows  int `json:"sampling_operations_shown"`
}

type opView struct {
	Kind      string        `json:"kind"`
	Name      string        `json:"name"`
	Requests  uint64        `json:"requests"`
	Errors    uint64        `json:"errors"`
	Minute    windowView    `json:"last_minute"`
	Hour      windowView    `json:"last_hour"`
	Histogram []bar         `json:"histogram_last_hour"`
	Slowest   []requestView `json:"slowest"`
	Failed    []requestView `json:"failed"`
	Max       uint64        `json:"-"` // the histogram's tallest bar
	HistFrom  time.Duration `json:"-"` // where the histogram starts
	HistTo    time.Duration `json:"-"` // and ends
}

type windowView struct {
	Requests uint64        `json:"requests"`
	Errors   uint64        `json:"errors"`
	P50      time.Duration `json:"p50_ns"`
	P90      time.Duration `json:"p90_ns"`
	P99      time.Duration `json:"p99_ns"`
	Max      time.Duration `json:"max_ns"`
}

type requestView struct {
	TraceID  string        `json:"trace_id,omitempty"`
	SpanID   string        `json:"span_id,omitempty"`
	Link     string        `json:"trace_url,omitempty"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
	Status   int           `json:"status,omitempty"`
	Error    bool          `json:"error"`
	URL      string        `json:"url,omitempty"`
	Shown    bool          `json:"-"` // the trace is drawn on the page
}

type traceView struct {
	TraceID  string        `json:"trace_id"`
	Link     string        `json:"trace_url,omitempty"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
	Errors   int           `json:"errors"`
	Spans    []spanView    `json:"spans"`
}

type spanView struct {
	SpanID    string        `json:"span_id"`
	ParentID  string        `json:"parent_id,omitempty"`
	Depth     int           `json:"depth"`
	Operation string        `json:"operation"`
	Kind      string        `json:"kind"`
	Offset    time.Duration `json:"offset_ns"`
	Duration  time.Duration `json:"duration_ns"`
	Status    int           `json:"status,omitempty"`
	Error     bool          `json:"error"`
	URL       string        `json:"url,omitempty"`
}

// snapshot takes what the page shows, with t's Stats and settings, now.
func (p *Page) snapshot(t *core.Tracer) *snapshot {
	now := time.Now()
	set := t.Settings()
	s := &snapshot{
		Generated: now,
		Since:     p.created,
		Settings: settingsView{
			Backend:        set.Backend,
			ServiceName:    set.ServiceName,
			Endpoint:       set.Endpoint,
			SampleRate:     set.SampleRate,
			TraceAll:       set.TraceAll,
			Propagation:    set.Propagation,
			PublicEndpoint: set.PublicEndpoint,
			TraceURL:       p.cfg.traceURL,
			Recording:      set.Recorder,
		},
		Limits: limitsView{
			MaxOperations: p.cfg.maxOps, Slowest: p.cfg.slowest, Failed: p.cfg.failed,
			RecentSpans: p.cfg.recentSpans, Traces: p.cfg.traces, SamplingRows: samplingRows,
		},
	}
	if set.Backend == "" {
		s.Settings.Wrapped = fmt.Sprintf("%T", t.Unwrap())
	}

	var ops []*operation
	p.mu.Lock()
	for _, m := range p.ops {
		ops = slices.AppendSeq(ops, maps.Values(m))
	}
	if p.other != nil {
		ops = append(ops, p.other)
	}
	p.mu.Unlock()
	sec := now.Unix()
	for _, op := range ops {
		v, byKind := p.opView(t, op, sec)
		if op.other {
			s.Recorded.Server += byKind[core.KindServer]
			s.Recorded.Client += byKind[core.KindClient]
			s.Recorded.Internal += byKind[core.KindInternal] + byKind[core.KindProducer] + byKind[core.KindConsumer]
		} else {
			switch op.key.kind {
			case core.KindServer:
				s.Recorded.Server += v.Requests
			case core.KindClient:
				s.Recorded.Client += v.Requests
			default:
				s.Recorded.Internal += v.Requests
			}
		}
		s.Ops = append(s.Ops, v)
	}
	// Stats after the operations: a span is counted as finished before it
	// is recorded, so the page never shows more recorded than finished.
	st := t.Stats()
	s.Stats = statsView{
		Started: st.Started, Finished: st.Finished, Reported: st.Reported, Dropped: st.Dropped,
		DroppedBy: st.DroppedBy, Pending: st.Pending, BaggageDropped: st.BaggageDropped,
		CallbackPanics: st.CallbackPanics, Sampling: samplingOf(st.Sampling, now),
	}
	slices.SortFunc(s.Ops, func(a, b opView) int {
		return cmp.Or(cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)), strings.Compare(a.Name, b.Name))
	})
	s.Traces, s.NoIDs = p.traces(t)
	shown := map[string]bool{}
	for _, tr := range s.Traces {
		shown[tr.TraceID] = true
	}
	for i := range s.Ops {
		for _, list := range [][]requestView{s.Ops[i].Slowest, s.Ops[i].Failed} {
			for j := range list {
				list[j].Shown = shown[list[j].TraceID]
			}
		}
	}
	return s
}

func kindOrder(k string) int {
	switch k {
	case "server":
		return 0
	case "client":
		return 1
	case "any":
		return 9
	}
	return 2
}

// opView copies op's statistics and entries under the page's lock, then
// computes what the page shows: percentiles, the histogram, the entries'
// ids. It returns the counts by kind of the other operations too.
func (p *Page) opView(t *core.Tracer, op *operation, now int64) (opView, [kinds]uint64) {
	var minute, hour window
	p.mu.Lock()
	byKind := op.byKind
	v := opView{Kind: op.key.kind.String(), Name: op.key.name, Requests: op.count, Errors: op.errors}
	minute.merge(op.minute[:], now/minuteStep-minuteBins, now/minuteStep)
	hour.merge(op.hour[:], now/hourStep-hourBins, now/hourStep)
	// and the minute bins whose counts have not moved to their hour's bin
	// yet (see operation.add), those of the hour steps in the window.
	hour.merge(op.minute[:], (now/hourStep-hourBins+1)*stepsPerHourBin-1, (now/hourStep+1)*stepsPerHourBin-1)
	slowest := slices.Clone(op.slowest)
	failed := make([]entry, 0, len(op.failed))
	for i := range op.failed { // latest first
		failed = append(failed, op.failed[(op.failedNext-1-i+2*len(op.failed))%len(op.failed)])
	}
	p.mu.Unlock()

	if op.other {
		v.Kind = "any"
	}
	v.Minute, v.Hour = windowOf(&minute), windowOf(&hour)
	v.Histogram = hour.bars()
	for _, b := range v.Histogram {
		v.Max = max(v.Max, b.Count)
	}
	if n := len(v.Histogram); n > 0 {
		v.HistFrom, v.HistTo = v.Histogram[0].Lo, v.Histogram[n-1].Hi
		if v.HistTo > 1<<(maxExp+1) { // the open-ended top bucket: up to the longest
			v.HistTo = hour.max
		}
	}
	slices.SortFunc(slowest, func(a, b entry) int { return cmp.Compare(b.duration, a.duration) })
	for _, e := range slowest {
		if e.end > now-hourStep*hourBins {
			v.Slowest = append(v.Slowest, p.requestView(t, e))
		}
	}
	for _, e := range failed {
		v.Failed = append(v.Failed, p.requestView(t, e))
	}
	return v, byKind
}

func windowOf(w *window) windowView {
	return windowView{
		Requests: w.count, Errors: w.errors,
		P50: w.quantile(0.5), P90: w.quantile(0.9), P99: w.quantile(0.99), Max: w.max,
	}
}

// requestView is e with its ids, computed now.
func (p *Page) requestView(t *core.Tracer, e entry) requestView {
	r := requestView{Start: e.start, Duration: e.duration, Status: e.status, Error: e.err, URL: e.url}
	r.TraceID, r.SpanID = ids(t, e.span)
	r.Link = p.link(r.TraceID, r.SpanID)
	return r
}

func ids(t *core.Tracer, span opentracing.Span) (traceID, spanID string) {
	if span == nil {
		return "", ""
	}
	traceID, spanID, _ = t.SpanContextIDs(span.Context())
	return traceID, spanID
}

// link is the trace's URL in the backend's UI, or "".
func (p *Page) link(traceID, spanID string) string {
	if p.cfg.traceURL == "" || traceID == "" {
		return ""
	}
	return strings.NewReplacer("{trace_id}", traceID, "{span_id}", spanID).Replace(p.cfg.traceURL)
}

// traces draws the latest traces of the ring of recent spans, latest first,
// and counts the spans whose ids the backend could not give.
func (p *Page) traces(t *core.Tracer) ([]traceView, int) {
	p.mu.Lock()
	ring := slices.Clone(p.recent[:p.next])
	if p.full {
		ring = slices.Clone(p.recent)
	}
	p.mu.Unlock()
	recent := make([]entry, len(ring))
	for i, r := range ring {
		recent[i] = entryOf(r.s, r.end)
	}
	type node struct {
		e                       entry
		traceID, spanID, parent string
		end                     time.Time
	}
	byTrace := map[string][]*node{}
	noIDs := 0
	for _, e := range recent {
		n := &node{e: e, end: e.start.Add(e.duration)}
		n.traceID, n.spanID = ids(t, e.span)
		if n.traceID == "" {
			noIDs++
			continue
		}
		if e.parent != nil {
			_, n.parent, _ = t.SpanContextIDs(e.parent)
		}
		byTrace[n.traceID] = append(byTrace[n.traceID], n)
	}
	var out []traceView
	for id, nodes := range byTrace {
		tv := traceView{TraceID: id, Start: nodes[0].e.start}
		end := nodes[0].end
		here := map[string]bool{}
		for _, n := range nodes {
			here[n.spanID] = true
			if n.e.start.Before(tv.Start) {
				tv.Start = n.e.start
			}
			if n.end.After(end) {
				end = n.end
			}
		}
		tv.Duration = end.Sub(tv.Start)
		children := map[string][]*node{}
		var roots []*node
		for _, n := range nodes {
			if n.parent != "" && here[n.parent] && n.parent != n.spanID {
				children[n.parent] = append(children[n.parent], n)
			} else {
				roots = append(roots, n) // a root, or its parent is elsewhere
			}
		}
		byStart := func(a, b *node) int { return a.e.start.Compare(b.e.start) }
		var walk func(n *node, depth int)
		walk = func(n *node, depth int) {
			tv.Spans = append(tv.Spans, spanView{
				SpanID: n.spanID, ParentID: n.parent, Depth: depth, Operation: n.e.op, Kind: n.e.kind.String(),
				Offset: n.e.start.Sub(tv.Start), Duration: n.e.duration, Status: n.e.status, Error: n.e.err, URL: n.e.url,
			})
			if n.e.err {
				tv.Errors++
			}
			kids := children[n.spanID]
			delete(children, n.spanID) // no cycles, whatever the ids say
			slices.SortFunc(kids, byStart)
			for _, k := range kids {
				walk(k, depth+1)
			}
		}
		slices.SortFunc(roots, byStart)
		for _, r := range roots {
			walk(r, 0)
		}
		if len(tv.Spans) > 0 {
			tv.Link = p.link(id, tv.Spans[0].SpanID)
		}
		out = append(out, tv)
	}
	slices.SortFunc(out, func(a, b traceView) int {
		return cmp.Or(b.Start.Add(b.Duration).Compare(a.Start.Add(a.Duration)), strings.Compare(a.TraceID, b.TraceID))
	})
	if len(out) > p.cfg.traces {
		out = out[:p.cfg.traces]
	}
	return out, noIDs
}
