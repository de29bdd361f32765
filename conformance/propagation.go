package conformance

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/harness"

	"github.com/traceplug/traceplug/core"
)

// This file checks propagation: every format on every backend, several at
// once, and broken W3C headers.

// Context is a span context to send as incoming headers in some format; see
// [Headers].
type Context struct {
	// TraceID is 16 or 32 lower-case hex digits; SpanID is 16.
	TraceID, SpanID string
	Sampled         bool
	// Baggage items, with lower-case keys.
	Baggage map[string]string
}

// Headers returns c as the HTTP headers of format ("tracecontext", "b3",
// "b3multi", "jaeger", "ottrace"; "baggage" gives only the W3C baggage
// header), written by hand from each format's specification, as a peer that
// shares no code with traceplug would write them. Backend authors use it to
// test their propagation.
func Headers(format string, c Context) http.Header {
	h := http.Header{}
	flag := map[bool]string{true: "1", false: "0"}[c.Sampled]
	switch format {
	case "tracecontext":
		trace := c.TraceID
		if len(trace) == 16 {
			trace = strings.Repeat("0", 16) + trace
		}
		h.Set("Traceparent", "00-"+trace+"-"+c.SpanID+"-0"+flag)
		h.Set("Tracestate", "conformance=1")
	case "baggage":
	case "b3":
		h.Set("B3", c.TraceID+"-"+c.SpanID+"-"+flag)
	case "b3multi":
		h.Set("X-B3-Traceid", c.TraceID)
		h.Set("X-B3-Spanid", c.SpanID)
		h.Set("X-B3-Sampled", flag)
	case "jaeger":
		h.Set("Uber-Trace-Id", c.TraceID+":"+c.SpanID+":0:"+flag)
	case "ottrace":
		h.Set("Ot-Tracer-Traceid", c.TraceID)
		h.Set("Ot-Tracer-Spanid", c.SpanID)
		h.Set("Ot-Tracer-Sampled", map[bool]string{true: "true", false: "false"}[c.Sampled])
	default:
		panic(fmt.Sprintf("conformance.Headers: unknown format %q", format))
	}
	var w3c []string
	for k, v := range c.Baggage {
		switch format {
		case "tracecontext", "baggage":
			w3c = append(w3c, k+"="+v)
		case "b3", "b3multi":
			h.Set("Baggage-"+k, v)
		case "jaeger":
			h.Set("Uberctx-"+k, v)
		case "ottrace":
			h.Set("Ot-Baggage-"+k, v)
		}
	}
	if len(w3c) > 0 {
		h.Set("Baggage", strings.Join(w3c, ","))
	}
	return h
}

// HeaderIDs reads the trace id and span id that h carries in format (as
// [Headers] names them), in the model's form ([NormalizeID]): the reading
// side of Headers, for checking what a tracer sent.
func HeaderIDs(format string, h http.Header) (trace, span string) {
	switch format {
	case "tracecontext":
		if p := strings.Split(h.Get("Traceparent"), "-"); len(p) == 4 {
			return NormalizeID(p[1]), NormalizeID(p[2])
		}
	case "b3":
		if p := strings.Split(h.Get("B3"), "-"); len(p) >= 2 {
			return NormalizeID(p[0]), NormalizeID(p[1])
		}
	case "b3multi":
		return NormalizeID(h.Get("X-B3-Traceid")), NormalizeID(h.Get("X-B3-Spanid"))
	case "jaeger":
		if p := strings.Split(h.Get("Uber-Trace-Id"), ":"); len(p) == 4 {
			return NormalizeID(p[0]), NormalizeID(p[1])
		}
	case "ottrace":
		return NormalizeID(h.Get("Ot-Tracer-Traceid")), NormalizeID(h.Get("Ot-Tracer-Spanid"))
	}
	return "", ""
}

// HeaderBaggage reads baggage item key from h in format (as [Headers]
// names them): "" when it is not there.
func HeaderBaggage(format, key string, h http.Header) string {
	switch format {
	case "tracecontext", "baggage":
		for _, member := range strings.Split(h.Get("Baggage"), ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(member), "=")
			if strings.TrimSpace(k) == key {
				v, _, _ = strings.Cut(v, ";")
				return strings.TrimSpace(v)
			}
		}
	case "b3", "b3multi":
		return h.Get("Baggage-" + key)
	case "jaeger":
		return h.Get("Uberctx-" + key)
	case "ottrace":
		return h.Get("Ot-Baggage-" + key)
	}
	return ""
}

