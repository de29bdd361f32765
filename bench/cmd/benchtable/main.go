// Command benchtable reads `go test -bench` output (several -count runs) and
// prints, as Markdown, each middleware's median overhead over the bare
// handler in the same run, and traceplug's overhead as a ratio of go-stdlib's
// over the same tracer; for BenchmarkUnsampled, each variant's cost over the
// bare handler and traceplug's as a ratio of the cheaper peer's; for
// BenchmarkRemoteSampler, each sampler's cost over the bare ServeMux.
//
//	go test -run XXX -bench . -count 6 > bench.txt
//	go run ./cmd/benchtable < bench.txt
//
// Where the input is several -count 1 runs one after the other (for i in
// 1 2 3 4 5 6; do go test -bench ...; done), so that every variant of a run
// ran close in time, the i-th result of each benchmark is from the i-th run,
// and the ratios of BenchmarkUnsampled's and BenchmarkRemoteSampler's tables
// are also given as medians of the ratios within a run.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// sample is one benchmark's medians.
type sample struct{ ns, bytes, allocs, cpu, exported float64 }

var (
	line     = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op`)
	bytesOp  = regexp.MustCompile(`\s([\d.]+) B/op`)
	allocsOp = regexp.MustCompile(`\s([\d.]+) allocs/op`)
	cpuOp    = regexp.MustCompile(`\s([\d.]+) cpu-ns/op`)
	exported = regexp.MustCompile(`\s([\d.]+) exported/op`)
)

// metric is the value of re in text, or -1.
func metric(re *regexp.Regexp, text string) float64 {
	m := re.FindStringSubmatch(text)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func main() {
	medians, runs, err := read(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	for _, parent := range []string{"parent=no", "parent=yes"} {
		if _, ok := medians["BenchmarkServer/"+parent+"/bare"]; ok {
			fmt.Printf("\n### Server, %s: overhead over the bare handler\n\n", parent)
			table(medians, "BenchmarkServer/"+parent+"/", "BenchmarkTracerDirect/"+parent+"/")
		}
	}
	if _, ok := medians["BenchmarkClient/bare"]; ok {
		fmt.Printf("\n### Client: overhead over the bare round tripper\n\n")
		table(medians, "BenchmarkClient/", "")
	}
	if _, ok := medians["BenchmarkExport/bare"]; ok {
		fmt.Printf("\n### In process, every span exported (BenchmarkExport): CPU per request\n\n")
		export(medians)
	}
	unsampled(medians, runs)
	remote(medians, runs)
}

// exportPeers are BenchmarkExport's traceplug variants and their peers.
var exportPeers = [][2]string{
	{"traceplug-none", "gostdlib-none"}, {"traceplug-mock", "gostdlib-mock"},
	{"traceplug-jaeger", "gostdlib-jaeger"}, {"traceplug-jaeger-http", "gostdlib-jaeger-http"},
	{"traceplug-zipkin", "gostdlib-zipkin"}, {"traceplug-otel", "otelhttp"}, {"traceplug-otel", "otelhttp-backend"},
}

// export prints BenchmarkExport's medians: CPU time per request (the
// process's, exporters and sink included), allocations, spans exported, and
// traceplug's CPU over the bare server's as a ratio of its peer's.
func export(m map[string]sample) {
	const p = "BenchmarkExport/"
	bare := m[p+"bare"]
	fmt.Printf("bare: %.0f ns CPU, %.0f allocs per request\n\n", bare.cpu, bare.allocs)
	fmt.Println("| traceplug | peer | CPU ns/request (traceplug, peer) | allocs | exported/request | CPU over bare, ratio |")
	fmt.Println("| --- | --- | --- | --- | --- | --- |")
	for _, pair := range exportPeers {
		tp, ok1 := m[p+pair[0]]
		pe, ok2 := m[p+pair[1]]
		if !ok1 || !ok2 {
			continue
		}
		exp := "–"
		if tp.exported >= 0 && pe.exported >= 0 {
			exp = fmt.Sprintf("%.2f, %.2f", tp.exported, pe.exported)
		}
		fmt.Printf("| %s | %s | %.0f, %.0f | %.0f, %.0f | %s | %.2f |\n", pair[0], pair[1], tp.cpu, pe.cpu, tp.allocs, pe.allocs, exp,
			ratio(tp.cpu-bare.cpu, pe.cpu-bare.cpu))
	}
}

// read returns each benchmark's medians, and its runs in the order they
// came (the i-th run of each is from the i-th of several -count 1 runs).
func read(r io.Reader) (map[string]sample, map[string][]sample, error) {
	runs := map[string][]sample{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		s := sample{bytes: metric(bytesOp, sc.Text()), allocs: metric(allocsOp, sc.Text()),
			cpu: metric(cpuOp, sc.Text()), exported: metric(exported, sc.Text())}
		s.ns, _ = strconv.ParseFloat(m[2], 64)
		runs[m[1]] = append(runs[m[1]], s)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	out := map[string]sample{}
	for name, ss := range runs {
		out[name] = sample{
			ns:       median(ss, func(s sample) float64 { return s.ns }),
			bytes:    median(ss, func(s sample) float64 { return s.bytes }),
			allocs:   median(ss, func(s sample) float64 { return s.allocs }),
			cpu:      median(ss, func(s sample) float64 { return s.cpu }),
			exported: median(ss, func(s sample) float64 { return s.exported }),
		}
	}
	return out, runs, nil
}

func median(ss []sample, f func(sample) float64) float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	return medianOf(v)
}

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	sort.Float64s(v)
	if n := len(v); n%2 == 1 {
		return v[n/2]
	} else {
		return (v[n/2-1] + v[n/2]) / 2
	}
}

// table prints one row per tracer: traceplug's and go-stdlib's overheads and
// their ratio, the tracer's own cost where measured, and otelhttp's.
func table(m map[string]sample, prefix, direct string) {
	bare, ok := m[prefix+"bare"]
	if !ok {
		fmt.Println("(no bare baseline in the input)")
		return
	}
	fmt.Printf("bare: %.0f ns, %.0f allocs per request\n\n", bare.ns, bare.allocs)
	fmt.Println("| tracer | traceplug | go-stdlib | traceplug ÷ go-stdlib (ns, allocs) | tracer alone |")
	fmt.Println("| --- | --- | --- | --- | --- |")
	var tracers []string
	for name := range m {
		if t, ok := strings.CutPrefix(name, prefix+"traceplug/"); ok {
			tracers = append(tracers, t)
		}
	}
	sort.Strings(tracers)
	for _, t := range tracers {
		tp, gs := m[prefix+"traceplug/"+t], m[prefix+"gostdlib/"+t]
		tpo, gso := over(tp, bare), over(gs, bare)
		alone := "–"
		if d, ok := m[direct+t]; ok && direct != "" {
			alone = fmt.Sprintf("%.0f ns, %.0f allocs", d.ns, d.allocs)
		}
		fmt.Printf("| %s | +%.0f ns, +%.0f allocs | +%.0f ns, +%.0f allocs | %.2f, %.2f | %s |\n",
			t, tpo.ns, tpo.allocs, gso.ns, gso.allocs, ratio(tpo.ns, gso.ns), ratio(tpo.allocs, gso.allocs), alone)
	}
	for _, v := range []string{"sampled", "unsampled"} {
		if o, ok := m[prefix+"otelhttp/"+v]; ok {
			oo := over(o, bare)
			fmt.Printf("| otelhttp (%s) | | | +%.0f ns, +%.0f allocs | |\n", v, oo.ns, oo.allocs)
		}
	}
}

func over(s, bare sample) sample {
	return sample{ns: s.ns - bare.ns, bytes: s.bytes - bare.bytes, allocs: s.allocs - bare.allocs}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
