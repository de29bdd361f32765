package core_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/instrument"
	"github.com/traceplug/traceplug/propagation"
)

// Public endpoints (public.go): a request's trace context comes from outside
// and is not continued. Each test serves real requests over loopback and
// reads what the tracer recorded and what the onward call carried.

// The incoming caller's trace, in every format.
const (
	callerHigh    = 0x0af7651916cd43dd
	callerLow     = 0x8448eb211c80319c
	callerSpan    = 0xb7ad6b7169203331
	callerHex     = "0af7651916cd43dd8448eb211c80319c"
	callerSpanHex = "b7ad6b7169203331"
)

// newRefTracer builds a Tracer over the mock backend (whose spans keep
// their references), tracing every request and sampling every new trace
// unless opts say otherwise.
func newRefTracer(t *testing.T, opts ...core.Option) (*core.Tracer, *mock.Tracer) {
	t.Helper()
	m, err := mock.New(backend.Config{ServiceName: "edge", SampleRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := core.Wrap(m, append([]core.Option{core.WithTraceAll(true), core.WithSampleRate(1)}, opts...)...)
	if err != nil {
		t.Fatalf("core.Wrap: %v", err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr, m
}

// callerHeaders returns the caller's trace in format ("tracecontext",
// "jaeger", "b3" or "b3multi"), with the sampling flag sampled ("1", "0", or
// "d" for debug, which W3C lacks) and the baggage item user=mallory.
func callerHeaders(format, sampled string) http.Header {
	h := http.Header{}
	switch format {
	case "tracecontext":
		flags := map[string]string{"1": "01", "0": "00"}[sampled]
		h.Set("traceparent", "00-"+callerHex+"-"+callerSpanHex+"-"+flags)
		h.Set("baggage", "user=mallory")
	case "jaeger":
		flags := map[string]string{"1": "1", "0": "0", "d": "3"}[sampled]
		h.Set("uber-trace-id", callerHex+":"+callerSpanHex+":0:"+flags)
		h.Set("uberctx-user", "mallory")
	case "b3":
		h.Set("b3", callerHex+"-"+callerSpanHex+"-"+sampled)
		h.Set("baggage-user", "mallory")
	case "b3multi":
		h.Set("X-B3-TraceId", callerHex)
		h.Set("X-B3-SpanId", callerSpanHex)
		if sampled == "d" {
			h.Set("X-B3-Flags", "1")
		} else {
			h.Set("X-B3-Sampled", sampled)
		}
		h.Set("baggage-user", "mallory")
	}
	return h
}

// formats are the formats the tests send the caller's trace in, each with
// the propagation list of a tracer that reads it.
var formats = []struct{ name, list string }{
	{"tracecontext", "tracecontext,baggage"},
	{"jaeger", "jaeger"},
	{"b3", "b3"},
	{"b3multi", "b3multi"},
}

// onward is what a traced service's handler saw and sent on.
type onward struct {
	traceID  string      // the handler's trace, from its context
	baggage  string      // the handler's span's baggage item user
	upstream http.Header // the headers the onward call carried
}

// world is a service traced by tr whose handler calls a downstream service
// through tr.Transport; copyHeaders makes it forward its request's headers
// as a reverse proxy does.
type world struct {
	t    *testing.T
	tr   *core.Tracer
	url  string
	seen chan onward
	list string // the propagation formats, to read the onward call's headers
}

func newWorld(t *testing.T, tr *core.Tracer, list string, copyHeaders bool, wrap func(http.Handler) http.Handler) *world {
	t.Helper()
	got := make(chan http.Header, 1)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
	}))
	t.Cleanup(down.Close)
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	client := &http.Client{Transport: tr.Transport(base)}
	w := &world{t: t, tr: tr, seen: make(chan onward, 1), list: list}
	handler := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var o onward
		o.traceID, _, _ = tr.ContextIDs(r.Context())
		if span := opentracing.SpanFromContext(r.Context()); span != nil {
			o.baggage = span.BaggageItem("user")
		}
		req, _ := http.NewRequestWithContext(r.Context(), "GET", down.URL, nil)
		if copyHeaders {
			req.Header = r.Header.Clone()
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("onward call: %v", err)
		} else {
			_ = resp.Body.Close()
			o.upstream = <-got
		}
		w.seen <- o
	})
	srv := httptest.NewServer(wrap(handler))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	return w
}

