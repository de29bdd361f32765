package conformance

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/propagation"
	"github.com/traceplug/traceplug/sampling"
)

// This file checks sampling, which core decides once, where a trace enters a
// service: a caller's decision obeyed in every format, ratios decided on the
// trace id, rules by operation, rate limits, traces a caller forces within a
// limit, and the trace passed on by requests that record nothing. Every check
// reads what the collector decoded and what the next service received. A
// bound that depends on time is computed from the time the requests took, and
// a statistical one from the count, so that neither can flake.

// Sample rate 0: nothing is sent, yet the next service gets a valid context
// that says "not sampled", in every format the tracer writes; an incoming
// unsampled trace leaves with its trace id.
func sampleRateZero(f *fixture) {
	tr := f.tracer(core.WithTraceAll(true), core.WithSampleRate(0))
	rl := f.relay(tr)
	f.get(rl.url, nil)
	fresh := rl.sent()
	formats := contextFormats(tr.Settings().Propagation)
	var in propagation.SpanContext
	var continued http.Header
	if len(formats) > 0 {
		in = f.parentContext(formats[0], propagation.SamplingNo)
		f.get(rl.url, contextHeaders(formats[0], in))
		continued = rl.sent()
	}
	if spans := f.spans(); len(spans) != 0 {
		f.t.Errorf("sample rate 0 sent %d spans:\n%s", len(spans), list(spans))
	}
	if !f.checksUnsampledHeaders() {
		return
	}
	if len(formats) == 0 {
		// A backend that propagates its span contexts itself: traceplug does
		// not know its format, and can only see that it wrote something.
		f.t.Logf("the tracer names no propagation formats (%q): checking only that trace headers were sent", tr.Settings().Propagation)
		for k := range fresh {
			if k != "Accept-Encoding" && k != "User-Agent" {
				return
			}
		}
		f.t.Errorf("the unsampled request carried no trace headers: %v", fresh)
		return
	}
	traces := map[string]string{} // the new trace's id, by format
	for _, format := range formats {
		sc := checkOutgoing(f.t, format, fresh, "", false, "a new unsampled trace")
		traces[format] = ID128(sc.TraceIDHigh, sc.TraceID)
		checkOutgoing(f.t, format, continued, ID128(in.TraceIDHigh, in.TraceID), false, "an incoming unsampled "+formats[0]+" trace")
	}
	first := formats[0]
	for _, format := range formats[1:] {
		a, b := traces[format], traces[first]
		if format == propagation.OTTrace || first == propagation.OTTrace {
			a, b = lowHalf(a), lowHalf(b) // ottrace carries the low 64 bits only
		}
		if a != b {
			f.t.Errorf("a new unsampled trace left as %s in %s and as %s in %s: one trace, in every format (headers %v)", traces[format], format, traces[first], first, fresh)
		}
	}
}

// A caller's decision is obeyed in every format: a sampled parent is
// recorded at sample rate 0, an unsampled one is not at sample rate 1 and
// leaves unsampled, so that only the parent's decision explains either.
func samplingParentEachFormat(f *fixture) {
	f.need(CoreSampling)
	for _, format := range propagationFormats {
		for _, sampled := range []bool{true, false} {
			name := format + "/" + map[bool]string{true: "sampled", false: "unsampled"}[sampled]
			f.t.Run(name, func(t *testing.T) {
				g := newFixture(t, f.h)
				rate, decision := 1.0, propagation.SamplingNo
				if sampled {
					rate, decision = 0, propagation.SamplingYes
				}
				tr := g.samplingTracer(core.WithTraceAll(true), core.WithPropagation(format), core.WithSampleRate(rate), core.WithServiceName(serverService))
				rl := g.relay(tr)
				in := g.parentContext(format, decision)
				if code, body := g.get(rl.url, contextHeaders(format, in)); code != 200 {
					t.Fatalf("served %d %q", code, body)
				}
				out := rl.sent()
				spans := g.spans()
				trace := ID128(in.TraceIDHigh, in.TraceID)
				if !sampled {
					if len(spans) != 0 {
						t.Errorf("an unsampled %s parent at sample rate 1: %d spans sent, want none:\n%s", format, len(spans), list(spans))
					}
					if g.checksUnsampledHeaders() {
						checkOutgoing(t, format, out, trace, false, "the call of an unsampled request")
					}
					return
				}
				server := one(t, spans, byKind("server", serverService), "server span (a sampled "+format+" parent at sample rate 0)")
				if server.TraceID != trace || server.ParentID != ID(in.SpanID) {
					t.Errorf("server span [trace %s parent %s], want a child of the incoming %s context [trace %s span %s]",
						server.TraceID, server.ParentID, format, trace, ID(in.SpanID))
				}
				client := one(t, spans, byKind("client", serverService), "client span")
				wantChild(t, client, server)
				sc := checkOutgoing(t, format, out, server.TraceID, true, "the call of a sampled request")
				if ID(sc.SpanID) != client.SpanID {
					t.Errorf("outgoing %s span id %s, want the client span's %s (headers %v)", format, ID(sc.SpanID), client.SpanID, out)
				}
			})
		}
	}
}

