#!/usr/bin/env bash
# profile.sh VARIANT [SECONDS]: profiles the loopback server (cmd/loopback)
# under wrk's load, as loopback.sh runs it (one core, realistic requests,
# every span exported to the sink in another process), and prints its CPU by
# component (cmd/profshare) in µs per request. The profile is left in
# ./VARIANT.cpu.out for `go tool pprof`. LOOPBACK=path/to/binary profiles
# another build of cmd/loopback (such as one from before a change).
set -euo pipefail
cd "$(dirname "$0")"
variant=${1:?usage: profile.sh VARIANT [SECONDS]}
seconds=${2:-10}
command -v wrk >/dev/null || { echo "profile: wrk is missing: apt-get install wrk" >&2; exit 1; }
tmp=$(mktemp -d)
sink_pid=
trap '[ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
bin=${LOOPBACK:-}
if [ -z "$bin" ]; then go build -o "$tmp/loopback" ./cmd/loopback; bin=$tmp/loopback; fi
go build -o "$tmp/sink" ./cmd/sink
pin_server=() pin_other=()
if [ "$(nproc)" -ge 2 ]; then pin_server=(taskset -c 0) pin_other=(taskset -c 1); fi
"${pin_other[@]}" "$tmp/sink" >"$tmp/sink.addr" &
sink_pid=$!
for _ in $(seq 1 400); do [ -s "$tmp/sink.addr" ] && break; sleep 0.05; done
read -r sink_udp sink_http <"$tmp/sink.addr"
case $variant in *jaeger*) parent=jaeger ;; *zipkin*) parent=b3 ;; *) parent=w3c ;; esac
case $variant in *-1pct) sampled=0.01 ;; *) sampled=1 ;; esac # the parents' sampled fraction, as loopback.sh
GOMAXPROCS=1 "${pin_server[@]}" "$bin" -variant "$variant" -udp "$sink_udp" -http "$sink_http" -cpuprofile "$variant.cpu.out" >"$tmp/server.out" &
pid=$!
for _ in $(seq 1 400); do [ -s "$tmp/server.out" ] && break; sleep 0.05; done
addr=$(head -n1 "$tmp/server.out")
"${pin_other[@]}" wrk -t1 -c16 -d"${seconds}s" -s loopback.lua "http://$addr/" -- "$parent" "$sampled" >"$tmp/wrk.out"
kill "$pid"
wait "$pid" 2>/dev/null || true
served=$(awk '/^served /{print $2}' "$tmp/server.out")
echo "$variant: $(awk '/^Requests\/sec:/{print $2}' "$tmp/wrk.out") requests/s, $served served; $(sed -n 's/^served [0-9]* *//p' "$tmp/server.out")"
go tool pprof -traces "$bin" "$variant.cpu.out" 2>/dev/null | go run ./cmd/profshare -n "$served"
