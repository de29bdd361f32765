package otel_test

import (
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/otel"
	"github.com/traceplug/traceplug/propagation"
)

// BenchmarkStartSpan is the cost of a sampled server span through the
// backend's tracer (start with kind and a tag, finish), its export left out
// (the collector is never reached: the queue is full after a moment, and
// spans are dropped): a root, a child of a continued context, and the root
// of a new trace that core hands over (a context with a trace id and no
// span id).
func BenchmarkStartSpan(b *testing.B) {
	tr, err := otel.New(backend.Config{ServiceName: "bench", SampleRate: 1, Endpoint: "http://127.0.0.1:1/v1/traces",
		Params: map[string]string{"queue_size": "1000", "batch_size": "1000", "export_interval": "1h"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tr.Close() })
	continued, err := tr.ImportSpanContext(propagation.SpanContext{TraceIDHigh: 1, TraceID: 2, SpanID: 3, Sampling: propagation.SamplingYes})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name   string
		parent func(b *testing.B) opentracing.SpanContext
	}{
		{"root", func(*testing.B) opentracing.SpanContext { return nil }},
		{"continued", func(*testing.B) opentracing.SpanContext { return continued }},
		{"new-trace", func(b *testing.B) opentracing.SpanContext { return newTrace(b, tr, propagation.SamplingYes) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			parent := bc.parent(b)
			b.ReportAllocs()
			for b.Loop() {
				var s opentracing.Span
				if parent == nil {
					s = tr.StartSpan("HTTP GET", ext.SpanKindRPCServer, opentracing.Tag{Key: "component", Value: "net/http"})
				} else {
					s = tr.StartSpan("HTTP GET", opentracing.ChildOf(parent), ext.SpanKindRPCServer, opentracing.Tag{Key: "component", Value: "net/http"})
				}
				s.Finish()
			}
		})
	}
}
