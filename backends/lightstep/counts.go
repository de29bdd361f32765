package lightstep

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	lightstep "github.com/lightstep/lightstep-tracer-go"
	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/internal/textutil"
)

// handed counts the spans lightstep-tracer-go buffers (its Recorder sees
// every span it keeps, once it has kept it). No span reaches it once
// Shutdown has begun (see span.FinishWithOptions), so Handed, which refuses
// spans only after Settle, always takes them.
type handed struct{ counts *backend.SpanCounts }

func (h handed) RecordSpan(lightstep.RawSpan) { _ = h.counts.Handed(1) }

// countingSender splits each report into parts of at most maxBytes (so that
// no collector refuses a report for its size: gRPC's default limit is 4 MiB),
// sends them, and counts what they deliver: their spans, and the spans
// lightstep-tracer-go says (in the report's "spans.dropped" count) its full
// buffer dropped. A part that the collector refuses as too large is sent in
// halves; a span refused alone is dropped and counted as too large, and the
// other parts are still sent. A part the collector answers with an error is
// dropped, as rejected by collector, as every backend drops it. When a part
// fails otherwise (no collector, no answer in time) before any span of the
// report was delivered or dropped, and Shutdown has not begun, the error
// goes back to lightstep-tracer-go, which keeps the spans to send again;
// when it fails later, the parts already delivered stay delivered and the
// others' spans are counted as dropped, so that no span is sent twice. Once
// Shutdown has begun nothing is sent again: a part that fails is dropped as
// send failed, or, once Shutdown's deadline has ended, as unsent at
// shutdown. What it drops it logs, as lightstep-tracer-go logs the errors
// it is given.
type countingSender struct {
	sender
	counts   *backend.SpanCounts
	maxBytes int
	closing  *closing        // nil: Shutdown never begins (tests)
	log      *backend.Logger // nil: nothing logged (tests)
	shown    string          // the collector's address, for the log
	// flight lets close wait for the reports under way, their counting
	// included, so that Settle follows every count of a report Shutdown cut
	// short.
	flight *inflight
}

// close waits for the reports under way, counted, and closes the transport.
func (s countingSender) close() {
	if s.flight != nil {
		s.flight.wait()
	}
	s.sender.close()
}

// closing is Shutdown's context, once Shutdown has begun.
type closing struct {
	ctx atomic.Pointer[context.Context]
}

// begin records that Shutdown has begun, with ctx.
func (c *closing) begin(ctx context.Context) { c.ctx.Store(&ctx) }

// state reports whether Shutdown has begun, and whether its deadline has
// ended.
func (c *closing) state() (begun, cut bool) {
	if c == nil {
		return false, false
	}
	ctx := c.ctx.Load()
	if ctx == nil {
		return false, false
	}
	return true, (*ctx).Err() != nil
}

func (s countingSender) Report(ctx context.Context, req *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	if s.flight != nil {
		defer s.flight.begin()()
	}
	parts := split(req, s.maxBytes)
	var resp *collectorpb.ReportResponse
	settled := false // a span of req was delivered or dropped
	lost := ""       // why the parts not yet sent are dropped, once one failed
	for len(parts) > 0 {
		part := parts[0]
		parts = parts[1:]
		n := uint64(len(part.Spans))
		if lost != "" {
			s.counts.Dropped(lost, n)
			continue
		}
		r, err := s.sender.Report(ctx, part)
		switch {
		case err == nil:
			s.counts.Reported(n)
			resp, settled = r, true
		case tooLarge(err) && len(part.Spans) > 1:
			parts = append(split(part, part.Size()/2), parts...)
		case tooLarge(err):
			s.counts.Dropped(backend.DropTooLarge, n)
			settled = true
			if part.InternalMetrics != nil && len(parts) > 0 {
				next := *parts[0] // the metrics go with the next part
				next.InternalMetrics = part.InternalMetrics
				parts[0] = &next
			}
		case rejected(err):
			s.counts.Dropped(backend.DropRejected, n)
			settled = true
			s.logf("sending %s to %s: %s", textutil.Count(n, "span"), s.shown, cause(err))
		default:
			begun, cut := s.closing.state()
			if !settled && !begun {
				return nil, err // kept by lightstep-tracer-go, to send again
			}
			settled, lost = true, backend.DropSend
			if cut { // Shutdown's deadline, not the collector: its error says so
				lost = backend.DropShutdown
			} else {
				s.logf("sending %s to %s: %s", textutil.Count(n, "span"), s.shown, cause(err))
			}
			s.counts.Dropped(lost, n)
		}
	}
	if m := req.InternalMetrics; m != nil {
		for _, c := range m.Counts {
			if c.Name == "spans.dropped" {
				if v, ok := c.Value.(*collectorpb.MetricsSample_IntValue); ok && v.IntValue > 0 {
					s.counts.Dropped(backend.DropQueueFull, uint64(v.IntValue))
				}
			}
		}
	}
	if resp == nil {
		resp = &collectorpb.ReportResponse{} // every span was dropped
	}
	return resp, nil
}

// logf logs what the sender dropped, with every live access token redacted.
func (s countingSender) logf(format string, args ...any) {
	if s.log != nil {
		s.log.Printf("%s", redactTokens(fmt.Sprintf(format, args...)))
	}
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
