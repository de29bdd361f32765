package jaeger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	jaeger "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/thrift"
	"github.com/uber/jaeger-client-go/thrift-gen/agent"
	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
)

// The senders' encoding (thrift.go) against jaeger-client-go's own: for the
// same spans, the bytes must be the same as those of jaeger-client-go's
// BuildJaegerThrift and generated thrift code, in the compact protocol (UDP)
// and the binary one (HTTP), and decoding them with the generated code must
// give the same Batch, field by field.

type named string

type point struct{ X, Y int }

// spansOfEveryKind are spans of a jaeger-client-go tracer with tags of every
// type, logs of every field type, references of both kinds, 128-bit ids,
// debug and plain flags, long lists and long values.
func spansOfEveryKind(t *testing.T, maxTagLen int) []*jaeger.Span {
	t.Helper()
	rep := jaeger.NewInMemoryReporter()
	tr, closer := jaeger.NewTracer("thrift-test", jaeger.NewConstSampler(true), rep,
		jaeger.TracerOptions.Gen128Bit(true),
		jaeger.TracerOptions.MaxTagValueLength(maxTagLen),
		jaeger.TracerOptions.Tag("process.string", "v"),
		jaeger.TracerOptions.Tag("process.int", 42),
		jaeger.TracerOptions.Tag("process.bool", true),
		jaeger.TracerOptions.Tag("process.float", 2.5),
	)
	defer closer.Close()

	start := time.Unix(1_700_000_000, 123_456_789)
	root := tr.StartSpan("root", opentracing.StartTime(start))
	values := []any{
		"s", strings.Repeat("long", 100), "", []byte("bytes"), bytes.Repeat([]byte{0, 0xff}, 100), []byte{}, []byte(nil),
		int(-1), uint(1), int8(-8), uint8(8), int16(-16), uint16(200), int32(math.MinInt32), uint32(math.MaxUint32),
		int64(math.MinInt64), int64(math.MaxInt64), uint64(math.MaxUint64), int64(0), int64(63), int64(-64), int64(1 << 40),
		float32(1.5), float64(-0.0), math.Inf(1), math.NaN(), 1e300, true, false,
		point{1, 2}, errors.New("boom"), named("named string"), nil, time.Duration(5), "ünïcødé ✓",
	}
	for i, v := range values {
		root.SetTag(fmt.Sprintf("tag%02d", i), v)
	}
	root.LogFields(
		log.String("event", "every field"), log.Bool("b", true), log.Bool("f", false), log.Int("i", -3), log.Int32("i32", 32),
		log.Int64("i64", math.MinInt64), log.Uint32("u32", math.MaxUint32), log.Uint64("u64", math.MaxUint64),
		log.Float32("f32", 0.25), log.Float64("f64", math.Pi), log.Error(errors.New("bad")), log.Object("obj", point{3, 4}),
		log.Lazy(func(e log.Encoder) { e.EmitString("lazy1", "a"); e.EmitInt("lazy2", 2) }),
		log.String("long", strings.Repeat("x", 300)),
	)
	root.LogKV("event", "kv", "n", 7)
	for i := 0; i < 20; i++ { // more than a short list header holds
		root.LogFields(log.Int("i", i))
	}
	root.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(1500 * time.Microsecond)})

	child := tr.StartSpan("child", opentracing.ChildOf(root.Context()), opentracing.FollowsFrom(root.Context()),
		opentracing.StartTime(start.Add(time.Millisecond)), ext.SpanKindRPCServer)
	for i := 0; i < 200; i++ { // a list length of two varint bytes
		child.SetTag(fmt.Sprintf("k%d", i), i)
	}
	ext.SamplingPriority.Set(child, 1) // the debug flag
	child.Finish()

	// A remote parent, as extracted from a request: 128-bit, sampled.
	remote, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier{"Uber-Trace-Id": {"4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1"}})
	if err != nil {
		t.Fatal(err)
	}
	server := tr.StartSpan("", ext.RPCServerOption(remote))
	server.SetTag("http.status_code", uint16(200))
	server.Finish()

	empty := tr.StartSpan("ünïcødé operation ✓", opentracing.StartTime(start))
	empty.FinishWithOptions(opentracing.FinishOptions{FinishTime: start})

	var out []*jaeger.Span
	for _, s := range rep.GetSpans() {
		out = append(out, s.(*jaeger.Span))
	}
	if len(out) != 4 {
		t.Fatalf("%d spans", len(out))
	}
	return out
}

// stockBatch is what jaeger-client-go's senders send for spans.
func stockBatch(spans []*jaeger.Span, seq int64) *j.Batch {
	b := &j.Batch{Process: jaeger.BuildJaegerProcessThrift(spans[0])}
	for _, s := range spans {
		b.Spans = append(b.Spans, jaeger.BuildJaegerThrift(s))
	}
	if seq != 0 {
		b.SeqNo = &seq
	}
	return b
}

