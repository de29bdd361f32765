package otel

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// FuzzEncode: for any batch of spans (stubs with every field set at will,
// and spans of the SDK under limits that drop attributes, events and links),
// the encoder's request decodes, is the same when the encoder is reused, and
// is the OTLP exporter's, but for the two differences encode.go documents
// (text made UTF-8 with strings.ToValidUTF8, link trace states written):
// the same ResourceSpans, compared byte for byte in deterministic
// marshaling (which tells -0 from 0 and one NaN from another, where
// proto.Equal does not), in the order their first span came, each with its
// scopes in that order too.
func FuzzEncode(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Add(bytes.Repeat([]byte{0x80}, 2048))
	for i := range 24 {
		r := rand.New(rand.NewPCG(uint64(i), 0x7261636570)) //nolint:gosec // a deterministic corpus
		seed := make([]byte, 64<<(i%7))
		for j := range seed {
			seed[j] = byte(r.Uint32())
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &spanGen{data: data, longBudget: 1 << 17}
		spans := g.batch()
		checkEncode(t, spans)
	})
}

// checkEncode fails t unless the encoder's request for spans is the
// exporter's, normalized for the intended differences.
func checkEncode(t *testing.T, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	var enc encoder
	body := enc.request(encodeSpans(spans))
	if again := enc.request(encodeSpans(spans)); !bytes.Equal(body, again) {
		t.Fatalf("a reused encoder writes another request (%d bytes, first %d)", len(again), len(body))
	}
	// TracesData is ExportTraceServiceRequest's twin: the same message on
	// the wire, in a package that does not link gRPC, as the collector's
	// does.
	var got tracepb.TracesData
	if err := proto.Unmarshal(body, &got); err != nil {
		t.Fatalf("the request does not decode: %v", err)
	}

	// The input span of each span ID (spanGen makes them unique).
	byID := map[trace.SpanID]int{}
	for i, s := range spans {
		if s != nil {
			if _, dup := byID[s.SpanContext().SpanID()]; dup {
				t.Fatalf("span ID %v twice in the batch", s.SpanContext().SpanID())
			}
			byID[s.SpanContext().SpanID()] = i
		}
	}
	index := func(sp *tracepb.Span) int {
		if len(sp.SpanId) == 8 {
			if i, ok := byID[trace.SpanID(sp.SpanId)]; ok {
				return i
			}
		}
		t.Fatalf("a span with an ID not in the batch: %x", sp.SpanId)
		return -1
	}

	// The exporter's request, with the differences intended.
	c := &capture{}
	exp, err := otlptrace.New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
	want := c.got
	for _, rs := range want {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				links := spans[index(sp)].Links()
				if len(links) != len(sp.Links) {
					t.Fatalf("the exporter wrote %d links of %d", len(sp.Links), len(links))
				}
				for i, l := range sp.Links {
					l.TraceState = links[i].SpanContext.TraceState().String()
				}
			}
		}
		validUTF8(rs.ProtoReflect())
	}

	marshal := func(what string, rs *tracepb.ResourceSpans) string {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(rs)
		if err != nil {
			t.Fatalf("%s does not marshal: %v", what, err)
		}
		return string(b)
	}
	unmatched := map[string]int{}
	for _, rs := range want {
		unmatched[marshal("the exporter's normalized resource spans", rs)]++
	}
	var extra []*tracepb.ResourceSpans
	for _, rs := range got.ResourceSpans {
		b := marshal("the decoded resource spans", rs)
		if unmatched[b] == 0 {
			extra = append(extra, rs)
			continue
		}
		unmatched[b]--
	}
	if len(extra) > 0 || len(got.ResourceSpans) != len(want) {
		var missing []*tracepb.ResourceSpans
		for _, rs := range want {
			if b := marshal("", rs); unmatched[b] > 0 {
				unmatched[b]--
				missing = append(missing, rs)
			}
		}
		msg := fmt.Sprintf("%d resource spans, the exporter %d; %d not the exporter's, %d of the exporter's not written",
			len(got.ResourceSpans), len(want), len(extra), len(missing))
		for i := range min(len(extra), len(missing)) {
			msg += "\n" + firstDiff("resource_spans", extra[i].ProtoReflect(), missing[i].ProtoReflect())
		}
		t.Fatal(msg)
	}

	// Resources, their scopes and their spans in the order they came.
	prevRes := -1
	for _, rs := range got.ResourceSpans {
		prevScope := -1
		for _, ss := range rs.ScopeSpans {
			prev := -1
			for _, sp := range ss.Spans {
				i := index(sp)
				if i <= prev {
					t.Fatalf("span %d written after span %d of the same scope", i, prev)
				}
				prev = i
			}
			if len(ss.Spans) == 0 {
				t.Fatal("a scope without spans")
			}
			first := index(ss.Spans[0])
			if first <= prevScope {
				t.Fatalf("a scope first seen at span %d written after one first seen at span %d", first, prevScope)
			}
			prevScope = first
		}
		if len(rs.ScopeSpans) == 0 {
			t.Fatal("a resource without scopes")
		}
		first := index(rs.ScopeSpans[0].Spans[0])
		if first <= prevRes {
			t.Fatalf("a resource first seen at span %d written after one first seen at span %d", first, prevRes)
		}
		prevRes = first
	}
}

