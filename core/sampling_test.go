package core_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/sampling"
)

// downstream is a test server that records the trace headers of every call.
func downstream(t *testing.T) (*httptest.Server, *[]http.Header) {
	t.Helper()
	var got []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Clone())
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

// callFrom returns a handler that calls url through tr's Transport.
func callFrom(t *testing.T, tr *core.Tracer, url string) http.Handler {
	client := &http.Client{Transport: tr.Transport(nil)}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", url, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("call: %v", err)
			return
		}
		resp.Body.Close()
	})
}

// TestUnsampledRecordsNothingAndPropagates: at ratio 0 no span reaches the
// backend, GetSpan still returns a span, and the call the handler makes
// carries the trace with sampled=0.
func TestUnsampledRecordsNothingAndPropagates(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithSampleRate(0))
	srv, got := downstream(t)
	call := callFrom(t, tr, srv.URL)
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tr.GetSpan(r) == nil {
			t.Error("GetSpan = nil in an unsampled traced request")
		}
		call.ServeHTTP(w, r)
	}))
	in := newRequest("/")
	in.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")
	do(h, in)
	do(h, newRequest("/")) // a new trace, not sampled at ratio 0
	if n := len(m.FinishedSpans()); n != 0 {
		t.Fatalf("recorded %d spans, want 0", n)
	}
	if len(*got) != 2 {
		t.Fatalf("downstream saw %d calls", len(*got))
	}
	if tp := (*got)[0].Get("traceparent"); tp != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00" {
		t.Errorf("incoming unsampled trace passed on as %q", tp)
	}
	if tp := (*got)[1].Get("traceparent"); !strings.HasPrefix(tp, "00-") || !strings.HasSuffix(tp, "-00") {
		t.Errorf("new unsampled trace passed on as %q", tp)
	}
	s := tr.Stats()
	if s.Started != 0 || s.Sampling.Operations["HTTP GET"].NotSampled != 2 {
		t.Errorf("stats: started %d, sampling %+v", s.Started, s.Sampling)
	}
}

// TestUntracedRequestCarriesTrace: with trace-all off and no decorator, the
// handler's calls continue the caller's trace (sampled), as children of it.
func TestUntracedRequestCarriesTrace(t *testing.T) {
	tr, m := newMock(t)
	srv, got := downstream(t)
	h := tr.Middleware(callFrom(t, tr, srv.URL))
	in := newRequest("/")
	in.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	do(h, in)
	span := onlySpan(t, m) // the client span
	if span.TraceID != 0x8448eb211c80319c || span.ParentID != 0xb7ad6b7169203331 {
		t.Errorf("client span trace %x parent %x", span.TraceID, span.ParentID)
	}
	if tp := (*got)[0].Get("traceparent"); !strings.HasPrefix(tp, "00-0af7651916cd43dd8448eb211c80319c-") || !strings.HasSuffix(tp, "-01") {
		t.Errorf("passed on as %q", tp)
	}
}

// TestRulesByRoute: a rule names the route, which the middleware learns from
// the ServeMux before deciding.
func TestRulesByRoute(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithSamplingRules(
		sampling.Rule{Operation: "GET /healthz", Ratio: 0},
		sampling.Rule{Operation: "* /orders/{id}", Ratio: 1},
		sampling.Rule{Operation: "*", Ratio: 0},
	))
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", ok)
	mux.Handle("/orders/{id}", ok)
	mux.Handle("/", ok)
	h := tr.Middleware(mux)
	for _, p := range []string{"/healthz", "/orders/7", "/other", "/healthz", "/orders/8"} {
		do(h, newRequest(p))
	}
	var names []string
	for _, s := range m.FinishedSpans() {
		names = append(names, s.Operation)
	}
	if strings.Join(names, ",") != "GET /orders/{id},GET /orders/{id}" {
		t.Errorf("recorded %q", names)
	}
	ops := tr.Stats().Sampling.Operations
	if ops["GET /healthz"].NotSampled != 2 || ops["GET /orders/{id}"].Sampled != 2 || ops["GET /"].NotSampled != 1 {
		t.Errorf("operations: %+v", ops)
	}
}

