package propagation

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/opentracing/opentracing-go"
)

// Extract reads a span context from r in p's formats.
//
// It reads r in one pass, then tries the formats that carry a span context in
// list order and returns the first valid one: an invalid format followed by a
// valid one gives the valid one, with no error. The returned context's
// Baggage holds the baggage items of every listed format (see the package
// documentation for the order and limits), whichever format supplied the ids.
//
// When no listed format gave a valid context, Extract returns an error:
//   - [opentracing.ErrSpanContextNotFound], as is, when no listed format's
//     context headers were present, or only a sampling decision (a lone
//     "b3: 0" or X-B3-Sampled), which the returned Sampling then holds, or
//     only a jaeger-debug-id (no uber-trace-id), for which the returned
//     Sampling is [SamplingDebug] and DebugID its value (of two such
//     decisions, the format listed first gives it);
//   - an error wrapping [opentracing.ErrSpanContextCorrupted] that names each
//     format whose headers were present and says what is wrong with them;
//   - the carrier's own error, wrapped, when r.ForeachKey fails.
//
// Even with an error the returned SpanContext may carry baggage (a request
// with only a W3C baggage header): such a context is not valid
// ([SpanContext.IsValid]), but its baggage belongs to the request.
//
// The result does not depend on the order of r's keys, only on the order of
// the values of one key: a header that should appear once with two
// different values, repeated or in two spellings, makes its format corrupt
// (see "Repeated headers and two spellings" in the package documentation).
//
// Extract allocates only for baggage, several tracestate headers, a
// jaeger-debug-id that is URL-encoded or cut, and errors: not at all for a
// request without trace headers, with a context alone or with a plain
// jaeger-debug-id, when r is an [opentracing.HTTPHeadersCarrier], an
// [opentracing.TextMapCarrier] or any carrier whose ForeachKey does not
// allocate. It is safe for concurrent use.
func (p Propagator) Extract(r Reader) (SpanContext, error) {
	if p.n == 0 || r == nil {
		return SpanContext{}, opentracing.ErrSpanContextNotFound
	}
	var s scan
	s.reads = p.reads
	switch c := r.(type) {
	case opentracing.HTTPHeadersCarrier:
		for k, vs := range c {
			if s.wants(k) {
				for _, v := range vs {
					s.see(k, v)
				}
			}
		}
	case opentracing.TextMapCarrier:
		for k, v := range c {
			s.visit(k, v)
		}
	default:
		return p.extractPooled(r)
	}
	return s.result(&p)
}

// pooledScan lets a carrier of unknown type be read without allocating: the
// handler given to ForeachKey is made once, with the scan it fills.
type pooledScan struct {
	s     scan
	visit func(key, val string) error
}

var scanPool = sync.Pool{New: func() any {
	ps := new(pooledScan)
	ps.visit = func(k, v string) error {
		ps.s.visit(k, v)
		return nil
	}
	return ps
}}

func (p *Propagator) extractPooled(r Reader) (sc SpanContext, err error) {
	ps := scanPool.Get().(*pooledScan)
	ps.s.reads = p.reads
	if ferr := r.ForeachKey(ps.visit); ferr != nil {
		err = fmt.Errorf("propagation: reading carrier: %w", ferr)
	} else {
		sc, err = ps.s.result(p)
	}
	ps.s = scan{} // keep no header of this request alive
	scanPool.Put(ps)
	return sc, err
}

// group is a set of headers read together, for one format or two.
type group uint8

const (
	gTraceContext group = 1 << iota // traceparent, tracestate
	gBaggage                        // baggage
	gB3                             // b3, x-b3-*, baggage-*, ot-baggage-*
	gJaeger                         // uber-trace-id, jaeger-debug-id, jaeger-baggage, uberctx-*
	gOTTrace                        // ot-tracer-*, ot-baggage-*
)

// readGroups holds the group each format reads, indexed by format-1.
var readGroups = [numFormats]group{gTraceContext, gBaggage, gB3, gB3, gJaeger, gOTTrace}

