package core

import (
	"net/http"
	"sort"
	"strings"

	"github.com/opentracing/opentracing-go"
	"github.com/traceplug/traceplug/propagation"
)

// Defaults for the limits on incoming baggage; see [WithBaggageLimits].
const (
	DefaultMaxBaggageItems = 32
	DefaultMaxBaggageBytes = 8 << 10
)

// limitItems returns items, or, when they exceed the limits, the first of
// them that fit (in the order the formats read them) and how many were
// dropped. Each item costs the length of its key and value. It allocates
// only when it drops an item.
func (t *Tracer) limitItems(items []propagation.BaggageItem) ([]propagation.BaggageItem, int) {
	size := 0
	for i, it := range items {
		size += len(it.Key) + len(it.Value)
		if i >= t.maxBaggageItems || size > t.maxBaggageBytes {
			kept := items[:i:i]
			used := size - len(it.Key) - len(it.Value)
			for _, rest := range items[i+1:] { // smaller items may still fit
				if len(kept) < t.maxBaggageItems && used+len(rest.Key)+len(rest.Value) <= t.maxBaggageBytes {
					kept = append(kept, rest)
					used += len(rest.Key) + len(rest.Value)
				}
			}
			return kept, len(items) - len(kept)
		}
	}
	return items, 0
}

// baggageHeader reports whether header name carries baggage for a backend
// that propagates span contexts itself and named its baggage headers (see
// [BaggageHeaders]), and whether it carries a list: a name equal to a
// prefix ("jaeger-baggage", W3C's "baggage") holds comma-separated
// key=value members, each an item; a longer one ("uberctx-user") holds one.
func (t *Tracer) baggageHeader(name string) (ok, list bool) {
	for _, p := range t.baggagePrefixes {
		if len(name) >= len(p) && strings.EqualFold(name[:len(p)], p) {
			return true, len(name) == len(p)
		}
	}
	return false, false
}

// members calls f with each non-empty member of a list header's value,
// trimmed.
func members(v string, f func(m string)) {
	for v != "" {
		var m string
		m, v, _ = strings.Cut(v, ",")
		if m = strings.TrimSpace(m); m != "" {
			f(m)
		}
	}
}

// limitBaggage returns h, or, when its baggage headers exceed the limits, a
// copy without the excess (the items that come last by header name, and
// within a list header last in it, are dropped) and how many items were
// dropped. It does not allocate when h is within them. It serves backends
// that propagate span contexts themselves; core limits the baggage of the
// others once it is read (limitItems).
func (t *Tracer) limitBaggage(h http.Header) (http.Header, int) {
	if len(t.baggagePrefixes) == 0 {
		return h, 0
	}
	items, size := 0, 0
	for k, vs := range h {
		ok, list := t.baggageHeader(k)
		switch {
		case !ok:
		case list:
			for _, v := range vs {
				members(v, func(m string) { items, size = items+1, size+len(m) })
			}
		default:
			for _, v := range vs {
				items++
				size += len(k) + len(v)
			}
		}
	}
	if items <= t.maxBaggageItems && size <= t.maxBaggageBytes {
		return h, 0
	}
	var names []string
	out := make(http.Header, len(h))
	for k, vs := range h {
		if ok, _ := t.baggageHeader(k); ok {
			names = append(names, k)
		} else {
			out[k] = vs
		}
	}
	sort.Strings(names)
	kept, used, dropped := 0, 0, 0
	fits := func(n int) bool {
		if kept < t.maxBaggageItems && used+n <= t.maxBaggageBytes {
			kept, used = kept+1, used+n
			return true
		}
		dropped++
		return false
	}
	for _, k := range names {
		_, list := t.baggageHeader(k)
		for _, v := range h[k] {
			if !list {
				if fits(len(k) + len(v)) {
					out[k] = append(out[k], v)
				}
				continue
			}
			var b strings.Builder
			members(v, func(m string) {
				if fits(len(m)) {
					if b.Len() > 0 {
						b.WriteByte(',')
					}
					b.WriteString(m)
				}
			})
			if b.Len() > 0 {
				out[k] = append(out[k], b.String())
			}
		}
	}
	return out, dropped
}

// headerOf returns c's entries as an http.Header, without copying an
// HTTPHeadersCarrier. Keys keep their case.
func headerOf(c opentracing.TextMapReader) http.Header {
	switch c := c.(type) {
	case opentracing.HTTPHeadersCarrier:
		return http.Header(c)
	case opentracing.TextMapCarrier:
		h := make(http.Header, len(c))
		for k, v := range c {
			h[k] = []string{v}
		}
		return h
	}
	h := http.Header{}
	_ = c.ForeachKey(func(k, v string) error {
		h[k] = append(h[k], v)
		return nil
	})
	return h
}
