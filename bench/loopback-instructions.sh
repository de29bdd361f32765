#!/usr/bin/env bash
# loopback-instructions.sh [VARIANT ...]: the loopback server's (cmd/loopback)
# instructions per request served, counted by valgrind's callgrind, which a
# shared, noisy machine does not disturb: each variant serves wrk's load
# (loopback.lua, as loopback.sh sends it) under callgrind twice, for S1 and S2
# seconds (default 3 and 9), and the difference in instructions over the
# difference in requests served is its cost per request: net/http's, the
# middleware's, the tracer's, the exporters' goroutines' and the collector's
# (GOGC as loopback.sh runs it). Startup and shutdown cancel out. The
# kernel's work (syscalls, loopback TCP) is not counted, so the ratio of bare's
# count to a variant's understates the ratio of their requests/s on a core:
# a lower bound of it. Same settings as instructions.sh (GOMAXPROCS=1, no
# async preemption, no RDTSCP); the sink is another process, on core 1.
# Default variants: bare and the -1pct ones; about 25 s a variant.
# LOOPBACK=path/to/a/loopback/binary counts that build (one from before a
# change, say) instead of this tree's. CGOUT=DIR keeps each run's callgrind file, DIR/VARIANT.SECONDS.out, for
# callgrind_annotate, and the requests it served, DIR/VARIANT.SECONDS.served:
# the difference of a variant's two files, function by function, over the
# difference in requests, is where its instructions per request go.
set -euo pipefail
cd "$(dirname "$0")"
s1=${S1:-3} s2=${S2:-9}
command -v valgrind >/dev/null || { echo "loopback-instructions: valgrind is missing: apt-get install valgrind" >&2; exit 1; }
command -v wrk >/dev/null || { echo "loopback-instructions: wrk is missing: apt-get install wrk" >&2; exit 1; }
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(bare traceplug-jaeger-1pct gostdlib-jaeger-1pct traceplug-otel-1pct otelhttp-1pct traceplug-mock-1pct)
tmp=$(mktemp -d)
sink_pid=
trap '[ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
if [ -n "${LOOPBACK:-}" ]; then cp "$LOOPBACK" "$tmp/loopback"; else go build -o "$tmp/loopback" ./cmd/loopback; fi
go build -o "$tmp/sink" ./cmd/sink
pin_server=() pin_other=()
if [ "$(nproc)" -ge 2 ]; then pin_server=(taskset -c 0) pin_other=(taskset -c 1); fi
"${pin_other[@]}" "$tmp/sink" >"$tmp/sink.addr" &
sink_pid=$!
for _ in $(seq 1 400); do [ -s "$tmp/sink.addr" ] && break; sleep 0.05; done
read -r sink_udp sink_http <"$tmp/sink.addr"

# run VARIANT SECONDS prints the instructions and the requests served; a
# run that valgrind does not survive (it seldom does not) is retried.
run() {
  local parent sampled pid attempt out cgout=/dev/null
  [ -n "${CGOUT:-}" ] && mkdir -p "$CGOUT" && cgout=$CGOUT/$1.$2.out
  case $1 in *jaeger*) parent=jaeger ;; *zipkin*) parent=b3 ;; *) parent=w3c ;; esac
  case $1 in *-1pct) sampled=0.01 ;; *) sampled=1 ;; esac
  for attempt in 1 2 3; do
    : >"$tmp/server.out"
    GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off "${pin_server[@]}" valgrind --tool=callgrind --callgrind-out-file="$cgout" \
      "$tmp/loopback" -variant "$1" -udp "$sink_udp" -http "$sink_http" -for "$(($2 + 1))s" >"$tmp/server.out" 2>"$tmp/server.err" &
    pid=$!
    for _ in $(seq 1 1200); do [ -s "$tmp/server.out" ] || ! kill -0 "$pid" 2>/dev/null && break; sleep 0.05; done
    "${pin_other[@]}" wrk -t1 -c16 -d"$2s" -s loopback.lua "http://$(head -n1 "$tmp/server.out")/" -- "$parent" "$sampled" >/dev/null || true
    wait "$pid" 2>/dev/null || true # it stops by itself: callgrind does not survive SIGTERM
    out="$(awk '/Collected :/{print $4}' "$tmp/server.err") $(awk '/^served /{print $2}' "$tmp/server.out")"
    if [ "${out% }" != "$out" ] || [ "${out# }" != "$out" ]; then
      echo "loopback-instructions: $1 did not survive callgrind (attempt $attempt): $(grep -m1 -E 'unhandled|SIG|panic|valgrind:' "$tmp/server.err" || tail -n1 "$tmp/server.err")" >&2
      continue
    fi
    [ -n "${CGOUT:-}" ] && echo "${out#* }" >"$CGOUT/$1.$2.served"
    echo "$out"
    return
  done
  echo "loopback-instructions: $1 failed three times" >&2
}

echo "| variant | instructions per request | bare's ÷ it |"
echo "| --- | --- | --- |"
bare=
for v in "${variants[@]}"; do
  read -r i1 n1 <<<"$(run "$v" "$s1")"
  read -r i2 n2 <<<"$(run "$v" "$s2")"
  [ -n "$i1" ] && [ -n "$n2" ] || exit 1
  per=$(( (i2 - i1) / (n2 - n1) ))
  [ "$v" = bare ] && bare=$per
  echo "| $v | $per | $([ -n "$bare" ] && awk -v b="$bare" -v p="$per" 'BEGIN{printf "%.3f", b / p}' || echo –) |"
done
