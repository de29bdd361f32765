package jaeger_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"go.uber.org/goleak"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/jaeger"
	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type collector interface {
	Endpoint() string
	Spans() []conformance.Span
	Errors() []error
	Sizes() []int
}

var transports = []struct {
	name  string
	start func(testing.TB) *jaegertest.Collector
}{{"udp", jaegertest.NewUDP}, {"http", jaegertest.NewHTTP}}

func newTracer(t *testing.T, c collector, opts ...core.Option) *core.Tracer {
	t.Helper()
	tr, err := core.New("jaeger", append([]core.Option{core.WithEndpoint(c.Endpoint()), core.WithServiceName("jaeger-test")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// waitSpans polls until the collector has n spans, for UDP's sake.
func waitSpans(t *testing.T, c collector, n int) []conformance.Span {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		spans := c.Spans()
		if len(spans) >= n || time.Now().After(deadline) {
			if errs := c.Errors(); len(errs) > 0 {
				t.Errorf("the collector could not decode: %v", errs)
			}
			return spans
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestThousandSpansThenClose(t *testing.T) {
	for _, tp := range transports {
		t.Run(tp.name, func(t *testing.T) {
			c := tp.start(t)
			tr := newTracer(t, c)
			for i := 0; i < 1000; i++ {
				tr.StartSpan("span").Finish()
			}
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}
			if n := len(waitSpans(t, c, 1000)); n != 1000 {
				t.Fatalf("the collector decoded %d of 1000 spans", n)
			}
		})
	}
}

func TestOversizedSpansFitTheUDPLimit(t *testing.T) {
	c := jaegertest.NewUDP(t)
	tr := newTracer(t, c)
	big := tr.StartSpan("big tag")
	big.SetTag("blob", strings.Repeat("x", 100_000))
	big.Finish()
	many := tr.StartSpan("many tags")
	for i := 0; i < 500; i++ {
		many.SetTag("tag"+strings.Repeat("k", 3)+strconv.Itoa(i), strings.Repeat("v", 1000))
	}
	many.SetTag("error", true)
	many.Finish()
	tr.StartSpan("small").Finish()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	spans := waitSpans(t, c, 3)
	for _, size := range c.Sizes() {
		if size > 65000 {
			t.Errorf("a datagram of %d bytes: over the 65000-byte limit", size)
		}
	}
	got := map[string]conformance.Span{}
	for _, s := range spans {
		got[s.Operation] = s
	}
	if len(got) != 3 {
		t.Fatalf("received %d of 3 spans: %v", len(got), spans)
	}
	if v, _ := got["big tag"].Tag("blob"); len(v) != 1024 {
		t.Errorf("the 100 KB tag arrived with %d bytes, want it cut at max_tag_value_length (1024)", len(v))
	}
	m := got["many tags"]
	cut, ok := m.Tag("traceplug.truncated")
	if !ok || cut == "0" {
		t.Fatalf("the 500-tag span is not marked truncated: %d tags", len(m.Tags))
	}
	if _, ok := m.Tag("tagkkk0"); !ok {
		t.Error("the first tags should be kept")
	}
	t.Logf("500 tags of 1 KB: %d kept, %s removed", len(m.Tags)-1, cut)
}

func TestEndpoints(t *testing.T) {
	for _, tc := range []struct{ endpoint, want string }{
		{"tcp://127.0.0.1:6831", `endpoint "tcp://127.0.0.1:6831": want udp://HOST:PORT (agent) or http(s)://HOST:PORT/api/traces (collector)`},
		{"udp://127.0.0.1", "want udp://HOST:PORT"},
		{"udp://:6831", "want udp://HOST:PORT"},
		{"127.0.0.1:6831", "want udp://HOST:PORT (agent) or http(s)"},
		{"http://", "want udp://HOST:PORT (agent) or http(s)"},
	} {
		_, err := jaeger.New(backend.Config{ServiceName: "s", SampleRate: 1, Endpoint: tc.endpoint})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, core.ErrBadOption) {
			t.Errorf("endpoint %q: %v, want an error containing %q", tc.endpoint, err, tc.want)
		}
	}
	// An empty HTTP path means /api/traces.
	c := jaegertest.NewHTTP(t)
	tr := newTracer(t, c, core.WithEndpoint(strings.TrimSuffix(c.Endpoint(), "/api/traces")))
	tr.StartSpan("x").Finish()
	_ = tr.Close()
	if n := len(c.Spans()); n != 1 {
		t.Errorf("%d spans via the default path", n)
	}
}

func TestParams(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"queue_sise", "10", `unknown param "queue_sise"`},
		{"queue_size", "many", `"queue_size": "many" is not an integer`},
		{"queue_size", "0", "must be positive"},
		{"flush_interval", "soon", "is not a duration"},
		{"max_packet_size", "70000", "from 1024 to 65000"},
		{"http_headers", "novalue", "is not Name:value"},
	} {
		_, err := core.New("jaeger", core.WithParam(tc.key, tc.value))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%s: %v, want %q", tc.key, tc.value, err, tc.want)
		}
	}
	// core validates the list; the backend takes every format.
	if _, err := core.New("jaeger", core.WithPropagation("w3c")); err == nil || !strings.Contains(err.Error(), `"w3c"`) || !errors.Is(err, core.ErrBadOption) {
		t.Errorf("unknown propagation: %v", err)
	}
	for _, list := range []string{"jaeger", "b3", "b3multi", "tracecontext,baggage", "ottrace", "b3multi,tracecontext,jaeger"} {
		tr, err := core.New("jaeger", core.WithPropagation(list), core.WithEndpoint("udp://127.0.0.1:6831"))
		if err != nil {
			t.Errorf("WithPropagation(%q): %v", list, err)
			continue
		}
		_ = tr.Close()
	}
}

func TestHTTPAuthAndHeaders(t *testing.T) {
	c := jaegertest.NewHTTP(t)
	tr := newTracer(t, c, core.WithParam("user", "ann"), core.WithParam("password", "pw"),
		core.WithParam("http_headers", "X-Org:acme; X-Env:ci"), core.WithParam("batch_size", "2"))
	for i := 0; i < 3; i++ {
		tr.StartSpan("x").Finish()
	}
	_ = tr.Close()
	reqs := c.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests for 3 spans in batches of 2", len(reqs))
	}
	u, p, ok := reqs[0].BasicAuth()
	if !ok || u != "ann" || p != "pw" || reqs[0].Header.Get("X-Org") != "acme" || reqs[0].Header.Get("X-Env") != "ci" {
		t.Errorf("request headers %v", reqs[0].Header)
	}
}

