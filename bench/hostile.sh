#!/usr/bin/env bash
# Hostile peers and callers against one server (issue 11, SPEC §9), everything on 127.0.0.1. Each attack runs for
# ATTACK_SECONDS against the server JVM (JAVA_OPTS=-Xmx256m by default; a fresh one whenever the attack before left it
# dead, hung, or past a goal) while a good client ("good", a real `restpipe client`) is called at a steady rate
# through both gateways (GOOD_RATE, default 200 calls/s in all), and gets one table row: the server's RSS,
# heap used, open fds and threads before / at their peak during / after the attack, the good client's p99 in a quiet
# window just before next to its p99 during, whether the server is alive and answers /healthz afterwards, and which
# goals failed. Each attack's own result (statuses, what an upstream received, ...) is listed below the table.
#
#   bench/hostile.sh                          # all 9 attacks, 7-10 minutes
#   ATTACK_SECONDS=5 bench/hostile.sh         # quicker
#   ATTACKS="4 6" bench/hostile.sh            # some of them
#   SERVER_ARGS="--max-connections 5000" bench/hostile.sh   # extra server options
#   KEEP=1 bench/hostile.sh                   # keep the work directory (logs, every good call's latency)
#
# The attacks, each from `restpipe-bench.jar attack` (the restpipe-bench module) unless said otherwise:
#   1 a valid client sends heartbeats as fast as it can and never reads
#   2 40 callers download a 64 MiB body through one pipe at 1 KiB/s each (curl --limit-rate; server gateway ->
#     pipe -> client "bulk" --forward -> the attack tool's upstream)
#   3 a valid client floods Events for a noun no handler takes (the server --forwards them) and never reads
#   4 malformed HTTP to the server gateway: 9 KiB header, 1 MiB header, Content-Length + Transfer-Encoding, two
#     Content-Lengths, a 16 KiB URL; each once (status and time to answer), then again 8 at a time
#   5 400 slowloris connections (1 header byte a second) and 14,000 idle keep-alive connections to the gateway
#   6 nasty nouns through --forward (client "trav" -> a raw listener recording request lines): status, and the
#     request line the upstream received
#   7 a second certificate with a live client's CN ("victim") reconnecting every second, while calls go to that name
#   8 10,000 calls to a server handler that always throws: replies with a Java stack trace, server log lines
#   9 kill -9 and restart of the server, calls to "good" (reconnecting) from the moment the gateway is back
#
# Goals, per row: good p99 during <= 3x quiet; peak RSS <= -Xmx + the direct-memory budget (--body-memory's default
# if the server has that option, else 256 MiB); fds and threads back to before + FD_SLACK / THREAD_SLACK within
# AFTER_SECONDS; the server alive and /healthz 200 afterwards; and the attack's own check. Row 9's server restarts by
# design, so its p99 goal does not apply.
set -euo pipefail
cd "$(dirname "$0")"
source ./lib.sh

ATTACK_SECONDS=${ATTACK_SECONDS:-20}
ATTACKS=${ATTACKS:-1 2 3 4 5 6 7 8 9}
WARM_SECONDS=${WARM_SECONDS:-10}
QUIET_SECONDS=${QUIET_SECONDS:-6}
AFTER_SECONDS=${AFTER_SECONDS:-30}
GOOD_RATE=${GOOD_RATE:-200}
FD_SLACK=${FD_SLACK:-20}
THREAD_SLACK=${THREAD_SLACK:-10}
LOG_LINES_GOAL=${LOG_LINES_GOAL:-20}
SLOW_CALLERS=${SLOW_CALLERS:-40}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-14000}
SLOWLORIS=${SLOWLORIS:-400}
RESTART_CALL_SECONDS=${RESTART_CALL_SECONDS:-10}
SERVER_JAVA_OPTS=${JAVA_OPTS:--Xmx256m}
CLIENT_JAVA_OPTS=${CLIENT_JAVA_OPTS:--Xmx256m}
# The attack tool stands in for other machines: C1 only (its compiler would take the 2 cores from the server being
# measured) and niced, so what the server and the good client get of the CPU is what a remote attacker leaves them.
ATTACK_JVM=${ATTACK_JVM:--XX:TieredStopAtLevel=1 -Xmx1g}
ATTACK_NICE=${ATTACK_NICE:-10}

