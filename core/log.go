package core

import (
	"context"
	"log/slog"
	"slices"
)

// The attribute names [Tracer.LogHandler] gives a record's trace and span
// ids: those of OpenTelemetry's log data model, which log pipelines and
// tracing UIs join on.
const (
	LogTraceIDKey = "trace_id"
	LogSpanIDKey  = "span_id"
)

// LogHandler returns a [log/slog] handler that passes each record to next
// with the trace and span ids of the span in the record's context, as the
// attributes trace_id and span_id ([LogTraceIDKey], [LogSpanIDKey]) rendered
// as [Tracer.ContextIDs] renders them, so that a request's log lines and its
// trace find each other:
//
//	logger := slog.New(tracer.LogHandler(slog.NewJSONHandler(os.Stderr, nil)))
//	...
//	logger.InfoContext(r.Context(), "cache miss", "key", key) // in a traced handler
//
// Only the ...Context logging methods pass a context: records logged without
// one, or with a context that holds no span of t's backend, pass through
// unchanged. The ids stay top-level attributes in loggers made with
// [slog.Logger.WithGroup], where the record's own attributes go into the
// group. The handler is safe for concurrent use, as next must be; it
// panics if next is nil.
//
// A record carries one trace_id and one span_id. When the application logs
// top-level attributes of those names itself (a caller's correlation header,
// say), the span's ids win and the application's are dropped: an id a
// caller sent is not to file a line under another trace. Without a span in
// the context, the application's own pass unchanged.
func (t *Tracer) LogHandler(next slog.Handler) slog.Handler {
	if next == nil {
		panic("traceplug: LogHandler(nil): a handler to pass records to is required")
	}
	return &logHandler{t: t, next: next}
}

// logHandler adds a span's ids to records. next has the attributes given
// before the first group; groups holds each group opened after that, with
// the attributes given inside it, which Handle nests in the record itself
// so that the ids can stay outside every group.
type logHandler struct {
	t      *Tracer
	next   slog.Handler
	groups []logGroup
	own    []slog.Attr // top-level trace_id and span_id given by WithAttrs: logged only without a span
}

type logGroup struct {
	name  string
	attrs []slog.Attr
}

func (h *logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	traceID, spanID, ok := h.t.ContextIDs(ctx)
	if len(h.groups) == 0 {
		switch {
		case ok && hasIDAttr(r):
			r = withoutIDs(r)
			r.AddAttrs(slog.String(LogTraceIDKey, traceID), slog.String(LogSpanIDKey, spanID))
		case ok:
			r = r.Clone()
			r.AddAttrs(slog.String(LogTraceIDKey, traceID), slog.String(LogSpanIDKey, spanID))
		case len(h.own) > 0:
			r = r.Clone()
			r.AddAttrs(h.own...)
		}
		return h.next.Handle(ctx, r)
	}
	// Nest the record's attributes in the open groups, innermost last.
	inner := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		inner = append(inner, a)
		return true
	})
	for i := len(h.groups) - 1; i >= 0; i-- {
		g := h.groups[i]
		inner = []slog.Attr{{Key: g.name, Value: slog.GroupValue(slices.Concat(g.attrs, inner)...)}}
	}
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	nr.AddAttrs(inner...)
	if ok {
		nr.AddAttrs(slog.String(LogTraceIDKey, traceID), slog.String(LogSpanIDKey, spanID))
	} else {
		nr.AddAttrs(h.own...)
	}
	return h.next.Handle(ctx, nr)
}

// isIDKey reports whether key is one of the attribute names the handler
// gives the ids.
func isIDKey(key string) bool { return key == LogTraceIDKey || key == LogSpanIDKey }

// hasIDAttr reports whether r has a top-level trace_id or span_id of its own.
func hasIDAttr(r slog.Record) (found bool) {
	r.Attrs(func(a slog.Attr) bool {
		found = isIDKey(a.Key)
		return !found
	})
	return found
}

// withoutIDs is r less its top-level trace_id and span_id.
func withoutIDs(r slog.Record) slog.Record {
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if !isIDKey(a.Key) {
			nr.AddAttrs(a)
		}
		return true
	})
	return nr
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	if len(h.groups) == 0 {
		own, rest := slices.Clone(h.own), make([]slog.Attr, 0, len(attrs))
		for _, a := range attrs {
			if isIDKey(a.Key) {
				own = append(own, a)
			} else {
				rest = append(rest, a)
			}
		}
		return &logHandler{t: h.t, next: h.next.WithAttrs(rest), own: own}
	}
	groups := slices.Clone(h.groups)
	last := &groups[len(groups)-1]
	last.attrs = slices.Concat(last.attrs, attrs)
	return &logHandler{t: h.t, next: h.next, groups: groups, own: h.own}
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	groups := append(slices.Clone(h.groups), logGroup{name: name})
	return &logHandler{t: h.t, next: h.next, groups: groups, own: h.own}
}
