package propagation

// Inject writes sc to w in every format of p, in list order. It is safe for
// concurrent use.
//
// A context format writes nothing when sc is not valid ([SpanContext.IsValid]);
// the baggage format writes sc's baggage whatever its ids. What a format
// cannot carry is lost on the way (see the package documentation): the high
// half of a 128-bit trace id in ottrace (which writes nothing for a trace id
// whose low half is 0); tracestate outside tracecontext; a deferred decision
// outside B3, written as not sampled; debug outside B3 and jaeger, written as
// sampled; the parent id outside B3 and jaeger.
func (p Propagator) Inject(sc SpanContext, w Writer) {
	if p.n == 0 || w == nil {
		return
	}
	ok := sc.IsValid()
	var (
		buf                  [72]byte // the longest: a 128-bit b3 header with a parent
		b3Baggage, otBaggage bool     // written already
	)
	for _, f := range p.list[:p.n] {
		switch f {
		case fTraceContext:
			if ok {
				w.Set(hdrTraceparent, string(appendTraceparent(buf[:0], &sc)))
				if sc.TraceState != "" {
					w.Set(hdrTracestate, sc.TraceState)
				}
			}
		case fBaggage:
			if len(sc.Baggage) > 0 {
				if v := w3cBaggage(sc.Baggage); v != "" {
					w.Set(hdrBaggage, v)
				}
			}
		case fB3, fB3Multi:
			if !ok {
				continue
			}
			if f == fB3 {
				w.Set(hdrB3, string(appendB3Single(buf[:0], &sc)))
			} else {
				injectB3Multi(w, &sc)
			}
			if !b3Baggage {
				b3Baggage = true
				setPrefixed(w, prefixB3Baggage, sc.Baggage, false)
			}
			if !otBaggage {
				otBaggage = true
				setPrefixed(w, prefixOTBaggage, sc.Baggage, false)
			}
		case fJaeger:
			if ok {
				w.Set(hdrUberTraceID, string(appendUberTraceID(buf[:0], &sc)))
				setPrefixed(w, prefixJaegerBaggage, sc.Baggage, true)
			}
		case fOTTrace:
			if ok && sc.TraceID != 0 { // else ottrace's trace id would be 0
				injectOTTrace(w, &sc)
				if !otBaggage {
					otBaggage = true
					setPrefixed(w, prefixOTBaggage, sc.Baggage, false)
				}
			}
		}
	}
}

// Clean deletes from h, a carrier about to receive a new context by Inject,
// every header of p's formats, context or baggage, in any case of its name:
// stale ones (copied from an incoming request by a proxy, or set by hand)
// would otherwise travel beside the new context, or twice in another case
// of the name (a Writer sets canonical names).
func (p Propagator) Clean(h map[string][]string) {
	if p.n == 0 {
		return
	}
	s := scan{reads: p.reads}
	for k := range h {
		s.visit(k, "k=v") // a value every format keeps: baggage members too
		if s.seen != 0 || s.nbag != 0 {
			delete(h, k)
		}
		// Only what visit may have set, so that the next key starts afresh
		// without zeroing the whole scan.
		s.seen, s.nbag, s.perSource, s.more = 0, 0, [numSources]uint8{}, s.more[:0]
		s.tracestate, s.tsBuf, s.tsTooLong = "", nil, false
	}
}