// Rules by operation decide on the route's name, known before the handler
// runs: health checks at 0, everything else at 1.
func samplingRules(f *fixture) {
	f.need(CoreSampling)
	const n = 3
	tr := f.samplingTracer(core.WithTraceAll(true), core.WithServiceName(serverService), core.WithSamplingRules(
		sampling.Rule{Operation: "GET /healthz", Ratio: 0},
		sampling.Rule{Operation: "*", Ratio: 1},
	))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", okHandler)
	mux.HandleFunc("GET /search", okHandler)
	srv := f.server(tr.Middleware(mux))
	for range n {
		f.get(srv.URL+"/healthz", nil)
		f.get(srv.URL+"/search?q=x", nil)
	}
	spans := f.spans()
	if len(spans) != n {
		f.t.Errorf("want the %d GET /search spans and no GET /healthz one, got %d:\n%s", n, len(spans), list(spans))
	}
	for _, s := range spans {
		if !f.sameName(s.Operation, "GET /search") {
			f.t.Errorf("span %q sent: only GET /search is sampled", s.Operation)
		}
	}
	ops := tr.Stats().Sampling.Operations
	for op, want := range map[string]core.OperationSampling{"GET /healthz": {NotSampled: n}, "GET /search": {Sampled: n}} {
		if ops[op] != want {
			f.t.Errorf("Stats().Sampling.Operations[%q] = %+v, want %+v (all: %v)", op, ops[op], want, ops)
		}
	}
}

// A rate limit holds: of 50 requests sent as fast as one goroutine can, a
// rule of 5 traces a second keeps the burst of 5 and at most 5 more a second
// of the time they took.
func samplingRateLimit(f *fixture) {
	f.need(CoreSampling)
	const n, perSecond = 50, 5
	tr := f.samplingTracer(core.WithTraceAll(true), core.WithServiceName(serverService),
		core.WithSamplingRules(sampling.Rule{Operation: "GET /search", PerSecond: perSecond}))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /search", okHandler)
	elapsed := serveDirect(tr.Middleware(mux), n, func(int) *http.Request { return httptest.NewRequest("GET", "/search", nil) })
	spans := f.spans()
	counts := tr.Stats().Sampling.Operations["GET /search"]
	f.delivered(len(spans), int(counts.Sampled), "sampled requests")
	if counts.Sampled+counts.NotSampled != n {
		f.t.Errorf("Stats counts %+v decisions for GET /search, want %d", counts, n)
	}
	checkRate(f.t, int(counts.Sampled), perSecond, elapsed, "sampled traces of GET /search")
	for _, s := range spans {
		if !f.sameName(s.Operation, "GET /search") {
			f.t.Errorf("span named %q, want GET /search", s.Operation)
		}
		wantTag(f.t, s, "sampler.type", "ratelimiting")
		wantTag(f.t, s, "sampler.param", strconv.Itoa(perSecond))
	}
}

