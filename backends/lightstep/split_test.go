package lightstep

import (
	"context"
	"strings"
	"testing"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/traceplug/traceplug/backend"
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

// limitedSender takes reports of at most limit bytes, and refuses larger
// ones as a gRPC server does.
type limitedSender struct {
	sender
	limit   int
	reports []*collectorpb.ReportRequest
	calls   int
}

func (s *limitedSender) Report(_ context.Context, req *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	s.calls++
	if n := req.Size(); n > s.limit {
		return nil, status.Errorf(codes.ResourceExhausted, "grpc: received message larger than max (%d vs. %d)", n, s.limit)
	}
	s.reports = append(s.reports, req)
	return &collectorpb.ReportResponse{}, nil
}

func spansOf(n, bigAt, bigBytes int) *collectorpb.ReportRequest {
	req := &collectorpb.ReportRequest{InternalMetrics: &collectorpb.InternalMetrics{Counts: []*collectorpb.MetricsSample{
		{Name: "spans.dropped", Value: &collectorpb.MetricsSample_IntValue{IntValue: 3}},
	}}}
	for i := 0; i < n; i++ {
		s := &collectorpb.Span{SpanContext: &collectorpb.SpanContext{TraceId: 1, SpanId: uint64(i + 1)}, OperationName: "small"}
		if i == bigAt {
			s.OperationName = strings.Repeat("x", bigBytes)
		}
		req.Spans = append(req.Spans, s)
	}
	return req
}

// TestReportSplitOnRefusal: the collector's refusal of a part as too large
// costs only the span that cannot fit: it is dropped and counted as too
// large, wherever it is in the report, and every other span is delivered
// once, with the internal metrics; a collector whose limit is below
// max_report_bytes gets the parts it refused in halves. A refusal used to
// lose the refused part and every later one ("send failed"), or, for the
// first part, hand the whole report back to lightstep-tracer-go, to be
// refused again at every flush.
func TestReportSplitOnRefusal(t *testing.T) {
	cases := []struct {
		name            string
		spans, bigAt    int // bigAt -1: no span over the limit
		limit, maxBytes int
		wantTooLarge    uint64
	}{
		{"big first", 25, 0, 64 << 10, 48 << 10, 1},
		{"big in the middle", 25, 12, 64 << 10, 48 << 10, 1},
		{"big last", 25, 24, 64 << 10, 48 << 10, 1},
		{"collector limit below max_report_bytes", 1000, -1, 8 << 10, 48 << 10, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			to := &limitedSender{limit: tc.limit}
			counts := &backend.SpanCounts{}
			_ = counts.Handed(uint64(tc.spans))
			s := countingSender{sender: to, counts: counts, maxBytes: tc.maxBytes}
			req := spansOf(tc.spans, tc.bigAt, 100<<10)
			if _, err := s.Report(context.Background(), req); err != nil {
				t.Fatalf("Report = %v, want the refused span dropped and the others sent", err)
			}
			seen := map[uint64]bool{}
			metrics := 0
			for _, r := range to.reports {
				if r.InternalMetrics != nil {
					metrics++
				}
				for _, sp := range r.Spans {
					if sp.OperationName != "small" {
						t.Error("the span over the limit was delivered")
					}
					if seen[sp.SpanContext.SpanId] {
						t.Errorf("span %d delivered twice", sp.SpanContext.SpanId)
					}
					seen[sp.SpanContext.SpanId] = true
				}
			}
			if want := tc.spans - int(tc.wantTooLarge); len(seen) != want {
				t.Errorf("%d spans delivered, want %d", len(seen), want)
			}
			if metrics != 1 {
				t.Errorf("the internal metrics went in %d reports, want 1", metrics)
			}
			st := counts.BackendStats()
			if st.Reported != uint64(len(seen)) || st.Dropped[backend.DropTooLarge] != tc.wantTooLarge ||
				st.Dropped[backend.DropSend] != 0 || st.Dropped[backend.DropQueueFull] != 3 {
				t.Errorf("reported %d, dropped %v: want %d reported, %d too large, and the 3 of the buffer's count",
					st.Reported, st.Dropped, len(seen), tc.wantTooLarge)
			}
			t.Logf("%d calls, %d delivered", to.calls, len(to.reports))
		})
	}
}
