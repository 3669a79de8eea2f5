#!/usr/bin/env bash
# Bulk transfer through RestPipe vs an SSH tunnel vs nginx directly, in one run, on 127.0.0.1. A fourth row, two
# plain socat relays with no encryption, is the floor of the tunnel's shape: three loopback connections in a row.
#
#   bench/bulk.sh              # 1 GiB each way
#   SIZE_MB=256 bench/bulk.sh  # smaller
#   RUNS=5 bench/bulk.sh       # median of 5 timed transfers per figure (default 3)
#
# RestPipe: server and client as separate JVMs with -Xmx128m; the download goes caller -> server gateway ->
# pipe -> client --forward -> nginx, the upload caller -> client gateway -> pipe -> server --forward -> nginx
# (WebDAV PUT). sha256 of what arrives is checked. Peak heap (young + old used, from jstat) of both JVMs.
#
#   BASELINE_JAR=/tmp/old/restpipe.jar bench/bulk.sh   # also the RestPipe row of an older build, and new/baseline
#
# With BASELINE_JAR the baseline's RestPipe row is measured in a second block, after the new build's: the new
# build's JVMs are stopped, the baseline's server and client JVMs (same flags, their own PKI made by that jar) are
# started and warmed up the same way, then the direct, relay and ssh rows are measured again and after them the
# baseline's RestPipe row. Not interleaved transfer by transfer: on 2 cores that needs either both builds' JVM pairs
# alive at once, where the idle pair's JIT compiler, GC and timers take CPU from the pair being measured, or a
# restart and a full warm-up at every switch. Each block runs the same sequence (start, warm-up, the other rows while
# its JVMs idle, its RestPipe row); the other rows measured in both blocks show how much the machine itself moved
# between them, the noise to read the new/baseline ratios against.
set -euo pipefail
BASELINE=${BASELINE_JAR:-}
if [ -n "$BASELINE" ]; then # resolved before the cd below
  [ -f "$BASELINE" ] || { echo "bench: BASELINE_JAR=$BASELINE is not a file" >&2; exit 1; }
  BASELINE="$(cd "$(dirname "$BASELINE")" && pwd)/$(basename "$BASELINE")"
fi
cd "$(dirname "$0")"
source ./lib.sh

SIZE_MB=${SIZE_MB:-1024}
HEAP=${HEAP:-128m}
need nginx nginx sshd openssh-server ssh openssh-client curl curl jstat openjdk-17-jdk-headless socat socat
[ -x /usr/sbin/nginx ] || need /usr/sbin/nginx nginx
JAR=$(restpipe_jar)
WORK=$(mktemp -d /tmp/restpipe-bulk.XXXXXX)
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/www" "$WORK/upload" "$WORK/tmp" "$WORK/logs"

echo "bench: making a ${SIZE_MB} MiB file" >&2
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom > "$WORK/www/data.bin"
SHA=$(sha256sum "$WORK/www/data.bin" | cut -d' ' -f1)

start_nginx "$WORK" 'sendfile on; client_body_temp_path '"$WORK"'/tmp;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root '"$WORK"'/www;
    location /upload/ { root '"$WORK"'; dav_methods PUT; create_full_put_path on; client_max_body_size 0; }
  }'

# Peak heap sampling: jstat every 200 ms (bounded to 30 min), young + old used in KiB.
sample_heap() {
  jstat -gc "$1" 200 9000 2>/dev/null \
    | awk 'NR > 1 { used = $3 + $4 + $6 + $8; if (used > max) max = used; print max; fflush() }' > "$2"
}