// stockCompact is jaeger-client-go's agent client's datagram for b: an
// emitBatch call, its first (sequence id 1).
func stockCompact(t *testing.T, b *j.Batch) []byte {
	buf := thrift.NewTMemoryBuffer()
	if err := agent.NewAgentClientFactory(buf, thrift.NewTCompactProtocolFactory()).EmitBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// stockBinary is jaeger-client-go's HTTP transport's body for b.
func stockBinary(t *testing.T, b *j.Batch) []byte {
	buf := thrift.NewTMemoryBuffer()
	if err := b.Write(context.Background(), thrift.NewTBinaryProtocolTransport(buf)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// eachPath runs f with the fast path (the spans' fields read in place) and
// with the fallback (from jaeger.BuildJaegerThrift).
func eachPath(t *testing.T, f func(t *testing.T)) {
	if !fields.ok {
		t.Fatal("the layout of jaeger-client-go's Span is not the expected one: the senders fall back to " +
			"jaeger.BuildJaegerThrift (see fields.go)")
	}
	t.Run("in place", f)
	t.Run("fallback", func(t *testing.T) {
		defer func(saved *spanFields) { fields = saved }(fields)
		fields = &spanFields{}
		f(t)
	})
}

func TestCompactEncodingIsJaegers(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		const maxTagLen = 64
		spans := spansOfEveryKind(t, maxTagLen)
		datagrams := captureUDP(t, func(addr string) int {
			s, err := newUDPSender(addr, 65000, maxTagLen, &backend.SpanCounts{}, newLogger())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, span := range spans {
				if n, err := s.Append(span); n != 0 || err != nil {
					t.Fatalf("Append: %d, %v", n, err)
				}
			}
			if n, err := s.Flush(); n != len(spans) || err != nil {
				t.Fatalf("Flush: %d, %v", n, err)
			}
			return 1
		})
		want := stockCompact(t, stockBatch(spans, 1))
		sameBatch(t, datagrams[0], want, jaegertest.DecodeCompact)
	})
}

func TestBinaryEncodingIsJaegers(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		const maxTagLen = 64
		spans := spansOfEveryKind(t, maxTagLen)
		var body []byte
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ = io.ReadAll(r.Body)
			w.WriteHeader(http.StatusAccepted)
		}))
		defer srv.Close()
		s := newHTTPSender(srv.URL, srv.Client().Transport, time.Second, &settings{batchSize: 100, maxTagValueLength: maxTagLen}, &backend.SpanCounts{})
		for _, span := range spans {
			if n, err := s.Append(span); n != 0 || err != nil {
				t.Fatalf("Append: %d, %v", n, err)
			}
		}
		if n, err := s.Flush(); n != len(spans) || err != nil {
			t.Fatalf("Flush: %d, %v", n, err)
		}
		want := stockBinary(t, stockBatch(spans, 0))
		sameBatch(t, body, want, jaegertest.DecodeBinary)
	})
}

// sameBatch compares an encoding with jaeger-client-go's: decoded, field by
// field, then byte for byte.
func sameBatch(t *testing.T, got, want []byte, decode func([]byte) (*j.Batch, error)) {
	t.Helper()
	gb, err := decode(got)
	if err != nil {
		t.Fatalf("jaeger-client-go's generated code cannot decode the encoding: %v", err)
	}
	wb, err := decode(want)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gb.Process, wb.Process) {
		t.Errorf("process:\n got %v\nwant %v", gb.Process, wb.Process)
	}
	if !reflect.DeepEqual(gb.SeqNo, wb.SeqNo) || !reflect.DeepEqual(gb.Stats, wb.Stats) {
		t.Errorf("seqNo %v stats %v, want %v %v", gb.SeqNo, gb.Stats, wb.SeqNo, wb.Stats)
	}
	if len(gb.Spans) != len(wb.Spans) {
		t.Fatalf("%d spans, want %d", len(gb.Spans), len(wb.Spans))
	}
	for i := range wb.Spans {
		diffSpan(t, gb.Spans[i], wb.Spans[i])
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the bytes differ from jaeger-client-go's (%d bytes, want %d)", len(got), len(want))
	}
}

// diffSpan reports every field of got that differs from want's.
func diffSpan(t *testing.T, got, want *j.Span) {
	t.Helper()
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := 0; i < wv.NumField(); i++ {
		name := wv.Type().Field(i).Name
		if g, w := gv.Field(i).Interface(), wv.Field(i).Interface(); !reflect.DeepEqual(g, w) {
			switch name {
			case "Tags":
				diffTags(t, want.OperationName+" tag", got.Tags, want.Tags)
			case "Logs":
				if len(got.Logs) != len(want.Logs) {
					t.Errorf("span %q: %d logs, want %d", want.OperationName, len(got.Logs), len(want.Logs))
					continue
				}
				for k := range want.Logs {
					if got.Logs[k].Timestamp != want.Logs[k].Timestamp {
						t.Errorf("span %q log %d: timestamp %d, want %d", want.OperationName, k, got.Logs[k].Timestamp, want.Logs[k].Timestamp)
					}
					diffTags(t, fmt.Sprintf("%s log %d field", want.OperationName, k), got.Logs[k].Fields, want.Logs[k].Fields)
				}
			default:
				t.Errorf("span %q: %s = %v, want %v", want.OperationName, name, g, w)
			}
		}
	}
}

