package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/traceplug/traceplug/backends/mock"
)

// barWidth is the width of the time axis, in characters.
const barWidth = 40

// printWaterfalls prints each trace as a tree of spans with a bar showing when
// each ran within the trace.
func printWaterfalls(out io.Writer, spans []mock.Span) {
	traces := map[uint64][]mock.Span{}
	var order []uint64
	for _, s := range spans {
		if _, seen := traces[s.TraceID]; !seen {
			order = append(order, s.TraceID)
		}
		traces[s.TraceID] = append(traces[s.TraceID], s)
	}
	sort.Slice(order, func(i, j int) bool { return start(traces[order[i]]).Before(start(traces[order[j]])) })
	for i, id := range order {
		if i > 0 {
			fmt.Fprintln(out)
		}
		printTrace(out, id, traces[id])
	}
}

func start(spans []mock.Span) time.Time {
	t := spans[0].Start
	for _, s := range spans {
		if s.Start.Before(t) {
			t = s.Start
		}
	}
	return t
}

// line is one span in the printed tree.
type line struct {
	span  mock.Span
	depth int
}

func printTrace(out io.Writer, id uint64, spans []mock.Span) {
	t0 := start(spans)
	var end time.Time
	children := map[uint64][]mock.Span{}
	ids := map[uint64]bool{}
	for _, s := range spans {
		ids[s.SpanID] = true
		if s.Finish.After(end) {
			end = s.Finish
		}
	}
	var roots []mock.Span
	for _, s := range spans {
		if ids[s.ParentID] {
			children[s.ParentID] = append(children[s.ParentID], s)
		} else {
			roots = append(roots, s) // a root, or a span whose parent was not sampled here
		}
	}
	var lines []line
	var walk func(s mock.Span, depth int)
	walk = func(s mock.Span, depth int) {
		lines = append(lines, line{s, depth})
		kids := children[s.SpanID]
		sort.Slice(kids, func(i, j int) bool { return kids[i].Start.Before(kids[j].Start) })
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	sort.Slice(roots, func(i, j int) bool { return roots[i].Start.Before(roots[j].Start) })
	for _, r := range roots {
		walk(r, 0)
	}

	total := end.Sub(t0)
	fmt.Fprintf(out, "trace %016x  %d spans  %s\n", id, len(spans), round(total))
	width := 0
	for _, l := range lines {
		if n := len(label(l)); n > width {
			width = n
		}
	}
	for _, l := range lines {
		fmt.Fprintf(out, "  %-*s %9s |%s|\n", width, label(l), round(l.span.Duration()), bar(l.span, t0, total))
	}
}

// label is the span's indented name, kind and logs.
func label(l line) string {
	s := strings.Repeat("  ", l.depth) + l.span.Operation
	if kind, ok := l.span.Tags["span.kind"]; ok {
		s += fmt.Sprintf(" (%v)", kind)
	}
	for _, lg := range l.span.Logs {
		if ev, ok := lg.Fields["event"]; ok {
			s += fmt.Sprintf(" log:%q", ev)
		}
	}
	return s
}

// bar draws the span's interval on the trace's time axis.
func bar(s mock.Span, t0 time.Time, total time.Duration) string {
	if total <= 0 {
		return strings.Repeat("█", barWidth)
	}
	from := int(int64(barWidth) * int64(s.Start.Sub(t0)) / int64(total))
	to := int(int64(barWidth) * int64(s.Finish.Sub(t0)) / int64(total))
	from = min(max(from, 0), barWidth-1)
	to = min(max(to, from+1), barWidth)
	return strings.Repeat(" ", from) + strings.Repeat("█", to-from) + strings.Repeat(" ", barWidth-to)
}

func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}
