package zipkin_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"go.uber.org/goleak"

	_ "github.com/traceplug/traceplug/backends/zipkin"
	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newTracer(t *testing.T, c *zipkintest.Collector, opts ...core.Option) *core.Tracer {
	t.Helper()
	tr, err := core.New("zipkin", append([]core.Option{core.WithEndpoint(c.Endpoint()), core.WithServiceName("zipkin-test")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

func closeAndRead(t *testing.T, tr *core.Tracer, c *zipkintest.Collector) []conformance.Span {
	t.Helper()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if errs := c.Errors(); len(errs) > 0 {
		t.Fatalf("the collector could not decode: %v", errs)
	}
	return c.Spans()
}

func byName(spans []conformance.Span) map[string]conformance.Span {
	m := map[string]conformance.Span{}
	for _, s := range spans {
		m[s.Operation] = s
	}
	return m
}

func TestThousandSpansThenClose(t *testing.T) {
	c := zipkintest.New(t)
	tr := newTracer(t, c)
	for i := 0; i < 1000; i++ {
		tr.StartSpan("span").Finish()
	}
	if n := len(closeAndRead(t, tr, c)); n != 1000 {
		t.Fatalf("the collector decoded %d of 1000 spans", n)
	}
}

func TestKindsMapToZipkinKinds(t *testing.T) {
	c := zipkintest.New(t)
	tr := newTracer(t, c)
	for _, kind := range []ext.SpanKindEnum{ext.SpanKindRPCServerEnum, ext.SpanKindRPCClientEnum, ext.SpanKindProducerEnum, ext.SpanKindConsumerEnum} {
		tr.StartSpan(string(kind), opentracing.Tag{Key: string(ext.SpanKind), Value: kind}).Finish()
	}
	tr.StartSpan("local").Finish()
	closeAndRead(t, tr, c)
	for _, m := range c.Models() {
		want := strings.ToUpper(m.Name)
		if m.Name == "local" {
			want = ""
		}
		if string(m.Kind) != want {
			t.Errorf("span %q has kind %q, want %q", m.Name, m.Kind, want)
		}
		if _, asTag := m.Tags["span.kind"]; asTag {
			t.Errorf("span %q carries span.kind as a tag as well as the kind", m.Name)
		}
	}
}

func TestEndpointsAndAnnotationsFromTagsAndLogs(t *testing.T) {
	c := zipkintest.New(t)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer backend.Close()
	tr2, _ := core.New("zipkin", core.WithEndpoint(c.Endpoint()), core.WithServiceName("zipkin-test"), core.WithTraceAll(true), core.WithParam("local_endpoint", "10.1.2.3:8080"))
	defer tr2.Close()
	srv := httptest.NewServer(tr2.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr2.GetSpan(r).LogKV("event", "calling", "attempt", 1)
		req, _ := http.NewRequestWithContext(r.Context(), "GET", backend.URL, nil)
		if resp, err := (&http.Client{Transport: tr2.Transport(nil)}).Do(req); err == nil {
			resp.Body.Close()
		}
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_ = closeAndRead(t, tr2, c)
	var server, client bool
	for _, m := range c.Models() {
		if m.LocalEndpoint == nil || m.LocalEndpoint.ServiceName != "zipkin-test" || m.LocalEndpoint.IPv4.String() != "10.1.2.3" || m.LocalEndpoint.Port != 8080 {
			t.Errorf("span %q local endpoint %+v, want zipkin-test at 10.1.2.3:8080", m.Name, m.LocalEndpoint)
		}
		switch m.Kind {
		case "SERVER":
			server = true
			if len(m.Annotations) != 2 || m.Annotations[0].Value != "event:calling" || m.Annotations[1].Value != "attempt:1" ||
				!m.Annotations[0].Timestamp.Equal(m.Annotations[1].Timestamp) {
				t.Errorf("server annotations %+v: want event:calling and attempt:1 at one timestamp", m.Annotations)
			}
		case "CLIENT":
			client = true
			r := m.RemoteEndpoint
			if r == nil || r.IPv4.String() != "127.0.0.1" || r.Port == 0 {
				t.Errorf("client span remote endpoint %+v, want 127.0.0.1 and the backend's port", r)
			}
			if m.Tags["peer.hostname"] != "127.0.0.1" {
				t.Errorf("client tags %v", m.Tags)
			}
		}
	}
	if !server || !client {
		t.Errorf("server span %v, client span %v: want both", server, client)
	}
}

func TestLenientB3Headers(t *testing.T) {
	const traceID, spanID = "463ac35c9f6413ad", "a2fb4a1d1a96d312"
	for _, tc := range []struct {
		name    string
		header  map[string]string
		rate    float64
		want    string // "child": continues traceID/spanID; "root"; "none": not sampled, not sent
		trace   string
		sampled bool
	}{
		{"sampled true, not 1", map[string]string{"X-B3-TraceId": traceID, "X-B3-SpanId": spanID, "X-B3-Sampled": "true"}, 1, "child", traceID, true},
		{"debug flag wins over rate 0", map[string]string{"X-B3-TraceId": traceID, "X-B3-SpanId": spanID, "X-B3-Flags": "1"}, 0, "child", traceID, true},
		{"sampled 0 is honoured", map[string]string{"X-B3-TraceId": traceID, "X-B3-SpanId": spanID, "X-B3-Sampled": "0"}, 1, "none", "", false},
		{"upper-case hex", map[string]string{"X-B3-TraceId": strings.ToUpper(traceID), "X-B3-SpanId": strings.ToUpper(spanID)}, 1, "child", traceID, true},
		{"128-bit trace id", map[string]string{"X-B3-TraceId": "80f198ee56343ba8" + traceID, "X-B3-SpanId": spanID}, 1, "child", "80f198ee56343ba8" + traceID, true},
		{"single header", map[string]string{"b3": traceID + "-" + spanID + "-1"}, 1, "child", traceID, true},
		{"single header with parent", map[string]string{"b3": traceID + "-" + spanID + "-1-0020000000000001"}, 1, "child", traceID, true},
		{"single header debug", map[string]string{"b3": traceID + "-" + spanID + "-d"}, 0, "child", traceID, true},
		{"single header deny", map[string]string{"b3": "0"}, 1, "none", "", false},
		{"sampling flag only", map[string]string{"X-B3-Sampled": "1"}, 0, "root", "", true},
		{"deferred, rate 1", map[string]string{"X-B3-TraceId": traceID, "X-B3-SpanId": spanID}, 1, "child", traceID, true},
		{"deferred, rate 0", map[string]string{"X-B3-TraceId": traceID, "X-B3-SpanId": spanID}, 0, "none", "", false},
		{"unpadded ids", map[string]string{"X-B3-TraceId": "abc", "X-B3-SpanId": "12", "X-B3-Sampled": "1"}, 1, "child", "abc", true},
		{"bad single, good multi", map[string]string{"b3": "garbage", "X-B3-TraceId": traceID, "X-B3-SpanId": spanID}, 1, "child", traceID, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := zipkintest.New(t)
			tr := newTracer(t, c, core.WithTraceAll(true), core.WithSampleRate(tc.rate))
			srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
			defer srv.Close()
			req, _ := http.NewRequest("GET", srv.URL, nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("served %d", resp.StatusCode)
			}
			spans := closeAndRead(t, tr, c)
			switch tc.want {
			case "none":
				if len(spans) != 0 {
					t.Fatalf("an unsampled trace sent %d spans", len(spans))
				}
				return
			case "root":
				if len(spans) != 1 || spans[0].ParentID != "" {
					t.Fatalf("want one root span, got %v", spans)
				}
				return
			}
			if len(spans) != 1 {
				t.Fatalf("want one span, got %d", len(spans))
			}
			s := spans[0]
			wantParent := conformance.NormalizeID(tc.header["X-B3-SpanId"])
			if wantParent == "" {
				wantParent = spanID
			}
			if s.TraceID != conformance.NormalizeID(tc.trace) || s.ParentID != wantParent {
				t.Errorf("span [trace %s parent %s], want [trace %s parent %s]", s.TraceID, s.ParentID, tc.trace, wantParent)
			}
		})
	}
}

func TestB3InjectStyles(t *testing.T) {
	for _, tc := range []struct{ style, want, notWant string }{
		{"", "X-B3-Traceid", "B3"}, {"multi", "X-B3-Traceid", "B3"}, {"single", "B3", "X-B3-Traceid"}, {"both", "B3", ""},
	} {
		c := zipkintest.New(t)
		opts := []core.Option{}
		if tc.style != "" {
			opts = append(opts, core.WithParam("b3_inject", tc.style))
		}
		tr := newTracer(t, c, opts...)
		s := tr.StartSpan("x")
		h := http.Header{}
		if err := tr.Inject(s.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
			t.Fatal(err)
		}
		s.Finish()
		if h.Get(tc.want) == "" || (tc.notWant != "" && h.Get(tc.notWant) != "") {
			t.Errorf("b3_inject=%q: headers %v", tc.style, h)
		}
	}
}

func TestCollectorAcceptsGzip(t *testing.T) {
	c := zipkintest.New(t)
	var body bytes.Buffer
	gz := gzip.NewWriter(&body)
	_, _ = gz.Write([]byte(`[{"traceId":"463ac35c9f6413ad","id":"a2fb4a1d1a96d312","name":"gz","timestamp":1700000000000000,"duration":5,"localEndpoint":{"serviceName":"s"}}]`))
	_ = gz.Close()
	req, _ := http.NewRequest("POST", c.Endpoint(), &body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if spans := c.Spans(); resp.StatusCode != 202 || len(spans) != 1 || spans[0].Operation != "gz" || spans[0].Service != "s" {
		t.Fatalf("status %d spans %v", resp.StatusCode, spans)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		opts []core.Option
		want string
	}{
		{[]core.Option{core.WithEndpoint("udp://127.0.0.1:9411")}, "want the collector's URL"},
		{[]core.Option{core.WithEndpoint("127.0.0.1:9411")}, "want the collector's URL"},
		{[]core.Option{core.WithParam("b3_inject", "sideways")}, `"sideways" is not multi, single or both`},
		{[]core.Option{core.WithParam("b3_inject", "single"), core.WithPropagation("b3")}, `"b3_inject" picks the native B3 headers`},
		{[]core.Option{core.WithParam("local_endpoint", "myhost")}, "is not IP:PORT"},
		{[]core.Option{core.WithParam("batch_size", "0")}, "must be positive"},
		{[]core.Option{core.WithParam("batchsize", "10")}, `unknown param "batchsize"`},
	} {
		if _, err := core.New("zipkin", tc.opts...); err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, core.ErrBadOption) {
			t.Errorf("got %v, want an error containing %q", err, tc.want)
		}
	}
	// core validates the list; the backend takes every format.
	for _, list := range []string{"b3", "b3multi", "jaeger", "tracecontext,baggage", "ottrace", "b3multi,tracecontext,jaeger"} {
		tr, err := core.New("zipkin", core.WithPropagation(list))
		if err != nil {
			t.Errorf("WithPropagation(%q): %v", list, err)
			continue
		}
		_ = tr.Close()
	}
}

// TestFinishAfterCloseNeverBlocks: zipkin-go's own reporter blocks forever on
// a span sent after Close; the backend's drops and counts it.
func TestFinishAfterCloseNeverBlocks(t *testing.T) {
	c := zipkintest.New(t)
	tr := newTracer(t, c)
	late := tr.StartSpan("late")
	_ = tr.Close()
	done := make(chan struct{})
	go func() { late.Finish(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Finish after Close blocked")
	}
	if st := tr.Stats(); st.DroppedBy["finished after close"] != 1 {
		t.Errorf("Stats() = %+v, want the late span dropped as finished after close", st)
	}
}

func TestConcurrentFinishesUnderRace(t *testing.T) {
	c := zipkintest.New(t)
	tr := newTracer(t, c)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				s := tr.StartSpan("c")
				s.LogKV("j", j)
				s.Finish()
			}
		}()
	}
	wg.Wait()
	if n := len(closeAndRead(t, tr, c)); n != 1000 {
		t.Fatalf("%d of 1000", n)
	}
}