// A ratio holds: at 0.25, the traces sent are exactly those whose id falls
// below the ratio (OpenTelemetry's TraceIDRatioBased: the trace id's low 64
// bits, shifted right by one, below ratio × 2⁶³), and their number is within
// 5 standard deviations of n × ratio.
func samplingRatio(f *fixture) {
	f.need(CoreSampling)
	const n, ratio = 2000, 0.25
	tr := f.samplingTracer(core.WithTraceAll(true), core.WithServiceName(serverService), core.WithSampleRate(ratio))
	var mu sync.Mutex
	seen := map[string]bool{} // every request's trace id, low 64 bits
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		trace, _, ok := tr.ContextIDs(r.Context())
		mu.Lock()
		defer mu.Unlock()
		if ok {
			seen[lowHalf(NormalizeID(trace))] = true
		}
	}))
	serveDirect(h, n, func(int) *http.Request { return httptest.NewRequest("GET", "/ratio", nil) })
	spans := f.spans()
	if len(seen) != n {
		f.t.Fatalf("the handlers saw %d distinct trace ids in %d requests (ContextIDs): every request, sampled or not, has a trace of its own", len(seen), n)
	}
	bound := uint64(ratio * (1 << 63))
	selected := map[string]bool{}
	for trace := range seen {
		if low, _ := strconv.ParseUint(trace, 16, 64); low>>1 < bound {
			selected[trace] = true
		}
	}
	_, lacks128 := f.h.Lacks[TraceID128]
	sent := map[string]bool{}
	var stray, short []string
	for _, s := range spans {
		low := lowHalf(s.TraceID)
		if !selected[low] {
			stray = append(stray, s.TraceID)
		}
		if len(s.TraceID) <= 16 && !lacks128 {
			short = append(short, s.TraceID)
		}
		sent[low] = true
		wantTag(f.t, s, "sampler.type", "probabilistic")
		wantTag(f.t, s, "sampler.param", strconv.FormatFloat(ratio, 'g', -1, 64))
	}
	if len(stray) > 0 {
		f.t.Errorf("%d of %d traces sent are not among those the ratio selects (no request had them, or their low 64 bits >> 1 are not below %g × 2⁶³ = %#x), such as %s",
			len(stray), len(spans), ratio, bound, strings.Join(stray[:min(3, len(stray))], ", "))
	}
	if len(short) > 0 {
		f.t.Errorf("%d of %d new traces sent with a 64-bit trace id, such as %s: core chose 128 bits and decided on them, and the backend keeps 128-bit ids",
			len(short), len(spans), strings.Join(short[:min(3, len(short))], ", "))
	}
	if len(sent) != len(spans) {
		f.t.Errorf("%d spans in %d traces: one span per sampled request", len(spans), len(sent))
	}
	f.delivered(len(sent), len(selected), "traces the ratio selects")
	counts := tr.Stats().Sampling.Operations["HTTP GET"]
	if counts.Sampled != uint64(len(selected)) || counts.Sampled+counts.NotSampled != n {
		f.t.Errorf("Stats counts %+v, want %d sampled of %d", counts, len(selected), n)
	}
	mean, sd := n*ratio, math.Sqrt(n*ratio*(1-ratio))
	if d := math.Abs(float64(len(selected)) - mean); d > 5*sd {
		f.t.Errorf("%d of %d new traces selected at %g: %.1f standard deviations from %g", len(selected), n, ratio, d/sd, mean)
	}
}

// A trace a caller forces (a debug flag) is recorded at sample rate 0, as a
// child of the caller's span.
func samplingForced(f *fixture) {
	f.need(CoreSampling)
	for _, c := range []struct{ name, format string }{
		{"X-B3-Flags", propagation.B3Multi},
		{"b3 d", propagation.B3},
		{"uber-trace-id flags 3", propagation.Jaeger},
	} {
		f.t.Run(c.name, func(t *testing.T) {
			g := newFixture(t, f.h)
			if c.format != propagation.Jaeger {
				g.need(B3)
			}
			tr := g.samplingTracer(core.WithTraceAll(true), core.WithPropagation(c.format), core.WithSampleRate(0), core.WithServiceName(serverService))
			srv := g.server(tr.Middleware(http.HandlerFunc(okHandler)))
			in := g.parentContext(c.format, propagation.SamplingDebug)
			h := contextHeaders(c.format, in)
			if code, body := g.get(srv.URL, h); code != 200 {
				t.Fatalf("served %d %q", code, body)
			}
			s := one(t, g.spans(), func(Span) bool { return true }, "span (a forced trace at sample rate 0, headers "+fmt.Sprint(h)+")")
			if trace := ID128(in.TraceIDHigh, in.TraceID); s.TraceID != trace || s.ParentID != ID(in.SpanID) {
				t.Errorf("span [trace %s parent %s], want a child of the incoming context [trace %s span %s]", s.TraceID, s.ParentID, trace, ID(in.SpanID))
			}
			if st := tr.Stats().Sampling; st.Forced != 1 || st.ForcedOverLimit != 0 {
				t.Errorf("Stats: %d forced, %d over the limit; want 1 and 0", st.Forced, st.ForcedOverLimit)
			}
		})
	}
}

