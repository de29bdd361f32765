package backend

import (
	"strings"
	"testing"
)

// A send that Shutdown's deadline cut short may still end, and be counted,
// after Settle has counted its spans as unsent at shutdown: they then move
// to their real fate, and no span is counted twice.
func TestSpanCountsLateOutcomesMoveOutOfShutdown(t *testing.T) {
	var c SpanCounts
	c.Handed(10)
	c.Reported(2)
	c.Settle()
	wantStats(t, &c, 2, map[string]uint64{DropShutdown: 8})

	c.Dropped(DropQueueFull, 3) // the client library's late tally
	c.Reported(1)               // a send that ended after all
	wantStats(t, &c, 3, map[string]uint64{DropShutdown: 4, DropQueueFull: 3})

	c.Dropped(DropSend, 9) // more than Settle counted: only what it held moves
	wantStats(t, &c, 3, map[string]uint64{DropQueueFull: 3, DropSend: 4})
	c.Reported(5)
	wantStats(t, &c, 3, map[string]uint64{DropQueueFull: 3, DropSend: 4})

	if c.Handed(2) { // after Settle: finished after close, beside the rest
		t.Fatal("Handed took spans after Settle")
	}
	wantStats(t, &c, 3, map[string]uint64{DropQueueFull: 3, DropSend: 4, DropClosed: 2})
}

// Params given as Go values share the namespace of text params: an unknown
// one is an error like any misspelt param, a known one is read with Value.
func TestCheckParamsValues(t *testing.T) {
	cfg := Config{Params: map[string]string{"queue_size": "10"}, Values: map[string]any{"tracer_provider": 1}}
	if err := cfg.CheckParams("x", "queue_size", "tracer_provider"); err != nil {
		t.Fatal(err)
	}
	if v, ok := cfg.Value("tracer_provider"); !ok || v != 1 {
		t.Errorf("Value = %v, %v", v, ok)
	}
	err := cfg.CheckParams("x", "queue_size")
	if err == nil || !strings.Contains(err.Error(), `unknown param "tracer_provider"`) {
		t.Errorf("CheckParams = %v, want the unknown value named", err)
	}
}
