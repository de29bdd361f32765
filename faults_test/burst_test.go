package faults_test

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/backends/zipkin/zipkintest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// live is a backend pointed at a working in-process collector.
type live struct {
	name    string
	backend string
	start   func(t *testing.T) (opts []core.Option, spans func() []conformance.Span)
	// queue sizes the backend's queues for n spans.
	queue func(n string) []core.Option
	// lossy: the transport may lose datagrams it sent (UDP), so the
	// collector may decode fewer spans than were reported sent.
	lossy bool
}

var lives = []live{
	{"jaeger/udp", "jaeger", func(t *testing.T) ([]core.Option, func() []conformance.Span) {
		c := jaegertest.NewUDP(t)
		return c.Options(), c.Spans
	}, func(n string) []core.Option { return []core.Option{core.WithParam("queue_size", n)} }, true},
	{"jaeger/http", "jaeger", func(t *testing.T) ([]core.Option, func() []conformance.Span) {
		c := jaegertest.NewHTTP(t)
		return c.Options(), c.Spans
	}, func(n string) []core.Option { return []core.Option{core.WithParam("queue_size", n)} }, false},
	{"zipkin", "zipkin", func(t *testing.T) ([]core.Option, func() []conformance.Span) {
		c := zipkintest.New(t)
		return c.Options(), c.Spans
	}, func(n string) []core.Option {
		return []core.Option{core.WithParam("queue_size", n), core.WithParam("backlog", n)}
	}, false},
	{"lightstep/http", "lightstep", func(t *testing.T) ([]core.Option, func() []conformance.Span) {
		c := lightsteptest.New(t)
		return c.Options("http"), c.Spans
	}, func(n string) []core.Option { return []core.Option{core.WithParam("max_buffered_spans", n)} }, false},
	{"lightstep/grpc", "lightstep", func(t *testing.T) ([]core.Option, func() []conformance.Span) {
		c := lightsteptest.New(t)
		return c.Options("grpc"), c.Spans
	}, func(n string) []core.Option { return []core.Option{core.WithParam("max_buffered_spans", n)} }, false},
	{"otel/http", "otel", func(t *testing.T) ([]core.Option, func() []conformance.Span) {
		c := oteltest.New(t)
		return c.Options("http"), c.Spans
	}, func(n string) []core.Option { return []core.Option{core.WithParam("queue_size", n)} }, false},
	{"otel/grpc", "otel", func(t *testing.T) ([]core.Option, func() []conformance.Span) {
		c := oteltest.New(t)
		return c.Options("grpc"), c.Spans
	}, func(n string) []core.Option { return []core.Option{core.WithParam("queue_size", n)} }, false},
}

// TestBurstAccounting: 50,000 requests as fast as one goroutine can send
// them. Whatever the queue, every span is reported or counted as dropped;
// with the queue sized for the burst, none is dropped, and the collector
// decoded every span reported.
func TestBurstAccounting(t *testing.T) {
	const burst = 50000
	for _, lv := range lives {
		for _, size := range []string{"60000", "100"} {
			t.Run(lv.name+"/queue="+size, func(t *testing.T) {
				opts, spans := lv.start(t)
				opts = append(append(opts, core.WithTraceAll(true), core.WithServiceName("burst")), lv.queue(size)...)
				tr, err := core.New(lv.backend, opts...)
				if err != nil {
					t.Fatal(err)
				}
				h := tr.Middleware(ok)
				r := httptest.NewRequest("GET", "/burst", nil)
				for i := 0; i < burst; i++ {
					h.ServeHTTP(httptest.NewRecorder(), r)
				}
				closeErr := tr.Close()
				st := tr.Stats()
				switch {
				case st.Dropped == 0 && closeErr != nil:
					t.Errorf("Close: %v, with no span dropped", closeErr)
				case st.Dropped > 0 && !errors.Is(closeErr, core.ErrSpansLost):
					t.Errorf("Close returned %v with %d spans dropped: want an error wrapping core.ErrSpansLost", closeErr, st.Dropped)
				}
				decoded := spans()
				got := uint64(len(decoded))
				distinct := map[string]bool{}
				for _, s := range decoded {
					distinct[s.SpanID] = true
				}
				if uint64(len(distinct)) != got {
					t.Errorf("the collector received %d spans but only %d distinct: spans were sent twice", got, len(distinct))
				}
				t.Logf("finished %d, reported %d, dropped %d %v; the collector decoded %d", st.Finished, st.Reported, st.Dropped, st.DroppedBy, got)
				if st.Finished != burst || st.Reported+st.Dropped != st.Finished {
					t.Errorf("finished %d, reported %d + dropped %d: every span must be one or the other", st.Finished, st.Reported, st.Dropped)
				}
				if size == "60000" {
					unexpected := st.Dropped
					if lv.lossy { // the kernel may refuse a datagram; no queue size prevents it
						unexpected -= st.DroppedBy["send failed"]
					}
					if unexpected != 0 {
						t.Errorf("with the queue sized for the burst, %d spans were dropped: %v", st.Dropped, st.DroppedBy)
					}
				}
				switch {
				case lv.lossy && got > st.Reported:
					t.Errorf("the collector decoded %d spans, more than the %d reported", got, st.Reported)
				case !lv.lossy && got != st.Reported:
					t.Errorf("the collector decoded %d spans, the backend reported %d", got, st.Reported)
				}
			})
		}
	}
}
