package jaeger

import (
	"sync/atomic"

	jaeger "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-lib/metrics"

	"github.com/traceplug/traceplug/backend"
)

// countingReporter counts the spans handed to jaeger's reporter, and drops
// (and counts) those finished after Close, which jaeger's reporter would
// queue where nothing reads them any more.
type countingReporter struct {
	jaeger.Reporter
	counts *backend.SpanCounts
	closed atomic.Bool
}

func (r *countingReporter) Report(span *jaeger.Span) {
	if r.closed.Load() {
		r.counts.Dropped(backend.DropClosed, 1)
		return
	}
	if !r.counts.Handed(1) { // settled: counted as finished after close
		return
	}
	r.Reporter.Report(span)
}

func (r *countingReporter) Close() {
	r.closed.Store(true)
	r.Reporter.Close()
}

// countingFactory turns jaeger's reporter metrics (reporter_spans with
// result=ok, err or dropped) into report.Counts; every other metric is
// discarded. With senderReports, result=ok is discarded too: the sender
// counts the spans it reports.
type countingFactory struct {
	counts        *backend.SpanCounts
	senderReports bool
}

func (f countingFactory) Counter(o metrics.Options) metrics.Counter {
	if o.Name != "reporter_spans" {
		return metrics.NullCounter
	}
	switch o.Tags["result"] {
	case "ok":
		if f.senderReports {
			return metrics.NullCounter
		}
		return counter(func(n uint64) { f.counts.Reported(n) })
	case "err":
		return counter(func(n uint64) { f.counts.Dropped(backend.DropSend, n) })
	case "dropped":
		return counter(func(n uint64) { f.counts.Dropped(backend.DropQueueFull, n) })
	}
	return metrics.NullCounter
}

func (f countingFactory) Timer(o metrics.TimerOptions) metrics.Timer {
	return metrics.NullFactory.Timer(o)
}

func (f countingFactory) Gauge(o metrics.Options) metrics.Gauge { return metrics.NullFactory.Gauge(o) }

func (f countingFactory) Histogram(o metrics.HistogramOptions) metrics.Histogram {
	return metrics.NullFactory.Histogram(o)
}

func (f countingFactory) Namespace(metrics.NSOptions) metrics.Factory { return f }

// counter is a metrics.Counter made of a function.
type counter func(uint64)

func (c counter) Inc(n int64) {
	if n > 0 {
		c(uint64(n))
	}
}
