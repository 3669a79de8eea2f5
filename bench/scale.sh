#!/usr/bin/env bash
# Many clients on one server: N real mTLS pipes from one load JVM (from several 127.0.0.x source addresses)
# against one server JVM, everything on this machine.
#
#   bench/scale.sh                 # 10,000 pipes
#   CLIENTS=2000 bench/scale.sh
#   BASELINE_JAR=/tmp/old/restpipe.jar bench/scale.sh   # then the same with an older build's server
#
# The load tool is restpipe-bench's in every run; with BASELINE_JAR only the server JVM changes, and the baseline is
# measured after the new build (its own PKI, ports and load JVM), or before it with BASELINE_FIRST=1: run both orders
# to tell a difference from the order's own effect.
#
# Prints: time until all N are connected from a cold start, server RSS and heap per pipe, calls at a fixed rate
# to random clients through the server gateway (p50/p99, measured by the load tool per request) and the server's CPU
# time over those calls and their warm-up, a burst of
# BURST calls at once and one of PIPELINED_BURST pipelined calls (each must end answered or refused with 503, none
# hung), and time until all N are back
# after the server is killed (-9) and restarted.
set -euo pipefail
cd "$(dirname "$0")"
source ./lib.sh

CLIENTS=${CLIENTS:-10000}
RATE=${RATE:-1000}
CALL_SECONDS=${CALL_SECONDS:-10}
# Concurrent calls in one burst. Each needs its own connection to the server gateway (HTTP/1.1, one call at a
# time), so 10,000 pipes + 20,000 calls would be 30,000 sockets in the server process: past this machine's hard
# limit of 20,000 open files per process, which an unprivileged container cannot raise. The default stays below.
BURST=${BURST:-8000}
# The same at the full 20,000 (21,000) calls, within that limit: 3 calls written at once on each of 7,000 connections
# (HTTP/1.1 pipelining). The gateway answers a connection's calls in turn, so up to 7,000 are in progress at a time
# and the rest wait in their connections: every one must still end answered or refused, none hung.
PIPELINED_BURST=${PIPELINED_BURST:-21000}
PIPELINE_DEPTH=${PIPELINE_DEPTH:-3}
need curl curl jstat openjdk-17-jdk-headless
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((CLIENTS + 1000)) ]; then
  echo "bench: ulimit -n is $(ulimit -n), too low for $CLIENTS pipes" >&2
  exit 1
fi
JAR=$(restpipe_jar)
BENCH_JAR=$(bench_jar)
BASELINE=${BASELINE_JAR:-}
if [ -n "$BASELINE" ]; then
  [ -f "$BASELINE" ] || { echo "bench: BASELINE_JAR=$BASELINE is not a file" >&2; exit 1; }
fi
ROOT=$(mktemp -d /tmp/restpipe-scale.XXXXXX)
trap 'bench_cleanup; rm -rf "$ROOT"' EXIT

start_server() {
  start_bg java $RESTPIPE_JVM -Xmx1g ${JAVA_OPTS:-} -jar "$SERVER_JAR" server --pipe-listen "127.0.0.1:$PIPE_PORT" --http "127.0.0.1:$SERVER_HTTP" \
    --cert "$WORK/pki/server.crt.pem" --key "$WORK/pki/server.key.pem" --ca "$WORK/pki/ca.crt.pem" \
    --max-pipes $((CLIENTS * 2)) >>"$WORK/server.log" 2>&1
  SERVER_PID=$LAST_PID
  wait_port "$SERVER_HTTP"
}

# Waits (bounded by SECONDS) for a line matching PATTERN in the load tool's output and prints it.
await_line() {
  local pattern=$1 limit=$2
  for _ in $(seq 1 $((limit * 10))); do
    if grep -q "$pattern" "$WORK/load.out"; then
      grep "$pattern" "$WORK/load.out" | tail -1
      return 0
    fi
    sleep 0.1
  done
  echo "bench: no '$pattern' within $limit s; load tool said:" >&2
  cat "$WORK/load.out" >&2
  return 1
}

# The CPU time a process has used, in clock ticks (100 a second on Linux).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
heap_kib() { jstat -gc "$1" | awk 'NR == 2 { printf "%.0f", $3 + $4 + $6 + $8 }'; }

