package echotrace

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/labstack/echo/v4"
	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/core"
)

// Span returns the server span of the request c serves while it is live,
// as [core.Tracer.GetSpan] returns it for the *http.Request: the span of
// the Tracer whose [Middleware] or [Trace] traces the request (a Tracer
// that traces a server only from around it, with its own Middleware, has
// its span from tracer.GetSpan(c.Request())). It is nil when the request is
// not traced (trace-all off and not decorated, not sampled, filtered) and
// once the span has finished. Handlers use it to tag, log, or start child
// spans:
//
//	if span := echotrace.Span(c); span != nil {
//		span.LogKV("event", "cache miss")
//	}
//
// It is safe for concurrent use.
func Span(c echo.Context) opentracing.Span {
	r := c.Request()
	if r == nil {
		return nil
	}
	list := tracers.list.Load()
	if list == nil {
		return nil
	}
	for _, wt := range *list {
		if t := wt.Value(); t != nil {
			if span := t.GetSpan(r); span != nil {
				return span
			}
		}
	}
	return nil
}

// tracers are the Tracers of every Middleware and Trace built, for Span,
// which is given no Tracer. They are held weakly: a Tracer nothing else
// holds leaves the list when it is collected. The list is copied on write,
// so that Span reads it without a lock.
var tracers struct {
	mu   sync.Mutex
	list atomic.Pointer[[]weak.Pointer[core.Tracer]]
}

// register adds t to tracers, once.
func register(t *core.Tracer) {
	wt := weak.Make(t)
	tracers.mu.Lock()
	defer tracers.mu.Unlock()
	var list []weak.Pointer[core.Tracer]
	if p := tracers.list.Load(); p != nil {
		list = *p
	}
	if slices.Contains(list, wt) {
		return
	}
	list = append(slices.Clip(list), wt)
	tracers.list.Store(&list)
	runtime.AddCleanup(t, unregister, wt)
}

// unregister removes the collected Tracer wt pointed to.
func unregister(wt weak.Pointer[core.Tracer]) {
	tracers.mu.Lock()
	defer tracers.mu.Unlock()
	list := slices.DeleteFunc(slices.Clone(*tracers.list.Load()), func(w weak.Pointer[core.Tracer]) bool { return w == wt })
	tracers.list.Store(&list)
}
