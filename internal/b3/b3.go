// Package b3 reads and writes Zipkin's B3 headers (the X-B3-* multi headers,
// and the single b3 header when reading), with baggage as baggage-KEY
// headers, the convention jaeger's B3 propagator uses. Backends whose client
// library has no usable B3 propagator build theirs on it.
package b3

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/opentracing/opentracing-go"
)

// Header names, lower case.
const (
	TraceID       = "x-b3-traceid"
	SpanID        = "x-b3-spanid"
	Sampled       = "x-b3-sampled"
	Flags         = "x-b3-flags"
	Single        = "b3"
	BaggagePrefix = "baggage-"
)

// Context is a span context as B3 carries it.
type Context struct {
	TraceHigh, TraceLow uint64 // TraceHigh is 0 for a 64-bit trace id
	SpanID              uint64
	// Sampled is the sampling decision: true, false, or unset (nil: the
	// receiver decides). Debug (X-B3-Flags: 1, or "d") implies sampled.
	Sampled *bool
	Debug   bool
	Baggage map[string]string
}

// IsSampled reports the decision, with def when none was made.
func (c Context) IsSampled(def bool) bool {
	switch {
	case c.Debug:
		return true
	case c.Sampled != nil:
		return *c.Sampled
	}
	return def
}

// Inject writes c as X-B3-* headers and baggage-KEY headers.
func Inject(w opentracing.TextMapWriter, c Context) {
	if c.TraceHigh != 0 {
		w.Set(TraceID, fmt.Sprintf("%016x%016x", c.TraceHigh, c.TraceLow))
	} else {
		w.Set(TraceID, fmt.Sprintf("%016x", c.TraceLow))
	}
	w.Set(SpanID, fmt.Sprintf("%016x", c.SpanID))
	if c.Debug {
		w.Set(Flags, "1")
	} else if c.Sampled != nil {
		w.Set(Sampled, map[bool]string{true: "1", false: "0"}[*c.Sampled])
	}
	for k, v := range c.Baggage {
		w.Set(BaggagePrefix+k, v)
	}
}

// Extract reads a context from multi headers or, failing those, the single
// b3 header. No B3 header at all is opentracing.ErrSpanContextNotFound; a
// malformed one is opentracing.ErrSpanContextCorrupted.
func Extract(r opentracing.TextMapReader) (Context, error) {
	var c Context
	var trace, span, sampled, flags, single string
	var found bool
	_ = r.ForeachKey(func(k, v string) error {
		switch k = strings.ToLower(k); {
		case k == TraceID:
			trace, found = v, true
		case k == SpanID:
			span, found = v, true
		case k == Sampled:
			sampled, found = v, true
		case k == Flags:
			flags, found = v, true
		case k == Single:
			single, found = v, true
		case strings.HasPrefix(k, BaggagePrefix) && len(k) > len(BaggagePrefix):
			if c.Baggage == nil {
				c.Baggage = map[string]string{}
			}
			c.Baggage[k[len(BaggagePrefix):]] = v
		}
		return nil
	})
	if !found {
		return c, opentracing.ErrSpanContextNotFound
	}
	if trace == "" && span == "" && single != "" {
		if err := c.parseSingle(single); err != nil {
			return Context{}, err
		}
		return c, nil
	}
	if err := c.parseIDs(trace, span); err != nil {
		return Context{}, err
	}
	if err := c.parseSampling(sampled, flags == "1"); err != nil {
		return Context{}, err
	}
	return c, nil
}

func corrupted(format string, args ...any) error {
	return fmt.Errorf("%w: b3: %s", opentracing.ErrSpanContextCorrupted, fmt.Sprintf(format, args...))
}

func (c *Context) parseIDs(trace, span string) error {
	var err error
	switch len(trace) {
	case 16:
		c.TraceLow, err = strconv.ParseUint(trace, 16, 64)
	case 32:
		if c.TraceHigh, err = strconv.ParseUint(trace[:16], 16, 64); err == nil {
			c.TraceLow, err = strconv.ParseUint(trace[16:], 16, 64)
		}
	default:
		return corrupted("trace id %q: want 16 or 32 hex digits", trace)
	}
	if err != nil {
		return corrupted("trace id %q is not hex", trace)
	}
	if len(span) != 16 {
		return corrupted("span id %q: want 16 hex digits", span)
	}
	if c.SpanID, err = strconv.ParseUint(span, 16, 64); err != nil {
		return corrupted("span id %q is not hex", span)
	}
	if c.TraceHigh == 0 && c.TraceLow == 0 || c.SpanID == 0 {
		return corrupted("zero id")
	}
	return nil
}

func (c *Context) parseSampling(sampled string, debug bool) error {
	c.Debug = debug
	switch sampled {
	case "":
	case "1", "true":
		t := true
		c.Sampled = &t
	case "0", "false":
		f := false
		c.Sampled = &f
	default:
		return corrupted("sampled %q: want 0 or 1", sampled)
	}
	return nil
}

// parseSingle reads TRACEID-SPANID[-SAMPLING[-PARENTID]]; a bare sampling
// value ("0", "1", "d") without ids is not a context to continue.
func (c *Context) parseSingle(v string) error {
	parts := strings.Split(v, "-")
	if len(parts) < 2 || len(parts) > 4 {
		return corrupted("single header %q", v)
	}
	if err := c.parseIDs(parts[0], parts[1]); err != nil {
		return err
	}
	if len(parts) >= 3 {
		if parts[2] == "d" {
			c.Debug = true
		} else if err := c.parseSampling(parts[2], false); err != nil {
			return err
		}
	}
	if len(parts) == 4 && len(parts[3]) != 16 {
		return corrupted("single header %q: parent span id", v)
	}
	return nil
}