// get sends a request with h to the service and returns what its handler
// saw.
func (w *world) get(h http.Header) onward {
	w.t.Helper()
	req, _ := http.NewRequest("GET", w.url+"/pay", nil)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return <-w.seen
}

// sent reads the trace the onward call carried.
func (w *world) sent(o onward) propagation.SpanContext {
	w.t.Helper()
	p, err := propagation.Parse(w.list)
	if err != nil {
		w.t.Fatal(err)
	}
	psc, err := p.Extract(opentracing.HTTPHeadersCarrier(o.upstream))
	if err != nil {
		w.t.Fatalf("the onward call's headers %v: %v", o.upstream, err)
	}
	return psc
}

// serverSpan returns the only recorded server span.
func serverSpan(t *testing.T, m *mock.Tracer) mock.Span {
	t.Helper()
	var found []mock.Span
	for _, s := range m.FinishedSpans() {
		if fmt.Sprint(s.Tags["span.kind"]) == "server" {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d server spans, want 1: %+v", len(found), m.FinishedSpans())
	}
	return found[0]
}

// wantLinked checks that s is a new root that follows from the caller's
// span: its references are the new trace (ChildOf, first, which every
// backend takes for the parent) and the caller's context (FollowsFrom).
func wantLinked(t *testing.T, rt *mock.Tracer, s mock.Span) {
	t.Helper()
	if s.TraceIDHex() == callerHex || s.ParentID != 0 {
		t.Errorf("server span in trace %s with parent %x: want a new root, not the caller's trace %s", s.TraceIDHex(), s.ParentID, callerHex)
	}
	refs := s.References
	if len(refs) != 2 || refs[0].Type != opentracing.ChildOfRef || refs[1].Type != opentracing.FollowsFromRef {
		t.Fatalf("server span's references %+v: want ChildOf the new trace, then FollowsFrom the caller", refs)
	}
	if refs[0].TraceID != s.TraceID || refs[0].SpanID != 0 {
		t.Errorf("ChildOf %+v: want the new trace %s, with no span id", refs[0], s.TraceIDHex())
	}
	link := refs[1]
	if link.TraceIDHigh != callerHigh || link.TraceID != callerLow || link.SpanID != callerSpan {
		t.Errorf("FollowsFrom %x%x span %x: want the caller's %s span %s", link.TraceIDHigh, link.TraceID, link.SpanID, callerHex, callerSpanHex)
	}
	if len(link.Baggage) != 0 {
		t.Errorf("the link carries baggage %v", link.Baggage)
	}
}

// TestPublicEndpointStartsANewTrace: in every format the tracer reads, a
// caller's sampled trace is not continued: the server span is a new root
// linked to the caller's span, without its baggage, and the onward call
// carries the new trace (as a child of the Transport's client span), and no
// baggage, though the handler forwards the caller's headers.
func TestPublicEndpointStartsANewTrace(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			tr, rt := newRefTracer(t, core.WithPropagation(f.list), core.WithPublicEndpoint(true))
			w := newWorld(t, tr, f.list, true, tr.Middleware) // forwarding the caller's headers
			o := w.get(callerHeaders(f.name, "1"))

			s := serverSpan(t, rt)
			wantLinked(t, rt, s)
			if o.traceID != s.TraceIDHex() {
				t.Errorf("the handler's trace %s, want the server span's %s", o.traceID, s.TraceIDHex())
			}
			if o.baggage != "" || len(s.Baggage) != 0 {
				t.Errorf("the caller's baggage reached the handler (%q) or the span (%v)", o.baggage, s.Baggage)
			}
			sent := w.sent(o)
			if sent.TraceIDHigh != s.TraceIDHigh || sent.TraceID != s.TraceID || sent.Sampling != propagation.SamplingYes {
				t.Errorf("the onward call carried %x%x (sampling %v), want the new trace %s, sampled", sent.TraceIDHigh, sent.TraceID, sent.Sampling, s.TraceIDHex())
			}
			if len(sent.Baggage) != 0 {
				t.Errorf("the onward call carried baggage %v", sent.Baggage)
			}
			for k, v := range o.upstream {
				if all := strings.ToLower(strings.Join(v, ",")); strings.Contains(all, "mallory") || strings.Contains(all, callerHex[16:]) {
					t.Errorf("the onward call carried the caller's baggage or trace: %s: %v", k, v)
				}
			}
		})
	}
}

