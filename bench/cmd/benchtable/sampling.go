package main

import (
	"fmt"
	"sort"
	"strings"
)

// unsampledCases are BenchmarkUnsampled's cases, and unsampledPeers the
// peers whose cost over bare traceplug's is held to.
var (
	unsampledCases = []string{"rate=0/parent=no", "rate=0/parent=unsampled", "rate=0.01/parent=no"}
	unsampledPeers = []string{"gostdlib-jaeger", "otelhttp"}
)

// unsampled prints BenchmarkUnsampled's tables: each variant's median cost
// over the bare handler, and traceplug's as a ratio of the cheaper peer's
// (the peer whose median cost is lower), as the ratio of the medians and as
// the median of the ratios within each run.
func unsampled(m map[string]sample, runs map[string][]sample) {
	for _, c := range unsampledCases {
		p := "BenchmarkUnsampled/" + c + "/"
		bare, ok := m[p+"bare"]
		if !ok {
			continue
		}
		cheaper, cost := "", 0.0
		for _, peer := range unsampledPeers {
			if s, ok := m[p+peer]; ok && (cheaper == "" || s.ns-bare.ns < cost) {
				cheaper, cost = peer, s.ns-bare.ns
			}
		}
		fmt.Printf("\n### Unsampled, %s: cost over the bare handler (%.0f ns, %.0f allocs)\n\n", c, bare.ns, bare.allocs)
		fmt.Printf("| variant | ns/request | over bare | allocs over bare | ÷ %s's (medians) | ÷ %s's (same run, median) |\n", cheaper, cheaper)
		fmt.Println("| --- | --- | --- | --- | --- | --- |")
		for _, v := range variantsOf(m, p) {
			s := m[p+v]
			r1, r2 := "–", "–"
			if strings.HasPrefix(v, "traceplug-") && cheaper != "" {
				r1 = fmt.Sprintf("%.2f", ratio(s.ns-bare.ns, cost))
				r2 = sameRun(runs, p+"bare", p+v, p+cheaper)
			}
			fmt.Printf("| %s | %.0f | +%.0f | +%.0f | %s | %s |\n", v, s.ns, s.ns-bare.ns, s.allocs-bare.allocs, r1, r2)
		}
	}
}

// remote prints BenchmarkRemoteSampler's table: each sampler's median cost
// over the bare ServeMux, and as a ratio of remote-10's.
func remote(m map[string]sample, runs map[string][]sample) {
	const p = "BenchmarkRemoteSampler/"
	bare, ok := m[p+"bare"]
	if !ok {
		return
	}
	ref := m[p+"remote-10"]
	fmt.Printf("\n### Remote sampler: cost over the bare ServeMux (%.0f ns, %.0f allocs)\n\n", bare.ns, bare.allocs)
	fmt.Println("| sampler | ns/request | over bare | allocs over bare | ÷ remote-10's (medians) | ÷ remote-10's (same run, median) |")
	fmt.Println("| --- | --- | --- | --- | --- | --- |")
	for _, v := range variantsOf(m, p) {
		s := m[p+v]
		fmt.Printf("| %s | %.0f | +%.0f | +%.0f | %.2f | %s |\n", v, s.ns, s.ns-bare.ns, s.allocs-bare.allocs,
			ratio(s.ns-bare.ns, ref.ns-bare.ns), sameRun(runs, p+"bare", p+v, p+"remote-10"))
	}
}

// variantsOf are the benchmarks under prefix but bare, sorted.
func variantsOf(m map[string]sample, prefix string) []string {
	var vs []string
	for name := range m {
		if v, ok := strings.CutPrefix(name, prefix); ok && v != "bare" && !strings.Contains(v, "/") {
			vs = append(vs, v)
		}
	}
	sort.Strings(vs)
	return vs
}

// sameRun is the median over the runs of (v − bare) ÷ (ref − bare), each
// run's own results; "–" unless the three ran equally often.
func sameRun(runs map[string][]sample, bare, v, ref string) string {
	b, x, r := runs[bare], runs[v], runs[ref]
	if len(b) == 0 || len(b) != len(x) || len(b) != len(r) {
		return "–"
	}
	var rs []float64
	for i := range b {
		if d := r[i].ns - b[i].ns; d > 0 {
			rs = append(rs, (x[i].ns-b[i].ns)/d)
		}
	}
	if len(rs) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", medianOf(rs))
}
