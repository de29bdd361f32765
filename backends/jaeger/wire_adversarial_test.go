package jaeger_test

// Adversarial wire tests: what the jaeger backend puts on the wire, decoded
// with jaeger-client-go's own generated thrift code (through jaegertest), and
// compared with what jaeger-client-go itself builds for the same span
// (jaeger.BuildJaegerThrift), plus the accounting core.Tracer.Stats exposes.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	otlog "github.com/opentracing/opentracing-go/log"
	jaegerclient "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/thrift"
	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/jaeger"
	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

func advTracer(t *testing.T, endpoint string, opts ...core.Option) *core.Tracer {
	t.Helper()
	tr, err := core.New("jaeger", append([]core.Option{core.WithEndpoint(endpoint), core.WithServiceName("adv-svc")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// advBatches waits until the collector has n spans (UDP is asynchronous even
// after Close, as datagrams are read by another goroutine).
func advBatches(t *testing.T, c *jaegertest.Collector, n int) []*j.Batch {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		bs := c.Batches()
		got := 0
		for _, b := range bs {
			got += len(b.Spans)
		}
		if got >= n || time.Now().After(deadline) {
			// give a straggler a moment to show up (duplicates, extra datagrams)
			time.Sleep(50 * time.Millisecond)
			return c.Batches()
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func advSpans(bs []*j.Batch) []*j.Span {
	var out []*j.Span
	for _, b := range bs {
		out = append(out, b.Spans...)
	}
	return out
}

// compactBytes encodes a thrift struct with jaeger-client-go's thrift library,
// for a byte-exact comparison that treats NaN as equal to itself.
func compactBytes(t *testing.T, s thrift.TStruct) []byte {
	t.Helper()
	ser := thrift.NewTSerializer()
	ser.Protocol = thrift.NewTCompactProtocolFactory().GetProtocol(ser.Transport)
	b, err := ser.Write(context.Background(), s)
	if err != nil {
		t.Fatalf("serializing %T: %v", s, err)
	}
	return append([]byte(nil), b...)
}

// TestAdversarialJaegerEveryValueMatchesStock: a span with tags of every Go
// type, logs of every field type, LogKV with an odd count, baggage, several
// references, 128-bit ids, explicit times, decoded by the collector with
// jaeger's own thrift code, must equal jaeger-client-go's own
// BuildJaegerThrift of the same span, field for field, and the process must
// be BuildJaegerProcessThrift's.
func TestAdversarialJaegerEveryValueMatchesStock(t *testing.T) {
	for _, tp := range transports {
		t.Run(tp.name, func(t *testing.T) {
			c := tp.start(t)
			tr := advTracer(t, c.Endpoint(), core.WithParam("trace_id_128bit", "true"), core.WithTag("proc.tag", "proc\xffvalue"))
			start := time.Unix(1_700_000_000, 987_654_321)

			a := tr.StartSpan("ref-a", opentracing.StartTime(start))
			b := tr.StartSpan("ref-b", opentracing.StartTime(start))
			var spans []opentracing.Span
			s := tr.StartSpan("every\x00value\xff",
				opentracing.ChildOf(a.Context()),
				opentracing.FollowsFrom(b.Context()),
				opentracing.FollowsFrom(a.Context()),
				opentracing.StartTime(start),
				opentracing.Tag{Key: "start.tag", Value: uint64(math.MaxUint64)},
			)
			for k, v := range conformance.AllTagValues() {
				s.SetTag(k, v)
			}
			s.SetBaggageItem("bag", "gage\xff")
			s.LogFields(
				otlog.String("s", "v\x00\xff"), otlog.Bool("b", true), otlog.Int("i", -3), otlog.Int32("i32", math.MinInt32),
				otlog.Int64("i64", math.MinInt64), otlog.Uint32("u32", math.MaxUint32), otlog.Uint64("u64", math.MaxUint64),
				otlog.Float32("f32", float32(math.Inf(-1))), otlog.Float64("f64", math.NaN()), otlog.Error(errors.New("err")),
				otlog.Error(nil), otlog.Object("obj", conformance.ValueStruct{A: 2}), otlog.Object("nilobj", nil), otlog.Event("ev"), otlog.Message("msg"),
				otlog.Lazy(func(fv otlog.Encoder) { fv.EmitString("lazy1", "x"); fv.EmitInt("lazy2", 2) }),
			)
			s.LogKV("odd", 1, "count")   // odd: an error field
			s.LogKV(3, "non-string key") // non-string key: an error field
			s.LogKV()
			s.LogKV("k", conformance.ValueStruct{}, "k2", nil)
			s.FinishWithOptions(opentracing.FinishOptions{
				FinishTime: start.Add(1500 * time.Nanosecond),
				LogRecords: []opentracing.LogRecord{{Timestamp: start.Add(-time.Hour), Fields: []otlog.Field{otlog.String("early", "log")}}},
			})
			spans = append(spans, s)

			// zero duration, and a finish before the start (negative duration)
			z := tr.StartSpan("zero", opentracing.StartTime(start))
			z.FinishWithOptions(opentracing.FinishOptions{FinishTime: start})
			neg := tr.StartSpan("negative", opentracing.StartTime(start))
			neg.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(-time.Second)})
			// a start before 1970
			old := tr.StartSpan("before-1970", opentracing.StartTime(time.Unix(-1000, 1)))
			old.FinishWithOptions(opentracing.FinishOptions{FinishTime: time.Unix(-999, 0)})
			a.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(time.Millisecond)})
			b.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(time.Millisecond)})
			spans = append(spans, z, neg, old, a, b)

			if err := tr.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			bs := advBatches(t, c, len(spans))
			if errs := c.Errors(); len(errs) > 0 {
				t.Fatalf("the collector could not decode: %v", errs)
			}
			got := map[int64]*j.Span{}
			for _, js := range advSpans(bs) {
				if _, dup := got[js.SpanId]; dup {
					t.Errorf("span %x arrived twice", js.SpanId)
				}
				got[js.SpanId] = js
			}
			if len(got) != len(spans) {
				t.Fatalf("decoded %d spans, want %d", len(got), len(spans))
			}
			for _, sp := range spans {
				js := jaeger.ClientSpan(sp)
				want := jaegerclient.BuildJaegerThrift(js)
				have := got[want.SpanId]
				if have == nil {
					t.Errorf("span %q (%x) not received", want.OperationName, want.SpanId)
					continue
				}
				if !bytes.Equal(compactBytes(t, want), compactBytes(t, have)) {
					t.Errorf("span %q differs from jaeger-client-go's BuildJaegerThrift:\n have %v\n want %v", want.OperationName, have, want)
				}
				if have.TraceIdHigh == 0 {
					t.Errorf("span %q: trace_id_128bit but TraceIdHigh is 0", want.OperationName)
				}
			}
			wantProc := jaegerclient.BuildJaegerProcessThrift(jaeger.ClientSpan(spans[0]))
			for _, b := range bs {
				if !bytes.Equal(compactBytes(t, b.Process), compactBytes(t, wantProc)) {
					t.Errorf("process %v, want jaeger-client-go's %v", b.Process, wantProc)
				}
				if b.Process.ServiceName != "adv-svc" {
					t.Errorf("service name %q", b.Process.ServiceName)
				}
			}
			st := conformance.CheckAccounting(t, tr, len(got))
			if st.Dropped != 0 {
				t.Errorf("dropped %v", st.DroppedBy)
			}
		})
	}
}

