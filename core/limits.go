package core

import (
	"net/http"
	"sort"
	"strings"
)

// Defaults for the limits on incoming baggage; see [WithBaggageLimits].
const (
	DefaultMaxBaggageItems = 32
	DefaultMaxBaggageBytes = 8 << 10
)

// baggagePrefixes are the header-name prefixes of baggage items in the
// built-in propagation formats (jaeger's uberctx- and its jaeger-baggage
// header, lightstep's ot-baggage-, B3's baggage- and the mock's
// mockbaggage-), lower case.
var baggagePrefixes = []string{"uberctx-", "ot-baggage-", "baggage-", "mockbaggage-", "jaeger-baggage"}

func isBaggage(name string) bool {
	for _, p := range baggagePrefixes {
		if len(name) >= len(p) && strings.EqualFold(name[:len(p)], p) {
			return true
		}
	}
	return false
}

// limitBaggage returns h, or, when its baggage headers exceed the limits, a
// copy without the excess (the items that come last by name are dropped) and
// how many items were dropped. It does not allocate when h is within them.
func (t *Tracer) limitBaggage(h http.Header) (http.Header, int) {
	items, size := 0, 0
	for k, vs := range h {
		if isBaggage(k) {
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
		if isBaggage(k) {
			names = append(names, k)
		} else {
			out[k] = vs
		}
	}
	sort.Strings(names)
	kept, used, dropped := 0, 0, 0
	for _, k := range names {
		for _, v := range h[k] {
			if kept < t.maxBaggageItems && used+len(k)+len(v) <= t.maxBaggageBytes {
				out[k] = append(out[k], v)
				kept++
				used += len(k) + len(v)
			} else {
				dropped++
			}
		}
	}
	return out, dropped
}
