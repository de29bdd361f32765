package bench

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/traceplug/traceplug/bench/internal/loop"
)

// BenchmarkExport is the loopback benchmark in one process, for profiles,
// allocation counts and instruction counts: each variant of loop.Variants
// serves requests as a server builds them (half with an incoming parent in
// the variant's native format, sampled, or not sampled for the variants that
// sample 1%), exporting every span it samples for real to a sink in the same
// process. Besides ns/op (wall time: the exporters run beside the
// loop, on the other core), it reports cpu-ns/op, the process's CPU time
// (getrusage) per request: everything a request causes, middleware, tracer,
// exporter, GC, and the sink's reading (the same for a variant and its peer,
// which share a wire format). The tracer's Close (the final flush) is
// included, and exported/op is the spans the sink counted per request.
func BenchmarkExport(b *testing.B) {
	sink, err := loop.NewSink()
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	for _, v := range loop.Variants {
		b.Run(v.Name, func(b *testing.B) {
			built, err := v.Build(sink.Addrs(), handler)
			if err != nil {
				b.Fatal(err)
			}
			parent := parents[v.Parent]
			if v.Rate < 1 { // the caller sampled at that rate too: not this trace
				parent = unsampledParents[v.Parent]
			}
			reqs := [2]*http.Request{serverRequest(b, nil), serverRequest(b, parent)}
			before, _ := sink.Spans()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				w := httptest.NewRecorder()
				built.Handler.ServeHTTP(w, reqs[i&1])
			}
			accounting := built.Close()
			cpu = cpuTime() - cpu
			b.StopTimer()
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			if strings.Contains(accounting, "dropped") && !strings.Contains(accounting, "dropped 0 ") {
				b.Log(accounting)
			}
			switch v.Name {
			case "bare", "traceplug-none", "gostdlib-none", "traceplug-mock", "gostdlib-mock", "traceplug-mock-1pct":
				return // exports nothing
			}
			if v.Rate < 1 { // no count to wait for: what arrives in 50ms
				time.Sleep(50 * time.Millisecond)
				got, _ := sink.Spans()
				b.ReportMetric(float64(got-before)/float64(b.N), "exported/op")
				return
			}
			// UDP datagrams may still be on their way.
			for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(time.Millisecond) {
				got, _ := sink.Spans()
				if got-before >= uint64(b.N) || time.Now().After(deadline) {
					b.ReportMetric(float64(got-before)/float64(b.N), "exported/op")
					break
				}
			}
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// parents are incoming traces in each native format.
var parents = map[string]http.Header{
	"jaeger": {"Uber-Trace-Id": {"4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1"}},
	"b3":     {"X-B3-Traceid": {"4bf92f3577b34da6a3ce929d0e0e4736"}, "X-B3-Spanid": {"00f067aa0ba902b7"}, "X-B3-Sampled": {"1"}},
	"w3c":    {"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}},
}

// unsampledParents are incoming traces in each native format that their
// caller did not sample.
var unsampledParents = map[string]http.Header{
	"jaeger": {"Uber-Trace-Id": {"4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:0"}},
	"b3":     {"X-B3-Traceid": {"4bf92f3577b34da6a3ce929d0e0e4736"}, "X-B3-Spanid": {"00f067aa0ba902b7"}, "X-B3-Sampled": {"0"}},
	"w3c":    {"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"}},
}
