package zipkin_test

// Adversarial wire tests: what the zipkin backend posts, decoded with
// zipkin-go's own model.SpanModel (json.Unmarshal must succeed and the spans
// must round-trip through zipkin-go's MarshalJSON), compared with what stock
// zipkin-go-opentracing over zipkin-go builds for the same span, and checked
// against the accounting core.Tracer.Stats exposes.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	otlog "github.com/opentracing/opentracing-go/log"
	zipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"
	zipkingo "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// advCollector is a Zipkin collector keeping every raw body, decoding each
// with zipkin-go's model, answering a chosen status after a chosen delay.
type advCollector struct {
	srv    *httptest.Server
	status atomic.Int32
	delay  atomic.Int64

	mu     sync.Mutex
	bodies [][]byte
	spans  []model.SpanModel
	sizes  []int // spans per request, for decodable requests
	errs   []error
}

func newAdvCollector(t *testing.T) *advCollector {
	c := &advCollector{}
	c.status.Store(http.StatusAccepted)
	c.srv = httptest.NewServer(c)
	t.Cleanup(c.srv.Close)
	return c
}

func (c *advCollector) endpoint() string { return c.srv.URL + "/api/v2/spans" }

func (c *advCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var spans []model.SpanModel
	err := json.Unmarshal(body, &spans)
	if err == nil && r.Header.Get("Content-Type") != "application/json" {
		err = fmt.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
	}
	c.mu.Lock()
	c.bodies = append(c.bodies, body)
	if err != nil {
		c.errs = append(c.errs, err)
	} else {
		c.spans = append(c.spans, spans...)
		c.sizes = append(c.sizes, len(spans))
	}
	c.mu.Unlock()
	if d := time.Duration(c.delay.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
	}
	if err != nil {
		// what a Zipkin server answers to a body it cannot read
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(int(c.status.Load()))
}

func (c *advCollector) models() []model.SpanModel {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]model.SpanModel(nil), c.spans...)
}

func (c *advCollector) errors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.errs...)
}