need curl curl jstat openjdk-17-jdk-headless
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
JAR=$(restpipe_jar)
BENCH_JAR=$(bench_jar)
WORK=$(mktemp -d /tmp/restpipe-hostile.XXXXXX)
if [ -n "${KEEP:-}" ]; then
  trap 'bench_cleanup; echo "bench: work directory kept: $WORK" >&2' EXIT
else
  trap 'bench_cleanup; rm -rf "$WORK"' EXIT
fi
log() { echo "[$(date +%T)] $*" >&2; }
now_ms() { date +%s%3N; }

make_pki "$JAR" "$WORK/pki" good
for name in bulk trav victim; do
  java -jar "$JAR" pki issue --dir "$WORK/pki" --name "$name" --client >/dev/null
done
PIPE_PORT=$(free_port); SERVER_HTTP=$(free_port); GOOD_HTTP=$(free_port); UP_HTTP=$(free_port); UP_RAW=$(free_port)
GATEWAY="http://127.0.0.1:$SERVER_HTTP"
TOOL=(java $ATTACK_JVM -jar "$BENCH_JAR" attack --server "127.0.0.1:$PIPE_PORT" --pki "$WORK/pki" --gateway "$GATEWAY")
ATTACK=(nice -n "$ATTACK_NICE" "${TOOL[@]}")

