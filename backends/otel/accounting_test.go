package otel_test

import (
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/backends/otel/internal/transporttest"
	"github.com/traceplug/traceplug/backends/otel/oteltest"
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/propagation"
)

// The tests of accounting that every transport passes: see transporttest.

func TestBurstSmallQueue(t *testing.T) { transporttest.BurstSmallQueue(t, transporttest.HTTP) }

func TestBurstQueueSized(t *testing.T) { transporttest.BurstQueueSized(t, transporttest.HTTP) }

func TestCollectorFaultsAccounting(t *testing.T) {
	transporttest.CollectorFaultsAccounting(t, transporttest.HTTP)
}

func TestShutdownHungCollector(t *testing.T) {
	transporttest.ShutdownHungCollector(t, transporttest.HTTP)
}

func TestPartialSuccess(t *testing.T) { transporttest.PartialSuccess(t, transporttest.HTTP) }

// TestFinishedAfterClose: a span that finishes after Shutdown is dropped and
// counted as such; a span that is not sampled is neither reported nor
// dropped.
func TestFinishedAfterClose(t *testing.T) {
	c := oteltest.New(t)
	tr, err := core.New("otel", c.Options("http")...)
	if err != nil {
		t.Fatal(err)
	}
	late := tr.StartSpan("late")
	tr.StartSpan("sent").Finish()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	late.Finish()
	tr.StartSpan("after").Finish()
	st := tr.Stats()
	if st.Reported != 1 || st.Dropped != 2 || st.DroppedBy[backend.DropClosed] != 2 || st.Pending != 0 {
		t.Errorf("reported %d, dropped %v, pending %d: want 1 reported, 2 finished after close", st.Reported, st.DroppedBy, st.Pending)
	}

	unsampled, err := core.New("otel", c.Options("http")...)
	if err != nil {
		t.Fatal(err)
	}
	notSampled := newTrace(t, unsampled.Unwrap().(*otel.Tracer), propagation.SamplingNo)
	unsampled.StartSpan("unsampled", opentracing.ChildOf(notSampled)).Finish()
	_ = unsampled.Close()
	unsampled.StartSpan("unsampled after close", opentracing.ChildOf(notSampled)).Finish()
	if st := unsampled.Stats(); st.Reported != 0 || st.Dropped != 0 || st.Pending != 0 {
		t.Errorf("unsampled spans were counted: %+v", st)
	}
}
