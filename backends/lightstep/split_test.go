package lightstep

import (
	"testing"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
)

// TestSplitKeepsEverySpanOnce: lightstep-tracer-go's own splitting sent the
// last part again in place of the others; this one must send each span once,
// in parts under the limit.
func TestSplitKeepsEverySpanOnce(t *testing.T) {
	req := &collectorpb.ReportRequest{InternalMetrics: &collectorpb.InternalMetrics{}}
	for i := 0; i < 1000; i++ {
		req.Spans = append(req.Spans, &collectorpb.Span{
			SpanContext:   &collectorpb.SpanContext{TraceId: 1, SpanId: uint64(i + 1)},
			OperationName: "a span with a name of some length",
		})
	}
	const limit = 8 << 10
	parts := split(req, limit)
	if len(parts) < 2 {
		t.Fatalf("%d parts for %d bytes with a %d-byte limit", len(parts), req.Size(), limit)
	}
	seen := map[uint64]bool{}
	for i, p := range parts {
		if p.Size() > limit {
			t.Errorf("part %d is %d bytes, over %d", i, p.Size(), limit)
		}
		if (i == 0) != (p.InternalMetrics != nil) {
			t.Errorf("part %d: the internal metrics belong in the first part only", i)
		}
		for _, s := range p.Spans {
			if seen[s.SpanContext.SpanId] {
				t.Errorf("span %d in two parts", s.SpanContext.SpanId)
			}
			seen[s.SpanContext.SpanId] = true
		}
	}
	if len(seen) != len(req.Spans) || len(req.Spans) != 1000 {
		t.Errorf("%d distinct spans sent of %d; the request itself has %d", len(seen), 1000, len(req.Spans))
	}
}
