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
#
#   BASELINE_JAR=/tmp/old/restpipe.jar bench/calls.sh   # also the RestPipe rows of an older build, and new/baseline
#   TRUST=1 bench/calls.sh         # also the RestPipe rows with gateway tokens and a 20-rule ACL on both sides
#
# With TRUST=1 a second block (same order as the baseline's, below) restarts the same build with --gateway-auth on the
# client's gateway (wrk sends the bearer token) and a 20-rule --acl on both sides, whose one matching allow rule comes
# last, so every call is checked against all 20 rules twice (the caller on the client, the client on the server).
# With BASELINE_JAR the baseline's RestPipe rows are measured in a second block, after the new build's: the new
# build's JVMs are stopped, the baseline's server and client JVMs (same flags, their own PKI made by that jar) are
# started, warmed up the same way, then the nginx direct and ssh -L rows are measured again and after them the
# baseline's RestPipe rows. Not interleaved row by row: on 2 cores that needs either both builds' JVM pairs alive at
# once, where the idle pair's JIT compiler, GC and timers take CPU from the pair being measured, or a restart and a
# full warm-up at every switch. Each block runs the same sequence (start, warm-up, the two other rows while its JVMs
# idle, its RestPipe rows), so neither build is measured with its JIT further behind; the other rows measured in both
# blocks show how much the machine itself moved between them, the noise to read the new/baseline ratios against.
set -euo pipefail
BASELINE=${BASELINE_JAR:-}
if [ -n "$BASELINE" ]; then # resolved before the cd below
  [ -f "$BASELINE" ] || { echo "bench: BASELINE_JAR=$BASELINE is not a file" >&2; exit 1; }
  BASELINE="$(cd "$(dirname "$BASELINE")" && pwd)/$(basename "$BASELINE")"
fi
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

# A RestPipe server and client JVM of JAR on fresh ports, with a PKI made by that jar; sets CLIENT_HTTP, SERVER_PID,
# CLIENT_PID.  start_restpipe JAR SUFFIX (of the PKI directory and the log files: "" or "-baseline")
# SERVER_EXTRA and CLIENT_EXTRA (arrays) add options to the server and the client.
SERVER_EXTRA=(); CLIENT_EXTRA=()
start_restpipe() {
  local jar=$1 pki="$WORK/pki$2" pipe_port server_http
  make_pki "$jar" "$pki" bench
  pipe_port=$(free_port); server_http=$(free_port); CLIENT_HTTP=$(free_port)
  start_bg java $RESTPIPE_JVM ${JAVA_OPTS:-} -jar "$jar" server --pipe-listen "127.0.0.1:$pipe_port" --http "127.0.0.1:$server_http" \
    --cert "$pki/server.crt.pem" --key "$pki/server.key.pem" --ca "$pki/ca.crt.pem" \
    --forward "http://127.0.0.1:$NGINX_PORT" "${SERVER_EXTRA[@]}" >"$WORK/logs/server$2.out" 2>&1
  SERVER_PID=$LAST_PID
  start_bg java $RESTPIPE_JVM ${JAVA_OPTS:-} -jar "$jar" client --server "localhost:$pipe_port" --http "127.0.0.1:$CLIENT_HTTP" \
    --cert "$pki/bench.crt.pem" --key "$pki/bench.key.pem" --ca "$pki/ca.crt.pem" "${CLIENT_EXTRA[@]}" \
    >"$WORK/logs/client$2.out" 2>&1
  CLIENT_PID=$LAST_PID
  wait_port "$CLIENT_HTTP"
  wait_pipe_up "$CLIENT_HTTP"
}
start_restpipe "$JAR" ""

ssh_tunnel "$WORK" "$NGINX_PORT"

# WRK_HEADER (an array: -H "Name: value", or empty) goes with every request wrk sends.
WRK_HEADER=()
# measure URL -> "req/s p50 p99 max seq-req/s seq-p50 seq-p99 seq-p99.9" (latencies in ms)
to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; printf "%.3f", v }'; }
pct() { grep -E "^ +$1%" "$2" | awk '{print $2}' | to_ms; }
measure() {
  local url=$1 out="$WORK/wrk.out"
  wrk -t2 -c64 -d"$RUN"s --latency "${WRK_HEADER[@]}" "$url" > "$out"
  local rps p50 p99 max; rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$out"); p50=$(pct 50 "$out"); p99=$(pct 99 "$out")
  max=$(awk '$1 == "Latency" && NF >= 5 {print $4; exit}' "$out" | to_ms)
  wrk -t1 -c1 -d"$RUN"s -s ./raw-latency.lua "${WRK_HEADER[@]}" "$url" > "$out"
  local seq; seq=$(grep '^seq ' "$out" | cut -d' ' -f2-5)
  echo "$rps $p50 $p99 $max $seq"
}