// Header names, lower case.
const (
	hdrTraceparent    = "traceparent"
	hdrTracestate     = "tracestate"
	hdrBaggage        = "baggage"
	hdrB3             = "b3"
	hdrB3TraceID      = "x-b3-traceid"
	hdrB3SpanID       = "x-b3-spanid"
	hdrB3ParentSpanID = "x-b3-parentspanid"
	hdrB3Sampled      = "x-b3-sampled"
	hdrB3Flags        = "x-b3-flags"
	hdrUberTraceID    = "uber-trace-id"
	hdrJaegerBaggage  = "jaeger-baggage"
	hdrJaegerDebugID  = "jaeger-debug-id"
	hdrOTTraceID      = "ot-tracer-traceid"
	hdrOTSpanID       = "ot-tracer-spanid"
	hdrOTSampled      = "ot-tracer-sampled"

	prefixB3Baggage     = "baggage-"
	prefixOTBaggage     = "ot-baggage-"
	prefixJaegerBaggage = "uberctx-"
)

// seen bits: which single-valued headers scan has a value for.
const (
	sTraceparent uint16 = 1 << iota
	sTraceparentTwice
	sTracestate
	sB3
	sB3TraceID
	sB3SpanID
	sB3ParentSpanID
	sB3Sampled
	sB3Flags
	sUberTraceID
	sJaegerDebugID
	sOTTraceID
	sOTSpanID
	sOTSampled
)

// Baggage limits: the items Extract keeps, and the bytes of all tracestate
// headers it joins. W3C Baggage asks for at least 64 members and allows 180
// in one header; W3C Trace Context allows 32 members of at most 513 bytes.
const (
	maxBaggageItems   = 180
	maxTraceStateSize = 32*513 + 31
)

// source is where a baggage item was read.
type source uint8

const (
	srcW3C           source = iota // baggage header
	srcB3                          // baggage-KEY
	srcOT                          // ot-baggage-KEY
	srcUberctx                     // uberctx-KEY
	srcJaegerBaggage               // jaeger-baggage header
	numSources
)

type item struct {
	src        source
	key, value string
}

// scan is what one pass over a carrier found. Values are kept as read; the
// formats parse them afterwards, in list order.
//
// A carrier's headers come in no order (a TextMapCarrier or an http.Header
// is a map), so nothing scan keeps may depend on it: of a header that should
// appear once, scan notes a second, different value (differ) rather than
// keep either; a list header (whose values are joined in order) under two
// spellings is watched (listHeader); prefixed baggage headers are sorted,
// and past maxBaggageItems the smallest kept (keepSmallest).
type scan struct {
	reads  group
	seen   uint16
	differ uint16 // seen bits of headers that had two different values

	traceparent string
	tracestate  string
	tsBuf       []byte // the tracestate headers joined, when several
	tsTooLong   bool
	tsList      listHeader
	bagList     listHeader // baggage
	jbList      listHeader // jaeger-baggage

	b3             string
	b3TraceID      string
	b3SpanID       string
	b3ParentSpanID string
	b3Sampled      string
	b3Flags        string

	uberTraceID   string
	jaegerDebugID string

	otTraceID string
	otSpanID  string
	otSampled string

	nbag int     // items in bag and more
	bag  [8]item // the first items, without allocating
	more []item  // the others
	// perSource counts the items kept of each source: up to
	// maxBaggageItems each, so that the items kept, of at most that many in
	// all, are the first in list order (mergeBaggage) whatever the order
	// of the headers.
	perSource [numSources]uint8
	// heaps holds, once a prefixed source is full, a max-heap of the
	// indices of its items (keepSmallest); nil until then.
	heaps *[numSources][]int32
}

// listHeader watches a header whose values are joined in order (tracestate,
// baggage, jaeger-baggage) for the same header under two spellings, which
// no carrier orders: read once when all its values are one, dropped when
// they differ. Under one spelling (an http.Header's values), the values are
// in order and joined.
type listHeader struct {
	key, first string // the first spelling and value seen
	seen       bool
	spellings  bool // seen under more than one spelling
	differ     bool // two different values
}