// TestStartSpanChildOfCarried: a child started from an unsampled request's
// context records nothing and carries the trace.
func TestStartSpanChildOfCarried(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithSampleRate(0))
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		child, _ := opentracing.StartSpanFromContextWithTracer(r.Context(), tr, "db")
		child.SetTag("k", "v")
		c := opentracing.HTTPHeadersCarrier(http.Header{})
		if err := tr.Inject(child.Context(), opentracing.HTTPHeaders, c); err != nil {
			t.Errorf("inject: %v", err)
		}
		if tp := http.Header(c).Get("traceparent"); !strings.HasSuffix(tp, "-00") {
			t.Errorf("child injected %q", tp)
		}
		child.Finish()
	}))
	do(h, newRequest("/"))
	if n := len(m.FinishedSpans()); n != 0 {
		t.Errorf("recorded %d spans", n)
	}
}

// TestSamplerPrecedence: code, then TRACEPLUG_SAMPLER, then
// OTEL_TRACES_SAMPLER, then the default; Stats says which.
func TestSamplerPrecedence(t *testing.T) {
	cases := []struct {
		name   string
		env    map[string]string
		opts   []core.Option
		want   string
		source string
	}{
		{"default", nil, nil, "ParentBased{root:AlwaysOnSampler", core.SourceDefault},
		{"otel", map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.5"}, nil, "TraceIDRatioBased{0.5}", "OTEL_TRACES_SAMPLER"},
		{"traceplug over otel", map[string]string{"OTEL_TRACES_SAMPLER": "always_on", "TRACEPLUG_SAMPLER": "always_off"}, nil, "AlwaysOffSampler", "TRACEPLUG_SAMPLER"},
		{"rate variable", map[string]string{"TRACEPLUG_SAMPLE_RATE": "0.1", "OTEL_TRACES_SAMPLER": "always_off"}, nil, "ParentBased{root:TraceIDRatioBased{0.1}", "TRACEPLUG_SAMPLE_RATE"},
		{"code over all", map[string]string{"OTEL_TRACES_SAMPLER": "always_off", "TRACEPLUG_SAMPLER": "always_off"}, []core.Option{core.WithSampleRate(0.2)}, "ParentBased{root:TraceIDRatioBased{0.2}", core.SourceCode},
		{"rules from the environment", map[string]string{"TRACEPLUG_SAMPLING_RULES": "GET /healthz=0"}, []core.Option{core.WithSampler(sampling.AlwaysOn())}, "Rules{GET /healthz=0; default: AlwaysOnSampler}", "code, rules from TRACEPLUG_SAMPLING_RULES"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			tr, _ := newMock(t, c.opts...)
			s := tr.Stats().Sampling
			if !strings.HasPrefix(s.Sampler, c.want) || s.Source != c.source {
				t.Errorf("sampler %q from %q, want %q… from %q", s.Sampler, s.Source, c.want, c.source)
			}
		})
	}
}

// TestSamplerBadEnvironment: a bad sampler in the environment is an error
// from New that names the variable, on every path.
func TestSamplerBadEnvironment(t *testing.T) {
	cases := []struct {
		env  map[string]string
		says string
	}{
		{map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"}, "OTEL_TRACES_SAMPLER"},
		{map[string]string{"TRACEPLUG_SAMPLER": "sometimes"}, "TRACEPLUG_SAMPLER"},
		{map[string]string{"TRACEPLUG_SAMPLER": "always_on", "TRACEPLUG_SAMPLE_RATE": "0.5"}, "both set"},
		{map[string]string{"TRACEPLUG_SAMPLING_RULES": "GET /x=often"}, "TRACEPLUG_SAMPLING_RULES"},
		{map[string]string{"TRACEPLUG_FORCED_SAMPLING": "-1"}, "TRACEPLUG_FORCED_SAMPLING"},
	}
	for _, c := range cases {
		t.Run(c.says, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			_, err := core.New("mock")
			if err == nil || !strings.Contains(err.Error(), c.says) || !errors.Is(err, core.ErrBadOption) {
				t.Errorf("error %v, want one naming %s wrapping ErrBadOption", err, c.says)
			}
		})
	}
}

// TestForcedSampling: a B3 debug request is sampled at ratio 0, within the
// limit; past it, the flag is ignored and counted.
func TestForcedSampling(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithSampleRate(0), core.WithPropagation("b3multi"), core.WithForcedSampling(3))
	h := tr.Middleware(ok)
	for range 20 {
		r := newRequest("/")
		r.Header.Set("X-B3-TraceId", "0af7651916cd43dd8448eb211c80319c")
		r.Header.Set("X-B3-SpanId", "b7ad6b7169203331")
		r.Header.Set("X-B3-Flags", "1")
		do(h, r)
	}
	// The limit's bucket starts full (3) and refills at 3/s: the requests
	// take well under a second here, but the bound is computed, not assumed.
	n := len(m.FinishedSpans())
	s := tr.Stats().Sampling
	if n < 3 || uint64(n) != s.Forced || s.Forced+s.ForcedOverLimit != 20 {
		t.Errorf("%d forced traces recorded; stats forced %d, over the limit %d", n, s.Forced, s.ForcedOverLimit)
	}
}

