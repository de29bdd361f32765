package otel

import (
	"context"
	"math"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// capture is an otlptrace.Client that keeps what the OTLP exporter would
// send.
type capture struct{ got []*tracepb.ResourceSpans }

func (c *capture) Start(context.Context) error { return nil }
func (c *capture) Stop(context.Context) error  { return nil }
func (c *capture) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	c.got = append(c.got, rs...)
	return nil
}

// recordSpans runs fn with tracer providers that record their spans, one
// per resource, and returns the spans in the order they ended.
func recordSpans(t testing.TB, fn func(tps []trace.TracerProvider)) []sdktrace.ReadOnlySpan {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	resA := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0",
		attribute.String("service.name", "a"), attribute.Int("pid", 7), attribute.StringSlice("tags", []string{"x", "y"}))
	resB := resource.NewSchemaless(attribute.String("service.name", "b"))
	var tps []trace.TracerProvider
	for _, res := range []*resource.Resource{resA, resB} {
		tp := sdktrace.NewTracerProvider(
			sdktrace.WithResource(res),
			sdktrace.WithSpanProcessor(rec),
			sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{
				AttributeValueLengthLimit:   -1,
				AttributeCountLimit:         12,
				EventCountLimit:             3,
				LinkCountLimit:              2,
				AttributePerEventCountLimit: 2,
				AttributePerLinkCountLimit:  2,
			}))
		t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		tps = append(tps, tp)
	}
	fn(tps)
	return rec.Ended()
}

// everyValue is an attribute of every kind of value, zero values included.
var everyValue = []attribute.KeyValue{
	attribute.String("s", "text"),
	attribute.String("empty", ""),
	attribute.String("long", strings.Repeat("é", 20000)), // a length of three varint bytes
	attribute.Bool("t", true),
	attribute.Bool("f", false),
	attribute.Int("zero", 0),
	attribute.Int64("neg", -42),
	attribute.Int64("max", math.MaxInt64),
	attribute.Float64("pi", math.Pi),
	attribute.Float64("fzero", 0),
	attribute.Float64("nan", math.NaN()),
	attribute.StringSlice("ss", []string{"a", "", "c"}),
}

var moreValues = []attribute.KeyValue{
	attribute.BoolSlice("bs", []bool{true, false}),
	attribute.Int64Slice("is", []int64{0, -1, 1 << 40}),
	attribute.Float64Slice("fs", []float64{0, 1.5}),
	attribute.ByteSlice("bytes", []byte{0, 1, 0xff}),
	attribute.Slice("mixed", attribute.StringValue("x"), attribute.IntValue(3), attribute.SliceValue(attribute.BoolValue(true))),
	attribute.Map("map", attribute.String("k", "v"), attribute.Map("inner", attribute.Int("n", 1))),
	{Key: "nothing"}, // an empty value
	attribute.String("", "no key"),
	attribute.StringSlice("nos", nil),
}

// TestEncodeMatchesExporter: the request for spans of every kind (each kind
// of attribute value, limits that drop attributes, events and links, remote
// parents, trace states, several resources and scopes) is the OTLP
// exporter's, as checkEncode compares them.
func TestEncodeMatchesExporter(t *testing.T) {
	tid := trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	ts, err := trace.ParseTraceState("vendor=value,other=2")
	if err != nil {
		t.Fatal(err)
	}
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: trace.SpanID{9, 9, 9, 9, 9, 9, 9, 9},
		TraceFlags: trace.FlagsSampled | 0x02, TraceState: ts, Remote: true,
	})
	linked := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0xaa, 1}, SpanID: trace.SpanID{0xbb, 2}, TraceState: ts,
	})
	spans := recordSpans(t, func(tps []trace.TracerProvider) {
		ctx := trace.ContextWithRemoteSpanContext(context.Background(), remote)
		tr := tps[0].Tracer("scope.one", trace.WithInstrumentationVersion("1.2.3"),
			trace.WithSchemaURL("https://opentelemetry.io/schemas/1.20.0"),
			trace.WithInstrumentationAttributes(attribute.String("scope.attr", "v")))
		ctx, server := tr.Start(ctx, "server", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(everyValue...))
		server.SetAttributes(moreValues...) // past the count limit: dropped attributes
		for i := range 5 {                  // past the event limit
			server.AddEvent("event", trace.WithAttributes(attribute.Int("i", i), attribute.String("a", "b"), attribute.Bool("c", true)))
		}
		server.RecordError(errTest)
		server.SetStatus(codes.Error, "it failed")
		_, client := tps[0].Tracer("scope.two").Start(ctx, "client", trace.WithSpanKind(trace.SpanKindClient),
			trace.WithLinks(
				trace.Link{SpanContext: linked, Attributes: []attribute.KeyValue{attribute.String("why", "batch"), attribute.Int("n", 1), attribute.Int("m", 2)}},
				trace.Link{SpanContext: remote},
				trace.Link{SpanContext: linked},
			))
		client.SetStatus(codes.Ok, "ignored for OK")
		client.End()
		server.End()
		for _, k := range []trace.SpanKind{trace.SpanKindInternal, trace.SpanKindProducer, trace.SpanKindConsumer, trace.SpanKindUnspecified} {
			_, s := tps[1].Tracer("").Start(context.Background(), "", trace.WithSpanKind(k))
			s.End()
		}
		_, s := tps[0].Tracer("scope.one", trace.WithInstrumentationVersion("1.2.3"),
			trace.WithSchemaURL("https://opentelemetry.io/schemas/1.20.0"),
			trace.WithInstrumentationAttributes(attribute.String("scope.attr", "v"))).Start(context.Background(), strings.Repeat("n", 300))
		s.End()
	})
	if len(spans) != 7 {
		t.Fatalf("recorded %d spans, want 7", len(spans))
	}
	if spans[1].DroppedAttributes() == 0 || spans[1].DroppedEvents() == 0 || spans[0].DroppedLinks() == 0 {
		t.Fatalf("the spans drop nothing (attributes %d, events %d, links %d): the limits are not exercised",
			spans[1].DroppedAttributes(), spans[1].DroppedEvents(), spans[0].DroppedLinks())
	}

	checkEncode(t, spans)
	var enc encoder
	if enc.request(nil) != nil {
		t.Error("a request for no spans")
	}
}

