package faults_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/conformance_test/builtin"

	"github.com/traceplug/traceplug/core"

	_ "github.com/traceplug/traceplug/backends/jaeger"
	_ "github.com/traceplug/traceplug/backends/lightstep"
	_ "github.com/traceplug/traceplug/backends/otel"
	_ "github.com/traceplug/traceplug/backends/zipkin"
)

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })

// smallQueues are the targets' queue limits in these tests, and pendingBound
// what they allow a backend to hold: its queue, plus what its reporter holds
// while it sends (a batch, a backlog, or lightstep's buffer being flushed).
func smallQueues(backend string) []core.Option {
	switch backend {
	case "jaeger":
		return []core.Option{core.WithParam("queue_size", "500"), core.WithParam("flush_interval", "100ms")}
	case "zipkin":
		return []core.Option{core.WithParam("queue_size", "500"), core.WithParam("backlog", "500"), core.WithParam("batch_interval", "100ms")}
	case "lightstep":
		return []core.Option{core.WithParam("max_buffered_spans", "500"), core.WithParam("min_reporting_period", "100ms"), core.WithParam("reporting_period", "200ms")}
	case "otel":
		return []core.Option{core.WithParam("queue_size", "500"), core.WithParam("export_interval", "100ms")}
	}
	return nil
}

// heapBound is how much the heap may grow while a backend holds spans it
// cannot send: its queue limits (500 spans, plus a batch or a backlog) allow
// a few MiB; 30,000 spans held would take tens.
const heapBound = 16 << 20

// TestCollectorFaults: whatever the collector does, requests are served
// without waiting on it, the spans held stay bounded, Shutdown keeps its
// deadline, and every span is reported or counted as dropped.
func TestCollectorFaults(t *testing.T) {
	bareWorst := drive(t, ok, 1500*time.Millisecond, nil)
	t.Logf("bare handler: worst request %v", bareWorst.worst)
	for _, h := range builtin.Harnesses() {
		tg, found := targets[h.Name]
		if !found {
			if h.QueueSize == nil {
				t.Logf("%s: no collector to fail (it records spans as they finish)", h.Name)
			} else {
				t.Errorf("%s: no failing collector for this transport: add one to targets", h.Name)
			}
			continue
		}
		for _, f := range conformance.Faults {
			name := h.Name + "/" + string(f)
			t.Run(name, func(t *testing.T) {
				endpoint := tg.endpoint(t, f)
				if endpoint == "" {
					t.Logf("%s: a UDP agent gives no answers, so %q cannot happen (see docs/reliability.md)", h.Name, f)
					return
				}
				opts := append([]core.Option{core.WithEndpoint(endpoint), core.WithTraceAll(true), core.WithServiceName("faults")}, tg.opts...)
				tr, err := core.New(h.Backend, append(opts, smallQueues(h.Backend)...)...)
				if err != nil {
					t.Fatal(err)
				}
				before := heapInUse()
				run := drive(t, tr.Middleware(ok), 1500*time.Millisecond, tr)
				grew := int64(heapInUse()) - int64(before)
				// A request that waited on the collector would take at least
				// the slow collector's 5s, or hang on the silent one; the
				// bound leaves room for this shared machine's own stalls
				// (the bare handler's worst request is logged beside it).
				if run.worst > 3*time.Second {
					t.Errorf("a request took %v: requests must not wait on the collector", run.worst)
				}
				if grew > heapBound {
					t.Errorf("the heap grew by %d MiB while the collector failed: the backend's queue is not bounded", grew>>20)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				start := time.Now()
				err = tr.Shutdown(ctx)
				took := time.Since(start)
				if took > 2*time.Second {
					t.Errorf("Shutdown with a 1s deadline took %v", took)
				}
				st := tr.Stats()
				if st.Dropped > 0 && !errors.Is(err, core.ErrSpansLost) {
					t.Errorf("Shutdown returned %v with %d spans dropped: want an error wrapping core.ErrSpansLost", err, st.Dropped)
				}
				if st.Reported+st.Dropped != st.Finished || st.Finished != run.requests {
					t.Errorf("%d requests, %d spans finished, %d reported + %d dropped %v: every span must be reported or counted as dropped",
						run.requests, st.Finished, st.Reported, st.Dropped, st.DroppedBy)
				}
				t.Logf("%d requests, worst %v (bare %v); heap %+d KiB, %d spans pending at most; shutdown %v (%v); reported %d, dropped %d %v",
					run.requests, run.worst.Round(time.Microsecond), bareWorst.worst.Round(time.Microsecond), grew>>10, run.maxPending,
					took.Round(time.Millisecond), errText(err), st.Reported, st.Dropped, st.DroppedBy)
			})
		}
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func errText(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// run is what drive saw.
type run struct {
	requests   uint64
	worst      time.Duration
	maxPending uint64
}

// drive serves requests through h for about d (at most 30,000), timing each.
func drive(t *testing.T, h http.Handler, d time.Duration, tr *core.Tracer) run {
	t.Helper()
	var r run
	r0 := httptest.NewRequest("GET", "/work", nil)
	end := time.Now().Add(d)
	for r.requests < 30000 && time.Now().Before(end) {
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, r0)
		if took := time.Since(start); took > r.worst {
			r.worst = took
		}
		if w.Code != http.StatusOK {
			t.Fatalf("request served %d", w.Code)
		}
		r.requests++
		if tr != nil && r.requests%100 == 0 {
			if p := tr.Stats().Pending; p > r.maxPending {
				r.maxPending = p
			}
		}
	}
	return r
}
