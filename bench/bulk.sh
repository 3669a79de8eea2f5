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
set -euo pipefail
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

# RestPipe: PKI, server and client JVMs.
make_pki "$JAR" "$WORK/pki" bench
PIPE_PORT=$(free_port); SERVER_HTTP=$(free_port); CLIENT_HTTP=$(free_port)
start_bg java $RESTPIPE_JVM "-Xmx$HEAP" -jar "$JAR" server --pipe-listen "127.0.0.1:$PIPE_PORT" \
  --http "127.0.0.1:$SERVER_HTTP" --cert "$WORK/pki/server.crt.pem" --key "$WORK/pki/server.key.pem" \
  --ca "$WORK/pki/ca.crt.pem" --forward "http://127.0.0.1:$NGINX_PORT" >"$WORK/logs/server.out" 2>&1
SERVER_PID=$LAST_PID
start_bg java $RESTPIPE_JVM "-Xmx$HEAP" -jar "$JAR" client --server "localhost:$PIPE_PORT" \
  --http "127.0.0.1:$CLIENT_HTTP" --cert "$WORK/pki/bench.crt.pem" --key "$WORK/pki/bench.key.pem" \
  --ca "$WORK/pki/ca.crt.pem" --forward "http://127.0.0.1:$NGINX_PORT" >"$WORK/logs/client.out" 2>&1
CLIENT_PID=$LAST_PID
wait_port "$SERVER_HTTP"; wait_port "$CLIENT_HTTP"
wait_pipe_up "$CLIENT_HTTP"

# Peak heap sampling: jstat every 200 ms (bounded to 30 min), young + old used in KiB.
sample_heap() {
  jstat -gc "$1" 200 9000 2>/dev/null \
    | awk 'NR > 1 { used = $3 + $4 + $6 + $8; if (used > max) max = used; print max; fflush() }' > "$2"
}
start_bg sample_heap "$SERVER_PID" "$WORK/server.heap"
start_bg sample_heap "$CLIENT_PID" "$WORK/client.heap"

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
echo "bench: warming up" >&2
curl -s --max-time 600 -o /dev/null "http://127.0.0.1:$SSH_LOCAL/data.bin"
WARM_RUNS=$(( (4096 + SIZE_MB - 1) / SIZE_MB ))
for _ in $(seq 1 "$WARM_RUNS"); do
  curl -s --max-time 600 -o /dev/null "http://127.0.0.1:$SERVER_HTTP/client/bench/data.bin"
  curl -s --max-time 600 -o /dev/null -T "$WORK/www/data.bin" "http://127.0.0.1:$CLIENT_HTTP/server/upload/warm.bin"
done
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

printf '\nbulk transfer of %s MiB on 127.0.0.1 (MB/s = 10^6 bytes/s; sha256 checked)\n' "$SIZE_MB"
printf '%-34s %10s %10s %8s\n' path download upload sha256
printf '%-34s %10s %10s %8s\n' "nginx direct" "$D_DOWN" "$D_UP" "$D_DOK/$D_UOK"
printf '%-34s %10s %10s %8s\n' "2 socat relays, no TLS (floor)" "$P_DOWN" "$P_UP" "$P_DOK/$P_UOK"
printf '%-34s %10s %10s %8s\n' "ssh -L (aes128-gcm)" "$S_DOWN" "$S_UP" "$S_DOK/$S_UOK"
printf '%-34s %10s %10s %8s\n' "restpipe (2 JVMs, -Xmx$HEAP)" "$R_DOWN" "$R_UP" "$R_DOK/$R_UOK"
awk -v rd="$R_DOWN" -v ru="$R_UP" -v sd="$S_DOWN" -v su="$S_UP" -v dd="$D_DOWN" -v du="$D_UP" \
  -v pd="$P_DOWN" -v pu="$P_UP" 'BEGIN {
  printf "restpipe / ssh:    download %.2fx, upload %.2fx   (target >= 1.50x)\n", rd / sd, ru / su
  printf "restpipe / direct: download %.2fx, upload %.2fx\n", rd / dd, ru / du
  printf "restpipe / relays: download %.2fx, upload %.2fx   (the same three connections with no TLS)\n", rd / pd, ru / pu
  printf "restpipe >= 1000 MB/s: download %s, upload %s\n", (rd >= 1000 ? "yes" : "no"), (ru >= 1000 ? "yes" : "no")
}'
printf 'peak heap used: server %s MiB, client %s MiB (limit %s)\n' \
  "$(awk -v k="$SERVER_HEAP" 'BEGIN{printf "%.0f", k/1024}')" "$(awk -v k="$CLIENT_HEAP" 'BEGIN{printf "%.0f", k/1024}')" "$HEAP"
[ "$R_DOK$R_UOK" = "okok" ]
