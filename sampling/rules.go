package sampling

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/traceplug/traceplug/internal/textutil"
)

// Rule samples the traces of the operations whose name matches Operation:
// with probability Ratio, or, when PerSecond is above 0, at most PerSecond
// traces a second (a token bucket, as [RateLimited]).
type Rule struct {
	// Operation is the span name to match, such as "GET /healthz" or
	// "GET /items/{id}": exactly, or with "*" standing for any run of
	// characters ("* /healthz", "GET /admin/*"); "*" alone matches every
	// operation.
	Operation string
	// Ratio is the probability a trace of the operation is sampled, from 0
	// (never: health checks and probes) to 1 (always), decided on the trace
	// id as [TraceIDRatio] does. It is ignored when PerSecond is set.
	Ratio float64
	// PerSecond, when above 0, caps the operation's sampled traces to that
	// many a second instead.
	PerSecond float64
}

// String returns r in the form [ParseRules] reads: "GET /healthz=0",
// "GET /search=10/s".
func (r Rule) String() string {
	if r.PerSecond > 0 {
		return r.Operation + "=" + formatFloat(r.PerSecond) + "/s"
	}
	return r.Operation + "=" + formatFloat(r.Ratio)
}

// NewRules returns a sampler that applies the first of rules whose operation
// matches, and fallback for operations that none matches. now is the clock
// the rate limits read (time.Now when nil). A rule with an empty operation,
// a ratio outside [0, 1] or a negative or non-finite rate is an error.
//
// It is not parent-based: wrap it in [ParentBased] for the parent's decision
// to win (core does, unless the sampler chosen was not a parentbased_ one).
func NewRules(rules []Rule, fallback Sampler, now func() time.Time) (Sampler, error) {
	if fallback == nil {
		return nil, fmt.Errorf("sampling: rules need a sampler for the operations no rule matches")
	}
	rs := &ruleSampler{fallback: fallback, exact: map[string]int{}, list: make([]Rule, len(rules))}
	copy(rs.list, rules)
	rs.samplers = make([]Sampler, len(rules))
	for i, r := range rules {
		if err := r.check(); err != nil {
			return nil, err
		}
		switch {
		case r.PerSecond > 0:
			rs.samplers[i] = RateLimited(r.PerSecond, now)
		case r.Ratio >= 1:
			rs.samplers[i] = AlwaysOn()
		case r.Ratio <= 0:
			rs.samplers[i] = AlwaysOff()
		default:
			rs.samplers[i] = TraceIDRatio(r.Ratio)
		}
		if !strings.Contains(r.Operation, "*") {
			if _, dup := rs.exact[r.Operation]; !dup {
				rs.exact[r.Operation] = i
			}
			continue
		}
		rs.globs = append(rs.globs, glob{index: i, parts: strings.Split(r.Operation, "*")})
	}
	return rs, nil
}

func (r Rule) check() error {
	switch {
	case strings.TrimSpace(r.Operation) == "":
		return fmt.Errorf("sampling: rule %q: the operation is empty (use \"*\" for every operation)", r.String())
	case math.IsNaN(r.PerSecond) || math.IsInf(r.PerSecond, 0) || r.PerSecond < 0:
		return fmt.Errorf("sampling: rule %q: traces per second must be a number above 0", r.String())
	case r.PerSecond == 0 && (math.IsNaN(r.Ratio) || r.Ratio < 0 || r.Ratio > 1):
		return fmt.Errorf("sampling: rule %q: the ratio must be from 0 to 1", r.String())
	}
	return nil
}

type ruleSampler struct {
	list     []Rule
	samplers []Sampler
	exact    map[string]int // operations without "*", by name: the first rule's index
	globs    []glob         // the rules with "*", in order
	fallback Sampler
}

type glob struct {
	index int
	parts []string // the pattern split at "*"
}

// match reports whether s matches the pattern whose "*"-separated parts g holds.
func (g glob) match(s string) bool {
	first, last := g.parts[0], g.parts[len(g.parts)-1]
	if !strings.HasPrefix(s, first) {
		return false
	}
	s = s[len(first):]
	for _, p := range g.parts[1 : len(g.parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}

// find returns the index of the first rule that matches op, or -1.
func (rs *ruleSampler) find(op string) int {
	found := -1
	if i, ok := rs.exact[op]; ok {
		found = i
	}
	for _, g := range rs.globs {
		if found >= 0 && g.index > found {
			break
		}
		if g.match(op) {
			return g.index
		}
	}
	return found
}

func (rs *ruleSampler) ShouldSample(p Params) Decision {
	if i := rs.find(p.Operation); i >= 0 {
		return rs.samplers[i].ShouldSample(p)
	}
	return rs.fallback.ShouldSample(p)
}

func (rs *ruleSampler) Description() string {
	var b strings.Builder
	b.WriteString("Rules{")
	for _, r := range rs.list {
		b.WriteString(r.String())
		b.WriteString("; ")
	}
	b.WriteString("default: ")
	b.WriteString(rs.fallback.Description())
	b.WriteString("}")
	return b.String()
}

func (rs *ruleSampler) UsesOperation() bool { return len(rs.list) > 0 || UsesOperation(rs.fallback) }

// Close closes the fallback sampler (a remote sampler's polling).
func (rs *ruleSampler) Close() error { return closeSampler(rs.fallback) }

// Fallback returns the sampler for the operations no rule matches.
func (rs *ruleSampler) Fallback() Sampler { return rs.fallback }

// ParseRules reads rules written as TRACEPLUG_SAMPLING_RULES holds them:
// "operation=value" entries separated by ";" or new lines, where value is a
// ratio from 0 to 1 or a rate such as "10/s":
//
//	GET /healthz=0; GET /search=10/s; POST /orders=1; *=0.1
//
// The last "=" of an entry separates the operation from its value; white
// space around either is ignored, and so are empty entries and lines that
// start with "#". An error names the entry and says what is wrong.
func ParseRules(text string) ([]Rule, error) {
	var out []Rule
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, entry := range strings.Split(line, ";") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			i := strings.LastIndex(entry, "=")
			if i < 0 {
				return nil, fmt.Errorf("sampling: rule %q: want operation=ratio or operation=N/s, such as \"GET /healthz=0\" or \"GET /search=10/s\"", capText(entry))
			}
			r := Rule{Operation: strings.TrimSpace(entry[:i])}
			v := strings.TrimSpace(entry[i+1:])
			if n, ok := strings.CutSuffix(v, "/s"); ok {
				f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
				if err != nil || !(f > 0) || math.IsInf(f, 0) {
					return nil, fmt.Errorf("sampling: rule %q: %q is not a rate such as 10/s", capText(entry), capText(v))
				}
				r.PerSecond = f
			} else {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
					return nil, fmt.Errorf("sampling: rule %q: %q is neither a ratio from 0 to 1 nor a rate such as 10/s", capText(entry), capText(v))
				}
				r.Ratio = f
			}
			if err := r.check(); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// formatFloat writes f as briefly as it reads back.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// capText cuts s, from the environment or a file, for an error message.
func capText(s string) string { return textutil.Cap(s, 100) }
