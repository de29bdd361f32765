#!/usr/bin/env bash
# instructions.sh [REGEXP]: instructions per op of benchmarks, counted by
# valgrind's callgrind (apt-get install valgrind), which a shared, noisy
# machine does not disturb: each benchmark runs twice, for N1 and N2
# iterations, and the difference in instructions over N2-N1 is its cost per
# op (setup and the b.N=1 probe cancel out). GOGC=off leaves the collector's
# marking out (allocations are counted by `go test -benchmem`), unless GC=on;
# GOMAXPROCS=1 and no async preemption, which callgrind does not survive; nor
# RDTSCP on a host whose CPU lacks it (valgrind's CPU has it, its decoder
# then does not): the runtime reads the clock with RDTSC instead.
# Callgrind runs one thread at a time, so every goroutine's instructions
# count: for BenchmarkExport, the exporters' and the sink's too. The default
# REGEXP is BenchmarkServer's variants over jaeger, zipkin, their backends,
# mock and none.
#
#	./instructions.sh                       # about 2 minutes
#	GC=on ./instructions.sh Export          # about 5 minutes
#	./instructions.sh 'Unsampled/rate=0/|RemoteSampler'  # the unsampled path, about 3 minutes
#	./instructions.sh 'Server/parent=yes/bare$|Server/parent=yes/(traceplug|gostdlib)/^jaeger$'
set -euo pipefail
cd "$(dirname "$0")"
re=${1:-'Server/parent=(no|yes)/bare$|Server/parent=(no|yes)/(traceplug|gostdlib)/^(jaeger|zipkin|jaeger-backend|zipkin-backend|mock|none)$'}
n1=${N1:-2000} n2=${N2:-12000}
command -v valgrind >/dev/null || { echo "instructions: valgrind is missing: apt-get install valgrind" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/bench.test" .
gogc=off
[ "${GC:-}" = on ] && gogc=100
ir() { # ir NAME N: instructions of running benchmark NAME for N iterations
  GOGC=$gogc GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$tmp/bench.test" -test.run XXX -test.bench "^$1\$" -test.benchtime "$2x" 2>&1 | awk '/Collected :/{print $4}'
}
# The benchmarks' full names, from a dry run of one iteration each.
"$tmp/bench.test" -test.run XXX -test.bench "$re" -test.benchtime 1x 2>/dev/null |
  awk '/^Benchmark/{sub(/-[0-9]+$/, "", $1); print $1}' | sort -u >"$tmp/names"
while read -r name; do
  regex=$(sed 's/[][()|.*+?^$]/\\&/g; s#/#$/^#g' <<<"$name")
  a=$(ir "$regex" "$n1") b=$(ir "$regex" "$n2")
  echo "$name $(( (b - a) / (n2 - n1) ))" | tee -a "$tmp/ir" >&2
done <"$tmp/names"

# BenchmarkServer's overheads over the bare handler, and their ratios.
if grep -q '^BenchmarkServer/' "$tmp/ir"; then
echo
echo "| request | tracer | traceplug (instructions over bare) | go-stdlib | ratio |"
echo "| --- | --- | --- | --- | --- |"
awk '$1 ~ /^BenchmarkServer\// {
    split($1, p, "/"); key = p[2] "/" p[3] (p[4] != "" ? "/" p[4] : ""); v[key] = $2
    if (p[4] != "") tracers[p[4]] = 1; parents[p[2]] = 1
  }
  END {
    for (pa in parents) for (t in tracers) {
      b = v[pa "/bare"]; tp = v[pa "/traceplug/" t] - b; gs = v[pa "/gostdlib/" t] - b
      if (v[pa "/traceplug/" t] && v[pa "/gostdlib/" t]) printf "| %s | %s | %d | %d | %.2f |\n", pa, t, tp, gs, tp / gs
    }
  }' "$tmp/ir" | sort
fi

# BenchmarkExport's variants beside their peers.
if grep -q '^BenchmarkExport/' "$tmp/ir"; then
  echo
  echo "| traceplug variant | peer | instructions per request (traceplug, peer) | ratio | over bare's, ratio |"
  echo "| --- | --- | --- | --- | --- |"
  awk '$1 ~ /^BenchmarkExport\// { sub(/^BenchmarkExport\//, "", $1); v[$1] = $2; order[++n] = $1 }
    END {
      for (i = 1; i <= n; i++) {
        t = order[i]; if (t !~ /^traceplug-/) continue
        p = t; sub(/^traceplug-/, "gostdlib-", p)
        sfx = p; sub(/^gostdlib-otel/, "", sfx)
        np = split(p ~ /^gostdlib-otel/ ? "otelhttp" sfx " otelhttp-backend" sfx : p, peers, " ")
        for (k = 1; k <= np; k++) {
          p = peers[k]
          if (!(p in v)) continue
          b = v["bare"]
          printf "| %s | %s | %d, %d | %.2f | %s |\n", t, p, v[t], v[p], v[t] / v[p], (b && v[p] > b) ? sprintf("%.2f", (v[t] - b) / (v[p] - b)) : "–"
        }
      }
    }' "$tmp/ir"
fi

# BenchmarkUnsampled's and BenchmarkRemoteSampler's variants over the bare
# handler of the same case; traceplug's as a ratio of the cheaper peer's
# (gostdlib-jaeger or otelhttp), a remote sampler's as a ratio of remote-10's.
if grep -qE '^Benchmark(Unsampled|RemoteSampler)/' "$tmp/ir"; then
  echo
  echo "| case | variant | instructions | over bare | ratio |"
  echo "| --- | --- | --- | --- | --- |"
  awk '$1 ~ /^Benchmark(Unsampled|RemoteSampler)\// {
      c = $1; sub(/\/[^\/]*$/, "", c); v = $1; sub(/^.*\//, "", v)
      ir[c, v] = $2; if (!(c in seen)) { seen[c] = 1; cases[++nc] = c }; names[c] = names[c] " " v
    }
    END {
      for (i = 1; i <= nc; i++) {
        c = cases[i]; b = ir[c, "bare"]
        peer = ""
        if ((c, "gostdlib-jaeger") in ir) peer = "gostdlib-jaeger"
        if ((c, "otelhttp") in ir && (peer == "" || ir[c, "otelhttp"] < ir[c, peer])) peer = "otelhttp"
        if ((c, "remote-10") in ir) peer = "remote-10"
        n = split(substr(names[c], 2), vs, " ")
        for (k = 1; k <= n; k++) {
          v = vs[k]; r = "–"
          if (v != "bare" && v != peer && peer != "" && (v ~ /^traceplug-/ || peer == "remote-10")) r = sprintf("%.2f (÷ %s)", (ir[c, v] - b) / (ir[c, peer] - b), peer)
          printf "| %s | %s | %d | %d | %s |\n", c, v, ir[c, v], ir[c, v] - b, r
        }
      }
    }' "$tmp/ir"
fi