var errTest = &testError{}

type testError struct{}

func (*testError) Error() string { return "test error" }

// TestEncodeRepairsUTF8: text that is not UTF-8, anywhere in a span, is
// written with U+FFFD in place of each run of invalid bytes.
func TestEncodeRepairsUTF8(t *testing.T) {
	const bad, fixed = "a\xff\xfeb", "a\uFFFDb" // one U+FFFD for the run of two
	spans := recordSpans(t, func(tps []trace.TracerProvider) {
		_, s := tps[0].Tracer("scope"+bad).Start(context.Background(), "name"+bad,
			trace.WithAttributes(attribute.String("k"+bad, bad), attribute.StringSlice("ss", []string{bad}),
				attribute.Map("m", attribute.String("in", bad))))
		s.AddEvent("event"+bad, trace.WithAttributes(attribute.String("e", bad)))
		s.SetStatus(codes.Error, "status"+bad)
		s.End()
	})
	var enc encoder
	var req tracepb.TracesData // ExportTraceServiceRequest's twin on the wire
	if err := proto.Unmarshal(enc.request(encodeSpans(spans)), &req); err != nil {
		t.Fatalf("the request does not decode (protobuf strings must be UTF-8): %v", err)
	}
	ss := req.ResourceSpans[0].ScopeSpans[0]
	span := ss.Spans[0]
	attrs := span.Attributes
	for _, c := range []struct{ what, got, want string }{
		{"scope name", ss.Scope.Name, "scope" + fixed},
		{"span name", span.Name, "name" + fixed},
		{"attribute key", attrs[0].Key, "k" + fixed},
		{"string value", attrs[0].Value.GetStringValue(), fixed},
		{"string slice value", attrs[1].Value.GetArrayValue().Values[0].GetStringValue(), fixed},
		{"map value", attrs[2].Value.GetKvlistValue().Values[0].Value.GetStringValue(), fixed},
		{"event name", span.Events[0].Name, "event" + fixed},
		{"event attribute", span.Events[0].Attributes[0].Value.GetStringValue(), fixed},
		{"status message", span.Status.Message, "status" + fixed},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.what, c.got, c.want)
		}
	}
}

// BenchmarkEncode is the cost of turning a batch of 512 spans, each with the
// attributes of a traced gRPC call, into a request: the encoder's, and the
// OTLP exporter's (tracetransform and proto.Marshal).
func BenchmarkEncode(b *testing.B) {
	spans := recordSpans(b, func(tps []trace.TracerProvider) {
		tr := tps[0].Tracer(scopeName)
		for range 512 {
			_, s := tr.Start(context.Background(), "/grpc.testing.TestService/EmptyCall", trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(
					attribute.String("component", "traceplug"), attribute.String("rpc.system", "grpc"),
					attribute.String("rpc.service", "grpc.testing.TestService"), attribute.String("rpc.method", "EmptyCall"),
					attribute.String("peer.address", "bufconn"), attribute.Int("rpc.grpc.status_code", 0)))
			s.End()
		}
	})
	b.Run("encoder", func(b *testing.B) {
		var enc encoder
		b.ReportAllocs()
		for b.Loop() {
			_ = enc.request(encodeSpans(spans))
		}
	})
	b.Run("otlptrace+proto.Marshal", func(b *testing.B) {
		c := &capture{}
		exp, _ := otlptrace.New(context.Background(), c)
		b.ReportAllocs()
		for b.Loop() {
			c.got = c.got[:0]
			_ = exp.ExportSpans(context.Background(), spans)
			_, _ = proto.Marshal(&tracepb.TracesData{ResourceSpans: c.got}) // ExportTraceServiceRequest's bytes
		}
	})
}

// TestASCII holds ascii to a byte-by-byte check, at every length around its
// 8-byte steps and with the one non-ASCII byte at every place.
func TestASCII(t *testing.T) {
	for n := 0; n <= 33; n++ {
		s := []byte(strings.Repeat("a", n))
		if !ascii(string(s)) {
			t.Errorf("ascii(%q) = false", s)
		}
		for i := range s {
			s[i] = 0x80
			if ascii(string(s)) {
				t.Errorf("ascii(%q) = true", s)
			}
			s[i] = 'a'
		}
	}
}

// encodeSpans encodes spans as the processor does when each ends, for a
// request of them.
func encodeSpans(spans []sdktrace.ReadOnlySpan) []encodedSpan {
	enc := make([]encodedSpan, len(spans))
	var g *spanGroup
	for i, s := range spans {
		if s != nil {
			enc[i] = encodeSpan(s, g)
			g = enc[i].group
		}
	}
	return enc
}
