package otel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/propagation"
)

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })

// serve sends n requests through h.
func serve(h http.Handler, n int) {
	r := httptest.NewRequest("GET", "/work", nil)
	for i := 0; i < n; i++ {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
}

// wantAccounted checks that every finished span is reported or dropped.
func wantAccounted(t *testing.T, st core.Stats, finished uint64) {
	t.Helper()
	t.Logf("finished %d, reported %d, dropped %d %v, pending %d", st.Finished, st.Reported, st.Dropped, st.DroppedBy, st.Pending)
	if st.Finished != finished || st.Reported+st.Dropped != st.Finished || st.Pending != 0 {
		t.Errorf("finished %d (want %d), reported %d + dropped %d %v, pending %d: every span must be reported or dropped",
			st.Finished, finished, st.Reported, st.Dropped, st.DroppedBy, st.Pending)
	}
}

// TestBurstSmallQueue: a burst through a queue of 100 drops spans, never
// blocks, and counts every span exactly; the collector decoded exactly the
// spans reported.
func TestBurstSmallQueue(t *testing.T) {
	for _, transport := range []string{"http", "grpc"} {
		t.Run(transport, func(t *testing.T) {
			c := oteltest.New(t)
			tr, err := core.New("otel", append(c.Options(transport), core.WithTraceAll(true),
				core.WithParam("queue_size", "100"), core.WithParam("batch_size", "50"))...)
			if err != nil {
				t.Fatal(err)
			}
			const n = 20000
			serve(tr.Middleware(ok), n)
			_ = tr.Close() // its error counts the spans lost, checked below
			st := tr.Stats()
			wantAccounted(t, st, n)
			if st.DroppedBy[backend.DropQueueFull] == 0 || st.Dropped != st.DroppedBy[backend.DropQueueFull] {
				t.Errorf("want drops for a full queue only: %v", st.DroppedBy)
			}
			if got := uint64(len(c.Spans())); got != st.Reported {
				t.Errorf("the collector decoded %d spans, the backend reported %d", got, st.Reported)
			}
		})
	}
}

// TestBurstQueueSized: with the queue sized for the burst, nothing is
// dropped.
func TestBurstQueueSized(t *testing.T) {
	c := oteltest.New(t)
	tr, err := core.New("otel", append(c.Options("grpc"), core.WithTraceAll(true), core.WithParam("queue_size", "6000"))...)
	if err != nil {
		t.Fatal(err)
	}
	serve(tr.Middleware(ok), 5000)
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	st := tr.Stats()
	wantAccounted(t, st, 5000)
	if st.Reported != 5000 || uint64(len(c.Spans())) != 5000 {
		t.Errorf("reported %d, decoded %d, want 5000", st.Reported, len(c.Spans()))
	}
}

// TestCollectorFaultsAccounting: whatever the collector does, requests
// never wait on it, Shutdown keeps its deadline, and every span is counted
// for the right reason.
func TestCollectorFaultsAccounting(t *testing.T) {
	cases := []struct {
		fault oteltest.Fault
		want  []string // reasons that may appear
	}{
		{oteltest.Down, []string{backend.DropSend, backend.DropShutdown, backend.DropQueueFull}},
		{oteltest.Silent, []string{backend.DropSend, backend.DropShutdown, backend.DropQueueFull}},
		{oteltest.Slow, []string{backend.DropSend, backend.DropShutdown, backend.DropQueueFull}}, // sends time out after 300ms
		// An export may also time out while a loaded machine connects.
		{oteltest.Failing, []string{backend.DropRejected, backend.DropSend, backend.DropShutdown, backend.DropQueueFull}},
	}
	for _, transport := range []string{"http", "grpc"} {
		for _, tc := range cases {
			t.Run(transport+"/"+string(tc.fault), func(t *testing.T) {
				endpoint := oteltest.FaultyEndpoint(t, transport, tc.fault)
				tr, err := core.New("otel", core.WithEndpoint(endpoint), core.WithTraceAll(true),
					core.WithParam("queue_size", "500"), core.WithParam("export_interval", "20ms"), core.WithParam("export_timeout", "300ms"))
				if err != nil {
					t.Fatal(err)
				}
				h := tr.Middleware(ok)
				var worst time.Duration
				r := httptest.NewRequest("GET", "/work", nil)
				const n = 3000
				for i := 0; i < n; i++ {
					start := time.Now()
					h.ServeHTTP(httptest.NewRecorder(), r)
					worst = max(worst, time.Since(start))
					if i%1000 == 999 {
						time.Sleep(150 * time.Millisecond) // let exports fail
					}
				}
				if worst > time.Second { // generous: a loaded machine stalls requests that wait on nothing
					t.Errorf("a request took %v: requests must not wait on the collector", worst)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
				defer cancel()
				start := time.Now()
				err = tr.Shutdown(ctx)
				if took := time.Since(start); took > 2*time.Second {
					t.Errorf("Shutdown with a 500ms deadline took %v", took)
				}
				st := tr.Stats()
				wantAccounted(t, st, n)
				if st.Reported != 0 {
					t.Errorf("reported %d spans to a collector that took none", st.Reported)
				}
				for reason := range st.DroppedBy {
					if !contains(tc.want, reason) {
						t.Errorf("dropped for %q, want only %v", reason, tc.want)
					}
				}
				if tc.fault == oteltest.Failing && st.DroppedBy[backend.DropRejected] == 0 {
					t.Errorf("no span counted as rejected by a collector that answers 500: %v", st.DroppedBy)
				}
				t.Logf("shutdown: %v", err)
			})
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestShutdownHungCollector: Shutdown returns by its deadline while an
// export hangs, says so, and counts the spans it held as unsent.
func TestShutdownHungCollector(t *testing.T) {
	for _, transport := range []string{"http", "grpc"} {
		for _, f := range []oteltest.Fault{oteltest.Silent, oteltest.Slow} {
			t.Run(transport+"/"+string(f), func(t *testing.T) {
				tr, err := core.New("otel", core.WithEndpoint(oteltest.FaultyEndpoint(t, transport, f)),
					core.WithParam("export_timeout", "1m"), core.WithParam("export_interval", "10ms"))
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < 100; i++ {
					tr.StartSpan("held").Finish()
				}
				time.Sleep(100 * time.Millisecond) // an export is under way, and hangs
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
				start := time.Now()
				err = tr.Shutdown(ctx)
				if took := time.Since(start); took > 2*time.Second { // the hung export would take a minute
					t.Errorf("Shutdown with a 300ms deadline took %v", took)
				}
				if err == nil {
					t.Error("Shutdown reported no error, though spans were left unsent")
				}
				st := tr.Stats()
				if st.Reported != 0 || st.DroppedBy[backend.DropShutdown] != 100 || st.Pending != 0 {
					t.Errorf("reported %d, dropped %v, pending %d: want the 100 spans unsent at shutdown", st.Reported, st.DroppedBy, st.Pending)
				}
			})
		}
	}
}

// TestPartialSuccess: spans a collector rejects in a partial success are
// counted as rejected, the rest as reported.
func TestPartialSuccess(t *testing.T) {
	for _, transport := range []string{"http", "grpc"} {
		t.Run(transport, func(t *testing.T) {
			c := oteltest.New(t)
			c.RejectSpans(3, "too many attributes")
			tr, err := core.New("otel", c.Options(transport)...)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 10; i++ {
				tr.StartSpan("partial").Finish()
			}
			_ = tr.Close() // its error counts the spans lost, checked below
			st := tr.Stats()
			if st.Reported != 7 || st.DroppedBy[backend.DropRejected] != 3 || st.Dropped != 3 {
				t.Errorf("reported %d, dropped %v: want 7 reported and 3 rejected", st.Reported, st.DroppedBy)
			}
		})
	}
}

// TestFinishedAfterClose: a span that finishes after Shutdown is dropped and
// counted as such; a span that is not sampled is neither reported nor
// dropped.
func TestFinishedAfterClose(t *testing.T) {
	c := oteltest.New(t)
	tr, err := core.New("otel", c.Options("http")...)
	if err != nil {
		t.Fatal(err)
	}
	late := tr.StartSpan("late")
	tr.StartSpan("sent").Finish()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	late.Finish()
	tr.StartSpan("after").Finish()
	st := tr.Stats()
	if st.Reported != 1 || st.Dropped != 2 || st.DroppedBy[backend.DropClosed] != 2 || st.Pending != 0 {
		t.Errorf("reported %d, dropped %v, pending %d: want 1 reported, 2 finished after close", st.Reported, st.DroppedBy, st.Pending)
	}

	unsampled, err := core.New("otel", c.Options("http")...)
	if err != nil {
		t.Fatal(err)
	}
	notSampled := newTrace(t, unsampled.Unwrap().(*otel.Tracer), propagation.SamplingNo)
	unsampled.StartSpan("unsampled", opentracing.ChildOf(notSampled)).Finish()
	_ = unsampled.Close()
	unsampled.StartSpan("unsampled after close", opentracing.ChildOf(notSampled)).Finish()
	if st := unsampled.Stats(); st.Reported != 0 || st.Dropped != 0 || st.Pending != 0 {
		t.Errorf("unsampled spans were counted: %+v", st)
	}
}