func advTracer(t *testing.T, endpoint string, opts ...core.Option) *core.Tracer {
	t.Helper()
	tr, err := core.New("zipkin", append([]core.Option{core.WithEndpoint(endpoint), core.WithServiceName("Adv-Svc")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// roundTrip holds a decoded span to zipkin-go's own MarshalJSON and back.
func roundTrip(t *testing.T, m model.SpanModel) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Errorf("zipkin-go cannot re-encode span %q it decoded: %v", m.Name, err)
		return
	}
	var again model.SpanModel
	if err := json.Unmarshal(b, &again); err != nil {
		t.Errorf("zipkin-go cannot decode its own re-encoding of %q: %v", m.Name, err)
		return
	}
	if !reflect.DeepEqual(normalize(m), normalize(again)) {
		t.Errorf("span %q does not round-trip:\n first  %+v\n second %+v", m.Name, m, again)
	}
}

func normalize(m model.SpanModel) model.SpanModel {
	m.Timestamp = m.Timestamp.UTC()
	for i := range m.Annotations {
		m.Annotations[i].Timestamp = m.Annotations[i].Timestamp.UTC()
	}
	if len(m.Tags) == 0 {
		m.Tags = nil
	}
	return m
}

// exercise does the same things to a span of either tracer: tags of every
// type, logs of every field type at explicit times, baggage, a finish at an
// explicit time.
func exercise(s opentracing.Span, start time.Time) {
	for k, v := range conformance.AllTagValues() {
		if k == "pointer" {
			continue // an address: differs between runs
		}
		s.SetTag(k, v)
	}
	s.SetBaggageItem("bag", "gage")
	s.FinishWithOptions(opentracing.FinishOptions{
		FinishTime: start.Add(1500 * time.Nanosecond),
		LogRecords: []opentracing.LogRecord{
			{Timestamp: start.Add(time.Microsecond), Fields: []otlog.Field{
				otlog.String("s", "v\x00\xff"), otlog.Bool("b", true), otlog.Int("i", -3), otlog.Int32("i32", math.MinInt32),
				otlog.Int64("i64", math.MinInt64), otlog.Uint32("u32", math.MaxUint32), otlog.Uint64("u64", math.MaxUint64),
				otlog.Float32("f32", float32(math.Inf(-1))), otlog.Float64("f64", math.NaN()), otlog.Error(errors.New("err")),
				otlog.Error(nil), otlog.Object("obj", conformance.ValueStruct{A: 2}), otlog.Object("nilobj", nil), otlog.Event("ev"), otlog.Message("msg"),
				otlog.Lazy(func(fv otlog.Encoder) { fv.EmitString("lazy1", "x") }),
			}},
			{Timestamp: start.Add(2 * time.Microsecond), Fields: []otlog.Field{otlog.String("second", "record")}},
		},
	})
}

type stockReporter struct {
	mu    sync.Mutex
	spans []model.SpanModel
}

func (r *stockReporter) Send(s model.SpanModel) {
	r.mu.Lock()
	r.spans = append(r.spans, s)
	r.mu.Unlock()
}
func (r *stockReporter) Close() error { return nil }

// TestAdversarialZipkinEveryValueMatchesStock: a span with tags of every Go
// type and logs of every field type decodes with zipkin-go's model,
// round-trips, and equals what stock zipkin-go-opentracing over zipkin-go
// (its MarshalJSON, the JSONSerializer's bytes) gives for the same span,
// ids aside. Several references, 128-bit ids and LogKV with odd arguments
// must decode too.
func TestAdversarialZipkinEveryValueMatchesStock(t *testing.T) {
	c := newAdvCollector(t)
	tr := advTracer(t, c.endpoint(), core.WithParam("trace_id_128bit", "true"))
	start := time.Unix(1_700_000_000, 987_654_321)

	a := tr.StartSpan("Ref-A", opentracing.StartTime(start))
	b := tr.StartSpan("ref-b", opentracing.StartTime(start))
	s := tr.StartSpan("Every\x00Value\xff",
		opentracing.ChildOf(a.Context()), opentracing.FollowsFrom(b.Context()), opentracing.FollowsFrom(a.Context()),
		opentracing.StartTime(start), ext.SpanKindRPCClient,
		opentracing.Tag{Key: "peer.service", Value: "Peer-Svc"},
		opentracing.Tag{Key: "peer.ipv4", Value: "::1"}, // an IPv6 address in peer.ipv4
		opentracing.Tag{Key: "peer.port", Value: uint16(65535)},
	)
	exercise(s, start)
	kv := tr.StartSpan("logkv", opentracing.StartTime(start))
	kv.LogKV("odd", 1, "count")
	kv.LogKV(3, "non-string key")
	kv.LogKV()
	kv.LogKV("k", conformance.ValueStruct{}, "k2", nil)
	kv.Finish()
	a.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(time.Millisecond)})
	b.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(time.Millisecond)})
	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if errs := c.errors(); len(errs) > 0 {
		t.Fatalf("zipkin-go's model cannot decode what was posted: %v", errs)
	}
	got := map[string]model.SpanModel{}
	for _, m := range c.models() {
		got[m.Name] = m
		roundTrip(t, m)
		if m.TraceID.High == 0 {
			t.Errorf("span %q: trace_id_128bit but a 64-bit trace id", m.Name)
		}
		if m.LocalEndpoint == nil || m.LocalEndpoint.ServiceName != "adv-svc" {
			t.Errorf("span %q: local endpoint %+v", m.Name, m.LocalEndpoint)
		}
	}
	if len(got) != 4 {
		t.Fatalf("decoded %d spans: %v", len(got), got)
	}
	if st := tr.Stats(); st.Reported != 4 || st.Dropped != 0 || st.Pending != 0 {
		t.Errorf("stats %+v, want 4 reported", st)
	}
	if kvs := got["logkv"]; len(kvs.Annotations) == 0 {
		t.Error("LogKV's records did not arrive")
	} else {
		t.Logf("LogKV annotations: %v", kvs.Annotations)
	}

	// The same span through stock zipkin-go-opentracing over zipkin-go.
	rep := &stockReporter{}
	zt, err := zipkingo.NewTracer(rep, zipkingo.WithLocalEndpoint(&model.Endpoint{ServiceName: "Adv-Svc"}),
		zipkingo.WithSampler(zipkingo.AlwaysSample), zipkingo.WithTraceID128Bit(true))
	if err != nil {
		t.Fatal(err)
	}
	ot := zipkinot.Wrap(zt)
	sa := ot.StartSpan("Ref-A", opentracing.StartTime(start))
	ss := ot.StartSpan("Every\x00Value\xff", opentracing.ChildOf(sa.Context()), opentracing.StartTime(start), ext.SpanKindRPCClient,
		opentracing.Tag{Key: "peer.service", Value: "Peer-Svc"},
		opentracing.Tag{Key: "peer.ipv4", Value: "::1"},
		opentracing.Tag{Key: "peer.port", Value: uint16(65535)})
	exercise(ss, start)
	body, err := json.Marshal(rep.spans) // reporter.JSONSerializer's bytes
	if err != nil {
		t.Fatalf("stock zipkin-go cannot encode the span: %v", err)
	}
	var stock []model.SpanModel
	if err := json.Unmarshal(body, &stock); err != nil {
		t.Fatal(err)
	}
	want := normalize(stock[0])
	have := normalize(got[want.Name])
	for _, m := range []*model.SpanModel{&want, &have} {
		m.SpanContext = model.SpanContext{}
		sort.SliceStable(m.Annotations, func(i, j int) bool { return m.Annotations[i].Timestamp.Before(m.Annotations[j].Timestamp) })
	}
	if !reflect.DeepEqual(want, have) {
		wj, _ := json.Marshal(want)
		hj, _ := json.Marshal(have)
		t.Errorf("differs from stock zipkin-go-opentracing:\n have %s\n want %s", hj, wj)
	}
}

