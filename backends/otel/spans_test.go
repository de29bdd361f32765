package otel_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/propagation"
)

// TestSpansAsOpenTelemetryExpectsThem: on the wire, server and client spans
// have kinds SERVER and CLIENT, a 5xx and a panic have status ERROR (a
// panic's message in the status and in an exception event), a 4xx has no
// status, and the attributes are OpenTelemetry's HTTP conventions (no
// component), without the span.kind and error tags that became the kind and
// the status.
func TestSpansAsOpenTelemetryExpectsThem(t *testing.T) {
	c := oteltest.New(t)
	tr, _ := newTracer(t, c, core.WithTraceAll(true))
	mux := http.NewServeMux()
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	traced := tr.Middleware(mux)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { _ = recover() }()
		traced.ServeHTTP(w, r)
	}))
	defer srv.Close()
	hc := &http.Client{Transport: tr.Transport(nil)}
	for _, p := range []string{"/missing", "/broken", "/panic"} {
		resp, err := hc.Get(srv.URL + p)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	_ = tr.Close()
	spans := oteltest.ByName(c.OTLPSpans())

	missing, broken, panicked, client := spans["GET /missing"], spans["GET /broken"], spans["GET /panic"], spans["HTTP GET"]
	if missing == nil || broken == nil || panicked == nil || client == nil {
		t.Fatalf("spans: %v", spans)
	}
	for _, s := range []*tracepb.Span{missing, broken, panicked} {
		if s.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
			t.Errorf("%s: kind %v, want SERVER", s.GetName(), s.GetKind())
		}
		for _, k := range []string{"span.kind", "error"} {
			if v, ok := oteltest.Attributes(s)[k]; ok {
				t.Errorf("%s: attribute %s=%v: it is the kind or the status", s.GetName(), k, v)
			}
		}
		attrs := oteltest.Attributes(s)
		if v, ok := attrs["component"]; ok {
			t.Errorf("%s: component %v: OpenTelemetry's conventions have none (the scope says it)", s.GetName(), v)
		}
		if attrs["http.request.method"] != "GET" || attrs["url.scheme"] != "http" || attrs["http.route"] != s.GetName()[len("GET "):] {
			t.Errorf("%s: attributes %v, want OpenTelemetry's HTTP conventions", s.GetName(), attrs)
		}
	}
	if missing.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_UNSET {
		t.Errorf("404: status %v, want unset", missing.GetStatus())
	}
	if v, _ := oteltest.Attributes(missing)["http.response.status_code"]; v != int64(404) {
		t.Errorf("404: http.response.status_code %v (%T), want int64 404", v, v)
	}
	if broken.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("500: status %v, want ERROR", broken.GetStatus())
	}
	if st := panicked.GetStatus(); st.GetCode() != tracepb.Status_STATUS_CODE_ERROR || st.GetMessage() != "boom" {
		t.Errorf("panic: status %v, want ERROR \"boom\"", st)
	}
	var exception bool
	for _, e := range panicked.GetEvents() {
		if e.GetName() != "exception" {
			continue
		}
		exception = true
		for k, want := range map[string]any{"exception.message": "boom", "exception.type": "string", "event": "error", "message": "boom"} {
			var got any
			for _, kv := range e.GetAttributes() {
				if kv.GetKey() == k {
					got = oteltest.Value(kv.GetValue())
				}
			}
			if got != want {
				t.Errorf("exception event: %s=%v, want %v", k, got, want)
			}
		}
	}
	if !exception {
		t.Errorf("panic: no exception event among %v", panicked.GetEvents())
	}
	if client.GetKind() != tracepb.Span_SPAN_KIND_CLIENT {
		t.Errorf("client span kind %v", client.GetKind())
	}
}