// relay is a traced service that calls an untraced recorder through
// Transport and answers with the baggage item "conformance-user" it saw.
type relay struct {
	url  string
	sent func() http.Header
}

func (f *fixture) relay(tr *core.Tracer) relay {
	plain, sent := f.headerRecorder()
	hc := &http.Client{Transport: tr.Transport(nil)}
	srv := f.server(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", plain.URL, nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
		}
		if span := tr.GetSpan(r); span != nil {
			_, _ = io.WriteString(w, span.BaggageItem("conformance-user"))
		}
	})))
	return relay{url: srv.URL, sent: sent}
}

var propagationFormats = []string{"tracecontext", "b3", "b3multi", "jaeger", "ottrace"}

// Each format alone: an incoming context in it is continued with its
// baggage, and the outgoing call carries the client span in it.
func propagationEachFormat(f *fixture) {
	for _, format := range propagationFormats {
		f.t.Run(format, func(t *testing.T) {
			g := newFixture(t, f.h)
			list := format
			if format == "tracecontext" {
				list = "tracecontext,baggage" // W3C baggage travels in its own header
			}
			tr := g.tracer(core.WithTraceAll(true), core.WithPropagation(list), core.WithServiceName(serverService))
			rl := g.relay(tr)
			in := Context{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7", Sampled: true,
				Baggage: map[string]string{"conformance-user": "ann"}}
			if g.lacks(TraceID128) || format == "ottrace" {
				in.TraceID = "a3ce929d0e0e4736" // ottrace carries 64-bit ids
			}
			code, body := g.get(rl.url, Headers(format, in))
			if code != 200 {
				t.Fatalf("served %d %q", code, body)
			}
			if !g.lacks(Baggage) && body != "ann" {
				t.Errorf("the handler read baggage %q, want ann (headers %v)", body, Headers(format, in))
			}
			spans := g.spans()
			server := one(t, spans, byKind("server", serverService), "server span")
			client := one(t, spans, byKind("client", serverService), "client span")
			if server.TraceID != NormalizeID(in.TraceID) || server.ParentID != NormalizeID(in.SpanID) {
				t.Errorf("server span [trace %s parent %s], want the incoming %s context [trace %s parent %s]",
					server.TraceID, server.ParentID, format, NormalizeID(in.TraceID), NormalizeID(in.SpanID))
			}
			wantNoTag(t, server, "traceplug.extract_error")
			out := rl.sent()
			trace, parent := HeaderIDs(format, out)
			if trace != server.TraceID || parent != client.SpanID {
				t.Errorf("outgoing %s headers carry [trace %s span %s], want [trace %s span %s] (headers %v)",
					format, trace, parent, server.TraceID, client.SpanID, out)
			}
			if !g.lacks(Baggage) {
				if v := HeaderBaggage(format, "conformance-user", out); v != "ann" {
					t.Errorf("outgoing %s baggage conformance-user=%q, want ann (headers %v)", format, v, out)
				}
			}
			if format == "tracecontext" {
				if !g.lacks(TraceState) && !strings.Contains(out.Get("Tracestate"), "conformance=1") {
					t.Errorf("outgoing tracestate %q, want the incoming conformance=1 passed on", out.Get("Tracestate"))
				}
			}
		})
	}
}