// TestAdversarialZipkinUnencodableSpanAlone: a span Zipkin's JSON cannot
// carry is dropped alone and counted "cannot be encoded", never failing the
// batch of good spans it travels with (the package documentation's
// promise): a finish before the start (negative duration), a start after
// 2262 (UnixNano overflows). A log record stamped at or before 1970
// (zipkin-go's Annotation.UnmarshalJSON refuses a timestamp below 1) is
// dropped alone, and its span sent.
func TestAdversarialZipkinUnencodableSpanAlone(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	cases := map[string]func(opentracing.Span){
		"negative duration": func(s opentracing.Span) {
			s.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(-time.Second)})
		},
		"log at the epoch": func(s opentracing.Span) {
			s.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(time.Second),
				LogRecords: []opentracing.LogRecord{{Timestamp: time.Unix(0, 0), Fields: []otlog.Field{otlog.String("k", "v")}}}})
		},
		"start after 2262": func(s opentracing.Span) {
			s.SetTag("note", "restarted below")
		},
		"log before 1970": func(s opentracing.Span) {
			s.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(time.Second),
				LogRecords: []opentracing.LogRecord{{Timestamp: time.Unix(-10, 0), Fields: []otlog.Field{otlog.String("k", "v")}}}})
		},
	}
	for name, finish := range cases {
		t.Run(name, func(t *testing.T) {
			c := newAdvCollector(t)
			tr := advTracer(t, c.endpoint())
			for i := 0; i < 5; i++ {
				tr.StartSpan("good-"+strconv.Itoa(i), opentracing.StartTime(start)).FinishWithOptions(
					opentracing.FinishOptions{FinishTime: start.Add(time.Millisecond)})
			}
			badStart := start
			if name == "start after 2262" {
				badStart = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
			}
			bad := tr.StartSpan("bad", opentracing.StartTime(badStart))
			finish(bad)
			if name == "start after 2262" {
				bad.FinishWithOptions(opentracing.FinishOptions{FinishTime: badStart.Add(time.Second)})
			}
			err := tr.Close()
			st := tr.Stats()
			models := c.models()
			if errs := c.errors(); len(errs) > 0 {
				t.Errorf("the collector (zipkin-go's model) could not decode a request: %v", errs)
			}
			if strings.HasPrefix(name, "log") {
				if len(models) != 6 || st.Reported != 6 || st.Dropped != 0 || err != nil {
					t.Errorf("the 6 spans: %d decoded, %d reported, %d dropped; Close: %v", len(models), st.Reported, st.Dropped, err)
				}
				for _, m := range models {
					if m.Name == "bad" && len(m.Annotations) != 0 {
						t.Errorf("the bad log was sent: %v", m.Annotations)
					}
				}
				return
			}
			if len(models) != 5 || st.Reported != 5 {
				t.Errorf("the 5 good spans: %d decoded, %d reported; stats %+v", len(models), st.Reported, st)
			}
			if st.DroppedBy[backend.DropUnencodable] != 1 || st.Dropped != 1 {
				t.Errorf("the bad span: DroppedBy %v, want 1 %q", st.DroppedBy, backend.DropUnencodable)
			}
			if !errors.Is(err, core.ErrSpansLost) {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

// TestAdversarialZipkinZeroDurationAndTwice: a zero duration is omitted as
// zipkin-go omits it and decodes as zero; a span finished twice is sent
// once; a span finished after Close is counted and not sent.
func TestAdversarialZipkinZeroDurationAndTwice(t *testing.T) {
	c := newAdvCollector(t)
	tr := advTracer(t, c.endpoint())
	start := time.Unix(1_700_000_000, 0)
	z := tr.StartSpan("zero", opentracing.StartTime(start))
	z.FinishWithOptions(opentracing.FinishOptions{FinishTime: start})
	sub := tr.StartSpan("sub-microsecond", opentracing.StartTime(start))
	sub.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(1)})
	twice := tr.StartSpan("twice")
	twice.Finish()
	twice.Finish()
	twice.FinishWithOptions(opentracing.FinishOptions{FinishTime: time.Now()})
	late := tr.StartSpan("late")
	if err := tr.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	late.Finish()
	if errs := c.errors(); len(errs) > 0 {
		t.Fatalf("undecodable: %v", errs)
	}
	n := map[string]int{}
	for _, m := range c.models() {
		n[m.Name]++
		roundTrip(t, m)
		switch m.Name {
		case "zero":
			if m.Duration != 0 {
				t.Errorf("zero duration decoded as %v", m.Duration)
			}
		case "sub-microsecond":
			if m.Duration != time.Microsecond {
				t.Errorf("1ns duration decoded as %v, zipkin-go sends 1µs", m.Duration)
			}
		}
	}
	if n["twice"] != 1 || n["late"] != 0 || n["zero"] != 1 {
		t.Errorf("spans received: %v", n)
	}
	st := tr.Stats()
	if st.Reported != uint64(len(c.models())) || st.DroppedBy[backend.DropClosed] != 1 {
		t.Errorf("stats %+v for %d decoded", st, len(c.models()))
	}
}

// TestAdversarialZipkinHugeAndMany: 1 MB names, tag values and log values and
// 10k tags are posted as JSON zipkin-go decodes and round-trips.
func TestAdversarialZipkinHugeAndMany(t *testing.T) {
	c := newAdvCollector(t)
	// Megabytes of JSON, decoded under -race on a busy machine: a generous
	// timeout, so that what is measured is the bytes, not the machine.
	tr := advTracer(t, c.endpoint(), core.WithParam("timeout", "2m"))
	mb := strings.Repeat("\xffX\x00<", 1<<18) // 1 MB, invalid UTF-8 and NULs
	s1 := tr.StartSpan(mb)
	s1.SetTag("big", mb)
	s1.SetTag(mb, "bigkey")
	s1.LogFields(otlog.String("big", mb))
	s1.Finish()
	s2 := tr.StartSpan("manytags")
	for i := 0; i < 10_000; i++ {
		s2.SetTag("t"+strconv.Itoa(i), i)
	}
	s2.Finish()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if errs := c.errors(); len(errs) > 0 {
		t.Fatalf("undecodable: %v", errs)
	}
	ms := c.models()
	if len(ms) != 2 {
		t.Fatalf("decoded %d of 2", len(ms))
	}
	for _, m := range ms {
		roundTrip(t, m)
		if m.Name == "manytags" && len(m.Tags) != 10_000 {
			t.Errorf("manytags: %d tags", len(m.Tags))
		}
		if m.Name != "manytags" && m.Name != strings.ToLower(strings.ToValidUTF8(mb, "\ufffd")) && len(m.Name) < 1<<20 {
			t.Errorf("1 MB name arrived with %d bytes", len(m.Name))
		}
	}
	if st := tr.Stats(); st.Reported != 2 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestAdversarialZipkinCollectorErrors: 500 and 413 drop their batch as
// rejected, every body still decodable; a collector that never answers in
// time has its batch kept within the backlog and counted at shutdown.
func TestAdversarialZipkinCollectorErrors(t *testing.T) {
	for _, status := range []int{500, 413} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			c := newAdvCollector(t)
			c.status.Store(int32(status))
			tr := advTracer(t, c.endpoint(), core.WithParam("batch_size", "10"))
			for i := 0; i < 25; i++ {
				tr.StartSpan("s").Finish()
			}
			err := tr.Close()
			st := tr.Stats()
			if errs := c.errors(); len(errs) > 0 {
				t.Errorf("undecodable: %v", errs)
			}
			if len(c.models()) != 25 || st.Reported != 0 || st.DroppedBy[backend.DropRejected] != 25 || st.Dropped != 25 {
				t.Errorf("decoded %d; stats %+v", len(c.models()), st)
			}
			if !errors.Is(err, core.ErrSpansLost) {
				t.Errorf("Close: %v", err)
			}
		})
	}
	t.Run("slow", func(t *testing.T) {
		c := newAdvCollector(t)
		c.delay.Store(int64(30 * time.Second)) // far past any timeout: what ends the wait is the timeout
		tr := advTracer(t, c.endpoint(), core.WithParam("timeout", "150ms"), core.WithParam("batch_size", "10"))
		for i := 0; i < 25; i++ {
			tr.StartSpan("s").Finish()
		}
		t0 := time.Now()
		err := tr.Close()
		if d := time.Since(t0); d > 10*time.Second { // generous: a busy machine under -race
			t.Errorf("Close took %v with a 150ms timeout", d)
		}
		st := tr.Stats()
		if st.Reported != 0 || st.Dropped != 25 || st.Pending != 0 || !errors.Is(err, core.ErrSpansLost) {
			t.Errorf("stats %+v, err %v", st, err)
		}
		c.mu.Lock()
		reqs := len(c.sizes)
		c.mu.Unlock()
		t.Logf("slow collector: %d requests reached it, %d spans decoded there; DroppedBy %v", reqs, len(c.models()), st.DroppedBy)
	})
	t.Run("shutdown-deadline", func(t *testing.T) {
		c := newAdvCollector(t)
		c.delay.Store(int64(30 * time.Second))
		tr := advTracer(t, c.endpoint())
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
			t.Errorf("err %v, stats %+v", err, st)
		}
	})
}

// TestAdversarialZipkinCloseFlushesEverything: with a batch interval of an
// hour, Close posts every span, in requests of at most batch_size.
func TestAdversarialZipkinCloseFlushesEverything(t *testing.T) {
	c := newAdvCollector(t)
	tr := advTracer(t, c.endpoint(), core.WithParam("batch_interval", "1h"), core.WithParam("batch_size", "7"))
	const n = 2000
	conformance.FinishSpans(tr, n)
	if err := tr.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	seen := map[model.ID]bool{}
	for _, m := range c.models() {
		if seen[m.ID] {
			t.Errorf("span %v twice", m.ID)
		}
		seen[m.ID] = true
	}
	if len(seen) != n {
		t.Errorf("decoded %d of %d", len(seen), n)
	}
	c.mu.Lock()
	for _, sz := range c.sizes {
		if sz > 7 {
			t.Errorf("a request of %d spans, over batch_size", sz)
		}
	}
	c.mu.Unlock()
	if st := conformance.CheckAccounting(t, tr, len(seen)); st.Dropped != 0 {
		t.Errorf("dropped %d spans (stats %+v)", st.Dropped, st)
	}
}