func (h *listHeader) see(k, v string) {
	if !h.seen {
		h.key, h.first, h.seen = k, v, true
		return
	}
	h.spellings = h.spellings || k != h.key
	h.differ = h.differ || v != h.first
}

// dropped reports whether the header is under two spellings with different
// values: then none of them is read.
func (h *listHeader) dropped() bool { return h.spellings && h.differ }

// firstLetters holds, by the first byte of a header's name, the groups
// that read names starting with it, in either case.
var firstLetters = func() (t [256]group) {
	for _, l := range []struct {
		c byte
		g group
	}{
		{'b', gBaggage | gB3}, // baggage, b3, baggage-KEY
		{'j', gJaeger},        // jaeger-baggage, jaeger-debug-id
		{'o', gOTTrace | gB3}, // ot-tracer-*, ot-baggage-KEY
		{'t', gTraceContext},  // traceparent, tracestate
		{'u', gJaeger},        // uber-trace-id, uberctx-KEY
		{'x', gB3},            // x-b3-*
	} {
		t[l.c], t[l.c-'a'+'A'] = l.g, l.g
	}
	return t
}()

// wants reports whether s reads a header named k, from its first letter:
// most headers of a request are none of its formats', and are skipped at
// the cost of a table look-up.
func (s *scan) wants(k string) bool {
	return len(k) >= 2 && firstLetters[k[0]]&s.reads != 0
}

// visit looks at one key and value.
func (s *scan) visit(k, v string) {
	if s.wants(k) {
		s.see(k, v)
	}
}

// is reports whether the header name k, of the length of name (a
// lower-case constant), is name in any case: at once when k is spelt canon
// (as an http.Header holds it) or name itself.
func is(k, name, canon string) bool {
	return k == canon || k == name || k[0]|0x20 == name[0] && strings.EqualFold(k, name)
}

// hasPrefix reports whether the header name k is longer than prefix, a
// lower-case constant, and starts with it in any case.
func hasPrefix(k, prefix string) bool {
	return len(k) > len(prefix) && strings.EqualFold(k[:len(prefix)], prefix)
}

// see looks at one key and value that s wants. Names are matched
// case-insensitively, after a look at their length.
func (s *scan) see(k, v string) {
	switch len(k) {
	case 2:
		if s.reads&gB3 != 0 && is(k, hdrB3, "B3") {
			s.keep(sB3, &s.b3, v)
			return
		}
	case 7:
		if s.reads&gBaggage != 0 && is(k, hdrBaggage, "Baggage") {
			s.bagList.see(k, v)
			s.addW3CBaggage(v)
			return
		}
	case 10:
		if s.reads&gTraceContext != 0 && is(k, hdrTracestate, "Tracestate") {
			s.addTraceState(k, v)
			return
		}
		if s.reads&gB3 != 0 && is(k, hdrB3Flags, "X-B3-Flags") {
			s.keep(sB3Flags, &s.b3Flags, v)
			return
		}
	case 11:
		if s.reads&gTraceContext != 0 && is(k, hdrTraceparent, "Traceparent") {
			if s.seen&sTraceparent != 0 {
				s.seen |= sTraceparentTwice
			}
			s.keep(sTraceparent, &s.traceparent, v)
			return
		}
		if s.reads&gB3 != 0 && is(k, hdrB3SpanID, "X-B3-Spanid") {
			s.keep(sB3SpanID, &s.b3SpanID, v)
			return
		}
	case 12:
		if s.reads&gB3 != 0 {
			if is(k, hdrB3TraceID, "X-B3-Traceid") {
				s.keep(sB3TraceID, &s.b3TraceID, v)
				return
			}
			if is(k, hdrB3Sampled, "X-B3-Sampled") {
				s.keep(sB3Sampled, &s.b3Sampled, v)
				return
			}
		}
	case 13:
		if s.reads&gJaeger != 0 && is(k, hdrUberTraceID, "Uber-Trace-Id") {
			s.keep(sUberTraceID, &s.uberTraceID, v)
			return
		}
	case 14:
		if s.reads&gJaeger != 0 && is(k, hdrJaegerBaggage, "Jaeger-Baggage") {
			s.jbList.see(k, v)
			s.addJaegerBaggage(v)
			return
		}
	case 15:
		if s.reads&gJaeger != 0 && is(k, hdrJaegerDebugID, "Jaeger-Debug-Id") {
			s.keep(sJaegerDebugID, &s.jaegerDebugID, v)
			return
		}
	case 16:
		if s.reads&gOTTrace != 0 && is(k, hdrOTSpanID, "Ot-Tracer-Spanid") {
			s.keep(sOTSpanID, &s.otSpanID, v)
			return
		}
	case 17:
		if s.reads&gB3 != 0 && is(k, hdrB3ParentSpanID, "X-B3-Parentspanid") {
			s.keep(sB3ParentSpanID, &s.b3ParentSpanID, v)
			return
		}
		if s.reads&gOTTrace != 0 {
			if is(k, hdrOTTraceID, "Ot-Tracer-Traceid") {
				s.keep(sOTTraceID, &s.otTraceID, v)
				return
			}
			if is(k, hdrOTSampled, "Ot-Tracer-Sampled") {
				s.keep(sOTSampled, &s.otSampled, v)
				return
			}
		}
	}
	switch k[0] | 0x20 {
	case 'b':
		if s.reads&gB3 != 0 && hasPrefix(k, prefixB3Baggage) {
			s.add(srcB3, strings.ToLower(k[len(prefixB3Baggage):]), v)
		}
	case 'u':
		if s.reads&gJaeger != 0 && hasPrefix(k, prefixJaegerBaggage) {
			s.add(srcUberctx, strings.ToLower(k[len(prefixJaegerBaggage):]), queryUnescape(v))
		}
	case 'o':
		if s.reads&(gB3|gOTTrace) != 0 && hasPrefix(k, prefixOTBaggage) {
			s.add(srcOT, strings.ToLower(k[len(prefixOTBaggage):]), v)
		}
	}
}

