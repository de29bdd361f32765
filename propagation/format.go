package propagation

import (
	"errors"
	"fmt"
	"strings"

	"github.com/traceplug/traceplug/internal/textutil"
)

// Format names, in the vocabulary of OpenTelemetry's OTEL_PROPAGATORS
// environment variable. A list of them, such as "tracecontext,baggage", is
// what [Parse] takes.
const (
	// TraceContext is W3C Trace Context: the traceparent and tracestate
	// headers.
	TraceContext = "tracecontext"
	// Baggage is W3C Baggage: the baggage header. It carries baggage only,
	// never a span context.
	Baggage = "baggage"
	// B3 is Zipkin's B3 single header (b3) on injection; it reads the single
	// and the multiple headers.
	B3 = "b3"
	// B3Multi is Zipkin's B3 multiple headers (x-b3-*) on injection; it reads
	// the single and the multiple headers.
	B3Multi = "b3multi"
	// Jaeger is Jaeger's uber-trace-id header with uberctx- baggage headers.
	Jaeger = "jaeger"
	// OTTrace is the OpenTracing basic tracer's ot-tracer-* headers with
	// ot-baggage- baggage headers, as lightstep-tracer-go writes them.
	OTTrace = "ottrace"
	// None, alone in a list, propagates nothing.
	None = "none"
)

// ErrInvalidList is wrapped by every error of [Parse].
var ErrInvalidList = errors.New("propagation: invalid format list")

// format is a format's index in formatNames, plus one; 0 is no format.
type format uint8

const (
	fTraceContext format = iota + 1
	fBaggage
	fB3
	fB3Multi
	fJaeger
	fOTTrace
	numFormats = int(fOTTrace)
)

// formatNames holds the names of the formats, indexed by format-1.
var formatNames = [numFormats]string{TraceContext, Baggage, B3, B3Multi, Jaeger, OTTrace}

func (f format) String() string { return formatNames[f-1] }

// Formats returns the names [Parse] accepts, sorted.
func Formats() []string {
	return []string{B3, B3Multi, Baggage, Jaeger, None, OTTrace, TraceContext}
}

// Propagator reads and writes span contexts in an ordered list of formats.
// Its zero value propagates nothing, as [Parse]("none") does. A Propagator is
// an immutable value, safe for concurrent use and comparable with ==; build
// it once, when the configuration is read, and use it on every request.
type Propagator struct {
	list  [numFormats]format // in list order; the first n are set
	n     uint8
	reads group // the header groups Extract looks at
}

// Parse returns the [Propagator] for list, a comma-separated list of format
// names in the vocabulary of OTEL_PROPAGATORS: "tracecontext,baggage",
// "b3multi,jaeger". Spaces around names are allowed. "none", alone, means
// propagate nothing. An empty list or entry, a duplicate, "none" beside
// another name, or an unknown name is an error wrapping [ErrInvalidList] that
// names the bad entry and the valid names, and suggests the name meant for a
// near miss ("b3-multi", "TraceContext").
func Parse(list string) (Propagator, error) {
	var p Propagator
	if strings.TrimSpace(list) == "" {
		return p, fmt.Errorf("%w: empty list; valid formats: %s", ErrInvalidList, strings.Join(Formats(), ", "))
	}
	entries := 0
	none := false
	for part := range strings.SplitSeq(list, ",") {
		entries++
		name := strings.TrimSpace(part)
		if name == None {
			none = true
			continue
		}
		f := lookup(name)
		if f == 0 {
			return Propagator{}, unknownFormat(name, list)
		}
		for _, g := range p.list[:p.n] {
			if g == f {
				return Propagator{}, fmt.Errorf("%w: %q listed twice in %s", ErrInvalidList, name, quote(list))
			}
		}
		p.list[p.n] = f
		p.n++
		p.reads |= readGroups[f-1]
	}
	if none && entries > 1 {
		return Propagator{}, fmt.Errorf("%w: %q cannot be combined with other formats in %s", ErrInvalidList, None, quote(list))
	}
	return p, nil
}

func lookup(name string) format {
	for i, n := range formatNames {
		if n == name {
			return format(i + 1)
		}
	}
	return 0
}

// aliases maps names people write for a format, normalized (lower case, no
// separators), to the format's name.
var aliases = map[string]string{
	"w3c": TraceContext, "w3ctracecontext": TraceContext, "traceparent": TraceContext,
	"w3cbaggage": Baggage,
	"zipkin":     B3, "b3single": B3, "b3singleheader": B3,
	"b3multiheader": B3Multi, "b3multiple": B3Multi, "zipkinmulti": B3Multi,
	"uber": Jaeger, "ubertraceid": Jaeger,
	"ot": OTTrace, "lightstep": OTTrace, "opentracing": OTTrace, "ottracer": OTTrace,
}

func unknownFormat(name, list string) error {
	if name == "" {
		return fmt.Errorf("%w: empty entry in %s; valid formats: %s", ErrInvalidList, quote(list), strings.Join(Formats(), ", "))
	}
	hint := ""
	if s := suggest(name); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	return fmt.Errorf("%w: unknown format %s%s; valid formats: %s", ErrInvalidList, quote(name), hint, strings.Join(Formats(), ", "))
}

// suggest returns the format name that name probably meant, or "".
func suggest(name string) string {
	if len(name) > 64 {
		return ""
	}
	norm := strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ', '.':
			return -1
		}
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, name)
	if lookup(norm) != 0 || norm == None {
		return norm
	}
	if a, ok := aliases[norm]; ok {
		return a
	}
	best, bestDist := "", 3 // at most two edits
	for _, n := range Formats() {
		if d := textutil.EditDistance(norm, n); d < bestDist && d < len(n)/2 {
			best, bestDist = n, d
		}
	}
	return best
}

// String returns the normalized list, which [Parse] accepts: names in list
// order separated by ",", or "none".
func (p Propagator) String() string {
	if p.n == 0 {
		return None
	}
	return strings.Join(p.Names(), ",")
}

// Names returns the format names in list order; nil when p propagates
// nothing. The slice is the caller's.
func (p Propagator) Names() []string {
	if p.n == 0 {
		return nil
	}
	names := make([]string, p.n)
	for i, f := range p.list[:p.n] {
		names[i] = f.String()
	}
	return names
}

// quote returns s quoted for an error message, cut to its first 64 bytes and
// marked with "…" when longer: header values come from strangers, and can be
// a megabyte long.
func quote(s string) string {
	const limit = 64
	if len(s) <= limit {
		return fmt.Sprintf("%q", s)
	}
	cut, _ := textutil.Cut(s, limit)
	return fmt.Sprintf("%q… (%d bytes)", cut, len(s))
}
