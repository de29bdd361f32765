package interop_test

// Adversarial interoperability tests: OpenTelemetry services (the plain SDK
// with otelhttp) on both sides of a traceplug hop that uses the otel
// backend, over loopback. The OpenTelemetry peers record their spans with a
// tracetest.SpanRecorder; what traceplug exports is read from the backend's
// in-process OTLP collector (oteltest).
//
//	upstream SDK client --> traceplug server (Middleware) --> traceplug client (Transport) --> downstream SDK server
//
// Two of them found bugs, fixed since: a valid tracestate with a
// white-space-only member ("a=1, ,b=2") was dropped, which OpenTelemetry's
// parser refuses (propagation now passes tracestate on without empty
// members); and OTEL_EXPORTER_OTLP_PROTOCOL=grpc turned an http:// endpoint
// given in code into a gRPC target.

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/baggage"
	otelprop "go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	_ "github.com/traceplug/traceplug/backends/otel/otlpgrpc/otlpgrpctest" // oteltest's transport "grpc", and the gRPC exporter
	"github.com/traceplug/traceplug/core"
)

// ---------------------------------------------------------------------------
// Fixture

const (
	rvTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	rvSpanID  = "00f067aa0ba902b7"
)

// rvPeer is a plain OpenTelemetry SDK service: ParentBased(AlwaysSample), W3C
// trace context and baggage, every span it records kept.
type rvPeer struct {
	rec  *tracetest.SpanRecorder
	tp   *sdktrace.TracerProvider
	prop otelprop.TextMapPropagator
}

func newPeer(t *testing.T) *rvPeer {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		sdktrace.WithSpanProcessor(rec),
	)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &rvPeer{rec: rec, tp: tp, prop: otelprop.NewCompositeTextMapPropagator(otelprop.TraceContext{}, otelprop.Baggage{})}
}

// rvSeen is what the downstream OpenTelemetry server saw of one request.
type rvSeen struct {
	header http.Header
	server trace.SpanContext // otelhttp's server span
	parent trace.SpanContext // the remote parent it extracted
	bag    baggage.Baggage
}

// rvDownstream is an otelhttp server on the peer's SDK.
type rvDownstream struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []rvSeen
}

func newDownstream(t *testing.T, p *rvPeer) *rvDownstream {
	t.Helper()
	d := &rvDownstream{}
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parent := trace.SpanContextFromContext(p.prop.Extract(context.Background(), otelprop.HeaderCarrier(r.Header)))
		d.mu.Lock()
		d.seen = append(d.seen, rvSeen{
			header: r.Header.Clone(),
			server: trace.SpanContextFromContext(r.Context()),
			parent: parent,
			bag:    baggage.FromContext(r.Context()),
		})
		d.mu.Unlock()
		if code := r.URL.Query().Get("status"); code != "" {
			var n int
			fmt.Sscan(code, &n)
			w.WriteHeader(n)
		}
		_, _ = io.WriteString(w, "ok")
	})
	d.srv = httptest.NewServer(otelhttp.NewHandler(inner, "downstream",
		otelhttp.WithTracerProvider(p.tp), otelhttp.WithPropagators(p.prop)))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *rvDownstream) last(t *testing.T) rvSeen {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.seen) == 0 {
		t.Fatal("the downstream OpenTelemetry service was not called")
	}
	return d.seen[len(d.seen)-1]
}

// rvMiddle is the traceplug service: its Middleware around a handler that
// calls the downstream service through its Transport, with the request's
// context, and answers with the status the request's ?status= asks for.
type rvMiddle struct {
	srv      *httptest.Server
	mu       sync.Mutex
	baggage  map[string]string // the server span's baggage, last request
	clientTr *http.Transport
}

func newMiddle(t *testing.T, tr *core.Tracer, down *rvDownstream) *rvMiddle {
	t.Helper()
	m := &rvMiddle{clientTr: &http.Transport{}}
	t.Cleanup(m.clientTr.CloseIdleConnections)
	hc := &http.Client{Transport: tr.Transport(m.clientTr)}
	m.srv = httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bag := map[string]string{}
		if s := opentracing.SpanFromContext(r.Context()); s != nil {
			s.Context().ForeachBaggageItem(func(k, v string) bool { bag[k] = v; return true })
		}
		m.mu.Lock()
		m.baggage = bag
		m.mu.Unlock()
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, down.srv.URL+"/down", nil)
		resp, err := hc.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if code := r.URL.Query().Get("status"); code != "" {
			var n int
			fmt.Sscan(code, &n)
			w.WriteHeader(n)
		}
		_, _ = io.WriteString(w, "served")
	})))
	t.Cleanup(m.srv.Close)
	return m
}

