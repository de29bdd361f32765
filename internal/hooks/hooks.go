// Package hooks lets package instrument call core's span-starting machinery
// without core exporting it: core sets these functions in its init, and
// instrument, which imports core, calls them. t is always a *core.Tracer.
package hooks

import (
	"context"

	"github.com/opentracing/opentracing-go"
)

// SpanBuffer is instrument.SpanBuffer's content: a span's start options
// while core starts it.
type SpanBuffer struct {
	Parent opentracing.SpanReference
	Link   opentracing.SpanReference // a public endpoint's caller (FollowsFrom)
	Opts   [8]opentracing.StartSpanOption
}

// Set by core's init.
var (
	StartServerSpan     func(t any, buf *SpanBuffer, op string, carrier opentracing.TextMapReader, public bool, opts []opentracing.StartSpanOption) opentracing.Span
	StartClientSpan     func(t any, buf *SpanBuffer, op string, parent opentracing.SpanContext, opts []opentracing.StartSpanOption) opentracing.Span
	ContextWithIncoming func(t any, ctx context.Context, carrier opentracing.TextMapReader, public bool) context.Context
	FinishSpan          func(t any, span opentracing.Span)
	RecordPanic         func(t any, span opentracing.Span, v any)
	TagValue            func(t any, name, value string) string
	ClearContext        func(t any, h map[string][]string)
	Conventions         func(t any) (names string, both bool)
	InjectOutgoing      func(t any, ctx context.Context, sc opentracing.SpanContext, carrier opentracing.TextMapWriter) error
)
