package otel

import (
	"cmp"
	"context"
	"slices"

	"go.opentelemetry.io/otel/baggage"

	"github.com/traceplug/traceplug/propagation"
)

// This file holds the meeting of the two APIs' baggage: a span's OpenTracing
// baggage (the W3C baggage a request came with, and what SetBaggageItem
// added) and OpenTelemetry's, which code keeps in contexts
// (go.opentelemetry.io/otel/baggage).

// contextWithBaggage returns ctx with OpenTelemetry baggage that holds
// items over what ctx's baggage held (an item wins over a member of its
// key); ctx itself when its baggage holds every item already, as it does
// when a span is put in a context made from its parent's. Members past
// OpenTelemetry's limits (64 members, 8192 bytes) are left out, as its
// propagator would leave them out.
func contextWithBaggage(ctx context.Context, items []propagation.BaggageItem) context.Context {
	prev := baggage.FromContext(ctx)
	if hasItems(prev, items) {
		return ctx
	}
	members := make([]baggage.Member, 0, prev.Len()+len(items))
	members = append(members, prev.Members()...)
	for _, it := range items {
		if m, err := baggage.NewMemberRaw(it.Key, it.Value); err == nil {
			members = append(members, m)
		}
	}
	b, _ := baggage.New(members...) // the last member of a key wins; an error says what was left out
	return baggage.ContextWithBaggage(ctx, b)
}

// hasItems reports whether b holds every item, with its value.
func hasItems(b baggage.Baggage, items []propagation.BaggageItem) bool {
	if b.Len() < len(items) {
		return false
	}
	for _, it := range items {
		if m := b.Member(it.Key); m.Key() != it.Key || m.Value() != it.Value {
			return false
		}
	}
	return true
}

// ContextBaggage returns the members of ctx's OpenTelemetry baggage
// (go.opentelemetry.io/otel/baggage) as baggage items, sorted by key, or nil
// when it has none: what OpenTelemetry code in a handler set with
// baggage.ContextWithBaggage, which the OpenTracing span in ctx does not
// hold, for traceplug's instrumentation to add to the span of a call made
// with ctx, as OpenTelemetry's propagator would send it. In a request's
// context it holds the span's baggage too (see [Tracer.ContextWithSpanHook]).
// It is safe for concurrent use.
func (t *Tracer) ContextBaggage(ctx context.Context) []propagation.BaggageItem {
	b := baggage.FromContext(ctx)
	if b.Len() == 0 {
		return nil
	}
	items := make([]propagation.BaggageItem, 0, b.Len())
	for _, m := range b.Members() {
		items = append(items, propagation.BaggageItem{Key: m.Key(), Value: m.Value()})
	}
	slices.SortFunc(items, func(a, b propagation.BaggageItem) int { return cmp.Compare(a.Key, b.Key) })
	return items
}
