package mock_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/mock"
)

func newTracer(t *testing.T, cfg backend.Config) *mock.Tracer {
	t.Helper()
	if cfg.SampleRate == 0 && cfg.ServiceName == "" {
		cfg.SampleRate, cfg.ServiceName = 1, "svc"
	}
	tr, err := mock.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestForeignAndNilParentsAreIgnored(t *testing.T) {
	tr := newTracer(t, backend.Config{})
	foreign := mocktracer.New().StartSpan("x").Context()
	s := tr.StartSpan("op", opentracing.ChildOf(foreign), opentracing.FollowsFrom(nil))
	s.Finish()
	got := tr.FinishedSpans()[0]
	if got.ParentID != 0 || got.IgnoredReferences != 1 {
		t.Fatalf("parent %x, ignored %d: want a root span with 1 ignored reference (opentracing drops the nil one itself)", got.ParentID, got.IgnoredReferences)
	}
}

func TestDoubleFinishRecordedOnce(t *testing.T) {
	tr := newTracer(t, backend.Config{})
	s := tr.StartSpan("op")
	s.Finish()
	s.Finish()
	if n := len(tr.FinishedSpans()); n != 1 {
		t.Fatalf("recorded %d times", n)
	}
	if tr.DoubleFinishes() != 1 {
		t.Fatalf("DoubleFinishes = %d, want 1", tr.DoubleFinishes())
	}
	tr.Reset()
	if len(tr.FinishedSpans()) != 0 || tr.DoubleFinishes() != 0 {
		t.Fatal("Reset kept state")
	}
}

func TestAccessorsReturnCopies(t *testing.T) {
	tr := newTracer(t, backend.Config{})
	s := tr.StartSpan("op")
	s.SetTag("k", "v")
	s.LogKV("event", "e")
	s.Finish()
	a := tr.FinishedSpans()
	a[0].Tags["k"] = "changed"
	a[0].Logs[0].Fields["event"] = "changed"
	b := tr.FinishedSpans()
	if b[0].Tags["k"] != "v" || b[0].Logs[0].Fields["event"] != "e" {
		t.Fatal("changing a returned span changed the recorded one")
	}
}

func TestFormatsRoundTrip(t *testing.T) {
	for _, prop := range []string{"", "b3", "b3multi", "jaeger", "ottrace", "tracecontext,baggage", "b3multi,tracecontext,jaeger"} {
		tr := newTracer(t, backend.Config{SampleRate: 1, ServiceName: "s", Propagation: prop})
		parent := tr.StartSpan("p")
		parent.SetBaggageItem("user", "ann")
		want := parent.Context().(mock.SpanContext)
		for _, tc := range []struct {
			name    string
			format  any
			carrier func() (in, out any)
		}{
			{"TextMap", opentracing.TextMap, func() (any, any) { c := opentracing.TextMapCarrier{}; return c, c }},
			{"HTTPHeaders", opentracing.HTTPHeaders, func() (any, any) {
				c := opentracing.HTTPHeadersCarrier(http.Header{})
				return c, c
			}},
			{"Binary", opentracing.Binary, func() (any, any) { var b bytes.Buffer; return &b, &b }},
		} {
			in, out := tc.carrier()
			if err := tr.Inject(parent.Context(), tc.format, in); err != nil {
				t.Fatalf("%s %s inject: %v", prop, tc.name, err)
			}
			sc, err := tr.Extract(tc.format, out)
			if err != nil {
				t.Fatalf("%s %s extract: %v", prop, tc.name, err)
			}
			got := sc.(mock.SpanContext)
			var bag string
			got.ForeachBaggageItem(func(k, v string) bool { bag = k + "=" + v; return true })
			if got.TraceID != want.TraceID || got.SpanID != want.SpanID || !got.Sampled || bag != "user=ann" {
				t.Errorf("%q %s: got %v baggage %q, want %v user=ann", prop, tc.name, got, bag, want)
			}
		}
	}
}

func TestSampleRateZeroPropagatesButRecordsNothing(t *testing.T) {
	tr, err := mock.New(backend.Config{ServiceName: "s", SampleRate: 0})
	if err != nil {
		t.Fatal(err)
	}
	s := tr.StartSpan("op")
	h := http.Header{}
	if err := tr.Inject(s.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	s.Finish()
	if len(tr.FinishedSpans()) != 0 || !strings.HasSuffix(h.Get("traceparent"), "-00") {
		t.Fatalf("spans %d, headers %v", len(tr.FinishedSpans()), h)
	}
}

func TestCollector(t *testing.T) {
	c := mock.NewCollector()
	a := newTracer(t, backend.Config{ServiceName: "a", SampleRate: 1, Endpoint: c.Endpoint()})
	b := newTracer(t, backend.Config{ServiceName: "b", SampleRate: 1, Endpoint: c.Endpoint()})
	a.StartSpan("1").Finish()
	b.StartSpan("2").Finish()
	if got := c.Spans(); len(got) != 2 || got[0].Service != "a" || got[1].Service != "b" {
		t.Fatalf("collector spans %+v", got)
	}
	c.Close()
	if _, err := mock.New(backend.Config{ServiceName: "c", SampleRate: 1, Endpoint: c.Endpoint()}); err == nil {
		t.Fatal("New pointed at a closed collector: want an error")
	}
	if _, err := mock.New(backend.Config{Endpoint: "udp://127.0.0.1:1"}); err == nil {
		t.Fatal("New with a non-mem endpoint: want an error")
	}
}

func TestConcurrentUse(t *testing.T) {
	tr := newTracer(t, backend.Config{})
	parent := tr.StartSpan("root")
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := tr.StartSpan("child", opentracing.ChildOf(parent.Context()))
			s.SetTag("i", 1)
			s.LogKV("k", "v")
			parent.SetTag("shared", true)
			_ = parent.BaggageItem("x")
			s.Finish()
			_ = tr.FinishedSpans()
		}()
	}
	wg.Wait()
	parent.Finish()
	if n := len(tr.FinishedSpans()); n != 51 {
		t.Fatalf("%d spans", n)
	}
}

// TestB3Keeps128BitTraceIDs: a 128-bit B3 trace id is continued whole and
// passed on whole (the mock once kept only its low half).
func TestB3Keeps128BitTraceIDs(t *testing.T) {
	for _, prop := range []string{"b3", "b3multi"} {
		tr := newTracer(t, backend.Config{SampleRate: 1, ServiceName: "s", Propagation: prop})
		const trace = "463ac35c9f6413ad48485a3953bb6124"
		in := http.Header{"X-B3-Traceid": {trace}, "X-B3-Spanid": {"a2fb4a1d1a96d312"}, "X-B3-Sampled": {"1"}}
		parent, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(in))
		if err != nil {
			t.Fatal(err)
		}
		child := tr.StartSpan("child", opentracing.ChildOf(parent))
		out := http.Header{}
		if err := tr.Inject(child.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(out)); err != nil {
			t.Fatal(err)
		}
		child.Finish()
		got := tr.FinishedSpans()[0]
		if fmt.Sprintf("%016x%016x", got.TraceIDHigh, got.TraceID) != trace {
			t.Errorf("%s: recorded trace id %016x%016x, want %s", prop, got.TraceIDHigh, got.TraceID, trace)
		}
		sent := out.Get("X-B3-Traceid")
		if sent == "" {
			sent, _, _ = strings.Cut(out.Get("B3"), "-")
		}
		if sent != trace {
			t.Errorf("%s: sent trace id %q, want %s (headers %v)", prop, sent, trace, out)
		}
	}
}