# RestPipe: PKI (made by JAR), server and client JVMs of JAR on fresh ports, their heap samplers. Sets SERVER_HTTP,
# CLIENT_HTTP, RESTPIPE_PIDS and SAMPLER_PIDS.  start_restpipe JAR SUFFIX ("" or "-baseline": of the PKI directory,
# the logs and the heap files)
start_restpipe() {
  local jar=$1 pki="$WORK/pki$2" pipe_port server_pid client_pid
  make_pki "$jar" "$pki" bench
  pipe_port=$(free_port); SERVER_HTTP=$(free_port); CLIENT_HTTP=$(free_port)
  start_bg java $RESTPIPE_JVM "-Xmx$HEAP" -jar "$jar" server --pipe-listen "127.0.0.1:$pipe_port" \
    --http "127.0.0.1:$SERVER_HTTP" --cert "$pki/server.crt.pem" --key "$pki/server.key.pem" \
    --ca "$pki/ca.crt.pem" --forward "http://127.0.0.1:$NGINX_PORT" >"$WORK/logs/server$2.out" 2>&1
  server_pid=$LAST_PID
  start_bg java $RESTPIPE_JVM "-Xmx$HEAP" -jar "$jar" client --server "localhost:$pipe_port" \
    --http "127.0.0.1:$CLIENT_HTTP" --cert "$pki/bench.crt.pem" --key "$pki/bench.key.pem" \
    --ca "$pki/ca.crt.pem" --forward "http://127.0.0.1:$NGINX_PORT" >"$WORK/logs/client$2.out" 2>&1
  client_pid=$LAST_PID
  wait_port "$SERVER_HTTP"; wait_port "$CLIENT_HTTP"
  wait_pipe_up "$CLIENT_HTTP"
  RESTPIPE_PIDS=("$server_pid" "$client_pid")
  start_bg sample_heap "$server_pid" "$WORK/server$2.heap"; SAMPLER_PIDS=("$LAST_PID")
  start_bg sample_heap "$client_pid" "$WORK/client$2.heap"; SAMPLER_PIDS+=("$LAST_PID")
}
# The JVMs first; jstat then ends by itself (~0.5 s) and its sampler with it: stopping a sampler while its jstat
# still runs would leave that jstat behind.
stop_restpipe() {
  stop_bg "${RESTPIPE_PIDS[@]}"
  for _ in $(seq 1 50); do kill -0 "${SAMPLER_PIDS[@]}" 2>/dev/null || break; sleep 0.1; done
  stop_bg "${SAMPLER_PIDS[@]}"
}
start_restpipe "$JAR" ""

# SSH tunnel to the same nginx through a private sshd on loopback.
ssh_tunnel "$WORK" "$NGINX_PORT" -c aes128-gcm@openssh.com
# The floor of that shape: two plain relays, no encryption, no framing.
relay_chain "$NGINX_PORT"

# Each figure is the median of RUNS timed transfers (single transfers on this machine spread by +-15%).
RUNS=${RUNS:-3}
median_mbs() { # times in seconds on stdin -> median MB/s
  sort -g | awk -v s="$SIZE_MB" '{ t[NR] = $1 } END { printf "%.0f", s * 1.048576 / t[int((NR + 1) / 2)] }'
}
# download URL -> prints "MB/s ok|BAD": RUNS timed transfers to /dev/null, then one checked by sha256.
download() {
  local mbs got
  mbs=$(for _ in $(seq 1 "$RUNS"); do curl -s --max-time 600 -o /dev/null -w '%{time_total}\n' "$1"; done | median_mbs)
  got=$(curl -s --max-time 600 "$1" | sha256sum | cut -d' ' -f1)
  echo "$mbs $([ "$got" = "$SHA" ] && echo ok || echo BAD)"
}
# upload BASE_URL NAME -> prints "MB/s ok|BAD": RUNS timed PUTs; the last one's stored file is checked by sha256.
upload() {
  local target="$WORK/upload/$2" mbs got
  mbs=$(for _ in $(seq 1 "$RUNS"); do
    rm -f "$target"
    curl -s --max-time 600 -o /dev/null -T "$WORK/www/data.bin" -w '%{time_total}\n' "$1/upload/$2"
  done | median_mbs)
  got=$(sha256sum "$target" 2>/dev/null | cut -d' ' -f1); rm -f "$target"
  echo "$mbs $([ "$got" = "$SHA" ] && echo ok || echo BAD)"
}

