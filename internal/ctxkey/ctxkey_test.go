package ctxkey

import (
	"context"
	"testing"

	"github.com/opentracing/opentracing-go"
)

// TestOpenTracingSpan: a span stored under the caught key is the one
// opentracing.SpanFromContext finds.
func TestOpenTracingSpan(t *testing.T) {
	if OpenTracingSpan == nil {
		t.Fatal("opentracing's span key was not caught")
	}
	span := opentracing.NoopTracer{}.StartSpan("x")
	ctx := context.WithValue(context.Background(), OpenTracingSpan, span)
	if got := opentracing.SpanFromContext(ctx); got != span {
		t.Errorf("SpanFromContext = %v, want the span stored under the key", got)
	}
}

// TestCatchAmbiguous: a lookup that asks for no key, or for two, catches
// none.
func TestCatchAmbiguous(t *testing.T) {
	if k := Catch(func(context.Context) {}); k != nil {
		t.Errorf("no lookup caught %v", k)
	}
	type a struct{}
	type b struct{}
	if k := Catch(func(ctx context.Context) { ctx.Value(a{}); ctx.Value(b{}) }); k != nil {
		t.Errorf("two lookups caught %v", k)
	}
}
