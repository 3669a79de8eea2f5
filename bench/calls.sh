#!/usr/bin/env bash
# Small calls: nginx direct vs ssh -L vs RestPipe, side by side in one run, everything on 127.0.0.1.
#
#   bench/calls.sh                 # 10 s per measurement
#   SECONDS_PER_RUN=5 bench/calls.sh
#
# Rows: nginx answering /time with a tiny JSON; the same nginx through an ssh -L tunnel (private sshd on
# loopback); RestPipe as two JVMs (caller -> client gateway -> pipe -> server), once with the built-in `time`
# handler and once with --forward to the same nginx. For each: wrk -t2 -c64 req/s with p50/p99, and one
# sequential caller (wrk -t1 -c1) with p50/p99/p99.9. All percentiles are wrk's own (--latency), which
# include wrk's coordinated-omission correction.
set -euo pipefail
cd "$(dirname "$0")"
source ./lib.sh

RUN=${SECONDS_PER_RUN:-10}
need wrk wrk nginx nginx sshd openssh-server ssh openssh-client curl curl
[ -x /usr/sbin/nginx ] || need /usr/sbin/nginx nginx
JAR=$(restpipe_jar)
WORK=$(mktemp -d /tmp/restpipe-calls.XXXXXX)
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/logs"

start_nginx "$WORK" 'keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location = /time { default_type application/json; return 200 '"'"'{"time_from_server": 1402897823.882672}'"'"'; }
  }'

make_pki "$JAR" "$WORK/pki" bench
PIPE_PORT=$(free_port); SERVER_HTTP=$(free_port); CLIENT_HTTP=$(free_port)
start_bg java -jar "$JAR" server --pipe-listen "127.0.0.1:$PIPE_PORT" --http "127.0.0.1:$SERVER_HTTP" \
  --cert "$WORK/pki/server.crt.pem" --key "$WORK/pki/server.key.pem" --ca "$WORK/pki/ca.crt.pem" \
  --forward "http://127.0.0.1:$NGINX_PORT" >"$WORK/logs/server.out" 2>&1
start_bg java -jar "$JAR" client --server "localhost:$PIPE_PORT" --http "127.0.0.1:$CLIENT_HTTP" \
  --cert "$WORK/pki/bench.crt.pem" --key "$WORK/pki/bench.key.pem" --ca "$WORK/pki/ca.crt.pem" \
  >"$WORK/logs/client.out" 2>&1
wait_port "$CLIENT_HTTP"
wait_pipe_up "$CLIENT_HTTP"

ssh_tunnel "$WORK" "$NGINX_PORT"

# measure URL -> "req/s p50 p99 | seq-req/s seq-p50 seq-p99 seq-p99.9" (latencies in ms)
to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; printf "%.3f", v }'; }
pct() { grep -E "^ +$1%" "$2" | awk '{print $2}' | to_ms; }
measure() {
  local url=$1 out="$WORK/wrk.out"
  wrk -t2 -c64 -d"$RUN"s --latency "$url" > "$out"
  local rps p50 p99; rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$out"); p50=$(pct 50 "$out"); p99=$(pct 99 "$out")
  wrk -t1 -c1 -d"$RUN"s --latency -s /dev/stdin "$url" > "$out" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("seq %.0f %.3f %.3f %.3f\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000))
end
LUA
  local seq; seq=$(grep '^seq ' "$out" | cut -d' ' -f2-)
  echo "$rps $p50 $p99 $seq"
}

echo "bench: warming up" >&2
wrk -t2 -c64 -d"$RUN"s "http://127.0.0.1:$CLIENT_HTTP/server/time" >/dev/null
wrk -t2 -c64 -d"$RUN"s "http://127.0.0.1:$CLIENT_HTTP/server/forwarded/time" >/dev/null 2>&1 || true

echo "bench: measuring" >&2
read -r D1 D2 D3 D4 D5 D6 D7 <<<"$(measure "http://127.0.0.1:$NGINX_PORT/time")"
read -r S1 S2 S3 S4 S5 S6 S7 <<<"$(measure "http://127.0.0.1:$SSH_LOCAL/time")"
read -r R1 R2 R3 R4 R5 R6 R7 <<<"$(measure "http://127.0.0.1:$CLIENT_HTTP/server/time")"
# No handler takes the noun "forward-time", so the server replays it to nginx; nginx's location is /time.
sed -i "s|location = /time|location ~ ^/(time\|forward-time)\$|" "$WORK/nginx.conf" && kill -HUP "$(cat "$WORK/nginx.pid")"
sleep 0.5
read -r F1 F2 F3 F4 F5 F6 F7 <<<"$(measure "http://127.0.0.1:$CLIENT_HTTP/server/forward-time")"

printf '\nsmall calls on 127.0.0.1, %s s per run; latencies in ms (wrk --latency percentiles)\n' "$RUN"
printf '%-30s %9s %7s %7s | %9s %7s %7s %7s\n' path "req/s@64" p50 p99 "req/s@1" p50 p99 p99.9
row() { printf '%-30s %9s %7s %7s | %9s %7s %7s %7s\n' "$@"; }
row "nginx direct" "$D1" "$D2" "$D3" "$D4" "$D5" "$D6" "$D7"
row "ssh -L" "$S1" "$S2" "$S3" "$S4" "$S5" "$S6" "$S7"
row "restpipe, time handler" "$R1" "$R2" "$R3" "$R4" "$R5" "$R6" "$R7"
row "restpipe, --forward nginx" "$F1" "$F2" "$F3" "$F4" "$F5" "$F6" "$F7"
awk -v r="$R1" -v s="$S1" -v d="$D1" -v rp="$R5" -v sp="$S5" -v r99="$R6" -v rmax="$R3" 'BEGIN {
  printf "restpipe/ssh req/s@64: %.2fx (target >= 1.50x); restpipe/direct: %.2fx\n", r / s, r / d
  printf "sequential p50: restpipe %.3f ms vs ssh %.3f ms (target: <=); restpipe p99 %.3f ms = %.1fx its p50 (target <= 2x)\n", rp, sp, r99, r99 / rp
}'
