package bench

import (
	"net/http"
	"testing"

	"github.com/traceplug/traceplug/bench/internal/loop"
)

// BenchmarkUnsampled is BenchmarkServer's request (serverRequest) through the
// variants that sample by ratio (loop.Sampling: traceplug with
// core.WithSampleRate on the mock, jaeger and otel backends; go-stdlib over
// jaeger-client-go's probabilistic sampler; otelhttp with
// ParentBased(TraceIDRatioBased)), beside the bare handler in the same run:
//
//   - rate=0/parent=no: a new trace, never sampled: each library's own
//     unsampled path, on every request;
//   - rate=0/parent=unsampled: an incoming trace in the variant's native
//     format that its caller did not sample (what a parent-based sampler
//     follows, whatever its rate);
//   - rate=0.01/parent=no: new traces at 1%, the sampled ones exported for
//     real to a sink in the process, as in BenchmarkExport.
//
// An unsampled request's cost is the variant's ns/op minus bare's.
func BenchmarkUnsampled(b *testing.B) {
	sink, err := loop.NewSink()
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	cases := []struct {
		name   string
		rate   float64
		parent bool
	}{
		{"rate=0/parent=no", 0, false},
		{"rate=0/parent=unsampled", 0, true},
		{"rate=0.01/parent=no", 0.01, false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.Run("bare", func(b *testing.B) { serve(b, handler, unsampledHeader(c.parent, "w3c")) })
			for _, v := range loop.Sampling(c.rate, "") {
				b.Run(v.Name, func(b *testing.B) {
					built, err := v.Build(sink.Addrs(), handler)
					if err != nil {
						b.Fatal(err)
					}
					before, _ := sink.Spans()
					serve(b, built.Handler, unsampledHeader(c.parent, v.Parent))
					b.StopTimer()
					built.Close()
					if after, _ := sink.Spans(); c.rate == 0 && after != before {
						b.Errorf("%d spans exported at rate 0", after-before)
					}
				})
			}
		})
	}
}

// unsampledHeader is an incoming trace in format that its caller did not
// sample, when parent is set.
func unsampledHeader(parent bool, format string) http.Header {
	if !parent {
		return nil
	}
	return unsampledParents[format]
}