// validUTF8 replaces, in every string of m, each run of invalid UTF-8 with
// U+FFFD, as the encoder writes text.
func validUTF8(m protoreflect.Message) {
	type set struct {
		fd protoreflect.FieldDescriptor
		v  protoreflect.Value
	}
	var sets []set
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			panic("validUTF8: a map field " + string(fd.FullName()))
		case fd.IsList():
			l := v.List()
			for i := range l.Len() {
				switch fd.Kind() {
				case protoreflect.StringKind:
					l.Set(i, protoreflect.ValueOfString(strings.ToValidUTF8(l.Get(i).String(), "\uFFFD")))
				case protoreflect.MessageKind, protoreflect.GroupKind:
					validUTF8(l.Get(i).Message())
				}
			}
		case fd.Kind() == protoreflect.StringKind:
			sets = append(sets, set{fd, protoreflect.ValueOfString(strings.ToValidUTF8(v.String(), "\uFFFD"))})
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			validUTF8(v.Message())
		}
		return true
	})
	for _, s := range sets {
		m.Set(s.fd, s.v)
	}
}

// firstDiff describes the first field where a and b differ, floats by their
// bits.
func firstDiff(path string, a, b protoreflect.Message) string {
	if !bytes.Equal(a.GetUnknown(), b.GetUnknown()) {
		return fmt.Sprintf("%s: unknown fields %x, exporter's %x", path, a.GetUnknown(), b.GetUnknown())
	}
	fields := a.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		p := path + "." + string(fd.Name())
		if a.Has(fd) != b.Has(fd) {
			return fmt.Sprintf("%s: present %v, in the exporter's %v", p, a.Has(fd), b.Has(fd))
		}
		if !a.Has(fd) {
			continue
		}
		va, vb := a.Get(fd), b.Get(fd)
		if fd.IsList() {
			la, lb := va.List(), vb.List()
			if la.Len() != lb.Len() {
				return fmt.Sprintf("%s: %d elements, the exporter's %d", p, la.Len(), lb.Len())
			}
			for j := range la.Len() {
				if d := diffValue(fmt.Sprintf("%s[%d]", p, j), fd, la.Get(j), lb.Get(j)); d != "" {
					return d
				}
			}
			continue
		}
		if d := diffValue(p, fd, va, vb); d != "" {
			return d
		}
	}
	return path + ": no difference found"
}

func diffValue(path string, fd protoreflect.FieldDescriptor, a, b protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if d := firstDiff(path, a.Message(), b.Message()); !strings.HasSuffix(d, ": no difference found") {
			return d
		}
		return ""
	case protoreflect.DoubleKind:
		if math.Float64bits(a.Float()) != math.Float64bits(b.Float()) {
			return fmt.Sprintf("%s: %#x, the exporter's %#x", path, math.Float64bits(a.Float()), math.Float64bits(b.Float()))
		}
	case protoreflect.BytesKind:
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			return fmt.Sprintf("%s: %x, the exporter's %x", path, short(string(a.Bytes())), short(string(b.Bytes())))
		}
	case protoreflect.StringKind:
		if a.String() != b.String() {
			return fmt.Sprintf("%s: %q (%d bytes), the exporter's %q (%d bytes)", path, short(a.String()), len(a.String()), short(b.String()), len(b.String()))
		}
	default:
		if a.Interface() != b.Interface() {
			return fmt.Sprintf("%s: %v, the exporter's %v", path, a.Interface(), b.Interface())
		}
	}
	return ""
}