// The limit on forced traces holds: of 30 forced requests sent as fast as
// one goroutine can, at 2 a second, the burst of 2 is recorded and at most 2
// more a second of the time they took; the others are decided as any trace
// (not sampled, at rate 0) and counted over the limit.
func samplingForcedLimit(f *fixture) {
	f.need(CoreSampling)
	f.need(B3)
	const n, perSecond = 30, 2
	tr := f.samplingTracer(core.WithTraceAll(true), core.WithPropagation(propagation.B3Multi), core.WithSampleRate(0),
		core.WithForcedSampling(perSecond), core.WithServiceName(serverService))
	parents := map[string]bool{}
	reqs := make([]*http.Request, n)
	for i := range reqs {
		in := propagation.SpanContext{TraceID: uint64(0x5a0000 + i), SpanID: uint64(0x5b0000 + i), Sampling: propagation.SamplingDebug}
		parents[ID(in.SpanID)] = true
		reqs[i] = httptest.NewRequest("GET", "/forced", nil)
		reqs[i].Header = contextHeaders(propagation.B3Multi, in)
	}
	elapsed := serveDirect(tr.Middleware(http.HandlerFunc(okHandler)), n, func(i int) *http.Request { return reqs[i] })
	spans := f.spans()
	st := tr.Stats().Sampling
	f.delivered(len(spans), int(st.Forced), "forced traces")
	if st.Forced+st.ForcedOverLimit != n {
		f.t.Errorf("Stats: %d forced + %d over the limit, want %d", st.Forced, st.ForcedOverLimit, n)
	}
	checkRate(f.t, int(st.Forced), perSecond, elapsed, "forced traces")
	for _, s := range spans {
		if !parents[s.ParentID] {
			f.t.Errorf("span %s: not a child of a forced request's context", s)
		}
	}
}

// Trace-all off, an undecorated handler: nothing of the request is recorded,
// but its calls continue the incoming trace with its decision: a sampled
// one's client span is a child of the caller's span, an unsampled one's call
// leaves unsampled.
func samplingUntracedPassesTrace(f *fixture) {
	f.need(CoreSampling)
	tr := f.samplingTracer(core.WithServiceName(serverService))
	rl := f.relay(tr)
	formats := contextFormats(tr.Settings().Propagation)
	if len(formats) == 0 {
		f.t.Fatalf("the tracer names no propagation formats (%q), so core carries no trace for it: the harness must say the backend lacks %s", tr.Settings().Propagation, CoreSampling)
	}
	format := formats[0]
	sampledIn := f.parentContext(format, propagation.SamplingYes)
	f.get(rl.url, contextHeaders(format, sampledIn))
	sampledOut := rl.sent()
	unsampledIn := f.parentContext(format, propagation.SamplingNo)
	unsampledIn.TraceID, unsampledIn.SpanID = 0x0e0e4736a3ce929d, 0xb7a902ba67f0000f // another trace
	f.get(rl.url, contextHeaders(format, unsampledIn))
	unsampledOut := rl.sent()
	spans := f.spans()
	client := one(f.t, spans, func(Span) bool { return true }, "span (the client span of the sampled request)")
	if k, _ := client.Tag("span.kind"); k != "client" {
		f.t.Errorf("the span sent is %s, want the client span", client)
	}
	trace := ID128(sampledIn.TraceIDHigh, sampledIn.TraceID)
	if client.TraceID != trace || client.ParentID != ID(sampledIn.SpanID) {
		f.t.Errorf("client span [trace %s parent %s], want a child of the incoming %s context [trace %s span %s]",
			client.TraceID, client.ParentID, format, trace, ID(sampledIn.SpanID))
	}
	for _, fm := range formats {
		sc := checkOutgoing(f.t, fm, sampledOut, trace, true, "the call of an untraced request with a sampled trace")
		if ID(sc.SpanID) != client.SpanID {
			f.t.Errorf("outgoing %s span id %s, want the client span's %s (headers %v)", fm, ID(sc.SpanID), client.SpanID, sampledOut)
		}
		if f.checksUnsampledHeaders() {
			checkOutgoing(f.t, fm, unsampledOut, ID128(unsampledIn.TraceIDHigh, unsampledIn.TraceID), false,
				"the call of an untraced request with an unsampled trace")
		}
	}
}

// parentContext is the incoming context of the sampling checks in format,
// with decision s: a 128-bit trace id where the format and the backend keep
// one.
func (f *fixture) parentContext(format string, s propagation.Sampling) propagation.SpanContext {
	sc := propagation.SpanContext{TraceIDHigh: 0x4bf92f3577b34da6, TraceID: 0xa3ce929d0e0e4736, SpanID: 0x00f067aa0ba902b7, Sampling: s}
	if _, lacks := f.h.Lacks[TraceID128]; lacks || format == propagation.OTTrace {
		sc.TraceIDHigh = 0 // ottrace carries 64-bit ids
	}
	return sc
}

