#!/usr/bin/env bash
# Event stream benchmark (issue 16): STREAMS open server-sent event streams (GET /api/events) spread over
# CLIENTS clients while W1 runs, on PostgreSQL, the hub started as the README starts it
# (bench/readme-start.sh), loopback only.
#   1. a fresh database; the hub (and with INSTANCES=2 a second one on the same database); tenant acme (W1's)
#      and CLIENTS bench clients onboarded;
#   2. one unmeasured W1 run (JIT warm-up), then BEFORE W1 runs without streams; the hub's RSS and heap used
#      (after a full GC, jcmd) without streams;
#   3. bench/events/streams.py opens STREAMS streams (a ticket each, CLIENTS clients taking turns, the
#      instances taking turns), then sends probe end-of-call reports for the bench clients at PROBE_RATE a
#      second to the first hub until told to stop; RSS and heap used with the streams open (memory per stream);
#      W1 runs back to back meanwhile (WITH runs; W1's own reports are acme's, which has no stream: the
#      streams' readers still read every one of them from the events table);
#   4. the probes stop; every probe event must have reached every stream of its client once, in id order;
#      the streams are closed; AFTER W1 runs without streams;
#   5. figures: commit-to-receive latency p50 / p95 / p99 (the events row's clock_timestamp() at insert, in
#      the webhook's own transaction, to the read by the client; target p95 < 500 ms on one instance, < 2 s
#      across two), webhook-sent-to-receive, memory per open stream, W1's median rps with the streams over
#      its median without (target within 10 %, >= 0.90).
# The W1 load is the seed-stack peer's load-w1.sh (wrk -t2, 5 s warm-up + D measured, C connections).
#
#   bash bench/events.sh                                           # STREAMS=1000 CLIENTS=50 D=30s C=64 BEFORE=3 WITH=3 AFTER=2
#   INSTANCES=2 bash bench/events.sh                               # the same over two hub instances on one database
#   STREAMS=100 CLIENTS=10 D=10s BEFORE=1 WITH=1 AFTER=0 WARMUP=0s bash bench/events.sh     # smoke run (~2 min)
#
# Knobs (environment): STREAMS (1000), CLIENTS (50; STREAMS / CLIENTS per client, at most
# hub.events.max-streams-per-client = 20 per instance), INSTANCES (1 or 2), PROBE_RATE (20 probe reports a
# second), D (30s per W1 run), C (64), BEFORE (3), WITH (3), AFTER (2), WARMUP (120s: a 30 s warm-up left the hub warming for minutes and the first measured runs low; 0s skips),
# HUB_DB (hub_bench_events), BUILD (0; 1 rebuilds the jar), HUB_PORT / HUB_MGMT_PORT (18680 / 19680; the
# next free one is used), HUB_EXTRA_OPTS (JVM options added for an experiment; the report says so).
# Output: a summary on stdout and in bench/out/events-<timestamp>.txt; the hub logs, the stream client's
# JSON and the raw W1 lines beside it. Exit status 0 when every check passed (the W1 ratio and the latency
# targets are reported, they do not decide it), 1 otherwise, 2 for bad knobs.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/bench/lib.sh"   # now_ms, psql_q, stop_pid, free_port, wait_http_200, rss_kb
PEER="$REPO/../shared/peers/seed-stack"
STREAMS=${STREAMS:-1000}
CLIENTS=${CLIENTS:-50}
INSTANCES=${INSTANCES:-1}
PROBE_RATE=${PROBE_RATE:-20}
D=${D:-30s}
C=${C:-64}
BEFORE=${BEFORE:-3}
WITH=${WITH:-3}
AFTER=${AFTER:-2}
WARMUP=${WARMUP:-120s}
HUB_DB=${HUB_DB:-hub_bench_events}
BUILD=${BUILD:-0}
. "$REPO/bench/readme-start.sh"   # README_START, HUB_JAVA_OPTS
PGH=(-h 127.0.0.1 -p 5432 -U postgres)
TS=$(date +%Y%m%d-%H%M%S)
OUT="$REPO/bench/out"
REPORT="$OUT/events-$TS.txt"
SECRET="ev-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
ADMIN_TOKEN="adm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

