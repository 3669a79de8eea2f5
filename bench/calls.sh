#!/usr/bin/env bash
# Small calls: nginx direct vs ssh -L vs RestPipe, side by side in one run, everything on 127.0.0.1.
#
#   bench/calls.sh                 # 10 s per measurement
#   SECONDS_PER_RUN=5 bench/calls.sh
#
# Rows: nginx answering /time with a tiny JSON; the same nginx through an ssh -L tunnel (private sshd on
# loopback); RestPipe as two JVMs (caller -> client gateway -> pipe -> server), once with the built-in `time`
# handler and once with --forward to the same nginx. For each: wrk -t2 -c64 req/s with p50/p99/max (wrk's own
# --latency figures), and one sequential caller (wrk -t1 -c1) whose p50/p99/p99.9 are computed from the raw time
# of every request (bench/raw-latency.lua), not from wrk's histogram.
# The JVMs are warmed up first (WARM_SECONDS, default 30): their JIT needs that long on 2 busy cores.
set -euo pipefail
cd "$(dirname "$0")"
source ./lib.sh

RUN=${SECONDS_PER_RUN:-10}
WARM=${WARM_SECONDS:-30}
need wrk wrk nginx nginx sshd openssh-server ssh openssh-client curl curl
[ -x /usr/sbin/nginx ] || need /usr/sbin/nginx nginx
JAR=$(restpipe_jar)
WORK=$(mktemp -d /tmp/restpipe-calls.XXXXXX)
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/logs"

start_nginx "$WORK" 'keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location ~ ^/(time|forward-time)$ { default_type application/json; return 200 '"'"'{"time_from_server": 1402897823.882672}'"'"'; }
  }'

make_pki "$JAR" "$WORK/pki" bench
PIPE_PORT=$(free_port); SERVER_HTTP=$(free_port); CLIENT_HTTP=$(free_port)
start_bg java $RESTPIPE_JVM ${JAVA_OPTS:-} -jar "$JAR" server --pipe-listen "127.0.0.1:$PIPE_PORT" --http "127.0.0.1:$SERVER_HTTP" \
  --cert "$WORK/pki/server.crt.pem" --key "$WORK/pki/server.key.pem" --ca "$WORK/pki/ca.crt.pem" \
  --forward "http://127.0.0.1:$NGINX_PORT" >"$WORK/logs/server.out" 2>&1
start_bg java $RESTPIPE_JVM ${JAVA_OPTS:-} -jar "$JAR" client --server "localhost:$PIPE_PORT" --http "127.0.0.1:$CLIENT_HTTP" \
  --cert "$WORK/pki/bench.crt.pem" --key "$WORK/pki/bench.key.pem" --ca "$WORK/pki/ca.crt.pem" \
  >"$WORK/logs/client.out" 2>&1
wait_port "$CLIENT_HTTP"
wait_pipe_up "$CLIENT_HTTP"

ssh_tunnel "$WORK" "$NGINX_PORT"

# measure URL -> "req/s p50 p99 max seq-req/s seq-p50 seq-p99 seq-p99.9" (latencies in ms)
to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; printf "%.3f", v }'; }
pct() { grep -E "^ +$1%" "$2" | awk '{print $2}' | to_ms; }
measure() {
  local url=$1 out="$WORK/wrk.out"
  wrk -t2 -c64 -d"$RUN"s --latency "$url" > "$out"
  local rps p50 p99 max; rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$out"); p50=$(pct 50 "$out"); p99=$(pct 99 "$out")
  max=$(awk '$1 == "Latency" && NF >= 5 {print $4; exit}' "$out" | to_ms)
  wrk -t1 -c1 -d"$RUN"s -s ./raw-latency.lua "$url" > "$out"
  local seq; seq=$(grep '^seq ' "$out" | cut -d' ' -f2-5)
  echo "$rps $p50 $p99 $max $seq"
}

echo "bench: warming up the JVMs for $WARM s" >&2
wrk -t2 -c64 -d"$((WARM * 2 / 3))"s "http://127.0.0.1:$CLIENT_HTTP/server/time" >/dev/null
wrk -t2 -c64 -d"$((WARM / 3))"s "http://127.0.0.1:$CLIENT_HTTP/server/forward-time" >/dev/null

echo "bench: measuring" >&2
read -r D1 D2 D3 D4 D5 D6 D7 D8 <<<"$(measure "http://127.0.0.1:$NGINX_PORT/time")"
read -r S1 S2 S3 S4 S5 S6 S7 S8 <<<"$(measure "http://127.0.0.1:$SSH_LOCAL/time")"
read -r R1 R2 R3 R4 R5 R6 R7 R8 <<<"$(measure "http://127.0.0.1:$CLIENT_HTTP/server/time")"
# No handler takes the noun "forward-time", so the server replays it to nginx.
read -r F1 F2 F3 F4 F5 F6 F7 F8 <<<"$(measure "http://127.0.0.1:$CLIENT_HTTP/server/forward-time")"

printf '\nsmall calls on 127.0.0.1, %s s per run; latencies in ms\n' "$RUN"
printf '%-27s %-33s | %s\n' "" "64 callers (wrk --latency)" "1 caller (raw per-request times)"
printf '%-27s %9s %7s %7s %7s | %8s %7s %7s %7s\n' path "req/s" p50 p99 max "req/s" p50 p99 p99.9
row() { printf '%-27s %9s %7s %7s %7s | %8s %7s %7s %7s\n' "$@"; }
row "nginx direct" "$D1" "$D2" "$D3" "$D4" "$D5" "$D6" "$D7" "$D8"
row "ssh -L" "$S1" "$S2" "$S3" "$S4" "$S5" "$S6" "$S7" "$S8"
row "restpipe, time handler" "$R1" "$R2" "$R3" "$R4" "$R5" "$R6" "$R7" "$R8"
row "restpipe, --forward nginx" "$F1" "$F2" "$F3" "$F4" "$F5" "$F6" "$F7" "$F8"
awk -v r="$R1" -v s="$S1" -v d="$D1" -v f="$F1" -v rmax="$R4" -v rp="$R6" -v sp="$S6" -v r99="$R7" \
  -v dp="$D6" -v d99="$D7" -v spp="$S7" 'BEGIN {
  printf "64 callers: restpipe/ssh %.2fx (target >= 1.50x), --forward/ssh %.2fx, restpipe/direct %.2fx; restpipe max %.1f ms (target <= 10)\n", r / s, f / s, r / d, rmax
  printf "1 caller: p50 restpipe %.3f ms vs ssh %.3f ms (target: <=); p99/p50: restpipe %.1fx (target <= 2x), nginx direct %.1fx, ssh %.1fx\n", rp, sp, r99 / rp, d99 / dp, spp / sp
}'
