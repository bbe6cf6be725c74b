#!/usr/bin/env bash
# Tool-call benchmark: Vapi tool-calls (POST /webhooks/vapi) answered by the hub's booking tools, PostgreSQL,
# the Google Calendar stand-in (uk.bookinghub.support.GoogleCalendarStub from src/test, run as its own process),
# loopback only. C (32) concurrent callers, closed loop (bench/tools/ToolLoad.java), one freshly started hub:
#   1. checkAvailability: random dates over the next DAYS (40) weekdays; round trip p50/p99 and the hub's share
#      (round trip minus the stand-in's freeBusy time); target: p99 hub share < 50 ms
#   2. bookAppointment with contention: every caller books among the same SLOTS (4) slots, then the next SLOTS, ...;
#      bookings/s, answers/s, p50/p99, hub share; then the data checks: no double booking (appointment_slots, the
#      appointments self-join, one "Booked" per slot), every "Booked" answer is a booked row and vice versa, and
#      the stand-in holds exactly one Google event per booking once the calendar-sync route has caught up
#
#   bash bench/tools.sh                           # D=20 WARMUP=20 C=32 SLOTS=4 (about 2 min plus the calendar catch-up); DAYS=40
#   D=5 WARMUP=5 bash bench/tools.sh              # quick smoke run
#   CAL_LATENCY_MS=100 bash bench/tools.sh        # a Google-like freeBusy time: the hub's share is then the round trip minus it
#
# Knobs (environment): D (20: measured seconds per phase), WARMUP (20: unmeasured seconds before each phase's
# measured ones, same callers; the hub's JIT needs them on 2 cores), C (32: concurrent callers), SLOTS (4: slots the
# callers fight over at a time), SLOT_MIN (30: slot length in the booking phase, opening hours 08:00-20:00 every
# day), DAYS (40: weekdays the availability dates are drawn from; they must stay inside the booking horizon, 60 days by default, which the tools now enforce), CAL_LATENCY_MS (0: latency the stand-in adds to
# every Calendar request), CAL_SYNC_MS (empty: the hub's hub.calendar.sync-ms as configured, 5000; a value is given
# to the hub as -Dhub.calendar.sync-ms), SYNC_TIMEOUT (auto: seconds to wait after the booking phase for the
# calendar-sync route to bring every booking to the stand-in; auto = twice the time it needs at 50 appointments per
# sync-ms tick, plus 30 s; the wait ends as soon as no booking is pending, or when none has been synced for 3 ticks
# + 10 s), THINK_MS (0: each caller's pause between an answer and its next tool call, uniform 0.5-1.5 x; 0 = closed
# loop without pause, the issue's load), BUILD=1 (rebuild the jar), HUB_PORT / HUB_MGMT_PORT (first port tried;
# the next free one is used), the hub's JVM options are the README's (bench/readme-start.sh), STUB_JAVA_OPTS (-Xmx512m -XX:+UseParallelGC),
# LOAD_JAVA_OPTS (-Xmx512m -XX:+UseParallelGC).
# Output: a summary on stdout and in bench/out/tools-<timestamp>.txt; the hub log and GC log, the stand-in's log,
# ToolLoad's output and key=value files and the booked answers beside it (bench/out/ is git-ignored).
# Exit status: 0 if both phases ran and every data check passed (the latency target is reported, it does not
# decide the exit status); 1 for a failed data check (double booking, answers and rows disagree, missing or
# duplicate Google events) or a run error; 2 for bad knobs.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/bench/lib.sh"   # now_ms, psql_q, sleep_ms, rss_kb, stop_pid, free_port, wait_http_200
D=${D:-20}
WARMUP=${WARMUP:-20}
C=${C:-32}
SLOTS=${SLOTS:-4}
SLOT_MIN=${SLOT_MIN:-30}
DAYS=${DAYS:-40}
CAL_LATENCY_MS=${CAL_LATENCY_MS:-0}
CAL_SYNC_MS=${CAL_SYNC_MS:-}
SYNC_TIMEOUT=${SYNC_TIMEOUT:-auto}
THINK_MS=${THINK_MS:-0}
BUILD=${BUILD:-0}
# the hub starts as the README says (its JVM options, profile prod, reload off): bench/readme-start.sh
. "$REPO/bench/readme-start.sh"
STUB_JAVA_OPTS=${STUB_JAVA_OPTS:--Xmx512m -XX:+UseParallelGC}
LOAD_JAVA_OPTS=${LOAD_JAVA_OPTS:--Xmx512m -XX:+UseParallelGC}
HUB_DB=hub_tools_bench
PGH=(-h 127.0.0.1 -p 5432 -U postgres)
TS=$(date +%Y%m%d-%H%M%S)
OUT="$REPO/bench/out"
REPORT="$OUT/tools-$TS.txt"
STUB_LOG="$OUT/tools-$TS-stub.log"
HUB_LOG="$OUT/tools-$TS-hub.log"
HUB_GC_LOG="$OUT/tools-$TS-hub-gc.log"
ADMIN_TOKEN="adm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
VAPI_SECRET="vapi-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
RUN_ID="$TS"
CAL_ID="bench@calendar"
ZONE=Europe/London                     # the onboarded client's time zone (checked below)
OPEN=08:00 CLOSE=20:00                 # booking phase: opening hours, every day
# target of the issue
T_P99_MS=50

for v in D WARMUP C SLOTS SLOT_MIN DAYS CAL_LATENCY_MS THINK_MS; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "$v must be a non-negative integer" >&2; exit 2; }
done
[ -z "$CAL_SYNC_MS" ] || [[ "$CAL_SYNC_MS" =~ ^[1-9][0-9]*$ ]] || { echo "CAL_SYNC_MS must be empty or a whole number of ms" >&2; exit 2; }
[ "$SYNC_TIMEOUT" = auto ] || [[ "$SYNC_TIMEOUT" =~ ^[0-9]+$ ]] || { echo "SYNC_TIMEOUT must be auto or a whole number of seconds" >&2; exit 2; }
(( D >= 1 && C >= 1 && C <= 512 && SLOTS >= 1 && DAYS >= 1 && DAYS <= 250 && SLOT_MIN >= 5 && SLOT_MIN % 5 == 0 && SLOT_MIN <= 720 )) \
    || { echo "D, C, SLOTS, DAYS must be >= 1 (C <= 512, DAYS <= 250); SLOT_MIN a multiple of 5 from 5 to 720" >&2; exit 2; }