// keep stores the value of a single-valued header. Of two different values
// (a repeated header, or the same name in two spellings in a TextMap), the
// carrier's order would pick one, and an attacker the spelling that wins:
// keep notes it in differ, and the format refuses the header.
func (s *scan) keep(bit uint16, dst *string, v string) {
	switch {
	case s.seen&bit == 0:
		s.seen |= bit
		*dst = v
	case v != *dst:
		s.differ |= bit
	}
}

// addTraceState joins tracestate headers with ",", as W3C Trace Context
// requires of several, in tsBuf, whose growth is amortized: a request may
// hold thousands. Past maxTraceStateSize the tracestate is invalid. Under two
// spellings the values are not joined (see listHeader).
func (s *scan) addTraceState(k, v string) {
	s.tsList.see(k, v)
	n := len(s.tracestate)
	if s.tsBuf != nil {
		n = len(s.tsBuf)
	}
	switch {
	case s.seen&sTracestate == 0:
		s.seen |= sTracestate
		s.tracestate = v
	case s.tsTooLong || s.tsList.spellings:
	case n+1+len(v) > maxTraceStateSize:
		s.tsTooLong = true
	default:
		if s.tsBuf == nil {
			s.tsBuf = make([]byte, 0, 2*(n+1+len(v)))
			s.tsBuf = append(s.tsBuf, s.tracestate...)
		}
		s.tsBuf = append(append(s.tsBuf, ','), v...)
	}
}

// traceState returns the joined tracestate headers, ok false when too long
// or under two spellings with different values.
func (s *scan) traceState() (string, bool) {
	switch {
	case s.tsList.spellings:
		return s.tracestate, !s.tsList.differ
	case s.tsTooLong:
		return "", false
	case s.tsBuf != nil:
		return string(s.tsBuf), true
	}
	return s.tracestate, true
}

// add keeps a baggage item, up to maxBaggageItems of its source: the first
// of a header's members (W3C baggage, jaeger-baggage, in order), and of
// prefixed headers, which come in no order, those of the smallest keys.
func (s *scan) add(src source, k, v string) {
	if s.full(src) {
		if prefixed(src) {
			s.keepSmallest(src, k, v)
		}
		return
	}
	s.perSource[src]++
	if s.nbag < len(s.bag) {
		s.bag[s.nbag] = item{src, k, v}
	} else {
		s.more = append(s.more, item{src, k, v})
	}
	s.nbag++
}

