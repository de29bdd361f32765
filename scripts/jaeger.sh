#!/usr/bin/env bash
# jaeger.sh start|stop|status: a real Jaeger (all-in-one v1.42.0, in-memory
# storage) on 127.0.0.1, for the end-to-end tests and for looking at traces.
#
#   agent (UDP, compact thrift)  127.0.0.1:6831   collector (HTTP)  127.0.0.1:14268
#   Zipkin receiver (HTTP)       127.0.0.1:9411   query and UI      http://127.0.0.1:16686
#   admin and health             127.0.0.1:14269
#
# start installs the binary with `go install` when it is missing (about a minute
# the first time; later v1 releases refuse `go install`, and v2 has no UDP agent),
# starts it, waits for its health endpoint, and records its PID; stop ends that
# process and nothing else.
set -euo pipefail

version=v1.42.0
run_dir=${JAEGER_RUN_DIR:-${TMPDIR:-/tmp}/traceplug-jaeger}
pid_file=$run_dir/jaeger.pid
log_file=$run_dir/jaeger.log
bin=$(go env GOPATH)/bin/all-in-one

running() {
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

# healthy asks the admin endpoint, with bash alone (no curl on a bare machine).
healthy() {
  local reply
  reply=$(timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/14269 && printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3 && cat <&3' 2>/dev/null) || return 1
  [[ $reply == *"Server available"* ]]
}

start() {
  mkdir -p "$run_dir"
  if running; then
    echo "jaeger: already running (pid $(cat "$pid_file"))"
    return 0
  fi
  if [ ! -x "$bin" ] || ! go version -m "$bin" 2>/dev/null | grep -q "jaeger[[:space:]]*$version"; then
    echo "jaeger: installing all-in-one $version with go install (about a minute the first time)"
    GOFLAGS=-buildvcs=false go install "github.com/jaegertracing/jaeger/cmd/all-in-one@$version"
  fi
  SPAN_STORAGE_TYPE=memory nohup "$bin" \
    --memory.max-traces=100000 \
    --admin.http.host-port=127.0.0.1:14269 \
    --collector.http-server.host-port=127.0.0.1:14268 \
    --collector.grpc-server.host-port=127.0.0.1:14250 \
    --collector.zipkin.host-port=127.0.0.1:9411 \
    --collector.otlp.enabled=false \
    --processor.jaeger-compact.server-host-port=127.0.0.1:6831 \
    --processor.jaeger-binary.server-host-port=127.0.0.1:6832 \
    --processor.zipkin-compact.server-host-port=127.0.0.1:5775 \
    --http-server.host-port=127.0.0.1:5778 \
    --reporter.grpc.host-port=127.0.0.1:14250 \
    --query.http-server.host-port=127.0.0.1:16686 \
    --query.grpc-server.host-port=127.0.0.1:16685 \
    >"$log_file" 2>&1 &
  echo $! >"$pid_file"
  for _ in $(seq 1 150); do
    if healthy; then
      echo "jaeger: running (pid $(cat "$pid_file")); UI at http://127.0.0.1:16686"
      return 0
    fi
    if ! running; then
      echo "jaeger: exited during start; its log:" >&2
      tail -n 30 "$log_file" >&2
      rm -f "$pid_file"
      return 1
    fi
    sleep 0.2
  done
  echo "jaeger: not healthy after 30s; its log:" >&2
  tail -n 30 "$log_file" >&2
  stop
  return 1
}

stop() {
  if ! running; then
    rm -f "$pid_file"
    echo "jaeger: not running"
    return 0
  fi
  pid=$(cat "$pid_file")
  kill "$pid"
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pid_file"
  echo "jaeger: stopped (pid $pid)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running && healthy; then echo "jaeger: running (pid $(cat "$pid_file"))"; else echo "jaeger: not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
