package zipkin

import (
	"testing"

	"github.com/openzipkin/zipkin-go/model"
	zipkinreporter "github.com/openzipkin/zipkin-go/reporter"
)

// BenchmarkJSON is encoding a batch of 100 server spans, per span: the
// backend's writer and zipkin-go's serializer (encoding/json).
func BenchmarkJSON(b *testing.B) {
	span := spanModels()[0]
	batch := make([]model.SpanModel, 100)
	ptrs := make([]*model.SpanModel, len(batch))
	for i := range batch {
		batch[i] = span
		ptrs[i] = &batch[i]
	}
	b.Run("traceplug", func(b *testing.B) {
		var w jsonWriter
		b.ReportAllocs()
		for b.Loop() {
			w.b = w.b[:0]
			w.spans(batch)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/span")
	})
	b.Run("zipkin-go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := (zipkinreporter.JSONSerializer{}).Serialize(ptrs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/span")
	})
}