// full reports whether s keeps no more items of src.
func (s *scan) full(src source) bool { return s.perSource[src] >= maxBaggageItems }

// prefixed reports whether src's items come from prefixed headers, one item
// each (baggage-KEY, ot-baggage-KEY, uberctx-KEY).
func prefixed(src source) bool { return src == srcB3 || src == srcOT || src == srcUberctx }

// keepSmallest puts k and v in place of the largest (by key, then value) of
// src's items when they are smaller, so that the items kept of a full source
// are the smallest whatever the order of the headers. A max-heap of the
// indices of src's items, built when the source fills (past 180 headers of a
// prefix: a flood), finds the largest.
func (s *scan) keepSmallest(src source, k, v string) {
	if s.heaps == nil {
		s.heaps = new([numSources][]int32)
	}
	h := s.heaps[src]
	if h == nil {
		h = make([]int32, 0, maxBaggageItems)
		for i := 0; i < s.nbag; i++ {
			if s.item(i).src == src {
				h = append(h, int32(i))
			}
		}
		for i := len(h)/2 - 1; i >= 0; i-- {
			s.siftDown(h, i)
		}
		s.heaps[src] = h
	}
	if top := s.item(int(h[0])); itemLess(k, v, top.key, top.value) {
		top.key, top.value = k, v
		s.siftDown(h, 0)
	}
}