// TestPublicEndpointSamplesItself: the service's own sampler decides a
// public endpoint's trace, whatever the caller's flag: a sampled (or debug)
// caller at ratio 0 records nothing, and the onward call carries the new
// trace, not sampled; an unsampled caller at ratio 1 is recorded, linked.
// Without the option, the same requests follow the caller (the control).
func TestPublicEndpointSamplesItself(t *testing.T) {
	for _, f := range formats {
		for _, flag := range []string{"1", "d"} {
			if flag == "d" && f.name == "tracecontext" {
				continue // W3C has no debug flag
			}
			t.Run(f.name+"/caller="+flag+"/ratio=0", func(t *testing.T) {
				tr, rt := newRefTracer(t, core.WithPropagation(f.list), core.WithPublicEndpoint(true), core.WithSampleRate(0))
				w := newWorld(t, tr, f.list, false, tr.Middleware)
				o := w.get(callerHeaders(f.name, flag))
				if spans := rt.FinishedSpans(); len(spans) != 0 {
					t.Errorf("recorded %d spans of a trace the service's sampler left out: %+v", len(spans), spans)
				}
				if st := tr.Stats(); st.Started != 0 || st.Sampling.Forced != 0 {
					t.Errorf("stats %+v: want nothing started or forced", st)
				}
				sent := w.sent(o)
				if sent.TraceID == callerLow || sent.TraceID == 0 || sent.Sampling != propagation.SamplingNo {
					t.Errorf("the onward call carried %x (sampling %v), want a new trace, not sampled", sent.TraceID, sent.Sampling)
				}
				if o.traceID == "" || o.traceID == callerHex {
					t.Errorf("the handler's trace %q, want the new trace", o.traceID)
				}
			})
			t.Run(f.name+"/caller="+flag+"/ratio=0/not-public", func(t *testing.T) {
				tr, rt := newRefTracer(t, core.WithPropagation(f.list), core.WithSampleRate(0), core.WithForcedSampling(1000))
				w := newWorld(t, tr, f.list, false, tr.Middleware)
				o := w.get(callerHeaders(f.name, flag))
				s := serverSpan(t, rt)
				if s.TraceID != callerLow || s.ParentID != callerSpan {
					t.Errorf("without the option, the span is in %s under %x: want the caller's", s.TraceIDHex(), s.ParentID)
				}
				if sent := w.sent(o); sent.TraceID != callerLow {
					t.Errorf("without the option, the onward call carried %x, want the caller's trace", sent.TraceID)
				}
			})
		}
		t.Run(f.name+"/caller=0/ratio=1", func(t *testing.T) {
			tr, rt := newRefTracer(t, core.WithPropagation(f.list), core.WithPublicEndpoint(true))
			w := newWorld(t, tr, f.list, false, tr.Middleware)
			o := w.get(callerHeaders(f.name, "0"))
			s := serverSpan(t, rt)
			wantLinked(t, rt, s)
			if sent := w.sent(o); sent.TraceID != s.TraceID || sent.Sampling != propagation.SamplingYes {
				t.Errorf("the onward call carried %x (sampling %v), want the new trace %s, sampled", sent.TraceID, sent.Sampling, s.TraceIDHex())
			}
		})
	}
}

// TestPublicEndpointOff: without the option a caller's trace is continued,
// with its baggage, and the span has no other reference.
func TestPublicEndpointOff(t *testing.T) {
	tr, rt := newRefTracer(t)
	w := newWorld(t, tr, "tracecontext,baggage", false, tr.Middleware)
	o := w.get(callerHeaders("tracecontext", "1"))
	s := serverSpan(t, rt)
	if s.TraceIDHex() != callerHex || s.ParentID != callerSpan || o.baggage != "mallory" {
		t.Errorf("span in %s under %x, baggage %q: want the caller's trace, parent and baggage", s.TraceIDHex(), s.ParentID, o.baggage)
	}
	if refs := s.References; len(refs) != 1 || refs[0].Type != opentracing.ChildOfRef {
		t.Errorf("references %+v: want the caller's context alone", refs)
	}
	if sent := w.sent(o); sent.TraceID != callerLow || len(sent.Baggage) != 1 {
		t.Errorf("the onward call carried %+v: want the caller's trace and baggage", sent)
	}
}

