package console

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opentracing/opentracing-go"
)

// barWidth is the width of the time axis, in characters.
const barWidth = 40

// maxValueLen caps a printed tag or log value, in bytes.
const maxValueLen = 200

// writeTrace prints spans, all of one trace, as a tree under a header line:
// each span's name, kind and error mark, its duration and a bar showing when
// it ran within the trace; under it, its tags and its logs (at their offset
// from the span's start).
func writeTrace(w io.Writer, service, processTags string, spans []record, note string) {
	if len(spans) == 0 {
		return
	}
	t0, end := spans[0].start, spans[0].finish
	ids := make(map[uint64]bool, len(spans))
	for _, s := range spans {
		ids[s.spanID] = true
		if s.start.Before(t0) {
			t0 = s.start
		}
		if s.finish.After(end) {
			end = s.finish
		}
	}
	children := map[uint64][]record{}
	var roots []record
	for _, s := range spans {
		if s.parentID != 0 && ids[s.parentID] {
			children[s.parentID] = append(children[s.parentID], s)
		} else {
			roots = append(roots, s) // a local root, or a span whose parent is not here
		}
	}
	type line struct {
		span  record
		depth int
	}
	var lines []line
	var walk func(s record, depth int)
	walk = func(s record, depth int) {
		lines = append(lines, line{s, depth})
		kids := children[s.spanID]
		sortByStart(kids)
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	sortByStart(roots)
	for _, r := range roots {
		walk(r, 0)
	}

	total := end.Sub(t0)
	header := fmt.Sprintf("trace %s (service %s", traceID(spans[0]), safe(service))
	if processTags != "" {
		header += " " + safe(processTags)
	}
	n := "spans"
	if len(spans) == 1 {
		n = "span"
	}
	header += fmt.Sprintf(", %d %s, %s", len(spans), n, round(total))
	if note != "" {
		header += "; " + safe(note)
	}
	fmt.Fprintln(w, header+")")

	width := 0
	labels := make([]string, len(lines))
	for i, l := range lines {
		labels[i] = strings.Repeat("  ", l.depth) + label(l.span)
		width = max(width, len([]rune(labels[i])))
	}
	for i, l := range lines {
		s := l.span
		pad := width - len([]rune(labels[i]))
		fmt.Fprintf(w, "  %s%s %9s |%s|\n", labels[i], strings.Repeat(" ", pad), round(s.finish.Sub(s.start)), bar(s, t0, total))
		indent := "  " + strings.Repeat("  ", l.depth) + "    "
		hidden := hiddenTags
		if isError(s) {
			hidden = hiddenErrorTags
		}
		if tags := renderTags(s.tags, hidden); tags != "" {
			fmt.Fprintf(w, "%s%s\n", indent, tags)
		}
		for _, lr := range s.logs {
			fmt.Fprintf(w, "%s+%s %s\n", indent, round(lr.Timestamp.Sub(s.start)), renderLog(lr))
		}
	}
}

// hiddenTags are shown otherwise (span.kind, in the label) or are the same
// on every span; error=true is shown as ERROR in the label.
var (
	hiddenTags      = map[string]bool{"span.kind": true, "component": true}
	hiddenErrorTags = map[string]bool{"span.kind": true, "component": true, "error": true}
)

// label is a span's operation, kind and error mark.
func label(s record) string {
	l := safe(s.operation)
	if kind, ok := s.tags["span.kind"]; ok {
		l += " [" + safe(fmt.Sprint(kind)) + "]"
	}
	if isError(s) {
		l += " ERROR"
	}
	return l
}

// isError: the span is tagged error=true (as a bool or a string).
func isError(s record) bool {
	switch v := s.tags["error"].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// renderTags is "k=v k=v", sorted by key, without the hidden keys.
func renderTags[V any](tags map[string]V, hidden map[string]bool) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		if !hidden[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(safe(k))
		b.WriteByte('=')
		b.WriteString(value(tags[k]))
	}
	return b.String()
}

// renderLog is a log record's fields, "event" first, then in order.
func renderLog(lr opentracing.LogRecord) string {
	fields := slices.Clone(lr.Fields)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Key() == "event" && fields[j].Key() != "event" })
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(safe(f.Key()))
		b.WriteByte('=')
		b.WriteString(value(f.Value()))
	}
	return b.String()
}

// value prints v, quoted when it would not read as one word, and cut to
// maxValueLen.
func value(v any) string {
	s := fmt.Sprint(v)
	if len(s) > maxValueLen {
		cut := maxValueLen
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	if s == "" || strings.ContainsAny(s, " \t\n\"=") || hasControl(s) {
		return strconv.Quote(s) // escapes every control character
	}
	return s
}

// hasControl reports whether s holds a character a terminal would act on
// rather than show: C0 controls (ESC, BEL, CR, backspace, ...), DEL, C1
// controls (U+0080 to U+009F, CSI among them), Unicode's bidirectional
// overrides and isolates (which reorder what follows), or invalid UTF-8.
func hasControl(s string) bool {
	for _, r := range s {
		if isControl(r) {
			return true
		}
	}
	return false
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == utf8.RuneError ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// safe is s with every control character (see hasControl) escaped as Go
// writes it in a quoted string (\x1b, \r, \u009b), and everything else as
// it is: names and keys from requests reach a developer's terminal and log
// files, where a raw escape sequence could retitle, clear or overwrite the
// screen, or forge whole lines.
func safe(s string) string {
	if !hasControl(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				fmt.Fprintf(&b, `\x%02x`, s[i])
				continue
			}
			b.WriteRune(r)
		case isControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// bar draws the span's interval on the trace's time axis.
func bar(s record, t0 time.Time, total time.Duration) string {
	if total <= 0 {
		return strings.Repeat("█", barWidth)
	}
	from := int(int64(barWidth) * int64(s.start.Sub(t0)) / int64(total))
	to := int(int64(barWidth) * int64(s.finish.Sub(t0)) / int64(total))
	from = min(max(from, 0), barWidth-1)
	to = min(max(to, from+1), barWidth)
	return strings.Repeat(" ", from) + strings.Repeat("█", to-from) + strings.Repeat(" ", barWidth-to)
}

// round shortens d for reading: 3 significant digits or so.
func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// traceID is the span's trace id as core.Tracer.ContextIDs renders it.
func traceID(s record) string {
	if s.traceHigh != 0 {
		return fmt.Sprintf("%016x%016x", s.traceHigh, s.traceLow)
	}
	return fmt.Sprintf("%016x", s.traceLow)
}

func sortByStart(spans []record) {
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
}

func sortTraces(traces []*trace) {
	sort.Slice(traces, func(i, j int) bool { return traces[i].first.Before(traces[j].first) })
}
