package lightstep_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/lightstep/lightsteptest"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/core"
)

// TestOversizedSpanLosesOnlyItself: over gRPC, one span with a 5 MiB tag
// among 25 is over the collector's 4 MiB message limit, wherever it is in
// the report: it alone is dropped, as too large, and the collector decodes
// the 24 others. The collector's refusal used to lose the spans after it
// as "send failed" too, or, when the span came first, keep the whole
// report for lightstep-tracer-go to send again, refused at every flush
// until Close counted all 25 as unsent at shutdown.
func TestOversizedSpanLosesOnlyItself(t *testing.T) {
	big := strings.Repeat("x", 5<<20)
	for _, at := range []int{0, 1, 12, 24} {
		t.Run("at "+strconv.Itoa(at), func(t *testing.T) {
			c := lightsteptest.New(t)
			tr := newTracer(t, c, "grpc")
			for i := 0; i < 25; i++ {
				s := tr.StartSpan("small")
				if i == at {
					s.SetOperationName("big")
					s.SetTag("big", big)
				}
				s.Finish()
			}
			if err := tr.Close(); !errors.Is(err, core.ErrSpansLost) {
				t.Errorf("Close = %v, want ErrSpansLost for the span too large", err)
			}
			spans := advSpans(c)
			st := conformance.CheckAccounting(t, tr, len(spans))
			if st.Reported != 24 || st.Dropped != 1 || st.DroppedBy[backend.DropTooLarge] != 1 {
				t.Errorf("reported %d, dropped %v: want 24 reported and 1 too large", st.Reported, st.DroppedBy)
			}
			seen := map[uint64]bool{}
			for _, s := range spans {
				if s.OperationName != "small" {
					t.Errorf("the collector decoded %q, over its limit", s.OperationName)
				}
				seen[s.SpanContext.SpanId] = true
			}
			if len(seen) != 24 || len(spans) != 24 {
				t.Errorf("the collector decoded %d spans (%d distinct), want the 24 small ones", len(spans), len(seen))
			}
			if errs := c.Errors(); len(errs) > 0 {
				t.Errorf("collector errors: %v", errs)
			}
		})
	}
}
