#!/usr/bin/env bash
# Where the time goes on the webhook path (issue 19): the hub started as the README starts it
# (bench/readme-start.sh) on a fresh PostgreSQL database, then W1's load with no warm-up at all:
#   1. start-to-ready: the JVM's start to the first 200 from /health;
#   2. FIRST (20 s): the rate from the first second, in 5 s slices (what a freshly deployed hub does);
#   3. STEADY (60 s) after that, measured from a second recording that starts when FIRST ends;
#   4. the steady recording's CPU samples attributed to the stages of a report (bench/profile/stages.py:
#      parse, secret check, front door, tenant match, write, reply, Camel routing, logging, other) and the
#      GC pauses, as the table in BENCHMARKS.md.
# The load is wrk -t2 with the peer's w1.lua (unique call ids, 2 % repeats), loopback only.
#
#   bash bench/profile-w1.sh                   # FIRST=20 STEADY=60 C=64
#
# Knobs (environment): FIRST (20 s), STEADY (60 s), C (64), HUB_DB (hub_bench_profile), HUB_PORT / HUB_MGMT_PORT
# (18780 / 19780; the next free one is used), HUB_EXTRA_OPTS (more JVM options for an experiment, e.g.
# -XX:AOTCache=…: the report prints them), BENCH_JAVA (an experiment: the java the launcher runs instead of the
# one it picks, e.g. /usr/lib/jvm/java-17-openjdk-amd64/bin/java; the report says so), ASYNC_PROFILER (the path of
# async-profiler's libasyncProfiler.so, from Maven Central's tools.profiler:async-profiler jar: the steady minute is
# also sampled by it, every 1 ms of CPU, into a .collapsed file for bench/profile/frames.py; JFR's own samples can
# name the wrong inlined method).
# The hub runs from target/ as the README runs it (bin/hub), so the class-data archive the launcher keeps beside
# target/booking-hub.jar is used from the second run on: run it twice after a build to measure a restart.
# Output: bench/out/profile-w1-<timestamp>.txt (and the steady .jfr beside it). Exit 0 when the hub ran the
# load with no non-2xx answer.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/bench/lib.sh"
. "$REPO/bench/cpu.sh"   # proc_snapshot, cpu_split (needs HUB_PID)
PEER="$REPO/../shared/peers/seed-stack"
FIRST=${FIRST:-20}
STEADY=${STEADY:-60}
C=${C:-64}
HUB_DB=${HUB_DB:-hub_bench_profile}
BENCH_JAVA=${BENCH_JAVA:-}
PGH=(-h 127.0.0.1 -p 5432 -U postgres)
TS=$(date +%Y%m%d-%H%M%S)
OUT="$REPO/bench/out"
REPORT="$OUT/profile-w1-$TS.txt"
HUB_LOG="$OUT/profile-w1-$TS-hub.log"
JFR_STEADY="$OUT/profile-w1-$TS-steady.jfr"
AP_STEADY="$OUT/profile-w1-$TS-steady.collapsed"
ASYNC_PROFILER=${ASYNC_PROFILER:-}
SECRET="pf-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
ADMIN_TOKEN="adm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
[[ "$FIRST" =~ ^[0-9]+$ && "$STEADY" =~ ^[0-9]+$ && "$C" =~ ^[0-9]+$ ]] || { echo "FIRST, STEADY and C are whole numbers" >&2; exit 2; }
mkdir -p "$OUT"
cd "$REPO"
. "$REPO/bench/readme-start.sh"
log() { printf '[profile %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

HUB_PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$HUB_PID" 20
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v wrk >/dev/null || bash "$PEER/setup.sh" >/dev/null 2>&1 || die "wrk missing (the peer's setup.sh installs it)"
command -v jcmd >/dev/null || die "jcmd is needed (a JDK)"
[ -f target/booking-hub.jar ] && [ -d target/lib ] || die "build first: mvn -B -q package -DskipTests"
# the hub runs from target/ as the README runs it (a class-data or AOT cache made by the build names these paths);
# do not rebuild while it runs
PORT=$(free_port "${HUB_PORT:-18780}")
MGMT=$(free_port "${HUB_MGMT_PORT:-19780}" "$PORT")
psql_q -d postgres -c "drop database if exists $HUB_DB with (force)" -c "create database $HUB_DB" >/dev/null

log "starting: $README_START${BENCH_JAVA:+ (java: $BENCH_JAVA)} on :$PORT"
t0=$(now_ms)
# shellcheck disable=SC2086
HOST=127.0.0.1 PORT=$PORT HUB_MANAGEMENT_PORT=$MGMT DATABASE_URL="postgres://postgres@127.0.0.1:5432/$HUB_DB" \
    HUB_ADMIN_TOKEN=$ADMIN_TOKEN VAPI_WEBHOOK_SECRET=$SECRET env ${BENCH_JAVA:+HUB_JAVA=$BENCH_JAVA} HUB_JVM_OPTS="${HUB_EXTRA_OPTS:-}" \
    "$HUB_LAUNCH" >"$HUB_LOG" 2>&1 &
HUB_PID=$!
wait_http_200 "http://127.0.0.1:$PORT/health" 120 "$HUB_PID" || { tail -20 "$HUB_LOG" >&2; die "the hub did not answer /health 200"; }
READY_MS=$(( $(now_ms) - t0 ))
log "ready after $READY_MS ms; onboarding acme"
curl -s -f -m 10 -o /dev/null -X POST "http://127.0.0.1:$PORT/api/clients/onboard" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' -d '{"businessName":"Acme","email":"ops@acme.example","phone":"+441134961000"}' || die "onboarding failed"

wrk_run() { # seconds -> "rps non2xx p99"
    local out r g
    out=$(cd "$PEER" && W1_PATH=/webhooks/vapi VAPI_SECRET=$SECRET W1_NONCE=$(printf '%08x' $(( ($(date +%s%N) / 1000) % 4294967296 ))) \
        wrk -t2 -c"$C" -d"${1}s" --timeout 10s -s w1.lua "http://127.0.0.1:$PORT" 2>&1)
    r=$(grep '^W1RESULT' <<<"$out") || { echo "NA NA NA"; return; }
    g() { tr ' ' '\n' <<<"$r" | awk -F= -v k="$1" '$1==k {print $2}'; }
    echo "$(g rps) $(g non2xx) $(g p99_ms)"
}
log "FIRST: ${FIRST} s of load from the first second, in 5 s slices"
SLICES=() NON2XX=0
for ((s = 0; s < FIRST; s += 5)); do
    read -r rps n p99 <<<"$(wrk_run 5)"
    SLICES+=("$rps"); [ "$n" = NA ] || NON2XX=$((NON2XX + n))
    log "  $((s + 5)) s: $rps rps (p99 $p99 ms, non-2xx $n)"
done
FIRST_RPS=$(printf '%s\n' "${SLICES[@]}" | awk '/^[0-9.]+$/ {s += $1; n++} END {printf "%.0f", n ? s / n : 0}')
log "STEADY: ${STEADY} s, recorded"
jcmd "$HUB_PID" JFR.start name=steady settings=profile filename="$JFR_STEADY" >/dev/null
if [ -n "$ASYNC_PROFILER" ]; then
    # (the options in quotes: jcmd would read their key=value as its own)
    jcmd "$HUB_PID" JVMTI.agent_load "$ASYNC_PROFILER" "\"start,event=itimer,interval=1ms\"" >/dev/null
fi
CPU0=$(awk '{print $14 + $15}' "/proc/$HUB_PID/stat")
proc_snapshot >"$OUT/.profile-cpu0-$TS"; W0=$(now_ms)
read -r STEADY_RPS n STEADY_P99 <<<"$(wrk_run "$STEADY")"
CPU1=$(awk '{print $14 + $15}' "/proc/$HUB_PID/stat")
proc_snapshot >"$OUT/.profile-cpu1-$TS"
SPLIT=$(cpu_split "$OUT/.profile-cpu0-$TS" "$OUT/.profile-cpu1-$TS" $(( $(now_ms) - W0 )))
rm -f "$OUT/.profile-cpu0-$TS" "$OUT/.profile-cpu1-$TS"
[ "$n" = NA ] || NON2XX=$((NON2XX + n))
jcmd "$HUB_PID" JFR.stop name=steady >/dev/null
if [ -n "$ASYNC_PROFILER" ]; then
    # (the options in quotes: jcmd would read their key=value as its own)
    jcmd "$HUB_PID" JVMTI.agent_load "$ASYNC_PROFILER" "\"stop,collapsed,file=$AP_STEADY\"" >/dev/null
fi
TICKS=$(getconf CLK_TCK)
CPU_US=$(awk -v d=$((CPU1 - CPU0)) -v t="$TICKS" -v r="$STEADY_RPS" -v s="$STEADY" 'BEGIN {printf "%.0f", (r > 0) ? d / t * 1e6 / (r * s) : 0}')
log "  steady: $STEADY_RPS rps, p99 $STEADY_P99 ms; hub CPU $CPU_US µs per report; cores used: $SPLIT"
STAGES=$(python3 "$REPO/bench/profile/stages.py" "$JFR_STEADY")
{
    echo "W1 profile $TS  POST /webhooks/vapi, PostgreSQL, loopback, wrk -t2 c=$C, no warm-up"
    echo "hub: $README_START${BENCH_JAVA:+ (experiment: java $BENCH_JAVA)}  git $(git rev-parse --short HEAD)"
    echo "java: $("${BENCH_JAVA:-$HUB_JAVA_BIN}" -version 2>&1 | head -1)   host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "start to ready (/health 200): $READY_MS ms"
    echo "first ${FIRST} s from ready, 5 s slices: ${SLICES[*]} rps (mean $FIRST_RPS)"
    echo "steady ${STEADY} s after that: $STEADY_RPS rps, p99 $STEADY_P99 ms, hub CPU $CPU_US µs per report"
    echo "cores used in the steady window: $SPLIT"
    echo "non-2xx answers: $NON2XX"
    echo
    echo "$STAGES"
} | tee "$REPORT"
log "report: $REPORT (recording: $JFR_STEADY${ASYNC_PROFILER:+, async-profiler stacks: $AP_STEADY})"
[ "$NON2XX" = 0 ]
