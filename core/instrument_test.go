package core_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	otext "github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/instrument"
)

// The instrumentation surface (instrument.go), as grpctrace uses it: the
// incoming context comes in a TextMap carrier over lower-case keys, as gRPC
// metadata holds them.

func TestTraceAllReported(t *testing.T) {
	on, _ := newMock(t, core.WithTraceAll(true))
	off, _ := newMock(t)
	if !on.TraceAll() || off.TraceAll() {
		t.Errorf("TraceAll() = %v with WithTraceAll(true), %v by default", on.TraceAll(), off.TraceAll())
	}
}

// metadata is an incoming carrier as gRPC metadata holds it: lower-case keys.
func metadata(t *testing.T, tr *core.Tracer, span opentracing.Span) map[string][]string {
	t.Helper()
	md := map[string][]string{}
	c := opentracing.TextMapCarrier{}
	if err := tr.Inject(span.Context(), opentracing.TextMap, c); err != nil {
		t.Fatal(err)
	}
	for k, v := range c {
		md[strings.ToLower(k)] = []string{v}
	}
	return md
}

func TestStartServerSpanContinuesTheCarrier(t *testing.T) {
	for _, prop := range []string{"", "jaeger", "b3multi", "ottrace", "tracecontext,baggage"} {
		t.Run("propagation="+prop, func(t *testing.T) {
			tr, m := newMock(t, core.WithPropagation(prop))
			caller := tr.StartSpan("caller")
			caller.SetBaggageItem("user", "ann")
			md := metadata(t, tr, caller)
			caller.Finish()
			for _, carrier := range []opentracing.TextMapReader{opentracing.HTTPHeadersCarrier(md), textMap(md)} {
				span := instrument.StartServerSpan(tr, nil, "/pkg.Svc/Method", carrier, opentracing.Tag{Key: "peer.address", Value: "bufconn"})
				if got := span.BaggageItem("user"); got != "ann" {
					t.Errorf("%T: baggage user=%q, want ann", carrier, got)
				}
				instrument.FinishSpan(tr, span)
			}
			spans := m.FinishedSpans()
			for _, s := range spans[1:] {
				if s.ParentID != spans[0].SpanID || s.TraceID != spans[0].TraceID {
					t.Errorf("server span %+v is not the caller's child", s)
				}
				wantTag(t, s, "span.kind", otext.SpanKindRPCServerEnum)
				wantTag(t, s, "component", "traceplug")
				wantTag(t, s, "peer.address", "bufconn")
			}
			if st := tr.Stats(); st.Started != 2 || st.Finished != 2 {
				t.Errorf("Stats Started %d, Finished %d; want 2, 2", st.Started, st.Finished)
			}
		})
	}
}

// textMap is a carrier that is neither of opentracing's map carriers.
type textMap map[string][]string

