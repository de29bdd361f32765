package zipkin

import (
	"sync/atomic"

	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter"

	"github.com/traceplug/traceplug/core"
)

// queue stands between finishing spans and zipkin-go's HTTP reporter, whose
// Send blocks on an unbuffered channel (and forever once it is closed). Send
// here never blocks: a span that finds the queue full, or the tracer closed,
// is dropped and counted.
type queue struct {
	next   reporter.Reporter
	counts *core.SpanCounts
	spans  chan model.SpanModel
	stop   chan struct{}
	done   chan struct{}
	closed atomic.Bool
}

var _ reporter.Reporter = (*queue)(nil)

func newQueue(next reporter.Reporter, size int, counts *core.SpanCounts) *queue {
	q := &queue{next: next, counts: counts, spans: make(chan model.SpanModel, size), stop: make(chan struct{}), done: make(chan struct{})}
	go q.run()
	return q
}

// Send implements reporter.Reporter.
func (q *queue) Send(s model.SpanModel) {
	if q.closed.Load() {
		q.counts.Dropped(core.DropClosed, 1)
		return
	}
	if !q.counts.Handed(1) { // settled: counted as finished after close
		return
	}
	select {
	case q.spans <- s:
	default:
		q.counts.Dropped(core.DropQueueFull, 1)
	}
}

func (q *queue) run() {
	defer close(q.done)
	for {
		select {
		case s := <-q.spans:
			q.next.Send(s)
		case <-q.stop:
			for {
				select {
				case s := <-q.spans:
					q.next.Send(s)
				default:
					return
				}
			}
		}
	}
}

// Close implements reporter.Reporter: it hands every queued span to the
// reporter, then closes it, which sends them.
func (q *queue) Close() error {
	q.closed.Store(true)
	close(q.stop)
	<-q.done
	return q.next.Close()
}
