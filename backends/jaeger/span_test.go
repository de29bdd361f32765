package jaeger

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	jaeger "github.com/uber/jaeger-client-go"

	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/core"
)

// eachMark runs f, after checking that the finished mark has its place in
// jaeger-client-go's span (see span.go).
func eachMark(t *testing.T, f func(t *testing.T)) {
	if !finishMark.ok {
		t.Fatal("the layout of jaeger-client-go's Span is not the expected one: a second Finish reports the span again (see span.go)")
	}
	f(t)
}

// TestSecondFinishIsANoOp: a span finished twice, one after the other or
// from two goroutines at once, by Finish or FinishWithOptions, through a
// chained SetTag, or by a handler and then the middleware, reaches the
// collector once and is reported once.
func TestSecondFinishIsANoOp(t *testing.T) {
	finishers := []struct {
		name   string
		finish func(span opentracing.Span)
	}{
		{"Finish twice", func(s opentracing.Span) { s.Finish(); s.Finish() }},
		{"FinishWithOptions then Finish", func(s opentracing.Span) {
			s.FinishWithOptions(opentracing.FinishOptions{FinishTime: time.Now()})
			s.Finish()
		}},
		{"chained", func(s opentracing.Span) { s.SetTag("k", "v").Finish(); s.SetOperationName("again").Finish() }},
		{"two goroutines", func(s opentracing.Span) {
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range 2 {
				wg.Go(func() {
					<-start
					s.Finish()
				})
			}
			close(start)
			wg.Wait()
		}},
	}
	eachMark(t, func(t *testing.T) {
		for _, tp := range []struct {
			name  string
			start func(testing.TB) *jaegertest.Collector
		}{{"udp", jaegertest.NewUDP}, {"http", jaegertest.NewHTTP}} {
			t.Run(tp.name, func(t *testing.T) {
				for _, f := range finishers {
					t.Run(f.name, func(t *testing.T) {
						c := tp.start(t)
						tr := newTestTracer(t, c)
						f.finish(tr.StartSpan("twice"))
						checkOnce(t, tr, c, 1)
					})
				}
				t.Run("handler then middleware", func(t *testing.T) {
					c := tp.start(t)
					tr := newTestTracer(t, c, core.WithTraceAll(true))
					h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						tr.GetSpan(r).Finish()
					}))
					h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
					checkOnce(t, tr, c, 1)
				})
				t.Run("many goroutines, many spans", func(t *testing.T) {
					const spans, goroutines = 200, 4
					c := tp.start(t)
					tr := newTestTracer(t, c)
					var wg sync.WaitGroup
					for range spans {
						s := tr.StartSpan("racing")
						for range goroutines {
							wg.Go(s.Finish)
						}
					}
					wg.Wait()
					checkOnce(t, tr, c, spans)
				})
			})
		}
	})
}

func newTestTracer(t *testing.T, c *jaegertest.Collector, opts ...core.Option) *core.Tracer {
	t.Helper()
	tr, err := core.New("jaeger", append([]core.Option{core.WithEndpoint(c.Endpoint()), core.WithServiceName("jaeger-test")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// checkOnce closes tr and checks that c decoded n spans, each once, and
// that tr reported n.
func checkOnce(t *testing.T, tr *core.Tracer, c *jaegertest.Collector, n int) {
	t.Helper()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	spans := c.Spans()
	for deadline := time.Now().Add(10 * time.Second); len(spans) < n && time.Now().Before(deadline); spans = c.Spans() {
		time.Sleep(5 * time.Millisecond) // UDP: the agent reads in its own time
	}
	ids := map[string]int{}
	for _, s := range spans {
		ids[s.SpanID]++
	}
	if len(spans) != n || len(ids) != n {
		t.Errorf("the collector decoded %d spans with %d span ids, want %d, each once", len(spans), len(ids), n)
	}
	if s := tr.Stats(); s.Reported != uint64(n) || s.Dropped != 0 || s.Pending != 0 {
		t.Errorf("Stats: reported %d, dropped %v, pending %d; want %d reported", s.Reported, s.DroppedBy, s.Pending, n)
	}
}

// TestStartSpanAllocatesNoWrapper: the span StartSpan returns is
// jaeger-client-go's under another type, no allocation of its own.
func TestStartSpanAllocatesNoWrapper(t *testing.T) {
	tr, closer := jaeger.NewTracer("allocs", jaeger.NewConstSampler(true), jaeger.NewNullReporter())
	defer closer.Close()
	s := tr.StartSpan("x")
	defer s.Finish()
	if n := testing.AllocsPerRun(100, func() { _ = own(s) }); n != 0 {
		t.Errorf("own allocates %v times a span, want 0", n)
	}
	if js, ok := own(s).(*span); !ok || js.jaeger() != s.(*jaeger.Span) {
		t.Errorf("own(%T) = %T, want the same span as a *span", s, own(s))
	}
}