func (c textMap) ForeachKey(h func(k, v string) error) error {
	for k, vs := range c {
		for _, v := range vs {
			if err := h(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestStartServerSpanMalformedAndOrphan(t *testing.T) {
	tr, m := newMock(t, core.WithPropagation("tracecontext,baggage"))
	bad := instrument.StartServerSpan(tr, nil, "/pkg.Svc/Bad", opentracing.HTTPHeadersCarrier{"traceparent": {"00-zz-zz-01"}})
	instrument.FinishSpan(tr, bad)
	orphan := instrument.StartServerSpan(tr, nil, "/pkg.Svc/Orphan", opentracing.HTTPHeadersCarrier{"baggage": {"user=bob"}})
	if got := orphan.BaggageItem("user"); got != "bob" {
		t.Errorf("baggage without a trace: user=%q, want bob on the new root", got)
	}
	instrument.FinishSpan(tr, orphan)
	none := instrument.StartServerSpan(tr, nil, "/pkg.Svc/None", nil)
	instrument.FinishSpan(tr, none)
	spans := m.FinishedSpans()
	if len(spans) != 3 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		if s.ParentID != 0 {
			t.Errorf("%s: parent %x, want a new root", s.Operation, s.ParentID)
		}
	}
	if v, ok := spans[0].Tags["traceplug.extract_error"]; !ok || !strings.Contains(fmt.Sprint(v), "tracecontext") {
		t.Errorf("malformed traceparent: extract_error %v (present %v)", v, ok)
	}
	for _, s := range spans[1:] {
		if v, ok := s.Tags["traceplug.extract_error"]; ok {
			t.Errorf("%s: extract_error %v, want none", s.Operation, v)
		}
	}
}

func TestStartServerSpanBaggageLimits(t *testing.T) {
	tr, _ := newMock(t, core.WithBaggageLimits(2, 1000))
	caller := tr.StartSpan("caller")
	md := metadata(t, tr, caller)
	caller.Finish()
	md["baggage"] = []string{"a=1,b=2,c=3,d=4"}
	span := instrument.StartServerSpan(tr, nil, "/pkg.Svc/Method", opentracing.HTTPHeadersCarrier(md))
	n := 0
	span.Context().ForeachBaggageItem(func(k, v string) bool { n++; return true })
	instrument.FinishSpan(tr, span)
	if n != 2 || tr.Stats().BaggageDropped != 2 {
		t.Errorf("kept %d items and counted %d dropped; want 2 and 2", n, tr.Stats().BaggageDropped)
	}
}

// A tracer that propagates contexts itself (no SpanContextCodec): the
// carrier is read in its TextMap format, baggage limits included.
func TestStartServerSpanWrappedTracer(t *testing.T) {
	mt := mocktracer.New()
	tr, err := core.Wrap(mt, core.WithBaggageLimits(1, 1000))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	caller := tr.StartSpan("caller")
	caller.SetBaggageItem("user", "ann")
	md := metadata(t, tr, caller)
	caller.Finish()
	span := instrument.StartServerSpan(tr, nil, "/pkg.Svc/Method", opentracing.HTTPHeadersCarrier(md))
	if got := span.BaggageItem("user"); got != "ann" {
		t.Errorf("baggage user=%q, want ann", got)
	}
	instrument.FinishSpan(tr, span)
	spans := mt.FinishedSpans()
	if got, want := spans[1].ParentID, spans[0].SpanContext.SpanID; got != want {
		t.Errorf("server span's parent %d, want the caller %d", got, want)
	}
	if spans[1].Tag("component") != "traceplug" {
		t.Errorf("component tag %v", spans[1].Tag("component"))
	}
}

func TestStartClientSpan(t *testing.T) {
	tr, m := newMock(t)
	parent := tr.StartSpan("handler")
	child := instrument.StartClientSpan(tr, nil, "/pkg.Svc/Method", parent.Context(), opentracing.Tag{Key: "peer.address", Value: "x"})
	instrument.FinishSpan(tr, child)
	parent.Finish()
	root := instrument.StartClientSpan(tr, nil, "/pkg.Svc/Root", nil)
	instrument.FinishSpan(tr, root)
	foreign := instrument.StartClientSpan(tr, nil, "/pkg.Svc/Foreign", mocktracer.New().StartSpan("x").Context())
	instrument.FinishSpan(tr, foreign)
	spans := m.FinishedSpans()
	if spans[0].ParentID != spans[1].SpanID {
		t.Errorf("client span is not the handler's child")
	}
	wantTag(t, spans[0], "span.kind", otext.SpanKindRPCClientEnum)
	wantTag(t, spans[0], "component", "traceplug")
	wantTag(t, spans[0], "peer.address", "x")
	if spans[2].ParentID != 0 {
		t.Errorf("nil parent: want a root")
	}
	if spans[3].ParentID != 0 {
		t.Errorf("foreign parent: want a root")
	}
	if st := tr.Stats(); st.Started != 3 || st.Finished != 3 {
		t.Errorf("Stats Started %d, Finished %d; want 3, 3", st.Started, st.Finished)
	}
}

// TestStartSpanIn: a SpanBuffer, reused span after span as a per-call
// state's is, starts the same spans as StartServerSpan and StartClientSpan,
// with more options than it has room for too.
func TestStartSpanIn(t *testing.T) {
	tr, m := newMock(t)
	var buf instrument.SpanBuffer
	caller := tr.StartSpan("caller")
	md := metadata(t, tr, caller)
	caller.Finish()
	server := instrument.StartServerSpan(tr, &buf, "/pkg.Svc/Method", opentracing.HTTPHeadersCarrier(md), opentracing.Tag{Key: "peer.address", Value: "bufconn"})
	client := instrument.StartClientSpan(tr, &buf, "/pkg.Svc/Next", server.Context(), opentracing.Tag{Key: "peer.address", Value: "next"})
	instrument.FinishSpan(tr, client)
	instrument.FinishSpan(tr, server)
	var many []opentracing.StartSpanOption
	for i := range 10 {
		many = append(many, opentracing.Tag{Key: fmt.Sprintf("k%d", i), Value: i})
	}
	root := instrument.StartClientSpan(tr, &buf, "/pkg.Svc/Root", nil, many...)
	instrument.FinishSpan(tr, root)
	spans := m.FinishedSpans()
	if len(spans) != 4 {
		t.Fatalf("%d spans, want 4", len(spans))
	}
	c, s, r := spans[1], spans[2], spans[3]
	if s.ParentID != spans[0].SpanID || c.ParentID != s.SpanID || r.ParentID != 0 {
		t.Errorf("parents: server %d (caller %d), client %d (server %d), root %d", s.ParentID, spans[0].SpanID, c.ParentID, s.SpanID, r.ParentID)
	}
	wantTag(t, s, "span.kind", otext.SpanKindRPCServerEnum)
	wantTag(t, s, "component", "traceplug")
	wantTag(t, s, "peer.address", "bufconn")
	wantTag(t, c, "span.kind", otext.SpanKindRPCClientEnum)
	wantTag(t, c, "peer.address", "next")
	wantTag(t, r, "component", "traceplug")
	for i := range 10 {
		wantTag(t, r, fmt.Sprintf("k%d", i), i)
	}
	if st := tr.Stats(); st.Started != 3 || st.Finished != 3 {
		t.Errorf("Stats Started %d, Finished %d; want 3, 3", st.Started, st.Finished)
	}
}

func TestRecordPanic(t *testing.T) {
	tr, m := newMock(t)
	span := instrument.StartServerSpan(tr, nil, "/pkg.Svc/Panics", nil)
	instrument.RecordPanic(tr, span, "boom")
	instrument.FinishSpan(tr, span)
	s := onlySpan(t, m)
	wantTag(t, s, "error", true)
	if len(s.Logs) != 1 || s.Logs[0].Fields["event"] != "error" || s.Logs[0].Fields["message"] != "boom" {
		t.Errorf("logs %v, want one error log with the message", s.Logs)
	}
}

func TestTagValue(t *testing.T) {
	tr, _ := newMock(t, core.WithMaxTagLength(10), core.WithRedactedHeaders("x-internal"))
	for _, c := range []struct{ name, value, want string }{
		{"authorization", "Bearer s3cret", "REDACTED"},
		{"Authorization", "Bearer s3cret", "REDACTED"},
		{"x-api-key", "k", "REDACTED"},
		{"x-internal-id", "7", "REDACTED"},
		{"x-user", "ann", "ann"},
		{"x-user", "a very long value", "a very ..."},
		{"x-forwarded", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "REDACTED"},
		{"", "auth=free", "auth=free"},
	} {
		if got := instrument.TagValue(tr, c.name, c.value); got != c.want {
			t.Errorf("TagValue(%q, %q) = %q, want %q", c.name, c.value, got, c.want)
		}
	}
}