// TestAdversarialJaegerHugeAndMany: 1 MB operation names, 1 MB tag values,
// 1 MB log values and 10k tags. Over UDP no datagram may exceed the limit or
// fail to decode, and every span is either decoded or counted as dropped;
// over HTTP everything arrives, tag values cut at max_tag_value_length.
func TestAdversarialJaegerHugeAndMany(t *testing.T) {
	mb := strings.Repeat("x", 1<<20)
	for _, tp := range transports {
		t.Run(tp.name, func(t *testing.T) {
			c := tp.start(t)
			// Megabytes decoded under -race on a busy machine: a generous
			// timeout, so that what is measured is the bytes.
			tr := advTracer(t, c.Endpoint(), core.WithParam("timeout", "2m"))
			s1 := tr.StartSpan("bigtag")
			s1.SetTag("big", mb)
			s1.SetTag("bigbytes", []byte(mb))
			s1.Finish()
			s2 := tr.StartSpan("biglog")
			s2.LogFields(otlog.String("big", mb))
			s2.LogKV("small", 1)
			s2.Finish()
			s3 := tr.StartSpan("manytags")
			for i := 0; i < 10_000; i++ {
				s3.SetTag("t"+strconv.Itoa(i), i)
			}
			s3.Finish()
			s4 := tr.StartSpan(mb) // a 1 MB operation name
			s4.Finish()
			s5 := tr.StartSpan("after")
			s5.Finish()
			err := tr.Close()

			expect := 5
			if tp.name == "udp" {
				expect = 4 // the 1 MB name cannot fit a datagram at all
			}
			bs := advBatches(t, c, expect)
			if errs := c.Errors(); len(errs) > 0 {
				t.Fatalf("the collector could not decode: %v", errs)
			}
			for _, size := range c.Sizes() {
				if tp.name == "udp" && size > 65000 {
					t.Errorf("a datagram of %d bytes, over max_packet_size", size)
				}
			}
			got := map[string]*j.Span{}
			for _, js := range advSpans(bs) {
				name := js.OperationName
				if len(name) > 20 {
					name = "1MB"
				}
				got[name] = js
			}
			if big := got["bigtag"]; big == nil {
				t.Error("bigtag not received")
			} else {
				for _, tag := range big.Tags {
					if tag.Key == "big" && len(tag.GetVStr()) != 1024 || tag.Key == "bigbytes" && len(tag.VBinary) != 1024 {
						t.Errorf("tag %q not cut to 1024", tag.Key)
					}
				}
			}
			if got["biglog"] == nil || got["manytags"] == nil || got["after"] == nil {
				t.Errorf("missing spans: have %d kinds", len(got))
			}
			if tp.name == "http" {
				if got["1MB"] == nil || len(got["1MB"].OperationName) != 1<<20 {
					t.Error("the 1 MB operation name did not arrive intact over HTTP")
				}
				if n := len(got["manytags"].Tags); n < 10_000 {
					t.Errorf("manytags arrived with %d tags over HTTP", n)
				}
				if l := got["biglog"].Logs; len(l) != 2 || len(l[0].Fields[0].GetVStr()) != 1<<20 {
					t.Error("the 1 MB log field did not arrive intact over HTTP")
				}
			} else {
				for _, name := range []string{"biglog", "manytags"} {
					s := got[name]
					if s == nil {
						continue
					}
					var marker *j.Tag
					for _, tag := range s.Tags {
						if tag.Key == "traceplug.truncated" {
							marker = tag
						}
					}
					if marker == nil || marker.GetVLong() <= 0 {
						t.Errorf("%s was cut without a positive traceplug.truncated tag", name)
						continue
					}
					// accounting of the marker: kept + removed == original
					switch name {
					case "manytags":
						orig := 10_000 // no sampler tags: core took the root's decision
						kept := len(s.Tags) - 1
						if kept+int(marker.GetVLong()) != orig {
							t.Errorf("manytags: %d tags kept + %d removed != %d", kept, marker.GetVLong(), orig)
						}
					case "biglog":
						orig := 2 // two logs; no sampler tags: core took the root's decision
						kept := len(s.Tags) - 1 + len(s.Logs)
						if kept+int(marker.GetVLong()) != orig {
							t.Errorf("biglog: %d tags+logs kept + %d removed != %d", kept, marker.GetVLong(), orig)
						}
					}
				}
			}
			decoded := len(advSpans(bs))
			st := conformance.CheckAccounting(t, tr, decoded)
			if tp.name == "udp" {
				if st.Dropped != 1 {
					t.Errorf("UDP: want the 1 MB-name span counted as dropped, stats %+v", st)
				}
				if st.DroppedBy[backend.DropTooLarge] != 1 {
					t.Errorf("UDP: the span too large for any datagram is counted as %v, want %q (backend.DropTooLarge: %q)",
						st.DroppedBy, backend.DropTooLarge, "the span could not be encoded within the transport's size limit")
				}
				if err == nil || !errors.Is(err, core.ErrSpansLost) {
					t.Errorf("Close should report the lost span: %v", err)
				}
			} else if err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

// TestAdversarialJaegerBatchesSplitAtMaxPacket: with the smallest packet
// size, many spans of varied sizes split into datagrams that never exceed it,
// all decode, and the spans counted reported are those decoded, once each.
func TestAdversarialJaegerBatchesSplitAtMaxPacket(t *testing.T) {
	for _, size := range []int{1024, 1500, 65000} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			c := jaegertest.NewUDP(t)
			tr := advTracer(t, c.Endpoint(), core.WithParam("max_packet_size", strconv.Itoa(size)),
				core.WithParam("flush_interval", "1h"))
			const n = 300
			for i := 0; i < n; i++ {
				s := tr.StartSpan("op-" + strconv.Itoa(i))
				s.SetTag("pad", strings.Repeat("p", (i*37)%1100))
				if i%7 == 0 {
					s.LogKV("event", strings.Repeat("l", (i*53)%3000))
				}
				s.Finish()
			}
			if err := tr.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			bs := advBatches(t, c, n)
			if errs := c.Errors(); len(errs) > 0 {
				t.Fatalf("undecodable datagrams: %v", errs)
			}
			for _, sz := range c.Sizes() {
				if sz > size {
					t.Errorf("datagram of %d bytes over max_packet_size %d", sz, size)
				}
			}
			seen := map[int64]bool{}
			seqs := map[int64]bool{}
			for _, b := range bs {
				if b.SeqNo != nil {
					if seqs[*b.SeqNo] {
						t.Errorf("seqNo %d twice", *b.SeqNo)
					}
					seqs[*b.SeqNo] = true
				}
				for _, s := range b.Spans {
					if seen[s.SpanId] {
						t.Errorf("span %x twice", s.SpanId)
					}
					seen[s.SpanId] = true
				}
			}
			if len(seen) != n {
				t.Errorf("decoded %d of %d spans in %d datagrams", len(seen), n, len(bs))
			}
			conformance.CheckAccounting(t, tr, len(seen))
		})
	}
}

// TestAdversarialJaegerFinishTwiceAndAfterClose: a span finished twice is
// sent and reported once (jaeger-client-go's own would send it twice); a
// span finished after Close is counted as finished after close and never
// sent.
func TestAdversarialJaegerFinishTwiceAndAfterClose(t *testing.T) {
	for _, tp := range transports {
		t.Run(tp.name, func(t *testing.T) {
			c := tp.start(t)
			tr := advTracer(t, c.Endpoint())
			s := tr.StartSpan("twice")
			s.Finish()
			s.Finish()
			late := tr.StartSpan("late")
			if err := tr.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			late.Finish()
			bs := advBatches(t, c, 1)
			if decoded := len(advSpans(bs)); decoded != 1 {
				t.Errorf("a span finished twice arrived %d times, want once", decoded)
			}
			st := tr.Stats()
			if st.Reported != 1 {
				t.Errorf("Reported %d, want 1", st.Reported)
			}
			if st.DroppedBy[backend.DropClosed] != 1 {
				t.Errorf("the span finished after Close: DroppedBy %v", st.DroppedBy)
			}
			for _, js := range advSpans(bs) {
				if js.OperationName == "late" {
					t.Error("a span finished after Close was sent")
				}
			}
		})
	}
}

// advHTTP is a collector answering with a chosen status, after a chosen
// delay, decoding every body with jaeger's own binary-thrift decoder.
type advHTTP struct {
	status atomic.Int32
	delay  atomic.Int64
	mu     sync.Mutex
	spans  int
	errs   []error
	calls  int
}

func (h *advHTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b, err := jaegertest.DecodeBinary(body)
	h.mu.Lock()
	h.calls++
	if err != nil {
		h.errs = append(h.errs, err)
	} else {
		h.spans += len(b.Spans)
	}
	h.mu.Unlock()
	if d := time.Duration(h.delay.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
	}
	w.WriteHeader(int(h.status.Load()))
}

// TestAdversarialJaegerCollectorErrors: a collector answering 500 or 413
// drops the batch, counted by the reason core defines for "the collector
// answered with an error"; a collector too slow to answer within timeout is
// "send failed"; Close returns promptly and Stats adds up.
func TestAdversarialJaegerCollectorErrors(t *testing.T) {
	for _, status := range []int{500, 413} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			h := &advHTTP{}
			h.status.Store(int32(status))
			srv := httptest.NewServer(h)
			defer srv.Close()
			tr := advTracer(t, srv.URL+"/api/traces", core.WithParam("batch_size", "10"))
			for i := 0; i < 25; i++ {
				tr.StartSpan("s").Finish()
			}
			err := tr.Close()
			if !errors.Is(err, core.ErrSpansLost) {
				t.Errorf("Close should say spans were lost: %v", err)
			}
			st := tr.Stats()
			h.mu.Lock()
			defer h.mu.Unlock()
			if len(h.errs) > 0 {
				t.Errorf("undecodable bodies: %v", h.errs)
			}
			if h.spans != 25 || st.Reported != 0 || st.Dropped != 25 {
				t.Errorf("collector decoded %d; stats %+v", h.spans, st)
			}
			if st.DroppedBy[backend.DropRejected] != 25 {
				t.Errorf("spans the collector answered %d to are counted as %v, want %d %q (zipkin and otel count them so)",
					status, st.DroppedBy, 25, backend.DropRejected)
			}
		})
	}
	t.Run("slow", func(t *testing.T) {
		h := &advHTTP{}
		h.status.Store(202)
		h.delay.Store(int64(30 * time.Second)) // far past any timeout: what ends the wait is the timeout
		srv := httptest.NewServer(h)
		defer srv.Close()
		tr := advTracer(t, srv.URL+"/api/traces", core.WithParam("timeout", "200ms"))
		for i := 0; i < 5; i++ {
			tr.StartSpan("s").Finish()
		}
		t0 := time.Now()
		err := tr.Close()
		if d := time.Since(t0); d > 10*time.Second { // generous: a busy machine under -race
			t.Errorf("Close took %v with a 200ms timeout", d)
		}
		st := tr.Stats()
		if !errors.Is(err, core.ErrSpansLost) || st.Dropped != 5 || st.DroppedBy[backend.DropSend] != 5 || st.Reported != 0 {
			t.Errorf("slow collector: err %v, stats %+v", err, st)
		}
	})
	t.Run("shutdown-deadline", func(t *testing.T) {
		h := &advHTTP{}
		h.status.Store(202)
		h.delay.Store(int64(30 * time.Second))
		srv := httptest.NewServer(h)
		defer srv.Close()
		tr := advTracer(t, srv.URL+"/api/traces")
		for i := 0; i < 5; i++ {
			tr.StartSpan("s").Finish()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		t0 := time.Now()
		err := tr.Shutdown(ctx)
		if d := time.Since(t0); d > 10*time.Second { // generous: a busy machine under -race
			t.Errorf("Shutdown took %v past a 200ms deadline", d)
		}
		st := tr.Stats()
		if err == nil || st.Reported != 0 || st.Dropped != 5 || st.Pending != 0 {
			t.Errorf("shutdown past its deadline: err %v, stats %+v", err, st)
		}
		t.Logf("shutdown-deadline: %v", st.DroppedBy)
	})
}

// TestAdversarialJaegerCloseFlushesEverything: with a flush interval of an
// hour and a queue big enough, Close sends every span, on both transports.
func TestAdversarialJaegerCloseFlushesEverything(t *testing.T) {
	for _, tp := range transports {
		t.Run(tp.name, func(t *testing.T) {
			c := tp.start(t)
			tr := advTracer(t, c.Endpoint(), core.WithParam("flush_interval", "1h"), core.WithParam("batch_size", "7"))
			const n = 2000
			conformance.FinishSpans(tr, n)
			if err := tr.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			bs := advBatches(t, c, n)
			decoded := len(advSpans(bs))
			if decoded != n {
				t.Errorf("decoded %d of %d", decoded, n)
			}
			conformance.CheckAccounting(t, tr, decoded)
		})
	}
}