warm_up() {
  echo "bench: warming up the JVMs for $WARM s" >&2
  wrk -t2 -c64 -d"$((WARM * 2 / 3))"s "${WRK_HEADER[@]}" "http://127.0.0.1:$CLIENT_HTTP/server/time" >/dev/null
  wrk -t2 -c64 -d"$((WARM / 3))"s "${WRK_HEADER[@]}" "http://127.0.0.1:$CLIENT_HTTP/server/forward-time" >/dev/null
}
warm_up

echo "bench: measuring" >&2
D=$(measure "http://127.0.0.1:$NGINX_PORT/time"); read -r D1 D2 D3 D4 D5 D6 D7 D8 <<<"$D"
S=$(measure "http://127.0.0.1:$SSH_LOCAL/time"); read -r S1 S2 S3 S4 S5 S6 S7 S8 <<<"$S"
R=$(measure "http://127.0.0.1:$CLIENT_HTTP/server/time"); read -r R1 R2 R3 R4 R5 R6 R7 R8 <<<"$R"
# No handler takes the noun "forward-time", so the server replays it to nginx.
F=$(measure "http://127.0.0.1:$CLIENT_HTTP/server/forward-time"); read -r F1 F2 F3 F4 F5 F6 F7 F8 <<<"$F"

if [ -n "$BASELINE" ]; then
  # The second block (see the top): the new build's JVMs are gone before the baseline's start.
  stop_bg "$SERVER_PID" "$CLIENT_PID"
  echo "bench: baseline $BASELINE" >&2
  start_restpipe "$BASELINE" -baseline
  warm_up
  echo "bench: measuring (baseline block)" >&2
  D_B=$(measure "http://127.0.0.1:$NGINX_PORT/time")
  S_B=$(measure "http://127.0.0.1:$SSH_LOCAL/time")
  R_B=$(measure "http://127.0.0.1:$CLIENT_HTTP/server/time")
  F_B=$(measure "http://127.0.0.1:$CLIENT_HTTP/server/forward-time")
  stop_bg "$SERVER_PID" "$CLIENT_PID"
fi

if [ -n "${TRUST:-}" ]; then
  # The trust block: the same build with tokens and 20-rule ACLs (see the top).
  stop_bg "$SERVER_PID" "$CLIENT_PID"
  TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "bench $(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)" >"$WORK/gateway-auth"
  # acl FROM TO: 19 rules that never match this load, then the one that allows it; default deny.
  acl() {
    echo 'default = "deny"'
    for i in $(seq 1 19); do
      printf '[[rule]]\nname = "unused %s"\neffect = "deny"\nfrom = ["%s"]\nverbs = ["DELETE"]\nnouns = ["private-%s/**"]\n' \
        "$i" "$1" "$i"
    done
    printf '[[rule]]\nname = "the load"\neffect = "allow"\nfrom = ["%s"]\nto = ["%s"]\nverbs = ["GET"]\nnouns = ["*time"]\n' "$1" "$2"
  }
  acl "caller:bench" "server" >"$WORK/client-acl.toml"
  acl "client:bench" "server" >"$WORK/server-acl.toml"
  SERVER_EXTRA=(--acl "$WORK/server-acl.toml")
  CLIENT_EXTRA=(--acl "$WORK/client-acl.toml" --gateway-auth "$WORK/gateway-auth")
  WRK_HEADER=(-H "Authorization: Bearer $TOKEN")
  echo "bench: tokens and 20-rule ACLs" >&2
  start_restpipe "$JAR" -trust
  warm_up
  echo "bench: measuring (trust block)" >&2
  WRK_HEADER=()
  D_T=$(measure "http://127.0.0.1:$NGINX_PORT/time")
  S_T=$(measure "http://127.0.0.1:$SSH_LOCAL/time")
  WRK_HEADER=(-H "Authorization: Bearer $TOKEN")
  R_T=$(measure "http://127.0.0.1:$CLIENT_HTTP/server/time")
  F_T=$(measure "http://127.0.0.1:$CLIENT_HTTP/server/forward-time")
  # An unauthenticated call must be refused, or the block measured nothing of the checks.
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CLIENT_HTTP/server/time")
  [ "$code" = 401 ] || { echo "bench: a call without the token got $code, not 401" >&2; exit 1; }
  stop_bg "$SERVER_PID" "$CLIENT_PID"
