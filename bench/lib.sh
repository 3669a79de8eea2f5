# Shared helpers for the bench scripts: installs, free ports, process bookkeeping. Sourced, not run.

BENCH_PIDS=()

bench_cleanup() {
  for pid in "${BENCH_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
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

# A loopback TCP port nothing listens on right now.
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( (RANDOM % 30000) + 20000 ))
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

# The restpipe jar, built if missing.
restpipe_jar() {
  local repo
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [ ! -f "$repo/target/restpipe.jar" ]; then
    (cd "$repo" && mvn -B -q -Dstyle.color=never -DskipTests package >&2)
  fi
  echo "$repo/target/restpipe.jar"
}
