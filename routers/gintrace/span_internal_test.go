package gintrace

import (
	"runtime"
	"testing"

	_ "github.com/traceplug/traceplug/backends/mock" // registers "mock"
	"github.com/traceplug/traceplug/core"
)

// Span's list of Tracers holds them weakly: the Tracers a program drops
// are collected, and leave the list when the next one registers.
func TestRegisterForgetsDroppedTracers(t *testing.T) {
	count := func() int {
		n := 0
		for _, p := range *tracers.list.Load() {
			if p.Value() != nil {
				n++
			}
		}
		return n
	}
	build := func() {
		tr, err := core.New("mock")
		if err != nil {
			t.Fatal(err)
		}
		Middleware(tr)
		Trace(tr) // the same Tracer: listed once
		_ = tr.Close()
	}
	for range 50 {
		build()
	}
	runtime.GC()
	kept, err := core.New("mock")
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Close()
	Middleware(kept)
	if n := len(*tracers.list.Load()); n > 10 {
		t.Errorf("%d Tracers listed after 50 were dropped and collected, want only the live ones (%d)", n, count())
	}
	runtime.KeepAlive(kept)
}