// Several formats at once: read the first valid in list order, write all.
func propagationSeveralFormats(f *fixture) {
	tr := f.tracer(core.WithTraceAll(true), core.WithPropagation("b3multi,tracecontext,jaeger"), core.WithServiceName(serverService))
	rl := f.relay(tr)
	w3c := Context{TraceID: "1111111111111111aaaaaaaaaaaaaaaa", SpanID: "1111111111111111", Sampled: true}
	b3 := Context{TraceID: "2222222222222222bbbbbbbbbbbbbbbb", SpanID: "2222222222222222", Sampled: true}
	if f.lacks(TraceID128) {
		w3c.TraceID, b3.TraceID = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"
	}
	// Only the second format: continued.
	f.get(rl.url, Headers("tracecontext", w3c))
	// Both, and a broken third: the first listed (b3multi) wins.
	both := Headers("b3multi", b3)
	for k, v := range Headers("tracecontext", w3c) {
		both[k] = v
	}
	both.Set("Uber-Trace-Id", "garbage")
	f.get(rl.url, both)
	out := rl.sent()
	spans := f.spans()
	var servers []Span
	for _, s := range spans {
		if k, _ := s.Tag("span.kind"); k == "server" {
			servers = append(servers, s)
		}
	}
	if len(servers) != 2 {
		f.t.Fatalf("want 2 server spans, got:\n%s", list(spans))
	}
	parents := map[string]string{}
	for _, s := range servers {
		parents[s.ParentID] = s.TraceID
		wantNoTag(f.t, s, "traceplug.extract_error")
	}
	if parents[NormalizeID(w3c.SpanID)] != NormalizeID(w3c.TraceID) {
		f.t.Errorf("a request with only traceparent was not continued: server spans\n%s", list(servers))
	}
	if parents[NormalizeID(b3.SpanID)] != NormalizeID(b3.TraceID) {
		f.t.Errorf("a request with B3 and W3C headers did not continue B3, the first listed: server spans\n%s", list(servers))
	}
	for _, format := range []string{"b3multi", "tracecontext", "jaeger"} {
		if trace, _ := HeaderIDs(format, out); trace != NormalizeID(b3.TraceID) {
			f.t.Errorf("outgoing %s trace id %q, want %s: injection writes every listed format (headers %v)", format, trace, NormalizeID(b3.TraceID), out)
		}
	}
}

// An invalid traceparent starts a new root trace that says why; the request
// is served.
func propagationInvalidTraceparent(f *fixture) {
	for name, v := range map[string]string{
		"upper case":   "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
		"zero trace":   "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"zero span":    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
		"version ff":   "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"short":        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
		"garbage":      strings.Repeat("x", 5000),
		"bad flags":    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz",
		"version only": "00",
	} {
		f.t.Run(name, func(t *testing.T) {
			g := newFixture(t, f.h)
			tr := g.tracer(core.WithTraceAll(true), core.WithPropagation("tracecontext,baggage"))
			srv := g.server(tr.Middleware(http.HandlerFunc(okHandler)))
			if code, body := g.get(srv.URL, http.Header{"Traceparent": {v}}); code != 200 || body != "ok" {
				t.Fatalf("served %d %q, want 200 ok", code, body)
			}
			s := one(t, g.spans(), func(Span) bool { return true }, "span")
			if s.ParentID != "" {
				t.Errorf("span has parent %s: an invalid traceparent must start a new root trace", s.ParentID)
			}
			msg, ok := s.Tag("traceplug.extract_error")
			if !ok {
				t.Errorf("the new root says nothing of the invalid traceparent: no traceplug.extract_error tag")
			}
			if len(msg) > 1024 {
				t.Errorf("traceplug.extract_error is %d bytes: it must not quote a hostile header whole", len(msg))
			}
		})
	}
}

// opentracingHarness runs opentracing-go's own API checks
// (harness.RunAPIChecks) with every capability on and, when traceplug can
// say a span context's ids (core.Tracer.SpanContextIDs: a
// backend.SpanContextCodec's, or those its Inject writes), a probe that
// compares them. Each check gets a fresh tracer on the collector.
func opentracingHarness(f *fixture) {
	probeTracer := f.tracer()
	span := probeTracer.StartSpan("conformance.probe")
	_, _, canProbe := probeTracer.SpanContextIDs(span.Context())
	span.Finish()
	opts := []harness.APICheckOption{harness.CheckEverything()}
	if canProbe {
		opts = append(opts, harness.UseProbe(idProbe{probeTracer}))
	} else {
		f.t.Logf("%s: no probe (traceplug cannot read the backend's ids: no backend.SpanContextCodec, and its Inject writes no format traceplug reads)", f.h.Name)
	}
	harness.RunAPIChecks(f.t, func() (opentracing.Tracer, func()) {
		tr := f.tracer()
		return tr, func() { _ = tr.Close() }
	}, opts...)
}

// idProbe compares spans and span contexts by the ids the Tracer reads.
type idProbe struct{ tr *core.Tracer }

func (p idProbe) SameTrace(first, second opentracing.Span) bool {
	t1, _, ok1 := p.tr.SpanContextIDs(first.Context())
	t2, _, ok2 := p.tr.SpanContextIDs(second.Context())
	return ok1 && ok2 && t1 == t2
}

func (p idProbe) SameSpanContext(span opentracing.Span, sc opentracing.SpanContext) bool {
	t1, s1, ok1 := p.tr.SpanContextIDs(span.Context())
	t2, s2, ok2 := p.tr.SpanContextIDs(sc)
	return ok1 && ok2 && t1 == t2 && s1 == s2
}
