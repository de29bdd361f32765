package backend

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// sends records what a Reporter sent, batch by batch.
type sends struct {
	mu      sync.Mutex
	batches [][]int
}

func (s *sends) record(batch []int) {
	s.mu.Lock()
	s.batches = append(s.batches, append([]int(nil), batch...))
	s.mu.Unlock()
}

func (s *sends) sizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, b := range s.batches {
		out = append(out, len(b))
	}
	return out
}

func quietLogger() (*Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return NewLoggerTo(slog.New(slog.NewTextHandler(&buf, nil)), "test: "), &buf
}

func wantStats(t *testing.T, r interface{ BackendStats() BackendStats }, reported uint64, dropped map[string]uint64) {
	t.Helper()
	st := r.BackendStats()
	if st.Reported != reported || st.Pending != 0 || len(st.Dropped) != len(dropped) {
		t.Fatalf("stats %+v, want reported %d, dropped %v, none pending", st, reported, dropped)
	}
	for k, v := range dropped {
		if st.Dropped[k] != v {
			t.Fatalf("stats %+v, want dropped %v", st, dropped)
		}
	}
}

func TestReporterBatchesAndFlushesAtShutdown(t *testing.T) {
	var got sends
	r := NewReporter(ReporterConfig{BatchSize: 3, Interval: time.Hour}, func(ctx context.Context, batch []int) error {
		got.record(batch)
		return nil
	})
	for i := range 7 {
		r.Add(i)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := got.sizes(); len(s) != 3 || s[0] != 3 || s[1] != 3 || s[2] != 1 {
		t.Fatalf("batches of %v, want [3 3 1]", s)
	}
	wantStats(t, r, 7, nil)
	r.Add(8) // after Shutdown
	wantStats(t, r, 7, map[string]uint64{DropClosed: 1})
}

func TestReporterFlush(t *testing.T) {
	var got sends
	r := NewReporter(ReporterConfig{BatchSize: 100, Interval: time.Hour}, func(ctx context.Context, batch []int) error {
		got.record(batch)
		return nil
	})
	defer r.Shutdown(context.Background())
	r.Add(1)
	r.Add(2)
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := got.sizes(); len(s) != 1 || s[0] != 2 {
		t.Fatalf("after Flush, batches of %v, want [2]", s)
	}
}

func TestReporterNeverWaitsOnAFullQueue(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	r := NewReporter(ReporterConfig{QueueSize: 2, BatchSize: 1, Interval: time.Hour}, func(ctx context.Context, batch []int) error {
		select {
		case started <- struct{}{}:
		default:
		}
		<-release
		return nil
	})
	r.Add(0)
	<-started // the goroutine holds span 0 in a send: the queue is empty
	for i := 1; i <= 10; i++ {
		r.Add(i) // 2 queue, 8 dropped, none waits
	}
	close(release)
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantStats(t, r, 3, map[string]uint64{DropQueueFull: 8})
}

func TestReporterCountsWhatTheSendSays(t *testing.T) {
	logger, logged := quietLogger()
	refused := errors.New("connection refused")
	results := []error{
		Dropped(DropRejected, 2, errors.New("HTTP 400")),
		errors.Join(Dropped(DropTooLarge, 1, errors.New("413")), Dropped("own reason", 1, errors.New("bad"))),
		refused,
	}
	i := 0
	r := NewReporter(ReporterConfig{BatchSize: 5, Interval: time.Hour, Logger: logger}, func(ctx context.Context, batch []int) error {
		err := results[i]
		i++
		return err
	})
	for j := range 15 {
		r.Add(j)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantStats(t, r, 3+3, map[string]uint64{DropRejected: 2, DropTooLarge: 1, "own reason": 1, DropSend: 5})
	if !strings.Contains(logged.String(), "sending 5 spans: HTTP 400") {
		t.Errorf("log %q does not say what the first send lost", logged.String())
	}
}

func TestReporterShutdownAbortsAtItsDeadline(t *testing.T) {
	started := make(chan struct{})
	r := NewReporter(ReporterConfig{BatchSize: 2, Interval: time.Hour}, func(ctx context.Context, batch []int) error {
		close(started)
		<-ctx.Done() // a collector that never answers
		return ctx.Err()
	})
	r.Add(1)
	r.Add(2) // a full batch: the send starts and hangs
	<-started
	r.Add(3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the deadline has passed
	if err := r.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown = %v, want the context's error", err)
	}
	wantStats(t, r, 0, map[string]uint64{DropShutdown: 3})
	if err := r.Shutdown(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("a second Shutdown = %v, want the first's error", err)
	}
}

func TestReporterBacklogKeepsWhatGotNoAnswer(t *testing.T) {
	var got sends
	var mu sync.Mutex
	down := true
	logger, logged := quietLogger()
	r := NewReporter(ReporterConfig{BatchSize: 2, Backlog: 4, Interval: time.Hour, Logger: logger}, func(ctx context.Context, batch []int) error {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return errors.New("connection refused")
		}
		got.record(batch)
		return nil
	})
	for i := 1; i <= 10; i++ {
		r.Add(i)
	}
	if err := r.Flush(context.Background()); err != nil { // tries once more: still down
		t.Fatal(err)
	}
	if st := r.BackendStats(); st.Reported != 0 || st.Pending != 4 || st.Dropped[DropBacklog] != 6 {
		t.Fatalf("while the collector is down, stats %+v, want the oldest 6 dropped and 4 pending", st)
	}
	mu.Lock()
	down = false
	mu.Unlock()
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantStats(t, r, 4, map[string]uint64{DropBacklog: 6})
	if len(got.batches) != 2 || got.batches[0][0] != 7 || got.batches[1][1] != 10 {
		t.Errorf("sent %v, want the newest 4 spans, [7 8] [9 10]", got.batches)
	}
	if !strings.Contains(logged.String(), "connection refused") {
		t.Errorf("the log %q does not say why the sends failed", logged.String())
	}
}

func TestReporterShutdownDropsWhatStillGetsNoAnswer(t *testing.T) {
	r := NewReporter(ReporterConfig{BatchSize: 2, Backlog: 10, Interval: time.Hour, Logger: NewLoggerTo(slog.New(slog.DiscardHandler), "")},
		func(ctx context.Context, batch []int) error { return errors.New("connection refused") })
	for i := range 5 {
		r.Add(i)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantStats(t, r, 0, map[string]uint64{DropSend: 5})
}

func TestReporterCountsAPartLost(t *testing.T) {
	r := NewReporter(ReporterConfig{BatchSize: 10, Interval: time.Hour, Logger: NewLoggerTo(slog.New(slog.DiscardHandler), "")},
		func(ctx context.Context, batch []int) error {
			return errors.Join(Dropped(DropTooLarge, 1, errors.New("413")), Lost(5, errors.New("timeout")))
		})
	for i := range 10 {
		r.Add(i)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantStats(t, r, 4, map[string]uint64{DropTooLarge: 1, DropSend: 5})
}

func TestReporterCountsAPartLostToTheDeadlineAsUnsent(t *testing.T) {
	started := make(chan struct{})
	r := NewReporter(ReporterConfig{BatchSize: 4, Interval: time.Hour, Logger: NewLoggerTo(slog.New(slog.DiscardHandler), "")},
		func(ctx context.Context, batch []int) error {
			close(started)
			<-ctx.Done() // half delivered, the other half hangs until the abort
			return Lost(2, ctx.Err())
		})
	for i := range 4 {
		r.Add(i)
	}
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown past its deadline returned no error")
	}
	wantStats(t, r, 2, map[string]uint64{DropShutdown: 2})
}

// TestReporterTakesSpansBeforeTheQueueIsFull: with a queue no larger than a
// batch, the goroutine takes the waiting spans once half the queue holds
// them, not only when it is full (when the spans that come before it wakes
// would be dropped, though the sender is idle).
func TestReporterTakesSpansBeforeTheQueueIsFull(t *testing.T) {
	var got sends
	r := NewReporter(ReporterConfig{QueueSize: 4, BatchSize: 4, Interval: time.Hour}, func(ctx context.Context, batch []int) error {
		got.record(batch)
		return nil
	})
	for round := range 3 {
		r.Add(2*round + 1)
		r.Add(2*round + 2)
		// Half the queue: the goroutine is woken, and empties it.
		for deadline := time.Now().Add(10 * time.Second); ; {
			r.mu.Lock()
			n := len(r.pending)
			r.mu.Unlock()
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %d spans still wait in a queue of 4 after 10s, with the sender idle", round, n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantStats(t, r, 6, nil)
	if sizes := got.sizes(); len(sizes) != 2 || sizes[0] != 4 || sizes[1] != 2 {
		t.Errorf("batches of %v, want a full batch of 4, then the 2 left at Shutdown", sizes)
	}
}
