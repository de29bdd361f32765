#!/usr/bin/env bash
# jaeger.sh start|stop|status|install|strategies: a real Jaeger, in-memory,
# every listener on 127.0.0.1, for the end-to-end tests and for looking at
# traces.
#
# Environment:
#   JAEGER_VERSION    v2 (the default): Jaeger v2.13.0, built from Go module
#                     github.com/jaegertracing/jaeger v1.76.0 (one tag, both
#                     numbers), configured by scripts/jaeger-v2.yaml.
#                     v1: all-in-one v1.42.0, configured by flags below.
#   JAEGER_RUN_DIR    pid, version and log of the running Jaeger; default
#                     ${XDG_RUNTIME_DIR:-/tmp}/traceplug-jaeger-$(id -u), so one
#                     user's stop never ends another user's Jaeger.
#   JAEGER_CACHE_DIR  the built binaries, one folder per Jaeger version; default
#                     ${XDG_CACHE_HOME:-$HOME/.cache}/traceplug/jaeger.
#   JAEGER_SAMPLING   how the remote sampling endpoint (5778) decides:
#                     file (the default): the strategies of a file, which
#                     Jaeger reloads every second (below);
#                     adaptive: Jaeger's adaptive sampling, with settings for
#                     tests (a calculation a second, a target of 5 traces a
#                     second per operation: scripts/jaeger-v2-adaptive.yaml
#                     for v2, the flags below for v1), not for production.
#   JAEGER_SAMPLING_STRATEGIES
#                     the strategies file Jaeger starts with (JSON, in
#                     Jaeger's format); default scripts/sampling-strategies.json,
#                     every trace of every service. start copies it into the
#                     run dir, as sampling-strategies.json, and Jaeger
#                     reloads that copy every second: rewrite the copy (the
#                     e2e tests do; `jaeger.sh strategies` prints its path) to
#                     change a running Jaeger's strategies, never the original.
#
# Both versions listen on the same ports, all on 127.0.0.1:
#   OTLP gRPC 4317, OTLP HTTP 4318 (POST /v1/traces)
#   jaeger thrift: HTTP collector 14268 (/api/traces), UDP compact 6831, UDP binary 6832
#   Zipkin HTTP 9411 (/api/v2/spans)
#   query API http://127.0.0.1:16686/api/ (its UI is a placeholder page: the Go
#   module ships without the UI's assets), query gRPC 16685
#   remote sampling HTTP 5778
#   v1 only: health and metrics 14269, jaeger gRPC 14250, Zipkin UDP 5775
#   v2 only: health 13133 (/status), metrics 8888, remote sampling gRPC 5779
#
# strategies prints the path of the strategies file the running Jaeger
# reloads, and fails when none runs or it runs adaptive sampling.
#
# install builds the binary when the cache lacks it: v1 with `go install`
# (2 to 3 minutes on 2 cores with an empty Go build cache), v2 in a scratch
# module with `go get -tool` and `go build` (8 to 13 minutes, ~15 CPU-minutes;
# a 120 MB binary; `go install` refuses it because its go.mod has replace
# directives, which the scratch module copies). start installs
# when needed, fails naming the port and its holder if a port is taken, starts
# Jaeger, waits for its health endpoint, and checks that the process it started
# is alive and holds the ports. stop ends that process and nothing else.
set -euo pipefail

version_kind=${JAEGER_VERSION:-v2}
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run_dir=${JAEGER_RUN_DIR:-${XDG_RUNTIME_DIR:-/tmp}/traceplug-jaeger-$(id -u)}
cache_dir=${JAEGER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/traceplug/jaeger}
pid_file=$run_dir/jaeger.pid
cmd_file=$run_dir/jaeger.cmd # the binary's path, to tell our process from a reused pid
version_file=$run_dir/jaeger.version
sampling_file=$run_dir/jaeger.sampling # file or adaptive, as started
log_file=$run_dir/jaeger.log
live_strategies=$run_dir/sampling-strategies.json # the copy Jaeger reloads
sampling_kind=${JAEGER_SAMPLING:-file}
strategies_src=${JAEGER_SAMPLING_STRATEGIES:-$script_dir/sampling-strategies.json}