func short(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// spanGen makes spans from a fuzzer's bytes, reading zeros past their end.
// Span IDs end in a count, so that each span of a batch is told by its ID.
type spanGen struct {
	data       []byte
	ids        uint16
	longBudget int // the bytes long strings may still take
	resources  []*resource.Resource
	scopes     []instrumentation.Scope
}

func (g *spanGen) byte() byte {
	if len(g.data) == 0 {
		return 0
	}
	b := g.data[0]
	g.data = g.data[1:]
	return b
}

func (g *spanGen) n(k int) int { return int(g.byte()) % k }

func (g *spanGen) read(p []byte) {
	n := copy(p, g.data)
	g.data = g.data[n:]
	clear(p[n:])
}

func (g *spanGen) u64() uint64 {
	var b [8]byte
	g.read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

var oddTexts = []string{
	"\xff", "a\xffb", "a\xff\xfeb", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf",
	"é", "\uFFFD", "\x00", "日本語", "\U0001F600",
}

func (g *spanGen) str() string {
	switch g.n(12) {
	case 0, 1, 2:
		return ""
	case 3:
		return oddTexts[g.n(len(oddTexts))]
	case 4: // long: a length of two or three varint bytes
		lengths := []int{127, 128, 129, 300, 16383, 16384, 16385, 20000}
		l := lengths[g.n(len(lengths))]
		if l > g.longBudget {
			return "over budget"
		}
		g.longBudget -= l
		pieces := []string{"x", "é", "\xff", "a\xff", "\U0001F600"}
		p := pieces[g.n(len(pieces))]
		return strings.Repeat(p, l/len(p)+1)[:l]
	default: // bytes as they come, UTF-8 or not
		b := make([]byte, g.n(24))
		g.read(b)
		return string(b)
	}
}

func (g *spanGen) int64() int64 {
	odd := []int64{0, 1, -1, math.MinInt64, math.MaxInt64, 127, 128, -128, 1 << 35}
	if i := g.n(len(odd) + 1); i < len(odd) {
		return odd[i]
	}
	return int64(g.u64())
}

func (g *spanGen) float() float64 {
	odd := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1),
		math.SmallestNonzeroFloat64, math.MaxFloat64, 1.5, -2.25, math.Float64frombits(0x7ff0000000000001)}
	if i := g.n(len(odd) + 1); i < len(odd) {
		return odd[i]
	}
	return math.Float64frombits(g.u64()) // any NaN payload too
}

// count is a dropped count: negative, zero, past uint32, or any.
func (g *spanGen) count() int {
	odd := []int{0, 0, 0, 1, -1, 127, 128, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt, math.MinInt}
	if i := g.n(len(odd) + 1); i < len(odd) {
		return odd[i]
	}
	return int(binary.LittleEndian.Uint16([]byte{g.byte(), g.byte()}))
}

// elems is a length of slice: mostly short, past 5 at times (the
// attribute package keeps those otherwise).
func (g *spanGen) elems() int {
	return []int{0, 1, 1, 2, 2, 3, 4, 7}[g.n(8)]
}

func (g *spanGen) value(depth int) attribute.Value {
	k := g.n(15)
	if depth >= 3 && k >= 11 {
		k = 0
	}
	switch k {
	case 0:
		return attribute.StringValue(g.str())
	case 1:
		return attribute.BoolValue(g.byte()&1 == 1)
	case 2:
		return attribute.Int64Value(g.int64())
	case 3:
		return attribute.Float64Value(g.float())
	case 4:
		var v []bool
		for range g.elems() {
			v = append(v, g.byte()&1 == 1)
		}
		return attribute.BoolSliceValue(v)
	case 5:
		var v []int64
		for range g.elems() {
			v = append(v, g.int64())
		}
		return attribute.Int64SliceValue(v)
	case 6:
		var v []float64
		for range g.elems() {
			v = append(v, g.float())
		}
		return attribute.Float64SliceValue(v)
	case 7:
		var v []string // nil, empty or not
		if n := g.elems(); n > 0 {
			v = make([]string, n-1)
			for i := range v {
				v[i] = g.str()
			}
		}
		return attribute.StringSliceValue(v)
	case 8:
		var v []byte
		if n := g.n(24); n > 0 {
			v = make([]byte, n-1)
			g.read(v)
		}
		return attribute.ByteSliceValue(v)
	case 9:
		return attribute.Value{} // EMPTY
	case 10:
		return attribute.IntValue(int(g.int64()))
	case 11, 12:
		v := make([]attribute.Value, g.elems())
		for i := range v {
			v[i] = g.value(depth + 1)
		}
		return attribute.SliceValue(v...)
	default:
		v := make([]attribute.KeyValue, g.elems())
		for i := range v {
			v[i] = g.keyValue(depth + 1)
		}
		return attribute.MapValue(v...)
	}
}