mkdir -p "$OUT"
cd "$REPO"

log() { printf '[tools %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
kv() { # file, key -> value (NA if absent)
    local v
    v=$(grep -m1 "^$2=" "$1" 2>/dev/null | cut -d= -f2-) || true
    echo "${v:-NA}"
}
num() { [[ "${1:-}" =~ ^-?[0-9]+([.][0-9]+)?$ ]]; }

# --- cleanup: stop only what this script started, by PID --------------------------------------
HUB_PID="" STUB_PID="" LOAD_PID="" WORK_DIR=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$LOAD_PID" 5
    stop_pid "$HUB_PID" 20
    stop_pid "$STUB_PID" 5
    wait 2>/dev/null || true
    [ -z "$WORK_DIR" ] || rm -rf "$WORK_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


# --- 1. prerequisites ----------------------------------------------------------------------------
for c in curl psql jq java javac awk; do command -v "$c" >/dev/null || die "$c is needed"; done
psql_q -d postgres -c 'select 1' >/dev/null || die "PostgreSQL not reachable on 127.0.0.1:5432 as postgres"
if [ "$BUILD" = 1 ] || [ ! -f target/booking-hub.jar ] || [ ! -d target/lib ]; then
    log "building the hub (mvn -B -q -o package -DskipTests)"
    mvn -B -q -o package -DskipTests >"$OUT/tools-$TS-build.log" 2>&1 || { tail -30 "$OUT/tools-$TS-build.log" >&2; die "hub build failed"; }
fi
[ -f target/booking-hub.jar ] || die "target/booking-hub.jar missing after build"
STUB_SRC=src/test/java/uk/bookinghub/support/GoogleCalendarStub.java
# the stand-in is built on the stubs' shared base
STUB_BASE=src/test/java/uk/bookinghub/support/StubServer.java
LOAD_SRC=bench/tools/ToolLoad.java
[ -f "$STUB_SRC" ] || die "$STUB_SRC missing"
grep -q 'public static void main' "$STUB_SRC" || die "$STUB_SRC has no main (the stand-in must run as a process of its own)"
[ -f "$LOAD_SRC" ] || die "$LOAD_SRC missing"
NOTES=()
JAR_NOTE=""
if [ -n "$(find src/main pom.xml routes application*.properties -newer target/booking-hub.jar -type f -print -quit 2>/dev/null)" ]; then
    JAR_NOTE="note: target/booking-hub.jar is older than src/main, pom.xml, routes/ or application*.properties (BUILD=1 rebuilds it)"
    NOTES+=("$JAR_NOTE")
fi
for n in ${NOTES[@]+"${NOTES[@]}"}; do log "$n"; done
JAR_INFO="target/booking-hub.jar of $(date -r target/booking-hub.jar '+%F %T')"
if command -v git >/dev/null && git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then   # read-only look-ups
    JAR_INFO="$JAR_INFO; HEAD $(git -C "$REPO" --no-optional-locks log -1 --format='%h %cd %s' --date=format:'%F %T' | cut -c1-110)"
    JAR_INFO="$JAR_INFO; $(git -C "$REPO" --no-optional-locks status --porcelain --untracked-files=no -- src/main routes pom.xml 'application*.properties' | wc -l) changed file(s) in src/main, routes/, pom.xml, application*.properties"
fi
# Private copies of the jar + lib/, routes/ and application*.properties; the stand-in (JDK + Jackson only) and the
# load client are compiled from their sources into the same place, so a build or an edit made meanwhile by someone
# else (mvn package/test rewrites target/) cannot reach this run. The jar copy is named tools-bench-hub.jar, so a
# kill by name of booking-hub.jar spares it.
WORK_DIR=$(mktemp -d /tmp/tools-bench.XXXXXX)
cp -p target/booking-hub.jar "$WORK_DIR/tools-bench-hub.jar" && cp -rp target/lib "$WORK_DIR/lib" || die "cannot copy the hub jar"
mkdir -p "$WORK_DIR/conf" && cp -rp routes "$WORK_DIR/conf/routes" && cp -p application*.properties "$WORK_DIR/conf/" \
    || die "cannot copy routes/ and application*.properties"
log "compiling the Google Calendar stand-in and the load client (javac, into $WORK_DIR)"
mkdir -p "$WORK_DIR/stub" "$WORK_DIR/load"
javac -nowarn -d "$WORK_DIR/stub" -cp "$WORK_DIR/lib/*" "$STUB_SRC" "$STUB_BASE" >"$OUT/tools-$TS-javac.log" 2>&1 \
    || { cat "$OUT/tools-$TS-javac.log" >&2; die "cannot compile $STUB_SRC"; }
javac -nowarn -d "$WORK_DIR/load" -cp "$WORK_DIR/lib/*" "$LOAD_SRC" >>"$OUT/tools-$TS-javac.log" 2>&1 \
    || { cat "$OUT/tools-$TS-javac.log" >&2; die "cannot compile $LOAD_SRC"; }
rm -f "$OUT/tools-$TS-javac.log"

HUB_PORT=$(free_port "${HUB_PORT:-8080}")
HUB_MGMT_PORT=$(free_port "${HUB_MGMT_PORT:-19876}" "$HUB_PORT")
BASE="http://127.0.0.1:$HUB_PORT"
MEM_MB=$(awk '/^MemTotal:/ {printf "%.0f", $2 / 1024}' /proc/meminfo)
CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN {exit !(l + 0 > n)}' \
    && log "warning: load average $LOAD_START on $(nproc) cores before the start: something else is running; the figures will show it as 'other processes'"
CLK_TCK=$(getconf CLK_TCK)

# --- 2. the Google Calendar stand-in -------------------------------------------------------------
log "starting the Google Calendar stand-in (127.0.0.1, a free port, latency ${CAL_LATENCY_MS} ms)"
# shellcheck disable=SC2086
java $STUB_JAVA_OPTS -cp "$WORK_DIR/stub:$WORK_DIR/lib/*" uk.bookinghub.support.GoogleCalendarStub --port 0 \
    --latency-ms "$CAL_LATENCY_MS" >"$STUB_LOG" 2>&1 &
STUB_PID=$!
deadline=$(( $(now_ms) + 30000 ))
while :; do
    STUB_URL=$(grep -o 'GOOGLE_STUB_URL=http://127.0.0.1:[0-9]*' "$STUB_LOG" | head -1 | cut -d= -f2 || true)
    [ -n "$STUB_URL" ] && break
    kill -0 "$STUB_PID" 2>/dev/null || { tail -20 "$STUB_LOG" >&2; die "the stand-in exited"; }
    (( $(now_ms) < deadline )) || die "the stand-in printed no GOOGLE_STUB_URL in 30 s (log: $STUB_LOG)"
    sleep 0.1
done
wait_http_200 "$STUB_URL/stub/stats" 10 "$STUB_PID" || die "the stand-in does not answer GET /stub/stats"
stub_stats() { curl -s -m 30 "$STUB_URL/stub/stats"; }

# --- 3. database and hub ---------------------------------------------------------------------------
log "recreating database $HUB_DB"
psql_q -d postgres -c "drop database if exists $HUB_DB with (force)" -c "create database $HUB_DB" >/dev/null
SYNC_OPT=""
[ -z "$CAL_SYNC_MS" ] || SYNC_OPT="-Dhub.calendar.sync-ms=$CAL_SYNC_MS"
log "starting the hub (copies of target/booking-hub.jar, routes/, application*.properties) on :$HUB_PORT (management :$HUB_MGMT_PORT), $README_START $SYNC_OPT"
t0=$(now_ms)
# Every partner but the calendar is left unconfigured (empty), so nothing leaves the machine: confirmations are
# stored as not_configured, the dialler has no Vapi key. Drama-range numbers (07700 900xxx) are valid for the phones.
# shellcheck disable=SC2086
HOST=127.0.0.1 PORT=$HUB_PORT HUB_MANAGEMENT_PORT=$HUB_MGMT_PORT \
    DATABASE_URL="postgres://postgres@127.0.0.1:5432/$HUB_DB" HUB_ADMIN_TOKEN=$ADMIN_TOKEN VAPI_WEBHOOK_SECRET=$VAPI_SECRET \
    VAPI_WEBHOOK_SECRET_HEADER=X-Vapi-Secret GOOGLE_BASE_URL=$STUB_URL GOOGLE_CLIENT_EMAIL= GOOGLE_PRIVATE_KEY= \
    HUB_ALLOW_TEST_NUMBERS=true PUBLIC_BASE_URL=$BASE \
    TWILIO_ACCOUNT_SID= TWILIO_AUTH_TOKEN= TWILIO_FROM_NUMBER= TWILIO_MESSAGING_SERVICE_SID= TWILIO_BASE_URL= \
    EMAIL_SERVICE= SMTP_HOST= EMAIL_USER= EMAIL_PASS= EMAIL_FROM= ADMIN_EMAIL= SLACK_WEBHOOK_URL= \
    VAPI_PRIVATE_KEY= VAPI_ASSISTANT_ID= VAPI_PHONE_NUMBER_ID= VAPI_BASE_URL=http://127.0.0.1:9 \
    HUB_CONFIG="$WORK_DIR/conf/application.properties" HUB_ROUTES_DIR="$WORK_DIR/conf/routes" \
    HUB_JAR="$WORK_DIR/tools-bench-hub.jar" HUB_JVM_OPTS="${HUB_EXTRA_OPTS:+$HUB_EXTRA_OPTS }$SYNC_OPT -Xlog:gc:file=$HUB_GC_LOG:timemillis" "$HUB_LAUNCH" >"$HUB_LOG" 2>&1 &
HUB_PID=$!
if ! wait_http_200 "$BASE/health" 120 "$HUB_PID"; then
    { grep -E ' (ERROR|FATAL) ' "$HUB_LOG" | tail -5 | grep . || tail -30 "$HUB_LOG"; } | cut -c1-400 >&2
    die "hub did not answer /health 200 (log: $HUB_LOG)${JAR_NOTE:+; $JAR_NOTE}"
fi
# /health answers while the supervising route controller is still starting the other routes (the onboarding route
# can come last): wait for its "Routes startup (total:N started:M ...)" line
deadline=$(( $(now_ms) + 60000 ))
until ROUTES_LINE=$(grep -o -m1 'Routes startup (total:[0-9]* started:[0-9]*[^)]*)' "$HUB_LOG"); do
    kill -0 "$HUB_PID" 2>/dev/null || die "the hub exited during start-up (log: $HUB_LOG)"
    (( $(now_ms) < deadline )) || die "the hub logged no 'Routes startup (total:...)' line within 60 s of /health 200 (log: $HUB_LOG)"
    sleep 0.1
done
HUB_START_MS=$(( $(now_ms) - t0 ))
R_TOTAL=$(sed -E 's/.*total:([0-9]+).*/\1/' <<<"$ROUTES_LINE") R_STARTED=$(sed -E 's/.*started:([0-9]+).*/\1/' <<<"$ROUTES_LINE")
if [ "$R_TOTAL" != "$R_STARTED" ]; then
    NOTES+=("note: the hub started $R_STARTED of $R_TOTAL routes: $ROUTES_LINE")
    log "warning: $ROUTES_LINE"
fi
GCAL_HEALTH=$(curl -s -m 5 "$BASE/health" | jq -r '[.. | .googleCalendar? // empty | tostring] | first // "?"' 2>/dev/null || echo "?")
log "hub healthy and its routes started after ${HUB_START_MS} ms ($ROUTES_LINE); /health googleCalendar: $GCAL_HEALTH"
SYNC_MS_EFFECTIVE=${CAL_SYNC_MS:-$(grep -E '^hub\.calendar\.sync-ms *=' "$WORK_DIR/conf/application.properties" | sed 's/.*= *//' | tail -1)}

log "onboarding client 'Bench Plumbing'"
resp=$(curl -s -m 10 -w '\n%{http_code}' -X POST "$BASE/api/clients/onboard" \
    -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d '{"businessName":"Bench Plumbing","email":"bench@example.com","phone":"0113 496 1000"}') || die "onboarding request failed"
code=${resp##*$'\n'} body=${resp%$'\n'*}
[ "$code" = 201 ] || die "onboarding answered $code (201 expected): $body"
CLIENT_KEY=$(jq -r '.clientKey // empty' <<<"$body")
API_KEY=$(jq -r '.apiKey // empty' <<<"$body")
[ -n "$CLIENT_KEY" ] && [ -n "$API_KEY" ] || die "no clientKey / apiKey in the onboarding reply: $body"
CLIENT_ID=$(psql_q -d "$HUB_DB" -c "select id from clients where client_key = '$CLIENT_KEY'")
[[ "${CLIENT_ID:-}" =~ ^[0-9]+$ ]] || die "no clients row with client_key '$CLIENT_KEY'"

put_settings() { # json -> the saved settings (dies unless 200)
    local r c b
    r=$(curl -s -m 10 -w '\n%{http_code}' -X PUT "$BASE/api/clients/$CLIENT_KEY/settings" -H "X-API-Key: $API_KEY" \
        -H 'Content-Type: application/json' -d "$1") || die "settings request failed"
    c=${r##*$'\n'} b=${r%$'\n'*}
    [ "$c" = 200 ] || die "PUT /api/clients/$CLIENT_KEY/settings answered $c: $b"
    echo "$b"
}
tool_call() { # tool name, arguments JSON -> the hub's answer for it (result or error text)
    local body
    body=$(jq -nc --arg k "$CLIENT_KEY" --arg n "$1" --arg a "$2" --arg id "probe-$RUN_ID-$RANDOM$RANDOM" \
        '{message: {type: "tool-calls", call: {id: ("call-" + $id), assistantOverrides: {variableValues: {clientKey: $k}}},
          toolCallList: [{id: $id, type: "function", function: {name: $n, arguments: $a}}]}}')
    curl -s -m 15 -X POST "$BASE/webhooks/vapi" -H "X-Vapi-Secret: $VAPI_SECRET" -H 'Content-Type: application/json' -d "$body" \
        | jq -r '.results[0] | (.result // ("ERROR: " + (.error // "none")))' 2>/dev/null || echo "ERROR: no JSON answer"
}

# --- 4. phase 1: checkAvailability -----------------------------------------------------------------
# Defaults (Mon-Fri 09:00-17:00, 60-minute slots) plus the calendar; the stand-in has a busy block 12:00-13:00 on
# each of the DAYS weekdays, so every freeBusy answer carries something and availability must leave 12:00 out.
S1=$(put_settings "{\"googleCalendarId\":\"$CAL_ID\"}")
TZ_CLIENT=$(jq -r '.timezone // empty' <<<"$S1")
[ "$TZ_CLIENT" = "$ZONE" ] || die "client time zone is '$TZ_CLIENT' ($ZONE expected)"
log "phase 1 settings: $(jq -c '{slotMinutes, minNoticeMinutes, googleCalendarId, mon: .businessHours.mon, sat: .businessHours.sat}' <<<"$S1")"
WEEKDAYS=()
for ((i = 1; ${#WEEKDAYS[@]} < DAYS; i++)); do
    d=$(TZ=$ZONE date -d "today + $i days" +%F)
    (( $(date -d "$d" +%u) <= 5 )) && WEEKDAYS+=("$d")
done
for d in "${WEEKDAYS[@]}"; do
    st=$(TZ=$ZONE date -d "$d 12:00" --iso-8601=seconds) en=$(TZ=$ZONE date -d "$d 13:00" --iso-8601=seconds)
    [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -G -X POST "$STUB_URL/stub/busy" --data-urlencode "calendar=$CAL_ID" \
        --data-urlencode "start=$st" --data-urlencode "end=$en")" = 200 ] || die "cannot add a busy block to the stand-in"
done
PROBE_DAY=${WEEKDAYS[0]}
PROBE=$(tool_call checkAvailability "{\"date\":\"$PROBE_DAY\"}")
log "probe checkAvailability $PROBE_DAY: $PROBE"
FB_PROBE=$(stub_stats | jq -r '.freeBusy.total')
[[ "$PROBE" == "Free times"* && "$PROBE" == *"${PROBE_DAY}T11:00"* && "$PROBE" == *"${PROBE_DAY}T13:00"* && "$PROBE" != *"${PROBE_DAY}T12:00"* ]] \
    || die "checkAvailability for $PROBE_DAY should offer 11:00 and 13:00 but not 12:00 (busy at the stand-in): $PROBE"
[ "$FB_PROBE" -ge 1 ] 2>/dev/null || die "the stand-in saw no freeBusy request for the probe (hub not using GOOGLE_BASE_URL?)"

run_load() { # phase name, ToolLoad arguments...
    local phase=$1; shift
    local rc=0
    # shellcheck disable=SC2086
    java $LOAD_JAVA_OPTS -cp "$WORK_DIR/load:$WORK_DIR/lib/*" ToolLoad --url "$BASE/webhooks/vapi" --secret "$VAPI_SECRET" \
        --client-key "$CLIENT_KEY" --threads "$C" --warmup "$WARMUP" --duration "$D" --stub "$STUB_URL" --zone "$ZONE" \
        --run-id "$RUN_ID" --kv "$OUT/tools-$TS-$phase.kv" --pids "hub=$HUB_PID,stub=$STUB_PID" --clk-tck "$CLK_TCK" \
        --think-ms "$THINK_MS" "$@" \
        >"$OUT/tools-$TS-$phase.load.txt" 2>&1 &
    LOAD_PID=$!
    wait "$LOAD_PID" || rc=$?
    LOAD_PID=""
    sed 's/^/    /' "$OUT/tools-$TS-$phase.load.txt" >&2
    kill -0 "$HUB_PID" 2>/dev/null || die "the hub died during the $phase phase (log: $HUB_LOG)"
    (( rc == 0 )) || die "the load client failed in the $phase phase (exit $rc; $OUT/tools-$TS-$phase.load.txt)"
}
THINK_NOTE=""
(( THINK_MS == 0 )) || THINK_NOTE=" (each pausing ${THINK_MS} ms +-50 % between tool calls)"
log "phase 1: checkAvailability, $C callers$THINK_NOTE, warm-up ${WARMUP} s, measured ${D} s, dates over the next $DAYS weekdays"
WARN0=$(grep -c 'busy times of .* unavailable' "$HUB_LOG" || true)
run_load avail --mode avail --days "$DAYS"
P1_BUSY_WARN=$(( $(grep -c 'busy times of .* unavailable' "$HUB_LOG" || true) - WARN0 ))
P1=$OUT/tools-$TS-avail.kv
N_TOOLS_AVAIL=$(psql_q -d "$HUB_DB" -c "select count(*) from tool_calls where name = 'checkAvailability'")

# --- 5. phase 2: bookAppointment with contention ---------------------------------------------------
FIRST_DAY=$(TZ=$ZONE date -d "today + 2 days" +%F)
HOURS=$(jq -nc --arg o "$OPEN" --arg c "$CLOSE" '[("mon","tue","wed","thu","fri","sat","sun")] | map({(.): [[$o, $c]]}) | add')
[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "$STUB_URL/stub/reset")" = 200 ] || die "POST /stub/reset failed"   # busy blocks gone
S2=$(put_settings "{\"slotMinutes\":$SLOT_MIN,\"googleCalendarId\":\"$CAL_ID\",\"horizonDays\":365,\"businessHours\":$HOURS}")
log "phase 2 settings: $(jq -c '{slotMinutes, minNoticeMinutes, horizonDays, googleCalendarId, mon: .businessHours.mon, sun: .businessHours.sun}' <<<"$S2")"
log "phase 2: bookAppointment, $C callers$THINK_NOTE on $SLOTS slots at a time from $FIRST_DAY $OPEN (${SLOT_MIN}-minute slots, $OPEN-$CLOSE every day), warm-up ${WARMUP} s, measured ${D} s"
BOOKED_TSV="$OUT/tools-$TS-booked.tsv"
WARN0=$(grep -c 'busy times of .* unavailable' "$HUB_LOG" || true)
run_load book --mode book --first-day "$FIRST_DAY" --slots "$SLOTS" --slot-minutes "$SLOT_MIN" --open "$OPEN" --close "$CLOSE" --booked "$BOOKED_TSV"
P2_BUSY_WARN=$(( $(grep -c 'busy times of .* unavailable' "$HUB_LOG" || true) - WARN0 ))
P2=$OUT/tools-$TS-book.kv
T_LOAD_END=$(now_ms)

# --- 6. calendar catch-up --------------------------------------------------------------------------
# calendar-sync takes at most 50 pending appointments per hub.calendar.sync-ms tick
read -r PENDING0 BOOKED_ROWS < <(psql_q -F ' ' -d "$HUB_DB" -c "select count(*) filter (where calendar_status = 'pending'), count(*) from appointments where status = 'booked'")
if [ "$SYNC_TIMEOUT" = auto ]; then
    SYNC_WAIT_S=$(( 2 * ((PENDING0 + 49) / 50) * SYNC_MS_EFFECTIVE / 1000 + 30 ))
else
    SYNC_WAIT_S=$SYNC_TIMEOUT
fi
log "waiting for calendar-sync: $PENDING0 of $BOOKED_ROWS booked appointments pending at the end of the load (at most ${SYNC_WAIT_S} s)"
SYNC_STATUS=""
deadline=$(( T_LOAD_END + SYNC_WAIT_S * 1000 ))
stall_ms=$(( 3 * SYNC_MS_EFFECTIVE + 10000 ))
last_log=0 last_pend=-1 t_progress=$(now_ms)
while :; do
    read -r pend synced failed < <(psql_q -F ' ' -d "$HUB_DB" -c "select count(*) filter (where calendar_status = 'pending'),
        count(*) filter (where calendar_status = 'synced'), count(*) filter (where calendar_status = 'failed') from appointments where status = 'booked'")
    if (( pend == 0 )); then SYNC_STATUS=done; break; fi
    kill -0 "$HUB_PID" 2>/dev/null || { SYNC_STATUS=hub-died; break; }
    (( pend != last_pend )) && { last_pend=$pend; t_progress=$(now_ms); }
    if (( $(now_ms) - t_progress > stall_ms )); then SYNC_STATUS="stalled (no progress for $((stall_ms / 1000)) s)"; break; fi
    if (( $(now_ms) > deadline )); then SYNC_STATUS=timeout; break; fi
    if (( $(now_ms) - last_log >= 15000 )); then log "  calendar: $synced synced, $pend pending, $failed failed"; last_log=$(now_ms); fi
    sleep 1
done
SYNC_MS=$(( $(now_ms) - T_LOAD_END ))
sleep 2   # a duplicate insert (a second event) would arrive after the row says synced
log "calendar-sync: $SYNC_STATUS after ${SYNC_MS} ms ($synced synced, $pend pending, $failed failed)"
STATS=$(stub_stats)

# --- 7. data checks ----------------------------------------------------------------------------------
CHECK=PASS
CHECKS=()
check() { # ok(0/1), text
    if [ "$1" = 1 ]; then CHECKS+=("ok    $2"); else CHECKS+=("FAIL  $2"); CHECK=FAIL; fi
}
B_ALL=$(kv "$P2" all_booked)
DUP_UNITS=$(psql_q -d "$HUB_DB" -c "select count(*) from (select client_id, unit_start, count(*) from appointment_slots group by 1, 2 having count(*) > 1) d")
check "$([ "$DUP_UNITS" = 0 ] && echo 1 || echo 0)" "appointment_slots: $DUP_UNITS (client_id, unit_start) claimed more than once (group by ... having count(*) > 1)"
read -r ROWS_BOOKED ROWS_ALL ROWS_CLIENT < <(psql_q -F ' ' -d "$HUB_DB" -c "select count(*) filter (where status = 'booked'), count(*),
    count(distinct client_id) from appointments")
check "$([ "$ROWS_BOOKED" = "$B_ALL" ] && echo 1 || echo 0)" "\"Booked\" answers $B_ALL (warm-up included) = appointments with status booked $ROWS_BOOKED (of $ROWS_ALL rows)"
OVERLAP=$(psql_q -d "$HUB_DB" -c "select count(*) from appointments a join appointments b on a.client_id = b.client_id and a.id < b.id
    and a.start_at < b.end_at and b.start_at < a.end_at where a.status = 'booked' and b.status = 'booked'")
check "$([ "$OVERLAP" = 0 ] && echo 1 || echo 0)" "overlapping booked appointments (self-join on start_at/end_at per client): $OVERLAP pairs"
MULTI=$(kv "$P2" slots_booked_twice_or_more)
check "$([ "$MULTI" = 0 ] && echo 1 || echo 0)" "slots answered \"Booked\" more than once: $MULTI$( [ "$MULTI" = 0 ] || echo " ($(kv "$P2" slots_multi_list))")"
# every "Booked" answer names its appointment: same id (Reference), tool call and start; and no booked row without one
read -r M_MATCH M_ORPHAN_ANS M_ORPHAN_ROW < <(psql_q -F ' ' -d "$HUB_DB" <<SQL
create temp table answered (ref text, tool_call_id text, start_local text, measured int);
\copy answered from '$BOOKED_TSV'
select (select count(*) from answered x join appointments a on a.id::text = x.ref and a.tool_call_id = x.tool_call_id
            and a.status = 'booked' and a.start_at = (x.start_local::timestamp at time zone '$ZONE')),
       (select count(*) from answered x where not exists (select 1 from appointments a where a.id::text = x.ref and a.status = 'booked')),
       (select count(*) from appointments a where a.status = 'booked' and not exists (select 1 from answered x where x.ref = a.id::text));
SQL
)
check "$([ "$M_MATCH" = "$B_ALL" ] && [ "$M_ORPHAN_ANS" = 0 ] && [ "$M_ORPHAN_ROW" = 0 ] && echo 1 || echo 0)" \
    "answers vs rows: $M_MATCH of $B_ALL \"Booked\" answers name a booked row with that reference, toolCallId and start; answers without a row $M_ORPHAN_ANS; booked rows without an answer $M_ORPHAN_ROW"
# Google events at the stand-in
read -r G_INSERTS G_409 G_EVENTS G_ACTIVE G_REFS G_WITHREF G_OVERLAPS < <(jq -r --arg c "$CAL_ID" \
    '"\(.inserts) \(.insert.byStatus["409"] // 0) \(.calendars[$c].events // 0) \(.calendars[$c].active // 0) \(.calendars[$c].distinctRefs // 0) \(.calendars[$c].withRef // 0) \(.calendars[$c].overlaps // 0)"' <<<"$STATS")
read -r DB_SYNCED DB_EVIDS DB_PENDING DB_FAILED < <(psql_q -F ' ' -d "$HUB_DB" -c "select count(*) filter (where calendar_status = 'synced'),
    count(distinct google_event_id), count(*) filter (where calendar_status = 'pending'), count(*) filter (where calendar_status = 'failed')
    from appointments where status = 'booked'")
check "$([ "$G_EVENTS" = "$G_REFS" ] && [ "$G_WITHREF" = "$G_EVENTS" ] && [ "$G_INSERTS" = "$G_EVENTS" ] && [ "$G_OVERLAPS" = 0 ] && (( G_EVENTS <= ROWS_BOOKED )) && echo 1 || echo 0)" \
    "Google events at the stand-in: $G_EVENTS stored ($G_ACTIVE active), $G_INSERTS inserts accepted, $G_409 refused as duplicate (409), $G_REFS distinct appointment references, $G_OVERLAPS overlapping: no duplicates"
check "$([ "$SYNC_STATUS" = done ] && [ "$G_EVENTS" = "$ROWS_BOOKED" ] && [ "$DB_SYNCED" = "$ROWS_BOOKED" ] && [ "$DB_EVIDS" = "$ROWS_BOOKED" ] && echo 1 || echo 0)" \
    "Google events = bookings after the catch-up: $G_EVENTS events for $ROWS_BOOKED booked rows; rows synced $DB_SYNCED (distinct google_event_id $DB_EVIDS), pending $DB_PENDING, failed $DB_FAILED; calendar-sync $SYNC_STATUS after ${SYNC_MS} ms"
# run errors: non-200 answers or I/O errors
for ph in avail book; do
    f=$OUT/tools-$TS-$ph.kv
    bad=$(( $(kv "$f" all_non_200) + $(kv "$f" all_io_error) ))
    check "$([ "$bad" = 0 ] && echo 1 || echo 0)" "$ph: every request answered 200 with a result (non-200 $(kv "$f" all_non_200), I/O errors $(kv "$f" all_io_error), error answers $(kv "$f" all_error_answer), unexpected answers $(kv "$f" all_other_answer)$( [ "$ph" = book ] && echo ", \"cannot be booked\" $(kv "$f" all_cannot_book)"))"
done
# information, not checks
read -r CONF_ROWS CONF_APPTS CONF_STATUS < <(psql_q -F ' ' -d "$HUB_DB" -c "select count(*), count(distinct appointment_id),
    coalesce(string_agg(distinct status, ','), '-') from messages where kind = 'confirmation'")
N_TOOLS_BOOK=$(psql_q -d "$HUB_DB" -c "select count(*) from tool_calls where name = 'bookAppointment'")
N_DEAD=$(psql_q -d "$HUB_DB" -c "select count(*) from dead_letters" 2>/dev/null || echo NA)
N_ERRLOG=$(psql_q -d "$HUB_DB" -c "select count(*) from error_log" 2>/dev/null || echo NA)

# --- 8. summary ------------------------------------------------------------------------------------
target() { # p99 hub share -> PASS/FAIL
    if num "$1"; then awk -v v="$1" -v t="$T_P99_MS" 'BEGIN {print (v < t) ? "PASS" : "FAIL"}'; else echo "FAIL (not measured)"; fi
}
T1=$(target "$(kv "$P1" share_p99_ms)") T2=$(target "$(kv "$P2" share_p99_ms)")
LOG_COUNTS="$(grep -c -E '\bWARN\b' "$HUB_LOG" || true) WARN, $(grep -c -E '\bERROR\b' "$HUB_LOG" || true) ERROR lines"
phase_block() { # kv file, name
    local f=$1
    printf '  round trip ms       p50 %-8s p90 %-8s p99 %-8s max %-8s mean %s  (n %s)\n' "$(kv "$f" rt_p50_ms)" "$(kv "$f" rt_p90_ms)" \
        "$(kv "$f" rt_p99_ms)" "$(kv "$f" rt_max_ms)" "$(kv "$f" rt_mean_ms)" "$(kv "$f" rt_n)"
    printf '  hub share ms        p50 %-8s p90 %-8s p99 %-8s max %-8s mean %s\n' "$(kv "$f" share_p50_ms)" "$(kv "$f" share_p90_ms)" \
        "$(kv "$f" share_p99_ms)" "$(kv "$f" share_max_ms)" "$(kv "$f" share_mean_ms)"
    printf '  stand-in freeBusy   %s calls in the window (%s expected from the answers), its service time ms mean %s p50 %s p99 %s max %s\n' \
        "$(kv "$f" stub_freebusy_calls)" "$(kv "$f" expected_freebusy_calls)" "$(kv "$f" stub_freebusy_mean_ms)" "$(kv "$f" stub_freebusy_p50_ms)" \
        "$(kv "$f" stub_freebusy_p99_ms)" "$(kv "$f" stub_freebusy_max_ms)"
}
gc_block() { # kv file -> the hub's GC pauses in that phase's measured window (from its -Xlog:gc file)
    awk -v a="$(kv "$1" window_start_epoch_ms)" -v b="$(kv "$1" window_end_epoch_ms)" '
        /Pause/ { t = substr($1, 2) + 0; if (t < a || t > b) next
                  v = $NF; sub(/ms$/, "", v); n++; s += v; if (v + 0 > m) m = v + 0; if ($0 ~ /Pause Full/) f++ }
        END { printf "  hub GC in the measured window: %d pauses (%d full), %.0f ms in all, longest %.1f ms", n, f, s, m }' "$HUB_GC_LOG" 2>/dev/null || printf '  hub GC: no log'
    printf '; TCP (whole machine): %s\n' "$(kv "$1" net_line)"
}
cpu_block() { # kv file
    printf '  CPU in the measured window: hub %s s (%s ms per request), PostgreSQL %s s, stand-in %s s, load client %s s, other processes %s s; all %s CPUs %s %% busy\n' \
        "$(kv "$1" cpu_hub_s)" "$(kv "$1" cpu_hub_ms_per_request)" "$(kv "$1" cpu_postgres_s)" "$(kv "$1" cpu_stub_s)" "$(kv "$1" cpu_load_s)" \
        "$(kv "$1" cpu_other_s)" "$(nproc)" "$(kv "$1" host_busy_pct)"
    if awk -v o="$(kv "$1" cpu_other_s)" -v cap="$(( $(nproc) * D ))" 'BEGIN {exit !(o + 0 > 0.1 * cap)}'; then
        echo "  NOTE: other processes took more than 10 % of the machine in this window: the figures are disturbed, run again on a quiet machine"
    fi
}
{
    echo "Tool-call benchmark $TS  POST /webhooks/vapi tool-calls -> booking tools -> PostgreSQL + Google Calendar stand-in, loopback"
    echo "date: $(date -R)"
    echo "machine: $(nproc) cores ($CPU_MODEL), ${MEM_MB} MB memory, load $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end; java $("$HUB_JAVA_BIN" -version 2>&1 | awk -F'"' 'NR==1 {print $2}'), PostgreSQL $(psql_q -d postgres -c 'show server_version' | cut -d' ' -f1)"
    echo "settings: C=$C D=${D}s WARMUP=${WARMUP}s THINK_MS=$THINK_MS SLOTS=$SLOTS SLOT_MIN=$SLOT_MIN DAYS=$DAYS CAL_LATENCY_MS=$CAL_LATENCY_MS CAL_SYNC_MS=${CAL_SYNC_MS:-(as configured)} SYNC_TIMEOUT=$SYNC_TIMEOUT (${SYNC_WAIT_S} s)"
    echo "hub: README start: $README_START $SYNC_OPT; hub.calendar.sync-ms=$SYNC_MS_EFFECTIVE, hub.database.pool-size=${HUB_DB_POOL_SIZE:-10}, HTTP workers ${HUB_HTTP_WORKERS:-64}; start to /health 200 and all routes started ${HUB_START_MS} ms; /health googleCalendar: $GCAL_HEALTH"
    echo "      $JAR_INFO"
    echo "      client $CLIENT_KEY (id $CLIENT_ID, $ZONE); Twilio, SMTP, Slack, Vapi API unconfigured (confirmations stored as not_configured)"
    echo "stand-in: $STUB_URL (GoogleCalendarStub --latency-ms $CAL_LATENCY_MS, STUB_JAVA_OPTS=$STUB_JAVA_OPTS); load: ToolLoad, $C threads, java.net.http, LOAD_JAVA_OPTS=$LOAD_JAVA_OPTS"
    for n in ${NOTES[@]+"${NOTES[@]}"}; do echo "$n"; done
    echo
    echo "phase 1 checkAvailability: default hours Mon-Fri 09:00-17:00, 60-minute slots, busy 12:00-13:00 at the stand-in on each of $DAYS weekdays"
    printf '  %s requests in %s s = %s/s; free times %s, nothing free %s, error answers %s, other %s, non-200 %s, I/O errors %s\n' \
        "$(kv "$P1" requests)" "$D" "$(kv "$P1" requests_per_s)" "$(kv "$P1" measured_free)" "$(kv "$P1" measured_nothing_free)" \
        "$(kv "$P1" measured_error_answer)" "$(kv "$P1" measured_other_answer)" "$(kv "$P1" non_200)" "$(kv "$P1" io_errors)"
    phase_block "$P1"
    cpu_block "$P1"
    gc_block "$P1"
    echo "  'busy times unavailable' warnings in the hub log: $P1_BUSY_WARN; tool_calls rows (checkAvailability, warm-up included): $N_TOOLS_AVAIL"
    echo
    echo "phase 2 bookAppointment: $SLOTS slots at a time, ${SLOT_MIN}-minute slots $OPEN-$CLOSE every day from $FIRST_DAY (last slot tried $(kv "$P2" last_slot))"
    printf '  %s answers in %s s = %s answers/s; Booked %s = %s bookings/s; slot gone %s; cannot be booked %s; error answers %s; other %s; non-200 %s; I/O errors %s\n' \
        "$(kv "$P2" answered)" "$D" "$(kv "$P2" answers_per_s)" "$(kv "$P2" measured_booked)" "$(kv "$P2" bookings_per_s)" "$(kv "$P2" measured_slot_gone)" \
        "$(kv "$P2" measured_cannot_book)" "$(kv "$P2" measured_error_answer)" "$(kv "$P2" measured_other_answer)" "$(kv "$P2" non_200)" "$(kv "$P2" io_errors)"
    phase_block "$P2"
    printf '    "Booked"          p50 %-8s p90 %-8s p99 %-8s max %s\n' "$(kv "$P2" rt_booked_p50_ms)" "$(kv "$P2" rt_booked_p90_ms)" "$(kv "$P2" rt_booked_p99_ms)" "$(kv "$P2" rt_booked_max_ms)"
    printf '    "slot gone"       p50 %-8s p90 %-8s p99 %-8s max %s\n' "$(kv "$P2" rt_gone_p50_ms)" "$(kv "$P2" rt_gone_p90_ms)" "$(kv "$P2" rt_gone_p99_ms)" "$(kv "$P2" rt_gone_max_ms)"
    echo "  whole phase incl. warm-up: $(kv "$P2" all_requests) requests, Booked $B_ALL, slot gone $(kv "$P2" all_slot_gone); slots tried $(kv "$P2" slots_tried), booked exactly once $(kv "$P2" slots_booked_once), taken without a Booked answer $(kv "$P2" slots_taken_without_booked_answer)"
    cpu_block "$P2"
    gc_block "$P2"
    echo "  'busy times unavailable' warnings in the hub log: $P2_BUSY_WARN; tool_calls rows (bookAppointment, warm-up included): $N_TOOLS_BOOK"
    echo "  calendar-sync: $PENDING0 of $BOOKED_ROWS bookings still pending when the load ended; $SYNC_STATUS after ${SYNC_MS} ms (hub.calendar.sync-ms=$SYNC_MS_EFFECTIVE, 50 per tick)"
    echo "  confirmations: $CONF_ROWS rows for $CONF_APPTS appointments (status $CONF_STATUS)"
    echo "  hub share = round trip - (freeBusy calls the hub makes for that answer: 1 for free times / Booked, 2 for nothing free /"
    echo "  slot gone) x the stand-in's mean freeBusy service time in the window (the added latency included). With CAL_LATENCY_MS=0"
    echo "  the subtraction is a fraction of a millisecond: the round trip itself is an upper bound of the hub's share."
    echo
    echo "targets:"
    echo "  checkAvailability: p99 hub share $(kv "$P1" share_p99_ms) ms (round trip $(kv "$P1" rt_p99_ms) ms) vs < $T_P99_MS ms: $T1"
    echo "  bookAppointment:   p99 hub share $(kv "$P2" share_p99_ms) ms (round trip $(kv "$P2" rt_p99_ms) ms) vs < $T_P99_MS ms: $T2"
    echo "  double bookings:   $( [ "$DUP_UNITS" = 0 ] && [ "$OVERLAP" = 0 ] && [ "$MULTI" = 0 ] && echo "none: PASS" || echo "FOUND: FAIL")"
    echo
    echo "data check: $CHECK"
    for c in "${CHECKS[@]}"; do echo "  $c"; done
    echo "hub log: $LOG_COUNTS ($HUB_LOG); dead_letters rows $N_DEAD, error_log rows $N_ERRLOG"
    echo "hub GC log: $HUB_GC_LOG"
    echo "load client output: $OUT/tools-$TS-avail.load.txt, $OUT/tools-$TS-book.load.txt; booked answers $BOOKED_TSV; stand-in log $STUB_LOG"
} | tee "$REPORT"
log "report written to $REPORT"
[ "$CHECK" = PASS ]
