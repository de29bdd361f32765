package lightstep

import (
	"context"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	lightstep "github.com/lightstep/lightstep-tracer-go"

	"github.com/traceplug/traceplug/core"
)

// handed counts the spans lightstep-tracer-go buffers (its Recorder sees
// every span it keeps, once it has kept it). No span reaches it once
// Shutdown has begun (see span.FinishWithOptions), so Handed, which refuses
// spans only after Settle, always takes them.
type handed struct{ counts *core.SpanCounts }

func (h handed) RecordSpan(lightstep.RawSpan) { _ = h.counts.Handed(1) }

// countingSender splits each report into parts of at most maxBytes (so that
// no collector refuses a report for its size: gRPC's default limit is 4 MiB),
// sends them, and counts what they deliver: their spans, and the spans
// lightstep-tracer-go says (in the report's "spans.dropped" count) its full
// buffer dropped. A part that the collector refuses as too large is sent in
// halves; a span refused alone is dropped and counted as too large, and the
// other parts are still sent. When a part fails otherwise before any span
// of the report was delivered or dropped, the error goes back to
// lightstep-tracer-go, which keeps the spans to send again; when it fails
// later, the parts already delivered stay delivered and the others' spans
// are counted as dropped, so that no span is sent twice.
type countingSender struct {
	sender
	counts   *core.SpanCounts
	maxBytes int
}

func (s countingSender) Report(ctx context.Context, req *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	parts := split(req, s.maxBytes)
	var resp *collectorpb.ReportResponse
	settled := false // a span of req was delivered or dropped
	failed := false
	for len(parts) > 0 {
		part := parts[0]
		parts = parts[1:]
		if failed {
			s.counts.Dropped(core.DropSend, uint64(len(part.Spans)))
			continue
		}
		r, err := s.sender.Report(ctx, part)
		switch {
		case err == nil:
			s.counts.Reported(uint64(len(part.Spans)))
			resp, settled = r, true
		case tooLarge(err) && len(part.Spans) > 1:
			parts = append(split(part, part.Size()/2), parts...)
		case tooLarge(err):
			s.counts.Dropped(core.DropTooLarge, uint64(len(part.Spans)))
			settled = true
			if part.InternalMetrics != nil && len(parts) > 0 {
				next := *parts[0] // the metrics go with the next part
				next.InternalMetrics = part.InternalMetrics
				parts[0] = &next
			}
		case !settled:
			return nil, err
		default:
			s.counts.Dropped(core.DropSend, uint64(len(part.Spans)))
			failed = true
		}
	}
	if m := req.InternalMetrics; m != nil {
		for _, c := range m.Counts {
			if c.Name == "spans.dropped" {
				if v, ok := c.Value.(*collectorpb.MetricsSample_IntValue); ok && v.IntValue > 0 {
					s.counts.Dropped(core.DropQueueFull, uint64(v.IntValue))
				}
			}
		}
	}
	if resp == nil {
		resp = &collectorpb.ReportResponse{} // every span was dropped
	}
	return resp, nil
}

// split cuts req into requests of at most maxBytes each (a span larger than
// that goes alone), each with its own span list; the first keeps the
// internal metrics.
func split(req *collectorpb.ReportRequest, maxBytes int) []*collectorpb.ReportRequest {
	if req.Size() <= maxBytes || len(req.Spans) <= 1 {
		return []*collectorpb.ReportRequest{req}
	}
	head := *req
	head.Spans = nil
	room := maxBytes - head.Size()
	var parts []*collectorpb.ReportRequest
	var cur []*collectorpb.Span
	size := 0
	flush := func() {
		p := head
		if len(parts) > 0 {
			p.InternalMetrics = nil
		}
		p.Spans = cur
		parts = append(parts, &p)
		cur, size = nil, 0
	}
	for _, sp := range req.Spans {
		n := sp.Size() + 8 // the field's tag and length
		if len(cur) > 0 && size+n > room {
			flush()
		}
		cur = append(cur, sp)
		size += n
	}
	if len(cur) > 0 {
		flush()
	}
	return parts
}