// siftDown restores the max-heap h below its index i.
func (s *scan) siftDown(h []int32, i int) {
	larger := func(a, b int32) bool {
		x, y := s.item(int(a)), s.item(int(b))
		return itemLess(y.key, y.value, x.key, x.value)
	}
	for {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && larger(h[c+1], h[c]) {
			c++
		}
		if !larger(h[c], h[i]) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

func itemLess(k1, v1, k2, v2 string) bool {
	if k1 != k2 {
		return k1 < k2
	}
	return v1 < v2
}

func (s *scan) item(i int) *item {
	if i < len(s.bag) {
		return &s.bag[i]
	}
	return &s.more[i-len(s.bag)]
}

// singleHeader names a header that should appear once, by its seen bit.
type singleHeader struct {
	bit  uint16
	name string
}

// twice returns the problem of the first of hs that had two different
// values, ok false when none had.
func (s *scan) twice(format string, hs []singleHeader) (pr problem, ok bool) {
	if s.differ == 0 {
		return problem{}, false
	}
	for _, h := range hs {
		if s.differ&h.bit != 0 {
			return twoValues(format, h.name), true
		}
	}
	return problem{}, false
}

// status is what a format made of the headers.
type status uint8

const (
	absent  status = iota // none of its context headers
	valid                 // a valid context
	corrupt               // headers present, no valid context: see the problem
)

// problem says what is wrong with a format's header.
type problem struct {
	format, header, value, why string
}

// Problems of a header with several values, whose texts quote none: which
// came first is the carrier's order.
const (
	whyTwoValues    = "two different values (a repeated header, or one name in two spellings)"
	whyMoreThanOnce = "more than one header"
)

// twoValues is the problem of a single-valued header with two different
// values.
func twoValues(format, header string) problem {
	return problem{format, header, "", whyTwoValues}
}

func (p problem) String() string {
	if p.why == whyTwoValues || p.why == whyMoreThanOnce {
		return fmt.Sprintf("%s: %s: %s", p.format, p.header, p.why)
	}
	return fmt.Sprintf("%s: %s %s: %s", p.format, p.header, quote(p.value), p.why)
}

// result parses what s found in p's formats.
func (s *scan) result(p *Propagator) (SpanContext, error) {
	if s.seen == 0 && s.nbag == 0 {
		return SpanContext{}, opentracing.ErrSpanContextNotFound
	}
	var (
		sc       SpanContext
		hint     Sampling // from a sampling-only B3 header or jaeger-debug-id
		debugID  string   // jaeger-debug-id's, with hint
		found    bool
		b3Done   bool
		problems []problem // made only for corrupt headers: most requests have none
	)
	for _, f := range p.list[:p.n] {
		var (
			c  SpanContext
			st status
			pr problem
		)
		switch f {
		case fTraceContext:
			c, st, pr = s.traceContext()
		case fB3, fB3Multi:
			if b3Done {
				continue
			}
			b3Done = true
			c, st, pr = s.b3Context(f.String())
			if st == absent && hint == SamplingDeferred {
				hint = c.Sampling
			}
		case fJaeger:
			c, st, pr = s.jaegerContext()
			if st == absent && hint == SamplingDeferred {
				hint, debugID = c.Sampling, c.DebugID
			}
		case fOTTrace:
			c, st, pr = s.otContext()
		default:
			continue
		}
		if st == valid {
			sc, found = c, true
			break
		}
		if st == corrupt {
			problems = append(problems, pr)
		}
	}
	if s.nbag > 0 {
		sc.Baggage = s.mergeBaggage(p)
	}
	switch {
	case found:
		return sc, nil
	case len(problems) > 0:
		msgs := make([]string, len(problems))
		for i, pr := range problems {
			msgs[i] = pr.String()
		}
		return sc, fmt.Errorf("propagation: %s: %w", strings.Join(msgs, "; "), opentracing.ErrSpanContextCorrupted)
	}
	sc.Sampling, sc.DebugID = hint, debugID
	return sc, opentracing.ErrSpanContextNotFound
}

// sources lists, for each format (indexed by format-1), the baggage sources
// it reads, first wins.
var sources = [numFormats][]source{
	nil,
	{srcW3C},
	{srcB3, srcOT},
	{srcB3, srcOT},
	{srcUberctx, srcJaegerBaggage},
	{srcOT},
}

// mergeBaggage returns the baggage items of p's formats, in list order and
// within a format in its sources' order, those of prefixed headers sorted by
// key; of items with the same key the first is kept, keys from different
// sources being compared without case (prefixed headers fold it); the first
// maxBaggageItems of them. A prefixed header with two different values (two
// spellings, or repeated) gives no item; nor does a list header under two
// spellings with different values (see listHeader).
func (s *scan) mergeBaggage(p *Propagator) []BaggageItem {
	out := make([]BaggageItem, 0, min(s.nbag, 2*maxBaggageItems))
	var done uint8
	for _, f := range p.list[:p.n] {
		for _, src := range sources[f-1] {
			if done&(1<<src) != 0 {
				continue
			}
			done |= 1 << src
			if len(out) >= maxBaggageItems {
				break // later sources come after the items returned
			}
			if src == srcW3C && s.bagList.dropped() || src == srcJaegerBaggage && s.jbList.dropped() {
				continue
			}
			start := len(out)
			pre := prefixed(src)
		items:
			for i := 0; i < s.nbag; i++ {
				it := s.item(i)
				if it.src != src {
					continue
				}
				for j := range out {
					o := &out[j]
					switch {
					case o.Key == "" && o.Value == it.key:
						continue items // a key of two values, dropped below
					case o.Key == it.key:
						if pre && j >= start && o.Value != it.value {
							*o = BaggageItem{Value: it.key} // two values: drop the key
						}
						continue items
					case j < start && strings.EqualFold(o.Key, it.key):
						continue items
					}
				}
				out = append(out, BaggageItem{it.key, it.value})
			}
			if pre {
				n := start
				for _, o := range out[start:] {
					if o.Key != "" { // keys are never empty, but those dropped
						out[n] = o
						n++
					}
				}
				clear(out[n:])
				out = out[:n]
				// Headers come in no order: sort, for the same result from
				// every carrier.
				slices.SortFunc(out[start:], func(a, b BaggageItem) int { return strings.Compare(a.Key, b.Key) })
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	n := min(len(out), maxBaggageItems)
	return out[:n:n]
}

// trimOWS removes optional white space (spaces and tabs) around s.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
