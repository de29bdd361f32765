#!/usr/bin/env bash
# loopback.sh [ROUNDS] [SECONDS]: requests/s of a real http.Server on 127.0.0.1,
# bare and through each middleware, loaded by wrk (Debian's package). The
# server runs on core 0 (GOMAXPROCS=1) and wrk on core 1; the variants take
# turns in every round, so drift on a shared machine hits them alike. Prints
# each variant's median requests/s over the rounds and its ratio to the bare
# server's median. Bounded: ROUNDS x variants x SECONDS of load (default
# 5 x 6 x 5 s, under three minutes).
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-5}
seconds=${2:-5}
command -v wrk >/dev/null || { echo "loopback: wrk is missing: apt-get install wrk" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/loopback" ./cmd/loopback
variants=(bare traceplug-none gostdlib-none traceplug-jaeger gostdlib-jaeger otelhttp)
cores=$(nproc)
pin_server=() pin_wrk=()
if [ "$cores" -ge 2 ]; then pin_server=(taskset -c 0) pin_wrk=(taskset -c 1); fi

for round in $(seq 1 "$rounds"); do
  for v in "${variants[@]}"; do
    GOMAXPROCS=1 "${pin_server[@]}" "$tmp/loopback" -variant "$v" >"$tmp/addr" &
    pid=$!
    for _ in $(seq 1 100); do [ -s "$tmp/addr" ] && break; sleep 0.05; done
    addr=$(head -n1 "$tmp/addr")
    rps=$("${pin_wrk[@]}" wrk -t1 -c16 -d"${seconds}s" "http://$addr/items/42" | awk '/^Requests\/sec:/{print $2}')
    kill "$pid"; wait "$pid" 2>/dev/null || true
    : >"$tmp/addr"
    echo "$v $rps" >>"$tmp/results"
    echo "round $round: $v $rps req/s" >&2
  done
done

echo
echo "| variant | requests/s (median of $rounds) | ratio to bare |"
echo "| --- | --- | --- |"
sort -k1,1 "$tmp/results" | awk -v order="${variants[*]}" '
  { v[$1] = v[$1] " " $2 }
  END {
    n = split(order, names, " ")
    for (i = 1; i <= n; i++) {
      m = split(substr(v[names[i]], 2), xs, " ")
      for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (xs[b] + 0 < xs[a] + 0) { t = xs[a]; xs[a] = xs[b]; xs[b] = t }
      med[names[i]] = (m % 2) ? xs[(m + 1) / 2] : (xs[m / 2] + xs[m / 2 + 1]) / 2
    }
    for (i = 1; i <= n; i++) printf "| %s | %.0f | %.2f |\n", names[i], med[names[i]], med[names[i]] / med["bare"]
  }'