// hopTracer is a traceplug tracer on the otel backend that traces every
// request, its server spans named "server".
func hopTracer(t *testing.T, c *oteltest.Collector, opts ...core.Option) (*core.Tracer, *otel.Tracer) {
	t.Helper()
	base := []core.Option{core.WithTraceAll(true), core.WithServiceName("middle"),
		core.WithOperationName(func(*http.Request) string { return "server" })}
	tr, err := core.New("otel", append(c.Options("http"), append(base, opts...)...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr, tr.Unwrap().(*otel.Tracer)
}

// hopRaw sends a GET with exactly these headers (several values per name
// allowed) and returns the status.
func hopRaw(t *testing.T, url string, h http.Header) int {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// rvOTelCall sends a GET through otelhttp's Transport on the peer's SDK, in
// ctx (which may hold a remote parent, and baggage), and returns the
// status.
func rvOTelCall(t *testing.T, ctx context.Context, p *rvPeer, url string) int {
	t.Helper()
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	hc := &http.Client{Transport: otelhttp.NewTransport(base, otelhttp.WithTracerProvider(p.tp), otelhttp.WithPropagators(p.prop))}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// remoteParent is ctx with a remote span context, as an OpenTelemetry
// service holds after extracting its caller's headers.
func remoteParent(t *testing.T, tid, sid string, flags trace.TraceFlags, ts string) context.Context {
	t.Helper()
	var scc trace.SpanContextConfig
	var err error
	if scc.TraceID, err = trace.TraceIDFromHex(tid); err != nil {
		t.Fatal(err)
	}
	if scc.SpanID, err = trace.SpanIDFromHex(sid); err != nil {
		t.Fatal(err)
	}
	if scc.TraceState, err = trace.ParseTraceState(ts); err != nil {
		t.Fatal(err)
	}
	scc.TraceFlags, scc.Remote = flags, true
	return trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(scc))
}

// oneOfKind returns the only exported span of kind k named name.
func oneOfKind(t *testing.T, spans []*tracepb.Span, name string, k tracepb.Span_SpanKind) *tracepb.Span {
	t.Helper()
	var found []*tracepb.Span
	for _, s := range spans {
		if s.GetName() == name && s.GetKind() == k {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		var all []string
		for _, s := range spans {
			all = append(all, fmt.Sprintf("%s/%v", s.GetName(), s.GetKind()))
		}
		t.Fatalf("want one exported span %q of kind %v, got %d among %v", name, k, len(found), all)
	}
	return found[0]
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// endedByKind returns the peer's only recorded span of kind k.
func endedByKind(t *testing.T, p *rvPeer, k trace.SpanKind) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range p.rec.Ended() {
		if s.SpanKind() == k {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one recorded span of kind %v, got %d", k, len(found))
	}
	return found[0]
}

// parseTP splits a traceparent into its fields.
func parseTP(t *testing.T, v string) (version, tid, sid, flags string) {
	t.Helper()
	parts := strings.Split(v, "-")
	if len(parts) != 4 || len(v) != 55 {
		t.Fatalf("traceparent %q is not a version-00 traceparent", v)
	}
	return parts[0], parts[1], parts[2], parts[3]
}

// ---------------------------------------------------------------------------
// Trace ids, parents, kinds, status

// TestOTelHopChainIDsAndKinds: an OpenTelemetry client calls traceplug, which
// calls an OpenTelemetry server: one trace, with the full 128-bit trace id
// (also with a zero high or low half), each span the child of the one
// before, SERVER and CLIENT kinds on the wire, the remote flag set on the
// server span's parent.
func TestOTelHopChainIDsAndKinds(t *testing.T) {
	for _, tid := range []string{
		rvTraceID,
		"0000000000000000a3ce929d0e0e4736", // 64-bit id, as 32 digits
		"4bf92f3577b34da60000000000000000", // low half zero
	} {
		t.Run(tid, func(t *testing.T) {
			c := oteltest.New(t)
			tr, _ := hopTracer(t, c)
			up, down := newPeer(t), newPeer(t)
			ds := newDownstream(t, down)
			mid := newMiddle(t, tr, ds)

			if code := rvOTelCall(t, remoteParent(t, tid, rvSpanID, trace.FlagsSampled, ""), up, mid.srv.URL+"/x"); code != 200 {
				t.Fatalf("status %d", code)
			}
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}
			upClient := endedByKind(t, up, trace.SpanKindClient)
			spans := c.OTLPSpans()
			server := oneOfKind(t, spans, "server", tracepb.Span_SPAN_KIND_SERVER)
			client := oneOfKind(t, spans, "HTTP GET", tracepb.Span_SPAN_KIND_CLIENT)
			seen := ds.last(t)
			downServer := endedByKind(t, down, trace.SpanKindServer)

			if got := upClient.SpanContext().TraceID().String(); got != tid {
				t.Fatalf("upstream client trace id %s, want %s", got, tid)
			}
			for name, s := range map[string]*tracepb.Span{"traceplug server": server, "traceplug client": client} {
				if got := hexOf(s.GetTraceId()); got != tid {
					t.Errorf("%s: trace id %s, want %s", name, got, tid)
				}
			}
			if got, want := hexOf(server.GetParentSpanId()), upClient.SpanContext().SpanID().String(); got != want {
				t.Errorf("traceplug server: parent %s, want the OpenTelemetry client span %s", got, want)
			}
			if got, want := hexOf(client.GetParentSpanId()), hexOf(server.GetSpanId()); got != want {
				t.Errorf("traceplug client: parent %s, want the server span %s", got, want)
			}
			if f := server.GetFlags(); f&0x300 != 0x300 || f&0xff != 0x01 {
				t.Errorf("traceplug server: OTLP flags %#x, want remote parent (0x300) and sampled (0x01)", f)
			}
			if got := downServer.SpanContext().TraceID().String(); got != tid {
				t.Errorf("downstream server: trace id %s, want %s", got, tid)
			}
			if got, want := downServer.Parent().SpanID().String(), hexOf(client.GetSpanId()); got != want || !downServer.Parent().IsRemote() {
				t.Errorf("downstream server: parent %s (remote %v), want the traceplug client span %s", got, downServer.Parent().IsRemote(), want)
			}
			_, ptid, psid, flags := parseTP(t, seen.header.Get("traceparent"))
			if ptid != tid || psid != hexOf(client.GetSpanId()) || flags != "01" {
				t.Errorf("downstream traceparent %q", seen.header.Get("traceparent"))
			}
		})
	}
}

// TestOTelHopHTTPStatus: a 500 makes the server and the client span ERROR
// on the wire; a 404 leaves the server span's status unset.
func TestOTelHopHTTPStatus(t *testing.T) {
	c := oteltest.New(t)
	tr, _ := hopTracer(t, c, core.WithOperationName(func(r *http.Request) string { return "server " + r.URL.Query().Get("status") }))
	up, down := newPeer(t), newPeer(t)
	ds := newDownstream(t, down)
	mid := newMiddle(t, tr, ds)
	// The middle answers with the status asked; its downstream call answers 200.
	for _, code := range []int{500, 404} {
		if got := rvOTelCall(t, context.Background(), up, fmt.Sprintf("%s/x?status=%d", mid.srv.URL, code)); got != code {
			t.Fatalf("status %d, want %d", got, code)
		}
	}
	// A downstream 500, seen by traceplug's client.
	hc := &http.Client{Transport: tr.Transport(nil)}
	s := tr.StartSpan("caller")
	req, _ := http.NewRequestWithContext(opentracing.ContextWithSpan(context.Background(), s), http.MethodGet, ds.srv.URL+"/d?status=500", nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s.Finish()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	_ = tr.Close()

	spans := c.OTLPSpans()
	if st := oneOfKind(t, spans, "server 500", tracepb.Span_SPAN_KIND_SERVER).GetStatus(); st.GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("server 500: status %v, want ERROR", st)
	}
	if st := oneOfKind(t, spans, "server 404", tracepb.Span_SPAN_KIND_SERVER).GetStatus(); st.GetCode() != tracepb.Status_STATUS_CODE_UNSET {
		t.Errorf("server 404: status %v, want UNSET", st)
	}
	var clientErr bool
	for _, sp := range spans {
		if sp.GetKind() == tracepb.Span_SPAN_KIND_CLIENT && bytes.Equal(sp.GetParentSpanId(), spanIDOf(t, tr, s)) {
			clientErr = sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR
		}
	}
	if !clientErr {
		t.Errorf("client span of a call answered 500 is not ERROR")
	}
}

func spanIDOf(t *testing.T, tr *core.Tracer, s opentracing.Span) []byte {
	t.Helper()
	psc, ok := tr.Unwrap().(*otel.Tracer).ExportSpanContext(s.Context())
	if !ok {
		t.Fatal("not the backend's span")
	}
	b := make([]byte, 8)
	for i := range 8 {
		b[i] = byte(psc.SpanID >> (56 - 8*i))
	}
	return b
}

// ---------------------------------------------------------------------------
// tracestate

func tracestate32() string {
	var m []string
	for i := range 32 {
		m = append(m, fmt.Sprintf("v%02d=val%02d", i, i))
	}
	m[5] = "tenant@sys=x y" // multi-tenant key, inner space
	m[9] = "k9= leading"    // a leading space is part of the value
	return strings.Join(m, ",")
}

// TestOTelHopTraceStateFromOTel: the tracestate of an OpenTelemetry caller
// (32 members, the W3C maximum) is on traceplug's spans and reaches the
// next OpenTelemetry service unchanged, in order.
func TestOTelHopTraceStateFromOTel(t *testing.T) {
	ts := tracestate32()
	c := oteltest.New(t)
	tr, _ := hopTracer(t, c)
	up, down := newPeer(t), newPeer(t)
	ds := newDownstream(t, down)
	mid := newMiddle(t, tr, ds)
	rvOTelCall(t, remoteParent(t, rvTraceID, rvSpanID, trace.FlagsSampled, ts), up, mid.srv.URL+"/x")
	_ = tr.Close()

	if got := endedByKind(t, up, trace.SpanKindClient).SpanContext().TraceState().String(); got != ts {
		t.Fatalf("the upstream client itself has tracestate %q", got)
	}
	spans := c.OTLPSpans()
	for _, s := range []*tracepb.Span{oneOfKind(t, spans, "server", tracepb.Span_SPAN_KIND_SERVER), oneOfKind(t, spans, "HTTP GET", tracepb.Span_SPAN_KIND_CLIENT)} {
		if s.GetTraceState() != ts {
			t.Errorf("%s: OTLP trace_state %q, want %q", s.GetName(), s.GetTraceState(), ts)
		}
	}
	seen := ds.last(t)
	if got := seen.header.Get("tracestate"); got != ts {
		t.Errorf("downstream tracestate header %q, want %q", got, ts)
	}
	if got := endedByKind(t, down, trace.SpanKindServer).SpanContext().TraceState().String(); got != ts {
		t.Errorf("downstream server span tracestate %q, want %q", got, ts)
	}
}

// TestOTelHopTraceStateRaw: tracestate headers as the wire may carry them. A
// valid tracestate (several headers, which W3C says to join; optional white
// space; empty and white-space-only members, which W3C allows and says
// vendors MUST accept) is forwarded with the same members in the same order;
// an invalid one may be dropped, but whole, and never breaks the trace.
func TestOTelHopTraceStateRaw(t *testing.T) {
	tp := "00-" + rvTraceID + "-" + rvSpanID + "-01"
	for _, tc := range []struct {
		name    string
		values  []string
		want    string // the members forwarded, normalized
		invalid bool   // may be dropped (whole)
	}{
		{name: "32 members", values: []string{tracestate32()}, want: tracestate32()},
		{name: "two headers", values: []string{"a=1,b=2", "c=3"}, want: "a=1,b=2,c=3"},
		{name: "OWS around members", values: []string{"a=1 ,\tb=2 , c=3"}, want: "a=1,b=2,c=3"},
		{name: "empty member", values: []string{"a=1,,b=2"}, want: "a=1,b=2"},
		{name: "white-space-only member", values: []string{"a=1, ,b=2"}, want: "a=1,b=2"},
		{name: "second header white space only", values: []string{"a=1", " "}, want: "a=1"},
		{name: "empty second header", values: []string{"a=1", ""}, want: "a=1"},
		{name: "33 members", values: []string{tracestate32() + ",extra=1"}, invalid: true},
		{name: "duplicate key", values: []string{"a=1,b=2,a=3"}, invalid: true},
		{name: "upper-case key", values: []string{"a=1,Bad=2"}, invalid: true},
		{name: "value with =", values: []string{"a=1,b=x=y"}, invalid: true},
		{name: "member without =", values: []string{"a=1,junk"}, invalid: true},
		{name: "non-ASCII value", values: []string{"a=1,b=é"}, invalid: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := oteltest.New(t)
			tr, _ := hopTracer(t, c)
			down := newPeer(t)
			ds := newDownstream(t, down)
			mid := newMiddle(t, tr, ds)
			h := http.Header{"Traceparent": {tp}, "Tracestate": tc.values}
			if code := hopRaw(t, mid.srv.URL+"/x", h); code != 200 {
				t.Fatalf("status %d", code)
			}
			_ = tr.Close()
			seen := ds.last(t)
			if _, tid, _, _ := parseTP(t, seen.header.Get("traceparent")); tid != rvTraceID {
				t.Fatalf("the tracestate broke the trace: downstream traceparent %q", seen.header.Get("traceparent"))
			}
			server := oneOfKind(t, c.OTLPSpans(), "server", tracepb.Span_SPAN_KIND_SERVER)
			if hexOf(server.GetParentSpanId()) != rvSpanID {
				t.Errorf("server span parent %x, want %s", server.GetParentSpanId(), rvSpanID)
			}
			if v, ok := oteltest.Attributes(server)[core.TagExtractError]; ok {
				t.Errorf("a tracestate problem tagged the span %s=%v", core.TagExtractError, v)
			}
			got := normalizeTS(strings.Join(seen.header.Values("tracestate"), ","))
			switch {
			case tc.invalid && got != "" && got != normalizeTS(strings.Join(tc.values, ",")):
				t.Errorf("invalid tracestate %q forwarded altered: %q", tc.values, got)
			case !tc.invalid && got != tc.want:
				t.Errorf("valid tracestate %q forwarded as %q, want %q", tc.values, got, tc.want)
			}
			if !tc.invalid && normalizeTS(server.GetTraceState()) != tc.want {
				t.Errorf("server span trace_state %q, want %q", server.GetTraceState(), tc.want)
			}
		})
	}
}

// normalizeTS drops empty members and optional white space around members.
func normalizeTS(ts string) string {
	var out []string
	for _, m := range strings.Split(ts, ",") {
		if m = strings.Trim(m, " \t"); m != "" {
			out = append(out, m)
		}
	}
	return strings.Join(out, ",")
}

// ---------------------------------------------------------------------------
// Sampling and trace flags

// TestOTelHopSampling: the caller's sampled flag decides, both ways, whatever
// traceplug's own rate for new traces; an unsampled trace is not exported
// but keeps its trace id (and tracestate) downstream with flags 00.
func TestOTelHopSampling(t *testing.T) {
	for _, tc := range []struct {
		name    string
		flags   trace.TraceFlags
		rate    []core.Option
		sampled bool
	}{
		{"sampled=0", 0, nil, false},
		{"sampled=0, random", trace.FlagsRandom, nil, false},
		{"sampled=1, rate 0", trace.FlagsSampled, []core.Option{core.WithSampleRate(0)}, true},
		{"sampled=0, rate 1", 0, []core.Option{core.WithSampleRate(1)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := oteltest.New(t)
			tr, _ := hopTracer(t, c, tc.rate...)
			up, down := newPeer(t), newPeer(t)
			ds := newDownstream(t, down)
			mid := newMiddle(t, tr, ds)
			rvOTelCall(t, remoteParent(t, rvTraceID, rvSpanID, tc.flags, "up=1"), up, mid.srv.URL+"/x")
			_ = tr.Close()

			seen := ds.last(t)
			_, tid, sid, flags := parseTP(t, seen.header.Get("traceparent"))
			if tid != rvTraceID {
				t.Errorf("downstream trace id %s, want %s", tid, rvTraceID)
			}
			if sid == rvSpanID || sid == strings.Repeat("0", 16) {
				t.Errorf("downstream parent id %s: want a span of traceplug", sid)
			}
			if seen.server.IsSampled() != tc.sampled || (flags[1]&1 == 1) != tc.sampled {
				t.Errorf("downstream: flags %s, server span sampled %v; want sampled %v", flags, seen.server.IsSampled(), tc.sampled)
			}
			if got := seen.header.Get("tracestate"); got != "up=1" {
				t.Errorf("downstream tracestate %q, want up=1", got)
			}
			if n := len(c.OTLPSpans()); tc.sampled && n != 2 || !tc.sampled && n != 0 {
				t.Errorf("%d spans exported, want %d", n, map[bool]int{true: 2, false: 0}[tc.sampled])
			}
			if !tc.sampled && len(down.rec.Ended()) != 0 {
				t.Errorf("downstream recorded %d spans of an unsampled trace", len(down.rec.Ended()))
			}
		})
	}
}

// TestOTelHopTraceFlagBits: trace-flags bits other than sampled. Bit 0 is
// read whatever the others (W3C: "09" is sampled); traceplug writes no
// undefined bit (W3C Level 1: vendors MUST set them to zero). The random
// bit (0x02, W3C Level 2, which the OpenTelemetry SDK keeps) is kept.
func TestOTelHopTraceFlagBits(t *testing.T) {
	for _, tc := range []struct {
		in      string
		sampled bool
	}{{"01", true}, {"03", true}, {"09", true}, {"ff", true}, {"02", false}, {"fe", false}} {
		t.Run(tc.in, func(t *testing.T) {
			c := oteltest.New(t)
			tr, _ := hopTracer(t, c)
			ds := newDownstream(t, newPeer(t))
			mid := newMiddle(t, tr, ds)
			hopRaw(t, mid.srv.URL+"/x", http.Header{"Traceparent": {"00-" + rvTraceID + "-" + rvSpanID + "-" + tc.in}})
			_ = tr.Close()
			_, tid, _, flags := parseTP(t, ds.last(t).header.Get("traceparent"))
			if tid != rvTraceID {
				t.Fatalf("flags %s restarted the trace", tc.in)
			}
			var f byte
			fmt.Sscanf(flags, "%02x", &f)
			if (f&1 == 1) != tc.sampled {
				t.Errorf("flags %s upstream: downstream flags %s, want sampled %v", tc.in, flags, tc.sampled)
			}
			if f&^3 != 0 {
				t.Errorf("flags %s upstream: downstream flags %s carry undefined bits", tc.in, flags)
			}
			var in byte
			fmt.Sscanf(tc.in, "%02x", &in)
			if f&2 != in&2 {
				t.Errorf("flags %s upstream: downstream flags %s, want the random flag (W3C Level 2) kept", tc.in, flags)
			}
			if n := len(c.OTLPSpans()); tc.sampled != (n > 0) {
				t.Errorf("%d spans exported, want sampled %v", n, tc.sampled)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// traceparent parsing

// TestOTelHopTraceparentParsing: traceparent values at the edges of W3C
// Trace Context. A future version is parsed by the version-00 fields
// (§3.2.4) and forwarded as version 00; a malformed one is a new root
// trace, tagged traceplug.extract_error, whose tracestate is not read (W3C:
// MUST NOT parse tracestate when traceparent failed), and the request is
// served.
func TestOTelHopTraceparentParsing(t *testing.T) {
	tid, sid := rvTraceID, rvSpanID
	for _, tc := range []struct {
		name, tp string
		valid    bool
		sampled  bool
	}{
		{"version 00", "00-" + tid + "-" + sid + "-01", true, true},
		{"future version, extra field", "cc-" + tid + "-" + sid + "-01-what-the-future-holds", true, true},
		{"future version, exact length", "cc-" + tid + "-" + sid + "-00", true, false},
		{"future version, extra field, unknown flags", "cc-" + tid + "-" + sid + "-09-x", true, true},
		{"future version, OWS", " cc-" + tid + "-" + sid + "-01-x\t", true, true},
		{"version 00, extra field", "00-" + tid + "-" + sid + "-01-extra", false, false},
		{"version 00, trailing dash", "00-" + tid + "-" + sid + "-01-", false, false},
		{"future version, flags not followed by dash", "cc-" + tid + "-" + sid + "-01x", false, false},
		{"future version, short", "cc-" + tid + "-" + sid + "-1", false, false},
		{"version ff", "ff-" + tid + "-" + sid + "-01", false, false},
		{"upper-case trace id", "00-" + strings.ToUpper(tid) + "-" + sid + "-01", false, false},
		{"upper-case span id", "00-" + tid + "-" + strings.ToUpper("00f067aa0ba902bf") + "-01", false, false},
		{"upper-case version", "0A-" + tid + "-" + sid + "-01", false, false},
		{"upper-case flags", "00-" + tid + "-" + sid + "-0A", false, false},
		{"zero trace id", "00-" + strings.Repeat("0", 32) + "-" + sid + "-01", false, false},
		{"zero span id", "00-" + tid + "-" + strings.Repeat("0", 16) + "-01", false, false},
		{"future version, zero trace id", "cc-" + strings.Repeat("0", 32) + "-" + sid + "-01-x", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := oteltest.New(t)
			tr, _ := hopTracer(t, c)
			ds := newDownstream(t, newPeer(t))
			mid := newMiddle(t, tr, ds)
			h := http.Header{"Traceparent": {tc.tp}, "Tracestate": {"up=1"}, "Baggage": {"user=ann%20b"}}
			if code := hopRaw(t, mid.srv.URL+"/x", h); code != 200 {
				t.Fatalf("request not served: status %d", code)
			}
			_ = tr.Close()
			seen := ds.last(t)
			version, dtid, _, flags := parseTP(t, seen.header.Get("traceparent"))
			if version != "00" {
				t.Errorf("downstream version %s, want 00", version)
			}
			if v := seen.bag.Member("user").Value(); v != "ann b" {
				t.Errorf("downstream baggage user=%q, want %q (W3C baggage does not depend on traceparent)", v, "ann b")
			}
			spans := c.OTLPSpans()
			if tc.valid {
				if dtid != tid || (flags == "01") != tc.sampled {
					t.Errorf("downstream traceparent %q, want trace %s sampled %v", seen.header.Get("traceparent"), tid, tc.sampled)
				}
				if seen.header.Get("tracestate") != "up=1" {
					t.Errorf("downstream tracestate %q, want up=1", seen.header.Get("tracestate"))
				}
				if !tc.sampled {
					return
				}
				server := oneOfKind(t, spans, "server", tracepb.Span_SPAN_KIND_SERVER)
				if hexOf(server.GetTraceId()) != tid || hexOf(server.GetParentSpanId()) != sid {
					t.Errorf("server span: trace %x parent %x, want %s %s", server.GetTraceId(), server.GetParentSpanId(), tid, sid)
				}
				if v, ok := oteltest.Attributes(server)[core.TagExtractError]; ok {
					t.Errorf("valid traceparent tagged %s=%v", core.TagExtractError, v)
				}
				return
			}
			if dtid == tid {
				t.Errorf("invalid traceparent %q continued: downstream %q", tc.tp, seen.header.Get("traceparent"))
			}
			if ts := seen.header.Get("tracestate"); ts != "" {
				t.Errorf("tracestate %q of an invalid traceparent forwarded", ts)
			}
			server := oneOfKind(t, spans, "server", tracepb.Span_SPAN_KIND_SERVER)
			if len(server.GetParentSpanId()) != 0 || hexOf(server.GetTraceId()) == tid {
				t.Errorf("server span is not a new root: trace %x parent %x", server.GetTraceId(), server.GetParentSpanId())
			}
			if hexOf(server.GetTraceId()) != dtid {
				t.Errorf("downstream trace %s is not the new root's %x", dtid, server.GetTraceId())
			}
			if v, ok := oteltest.Attributes(server)[core.TagExtractError]; !ok || v == "" {
				t.Errorf("new root not tagged %s", core.TagExtractError)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Baggage

var rvBaggage = map[string]string{
	"plain":   "v",
	"space":   "a b",
	"percent": "100%",
	"equals":  "x=y",
	"comma":   "a,b;c",
	"plus":    "1+1",
	"utf8":    "ünïcode ✓",
	"quote":   `"q"\`,
}

// TestOTelHopBaggageFromOTel: W3C baggage written by the OpenTelemetry SDK
// (percent-encoded values, members with properties) is read by traceplug
// with its values decoded, and reaches the next OpenTelemetry service with
// the same values. (Properties are documented as dropped by traceplug.)
func TestOTelHopBaggageFromOTel(t *testing.T) {
	c := oteltest.New(t)
	tr, _ := hopTracer(t, c)
	up, down := newPeer(t), newPeer(t)
	ds := newDownstream(t, down)
	mid := newMiddle(t, tr, ds)

	var members []baggage.Member
	for k, v := range rvBaggage {
		var props []baggage.Property
		if k == "plain" || k == "space" {
			p, err := baggage.NewKeyValueProperty("prop", "1")
			if err != nil {
				t.Fatal(err)
			}
			props = append(props, p)
		}
		m, err := baggage.NewMemberRaw(k, v, props...)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		members = append(members, m)
	}
	bag, err := baggage.New(members...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := baggage.ContextWithBaggage(remoteParent(t, rvTraceID, rvSpanID, trace.FlagsSampled, ""), bag)
	rvOTelCall(t, ctx, up, mid.srv.URL+"/x")
	_ = tr.Close()

	mid.mu.Lock()
	got := mid.baggage
	mid.mu.Unlock()
	for k, v := range rvBaggage {
		if got[k] != v {
			t.Errorf("traceplug read baggage %s=%q, want %q", k, got[k], v)
		}
	}
	seen := ds.last(t)
	for k, v := range rvBaggage {
		if m := seen.bag.Member(k); m.Value() != v {
			t.Errorf("downstream SDK read baggage %s=%q, want %q (header %q)", k, m.Value(), v, seen.header.Get("baggage"))
		}
	}
	var lost []string
	for _, k := range []string{"plain", "space"} {
		if len(seen.bag.Member(k).Properties()) == 0 {
			lost = append(lost, k)
		}
	}
	if len(lost) > 0 {
		t.Logf("note: baggage properties of %v dropped across traceplug (documented in propagation/doc.go)", lost)
	}
}

// TestOTelHopBaggageToOTel: baggage set through OpenTracing reaches an
// OpenTelemetry service with the same values.
func TestOTelHopBaggageToOTel(t *testing.T) {
	c := oteltest.New(t)
	tr, _ := hopTracer(t, c)
	ds := newDownstream(t, newPeer(t))
	s := tr.StartSpan("root")
	for k, v := range rvBaggage {
		s.SetBaggageItem(k, v)
	}
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(opentracing.ContextWithSpan(context.Background(), s), http.MethodGet, ds.srv.URL+"/d", nil)
	resp, err := (&http.Client{Transport: tr.Transport(base)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s.Finish()
	_ = tr.Close()
	seen := ds.last(t)
	for k, v := range rvBaggage {
		if m := seen.bag.Member(k); m.Value() != v {
			t.Errorf("downstream SDK read baggage %s=%q, want %q (header %q)", k, m.Value(), v, seen.header.Get("baggage"))
		}
	}
}

// ---------------------------------------------------------------------------
// Both APIs in one process, with otelhttp

// TestOTelHopOTelInsideTraceplug: in a handler that traceplug traces, a span
// started with the OpenTelemetry API (the backend's provider) is a child of
// traceplug's server span, and otelhttp's client (on the same provider and
// propagator) continues it to the next OpenTelemetry service.
func TestOTelHopOTelInsideTraceplug(t *testing.T) {
	c := oteltest.New(t)
	tr, ot := hopTracer(t, c)
	ds := newDownstream(t, newPeer(t))
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	hc := &http.Client{Transport: otelhttp.NewTransport(base,
		otelhttp.WithTracerProvider(ot.TracerProvider()), otelhttp.WithPropagators(ot.TextMapPropagator()))}
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := ot.TracerProvider().Tracer("review").Start(r.Context(), "otel.work")
		defer span.End()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ds.srv.URL+"/d", nil)
		resp, err := hc.Do(req)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	})))
	defer srv.Close()
	hopRaw(t, srv.URL+"/x", http.Header{"Traceparent": {"00-" + rvTraceID + "-" + rvSpanID + "-01"}})
	_ = tr.Close()

	spans := c.OTLPSpans()
	server := oneOfKind(t, spans, "server", tracepb.Span_SPAN_KIND_SERVER)
	work := oneOfKind(t, spans, "otel.work", tracepb.Span_SPAN_KIND_INTERNAL)
	var client *tracepb.Span
	for _, s := range spans {
		if s.GetKind() == tracepb.Span_SPAN_KIND_CLIENT {
			client = s
		}
	}
	if client == nil {
		t.Fatalf("no otelhttp client span exported")
	}
	for _, pc := range []struct{ child, parent *tracepb.Span }{{work, server}, {client, work}} {
		if !bytes.Equal(pc.child.GetParentSpanId(), pc.parent.GetSpanId()) || hexOf(pc.child.GetTraceId()) != rvTraceID {
			t.Errorf("%s is not a child of %s in trace %s", pc.child.GetName(), pc.parent.GetName(), rvTraceID)
		}
	}
	seen := ds.last(t)
	if seen.parent.TraceID().String() != rvTraceID || seen.parent.SpanID() != trace.SpanID(client.GetSpanId()) {
		t.Errorf("downstream parent %v, want otelhttp's client span %x", seen.parent, client.GetSpanId())
	}
}

// TestOTelHopTraceplugInsideOTel: an otelhttp server on the backend's
// provider, its handler calling out through traceplug's Transport: the
// traceplug client span is a child of otelhttp's server span, itself a
// child of the OpenTelemetry caller; the next OpenTelemetry service
// continues the same trace.
func TestOTelHopTraceplugInsideOTel(t *testing.T) {
	c := oteltest.New(t)
	tr, ot := hopTracer(t, c)
	up := newPeer(t)
	ds := newDownstream(t, newPeer(t))
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	hc := &http.Client{Transport: tr.Transport(base)}
	srv := httptest.NewServer(otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, ds.srv.URL+"/d", nil)
		resp, err := hc.Do(req)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}), "otel.server", otelhttp.WithTracerProvider(ot.TracerProvider()), otelhttp.WithPropagators(ot.TextMapPropagator())))
	defer srv.Close()
	rvOTelCall(t, remoteParent(t, rvTraceID, rvSpanID, trace.FlagsSampled, "up=1"), up, srv.URL+"/x")
	_ = tr.Close()

	upClient := endedByKind(t, up, trace.SpanKindClient)
	spans := c.OTLPSpans()
	var server, client *tracepb.Span
	for _, s := range spans {
		switch s.GetKind() {
		case tracepb.Span_SPAN_KIND_SERVER:
			server = s
		case tracepb.Span_SPAN_KIND_CLIENT:
			client = s
		}
	}
	if server == nil || client == nil {
		t.Fatalf("exported spans: %v", spans)
	}
	if hexOf(server.GetParentSpanId()) != upClient.SpanContext().SpanID().String() || hexOf(server.GetTraceId()) != rvTraceID {
		t.Errorf("otelhttp server span is not a child of the OpenTelemetry caller")
	}
	if !bytes.Equal(client.GetParentSpanId(), server.GetSpanId()) || hexOf(client.GetTraceId()) != rvTraceID {
		t.Errorf("traceplug client span (parent %x) is not a child of otelhttp's server span %x", client.GetParentSpanId(), server.GetSpanId())
	}
	seen := ds.last(t)
	if seen.parent.TraceID().String() != rvTraceID || seen.parent.SpanID() != trace.SpanID(client.GetSpanId()) {
		t.Errorf("downstream parent %v, want traceplug's client span %x", seen.parent, client.GetSpanId())
	}
	if got := seen.header.Get("tracestate"); got != "up=1" {
		t.Errorf("downstream tracestate %q, want up=1", got)
	}
}

// ---------------------------------------------------------------------------
// OTEL_* environment

// rvResource returns the resource attributes of the first exported span.
func rvResource(t *testing.T, c *oteltest.Collector) map[string]any {
	t.Helper()
	for _, req := range c.Requests() {
		for _, rs := range req.GetResourceSpans() {
			out := map[string]any{}
			for _, kv := range rs.GetResource().GetAttributes() {
				out[kv.GetKey()] = oteltest.Value(kv.GetValue())
			}
			return out
		}
	}
	t.Fatal("nothing exported")
	return nil
}

// rvOneSpan builds a tracer from opts (no endpoint given unless in opts),
// exports one span, closes it.
func rvOneSpan(t *testing.T, opts ...core.Option) *core.Tracer {
	t.Helper()
	tr, err := core.New("otel", opts...)
	if err != nil {
		t.Fatal(err)
	}
	tr.StartSpan("one").Finish()
	if err := tr.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return tr
}

// TestOTelHopEnv: the OTEL_* variables the backend says it honours take
// effect, and traceplug's own settings win over them.
func TestOTelHopEnv(t *testing.T) {
	t.Run("service name and resource attributes", func(t *testing.T) {
		c := oteltest.New(t)
		t.Setenv("OTEL_SERVICE_NAME", "from-env")
		t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs,deployment.environment=staging,team=a%20b")
		rvOneSpan(t, c.Options("http")...)
		res := rvResource(t, c)
		if res["service.name"] != "from-env" || res["deployment.environment"] != "staging" || res["team"] != "a b" {
			t.Errorf("resource %v", res)
		}
	})
	t.Run("code wins over resource env", func(t *testing.T) {
		c := oteltest.New(t)
		t.Setenv("OTEL_SERVICE_NAME", "from-env")
		t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "team=env,region=eu")
		rvOneSpan(t, append(c.Options("http"), core.WithServiceName("from-code"), core.WithTag("team", "code"))...)
		res := rvResource(t, c)
		if res["service.name"] != "from-code" || res["team"] != "code" || res["region"] != "eu" {
			t.Errorf("resource %v", res)
		}
	})
	t.Run("TRACEPLUG_SERVICE_NAME wins over OTEL_SERVICE_NAME", func(t *testing.T) {
		c := oteltest.New(t)
		t.Setenv("OTEL_SERVICE_NAME", "from-otel-env")
		t.Setenv("TRACEPLUG_BACKEND", "otel")
		t.Setenv("TRACEPLUG_SERVICE_NAME", "from-traceplug-env")
		t.Setenv("TRACEPLUG_ENDPOINT", c.Endpoint("http"))
		tr, err := core.FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		tr.StartSpan("one").Finish()
		_ = tr.Close()
		if res := rvResource(t, c); res["service.name"] != "from-traceplug-env" {
			t.Errorf("service.name %v", res["service.name"])
		}
	})
	t.Run("OTEL_EXPORTER_OTLP_ENDPOINT, headers, gzip", func(t *testing.T) {
		c := oteltest.New(t)
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", strings.TrimSuffix(c.Endpoint("http"), "/v1/traces"))
		t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s%3Dcret,x-other=1")
		t.Setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
		rvOneSpan(t)
		hs := c.Headers()
		if len(hs) == 0 {
			t.Fatal("nothing reached the collector named by OTEL_EXPORTER_OTLP_ENDPOINT")
		}
		if hs[0].Get("X-Api-Key") != "s=cret" || hs[0].Get("X-Other") != "1" || hs[0].Get("Content-Encoding") != "gzip" {
			t.Errorf("headers %v", hs[0])
		}
	})
	t.Run("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and protocol grpc", func(t *testing.T) {
		c := oteltest.New(t)
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1") // loses to the traces variable
		t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://"+strings.TrimPrefix(c.Endpoint("grpc"), "grpc://"))
		t.Setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc")
		t.Setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "authorization=Bearer%20t0k3n")
		rvOneSpan(t)
		hs := c.Headers()
		if len(hs) == 0 {
			t.Fatal("nothing reached the gRPC collector")
		}
		if hs[0].Get("Authorization") != "Bearer t0k3n" || hs[0].Get("Content-Type") != "application/grpc" {
			t.Errorf("metadata %v", hs[0])
		}
	})
	t.Run("code endpoint and params win", func(t *testing.T) {
		c := oteltest.New(t)
		t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1/v1/traces")
		t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
		t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=env")
		t.Setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
		rvOneSpan(t, core.WithEndpoint(c.Endpoint("http")), core.WithParam("protocol", "http/protobuf"),
			core.WithParam("headers", "x-api-key=code"), core.WithParam("compression", "none"))
		hs := c.Headers()
		if len(hs) == 0 {
			t.Fatal("nothing reached the endpoint given in code")
		}
		if hs[0].Get("X-Api-Key") != "code" || hs[0].Get("Content-Encoding") != "" {
			t.Errorf("headers %v", hs[0])
		}
	})
	t.Run("code's HTTP endpoint wins over OTEL protocol grpc", func(t *testing.T) {
		// The endpoint given in code is an OTLP/HTTP URL (with the OTLP path,
		// or without one, which means /v1/traces); an
		// OTEL_EXPORTER_OTLP_PROTOCOL=grpc set for the OpenTelemetry services
		// around must not turn it into a gRPC target.
		t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
		c := oteltest.New(t)
		for _, ep := range []string{c.Endpoint("http"), strings.TrimSuffix(c.Endpoint("http"), "/v1/traces")} {
			before := len(c.Requests())
			tr, err := core.New("otel", core.WithEndpoint(ep), core.WithParam("export_timeout", "500ms"))
			if err != nil {
				t.Errorf("WithEndpoint(%q), OTEL_EXPORTER_OTLP_PROTOCOL=grpc: %v", ep, err)
				continue
			}
			tr.StartSpan("one").Finish()
			_ = tr.Close()
			if n := len(c.Requests()) - before; n != 1 {
				t.Errorf("WithEndpoint(%q), OTEL_EXPORTER_OTLP_PROTOCOL=grpc: %d requests reached that OTLP/HTTP endpoint, want 1; stats %+v",
					ep, n, tr.Stats())
			}
		}
	})
	t.Run("OTEL_TRACES_SAMPLER always_off, and the code's rate wins", func(t *testing.T) {
		c := oteltest.New(t)
		t.Setenv("OTEL_TRACES_SAMPLER", "always_off")
		rvOneSpan(t, c.Options("http")...)
		if n := len(c.OTLPSpans()); n != 0 {
			t.Errorf("always_off: %d spans exported", n)
		}
		rvOneSpan(t, append(c.Options("http"), core.WithSampleRate(1))...)
		if n := len(c.OTLPSpans()); n != 1 {
			t.Errorf("WithSampleRate(1) over always_off: %d spans exported, want 1", n)
		}
	})
	t.Run("OTEL_TRACES_SAMPLER parentbased_traceidratio 0 follows the caller", func(t *testing.T) {
		c := oteltest.New(t)
		t.Setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
		t.Setenv("OTEL_TRACES_SAMPLER_ARG", "0")
		tr, _ := hopTracer(t, c)
		ds := newDownstream(t, newPeer(t))
		mid := newMiddle(t, tr, ds)
		hopRaw(t, mid.srv.URL+"/x", http.Header{"Traceparent": {"00-" + rvTraceID + "-" + rvSpanID + "-01"}})
		hopRaw(t, mid.srv.URL+"/x", nil) // a new trace: ratio 0
		_ = tr.Close()
		if n := len(c.OTLPSpans()); n != 2 {
			t.Errorf("%d spans exported, want the 2 of the sampled caller's trace", n)
		}
	})
	t.Run("OTEL_PROPAGATORS b3, and WithPropagation wins", func(t *testing.T) {
		c := oteltest.New(t)
		t.Setenv("OTEL_PROPAGATORS", "b3")
		tr, ot := hopTracer(t, c)
		ds := newDownstream(t, newPeer(t))
		mid := newMiddle(t, tr, ds)
		hopRaw(t, mid.srv.URL+"/x", http.Header{"B3": {rvTraceID + "-" + rvSpanID + "-1"}})
		seen := ds.last(t)
		if b3 := seen.header.Get("b3"); !strings.HasPrefix(b3, rvTraceID+"-") || seen.header.Get("traceparent") != "" {
			t.Errorf("OTEL_PROPAGATORS=b3: downstream b3 %q traceparent %q", b3, seen.header.Get("traceparent"))
		}
		h := http.Header{}
		ot.TextMapPropagator().Inject(remoteParent(t, rvTraceID, rvSpanID, trace.FlagsSampled, ""), otelprop.HeaderCarrier(h))
		if h.Get("b3") == "" {
			t.Errorf("TextMapPropagator does not speak b3: %v", h)
		}

		c2 := oteltest.New(t)
		tr2, ot2 := hopTracer(t, c2, core.WithPropagation("tracecontext"))
		ds2 := newDownstream(t, newPeer(t))
		mid2 := newMiddle(t, tr2, ds2)
		hopRaw(t, mid2.srv.URL+"/x", http.Header{"Traceparent": {"00-" + rvTraceID + "-" + rvSpanID + "-01"}})
		seen2 := ds2.last(t)
		if _, tid, _, _ := parseTP(t, seen2.header.Get("traceparent")); tid != rvTraceID || seen2.header.Get("b3") != "" {
			t.Errorf("WithPropagation(tracecontext) over OTEL_PROPAGATORS=b3: downstream %v", seen2.header)
		}
		h = http.Header{}
		ot2.TextMapPropagator().Inject(remoteParent(t, rvTraceID, rvSpanID, trace.FlagsSampled, ""), otelprop.HeaderCarrier(h))
		if h.Get("traceparent") == "" || h.Get("b3") != "" {
			t.Errorf("TextMapPropagator with WithPropagation(tracecontext): %v", h)
		}
	})
	t.Run("OTEL_BSP_* and params win", func(t *testing.T) {
		c := oteltest.New(t)
		t.Setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "2")
		tr, err := core.New("otel", c.Options("http")...)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			tr.StartSpan("s").Finish()
		}
		_ = tr.Close()
		for i, req := range c.Requests() {
			n := 0
			for _, rs := range req.GetResourceSpans() {
				for _, ss := range rs.GetScopeSpans() {
					n += len(ss.GetSpans())
				}
			}
			if n > 2 {
				t.Errorf("request %d held %d spans, over OTEL_BSP_MAX_EXPORT_BATCH_SIZE=2", i, n)
			}
		}
		c2 := oteltest.New(t)
		tr2, err := core.New("otel", append(c2.Options("http"), core.WithParam("batch_size", "10"))...)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			tr2.StartSpan("s").Finish()
		}
		_ = tr2.Close()
		if n := len(c2.Requests()); n != 1 {
			t.Errorf("batch_size=10 over OTEL_BSP_MAX_EXPORT_BATCH_SIZE=2: %d requests, want 1", n)
		}
	})
}