// TestPublicEndpointFn: the function decides per request. Requests from
// "inside" (here, a header the test sets) continue their caller's trace;
// the others start new ones. It is called only for requests that carry a
// trace, and a panic in it makes the request public.
func TestPublicEndpointFn(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	internal := func(r *http.Request) bool {
		mu.Lock()
		calls++
		mu.Unlock()
		if r.Header.Get("X-Panic") != "" {
			panic("boom")
		}
		return r.Header.Get("X-Internal") == ""
	}
	for _, tc := range []struct {
		name   string
		extra  http.Header
		public bool
	}{
		{"outside", nil, true},
		{"inside", http.Header{"X-Internal": {"1"}}, false},
		{"panics", http.Header{"X-Internal": {"1"}, "X-Panic": {"1"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, rt := newRefTracer(t, core.WithPublicEndpointFn(internal))
			w := newWorld(t, tr, "tracecontext,baggage", false, tr.Middleware)
			h := callerHeaders("tracecontext", "1")
			for k, v := range tc.extra {
				h[k] = v
			}
			w.get(h)
			s := serverSpan(t, rt)
			if tc.public {
				wantLinked(t, rt, s)
			} else if s.TraceIDHex() != callerHex || s.ParentID != callerSpan {
				t.Errorf("span in %s under %x: want the caller's trace", s.TraceIDHex(), s.ParentID)
			}
			if got, want := tr.Stats().CallbackPanics, map[bool]uint64{true: 1}[tc.name == "panics"]; got != want {
				t.Errorf("CallbackPanics = %d, want %d", got, want)
			}
		})
	}
	t.Run("no incoming trace", func(t *testing.T) {
		mu.Lock()
		before := calls
		mu.Unlock()
		tr, _ := newRefTracer(t, core.WithPublicEndpointFn(internal))
		w := newWorld(t, tr, "tracecontext,baggage", false, tr.Middleware)
		w.get(nil)
		mu.Lock()
		defer mu.Unlock()
		if calls != before {
			t.Errorf("the function was called %d times for a request without a trace", calls-before)
		}
	})
	t.Run("WithPublicEndpoint(true) wins", func(t *testing.T) {
		tr, rt := newRefTracer(t, core.WithPublicEndpointFn(func(*http.Request) bool { return false }), core.WithPublicEndpoint(true))
		w := newWorld(t, tr, "tracecontext,baggage", false, tr.Middleware)
		w.get(callerHeaders("tracecontext", "1"))
		wantLinked(t, rt, serverSpan(t, rt))
	})
}

// TestPublicEndpointUntraced: a request the tracer does not trace (trace-all
// off, or filtered out) passes no trace of its caller on, even when the
// handler forwards its request's headers (a reverse proxy): the onward call
// starts a trace of its own. Without the option, it passes the caller's on.
func TestPublicEndpointUntraced(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []core.Option
	}{
		{"trace-all off", []core.Option{core.WithTraceAll(false)}},
		{"filtered", []core.Option{core.WithFilter(func(*http.Request) bool { return false })}},
	} {
		for _, public := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/public=%v", tc.name, public), func(t *testing.T) {
				tr, rt := newRefTracer(t, append(tc.opts, core.WithPublicEndpoint(public))...)
				w := newWorld(t, tr, "tracecontext,baggage", true, tr.Middleware)
				o := w.get(callerHeaders("tracecontext", "1"))
				sent := w.sent(o)
				if !public {
					if sent.TraceID != callerLow || len(sent.Baggage) != 1 {
						t.Errorf("without the option the onward call carried %+v: want the caller's trace and baggage", sent)
					}
					return
				}
				if sent.TraceID == callerLow || sent.TraceID == 0 || len(sent.Baggage) != 0 {
					t.Errorf("the onward call carried %+v: want a trace of its own, without the caller's baggage", sent)
				}
				// The client span is the new trace's root, sampled by
				// the service (ratio 1).
				spans := rt.FinishedSpans()
				if len(spans) != 1 || spans[0].ParentID != 0 || spans[0].TraceID != sent.TraceID || sent.SpanID != spans[0].SpanID {
					t.Errorf("spans %+v: want the onward call's client span alone, a root of the trace it carried (%x)", spans, sent.TraceID)
				}
			})
		}
	}
}