# ---- the server's limits, for the RSS goal -------------------------------------------------------------------------
# bytes of a size such as 256m, 256MiB, 1g, 268435456 (empty if unreadable)
to_bytes() {
  perl -e '$_ = shift; /^(\d+)\s*([kmgt]?)(i?b)?$/i or exit; my %u = (k => 1, m => 2, g => 3, t => 4);
    print $1 * 1024 ** ($u{lc $2} // 0)' "$1"
}
HEAP_BYTES=$(to_bytes "$(grep -o -- '-Xmx[^ ]*' <<<"$SERVER_JAVA_OPTS" | tail -1 | cut -c5-)")
HEAP_BYTES=${HEAP_BYTES:-$((256 << 20))}
# seconds of a duration such as 30s, 2m, 250ms (rounded up; empty if unreadable)
to_seconds() {
  perl -e '$_ = shift; /^(\d+)(ms|s|m|h)$/ or exit; my %u = (ms => 0.001, s => 1, m => 60, h => 3600);
    my $s = $1 * $u{$2}; print int($s) + ($s > int($s) ? 1 : 0)' "$1"
}
SERVER_HELP=$(java -jar "$JAR" server --help 2>&1 || true)
# The server's value of OPTION: from SERVER_ARGS, else its default in `server --help`; empty if it has no such option.
server_option() {
  local value
  value=$(grep -o -- "$1[= ][^ ]*" <<<"${SERVER_ARGS:-}" | tail -1 | sed "s/^$1[= ]//" || true)
  [ -n "$value" ] && { echo "$value"; return; }
  # The option's own line of the help, not the usage synopsis at its top (whose next "default:" is another option's).
  perl -0ne 'print $1 if /^\s*\Q'"$1"'\E[=\s]\S*\s.*?default:\s*([^)\s]+)/ms' <<<"$SERVER_HELP"
}
DIRECT_FROM="--body-memory"
DIRECT_BYTES=$(to_bytes "$(server_option --body-memory)")
if [ -z "$DIRECT_BYTES" ]; then
  # Its default: half the JVM's direct memory (-XX:MaxDirectMemorySize, else the heap's maximum), at most 256 MiB.
  MAX_DIRECT=$(to_bytes "$(grep -o -- '-XX:MaxDirectMemorySize=[^ ]*' <<<"$SERVER_JAVA_OPTS" | tail -1 | cut -d= -f2)")
  MAX_DIRECT=${MAX_DIRECT:-$HEAP_BYTES}
  DIRECT_BYTES=$(( MAX_DIRECT / 2 < (256 << 20) ? MAX_DIRECT / 2 : (256 << 20) ))
  DIRECT_FROM="--body-memory default"
fi
# Slowloris connections must be closed once the header-read time is up: attack 5 lasts at least that long + 5 s.
HEADER_SECONDS=$(to_seconds "$(server_option --http-header-timeout)")
CONNECTIONS_SECONDS=$(( ${HEADER_SECONDS:-0} + 5 > ATTACK_SECONDS ? ${HEADER_SECONDS:-0} + 5 : ATTACK_SECONDS ))
RSS_LIMIT_KIB=$(( (HEAP_BYTES + DIRECT_BYTES) / 1024 ))

# ---- processes --------------------------------------------------------------------------------------------------------
SERVER_PID=""; JSTAT_PID=""
alive() { [ -n "$1" ] && [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

start_server() {
  # The product jar, with the load tools' jar behind it for the throwing handler of attack 8.
  start_bg java $RESTPIPE_JVM $SERVER_JAVA_OPTS -cp "$JAR:$BENCH_JAR" io.restpipe.cli.Main server --pipe-listen "127.0.0.1:$PIPE_PORT" \
    --http "127.0.0.1:$SERVER_HTTP" --cert "$WORK/pki/server.crt.pem" --key "$WORK/pki/server.key.pem" \
    --ca "$WORK/pki/ca.crt.pem" --forward "http://127.0.0.1:$UP_HTTP" --handler 'io.restpipe.bench.AttackCommand$Throwing' \
    ${SERVER_ARGS:-} >>"$SERVER_LOG" 2>&1
  SERVER_PID=$LAST_PID
  wait_port "$SERVER_HTTP" || return 1
  # jstat reads the JVM's shared perf-data file: it works even when the server's own threads are stuck.
  start_bg jstat -gc "$SERVER_PID" 500 >"$WORK/jstat.$SERVER_PID" 2>&1
  JSTAT_PID=$LAST_PID
}

stop_server() {
  [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && wait "$SERVER_PID" 2>/dev/null || true
  [ -n "$JSTAT_PID" ] && kill "$JSTAT_PID" 2>/dev/null || true
  [ -n "$JSTAT_PID" ] && wait "$JSTAT_PID" 2>/dev/null || true
  SERVER_PID=""; JSTAT_PID=""
}

# start_client NAME HTTP_PORT [client options...]: a real client JVM; sets LAST_PID
start_client() {
  local name=$1 port=$2
  shift 2
  start_bg java $RESTPIPE_JVM $CLIENT_JAVA_OPTS -jar "$JAR" client --server "127.0.0.1:$PIPE_PORT" \
    --http "127.0.0.1:$port" --cert "$WORK/pki/$name.crt.pem" --key "$WORK/pki/$name.key.pem" \
    --ca "$WORK/pki/ca.crt.pem" "$@" >>"$WORK/client-$name.log" 2>&1
}

# Waits (bounded) until the server gateway reaches client NAME's built-in /time.
wait_reachable() {
  for _ in $(seq 1 60); do
    [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$GATEWAY/client/$1/time" || true)" = 200 ] && return 0
    sleep 0.5
  done
  log "client $1 not reachable through the server gateway after 30 s"
  return 1
}

# "RSS_KiB HEAP_KiB FDS THREADS" of the server now, "- - - -" when it is gone.
sample() {
  local pid=$SERVER_PID rss threads fds heap
  if ! alive "$pid"; then echo "- - - -"; return; fi
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo -)
  threads=$(awk '/^Threads/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo -)
  fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
  heap=$(tail -n 1 "$WORK/jstat.$pid" 2>/dev/null | awk '$1 ~ /^[0-9.]+$/ { printf "%.0f", $3 + $4 + $6 + $8 }')
  echo "${rss:--} ${heap:--} ${fds:--} ${threads:--}"
}

max() { if [ "$1" = - ]; then echo "$2"; elif [ "$2" = - ] || [ "$1" -ge "$2" ]; then echo "$1"; else echo "$2"; fi; }

# ---- the attacks: setup_N (before the quiet window), start_N (background, in ATTACK_PIDS), finish_N (result) ------
NAMES=([1]="heartbeat flood, never reads" [2]="$SLOW_CALLERS downloads at 1 KiB/s" [3]="Event flood, no handler"
  [4]="bad HTTP" [5]="$SLOWLORIS slowloris + $IDLE_CONNECTIONS idle" [6]="--forward traversal"
  [7]="impostor with a live CN" [8]="throwing handler x10,000" [9]="server restart")

start_1() { start_bg "${ATTACK[@]}" --seconds "$ATTACK_SECONDS" heartbeat-flood >"$OUT" 2>&1; ATTACK_PIDS+=("$LAST_PID"); }

setup_2() {
  start_client bulk "$(free_port)" --forward "http://127.0.0.1:$UP_HTTP"
  AUX_PIDS+=("$LAST_PID")
  wait_reachable bulk || true
}
start_2() {
  for i in $(seq 1 "$SLOW_CALLERS"); do
    start_bg curl -s -o /dev/null --limit-rate 1k -m "$ATTACK_SECONDS" -w '%{http_code} %{size_download}\n' \
      "$GATEWAY/client/bulk/big" >"$WORK/slow.$i" 2>/dev/null
    ATTACK_PIDS+=("$LAST_PID")
  done
}
finish_2() {
  local streaming=0 refused=0 cut=0 statuses rc pid i=0
  for pid in "${ATTACK_PIDS[@]}"; do
    i=$((i + 1))
    rc=0; wait "$pid" 2>/dev/null || rc=$?
    # curl's 28: still receiving when -m ran out, as a slow reader should be. A 503 at once is the body memory budget
    # refusing a download past it (the offender pays); anything else ended a download that had started.
    if [ "$rc" = 28 ]; then streaming=$((streaming + 1))
    elif grep -q '^503 ' "$WORK/slow.$i" 2>/dev/null; then refused=$((refused + 1))
    else cut=$((cut + 1)); fi
  done
  statuses=$(cat "$WORK"/slow.* 2>/dev/null | awk '{ n[$1]++ } END { for (s in n) printf "%s%dx %s", (k++ ? ", " : ""), n[s], s }' || true)
  SUMMARY="$SLOW_CALLERS callers: $streaming still streaming at the end, $refused refused at once (503, --body-memory), $cut cut after starting; statuses: ${statuses:-none}"
  if [ "$cut" = 0 ] && [ "$streaming" -gt 0 ]; then
    CHECK=ok
  else
    CHECK="FAIL $cut of $SLOW_CALLERS downloads cut after they had started"
  fi
}

start_3() { start_bg "${ATTACK[@]}" --seconds "$ATTACK_SECONDS" event-flood >"$OUT" 2>&1; ATTACK_PIDS+=("$LAST_PID"); }

start_4() { start_bg "${ATTACK[@]}" --seconds "$ATTACK_SECONDS" bad-http --path /client/good/time >"$OUT" 2>&1; ATTACK_PIDS+=("$LAST_PID"); }

start_5() {
  start_bg "${ATTACK[@]}" --seconds "$CONNECTIONS_SECONDS" connections --idle "$IDLE_CONNECTIONS" --slowloris "$SLOWLORIS" \
    >"$OUT" 2>&1
  ATTACK_PIDS+=("$LAST_PID")
}

setup_6() {
  start_client trav "$(free_port)" --forward "http://127.0.0.1:$UP_RAW"
  AUX_PIDS+=("$LAST_PID")
  wait_reachable trav || true
}
start_6() {
  start_bg "${ATTACK[@]}" --seconds "$ATTACK_SECONDS" traversal --target trav --record "$WORK/requests.txt" >"$OUT" 2>&1
  ATTACK_PIDS+=("$LAST_PID")
}

setup_7() {
  start_client victim "$(free_port)"
  AUX_PIDS+=("$LAST_PID")
  wait_reachable victim || true
}
start_7() { start_bg "${ATTACK[@]}" --seconds "$ATTACK_SECONDS" impostor --name victim >"$OUT" 2>&1; ATTACK_PIDS+=("$LAST_PID"); }

start_8() {
  LOG_LINES_BEFORE=$(wc -l <"$SERVER_LOG")
  start_bg "${ATTACK[@]}" --seconds "$ATTACK_SECONDS" throwing --calls 10000 >"$OUT" 2>&1
  ATTACK_PIDS+=("$LAST_PID")
}
finish_8() {
  finish_tool
  sleep 2 # a summary logged "once per interval" may come a little later; counted up to the end of the row too
}
after_8() {
  local lines=$(( $(wc -l <"$SERVER_LOG") - LOG_LINES_BEFORE ))
  SUMMARY="$SUMMARY; $lines server log lines"
  if [ "$lines" -gt "$LOG_LINES_GOAL" ]; then
    CHECK="${CHECK/#ok/FAIL}; $lines log lines > $LOG_LINES_GOAL"
  fi
}

setup_9() {
  # A server that has run a while: the good client's pipe up for over 30 s, so that its reconnect backoff is reset
  # (ReconnectPolicy.STABLE_AFTER), as after any real uptime, not grown by this script's restarts.
  local wait=$(( GOOD_UP_MS + 31000 - $(now_ms) ))
  [ "$wait" -gt 0 ] && sleep $(( (wait + 999) / 1000 ))
  return 0
}
start_9() {
  # The caller waits for the gateway to go down, then calls from the moment it is back.
  start_bg "${TOOL[@]}" --seconds "$RESTART_CALL_SECONDS" restart-calls --path /client/good/time >"$OUT" 2>&1
  ATTACK_PIDS+=("$LAST_PID")
  for _ in $(seq 1 200); do grep -q '^ready' "$OUT" && break; sleep 0.1; done # its JVM is up, its HTTP client warm
  GOOD_UP_MS=$(now_ms)
  stop_server
  start_server || log "the server did not come back"
}

# The attack tool's own result: its summary and check lines.
finish_tool() {
  local pid
  for pid in "${ATTACK_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  SUMMARY=$(sed -n 's/^summary: //p' "$OUT" | tail -1)
  CHECK=$(sed -n 's/^check: //p' "$OUT" | tail -1)
  [ -z "$SUMMARY" ] && SUMMARY="the attack tool printed no result: $(tail -3 "$OUT" | tr '\n' ' ' | cut -c1-200)"
  [ -z "$CHECK" ] && CHECK="-"
  return 0
}

# ---- one row ----------------------------------------------------------------------------------------------------------
declare -A R
run_row() {
  local n=$1 s before peak i limit a b c d pa pb pc pd p_rss
  OUT="$WORK/attack.$n.out"
  ATTACK_PIDS=(); AUX_PIDS=(); SUMMARY=""; CHECK="-"
  log "attack $n: ${NAMES[$n]}"
  if [ "$FRESH" = 1 ] || ! alive "$SERVER_PID"; then
    stop_server
    SERVER_LOG="$WORK/server.$n.log"
    if ! start_server; then
      R[$n.summary]="the server did not start"; R[$n.failed]="start"
      return
    fi
    wait_reachable good || true
    GOOD_UP_MS=$(now_ms)
    R[$n.fresh]=yes
    sleep "$WARM_SECONDS" # the new JVM's JIT
  fi
  if declare -F "setup_$n" >/dev/null; then "setup_$n"; fi
  sleep 2
  R[$n.q0]=$(now_ms); sleep "$QUIET_SECONDS"; R[$n.q1]=$(now_ms)
  before=$(sample)
  R[$n.before]=$before
  peak=$before
  R[$n.a0]=$(now_ms)
  "start_$n"
  limit=$(( (CONNECTIONS_SECONDS + 45) * 2 ))
  for ((i = 0; i < limit; i++)); do
    s=$(sample)
    read -r a b c d <<<"$s"; read -r pa pb pc pd <<<"$peak"
    peak="$(max "$pa" "$a") $(max "$pb" "$b") $(max "$pc" "$c") $(max "$pd" "$d")"
    local running=0 pid
    for pid in "${ATTACK_PIDS[@]}"; do alive "$pid" && running=1; done
    [ "$running" = 0 ] && break
    sleep 0.5
  done
  for pid in "${ATTACK_PIDS[@]}"; do alive "$pid" && { log "attack $n overran its time: stopped"; kill -9 "$pid"; } || true; done
  # A short attack (traversal: a few calls) still gets a window of 5 s of good calls; the next row's restart must
  # not fall into it.
  local short=$(( ${R[$n.a0]} + 5000 - $(now_ms) ))
  [ "$short" -gt 0 ] && sleep "$(awk -v ms="$short" 'BEGIN { printf "%.3f", ms / 1000 }')"
  R[$n.a1]=$(now_ms)
  R[$n.peak]=$peak
  if declare -F "finish_$n" >/dev/null; then "finish_$n"; else finish_tool; fi
  after_phase "$n"
  if declare -F "after_$n" >/dev/null; then "after_$n"; fi
  if alive "$SERVER_PID"; then R[$n.alive]=yes; else R[$n.alive]=no; fi
  R[$n.health]=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$GATEWAY/healthz" || true)
  [ "${R[$n.health]}" = 000 ] && R[$n.health]="no answer"
  R[$n.summary]=$SUMMARY; R[$n.check]=$CHECK
  # The next row gets a fresh server if this one left it dead, hung, or past the RSS, fd or thread goals.
  read -r p_rss _ <<<"${R[$n.peak]}"
  FRESH=0
  if [ "${R[$n.alive]}" != yes ] || [ "${R[$n.health]}" != 200 ] || [[ "${R[$n.back]}" != [0-9]* ]] \
    || [ "$p_rss" = - ] || [ "$p_rss" -gt "$RSS_LIMIT_KIB" ]; then
    FRESH=1
  fi
  for pid in "${AUX_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  log "attack $n: $SUMMARY"
}

# Samples once a second, up to AFTER_SECONDS, until fds and threads are back within the slack of before.
after_phase() {
  local n=$1 s started fds threads
  read -r _ _ bf bt <<<"${R[$n.before]}"
  started=$(now_ms)
  for _ in $(seq 0 "$AFTER_SECONDS"); do
    s=$(sample)
    read -r _ _ fds threads <<<"$s"
    if [ "$fds" != - ] && [ "$bf" != - ] && [ "$fds" -le $((bf + FD_SLACK)) ] && [ "$threads" -le $((bt + THREAD_SLACK)) ]; then
      R[$n.back]=$(( ($(now_ms) - started + 500) / 1000 ))s
      R[$n.after]=$s
      return
    fi
    [ "$fds" = - ] && break
    sleep 1
  done
  R[$n.back]=">${AFTER_SECONDS}s"; [ "$fds" = - ] && R[$n.back]="dead"
  R[$n.after]=$s
}

# "p99_ms calls failed" of the good calls due in [FROM_MS, TO_MS); a failed call counts as slower than any answer.
good_stats() {
  awk -v from="$1" -v to="$2" '$1 >= from && $1 < to { print ($3 == 200 ? $2 : 1e15), ($3 == 200 ? 0 : 1) }' \
    "$WORK/good.calls" | sort -g | awk '{ v[NR] = $1; f += $2 }
      END { if (NR == 0) { print "- 0 0"; exit }
            i = int(0.99 * NR + 0.999999); p = v[i]
            printf "%s %d %d\n", (p >= 1e15 ? "fail" : sprintf("%.1f", p / 1000)), NR, f }'
}

mib() { [ "$1" = - ] && echo - || echo $(( ($1 + 512) / 1024 )); }

# ---- the run ----------------------------------------------------------------------------------------------------------
log "work directory $WORK; server JAVA_OPTS: $SERVER_JAVA_OPTS ${SERVER_ARGS:+; SERVER_ARGS: $SERVER_ARGS}"
start_bg "${TOOL[@]}" --seconds 7200 upstream --http-port "$UP_HTTP" --raw-port "$UP_RAW" --record "$WORK/requests.txt" \
  >"$WORK/upstream.log" 2>&1
wait_port "$UP_HTTP"
SERVER_LOG="$WORK/server.0.log"
start_server
start_client good "$GOOD_HTTP"
wait_reachable good
GOOD_UP_MS=$(now_ms)
FRESH=0
start_bg "${TOOL[@]}" --seconds 7200 good-calls --client-gateway "http://127.0.0.1:$GOOD_HTTP" --rate "$GOOD_RATE" \
  --out "$WORK/good.calls" >"$WORK/good-calls.log" 2>&1
sleep "$WARM_SECONDS" # the JIT of the good client and of the first server

for n in $ATTACKS; do
  if [ -z "${NAMES[$n]:-}" ]; then log "no attack $n"; continue; fi
  run_row "$n"
done
stop_server
sleep 11 # the good calls' timeout (10 s): every call due in an attack window has been recorded

printf '\nHostile peers and callers against one server (JAVA_OPTS %s), %d s each, good client at %d calls/s\n' \
  "$SERVER_JAVA_OPTS" "$ATTACK_SECONDS" "$GOOD_RATE"
printf '* = on a fresh server JVM (the previous attack left it dead, hung or past a goal)\n' 
printf 'RSS limit %d MiB = -Xmx %d MiB + direct budget %d MiB (%s); fds/threads back within %d s to before + %d / + %d\n\n' \
  $((RSS_LIMIT_KIB / 1024)) $((HEAP_BYTES >> 20)) $((DIRECT_BYTES >> 20)) "$DIRECT_FROM" "$AFTER_SECONDS" "$FD_SLACK" "$THREAD_SLACK"
echo "| # | attack | RSS MiB before/peak/after | heap MiB | fds | threads | back in | good p99 ms quiet / during | alive, /healthz | goals |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for n in $ATTACKS; do
  [ -z "${NAMES[$n]:-}" ] && continue
  if [ -n "${R[$n.failed]:-}" ]; then
    echo "| $n | ${NAMES[$n]} | | | | | | | | FAIL: ${R[$n.summary]} |"
    continue
  fi
  read -r b_rss b_heap b_fd b_thr <<<"${R[$n.before]}"
  read -r p_rss p_heap p_fd p_thr <<<"${R[$n.peak]}"
  read -r a_rss a_heap a_fd a_thr <<<"${R[$n.after]}"
  read -r q_p99 q_calls q_failed <<<"$(good_stats "${R[$n.q0]}" "${R[$n.q1]}")"
  read -r d_p99 d_calls d_failed <<<"$(good_stats "${R[$n.a0]}" "${R[$n.a1]}")"
  failed=()
  if [ "$n" != 9 ]; then
    if [ "$d_p99" = fail ] || [ "$q_p99" = - ] || [ "$q_p99" = fail ] || [ "$d_p99" = - ] \
      || awk -v d="$d_p99" -v q="$q_p99" 'BEGIN { exit !(d > 3 * q) }'; then failed+=("p99"); fi
  fi
  if [ "$p_rss" = - ] || [ "$p_rss" -gt "$RSS_LIMIT_KIB" ]; then failed+=("RSS"); fi
  case "${R[$n.back]}" in *s) [[ "${R[$n.back]}" == ">"* ]] && failed+=("fds/threads") ;; *) failed+=("fds/threads") ;; esac
  if [ "${R[$n.alive]}" != yes ] || [ "${R[$n.health]}" != 200 ]; then failed+=("health"); fi
  if [ "${R[$n.check]}" != ok ] && [ "${R[$n.check]}" != - ]; then failed+=("attack"); fi
  goals="PASS"; [ ${#failed[@]} -gt 0 ] && goals="FAIL: ${failed[*]}"
  during="$d_p99"; [ "$d_failed" -gt 0 ] && during="$d_p99 ($d_failed of $d_calls failed)"
  quiet="$q_p99"; [ "$q_failed" -gt 0 ] && quiet="$q_p99 ($q_failed of $q_calls failed)"
  [ "$n" = 9 ] && during="$during (restart: n/a)"
  printf '| %s | %s | %s / %s / %s | %s / %s / %s | %s / %s / %s | %s / %s / %s | %s | %s / %s | %s, %s | %s |\n' \
    "$n${R[$n.fresh]:+*}" "${NAMES[$n]}" "$(mib "$b_rss")" "$(mib "$p_rss")" "$(mib "$a_rss")" "$(mib "$b_heap")" "$(mib "$p_heap")" \
    "$(mib "$a_heap")" "$b_fd" "$p_fd" "$a_fd" "$b_thr" "$p_thr" "$a_thr" "${R[$n.back]}" "$quiet" "$during" \
    "${R[$n.alive]}" "${R[$n.health]}" "$goals"
done
echo
echo "What each attack saw (check: the attack's own goal):"
for n in $ATTACKS; do
  [ -z "${NAMES[$n]:-}" ] && continue
  echo "  $n. ${NAMES[$n]}: ${R[$n.summary]:-}   [check: ${R[$n.check]:--}]"
  if [ -f "$WORK/attack.$n.out" ] && [ "$n" = 4 -o "$n" = 6 ]; then
    grep -v '^summary: \|^check: ' "$WORK/attack.$n.out" | sed 's/^/       /'
  fi
done