fi

W=27; { [ -n "$BASELINE" ] || [ -n "${TRUST:-}" ]; } && W=36
printf '\nsmall calls on 127.0.0.1, %s s per run; latencies in ms\n' "$RUN"
printf "%-${W}s %-33s | %s\n" "" "64 callers (wrk --latency)" "1 caller (raw per-request times)"
printf "%-${W}s %9s %7s %7s %7s | %8s %7s %7s %7s\n" path "req/s" p50 p99 max "req/s" p50 p99 p99.9
row() { printf "%-${W}s %9s %7s %7s %7s | %8s %7s %7s %7s\n" "$@"; }
row "nginx direct" "$D1" "$D2" "$D3" "$D4" "$D5" "$D6" "$D7" "$D8"
row "ssh -L" "$S1" "$S2" "$S3" "$S4" "$S5" "$S6" "$S7" "$S8"
row "restpipe, time handler" "$R1" "$R2" "$R3" "$R4" "$R5" "$R6" "$R7" "$R8"
row "restpipe, --forward nginx" "$F1" "$F2" "$F3" "$F4" "$F5" "$F6" "$F7" "$F8"
if [ -n "$BASELINE" ]; then
  # shellcheck disable=SC2086 # the 8 figures of a row
  row "restpipe (baseline), time handler" $R_B
  # shellcheck disable=SC2086
  row "restpipe (baseline), --forward nginx" $F_B
fi
if [ -n "${TRUST:-}" ]; then
  # shellcheck disable=SC2086 # the 8 figures of a row
  row "restpipe (tokens+ACL), time handler" $R_T
  # shellcheck disable=SC2086
  row "restpipe (tokens+ACL), --forward" $F_T
fi
awk -v r="$R1" -v s="$S1" -v d="$D1" -v f="$F1" -v rmax="$R4" -v rp="$R6" -v sp="$S6" -v r99="$R7" \
  -v dp="$D6" -v d99="$D7" -v spp="$S7" 'BEGIN {
  printf "64 callers: restpipe/ssh %.2fx (target >= 1.50x), --forward/ssh %.2fx, restpipe/direct %.2fx; restpipe max %.1f ms (target <= 10)\n", r / s, f / s, r / d, rmax
  printf "1 caller: p50 restpipe %.3f ms vs ssh %.3f ms (target: <=); p99/p50: restpipe %.1fx (target <= 2x), nginx direct %.1fx, ssh %.1fx\n", rp, sp, r99 / rp, d99 / dp, spp / sp
}'
# ratios LABEL "8 figures of a row in the first block" "the same 8 in the second": req/s, p50, p99 at each load.
ratios() {
  awk -v l="$1" -v a="$2" -v b="$3" 'function r(x, y) { return y > 0 ? sprintf("%.2fx", x / y) : "-" }
  BEGIN { split(a, x, " "); split(b, y, " ")
    printf "  %-17s 64 callers: req/s %s, p50 %s, p99 %s | 1 caller: req/s %s, p50 %s, p99 %s\n", l,
      r(x[1], y[1]), r(x[2], y[2]), r(x[3], y[3]), r(x[5], y[5]), r(x[6], y[6]), r(x[7], y[7]) }'
}
if [ -n "${TRUST:-}" ]; then
  echo
  echo "tokens+ACL / plain (req/s below 1 and latencies above 1: the checks cost):"
  ratios "time handler" "$R_T" "$R"
  ratios "--forward nginx" "$F_T" "$F"
  echo "noise: the same rows measured in the trust block / in the plain one:"
  ratios "nginx direct" "$D_T" "$D"
  ratios "ssh -L" "$S_T" "$S"
fi
if [ -n "$BASELINE" ]; then
  printf '\nnew: %s\nbaseline: %s (its own JVMs, measured after the new build'"'"'s were stopped)\n' "$JAR" "$BASELINE"
  echo "new / baseline (req/s above 1 and latencies below 1: the new build is faster):"
  ratios "time handler" "$R" "$R_B"
  ratios "--forward nginx" "$F" "$F_B"
  echo "noise: the same rows measured in the new build's block / in the baseline's (1.00x = the machine did not move):"
  ratios "nginx direct" "$D" "$D_B"
  ratios "ssh -L" "$S" "$S_B"
fi
