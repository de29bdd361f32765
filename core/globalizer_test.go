package core_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/core"
)

// globalizing is a backend's tracer with globals of its own: it notes when
// core sets and restores them, and when it shuts the tracer down.
type globalizing struct {
	*mocktracer.MockTracer
	events []string
}

func (g *globalizing) SetGlobals() func() {
	// OpenTracing's global tracer is the Tracer already.
	opentracing.StartSpan("probe").Finish()
	g.events = append(g.events, "set", "global spans: "+strings.Repeat("+", len(g.FinishedSpans())))
	return func() { g.events = append(g.events, "restore") }
}

func (g *globalizing) Shutdown(context.Context) error {
	g.events = append(g.events, "shutdown")
	return nil
}

var _ backend.Globalizer = (*globalizing)(nil)

// TestGlobalizer: a Tracer built WithGlobal has its backend set its globals
// once, after it became OpenTracing's global tracer, and restore them once,
// at Shutdown, before the backend shuts down; without WithGlobal, neither.
func TestGlobalizer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   []core.Option
		events string
	}{
		{"WithGlobal", []core.Option{core.WithGlobal()}, "set, global spans: +, restore, shutdown"},
		{"without", nil, "shutdown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &globalizing{MockTracer: mocktracer.New()}
			tr, err := core.Wrap(g, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			_ = tr.Close()
			_ = tr.Close()
			if got := strings.Join(g.events, ", "); got != tc.events {
				t.Errorf("events %q, want %q", got, tc.events)
			}
		})
	}
}