for v in STREAMS CLIENTS INSTANCES PROBE_RATE C BEFORE WITH AFTER BUILD; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "$v must be a non-negative integer" >&2; exit 2; }
done
(( CLIENTS >= 1 && STREAMS >= CLIENTS && PROBE_RATE >= 1 && WITH >= 1 && (INSTANCES == 1 || INSTANCES == 2) )) \
    || { echo "need CLIENTS >= 1, STREAMS >= CLIENTS, PROBE_RATE >= 1, WITH >= 1, INSTANCES 1 or 2" >&2; exit 2; }
(( (STREAMS + CLIENTS * INSTANCES - 1) / (CLIENTS * INSTANCES) <= 20 )) || { echo "at most 20 streams per client and instance (hub.events.max-streams-per-client)" >&2; exit 2; }
case "$D" in *[0-9]s) ;; *[0-9]) D="${D}s" ;; *) echo "D must look like 30s" >&2; exit 2 ;; esac
case "$WARMUP" in *[0-9]s) ;; *) echo "WARMUP must look like 30s" >&2; exit 2 ;; esac
[[ "$HUB_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "HUB_DB must be a plain lower-case identifier" >&2; exit 2; }
[ -f "$PEER/load-w1.sh" ] || { echo "peer not found at $PEER" >&2; exit 2; }
PEER=$(cd "$PEER" && pwd)
mkdir -p "$OUT"
cd "$REPO"

log() { printf '[events %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- cleanup: stop only what this script started, by PID --------------------------------------
HUB_PIDS=() CLIENT_PID="" LOAD_PID="" WORK_DIR=""
kill_tree() { local c; for c in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$c"; done; kill -TERM "$1" 2>/dev/null || true; }
cleanup() {
    local rc=$? p
    trap - EXIT INT TERM
    [ -z "$LOAD_PID" ] || kill_tree "$LOAD_PID"
    stop_pid "$CLIENT_PID" 5
    for p in "${HUB_PIDS[@]}"; do stop_pid "$p" 20; done
    wait 2>/dev/null || true
    psql_q -d postgres -c "drop database if exists $HUB_DB with (force)" >/dev/null 2>&1 || true
    [ -z "$WORK_DIR" ] || rm -rf "$WORK_DIR"
    rm -f "$OUT/.events-$TS-load"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. prerequisites, the hub(s), the clients ---------------------------------------------------
for c in curl psql jq java python3 awk; do command -v "$c" >/dev/null || die "$c is needed"; done
psql_q -d postgres -c 'select 1' >/dev/null || die "PostgreSQL not reachable on 127.0.0.1:5432 as postgres"
log "prerequisites: wrk (the peer's setup.sh)"
bash "$PEER/setup.sh" >"$OUT/events-$TS-setup.log" 2>&1 || { tail -20 "$OUT/events-$TS-setup.log" >&2; die "peer setup.sh failed"; }
command -v wrk >/dev/null || die "wrk missing after setup"
if [ "$BUILD" = 1 ] || [ ! -f target/booking-hub.jar ] || [ ! -d target/lib ]; then
    log "building the hub (mvn -B -q package -DskipTests)"
    mvn -B -q package -DskipTests >"$OUT/events-$TS-build.log" 2>&1 || { tail -30 "$OUT/events-$TS-build.log" >&2; die "hub build failed"; }
fi
NOTES=()
if [ -n "$(find src/main pom.xml routes application*.properties -newer target/booking-hub.jar -type f -print -quit 2>/dev/null)" ]; then
    NOTES+=("note: target/booking-hub.jar is older than src/main, pom.xml, routes/ or application*.properties (BUILD=1 rebuilds it)")
fi
# private copies: others rebuild target/ and edit routes meanwhile
WORK_DIR=$(mktemp -d /tmp/events-bench.XXXXXX)
cp -p target/booking-hub.jar "$WORK_DIR/events-bench-hub.jar" && cp -rp target/lib "$WORK_DIR/lib" \
    && cp -rp routes "$WORK_DIR/routes" && cp -p application*.properties "$WORK_DIR/" || die "cannot copy the hub"
GIT_HEAD=$(git --no-optional-locks rev-parse --short HEAD 2>/dev/null || echo '?')
git --no-optional-locks diff --quiet HEAD -- src/main routes pom.xml 2>/dev/null || GIT_HEAD="$GIT_HEAD + uncommitted changes"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

log "recreating database $HUB_DB"
psql_q -d postgres -c "drop database if exists $HUB_DB with (force)" -c "create database $HUB_DB" >/dev/null
PORTS=() BASES=() HUB_LOGS=()
next_port=${HUB_PORT:-18680}
next_mgmt=${HUB_MGMT_PORT:-19680}
for ((i = 1; i <= INSTANCES; i++)); do
    port=$(free_port "$next_port" "${PORTS[@]}")
    mgmt=$(free_port "$next_mgmt" "${PORTS[@]}" "$port")
    next_port=$((port + 1)); next_mgmt=$((mgmt + 1))
    hub_log="$OUT/events-$TS-hub$i.log"
    log "starting hub $i ($README_START) on :$port"
    # shellcheck disable=SC2086
    HOST=127.0.0.1 PORT=$port HUB_MANAGEMENT_PORT=$mgmt DATABASE_URL="postgres://postgres@127.0.0.1:5432/$HUB_DB" \
        HUB_ADMIN_TOKEN=$ADMIN_TOKEN VAPI_WEBHOOK_SECRET=$SECRET \
        HUB_CONFIG="$WORK_DIR/application.properties" HUB_ROUTES_DIR="$WORK_DIR/routes" \
        HUB_JAR="$WORK_DIR/events-bench-hub.jar" HUB_JVM_OPTS="${HUB_EXTRA_OPTS:-}" "$HUB_LAUNCH" >"$hub_log" 2>&1 &
    HUB_PIDS+=($!)
    wait_http_200 "http://127.0.0.1:$port/health" 180 "$!" || { tail -30 "$hub_log" >&2; die "hub $i did not answer /health 200 (log: $hub_log)"; }
    PORTS+=("$port" "$mgmt"); BASES+=("http://127.0.0.1:$port"); HUB_LOGS+=("$hub_log")
done
BASE=${BASES[0]}
HUB_PID=${HUB_PIDS[0]}
onboard() { # businessName -> apiKey
    local r
    r=$(curl -s -m 10 -X POST "$BASE/api/clients/onboard" -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
        -d "{\"businessName\":\"$1\",\"email\":\"ops@$(tr 'A-Z ' 'a-z-' <<<"$1").example\",\"phone\":\"+441134961000\"}") || return 1
    jq -er .apiKey <<<"$r"
}
onboard "Acme" >/dev/null || die "onboarding acme failed"
CLIENTS_FILE="$OUT/events-$TS-clients.json"
{
    echo "{"
    for ((i = 1; i <= CLIENTS; i++)); do
        name=$(printf 'Bench %02d' "$i"); key=$(printf 'bench-%02d' "$i")
        api=$(onboard "$name") || die "onboarding $name failed"
        printf '  "%s": "%s"%s\n' "$key" "$api" "$([ "$i" -lt "$CLIENTS" ] && echo ,)"
    done
    echo "}"
} >"$CLIENTS_FILE"
log "hub(s) healthy; acme and $CLIENTS bench clients onboarded"

# --- helpers: W1 runs, memory -------------------------------------------------------------------------
declare -a R_PHASE R_RPS R_P50 R_P99 R_NON2XX
: >"$OUT/events-$TS-w1.txt"
run_load() { # phase, duration
    local phase=$1 dur=$2 line g
    bash "$PEER/load-w1.sh" "$BASE/webhooks/vapi" "$SECRET" "$dur" "$C" >"$OUT/.events-$TS-load" 2>&1 &
    LOAD_PID=$!
    wait "$LOAD_PID" || true
    LOAD_PID=""
    line=$(cat "$OUT/.events-$TS-load"); rm -f "$OUT/.events-$TS-load"
    echo "$phase $line" >>"$OUT/events-$TS-w1.txt"
    log "  $phase: $line"
    kill -0 "$HUB_PID" 2>/dev/null || die "the hub died (log: ${HUB_LOGS[0]})"
    [ "$phase" != warm ] || return 0
    g() { tr ' ' '\n' <<<"$line" | awk -F= -v k="$1" '$1==k {print $2; exit}'; }
    R_PHASE+=("$phase")
    if grep -q '^W1 ' <<<"$line"; then R_RPS+=("$(g rps)"); R_P50+=("$(g p50_ms)"); R_P99+=("$(g p99_ms)"); R_NON2XX+=("$(g non2xx)")
    else R_RPS+=(NA); R_P50+=(NA); R_P99+=(NA); R_NON2XX+=(NA); fi
}
# heap used after a full GC (KB; jcmd GC.heap_info's "used" of every space), or NA without jcmd
heap_kb() {
    command -v jcmd >/dev/null || { echo NA; return; }
    jcmd "$1" GC.run >/dev/null 2>&1 || { echo NA; return; }
    sleep 1
    jcmd "$1" GC.heap_info 2>/dev/null | awk '/total [0-9]+K, used [0-9]+K/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i + 1); sub("K,?", "", v); s += v}} END {print (s ? s : "NA")}'
}

# --- 2. W1 without streams ---------------------------------------------------------------------------
[ "$WARMUP" = 0s ] || { log "W1 warm-up $WARMUP (unmeasured)"; run_load warm "$WARMUP"; }
for ((r = 1; r <= BEFORE; r++)); do log "W1 without streams, run $r/$BEFORE ($D, c=$C)"; run_load without "$D"; done
HEAP0=$(heap_kb "$HUB_PID"); RSS0=$(rss_kb "$HUB_PID")
log "without streams: RSS ${RSS0} KB, heap used after GC ${HEAP0} KB"

# --- 3. streams open, probes, W1 with them -----------------------------------------------------------------
READY="$OUT/.events-$TS-ready" STOP="$OUT/.events-$TS-stop"
rm -f "$READY" "$STOP"
BASES_CSV=$(IFS=,; echo "${BASES[*]}")
log "opening $STREAMS streams over $CLIENTS clients on $INSTANCES instance(s); probes at $PROBE_RATE/s"
python3 bench/events/streams.py "$BASES_CSV" "$CLIENTS_FILE" "$STREAMS" "$SECRET" "$PROBE_RATE" "$READY" "$STOP" 5 \
    >"$OUT/events-$TS-streams.json" 2>"$OUT/events-$TS-streams.err" &
CLIENT_PID=$!
for ((i = 0; i < 1800; i++)); do
    [ ! -f "$READY" ] || break
    kill -0 "$CLIENT_PID" 2>/dev/null || die "the stream client died: $(tail -3 "$OUT/events-$TS-streams.err")"
    sleep 0.1
done
[ -f "$READY" ] || die "the streams did not open in 3 minutes"
OPENED=$(cat "$READY")
sleep 2
HEAP1=$(heap_kb "$HUB_PID"); RSS1=$(rss_kb "$HUB_PID")
OPEN_ON_HUB1=$(curl -s -m 5 "http://127.0.0.1:${PORTS[1]}/observe/metrics" | awk '/^hub_events_streams_open / {print int($2)}')
log "$OPENED streams open ($OPEN_ON_HUB1 on hub 1): RSS ${RSS1} KB, heap used after GC ${HEAP1} KB"
for ((r = 1; r <= WITH; r++)); do log "W1 with the streams, run $r/$WITH ($D, c=$C)"; run_load with "$D"; done
touch "$STOP"
wait "$CLIENT_PID" || die "the stream client failed: $(tail -3 "$OUT/events-$TS-streams.err")"
CLIENT_PID=""
RES=$(cat "$OUT/events-$TS-streams.json")
log "streams: $(jq -c '{opened, probes, received, expected, missing, duplicates, outOfOrder, commitToReceiveMs}' <<<"$RES")"

# --- 4. W1 without streams again ------------------------------------------------------------------------------
for ((r = 1; r <= AFTER; r++)); do log "W1 without streams, run $r/$AFTER ($D, c=$C)"; run_load without "$D"; done

# --- 5. checks and summary ----------------------------------------------------------------------------------------
CHECK=PASS CHECK_LINES=""
chk() { if [ "$1" = ok ]; then CHECK_LINES+="  ok    $2"$'\n'; else CHECK_LINES+="  FAIL  $2"$'\n'; CHECK=FAIL; fi; }
j() { jq -r "$1" <<<"$RES"; }
(( $(j .opened) == STREAMS )) && s=ok || s=bad; chk $s "streams opened: $(j .opened) of $STREAMS (refused: $(jq -c .refused <<<"$RES"))"
(( $(j .probes) > 0 && $(j .probeErrors) == 0 )) && s=ok || s=bad; chk $s "probe reports accepted: $(j .probes), errors $(j .probeErrors)"
(( $(j .missing) == 0 )) && s=ok || s=bad; chk $s "every probe event reached every stream of its client: received $(j .received) of $(j .expected)"
(( $(j .duplicates) == 0 && $(j .outOfOrder) == 0 )) && s=ok || s=bad; chk $s "no duplicate, none out of order: $(j .duplicates) / $(j .outOfOrder)"
(( $(j .otherEvents) == 0 )) && s=ok || s=bad; chk $s "no other client's event on a bench stream: $(j .otherEvents) others"
CHECK_LINES=${CHECK_LINES%$'\n'}
median() { tr ' ' '\n' | awk '/^[0-9.]+$/' | sort -g | awk '{a[NR]=$1} END {if (NR==0) print "NA"; else if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
col() { local ph=$1 i; local -n arr=$2; for i in "${!R_PHASE[@]}"; do [ "${R_PHASE[$i]}" = "$ph" ] && printf '%s ' "${arr[$i]}"; done; return 0; }
M_WITH=$(col with R_RPS | median); M_WITHOUT=$(col without R_RPS | median)
RATIO=$(awk -v a="$M_WITH" -v b="$M_WITHOUT" 'BEGIN {if (b + 0 > 0 && a ~ /^[0-9.]+$/) printf "%.3f", a / b; else print "NA"}')
VERDICT=$(awk -v r="$RATIO" 'BEGIN {if (r == "NA") print "no figure"; else if (r >= 0.90) print "met (within 10 %)"; else print "NOT met"}')
PER_STREAM_RSS=$(awk -v a="$RSS1" -v b="$RSS0" -v n="$OPEN_ON_HUB1" 'BEGIN {if (n > 0) printf "%.1f", (a - b) / n; else print "NA"}')
PER_STREAM_HEAP=$(awk -v a="$HEAP1" -v b="$HEAP0" -v n="$OPEN_ON_HUB1" 'BEGIN {if (n > 0 && a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/) printf "%.1f", (a - b) / n; else print "NA"}')
P95=$(j .commitToReceiveMs.p95)
LAT_TARGET=$([ "$INSTANCES" = 1 ] && echo 500 || echo 2000)
LAT_VERDICT=$(awk -v p="$P95" -v t="$LAT_TARGET" 'BEGIN {if (p == "null" || p == "") print "no figure"; else if (p + 0 < t) print "met"; else print "NOT met"}')
HUB_ERRORS=$(cat "${HUB_LOGS[@]}" | grep -c ' ERROR ' || true)
{
    echo "Event stream benchmark $TS  $STREAMS streams over $CLIENTS clients on $INSTANCES instance(s) while W1 runs, PostgreSQL, loopback"
    echo "hub: $README_START  (git $GIT_HEAD)  java $("$HUB_JAVA_BIN" -version 2>&1 | awk -F'"' 'NR==1 {print $2}')"
    echo "W1: the peer's load-w1.sh, wrk -t2 c=$C, 5 s warm-up + $D per run; WARMUP=$WARMUP BEFORE=$BEFORE WITH=$WITH AFTER=$AFTER; probes $PROBE_RATE/s"
    echo "host: $(nproc) cores, load at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
    for n in "${NOTES[@]}"; do echo "$n"; done
    echo
    printf '%-8s %10s %9s %9s %8s\n' phase rps p50_ms p99_ms non2xx
    for i in "${!R_PHASE[@]}"; do printf '%-8s %10s %9s %9s %8s\n' "${R_PHASE[$i]}" "${R_RPS[$i]}" "${R_P50[$i]}" "${R_P99[$i]}" "${R_NON2XX[$i]}"; done
    for ph in without with; do printf '%-8s %10s %9s %9s %8s  (median)\n' "$ph" "$(col $ph R_RPS | median)" "$(col $ph R_P50 | median)" "$(col $ph R_P99 | median)" "$(col $ph R_NON2XX | median)"; done
    echo
    echo "W1 median rps with the streams / without: $RATIO  target >= 0.90: $VERDICT"
    echo "commit-to-receive ms: $(jq -c .commitToReceiveMs <<<"$RES")  target p95 < $LAT_TARGET ms: $LAT_VERDICT"
    [ "$INSTANCES" = 1 ] || echo "  of which streams on the second instance: $(jq -c .crossInstanceCommitToReceiveMs <<<"$RES")"
    echo "webhook-sent-to-receive ms: $(jq -c .sendToReceiveMs <<<"$RES")"
    echo "memory: hub 1 RSS $RSS0 -> $RSS1 KB, heap used after GC $HEAP0 -> $HEAP1 KB with $OPEN_ON_HUB1 streams open on it:" \
         "$PER_STREAM_RSS KB RSS, $PER_STREAM_HEAP KB heap per stream"
    echo "data check: $CHECK"
    echo "$CHECK_LINES"
    echo "hub logs: $HUB_ERRORS ERROR lines (${HUB_LOGS[*]})"
} | tee "$REPORT"
log "report written to $REPORT"
[ "$CHECK" = PASS ]
