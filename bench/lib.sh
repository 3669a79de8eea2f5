# Shared helpers for the bench scripts: installs, free ports, process bookkeeping. Sourced, not run.

BENCH_PIDS=()
# The JVM flags ./restpipe adds before JAVA_OPTS; the benches run the jar with java directly, so they add them too.
RESTPIPE_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RESTPIPE_JVM=$(sed -n 's/^JVM_DEFAULTS="\(.*\)"$/\1/p' "$RESTPIPE_REPO/restpipe")

bench_cleanup() {
  for pid in "${BENCH_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null
}
trap bench_cleanup EXIT

# Installs the Debian packages whose commands are missing: need CMD PACKAGE [CMD PACKAGE ...]
need() {
  local missing=()
  while [ $# -gt 1 ]; do
    command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || missing+=("$2")
    shift 2
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq "${missing[@]}" >&2
  fi
}

# A loopback TCP port nothing listens on right now, below the kernel's range of ephemeral ports: a port in that
# range may be the local end of some connection (thousands after scale.sh), which a listener cannot bind.
free_port() {
  local port low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for _ in $(seq 1 200); do
    port=$(( (RANDOM % (low - 10000)) + 10000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "bench: no free port found" >&2
  return 1
}

# Waits (bounded) until something accepts connections on 127.0.0.1:PORT.
wait_port() {
  local port=$1
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: nothing listens on $port after 30 s" >&2
  return 1
}

# Starts a command in the background and remembers its PID for cleanup, also in LAST_PID. Redirect its output
# in the call; do not call it inside $(...), where the PID would be lost to a subshell.
start_bg() {
  "$@" &
  LAST_PID=$!
  BENCH_PIDS+=("$LAST_PID")
}

# Stops processes started with start_bg and forgets them: TERM, a bounded wait (10 s) until all are gone, then KILL
# for any left. For the benches that run two builds one after the other.  stop_bg PID [PID ...]
stop_bg() {
  local pid left keep=()
  kill "$@" 2>/dev/null || true
  for _ in $(seq 1 100); do
    left=()
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
    [ ${#left[@]} -eq 0 ] && break
    sleep 0.1
  done
  if [ ${#left[@]} -gt 0 ]; then kill -9 "${left[@]}" 2>/dev/null || true; fi
  wait "$@" 2>/dev/null || true
  for pid in "${BENCH_PIDS[@]:-}"; do
    [[ " $* " == *" $pid "* ]] || keep+=("$pid")
  done
  BENCH_PIDS=("${keep[@]:-}")
}

# The restpipe jar, built by the launcher if missing or older than the sources.
restpipe_jar() {
  "$RESTPIPE_REPO/restpipe" --version >/dev/null
  echo "$RESTPIPE_REPO/restpipe-cli/target/restpipe.jar"
}

# The load tools' jar (restpipe-bench: `load`, `attack`, and the whole command line besides), built if missing or
# older than the sources.
bench_jar() {
  local jar="$RESTPIPE_REPO/restpipe-bench/target/restpipe-bench.jar"
  if [ ! -f "$jar" ] || [ -n "$(find "$RESTPIPE_REPO"/pom.xml "$RESTPIPE_REPO"/restpipe-*/pom.xml \
      "$RESTPIPE_REPO"/restpipe-*/src/main -newer "$jar" -print -quit 2>/dev/null)" ]; then
    echo "bench: building $jar..." >&2
    (cd "$RESTPIPE_REPO" && mvn -B -q -Dstyle.color=never -DskipTests -pl restpipe-bench -am package >&2) || {
      echo "bench: build failed; run 'mvn -B -DskipTests -pl restpipe-bench -am package' in $RESTPIPE_REPO" >&2
      return 1
    }
  fi
  echo "$jar"
}

# A CA, a server certificate "server" and a client certificate NAME in DIR: make_pki JAR DIR NAME
make_pki() {
  java -jar "$1" pki init --dir "$2" >/dev/null
  java -jar "$1" pki issue --dir "$2" --name server --server >/dev/null
  java -jar "$1" pki issue --dir "$2" --name "$3" --client >/dev/null
}

# Waits (bounded) until the RestPipe client gateway on PORT reports its pipe up.
wait_pipe_up() {
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return 0
    sleep 0.1
  done
  echo "bench: the pipe did not come up" >&2
  return 1
}

# A private sshd on loopback and an ssh -L tunnel through it to 127.0.0.1:TARGET; sets SSH_LOCAL.
#   ssh_tunnel WORKDIR TARGET_PORT [ssh options...]
ssh_tunnel() {
  local work=$1 target=$2
  shift 2
  local ssh_port; ssh_port=$(free_port)
  SSH_LOCAL=$(free_port)
  ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$work/user_key"
  cp "$work/user_key.pub" "$work/authorized_keys"
  mkdir -p /run/sshd
  cat > "$work/sshd_config" <<CONF
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin yes
PasswordAuthentication no
StrictModes no
UsePAM no
PidFile $work/sshd.pid
CONF
  start_bg /usr/sbin/sshd -D -f "$work/sshd_config" -E "$work/sshd.log"
  wait_port "$ssh_port"
  start_bg ssh -N -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$@" \
    -i "$work/user_key" -p "$ssh_port" -L "$SSH_LOCAL:127.0.0.1:$target" root@127.0.0.1
  wait_port "$SSH_LOCAL"
}

# Runs nginx in the foreground (tracked for cleanup) on a free port with the given http{} body; sets NGINX_PORT.
# The body may use $NGINX_PORT: start_nginx WORKDIR 'server { listen 127.0.0.1:$NGINX_PORT; ... }'
start_nginx() {
  local work=$1 body=$2
  NGINX_PORT=$(free_port)
  mkdir -p "$work/logs"
  {
    echo "user root; worker_processes 1; daemon off; pid $work/nginx.pid;"
    echo "error_log $work/logs/nginx.err warn;"
    echo "events { worker_connections 1024; }"
    echo "http { access_log off; ${body//\$NGINX_PORT/$NGINX_PORT} }"
  } > "$work/nginx.conf"
  start_bg /usr/sbin/nginx -p "$work" -c "$work/nginx.conf"
  wait_port "$NGINX_PORT"
}

# Two plain TCP relays in a row (socat, 256 KiB buffers, no encryption) in front of 127.0.0.1:TARGET: the same
# three loopback connections a tunnel uses, with nothing else to do. Sets RELAY_LOCAL.  relay_chain TARGET_PORT
relay_chain() {
  local middle; middle=$(free_port)
  RELAY_LOCAL=$(free_port)
  start_bg socat -b 262144 "TCP-LISTEN:$middle,bind=127.0.0.1,reuseaddr,fork" "TCP:127.0.0.1:$1"
  start_bg socat -b 262144 "TCP-LISTEN:$RELAY_LOCAL,bind=127.0.0.1,reuseaddr,fork" "TCP:127.0.0.1:$middle"
  wait_port "$middle"
  wait_port "$RELAY_LOCAL"
}
