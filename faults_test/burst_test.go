package faults_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/traceplug/traceplug/conformance_test/builtin"
	"github.com/traceplug/traceplug/core"
)

// TestBurstAccounting: 50,000 requests as fast as one goroutine can send
// them. Whatever the queue, every span is reported or counted as dropped;
// with the queue sized for the burst, none is dropped, and the collector
// decoded every span reported.
func TestBurstAccounting(t *testing.T) {
	const burst = 50000
	for _, h := range builtin.Harnesses() {
		if h.QueueSize == nil {
			t.Logf("%s: no queue to burst (it records spans as they finish)", h.Name)
			continue
		}
		for _, size := range []int{60000, 100} {
			t.Run(fmt.Sprintf("%s/queue=%d", h.Name, size), func(t *testing.T) {
				c := h.Start(t)
				spans := c.Spans
				opts := append(append(append(c.Options(), h.Options...), core.WithTraceAll(true), core.WithServiceName("burst")), h.QueueSize(size)...)
				tr, err := core.New(h.Backend, opts...)
				if err != nil {
					t.Fatal(err)
				}
				traced := tr.Middleware(ok)
				r := httptest.NewRequest("GET", "/burst", nil)
				for i := 0; i < burst; i++ {
					traced.ServeHTTP(httptest.NewRecorder(), r)
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
				if size == 60000 {
					unexpected := st.Dropped
					if h.Lossy { // the kernel may refuse a datagram; no queue size prevents it
						unexpected -= st.DroppedBy["send failed"]
					}
					if unexpected != 0 {
						t.Errorf("with the queue sized for the burst, %d spans were dropped: %v", st.Dropped, st.DroppedBy)
					}
				}
				switch {
				case h.Lossy && got > st.Reported:
					t.Errorf("the collector decoded %d spans, more than the %d reported", got, st.Reported)
				case !h.Lossy && got != st.Reported:
					t.Errorf("the collector decoded %d spans, the backend reported %d", got, st.Reported)
				}
			})
		}
	}
}