usage() {
  cat >&2 <<EOF
usage: [JAEGER_VERSION=v2|v1] [JAEGER_SAMPLING=file|adaptive] $0 start|stop|status|install|strategies
  start       install if needed, start Jaeger on 127.0.0.1, wait until it is healthy
  stop        stop the Jaeger this user's start started (any version)
  status      say whether it runs, which version, how it samples, and where
  install     only build the binary into the cache
  strategies  print the path of the strategies file the running Jaeger reloads
environment: JAEGER_VERSION (v2, the default, or v1), JAEGER_SAMPLING (file, the
default, or adaptive), JAEGER_SAMPLING_STRATEGIES, JAEGER_RUN_DIR, JAEGER_CACHE_DIR;
see the top of $0.
EOF
}

case "$version_kind" in
  v2)
    module_version=v1.76.0 # the Go module's version of release v2.13.0
    bin=$cache_dir/$module_version/jaeger
    tcp_ports=(4317 4318 14268 9411 16686 16685 5778 5779 13133 8888)
    udp_ports=(6831 6832)
    ;;
  v1)
    module_version=v1.42.0
    bin=$cache_dir/$module_version/all-in-one
    tcp_ports=(4317 4318 14268 14250 9411 16686 16685 5778 14269)
    udp_ports=(6831 6832 5775)
    ;;
  *)
    echo "jaeger: JAEGER_VERSION=$version_kind: want v2 or v1" >&2
    usage
    exit 2
    ;;
esac
case "$sampling_kind" in
  file | adaptive) ;;
  *)
    echo "jaeger: JAEGER_SAMPLING=$sampling_kind: want file or adaptive" >&2
    usage
    exit 2
    ;;
esac

# running: the pid file names a live process running the binary we started.
running() {
  [ -f "$pid_file" ] || return 1
  local pid cmd
  pid=$(cat "$pid_file")
  kill -0 "$pid" 2>/dev/null || return 1
  [ -f "$cmd_file" ] || return 1
  if [ -r "/proc/$pid/cmdline" ]; then
    cmd=$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n 1)
  else
    cmd=$(ps -o args= -p "$pid" | awk '{print $1}')
  fi
  [ "$cmd" = "$(cat "$cmd_file")" ]
}

# alive: pid is a live process, not a zombie. start checks its own child so,
# since the child runs bash, then nohup, then Jaeger, before it is Jaeger.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [ ! -r "/proc/$1/stat" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat")" != Z ]
}

# http_get prints the reply to GET path on 127.0.0.1:port, with bash alone
# (no curl on a bare machine).
http_get() {
  # shellcheck disable=SC2016 # the inner bash expands $1 and $2
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3 && cat <&3' _ "$1" "$2" 2>/dev/null
}

healthy() {
  local reply
  case "$(cat "$version_file" 2>/dev/null || echo "$version_kind")" in
    v1)
      reply=$(http_get 14269 /) || return 1
      [[ $reply == *"Server available"* ]]
      ;;
    v2)
      reply=$(http_get 13133 /status) || return 1
      [[ $reply == "HTTP/1."?" 200"* && $reply == *'"healthy":true'* ]]
      ;;
  esac
}