# Untimed warm-up: the JVMs need a few GiB through them before the JIT has compiled the hot paths.
WARM_RUNS=$(( (4096 + SIZE_MB - 1) / SIZE_MB ))
warm_up() {
  echo "bench: warming up" >&2
  curl -s --max-time 600 -o /dev/null "http://127.0.0.1:$SSH_LOCAL/data.bin"
  for _ in $(seq 1 "$WARM_RUNS"); do
    curl -s --max-time 600 -o /dev/null "http://127.0.0.1:$SERVER_HTTP/client/bench/data.bin"
    curl -s --max-time 600 -o /dev/null -T "$WORK/www/data.bin" "http://127.0.0.1:$CLIENT_HTTP/server/upload/warm.bin"
  done
}
warm_up
echo "bench: transferring (direct, relays, ssh, restpipe)" >&2
read -r D_DOWN D_DOK <<<"$(download "http://127.0.0.1:$NGINX_PORT/data.bin")"
read -r D_UP D_UOK <<<"$(upload "http://127.0.0.1:$NGINX_PORT" direct.bin)"
read -r P_DOWN P_DOK <<<"$(download "http://127.0.0.1:$RELAY_LOCAL/data.bin")"
read -r P_UP P_UOK <<<"$(upload "http://127.0.0.1:$RELAY_LOCAL" relay.bin)"
read -r S_DOWN S_DOK <<<"$(download "http://127.0.0.1:$SSH_LOCAL/data.bin")"
read -r S_UP S_UOK <<<"$(upload "http://127.0.0.1:$SSH_LOCAL" ssh.bin)"
read -r R_DOWN R_DOK <<<"$(download "http://127.0.0.1:$SERVER_HTTP/client/bench/data.bin")"
read -r R_UP R_UOK <<<"$(upload "http://127.0.0.1:$CLIENT_HTTP/server" pipe.bin)"
sleep 0.5 # one more heap sample after the last transfer

SERVER_HEAP=$(tail -1 "$WORK/server.heap" 2>/dev/null || echo 0)
CLIENT_HEAP=$(tail -1 "$WORK/client.heap" 2>/dev/null || echo 0)

if [ -n "$BASELINE" ]; then
  # The second block (see the top): the new build's JVMs are gone before the baseline's start.
  stop_restpipe
  echo "bench: baseline $BASELINE" >&2
  start_restpipe "$BASELINE" -baseline
  warm_up
  echo "bench: transferring (baseline block: direct, relays, ssh, restpipe)" >&2
  read -r D2_DOWN _ <<<"$(download "http://127.0.0.1:$NGINX_PORT/data.bin")"
  read -r D2_UP _ <<<"$(upload "http://127.0.0.1:$NGINX_PORT" direct.bin)"
  read -r P2_DOWN _ <<<"$(download "http://127.0.0.1:$RELAY_LOCAL/data.bin")"
  read -r P2_UP _ <<<"$(upload "http://127.0.0.1:$RELAY_LOCAL" relay.bin)"
  read -r S2_DOWN _ <<<"$(download "http://127.0.0.1:$SSH_LOCAL/data.bin")"
  read -r S2_UP _ <<<"$(upload "http://127.0.0.1:$SSH_LOCAL" ssh.bin)"
  read -r B_DOWN B_DOK <<<"$(download "http://127.0.0.1:$SERVER_HTTP/client/bench/data.bin")"
  read -r B_UP B_UOK <<<"$(upload "http://127.0.0.1:$CLIENT_HTTP/server" pipe.bin)"
  sleep 0.5
  B_SERVER_HEAP=$(tail -1 "$WORK/server-baseline.heap" 2>/dev/null || echo 0)
  B_CLIENT_HEAP=$(tail -1 "$WORK/client-baseline.heap" 2>/dev/null || echo 0)
  stop_restpipe
fi

