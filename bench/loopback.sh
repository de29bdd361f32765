#!/usr/bin/env bash
# loopback.sh [ROUNDS] [SECONDS]: a real http.Server on 127.0.0.1 (cmd/loopback),
# bare and through each middleware and tracer, loaded by wrk (Debian's
# package) with realistic requests (loopback.lua: a query string, the usual
# headers, every other request with an incoming trace), every span exported
# for real to a sink in another process (cmd/sink).
#
# The server runs on core 0 with GOMAXPROCS=1; wrk and the sink share core 1.
# The variants take turns in every round, so drift on a shared machine hits
# them alike. For each variant it prints the medians over the rounds of
# requests/s, the server's CPU time per request (utime+stime from
# /proc/PID/stat over the load, divided by the requests wrk completed), the
# spans the sink received per request served, and the bytes it received per
# span (what the variant's spans carry, resource and batching included, so
# that variants are compared at equal output); then each traceplug variant
# beside its peer on the same client library or SDK, as medians of the
# ratios within each round (a variant and its peer run one after the other,
# so a change in the machine's load between rounds cancels out). On a shared
# machine, CPU per request is the steadier measure: requests/s also depend on
# how much of its core the server gets.
#
# The -1pct variants (traceplug-mock-1pct, traceplug-jaeger-1pct,
# gostdlib-jaeger-1pct, traceplug-otel-1pct, otelhttp-1pct) sample 1% of new
# traces, each as its library samples by ratio, and are sent parents of which
# 1 in 100 is sampled; they are not in the default list:
# VARIANTS="bare traceplug-otel-1pct otelhttp-1pct ..." runs them.
#
# Bounded: ROUNDS x variants x (SECONDS + ~0.5 s); the defaults, 5 rounds of
# 5 s over 13 variants, take about six minutes. VARIANTS="bare traceplug-jaeger
# ..." runs a subset. BASELINE=path/to/a/loopback/binary (built from another
# checkout with `go build ./cmd/loopback`) adds that build's traceplug
# variants, named base:VARIANT, to every round: before and after in one run.
# LOOPBACK=path/to/a/loopback/binary runs that build instead of this tree's.
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-5}
seconds=${2:-5}
command -v wrk >/dev/null || { echo "loopback: wrk is missing: apt-get install wrk" >&2; exit 1; }
tmp=$(mktemp -d)
sink_pid=
cleanup() {
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
if [ -n "${LOOPBACK:-}" ]; then cp "$LOOPBACK" "$tmp/loopback"; else go build -o "$tmp/loopback" ./cmd/loopback; fi
go build -o "$tmp/sink" ./cmd/sink

default_variants="bare traceplug-none gostdlib-none traceplug-mock gostdlib-mock traceplug-jaeger gostdlib-jaeger
  traceplug-jaeger-http gostdlib-jaeger-http traceplug-zipkin gostdlib-zipkin traceplug-otel otelhttp otelhttp-backend"
read -r -a variants <<<"$(echo ${VARIANTS:-$default_variants})"
if [ -n "${BASELINE:-}" ]; then # each base:VARIANT right after VARIANT
  with_base=()
  for v in "${variants[@]}"; do
    with_base+=("$v")
    case $v in traceplug-*) with_base+=("base:$v") ;; esac
  done
  variants=("${with_base[@]}")
fi
pin_server=() pin_other=()
if [ "$(nproc)" -ge 2 ]; then pin_server=(taskset -c 0) pin_other=(taskset -c 1); fi
tck=$(getconf CLK_TCK)

"${pin_other[@]}" "$tmp/sink" >"$tmp/sink.addr" &
sink_pid=$!
for _ in $(seq 1 400); do [ -s "$tmp/sink.addr" ] && break; sleep 0.05; done
read -r sink_udp sink_http <"$tmp/sink.addr"

# sink_spans prints the spans and the bytes the sink has received so far.
sink_spans() {
  exec 3<>"/dev/tcp/${sink_http%:*}/${sink_http##*:}"
  printf 'GET /stats HTTP/1.0\r\nHost: sink\r\n\r\n' >&3
  awk '/^spans /{print $2, $6}' <&3
  exec 3>&-
}

# cpu_ticks prints a process's user+system CPU time, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# parent_format is the incoming trace format a variant reads natively.
parent_format() {
  case $1 in
    *jaeger*) echo jaeger ;;
    *zipkin*) echo b3 ;;
    *) echo w3c ;;
  esac
}

# parent_sampled is the fraction of a variant's incoming traces that their
# caller sampled: the rate the variant samples new traces at (-1pct: 0.01).
parent_sampled() {
  case $1 in
    *-1pct) echo 0.01 ;;
    *) echo 1 ;;
  esac
}

for round in $(seq 1 "$rounds"); do
  for v in "${variants[@]}"; do
    bin=$tmp/loopback name=$v
    case $v in base:*) bin=$BASELINE name=${v#base:} ;; esac
    read -r before before_bytes <<<"$(sink_spans)"
    addr=
    for attempt in 1 2 3; do
      GOMAXPROCS=1 "${pin_server[@]}" "$bin" -variant "$name" -udp "$sink_udp" -http "$sink_http" >"$tmp/server.out" 2>"$tmp/server.err" &
      pid=$!
      for _ in $(seq 1 1200); do [ -s "$tmp/server.out" ] || ! kill -0 "$pid" 2>/dev/null && break; sleep 0.05; done
      addr=$(head -n1 "$tmp/server.out")
      [ -n "$addr" ] && break
      kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
      echo "loopback: $v did not start (attempt $attempt); its output: $(cat "$tmp/server.out")" >&2
    done
    [ -n "$addr" ] || exit 1
    cpu0=$(cpu_ticks "$pid")
    "${pin_other[@]}" wrk -t1 -c16 -d"${seconds}s" -s loopback.lua "http://$addr/" -- "$(parent_format "$v")" "$(parent_sampled "$v")" >"$tmp/wrk.out"
    cpu1=$(cpu_ticks "$pid")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    sleep 0.2 # datagrams in flight
    read -r after after_bytes <<<"$(sink_spans)"
    rps=$(awk '/^Requests\/sec:/{print $2}' "$tmp/wrk.out")
    reqs=$(awk '/requests in/{print $1}' "$tmp/wrk.out")
    served=$(awk '/^served /{print $2}' "$tmp/server.out")
    accounting=$(sed -n 's/^served [0-9]* *//p' "$tmp/server.out")
    awk -v r="$round" -v v="$v" -v rps="$rps" -v reqs="$reqs" -v c0="$cpu0" -v c1="$cpu1" -v tck="$tck" -v s0="$before" -v s1="$after" -v served="$served" \
      -v b0="$before_bytes" -v b1="$after_bytes" \
      'BEGIN { printf "%s %s %s %.3f %.3f %.1f\n", r, v, rps, (c1 - c0) / tck * 1e6 / reqs, served ? (s1 - s0) / served : 0, (s1 > s0 ? (b1 - b0) / (s1 - s0) : 0) }' >>"$tmp/results"
    # A round's line ends with what the server allocated (its memory line,
    # which a build from before it was added does not print).
    echo "round $(tail -n1 "$tmp/results") ${accounting} $(sed -n 's/^memory: //p' "$tmp/server.err")" >&2
  done
done

echo
echo "Server on one core (GOMAXPROCS=1); medians of $rounds rounds of ${seconds}s; realistic requests, half with a parent."
echo
./loopback-table.awk -v order="${variants[*]}" "$tmp/results"