# holder prints what listens on port (tcp or udp), on any address, and
# fails when nothing does.
holder() {
  local proto=$1 port=$2 out hex
  if command -v ss >/dev/null; then
    # "LISTEN 0 4096 127.0.0.1:4317 0.0.0.0:* users:(("jaeger",pid=9,fd=15))"
    # becomes "127.0.0.1:4317 by jaeger (pid=9,fd=15)"; ss shows only our
    # own processes unless we are root.
    out=$(ss -H -l -n -p "--$proto" "sport = :$port" 2>/dev/null | awk '{
      who = "a process ss cannot name (another user'\''s?)"
      for (i = 6; i <= NF; i++) if ($i ~ /^users:/) who = $i
      gsub(/^users:\(\(|\)\)$/, "", who); gsub(/\),\(/, "; ", who)
      sub(/^"/, "", who); sub(/",/, " (", who); if (who ~ /pid=/) who = who ")"
      printf "%s%s by %s", (NR > 1 ? ", " : ""), $4, who
    }')
    [ -n "$out" ] && { echo "$out"; return 0; }
    return 1
  fi
  if [ -r "/proc/net/$proto" ]; then
    hex=$(printf ':%04X' "$port")
    # LISTEN (0A) for tcp, any bound socket for udp.
    if awk -v p="$hex" -v tcp="$([ "$proto" = tcp ] && echo 1)" \
      'NR > 1 && substr($2, length($2) - 4) == p && (!tcp || $4 == "0A") { found = 1 } END { exit !found }' \
      "/proc/net/$proto" "/proc/net/${proto}6" 2>/dev/null; then
      echo "a socket (install iproute2 for ss to see which process)"
      return 0
    fi
    return 1
  fi
  # shellcheck disable=SC2016 # the inner bash expands $1
  if [ "$proto" = tcp ] && timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$port" 2>/dev/null; then
    echo "something that accepts connections"
    return 0
  fi
  return 1
}

# check_ports_free fails naming every port of ours that something holds.
check_ports_free() {
  local port what busy=0
  for port in "${tcp_ports[@]}"; do
    if what=$(holder tcp "$port"); then
      echo "jaeger: TCP port $port is taken: $what" >&2
      busy=1
    fi
  done
  for port in "${udp_ports[@]}"; do
    if what=$(holder udp "$port"); then
      echo "jaeger: UDP port $port is taken: $what" >&2
      busy=1
    fi
  done
  if [ "$busy" = 1 ]; then
    echo "jaeger: not starting $version_kind: end what holds those ports (another Jaeger? see JAEGER_RUN_DIR in $0)" >&2
    return 1
  fi
}