func (g *spanGen) keyValue(depth int) attribute.KeyValue {
	return attribute.KeyValue{Key: attribute.Key(g.str()), Value: g.value(depth)}
}

// attrs is mostly none or few attributes, sometimes many.
func (g *spanGen) attrs() []attribute.KeyValue {
	n := []int{0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 4, 6, 9, 40}[g.n(16)]
	var kvs []attribute.KeyValue
	for range n {
		kvs = append(kvs, g.keyValue(0))
	}
	return kvs
}

var traceStates = func() []trace.TraceState {
	var states []trace.TraceState
	for _, s := range []string{"", "a=b", "vendor=value,other=2",
		"k0=" + strings.Repeat("v", 200) + ",k1=" + strings.Repeat("w", 200) + ",t@x=1"} {
		ts, err := trace.ParseTraceState(s)
		if err != nil {
			panic(err)
		}
		states = append(states, ts)
	}
	return states
}()

// spanContext is any span context; with tagged, its span ID ends in the
// batch's count.
func (g *spanGen) spanContext(tagged bool) trace.SpanContext {
	var tid trace.TraceID
	var sid trace.SpanID
	g.read(tid[:])
	g.read(sid[:])
	if tagged {
		sid = g.newSpanID()
	}
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.TraceFlags(g.byte()),
		TraceState: traceStates[g.n(len(traceStates))], Remote: g.byte()&1 == 1,
	})
}

func (g *spanGen) newSpanID() trace.SpanID {
	var sid trace.SpanID
	g.read(sid[:6])
	g.ids++
	binary.BigEndian.PutUint16(sid[6:], g.ids)
	return sid
}

// NewIDs and NewSpanID make spanGen the SDK's sdktrace.IDGenerator.
func (g *spanGen) NewIDs(context.Context) (trace.TraceID, trace.SpanID) {
	var tid trace.TraceID
	g.read(tid[:])
	tid[0] |= 1 // valid
	return tid, g.newSpanID()
}

func (g *spanGen) NewSpanID(context.Context, trace.TraceID) trace.SpanID { return g.newSpanID() }

func (g *spanGen) parent() trace.SpanContext {
	switch g.n(4) {
	case 0:
		return trace.SpanContext{}
	case 1: // no span ID, but remote
		return trace.SpanContext{}.WithRemote(true)
	default:
		return g.spanContext(false)
	}
}

func (g *spanGen) time() time.Time {
	switch g.n(9) {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(0, 0)
	case 2:
		return time.Unix(0, 1)
	case 3:
		return time.Unix(-1, 0) // before 1970
	case 4:
		return time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) // past int64 nanoseconds
	case 5:
		return time.Unix(0, math.MaxInt64)
	case 6:
		return time.Unix(0, int64(g.u64()))
	default:
		return time.Unix(1_700_000_000, int64(g.n(256))*1_000_003)
	}
}

// sdkTime is a time for the SDK, which takes the zero time for now.
func (g *spanGen) sdkTime() time.Time {
	if t := g.time(); !t.IsZero() {
		return t
	}
	return time.Unix(0, 0)
}

func (g *spanGen) kind() trace.SpanKind {
	kinds := []trace.SpanKind{0, 1, 2, 3, 4, 5, 6, 9, -1, 255}
	return kinds[g.n(len(kinds))]
}

func (g *spanGen) status() sdktrace.Status {
	cs := []codes.Code{codes.Unset, codes.Error, codes.Ok, codes.Code(7)}
	return sdktrace.Status{Code: cs[g.n(len(cs))], Description: g.str()}
}

func (g *spanGen) events() []sdktrace.Event {
	var evs []sdktrace.Event
	for range g.n(4) {
		evs = append(evs, sdktrace.Event{Name: g.str(), Time: g.time(), Attributes: g.attrs(), DroppedAttributeCount: g.count()})
	}
	return evs
}

func (g *spanGen) links() []sdktrace.Link {
	var ls []sdktrace.Link
	for range g.n(4) {
		ls = append(ls, sdktrace.Link{SpanContext: g.spanContext(false), Attributes: g.attrs(), DroppedAttributeCount: g.count()})
	}
	return ls
}