# One whole measurement against a server of SERVER_JAR, in WORK: measure JAR LABEL
measure() {
  SERVER_JAR=$1
  WORK="$ROOT/$2"
  mkdir -p "$WORK"
  make_pki "$SERVER_JAR" "$WORK/pki" unused
  PIPE_PORT=$(free_port); SERVER_HTTP=$(free_port)
  start_server
  sleep 2
  BASE_RSS=$(rss_kib "$SERVER_PID"); BASE_HEAP=$(heap_kib "$SERVER_PID")
  # The load JVM stands in for 10,000 client machines, and shares this machine's 2 cores with the server it
  # measures. Its C2 compiler, recompiling the paths each new phase exercises (the cold start, and the first
  # reconnects after the kill), took 2-3 CPU-s away from the server exactly when it was being timed, and made the
  # cold start take 20-24 s instead of ~13. C1 alone compiles the tool's code once, quickly; the tool's event loops
  # spend about the same CPU (5.3-5.5 CPU-s per restart). LOAD_JVM overrides.
  LOAD_JVM=${LOAD_JVM:--XX:TieredStopAtLevel=1}
  start_bg java $RESTPIPE_JVM $LOAD_JVM -Xmx2g ${JAVA_OPTS:-} -jar "$BENCH_JAR" load --server "localhost:$PIPE_PORT" --pki "$WORK/pki" --clients "$CLIENTS" \
    --gateway "http://127.0.0.1:$SERVER_HTTP" --rate "$RATE" --duration "${CALL_SECONDS}s" --burst "$BURST" \
    --pipelined-burst "$PIPELINED_BURST" --pipeline-depth "$PIPELINE_DEPTH" \
    >"$WORK/load.out" 2>&1
  LOAD_PID=$LAST_PID
  CONNECTED=$(await_line "all $CLIENTS pipes connected in" 600)
  sleep 1
  RSS=$(rss_kib "$SERVER_PID"); HEAP=$(heap_kib "$SERVER_PID")
  CPU_BEFORE=$(cpu_ticks "$SERVER_PID")
  CALLS=$(await_line "^calls:" $((CALL_SECONDS * 2 + 120)))
  CPU_CALLS=$(( $(cpu_ticks "$SERVER_PID") - CPU_BEFORE ))
  BURST_RESULT=$(await_line "^burst: $BURST calls" 300)
  PIPELINED_RESULT="(no pipelined burst: PIPELINED_BURST=0)"
  if [ "$PIPELINED_BURST" -gt 0 ]; then
    PIPELINED_RESULT=$(await_line "^burst: $PIPELINED_BURST calls" 300)
  fi

  KILLED_MS=$(date +%s%3N)
  kill -9 "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  start_server
  BACK_LINE=$(await_line "all $CLIENTS pipes connected again" 300)
  BACK_MS=$(sed -n 's/.*(at epoch ms \([0-9]*\)).*/\1/p' <<<"$BACK_LINE")
  BACK=$(awk -v b="$BACK_MS" -v k="$KILLED_MS" 'BEGIN { printf "all %s pipes connected again %.1f s after the kill", '"$CLIENTS"', (b - k) / 1000 }')

  printf '\n%s pipes on one server (%s), 127.0.0.1, both JVMs on this machine\n' "$CLIENTS" "$SERVER_JAR"
  echo "cold start:   $CONNECTED   (target: 10,000 within 30 s)"
  awk -v r="$RSS" -v b="$BASE_RSS" -v h="$HEAP" -v bh="$BASE_HEAP" -v n="$CLIENTS" 'BEGIN {
    printf "server memory: RSS %.0f MiB (%.1f KiB per pipe over the idle server), heap used %.0f MiB (%.1f KiB per pipe)   (target: <= 100 KiB per pipe)\n", r / 1024, (r - b) / n, h / 1024, (h - bh) / n
  }'
  echo "$CALLS   (target: p99 <= 10 ms at 1,000/s)"
  awk -v t="$CPU_CALLS" -v s="$CALL_SECONDS" 'BEGIN { printf "server CPU over the warm-up and the measured calls (%d s): %.2f s\n", 2 * s, t / 100 }'
  echo "$BURST_RESULT   (target: none hung)"
  echo "$PIPELINED_RESULT   (target: 20,000 at once, none hung)"
  echo "after kill -9 and restart: $BACK   (target: within 10 s)"
  stop_bg "$SERVER_PID" "$LOAD_PID"
}

if [ -n "$BASELINE" ] && [ -n "${BASELINE_FIRST:-}" ]; then
  measure "$BASELINE" baseline
  measure "$JAR" new
else
  measure "$JAR" new
  if [ -n "$BASELINE" ]; then
    measure "$BASELINE" baseline
  fi
fi