// TestForcedWithoutIDs: a debug flag with no trace (a lone X-B3-Flags: 1, a
// lone jaeger-debug-id) starts a new trace that is exported, tagged with
// the debug id when there is one.
func TestForcedWithoutIDs(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithSampleRate(0), core.WithPropagation("jaeger,b3multi"))
	h := tr.Middleware(ok)
	r := newRequest("/")
	r.Header.Set("X-B3-Flags", "1")
	do(h, r)
	r = newRequest("/")
	r.Header.Set("Jaeger-Debug-Id", "ticket-42")
	do(h, r)
	spans := m.FinishedSpans()
	if len(spans) != 1 { // one a second by default
		t.Fatalf("recorded %d spans, want 1 (the limit)", len(spans))
	}
	tr2, m2 := newMock(t, core.WithTraceAll(true), core.WithSampleRate(0), core.WithPropagation("jaeger"))
	do(tr2.Middleware(ok), r)
	span := onlySpan(t, m2)
	wantTag(t, span, core.TagDebugID, "ticket-42")
	if span.TraceID == 0 || span.ParentID != 0 {
		t.Errorf("forced root: trace %x parent %x", span.TraceID, span.ParentID)
	}
}

// TestUntracedObeysForcedLimitAndSampler: with trace-all off, a caller's
// decision passed through an untraced request is decided as any entry:
// WithForcedSampling(0) ignores debug flags, and a sampler that is not
// parent based overrules a caller's sampled flag, as with trace-all on.
func TestUntracedObeysForcedLimitAndSampler(t *testing.T) {
	srv, got := downstream(t)
	for _, c := range []struct {
		name   string
		opts   []core.Option
		header string
	}{
		{"forced off", []core.Option{core.WithSampleRate(0), core.WithForcedSampling(0)}, "1"},
		{"always off", []core.Option{core.WithSampler(sampling.AlwaysOff())}, "0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, m := newMock(t, append(c.opts, core.WithPropagation("b3multi"))...)
			h := tr.Middleware(callFrom(t, tr, srv.URL))
			r := newRequest("/")
			r.Header.Set("X-B3-TraceId", "0af7651916cd43dd8448eb211c80319c")
			r.Header.Set("X-B3-SpanId", "b7ad6b7169203331")
			if c.header == "1" {
				r.Header.Set("X-B3-Flags", "1")
			} else {
				r.Header.Set("X-B3-Sampled", "1")
			}
			do(h, r)
			if n := len(m.FinishedSpans()); n != 0 {
				t.Errorf("recorded %d spans", n)
			}
			last := (*got)[len(*got)-1]
			if last.Get("X-B3-Traceid") != "0af7651916cd43dd8448eb211c80319c" || last.Get("X-B3-Sampled") != "0" {
				t.Errorf("passed on %v", last)
			}
			s := tr.Stats().Sampling
			if s.Operations["HTTP GET"].NotSampled != 1 {
				t.Errorf("not counted: %+v", s)
			}
		})
	}
}

// TestStartSpanChildOfCarriedSampled: in an untraced request that came with
// a sampled trace, a span started from its context (ChildOf, or inside
// ext.RPCServerOption) is a recorded child of the caller's span.
func TestStartSpanChildOfCarriedSampled(t *testing.T) {
	tr, m := newMock(t)
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		child, _ := opentracing.StartSpanFromContextWithTracer(r.Context(), tr, "db")
		child.Finish()
		rpc := tr.StartSpan("rpc", ext.RPCServerOption(opentracing.SpanFromContext(r.Context()).Context()))
		rpc.Finish()
	}))
	in := newRequest("/")
	in.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	do(h, in)
	spans := m.FinishedSpans()
	if len(spans) != 2 {
		t.Fatalf("recorded %d spans, want 2", len(spans))
	}
	for _, s := range spans {
		if s.TraceIDHex() != "0af7651916cd43dd8448eb211c80319c" || s.ParentID != 0xb7ad6b7169203331 {
			t.Errorf("%s: trace %s parent %x", s.Operation, s.TraceIDHex(), s.ParentID)
		}
	}
}