// samplingTracer is [fixture.tracer] for the checks of core's sampling: it
// fails the test, saying what to declare, when core does not sample the
// backend's traces.
func (f *fixture) samplingTracer(opts ...core.Option) *core.Tracer {
	f.t.Helper()
	tr := f.tracer(opts...)
	if tr.Stats().Sampling.Sampler == "" {
		f.t.Fatalf("core does not sample %s's traces (its tracer is no backend.SpanContextCodec): the harness must say it lacks %s", f.h.Name, CoreSampling)
	}
	return tr
}

// checksUnsampledHeaders reports whether the backend sends the trace of an
// unsampled request on, logging the harness's reason when it does not.
func (f *fixture) checksUnsampledHeaders() bool {
	f.t.Helper()
	if reason, lacks := f.h.Lacks[UnsampledPropagation]; lacks {
		f.t.Logf("not checking the headers of unsampled calls: %s lacks %s: %s", f.h.Name, UnsampledPropagation, reason)
		return false
	}
	return true
}

// delivered checks got, what the collector decoded, against want, what the
// tracer decided to send: equal, or, over a transport the harness says is
// Lossy, at most.
func (f *fixture) delivered(got, want int, what string) {
	f.t.Helper()
	switch {
	case got == want:
	case f.h.Lossy && got < want:
		f.t.Logf("the collector decoded %d of %d %s (%s is lossy)", got, want, what, f.h.Name)
	default:
		f.t.Errorf("the collector decoded %d spans for %d %s", got, want, what)
	}
}

// checkRate checks that a token bucket of perSecond a second, which starts
// full with max(perSecond, 1) and was used for elapsed, let through got: the
// burst at least, and at most the burst plus what elapsed earns, plus one
// for the clock's rounding.
func checkRate(t *testing.T, got int, perSecond float64, elapsed time.Duration, what string) {
	t.Helper()
	burst := int(max(perSecond, 1))
	most := int(math.Floor(max(perSecond, 1)+perSecond*elapsed.Seconds())) + 1
	if got < burst || got > most {
		t.Errorf("%d %s in %v at %g a second: want from %d (the burst) to %d", got, what, elapsed, perSecond, burst, most)
	}
}

// serveDirect serves n requests with h, one after the other in this
// goroutine and without a network, as fast as it can, and returns the time
// they took.
func serveDirect(h http.Handler, n int, req func(i int) *http.Request) time.Duration {
	start := time.Now()
	for i := range n {
		h.ServeHTTP(httptest.NewRecorder(), req(i))
	}
	return time.Since(start)
}

// contextFormats are the formats of list that carry a span context.
func contextFormats(list string) []string {
	var out []string
	for _, name := range strings.Split(list, ",") {
		switch name = strings.TrimSpace(name); name {
		case "", propagation.Baggage, propagation.None:
		default:
			out = append(out, name)
		}
	}
	return out
}

// contextHeaders writes sc as the headers of format.
func contextHeaders(format string, sc propagation.SpanContext) http.Header {
	p, err := propagation.Parse(format)
	if err != nil {
		panic(fmt.Sprintf("conformance: %v", err))
	}
	h := http.Header{}
	p.Inject(sc, opentracing.HTTPHeadersCarrier(h))
	return h
}

// checkOutgoing reads what h carries in format alone, and checks that it is
// a valid context of trace (in the model's form; any trace when "") with the
// decision sampled. what says whose call h is.
func checkOutgoing(t *testing.T, format string, h http.Header, trace string, sampled bool, what string) propagation.SpanContext {
	t.Helper()
	p, err := propagation.Parse(format)
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	sc, err := p.Extract(opentracing.HTTPHeadersCarrier(h))
	switch got := ID128(sc.TraceIDHigh, sc.TraceID); {
	case err != nil || !sc.IsValid():
		t.Errorf("%s: no valid %s context went out (%v; headers %v)", what, format, err, h)
	case trace != "" && !sameTrace(format, got, trace):
		t.Errorf("%s: outgoing %s trace id %s, want %s (headers %v)", what, format, got, trace, h)
	case sampled && !sc.Sampling.IsSampled(false), !sampled && sc.Sampling != propagation.SamplingNo:
		t.Errorf("%s: outgoing %s decision %v, want sampled=%v (headers %v)", what, format, sc.Sampling, sampled, h)
	}
	return sc
}

// sameTrace compares trace ids in the model's form as format carries them:
// ottrace carries the low 64 bits only.
func sameTrace(format, a, b string) bool {
	if format == propagation.OTTrace {
		return lowHalf(a) == lowHalf(b)
	}
	return a == b
}

// lowHalf is the low 64 bits of a trace id in the model's form.
func lowHalf(id string) string {
	if len(id) > 16 {
		id = id[len(id)-16:]
	}
	return NormalizeID(id)
}
