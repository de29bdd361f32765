// Package ctxkey catches the keys under which other packages keep values
// in contexts without exporting them, so that traceplug can put a value
// under such a key in a context node of its own (one allocation per
// request rather than one per package).
package ctxkey

import (
	"context"

	"github.com/opentracing/opentracing-go"
)

// OpenTracingSpan is the key opentracing.ContextWithSpan stores a span
// under, or nil if it could not be caught (callers then use
// opentracing.ContextWithSpan).
var OpenTracingSpan = Catch(func(ctx context.Context) { _ = opentracing.SpanFromContext(ctx) })

// Catch returns the key lookup asks its context for, by handing it a
// context that records the keys it is asked for; nil if lookup asks for
// none, or for more than one.
func Catch(lookup func(context.Context)) any {
	c := &catcher{Context: context.Background()}
	lookup(c)
	if c.n != 1 {
		return nil
	}
	return c.key
}

type catcher struct {
	context.Context
	key any
	n   int
}

func (c *catcher) Value(key any) any {
	c.key = key
	c.n++
	return nil
}