func TestJaegerEnvironmentBelowTraceplugs(t *testing.T) {
	c := jaegertest.NewHTTP(t)
	t.Setenv("JAEGER_ENDPOINT", c.Endpoint())
	t.Setenv("JAEGER_SERVICE_NAME", "from-jaeger-env")
	t.Setenv("JAEGER_TAGS", "team=payments,env=staging")
	t.Setenv("JAEGER_SAMPLER_TYPE", "const")
	t.Setenv("JAEGER_SAMPLER_PARAM", "0")

	// Nothing set in traceplug: jaeger's sampler variables go to core, whose
	// sampler then samples nothing.
	tr, err := core.New("jaeger")
	if err != nil {
		t.Fatal(err)
	}
	if name, arg, ok := tr.Unwrap().(*jaeger.Tracer).DefaultSampler(); name != "parentbased_always_off" || arg != "" || !ok {
		t.Errorf("DefaultSampler() = %q, %q, %v; want JAEGER_SAMPLER_PARAM=0 as parentbased_always_off", name, arg, ok)
	}
	_ = tr.Close()

	// Set in traceplug: traceplug's settings win, jaeger's fill the rest.
	tr, err = core.New("jaeger", core.WithSampleRate(1), core.WithServiceName("from-code"), core.WithTag("env", "prod"))
	if err != nil {
		t.Fatal(err)
	}
	tr.StartSpan("sampled").Finish()
	_ = tr.Close()
	spans := c.Spans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	s := spans[0]
	env, _ := s.ProcessTag("env")
	team, _ := s.ProcessTag("team")
	if s.Service != "from-code" || env != "prod" || team != "payments" {
		t.Errorf("service %q env %q team %q: want the code's service and env, JAEGER_TAGS' team", s.Service, env, team)
	}

	t.Setenv("JAEGER_SERVICE_NAME", "from-jaeger-env")
	tr, err = core.New("jaeger", core.WithSampleRate(1))
	if err != nil {
		t.Fatal(err)
	}
	tr.StartSpan("named").Finish()
	_ = tr.Close()
	if s := c.Spans()[1]; s.Service != "from-jaeger-env" {
		t.Errorf("service %q: JAEGER_SERVICE_NAME should fill in an unset service name", s.Service)
	}
}

func TestJaegerDisabled(t *testing.T) {
	t.Setenv("JAEGER_DISABLED", "true")
	tr, err := core.New("jaeger")
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, noop := tr.Unwrap().(opentracing.NoopTracer); !noop {
		t.Errorf("JAEGER_DISABLED=true should make the tracer opentracing's no-op tracer, not %T", tr.Unwrap())
	}
}