printf '\nbulk transfer of %s MiB on 127.0.0.1 (MB/s = 10^6 bytes/s; sha256 checked)\n' "$SIZE_MB"
printf '%-34s %10s %10s %8s\n' path download upload sha256
printf '%-34s %10s %10s %8s\n' "nginx direct" "$D_DOWN" "$D_UP" "$D_DOK/$D_UOK"
printf '%-34s %10s %10s %8s\n' "2 socat relays, no TLS (floor)" "$P_DOWN" "$P_UP" "$P_DOK/$P_UOK"
printf '%-34s %10s %10s %8s\n' "ssh -L (aes128-gcm)" "$S_DOWN" "$S_UP" "$S_DOK/$S_UOK"
printf '%-34s %10s %10s %8s\n' "restpipe (2 JVMs, -Xmx$HEAP)" "$R_DOWN" "$R_UP" "$R_DOK/$R_UOK"
[ -z "$BASELINE" ] || printf '%-34s %10s %10s %8s\n' "restpipe (baseline)" "$B_DOWN" "$B_UP" "$B_DOK/$B_UOK"
awk -v rd="$R_DOWN" -v ru="$R_UP" -v sd="$S_DOWN" -v su="$S_UP" -v dd="$D_DOWN" -v du="$D_UP" \
  -v pd="$P_DOWN" -v pu="$P_UP" 'BEGIN {
  printf "restpipe / ssh:    download %.2fx, upload %.2fx   (target >= 1.50x)\n", rd / sd, ru / su
  printf "restpipe / direct: download %.2fx, upload %.2fx\n", rd / dd, ru / du
  printf "restpipe / relays: download %.2fx, upload %.2fx   (the same three connections with no TLS)\n", rd / pd, ru / pu
  printf "restpipe >= 1000 MB/s: download %s, upload %s\n", (rd >= 1000 ? "yes" : "no"), (ru >= 1000 ? "yes" : "no")
}'
printf 'peak heap used: server %s MiB, client %s MiB (limit %s)\n' \
  "$(awk -v k="$SERVER_HEAP" 'BEGIN{printf "%.0f", k/1024}')" "$(awk -v k="$CLIENT_HEAP" 'BEGIN{printf "%.0f", k/1024}')" "$HEAP"
if [ -n "$BASELINE" ]; then
  ratio() { awk -v x="$1" -v y="$2" 'BEGIN { if (y > 0) printf "%.2fx", x / y; else printf "-" }'; }
  printf '\nnew: %s\nbaseline: %s (its own JVMs, measured after the new build'"'"'s were stopped)\n' "$JAR" "$BASELINE"
  printf 'baseline peak heap used: server %s MiB, client %s MiB\n' \
    "$(awk -v k="$B_SERVER_HEAP" 'BEGIN{printf "%.0f", k/1024}')" "$(awk -v k="$B_CLIENT_HEAP" 'BEGIN{printf "%.0f", k/1024}')"
  printf 'new / baseline:    download %s, upload %s   (above 1: the new build is faster)\n' \
    "$(ratio "$R_DOWN" "$B_DOWN")" "$(ratio "$R_UP" "$B_UP")"
  printf 'noise, the same rows in the new build'"'"'s block / in the baseline'"'"'s (1.00x = the machine did not move):\n'
  printf '  nginx direct:    download %s, upload %s\n' "$(ratio "$D_DOWN" "$D2_DOWN")" "$(ratio "$D_UP" "$D2_UP")"
  printf '  2 socat relays:  download %s, upload %s\n' "$(ratio "$P_DOWN" "$P2_DOWN")" "$(ratio "$P_UP" "$P2_UP")"
  printf '  ssh -L:          download %s, upload %s\n' "$(ratio "$S_DOWN" "$S2_DOWN")" "$(ratio "$S_UP" "$S2_UP")"
  [ "$B_DOK$B_UOK" = "okok" ]
fi
[ "$R_DOK$R_UOK" = "okok" ]