# check_ports_ours fails naming each port our process does not listen on (with
# ss, which names the process; without it, each port must at least be taken).
check_ports_ours() {
  local pid=$1 entry proto port what missing=0
  for entry in "${tcp_ports[@]/#/tcp:}" "${udp_ports[@]/#/udp:}"; do
    proto=${entry%%:*} port=${entry#*:}
    if ! what=$(holder "$proto" "$port"); then
      echo "jaeger: nothing listens on $proto port $port" >&2
      missing=1
    elif command -v ss >/dev/null && [[ $what != *"pid=$pid,"* ]]; then
      echo "jaeger: $proto port $port is held by another process: $what" >&2
      missing=1
    fi
  done
  return "$missing"
}

# copy_replaces copies the replace directives of module@version's go.mod into
# the go.mod in the current directory (go install refuses such modules; a
# scratch module that requires them must say the same replaces to build the
# same program).
copy_replaces() {
  local gomod old new
  gomod=$(go mod download -json "$1" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  awk '
    /^replace[[:space:]]*\(/ { block = 1; next }
    block && /^\)/ { block = 0; next }
    block { print; next }
    /^replace[[:space:]]/ { sub(/^replace[[:space:]]+/, ""); print }
  ' "$gomod" | sed 's://.*$::' | while read -r line; do
    [ -z "$line" ] && continue
    old=$(echo "$line" | sed 's/[[:space:]]*=>.*//' | tr -s ' ' '@')
    new=$(echo "$line" | sed 's/.*=>[[:space:]]*//' | tr -s ' ' '@')
    case "$new" in
      .* | /*) echo "jaeger: skipping the local replace $line" >&2; continue ;;
    esac
    go mod edit -replace="$old=$new"
  done
}

install() {
  if [ -x "$bin" ] && go version -m "$bin" 2>/dev/null | grep -Eq "jaegertracing/jaeger[[:space:]]+$module_version([[:space:]]|$)"; then
    return 0
  fi
  local dir tmp start=$SECONDS
  dir=$(dirname "$bin")
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/build.XXXXXX")
  # shellcheck disable=SC2064 # expand $tmp now: it is local
  trap "rm -rf '$tmp'" EXIT # a failed build leaves nothing half-made
  # GOWORK=off: the repository's go.work is no business of this build.
  case "$version_kind" in
    v1)
      echo "jaeger: installing all-in-one $module_version into $dir with go install (2 to 3 minutes)"
      GOWORK=off GOFLAGS=-buildvcs=false GOBIN=$tmp go install "github.com/jaegertracing/jaeger/cmd/all-in-one@$module_version"
      mv "$tmp/all-in-one" "$bin"
      ;;
    v2)
      echo "jaeger: building Jaeger v2 (module $module_version) into $dir in a scratch module (8 to 13 minutes)"
      (
        cd "$tmp"
        export GOWORK=off GOFLAGS=-buildvcs=false
        go mod init traceplug-jaeger-build >/dev/null 2>&1
        copy_replaces "github.com/jaegertracing/jaeger@$module_version"
        if ! go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$module_version" >get.log 2>&1; then
          cat get.log >&2
          exit 1
        fi
        go build -o jaeger github.com/jaegertracing/jaeger/cmd/jaeger
      )
      mv "$tmp/jaeger" "$bin"
      ;;
  esac
  rm -rf "$tmp"
  echo "jaeger: installed $bin in $((SECONDS - start))s"
}

start() {
  mkdir -p "$run_dir"
  if [ ! -O "$run_dir" ]; then
    echo "jaeger: $run_dir belongs to someone else; set JAEGER_RUN_DIR" >&2
    return 1
  fi
  chmod 700 "$run_dir"
  if running; then
    local other other_sampling
    other=$(cat "$version_file" 2>/dev/null || echo unknown)
    other_sampling=$(cat "$sampling_file" 2>/dev/null || echo unknown)
    if [ "$other" != "$version_kind" ] || [ "$other_sampling" != "$sampling_kind" ]; then
      echo "jaeger: $other is running with $other_sampling sampling (pid $(cat "$pid_file")), not $version_kind with $sampling_kind; stop it first: $0 stop" >&2
      return 1
    fi
    echo "jaeger: $version_kind already running (pid $(cat "$pid_file"))"
    return 0
  fi
  rm -f "$pid_file" "$cmd_file" "$version_file" "$sampling_file"
  if [ "$sampling_kind" = file ] && [ ! -r "$strategies_src" ]; then
    echo "jaeger: JAEGER_SAMPLING_STRATEGIES=$strategies_src: no such readable file" >&2
    return 1
  fi
  check_ports_free # before a build of minutes, and again after it
  install
  check_ports_free
  if [ "$sampling_kind" = file ]; then
    # A fresh copy at every start: what a test wrote last time is gone.
    cp "$strategies_src" "$live_strategies.tmp"
    mv "$live_strategies.tmp" "$live_strategies"
  else
    rm -f "$live_strategies"
  fi
  local args
  case "$version_kind" in
    v1)
      args=(
        --memory.max-traces=100000
        --admin.http.host-port=127.0.0.1:14269
        --collector.http-server.host-port=127.0.0.1:14268
        --collector.grpc-server.host-port=127.0.0.1:14250
        --collector.zipkin.host-port=127.0.0.1:9411
        --collector.otlp.enabled=true
        --collector.otlp.grpc.host-port=127.0.0.1:4317
        --collector.otlp.http.host-port=127.0.0.1:4318
        --processor.jaeger-compact.server-host-port=127.0.0.1:6831
        --processor.jaeger-binary.server-host-port=127.0.0.1:6832
        --processor.zipkin-compact.server-host-port=127.0.0.1:5775
        --http-server.host-port=127.0.0.1:5778
        --reporter.grpc.host-port=127.0.0.1:14250
        --query.http-server.host-port=127.0.0.1:16686
        --query.grpc-server.host-port=127.0.0.1:16685
      )
      export SPAN_STORAGE_TYPE=memory
      if [ "$sampling_kind" = file ]; then
        args+=(
          --sampling.strategies-file="$live_strategies"
          --sampling.strategies-reload-interval=1s
        )
      else
        # The settings of scripts/jaeger-v2-adaptive.yaml, as v1's flags.
        export SAMPLING_CONFIG_TYPE=adaptive SAMPLING_STORAGE_TYPE=memory
        args+=(
          --sampling.calculation-interval=1s
          --sampling.delay=2s
          --sampling.aggregation-buckets=10
          --sampling.buckets-for-calculation=1
          --sampling.initial-sampling-probability=0.1
          --sampling.target-samples-per-second=5
          --sampling.delta-tolerance=0.3
          --sampling.leader-lease-refresh-interval=1s
        )
      fi
      ;;
    v2)
      # The base, then what differs by sampling (its remote_sampling
      # provider, and for adaptive a processor in the traces pipeline).
      args=(--config "$script_dir/jaeger-v2.yaml" --config "$script_dir/jaeger-v2-$sampling_kind.yaml")
      export JAEGER_LIVE_STRATEGIES=$live_strategies # read by jaeger-v2-file.yaml
      ;;
  esac
  echo "$version_kind" >"$version_file"
  echo "$sampling_kind" >"$sampling_file"
  echo "$bin" >"$cmd_file"
  nohup "$bin" "${args[@]}" >"$log_file" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$pid_file"
  for _ in $(seq 1 150); do
    if ! alive "$pid"; then
      echo "jaeger: $version_kind exited during start; its log ($log_file):" >&2
      tail -n 30 "$log_file" >&2
      rm -f "$pid_file" "$cmd_file" "$version_file" "$sampling_file"
      return 1
    fi
    if healthy; then
      # A healthy answer may come from someone else's Jaeger: ours must be
      # alive and hold every port.
      sleep 0.5
      if running && check_ports_ours "$pid"; then
        echo "jaeger: $version_kind running (pid $pid, $bin), $(describe_sampling); query API at http://127.0.0.1:16686/api/, log $log_file"
        return 0
      fi
      echo "jaeger: $version_kind answered its health check but is not serving every port; its log ($log_file):" >&2
      tail -n 30 "$log_file" >&2
      stop >&2
      return 1
    fi
    sleep 0.2
  done
  echo "jaeger: $version_kind not healthy after 30s; its log ($log_file):" >&2
  tail -n 30 "$log_file" >&2
  stop >&2
  return 1
}

stop() {
  if ! running; then
    rm -f "$pid_file" "$cmd_file" "$version_file" "$sampling_file"
    echo "jaeger: not running (run dir $run_dir)"
    return 0
  fi
  local pid version
  pid=$(cat "$pid_file")
  version=$(cat "$version_file" 2>/dev/null || echo "")
  kill "$pid"
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pid_file" "$cmd_file" "$version_file" "$sampling_file"
  echo "jaeger: $version stopped (pid $pid)"
}

# describe_sampling says how the running (or starting) Jaeger samples.
describe_sampling() {
  if [ "$(cat "$sampling_file" 2>/dev/null)" = adaptive ]; then
    echo "adaptive sampling"
  else
    echo "sampling strategies from $live_strategies (reloaded every second)"
  fi
}

status() {
  if running && healthy; then
    echo "jaeger: $(cat "$version_file") running (pid $(cat "$pid_file"), $(cat "$cmd_file")), $(describe_sampling); query API at http://127.0.0.1:16686/api/"
  elif running; then
    echo "jaeger: $(cat "$version_file") running (pid $(cat "$pid_file")) but not healthy; log $log_file"
    return 1
  else
    echo "jaeger: not running (run dir $run_dir)"
    return 1
  fi
}

# strategies prints the path of the strategies file the running Jaeger
# reloads.
strategies() {
  if ! running; then
    echo "jaeger: not running (run dir $run_dir)" >&2
    return 1
  fi
  if [ "$(cat "$sampling_file" 2>/dev/null)" != file ]; then
    echo "jaeger: $(cat "$version_file") runs $(cat "$sampling_file" 2>/dev/null || echo unknown) sampling, from no strategies file" >&2
    return 1
  fi
  echo "$live_strategies"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  install) install ;;
  strategies) strategies ;;
  -h | --help | help) usage ;;
  *) usage; exit 2 ;;
esac