// pools makes the batch's resources and scopes: nil and empty resources,
// equivalent resources with other schema URLs, scopes zero or full.
func (g *spanGen) pools() {
	for range 1 + g.n(3) {
		var r *resource.Resource
		switch g.n(6) {
		case 0:
			r = nil
		case 1:
			r = resource.Empty()
		case 2:
			r = resource.NewSchemaless(g.attrs()...)
		case 3: // one seen, under another schema URL
			if len(g.resources) > 0 {
				prev := g.resources[g.n(len(g.resources))]
				r = resource.NewWithAttributes(g.str(), prev.Attributes()...)
				break
			}
			fallthrough
		default:
			r = resource.NewWithAttributes(g.str(), g.attrs()...)
		}
		g.resources = append(g.resources, r)
	}
	for range 1 + g.n(3) {
		var s instrumentation.Scope
		switch g.n(4) {
		case 0:
		case 1:
			s.Name = g.str()
		default:
			s = instrumentation.Scope{Name: g.str(), Version: g.str(), SchemaURL: g.str(), Attributes: attribute.NewSet(g.attrs()...)}
		}
		g.scopes = append(g.scopes, s)
	}
}

func (g *spanGen) stub() sdktrace.ReadOnlySpan {
	return tracetest.SpanStub{
		Name:                 g.str(),
		SpanContext:          g.spanContext(true),
		Parent:               g.parent(),
		SpanKind:             g.kind(),
		StartTime:            g.time(),
		EndTime:              g.time(),
		Attributes:           g.attrs(),
		Events:               g.events(),
		Links:                g.links(),
		Status:               g.status(),
		DroppedAttributes:    g.count(),
		DroppedEvents:        g.count(),
		DroppedLinks:         g.count(),
		ChildSpanCount:       g.count(),
		Resource:             g.resources[g.n(len(g.resources))],
		InstrumentationScope: g.scopes[g.n(len(g.scopes))],
	}.Snapshot()
}

// recorded is spans of the SDK, under limits (often small) that drop
// attributes, events and links and cut values, children of none, of a
// remote parent or of one another.
func (g *spanGen) recorded() []sdktrace.ReadOnlySpan {
	res := g.resources[g.n(len(g.resources))]
	if res == nil {
		res = resource.Empty()
	}
	limit := func() int { return g.n(8) - 1 } // -1: no limit
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithSpanProcessor(rec),
		sdktrace.WithIDGenerator(g),
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{
			AttributeValueLengthLimit:   []int{-1, 0, 1, 3, 200}[g.n(5)],
			AttributeValueDepthLimit:    limit(),
			AttributeCountLimit:         limit(),
			EventCountLimit:             limit(),
			LinkCountLimit:              limit(),
			AttributePerEventCountLimit: limit(),
			AttributePerLinkCountLimit:  limit(),
		}))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	var open []trace.Span
	for range 1 + g.n(3) {
		sc := g.scopes[g.n(len(g.scopes))]
		tr := tp.Tracer(sc.Name, trace.WithInstrumentationVersion(sc.Version), trace.WithSchemaURL(sc.SchemaURL),
			trace.WithInstrumentationAttributes(g.attrs()...))
		ctx := context.Background()
		switch g.n(3) {
		case 1:
			ctx = trace.ContextWithRemoteSpanContext(ctx, g.spanContext(false))
		case 2:
			if len(open) > 0 {
				ctx = trace.ContextWithSpan(ctx, open[g.n(len(open))])
			}
		}
		var links []trace.Link
		for _, l := range g.links() {
			links = append(links, trace.Link{SpanContext: l.SpanContext, Attributes: l.Attributes})
		}
		_, s := tr.Start(ctx, g.str(), trace.WithSpanKind(g.kind()), trace.WithAttributes(g.attrs()...),
			trace.WithLinks(links...), trace.WithTimestamp(g.sdkTime()))
		s.SetAttributes(g.attrs()...)
		for range g.n(6) {
			s.AddEvent(g.str(), trace.WithAttributes(g.attrs()...), trace.WithTimestamp(g.sdkTime()))
		}
		for _, l := range g.links() {
			s.AddLink(trace.Link{SpanContext: l.SpanContext, Attributes: l.Attributes})
		}
		st := g.status()
		s.SetStatus(st.Code, st.Description)
		s.SetName(g.str())
		open = append(open, s)
	}
	for _, s := range open {
		s.End(trace.WithTimestamp(g.sdkTime()))
	}
	return rec.Ended()
}

// batch is the spans of one export: stubs, spans of the SDK and nils.
func (g *spanGen) batch() []sdktrace.ReadOnlySpan {
	g.pools()
	var spans []sdktrace.ReadOnlySpan
	for range []int{1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 6, 7, 8, 9, 0}[g.n(16)] {
		switch g.n(8) {
		case 6:
			spans = append(spans, g.recorded()...)
		case 7:
			spans = append(spans, nil)
		default:
			spans = append(spans, g.stub())
		}
	}
	return spans
}
