package core_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/core"
)

// TestWithGlobalNoRace: opentracing's global tracer has no lock, so
// traceplug must never write it while instrumentation reads it. Here
// handlers read it (through opentracing.StartSpanFromContext) while tracers
// built WithGlobal come and go; -race reports any write among those reads.
func TestWithGlobalNoRace(t *testing.T) {
	first, err := core.New("mock", core.WithGlobal())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				span, _ := opentracing.StartSpanFromContext(context.Background(), "read the global")
				span.Finish()
			}
		}()
	}
	var writers sync.WaitGroup
	for range 4 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for range 20 {
				tr, err := core.New("mock", core.WithGlobal())
				if err != nil {
					t.Error(err)
					return
				}
				_ = tr.Shutdown(context.Background())
			}
		}()
	}
	writers.Wait()
	close(stop)
	readers.Wait()
}

// droppingTracer is a backend's tracer that reports drops, and whose
// Shutdown fails with err.
type droppingTracer struct {
	opentracing.NoopTracer
	stats backend.BackendStats
	err   error
}

func (d droppingTracer) BackendStats() backend.BackendStats { return d.stats }
func (d droppingTracer) Shutdown(context.Context) error     { return d.err }

// TestShutdownSaysSpansWereLost: on any backend, Shutdown's error wraps
// ErrSpansLost with the counts by reason when spans were dropped, beside
// the backend's own error; once.
func TestShutdownSaysSpansWereLost(t *testing.T) {
	for _, tc := range []struct {
		name       string
		stats      backend.BackendStats
		backendErr error
		want       string
	}{
		{"nothing lost", backend.BackendStats{Reported: 5}, nil, ""},
		{"one lost", backend.BackendStats{Reported: 5, Dropped: map[string]uint64{backend.DropSend: 1}}, nil,
			"traceplug: 1 span lost: 1 send failed (5 reported)"},
		{"lost, by reason", backend.BackendStats{Reported: 7, Dropped: map[string]uint64{backend.DropShutdown: 2, backend.DropQueueFull: 3, backend.DropSend: 0}}, nil,
			"traceplug: 5 spans lost: 3 queue full, 2 unsent at shutdown (7 reported)"},
		{"lost, and the backend's error", backend.BackendStats{Dropped: map[string]uint64{backend.DropShutdown: 4}}, context.DeadlineExceeded,
			"traceplug: shutdown: context deadline exceeded\ntraceplug: 4 spans lost: 4 unsent at shutdown (0 reported)"},
		{"the backend's error alone", backend.BackendStats{}, context.DeadlineExceeded,
			"traceplug: shutdown: context deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := core.Wrap(droppingTracer{stats: tc.stats, err: tc.backendErr})
			if err != nil {
				t.Fatal(err)
			}
			err = tr.Shutdown(context.Background())
			if got := fmt.Sprint(err); tc.want == "" && err != nil || tc.want != "" && got != tc.want {
				t.Fatalf("Shutdown = %q, want %q", got, tc.want)
			}
			lost := tc.stats.Dropped[backend.DropSend]+tc.stats.Dropped[backend.DropQueueFull]+tc.stats.Dropped[backend.DropShutdown] > 0
			if errors.Is(err, core.ErrSpansLost) != lost {
				t.Errorf("errors.Is(%v, ErrSpansLost) = %v, want %v", err, !lost, lost)
			}
			if tc.backendErr != nil && !errors.Is(err, tc.backendErr) {
				t.Errorf("%v does not wrap the backend's error", err)
			}
			if err := tr.Close(); err != nil {
				t.Errorf("a second Close: %v, want nil", err)
			}
		})
	}
}