// TestReferences: a span that only follows from another is its child (as
// OpenTelemetry's OpenTracing compatibility says), and a reference to
// another tracer's context is dropped, and said so.
func TestReferences(t *testing.T) {
	c := oteltest.New(t)
	tr, _ := newTracer(t, c)
	parent := tr.StartSpan("parent")
	tr.StartSpan("follower", opentracing.FollowsFrom(parent.Context())).Finish()
	foreign := mocktracer.New().StartSpan("foreign")
	tr.StartSpan("orphan", opentracing.ChildOf(foreign.Context())).Finish()
	parent.Finish()
	_ = tr.Close()
	spans := c.Spans()
	wantChild(t, byName(t, spans, "follower"), byName(t, spans, "parent"))
	orphan := byName(t, spans, "orphan")
	if orphan.ParentID != "" {
		t.Errorf("orphan has parent %s", orphan.ParentID)
	}
	if v, _ := orphan.Tag("traceplug.dropped_reference"); v != "true" {
		t.Errorf("orphan: traceplug.dropped_reference=%q, want true", v)
	}
}

// TestSpanTracerSpeaksBinary: span.Tracer() is the backend's tracer, whose
// Binary format round-trips.
func TestSpanTracerSpeaksBinary(t *testing.T) {
	c := oteltest.New(t)
	tr, ot := newTracer(t, c)
	s := tr.StartSpan("s")
	defer s.Finish()
	s.SetBaggageItem("user", "ann")
	if s.Tracer() != opentracing.Tracer(ot) {
		t.Fatalf("span.Tracer() is %T", s.Tracer())
	}
	var buf bytes.Buffer
	if err := s.Tracer().Inject(s.Context(), opentracing.Binary, &buf); err != nil {
		t.Fatal(err)
	}
	sc, err := ot.Extract(opentracing.Binary, &buf)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := ot.ExportSpanContext(s.Context())
	b, _ := ot.ExportSpanContext(sc)
	if a.TraceID != b.TraceID || a.SpanID != b.SpanID || len(b.Baggage) != 1 || b.Baggage[0].Value != "ann" {
		t.Errorf("Binary round trip: %+v, want %+v", b, a)
	}
}