// TestPublicEndpointBaggageAlone: baggage without a trace is dropped on a
// public endpoint (elsewhere it goes on the new root).
func TestPublicEndpointBaggageAlone(t *testing.T) {
	for _, public := range []bool{true, false} {
		t.Run(fmt.Sprint("public=", public), func(t *testing.T) {
			tr, rt := newRefTracer(t, core.WithPublicEndpoint(public))
			w := newWorld(t, tr, "tracecontext,baggage", false, tr.Middleware)
			o := w.get(http.Header{"Baggage": {"user=mallory"}})
			s := serverSpan(t, rt)
			if got, want := s.Baggage["user"], map[bool]string{false: "mallory"}[public]; got != want || o.baggage != want {
				t.Errorf("span baggage user=%q, handler's %q: want %q", got, o.baggage, want)
			}
			if refs := s.References; len(refs) > 1 {
				t.Errorf("references %+v: no link without a caller's context", refs)
			}
		})
	}
}

// TestPublicEndpointRecorded: with a Recorder, whose start time takes a
// start option more, the span still links.
func TestPublicEndpointRecorded(t *testing.T) {
	rec := &countRecorder{}
	tr, rt := newRefTracer(t, core.WithPublicEndpoint(true), core.WithRecorder(rec))
	w := newWorld(t, tr, "tracecontext,baggage", false, tr.Middleware)
	w.get(callerHeaders("tracecontext", "1"))
	wantLinked(t, rt, serverSpan(t, rt))
	if n := rec.count(); n != 2 {
		t.Errorf("recorded %d spans, want the server's and the client's", n)
	}
}

type countRecorder struct {
	mu sync.Mutex
	n  int
}

func (r *countRecorder) RecordSpan(core.FinishedSpan) {
	r.mu.Lock()
	r.n++
	r.mu.Unlock()
}