func diffTags(t *testing.T, what string, got, want []*j.Tag) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d, want %d", what, len(got), len(want))
		return
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) && !(isNaN(got[i]) && isNaN(want[i])) {
			t.Errorf("%s %d: %v, want %v", what, i, got[i], want[i])
		}
	}
}

func isNaN(t *j.Tag) bool { return t.VDouble != nil && math.IsNaN(*t.VDouble) }

// captureUDP runs send with the address of a UDP socket and returns the
// datagrams it received, as many as send says it sent.
func captureUDP(t *testing.T, send func(addr string) int) [][]byte {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadBuffer(4 << 20)
	n := send(conn.LocalAddr().String())
	var out [][]byte
	buf := make([]byte, 65536)
	for len(out) < n {
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		m, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("%d of %d datagrams: %v", len(out), n, err)
		}
		out = append(out, bytes.Clone(buf[:m]))
	}
	return out
}

// TestBatchesSplitAsJaegers: spans that fill several datagrams are sent as
// consecutive batches, each byte for byte what jaeger-client-go encodes for
// its spans and sequence number, none over the limit.
func TestBatchesSplitAsJaegers(t *testing.T) {
	const maxPacket, spansN = 4096, 300
	rep := jaeger.NewInMemoryReporter()
	tr, closer := jaeger.NewTracer("split", jaeger.NewConstSampler(true), rep)
	defer closer.Close()
	for i := 0; i < spansN; i++ {
		s := tr.StartSpan(fmt.Sprintf("op%d", i))
		s.SetTag("http.url", strings.Repeat("/x", i%40))
		s.Finish()
	}
	var spans []*jaeger.Span
	for _, s := range rep.GetSpans() {
		spans = append(spans, s.(*jaeger.Span))
	}
	var sizes []int // spans in each datagram
	datagrams := captureUDP(t, func(addr string) int {
		s, err := newUDPSender(addr, maxPacket, 1024, &backend.SpanCounts{}, newLogger())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for _, span := range spans {
			n, err := s.Append(span)
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				sizes = append(sizes, n)
			}
		}
		n, _ := s.Flush()
		sizes = append(sizes, n)
		return len(sizes)
	})
	sent := 0
	for _, n := range sizes {
		sent += n
	}
	if sent != spansN {
		t.Fatalf("sent %d of %d spans", sent, spansN)
	}
	first := 0
	for i, d := range datagrams {
		if len(d) > maxPacket {
			t.Errorf("datagram %d: %d bytes, over %d", i, len(d), maxPacket)
		}
		want := stockBatch(spans[first:first+sizes[i]], int64(i+1))
		buf := thrift.NewTMemoryBuffer()
		client := agent.NewAgentClientFactory(buf, thrift.NewTCompactProtocolFactory())
		for k := 0; k <= i; k++ { // the client's sequence ids count its calls
			buf.Reset()
			if err := client.EmitBatch(context.Background(), want); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(d, buf.Bytes()) {
			t.Errorf("datagram %d (%d spans) differs from jaeger-client-go's", i, sizes[i])
		}
		// Full: the next span would not have fitted.
		if i < len(datagrams)-1 {
			next := stockBatch(spans[first:first+sizes[i]+1], int64(i+1))
			if size := len(stockCompact(t, next)); size <= maxPacket {
				t.Errorf("datagram %d holds %d spans, but %d fit in %d bytes", i, sizes[i], sizes[i]+1, size)
			}
		}
		first += sizes[i]
	}
}

// TestAppendAllocatesNothing: encoding a span (the usual tag types) into the
// batch allocates nothing once the buffers have grown.
func TestAppendAllocatesNothing(t *testing.T) {
	rep := jaeger.NewInMemoryReporter()
	tr, closer := jaeger.NewTracer("allocs", jaeger.NewConstSampler(true), rep)
	defer closer.Close()
	span := tr.StartSpan("GET /items/{id}", ext.SpanKindRPCServer)
	span.SetTag("component", "net/http")
	span.SetTag("http.method", "GET")
	span.SetTag("http.url", "/items/42?page=2")
	span.SetTag("http.status_code", uint16(200))
	span.SetTag("error", false)
	span.Finish()
	js := span.(*jaeger.Span)
	captureUDP(t, func(addr string) int {
		s, err := newUDPSender(addr, 65000, 1024, &backend.SpanCounts{}, newLogger())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		_, _ = s.Append(js)
		if n := testing.AllocsPerRun(1000, func() { _, _ = s.Append(js) }); n != 0 {
			t.Errorf("Append allocates %v times a span", n)
		}
		_, _ = s.Flush()
		return 1
	})
}