// TestCodec: ImportSpanContext and ExportSpanContext.
func TestCodec(t *testing.T) {
	c := oteltest.New(t)
	_, all := newTracer(t, c)
	in := propagation.SpanContext{
		TraceIDHigh: 0x4bf92f3577b34da6, TraceID: 0xa3ce929d0e0e4736, SpanID: 0xf067aa0ba902b7, ParentID: 9,
		Sampling: propagation.SamplingDebug, TraceState: "vendor=1,other=x",
		Baggage: []propagation.BaggageItem{{Key: "user", Value: "ann"}, {Key: "team", Value: "a b,c"}},
	}
	sc, err := all.ImportSpanContext(in)
	if err != nil {
		t.Fatal(err)
	}
	out, ok := all.ExportSpanContext(sc)
	if !ok {
		t.Fatal("ExportSpanContext refused the imported context")
	}
	if out.TraceIDHigh != in.TraceIDHigh || out.TraceID != in.TraceID || out.SpanID != in.SpanID || out.ParentID != 0 ||
		out.Sampling != propagation.SamplingYes || out.TraceState != in.TraceState ||
		!sameBaggage(out.Baggage, in.Baggage) {
		t.Errorf("round trip: %+v, from %+v", out, in)
	}

	// Deferred: sampled (core decides new traces; the backend samples what
	// it is handed).
	sc, _ = all.ImportSpanContext(propagation.SpanContext{TraceID: 7, SpanID: 8})
	if out, _ := all.ExportSpanContext(sc); out.Sampling != propagation.SamplingYes || out.TraceID != 7 || out.TraceIDHigh != 0 {
		t.Errorf("deferred: %+v, want sampled", out)
	}

	// A bad tracestate is dropped, not the context.
	sc, _ = all.ImportSpanContext(propagation.SpanContext{TraceID: 7, SpanID: 8, TraceState: "not a tracestate"})
	if out, ok := all.ExportSpanContext(sc); !ok || out.TraceState != "" {
		t.Errorf("bad tracestate: %+v", out)
	}

	// Baggage alone: a new trace carrying it.
	sc, err = all.ImportSpanContext(propagation.SpanContext{Baggage: []propagation.BaggageItem{{Key: "user", Value: "bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	child := all.StartSpan("child", opentracing.ChildOf(sc))
	if child.BaggageItem("user") != "bob" {
		t.Errorf("a span under a baggage-only context lacks its baggage")
	}
	child.Finish()
	if _, err := all.ImportSpanContext(propagation.SpanContext{}); err == nil {
		t.Error("an empty context imported without error")
	}
	if _, ok := all.ExportSpanContext(mocktracer.New().StartSpan("x").Context()); ok {
		t.Error("another tracer's context exported")
	}
	if all.NativePropagation() != "tracecontext,baggage" {
		t.Errorf("NativePropagation %q", all.NativePropagation())
	}
}

// sameBaggage compares baggage items in any order: OpenTelemetry's baggage
// keeps no order.
func sameBaggage(a, b []propagation.BaggageItem) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[propagation.BaggageItem]int{}
	for _, it := range a {
		m[it]++
	}
	for _, it := range b {
		if m[it]--; m[it] < 0 {
			return false
		}
	}
	return true
}

// TestLinks: a span's references other than its ChildOf parent are links
// on the wire, with the reference's type: a span that only follows from
// another is its child and links to it; extra references are links in
// their order.
func TestLinks(t *testing.T) {
	c := oteltest.New(t)
	_, ot := newTracer(t, c)
	parent := ot.StartSpan("parent")
	other := ot.StartSpan("other")
	ot.StartSpan("follower", opentracing.FollowsFrom(parent.Context())).Finish()
	ot.StartSpan("multi",
		opentracing.FollowsFrom(other.Context()),
		opentracing.ChildOf(parent.Context()),
		opentracing.ChildOf(other.Context())).Finish()
	ot.StartSpan("child", opentracing.ChildOf(parent.Context())).Finish()
	other.Finish()
	parent.Finish()
	_ = ot.Close()
	spans := oteltest.ByName(c.OTLPSpans())
	p, o := spans["parent"], spans["other"]
	type link struct {
		span *tracepb.Span
		typ  string
	}
	for name, want := range map[string][]link{
		"follower": {{p, "follows-from-ref"}},
		"multi":    {{o, "follows-from-ref"}, {o, "extra-child-of"}},
		"child":    nil,
	} {
		s := spans[name]
		if s == nil || p == nil || o == nil {
			t.Fatalf("spans: %v", spans)
		}
		if !bytes.Equal(s.GetParentSpanId(), p.GetSpanId()) || !bytes.Equal(s.GetTraceId(), p.GetTraceId()) {
			t.Errorf("%s: parent %x, want %x", name, s.GetParentSpanId(), p.GetSpanId())
		}
		links := s.GetLinks()
		if len(links) != len(want) {
			t.Errorf("%s: %d links, want %d: %v", name, len(links), len(want), links)
			continue
		}
		for i, l := range links {
			var typ any
			for _, kv := range l.GetAttributes() {
				if kv.GetKey() == "ot-span-reference-type" {
					typ = oteltest.Value(kv.GetValue())
				}
			}
			if !bytes.Equal(l.GetSpanId(), want[i].span.GetSpanId()) || typ != want[i].typ {
				t.Errorf("%s: link %d to %x (%v), want %x (%s)", name, i, l.GetSpanId(), typ, want[i].span.GetSpanId(), want[i].typ)
			}
		}
	}
}

// TestParentIsRemote: on the wire, a span says whether its parent is
// remote (continued from a caller) or local (a span of this process).
func TestParentIsRemote(t *testing.T) {
	const hasIsRemote, isRemote = 0x100, 0x200
	c := oteltest.New(t)
	tr, ot := newTracer(t, c)
	h := http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	remote, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
	if err != nil {
		t.Fatal(err)
	}
	server := ot.StartSpan("server", opentracing.ChildOf(remote))
	ot.StartSpan("local", opentracing.ChildOf(server.Context())).Finish()
	server.Finish()
	_ = ot.Close()
	spans := oteltest.ByName(c.OTLPSpans())
	for name, want := range map[string]uint32{"server": hasIsRemote | isRemote, "local": hasIsRemote} {
		if got := spans[name].GetFlags() &^ 0xff; got != want {
			t.Errorf("%s: flags %#x, want %#x", name, got, want)
		}
	}
}