func (r *countRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// TestPublicEndpointInstrument: the instrumentation surface (grpctrace's
// path) with a tracer built WithPublicEndpoint(true), and per call with
// StartPublicServerSpan and ContextWithPublicIncoming.
func TestPublicEndpointInstrument(t *testing.T) {
	md := map[string][]string{"traceparent": {"00-" + callerHex + "-" + callerSpanHex + "-01"}, "baggage": {"user=mallory"}}
	check := func(t *testing.T, tr *core.Tracer, rt *mock.Tracer, start func() opentracing.Span) {
		t.Helper()
		span := start()
		if span.BaggageItem("user") != "" {
			t.Error("the caller's baggage is on the span")
		}
		instrument.FinishSpan(tr, span)
		wantLinked(t, rt, serverSpan(t, rt))
	}
	t.Run("tracer", func(t *testing.T) {
		tr, rt := newRefTracer(t, core.WithPublicEndpoint(true))
		check(t, tr, rt, func() opentracing.Span {
			return instrument.StartServerSpan(tr, nil, "/pkg.Svc/Method", opentracing.HTTPHeadersCarrier(md))
		})
	})
	t.Run("call", func(t *testing.T) {
		tr, rt := newRefTracer(t)
		check(t, tr, rt, func() opentracing.Span {
			var buf instrument.SpanBuffer
			return instrument.StartPublicServerSpan(tr, &buf, "/pkg.Svc/Method", opentracing.HTTPHeadersCarrier(md),
				opentracing.Tag{Key: "peer.address", Value: "bufconn"})
		})
	})
	// An untraced call: per call, or by the tracer's setting.
	for name, tc := range map[string]struct {
		opts []core.Option
		ctx  func(*core.Tracer) context.Context
	}{
		"ContextWithPublicIncoming": {nil, func(tr *core.Tracer) context.Context {
			return instrument.ContextWithPublicIncoming(tr, t.Context(), opentracing.HTTPHeadersCarrier(md))
		}},
		"ContextWithIncoming on a public tracer": {[]core.Option{core.WithPublicEndpoint(true)}, func(tr *core.Tracer) context.Context {
			return instrument.ContextWithIncoming(tr, t.Context(), opentracing.HTTPHeadersCarrier(md))
		}},
	} {
		t.Run(name, func(t *testing.T) {
			tr, rt := newRefTracer(t, tc.opts...)
			span := opentracing.SpanFromContext(tc.ctx(tr))
			if span == nil {
				t.Fatal("no span in the context: an outgoing call would read its own metadata")
			}
			c := opentracing.TextMapCarrier{}
			_ = tr.Inject(span.Context(), opentracing.TextMap, c)
			if len(c) != 0 {
				t.Errorf("the context passes on %v, want nothing", c)
			}
			client := instrument.StartClientSpan(tr, nil, "/pkg.Svc/Onward", span.Context())
			instrument.FinishSpan(tr, client)
			if s := onlySpan(t, rt); s.TraceIDHex() == callerHex || s.ParentID != 0 {
				t.Errorf("the onward call's span is in %s under %x, want a root of a new trace", s.TraceIDHex(), s.ParentID)
			}
		})
	}
}

// TestPublicEndpointFromEnv: TRACEPLUG_PUBLIC_ENDPOINT, read by FromEnv on
// the registered mock backend.
func TestPublicEndpointFromEnv(t *testing.T) {
	t.Setenv(core.EnvBackend, "mock")
	t.Setenv(core.EnvTraceAll, "true")
	t.Run("true", func(t *testing.T) {
		t.Setenv(core.EnvPublicEndpoint, "TRUE")
		tr, err := core.FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		r := httptest.NewRequest("GET", "/", nil)
		for k, v := range callerHeaders("tracecontext", "1") {
			r.Header[k] = v
		}
		do(tr.Middleware(ok), r)
		if s := onlySpan(t, mockOf(tr)); s.TraceIDHex() == callerHex || s.ParentID != 0 {
			t.Errorf("span in %s under %x: want a new root", s.TraceIDHex(), s.ParentID)
		}
	})
	t.Run("bad", func(t *testing.T) {
		t.Setenv(core.EnvPublicEndpoint, "yes")
		_, err := core.FromEnv()
		if !errors.Is(err, core.ErrBadOption) || !strings.Contains(err.Error(), core.EnvPublicEndpoint) || !strings.Contains(err.Error(), "true or false") {
			t.Errorf("FromEnv with %s=yes: %v, want an error naming the variable and what it takes", core.EnvPublicEndpoint, err)
		}
	})
}

// A public endpoint needs core to decide sampling: over a tracer that
// samples by itself, the option would be ignored, so Wrap refuses it.
func TestPublicEndpointNeedsCoreSampling(t *testing.T) {
	m, err := mock.New(backend.Config{ServiceName: "edge", SampleRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		ot   opentracing.Tracer
		opts []core.Option
	}{
		{"samples by itself", m, []core.Option{core.WithPublicEndpoint(true)}},
		{"function form", m, []core.Option{core.WithPublicEndpointFn(func(*http.Request) bool { return true })}},
		{"no codec", opentracing.NoopTracer{}, []core.Option{core.WithPublicEndpoint(true)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, err := core.Wrap(c.ot, c.opts...)
			if err == nil {
				_ = tr.Close()
				t.Fatal("Wrap took WithPublicEndpoint over a tracer that samples by itself")
			}
			if !errors.Is(err, core.ErrBadOption) || !strings.Contains(err.Error(), "WithPublicEndpoint") {
				t.Errorf("error %q: want ErrBadOption naming WithPublicEndpoint", err)
			}
		})
	}
	tr, err := core.Wrap(m, core.WithPublicEndpoint(true), core.WithSampleRate(0.5))
	if err != nil {
		t.Fatalf("with a sampler chosen: %v", err)
	}
	_ = tr.Close()
}
