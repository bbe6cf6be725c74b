#!/usr/bin/env bash
# Reminder batch benchmark: N booked appointments (100,000) all due for their 1 h reminder in one tick, PostgreSQL,
# the local Twilio stub (uk.bookinghub.support.TwilioStub from src/test), loopback only, HUB_SMS_PER_SECOND=0.
# Per run and mode, on a freshly created database and a freshly started hub:
#   manual  the tick is POST /api/admin/reminders/run (one synchronous Reminders.run() pass; the hub's cron is
#           set to a date that never comes, so no scheduled pass can run beside it): time from the request to
#           its answer = all reminders queued and committed; then to the last SMS accepted by the stub
#   cron    the tick is the reminders route's Quartz trigger (hub.reminders.cron = CRON, every minute): time
#           from the trigger's scheduled fire time (qrtz_triggers.next_fire_time) to the hub's
#           "[REMINDERS] N reminder(s) queued" log line = all queued, then to the last SMS at the stub
# Target of the issue: all queued in under 10 s; no reminder twice (the data checks). Then the pass runs again
# and must queue nothing (manual: a second POST; cron: the next fire, then a POST as well).
#
#   bash bench/reminders.sh                        # N=100000 RUNS=3 MODES="manual cron" (about 15 min)
#   N=5000 RUNS=1 bash bench/reminders.sh          # quick smoke run (about 3 min: the cron waits for its minute)
#   MODES=manual N=20000 RUNS=1 bash bench/reminders.sh
#
# Knobs (environment): N (100000: appointments, one distinct +447700xxxxxx number each), RUNS (3; medians over
# them; every run and mode gets a fresh database and hub), MODES ("manual cron"), CRON ("0 * * * * ?": the
# cron mode's hub.reminders.cron, written into the private copy of application.properties), MANUAL_CRON
# ("0 0 0 1 1 ? 2099": the manual mode's, never fires), AHEAD_MIN (30: the appointments start at the minute
# that is AHEAD_MIN minutes ahead, so the 1 h reminder is due and the 24 h one is recorded as skipped, late),
# ANALYZE (1: ANALYZE appointments after the insert, as autovacuum would have long done on a real table; 0
# leaves the planner without statistics), TIMEOUT (600: seconds from a tick to all sent, and the longest wait
# for anything else), POLL_MS (250: the tables are counted that often), PGACT_MS (200: pg_stat_activity is
# sampled that often while a tick runs; 0 = off), SAMPLE (20: provider ids fetched back from the stub), BUILD=1
# (rebuild the jar), HUB_JAR (target/booking-hub.jar, with lib/ beside it), HUB_PORT / HUB_MGMT_PORT (first port
# tried; the next free one is used), the hub's JVM options are the README's (bench/readme-start.sh), STUB_JAVA_OPTS (-Xmx1g
# -XX:+UseParallelGC: the stub keeps every message and lists them all for the check).
# Output: a summary on stdout and in bench/out/reminders-<timestamp>.txt; the hub log per run and mode, the stub
# log, the count samples and the pg_stat_activity samples beside it (bench/out/ is git-ignored).
# Exit status: 0 if every tick finished in time and every data check passed (the 10 s target is reported, it
# does not decide the exit status); 1 for a failed data check, a timeout or a run error; 2 for bad knobs.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/bench/lib.sh"   # now_ms, psql_q, sleep_ms, rss_kb, stop_pid, free_port, wait_http_200
N=${N:-100000}
RUNS=${RUNS:-3}
MODES=${MODES:-manual cron}
CRON=${CRON:-0 * * * * ?}
MANUAL_CRON=${MANUAL_CRON:-0 0 0 1 1 ? 2099}
AHEAD_MIN=${AHEAD_MIN:-30}
ANALYZE=${ANALYZE:-1}
TIMEOUT=${TIMEOUT:-600}
POLL_MS=${POLL_MS:-250}
PGACT_MS=${PGACT_MS:-200}
SENDER=${SENDER:-on}
JSTACK_MS=${JSTACK_MS:-0}
SAMPLE=${SAMPLE:-20}
BUILD=${BUILD:-0}
HUB_JAR=${HUB_JAR:-target/booking-hub.jar}
# the hub starts as the README says (its JVM options, profile prod, reload off): bench/readme-start.sh
. "$REPO/bench/readme-start.sh"
STUB_JAVA_OPTS=${STUB_JAVA_OPTS:--Xmx1g -XX:+UseParallelGC}
# one database per invocation (two runs at once must not drop each other's), dropped at exit unless KEEP_DB=1
HUB_DB=${HUB_DB:-hub_reminders_bench_$$}
KEEP_DB=${KEEP_DB:-0}
PGH=(-h 127.0.0.1 -p 5432 -U postgres)
TS=$(date +%Y%m%d-%H%M%S)
OUT="$REPO/bench/out"
REPORT="$OUT/reminders-$TS.txt"
STUB_LOG="$OUT/reminders-$TS-stub.log"
ADMIN_TOKEN="adm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
TW_SID="AC$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
TW_TOKEN="tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
TW_DEFAULT_FROM="+447700900998"       # the hub's default sender; the bench client's own number wins
CLIENT_FROM_RAW="07700 900999"        # Ofcom drama range: never a real number
# target of the issue
T_QUEUED_MS=10000

for v in N RUNS AHEAD_MIN ANALYZE TIMEOUT POLL_MS PGACT_MS JSTACK_MS SAMPLE; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "$v must be a non-negative integer" >&2; exit 2; }
done
(( N >= 1 && N <= 999999 )) || { echo "N must be 1..999999 (one distinct +447700xxxxxx number per appointment)" >&2; exit 2; }
(( RUNS >= 1 && TIMEOUT >= 10 && POLL_MS >= 20 )) || { echo "RUNS >= 1, TIMEOUT >= 10, POLL_MS >= 20" >&2; exit 2; }
(( AHEAD_MIN >= 5 && AHEAD_MIN <= 55 )) || { echo "AHEAD_MIN must be 5..55 (the 1 h reminder due, the appointment not started)" >&2; exit 2; }
(( PGACT_MS == 0 || PGACT_MS >= 50 )) || { echo "PGACT_MS must be 0 or >= 50" >&2; exit 2; }
(( JSTACK_MS == 0 || JSTACK_MS >= 200 )) || { echo "JSTACK_MS must be 0 or >= 200" >&2; exit 2; }
[[ "$SENDER" == on || "$SENDER" == paused ]] || { echo "SENDER must be on or paused" >&2; exit 2; }
for m in $MODES; do [[ "$m" == manual || "$m" == cron ]] || { echo "MODES: manual and/or cron, not '$m'" >&2; exit 2; }; done
[ -n "${MODES// /}" ] || { echo "MODES is empty" >&2; exit 2; }
[[ "$HUB_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "HUB_DB must be a plain lower-case identifier" >&2; exit 2; }
(( $(wc -w <<<"$CRON") >= 6 && $(wc -w <<<"$MANUAL_CRON") >= 6 )) || { echo "CRON / MANUAL_CRON: Quartz cron, 6 or 7 fields" >&2; exit 2; }
STDBUF=$(command -v stdbuf >/dev/null && echo "stdbuf -oL" || true)   # the pg_stat_activity sampler's lines land at once
ANALYZE_TXT=$( (( ANALYZE )) && echo " + ANALYZE" || true)
mkdir -p "$OUT"
cd "$REPO"

log() { printf '[reminders %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
iso_ms() { # ISO-8601 timestamp (Java Instant, or the hub log's 2026-11-25T01:05:12.690+0000) -> epoch ms, or empty
    [ -n "${1:-}" ] && [ "$1" != null ] || return 0
    date -d "$1" +%s%3N 2>/dev/null || true
}
median() { tr ' ' '\n' | awk '/^-?[0-9.]+$/' | sort -g | awk '{a[NR]=$1} END {if (NR==0) print "NA"; else if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
num() { [[ "${1:-}" =~ ^-?[0-9]+([.][0-9]+)?$ ]]; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
host_ticks() { awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t; exit}' /proc/stat; }
# shared: proc_snapshot, cpu_split (bench/cpu.sh)
. "$(dirname "${BASH_SOURCE[0]}")/cpu.sh"
# other benchmark scripts or Maven builds running now (the machine is shared): "name:pid ..." or empty
others_running() {
    local p c out=""
    for p in $(pgrep -f 'bench/[a-z0-9_]+\.sh|plexus-classworlds|surefirebooter' 2>/dev/null || true); do
        [ "$p" = "$$" ] || [ "$p" = "$PPID" ] && continue
        c=$({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -o -E 'bench/[a-z0-9_]+\.sh|plexus-classworlds|surefirebooter' | head -1 || true)
        [ -n "$c" ] && [ "$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null)" != "$$" ] && out="$out${c/plexus-classworlds/mvn}:$p "
    done
    echo "${out% }"
}

# --- cleanup: stop only what this script started, by PID --------------------------------------
HUB_PID="" STUB_PID="" PGACT_PID="" POST_PID="" WORK_DIR=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$POST_PID" 2
    stop_pid "$PGACT_PID" 2
    stop_pid "${JSTACK_PID:-}" 2
    stop_pid "$HUB_PID" 20
    stop_pid "$STUB_PID" 5
    wait 2>/dev/null || true
    [ "$KEEP_DB" = 1 ] || psql_q -d postgres -c "drop database if exists $HUB_DB with (force)" >/dev/null 2>&1 || true
    [ -z "$WORK_DIR" ] || rm -rf "$WORK_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


# --- 1. prerequisites ----------------------------------------------------------------------------
for c in curl psql jq java awk sort comm $( (( JSTACK_MS > 0 )) && echo jstack); do command -v "$c" >/dev/null || die "$c is needed"; done
psql_q -d postgres -c 'select 1' >/dev/null || die "PostgreSQL not reachable on 127.0.0.1:5432 as postgres"
if [ "$BUILD" = 1 ] || { [ "$HUB_JAR" = target/booking-hub.jar ] && { [ ! -f target/booking-hub.jar ] || [ ! -d target/lib ]; }; }; then
    log "building the hub (mvn -B -q -o package -DskipTests)"
    mvn -B -q -o package -DskipTests >"$OUT/reminders-$TS-build.log" 2>&1 || { tail -30 "$OUT/reminders-$TS-build.log" >&2; die "hub build failed"; }
fi
[ -f "$HUB_JAR" ] && [ -d "$(dirname "$HUB_JAR")/lib" ] || die "$HUB_JAR (with lib/ beside it) missing"
STUB_SRC=src/test/java/uk/bookinghub/support/TwilioStub.java
STUB_CLASS=target/test-classes/uk/bookinghub/support/TwilioStub.class
if [ ! -f "$STUB_CLASS" ]; then
    log "compiling the test classes for the Twilio stub (mvn -B -q -o test-compile)"
    mvn -B -q -o test-compile >"$OUT/reminders-$TS-test-compile.log" 2>&1 || { tail -30 "$OUT/reminders-$TS-test-compile.log" >&2; die "test-compile failed"; }
fi
[ -f "$STUB_CLASS" ] || die "$STUB_CLASS missing after test-compile"
NOTES=()
JAR_NOTE=""
if [ -n "$(find src/main pom.xml routes application*.properties -newer "$HUB_JAR" -type f -print -quit 2>/dev/null)" ]; then
    JAR_NOTE="note: $HUB_JAR is older than src/main, pom.xml, routes/ or application*.properties (BUILD=1 rebuilds target/booking-hub.jar)"
    NOTES+=("$JAR_NOTE")
fi
if [ -f "$STUB_SRC" ] && [ "$STUB_SRC" -nt "$STUB_CLASS" ]; then
    NOTES+=("note: $STUB_CLASS is older than its source (mvn -B -q -o test-compile refreshes it)")
fi
for n in ${NOTES[@]+"${NOTES[@]}"}; do log "$n"; done
# Private copies of the jar + lib/, of routes/ and application*.properties (one set per mode: only
# hub.reminders.cron differs), and of the stub's classes: others rebuild target/ and edit routes meanwhile.
# The jar copy is named reminders-bench-hub.jar, so that a kill by name of booking-hub.jar spares it.
WORK_DIR=$(mktemp -d /tmp/reminders-bench.XXXXXX)
cp -p "$HUB_JAR" "$WORK_DIR/reminders-bench-hub.jar" && cp -rp "$(dirname "$HUB_JAR")/lib" "$WORK_DIR/lib" || die "cannot copy the hub jar"
JAR_DATE=$(date -r "$HUB_JAR" '+%Y-%m-%d %H:%M:%S')
# read-only: the commit checked out when the run started, and whether src/main, routes/ or pom.xml differ from it
GIT_HEAD=$(git --no-optional-locks rev-parse --short HEAD 2>/dev/null || echo '?')
git --no-optional-locks diff --quiet HEAD -- src/main routes pom.xml 2>/dev/null || GIT_HEAD="$GIT_HEAD + uncommitted changes in src/main, routes/ or pom.xml"
cp -rp routes "$WORK_DIR/routes" || die "cannot copy routes/"
for m in manual cron; do
    mkdir -p "$WORK_DIR/conf-$m" && cp -p application*.properties "$WORK_DIR/conf-$m/" || die "cannot copy application*.properties"
    cron=$([ "$m" = cron ] && echo "$CRON" || echo "$MANUAL_CRON")
    f="$WORK_DIR/conf-$m/application.properties"
    if grep -q '^hub\.reminders\.cron *=' "$f"; then
        awk -v c="$cron" '/^hub\.reminders\.cron *=/ {print "hub.reminders.cron = " c; next} {print}' "$f" >"$f.new" && mv "$f.new" "$f"
    else
        echo "hub.reminders.cron = $cron" >>"$f"
    fi
    for p in "$WORK_DIR/conf-$m"/application-*.properties; do # a profile file would win over the main one
        grep -q '^hub\.reminders\.cron *=' "$p" && sed -i '/^hub\.reminders\.cron *=/d' "$p"
    done
    [ "$(grep -c -F -x "hub.reminders.cron = $cron" "$f")" = 1 ] || die "could not set hub.reminders.cron in $f"
done
QUARTZ_CLUSTERED=$(awk -F' *= *' '/^hub\.quartz\.clustered *=/ {print $2}' "$WORK_DIR/conf-cron/application.properties")
mkdir -p "$WORK_DIR/stub/uk/bookinghub/support"
cp -p target/test-classes/uk/bookinghub/support/TwilioStub*.class target/test-classes/uk/bookinghub/support/StubServer*.class "$WORK_DIR/stub/uk/bookinghub/support/" || die "cannot copy the stub classes"

HUB_PORT=$(free_port "${HUB_PORT:-8080}")
HUB_MGMT_PORT=$(free_port "${HUB_MGMT_PORT:-19876}" "$HUB_PORT")
BASE="http://127.0.0.1:$HUB_PORT"
MEM_MB=$(awk '/^MemTotal:/ {printf "%.0f", $2 / 1024}' /proc/meminfo)
CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
CLK_TCK=$(getconf CLK_TCK)
if awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN {exit !(l > n)}'; then
    NOTES+=("note: the machine was busy at start (1-min load ${LOAD_START%% *} on $(nproc) cores): $(ps -eo pcpu,comm --sort=-pcpu | awk 'NR > 1 && NR <= 4 {printf "%s %s%%  ", $2, $1}')")
    log "${NOTES[-1]}"
fi
JAVA_VERSION=$("$HUB_JAVA_BIN" -version 2>&1 | awk -F'"' 'NR==1 {print $2}')
PG_VERSION=$(psql_q -d postgres -c 'show server_version' | cut -d' ' -f1)
PG_SETTINGS=$(psql_q -F= -d postgres -c "select name, setting || coalesce(unit, '') from pg_settings where name in
    ('shared_buffers', 'synchronous_commit', 'max_wal_size', 'work_mem') order by name" | tr '\n' ' ')

# --- 2. the Twilio stub --------------------------------------------------------------------------
STUB_URL=""
start_stub() {
    local deadline line
    log "starting the Twilio stub (127.0.0.1, a free port)"
    # shellcheck disable=SC2086
    java $STUB_JAVA_OPTS -cp "$WORK_DIR/stub" uk.bookinghub.support.TwilioStub --port 0 \
        --sid "$TW_SID" --token "$TW_TOKEN" >>"$STUB_LOG" 2>&1 &
    STUB_PID=$!
    deadline=$(( $(now_ms) + 30000 ))
    while :; do
        line=$(grep -o 'TWILIO_STUB_URL=http://[^ ]*:[0-9]*' "$STUB_LOG" | tail -1 || true)
        [ -n "$line" ] && [ "${line##*:}" != 0 ] && break
        kill -0 "$STUB_PID" 2>/dev/null || { tail -20 "$STUB_LOG" >&2; die "the Twilio stub exited"; }
        (( $(now_ms) < deadline )) || die "the Twilio stub printed no TWILIO_STUB_URL in 30 s (log: $STUB_LOG)"
        sleep 0.1
    done
    # it binds 127.0.0.1 but names itself localhost: give the hub the address, not a name that may be ::1
    STUB_URL="http://127.0.0.1:${line##*:}"
    wait_http_200 "$STUB_URL/stub/stats" 10 "$STUB_PID" || die "the Twilio stub does not answer GET /stub/stats"
}
stub_stats() { curl -s -m 10 "$STUB_URL/stub/stats"; }
start_stub

# --- 3. database and hub ---------------------------------------------------------------------------
HUB_LOG="" HUB_START_MS=""
start_hub() { # mode, run label
    local mode=$1 label=$2 t0
    HUB_LOG="$OUT/reminders-$TS-hub-$mode-$label.log"
    log "$mode/$label: recreating database $HUB_DB; starting the hub on :$HUB_PORT (management :$HUB_MGMT_PORT), hub.reminders.cron = $(awk -F' *= *' '/^hub\.reminders\.cron/ {print $2}' "$WORK_DIR/conf-$mode/application.properties")"
    psql_q -d postgres -c "drop database if exists $HUB_DB with (force)" -c "create database $HUB_DB" >/dev/null
    t0=$(now_ms)
    # shellcheck disable=SC2086
    HOST=127.0.0.1 PORT=$HUB_PORT HUB_MANAGEMENT_PORT=$HUB_MGMT_PORT HUB_ALLOW_TEST_NUMBERS=true \
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/$HUB_DB" HUB_ADMIN_TOKEN=$ADMIN_TOKEN \
        TWILIO_ACCOUNT_SID=$TW_SID TWILIO_AUTH_TOKEN=$TW_TOKEN TWILIO_FROM_NUMBER=$TW_DEFAULT_FROM \
        TWILIO_MESSAGING_SERVICE_SID= TWILIO_BASE_URL=$STUB_URL PUBLIC_BASE_URL=$BASE HUB_SMS_PER_SECOND=0 \
        HUB_CONFIG="$WORK_DIR/conf-$mode/application.properties" HUB_ROUTES_DIR="$WORK_DIR/routes" \
        HUB_JAR="$WORK_DIR/reminders-bench-hub.jar" HUB_JVM_OPTS="${HUB_EXTRA_OPTS:-}" "$HUB_LAUNCH" >"$HUB_LOG" 2>&1 &
    HUB_PID=$!
    if ! wait_http_200 "$BASE/health" 120 "$HUB_PID"; then
        { grep -E ' (ERROR|FATAL) ' "$HUB_LOG" | tail -5 | grep . || tail -30 "$HUB_LOG"; } | cut -c1-400 >&2
        die "hub did not answer /health 200 (log: $HUB_LOG)${JAR_NOTE:+; $JAR_NOTE}"
    fi
    HUB_START_MS=$(( $(now_ms) - t0 ))
    grep -q "Messaging: SMS through Twilio at $STUB_URL" "$HUB_LOG" \
        || log "warning: the hub log does not say 'Messaging: SMS through Twilio at $STUB_URL': $(grep -m1 'Messaging: SMS' "$HUB_LOG" || echo 'no Messaging line')"
    log "$mode/$label: hub healthy after ${HUB_START_MS} ms; $(grep -m1 -o 'Schedules (Quartz): .*' "$HUB_LOG" || echo 'no Quartz line in the log')"
}
stop_hub() { stop_pid "$HUB_PID" 20; wait "$HUB_PID" 2>/dev/null || true; HUB_PID=""; }

CLIENT_ID="" CLIENT_FROM="" CLIENT_KEY=""
ONBOARD_RETRIES=0
onboard() {
    local resp code body deadline=$(( $(now_ms) + 30000 ))
    while :; do
        resp=$(curl -s -m 10 -w '\n%{http_code}' -X POST "$BASE/api/clients/onboard" \
            -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
            -d "{\"businessName\":\"Bench Plumbing\",\"email\":\"bench@example.com\",\"phone\":\"0113 496 1000\",\"smsFromNumber\":\"$CLIENT_FROM_RAW\"}") \
            || die "onboarding request failed"
        code=${resp##*$'\n'} body=${resp%$'\n'*}
        # /health can say 200 before the route controller has started every route: a 404 / 503 then is retried
        [[ "$code" == 404 || "$code" == 503 ]] && (( $(now_ms) < deadline )) || break
        ONBOARD_RETRIES=$((ONBOARD_RETRIES + 1))
        log "onboarding answered $code ($(head -c 80 <<<"$body")): the route is not up yet although /health said 200; again in 0.2 s"
        sleep 0.2
    done
    [ "$code" = 201 ] || die "onboarding answered $code (201 expected): $body"
    CLIENT_KEY=$(jq -r '.clientKey // empty' <<<"$body")
    [ -n "$CLIENT_KEY" ] || die "no clientKey in the onboarding reply: $body"
    read -r CLIENT_ID CLIENT_FROM < <(psql_q -F ' ' -d "$HUB_DB" -c "select id, coalesce(sms_from_number, '-') from clients where client_key = '$CLIENT_KEY'")
    [[ "${CLIENT_ID:-}" =~ ^[0-9]+$ ]] || die "no clients row with client_key '$CLIENT_KEY'"
    [[ "$CLIENT_FROM" == +44* ]] || die "client $CLIENT_KEY has sms_from_number '$CLIENT_FROM' (E.164 expected)"
}

# POST /api/admin/reminders/run in the background: writes "<http code> <curl time_total s>" to $1.w and the body to $1.body
post_run_bg() {
    curl -s -m "$TIMEOUT" -o "$1.body" -w '%{http_code} %{time_total}\n' -X POST "$BASE/api/admin/reminders/run" \
        -H "Authorization: Bearer $ADMIN_TOKEN" >"$1.w" 2>/dev/null &
    POST_PID=$!
}
post_run_wait() { wait "$POST_PID" 2>/dev/null || true; POST_PID=""; }

# pg_stat_activity of the bench database, one psql session (\watch), while a tick runs
pgact_start() { # file
    (( PGACT_MS > 0 )) || return 0
    local sec; sec=$(printf '%d.%03d' $((PGACT_MS / 1000)) $((PGACT_MS % 1000)))
    printf '%s \\watch %s\n' "select (extract(epoch from clock_timestamp()) * 1000)::bigint, pid, state,
        coalesce(wait_event_type, '-') || ':' || coalesce(wait_event, '-'), regexp_replace(left(query, 80), '\\s+', ' ', 'g')
        from pg_stat_activity where datname = '$HUB_DB' and pid <> pg_backend_pid() and backend_type = 'client backend'
        and state <> 'idle' and query not like '%pg_stat_activity%'" \
        | PGOPTIONS='-c client_min_messages=warning' $STDBUF psql "${PGH[@]}" -X -qtA -F $'\t' -d "$HUB_DB" >"$1" 2>/dev/null &
    PGACT_PID=$!
}
pgact_stop() { # SIGINT ends \watch and psql exits normally (flushing); TERM only if it did not
    local i
    [ -n "$PGACT_PID" ] || return 0
    kill -INT "$PGACT_PID" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do kill -0 "$PGACT_PID" 2>/dev/null || break; sleep 0.1; done
    stop_pid "$PGACT_PID" 2; wait "$PGACT_PID" 2>/dev/null || true; PGACT_PID=""
}
# the busiest (state, statement) pairs of the pass's connection(s) between two instants: "share% state statement"
pgact_summary() { # file, from ms, to ms
    [ -s "$1" ] || { echo "    (no samples)"; return 0; }
    awk -F'\t' -v a="$2" -v b="$3" -v ms="$PGACT_MS" '
        $1 >= a && $1 <= b && NF >= 5 { k = $3 " | " $4 " | " $5; n[k]++; }
        END { span = (b - a) / ms; if (span < 1) span = 1;
              for (k in n) printf "%6.1f %% of samples (%d)  %s\n", 100 * n[k] / span, n[k], k; }' "$1" \
        | sort -rn | head -12 | sed 's/^/    /'
}

# the outbox-sender route suspended / resumed through Jolokia on the management port (SENDER=paused)
sender_route() { # suspend | resume
    local r
    r=$(curl -s -m 10 -X POST "http://127.0.0.1:$HUB_MGMT_PORT/observe/jolokia" -H 'Content-Type: application/json' \
        -d "{\"type\":\"exec\",\"mbean\":\"org.apache.camel:context=booking-hub,type=routes,name=\\\"outbox-sender\\\"\",\"operation\":\"$1()\"}" || true)
    [ "$(jq -r '.status // empty' <<<"$r" 2>/dev/null)" = 200 ] || die "Jolokia: outbox-sender $1() failed: ${r:0:300}"
}

# jstack of the hub every JSTACK_MS while a tick runs (JSTACK_MS > 0; each costs the hub a safepoint and the host a JVM start)
JSTACK_PID=""
jstack_start() { # file
    (( JSTACK_MS > 0 )) || return 0
    ( while :; do echo "=== $(( $(date +%s%N) / 1000000 ))"; jstack "$HUB_PID" 2>/dev/null || true; sleep_ms "$JSTACK_MS"; done ) >"$1" &
    JSTACK_PID=$!
}
jstack_stop() { stop_pid "$JSTACK_PID" 2; wait "$JSTACK_PID" 2>/dev/null || true; JSTACK_PID=""; }
# the thread running Reminders.run per sample: "share% state | top frame | first uk.bookinghub frame from the top"
jstack_summary() { # file
    [ -s "$1" ] || { echo "    (no jstack samples)"; return 0; }
    awk '
        /^=== / { next }
        /^"/ { if (hit) out(); blk = 1; st = ""; top = ""; hub = ""; hit = 0; next }
        /java.lang.Thread.State:/ { st = $2; next }
        /^\tat / { f = $2; sub(/\(.*/, "", f); if (top == "") top = f;
                   if (f ~ /^uk\.bookinghub\./ && hub == "") hub = f;
                   if (f ~ /^uk\.bookinghub\.reminders\.Reminders\./) hit = 1; next }
        /^$/ { if (hit) out(); hit = 0; next }
        function out() { n[st " | " top " | " hub]++; total++; hit = 0 }
        END { if (hit) out(); for (k in n) printf "%6.1f %% (%d)  %s\n", 100 * n[k] / total, n[k], k }' "$1" | sort -rn | head -12 | sed 's/^/    /'
}

# --- 4. one tick ---------------------------------------------------------------------------------
# Per (mode, run), arrays indexed alike
declare -a R_MODE R_LABEL R_STATUS R_QUEUED_MS R_QOBS_MS R_FIRE_LAG R_FIRST_MS R_SENT_MS R_DBSENT_MS R_RATE R_STUB_RATE \
    R_SENT_AT_Q R_PASS_CPU R_PASS_HOST R_CPU_SPLIT R_OTHERS R_RERUN R_RERUN_MS R_INS_MS R_START_MS R_NEXT_FIRE R_CHECK R_PGACT R_JSTACK R_RESP
CHECK=PASS
ABORTED=""
tick_run() { # mode, label
    local mode=$1 label=$2
    local pre="$OUT/reminders-$TS-$mode-$label"
    local samples="$pre-samples.txt" pgact="$pre-pgact.tsv" jst="$pre-jstack.txt" tmp="$WORK_DIR/tick-$mode-$label"
    local t_ins0 t_ins1 t_tick="" t_queued="" t_done="" status="" fire="" fired_at="" next_fire2="" prev_fire=""
    local deadline next now q nrem="" nmsg="" nsent="" npend="" fired="" resp_q="" resp_s="" http="" ttot="" logline="" cpu0="" host0="" host0t="" cpu1="" host1="" host1t=""
    local start_at others="" others2="" t_proc1="" t_proc0="" cpu_split_s="NA"

    start_hub "$mode" "$label"
    R_START_MS+=("$HUB_START_MS")
    onboard
    [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "$STUB_URL/stub/reset")" = 200 ] || die "POST /stub/reset failed"
    [ "$(stub_stats | jq -r '.sent + .refused')" = 0 ] || die "the stub still counts requests after its reset"

    log "$mode/$label: client $CLIENT_KEY (id $CLIENT_ID, from $CLIENT_FROM); inserting $N booked appointments starting in ${AHEAD_MIN} min"
    t_ins0=$(now_ms)
    psql_q -d "$HUB_DB" -c "
        insert into appointments (client_id, customer_name, phone_e164, service, start_at, end_at, scheduled_at, status,
                                  calendar_status, created_at, updated_at)
        select $CLIENT_ID, 'C-' || i, '+447700' || lpad(i::text, 6, '0'), 'Boiler service', s.at, s.at + interval '1 hour',
               now() - interval '3 days', 'booked', 'not_configured', now() - interval '3 days', now() - interval '3 days'
        from generate_series(1, $N) as i, (select date_trunc('minute', now()) + interval '$AHEAD_MIN minutes' as at) as s" >/dev/null
    (( ANALYZE )) && psql_q -d "$HUB_DB" -c "analyze appointments" >/dev/null
    t_ins1=$(now_ms)
    start_at=$(psql_q -d "$HUB_DB" -c "select min(start_at) || ' .. ' || max(start_at) || ', ' || count(*) || ' rows' from appointments")
    log "$mode/$label: appointments $start_at (insert$ANALYZE_TXT $((t_ins1 - t_ins0)) ms)"

    : >"$pgact"
    echo "# ms_since_tick reminders_rows messages_rows sent queued_or_sending" >"$samples"
    if [ "$mode" = manual ]; then
        sleep 1                                   # let the insert's aftermath (WAL, hint bits) settle a moment
        if [ "$SENDER" = paused ]; then sender_route suspend; fi
        pgact_start "$pgact"
        jstack_start "$jst"
        read -r cpu0 < <(cpu_ticks "$HUB_PID"); read -r host0 host0t < <(host_ticks); proc_snapshot >"$tmp-proc0"; t_proc0=$(now_ms); others=$(others_running)
        t_tick=$(now_ms)
        post_run_bg "$tmp-run1"
        log "$mode/$label: tick: POST /api/admin/reminders/run"
    else
        # the measured fire is the first one after the insert committed: the trigger's next_fire_time now
        fire=$(psql_q -d "$HUB_DB" -c "select next_fire_time from qrtz_triggers where trigger_group = 'reminders' and trigger_name = 'due'")
        [[ "$fire" =~ ^[0-9]+$ ]] || die "no Quartz trigger reminders/due in qrtz_triggers (hub.quartz.clustered = $QUARTZ_CLUSTERED): '$fire'"
        t_tick=$fire
        log "$mode/$label: tick: the cron's next fire at $(date -d "@$((fire / 1000))" +%H:%M:%S) (in $(( (fire - $(now_ms)) / 1000 )) s)"
        (( fire - $(now_ms) < TIMEOUT * 1000 )) || die "the next fire is more than TIMEOUT s away (CRON '$CRON')"
        now=$(now_ms); sleep_ms $(( fire - now - 1500 ))
        if [ "$SENDER" = paused ]; then sender_route suspend; fi
        pgact_start "$pgact"
        now=$(now_ms); sleep_ms $(( fire - now - 300 ))
        jstack_start "$jst"
        read -r cpu0 < <(cpu_ticks "$HUB_PID"); read -r host0 host0t < <(host_ticks); proc_snapshot >"$tmp-proc0"; t_proc0=$(now_ms); others=$(others_running)
    fi

    # poll until all reminders are queued (manual: the POST answered; cron: the hub logged the pass) and sent
    deadline=$(( t_tick + TIMEOUT * 1000 ))
    next=$(now_ms)
    while :; do
        q=$(psql_q -F ' ' -d "$HUB_DB" -c "select (select count(*) from reminders), count(*), count(*) filter (where status = 'sent'),
                count(*) filter (where status in ('queued', 'sending')),
                coalesce((select max(fired_time)::text from qrtz_fired_triggers where trigger_group = 'reminders' and trigger_name = 'due'
                          and state = 'EXECUTING'), '-')
                from messages" 2>/dev/null || echo "NA NA NA NA -")
        now=$(now_ms)
        read -r nrem nmsg nsent npend fired <<<"$q"
        echo "$((now - t_tick)) $nrem $nmsg $nsent $npend" >>"$samples"
        [ -z "$fired_at" ] && [[ "$fired" =~ ^[0-9]+$ ]] && fired_at=$fired
        if [ -z "$t_queued" ]; then
            if [ "$mode" = manual ]; then
                if ! kill -0 "$POST_PID" 2>/dev/null; then
                    post_run_wait
                    read -r cpu1 < <(cpu_ticks "$HUB_PID"); read -r host1 host1t < <(host_ticks); proc_snapshot >"$tmp-proc1"; t_proc1=$(now_ms); others2=$(others_running)
                    read -r http ttot <"$tmp-run1.w" || true
                    t_queued=$(awk -v t="$t_tick" -v s="${ttot:-0}" 'BEGIN {printf "%d", t + s * 1000}')
                    resp_q=$(jq -r '.remindersQueued // "NA"' "$tmp-run1.body" 2>/dev/null || echo NA)
                    resp_s=$(jq -r '.remindersSkipped // "NA"' "$tmp-run1.body" 2>/dev/null || echo NA)
                    log "$mode/$label: POST answered $http after ${ttot} s: $(head -c 300 "$tmp-run1.body")"
                    [ "$http" = 200 ] || { status="tick-failed"; break; }
                fi
            else
                logline=$(grep -m1 -E 'INFO .*\[REMINDERS\] [0-9]+ reminder\(s\) queued' "$HUB_LOG" || true)
                if [ -n "$logline" ]; then
                    read -r cpu1 < <(cpu_ticks "$HUB_PID"); read -r host1 host1t < <(host_ticks); proc_snapshot >"$tmp-proc1"; t_proc1=$(now_ms); others2=$(others_running)
                    t_queued=$(iso_ms "${logline%% *}")
                    resp_q=$(sed -E 's/.*\[REMINDERS\] ([0-9]+) reminder\(s\) queued, ([0-9]+) skipped.*/\1/' <<<"$logline")
                    resp_s=$(sed -E 's/.*\[REMINDERS\] ([0-9]+) reminder\(s\) queued, ([0-9]+) skipped.*/\2/' <<<"$logline")
                    log "$mode/$label: hub log: ${logline:0:200}"
                    # the fire after the measured one (its pass must queue nothing), and the measured one as Quartz recorded it
                    read -r next_fire2 prev_fire < <(psql_q -F ' ' -d "$HUB_DB" -c "select next_fire_time, prev_fire_time from qrtz_triggers
                        where trigger_group = 'reminders' and trigger_name = 'due'" || true)
                    [[ "$t_queued" =~ ^[0-9]+$ ]] || { status="bad-log-line"; break; }
                fi
            fi
            if [ -n "$t_queued" ]; then
                pgact_stop; jstack_stop
                if [ "$SENDER" = paused ]; then sender_route resume; fi
            fi
        fi
        if [ -n "$t_queued" ] && [[ "$nsent" =~ ^[0-9]+$ ]]; then
            if (( nsent >= N )); then t_done=$now; status=done; break; fi
            if (( npend == 0 && nmsg > 0 )); then status=incomplete; break; fi
            if (( nmsg == 0 )); then status=nothing-queued; break; fi
        fi
        if ! kill -0 "$HUB_PID" 2>/dev/null; then status=hub-died; break; fi
        if (( now > deadline )); then status=timeout; break; fi
        next=$((next + POLL_MS)); now=$(now_ms)
        (( next < now )) && next=$now
        sleep_ms $((next - now))
    done
    pgact_stop; jstack_stop
    if [ -n "$POST_PID" ]; then stop_pid "$POST_PID" 2; post_run_wait; fi
    if [ "$status" != done ]; then
        log "$mode/$label: $status: last count reminders=$nrem messages=$nmsg sent=$nsent queued_or_sending=$npend (hub log: $HUB_LOG)"
        { grep -E '\b(WARN|ERROR)\b' "$HUB_LOG" | tail -5 | cut -c1-300 | sed 's/^/    /'; } >&2 || true
    fi
    sleep 0.5                                      # late sends (a duplicate would be one) reach the stub first
    local stats st_sent st_ref st_first st_last
    stats=$(stub_stats)
    read -r st_sent st_ref < <(jq -r '"\(.sent) \(.refused)"' <<<"$stats")
    st_first=$(iso_ms "$(jq -r '.firstSentAt // empty' <<<"$stats")")
    st_last=$(iso_ms "$(jq -r '.lastSentAt // empty' <<<"$stats")")

    # figures, all from the tick (manual: the POST was sent; cron: the trigger's scheduled fire time)
    local queued_ms="NA" qobs_ms="NA" fire_lag="NA" first_ms="NA" sent_ms="NA" dbsent_ms="NA" rate="NA" stub_rate="NA" sent_at_q="NA"
    local pass_cpu="NA" pass_host="NA" db_last q_first_rem
    [ -n "$t_queued" ] && queued_ms=$((t_queued - t_tick))
    qobs_ms=$(awk -v n="$N" '!/^#/ && $3 >= n {print $1; exit}' "$samples")
    [ -n "$qobs_ms" ] || qobs_ms=NA
    if [ "$mode" = cron ]; then
        [ -n "$fired_at" ] && fire_lag=$((fired_at - t_tick))
        q_first_rem=$(psql_q -d "$HUB_DB" -c "select coalesce((extract(epoch from min(created_at)) * 1000)::bigint, 0) from reminders")
        (( q_first_rem > 0 )) && fire_lag="${fire_lag}/$((q_first_rem - t_tick))"
    fi
    if [[ "$st_first" =~ ^[0-9]+$ && "$st_last" =~ ^[0-9]+$ ]]; then
        first_ms=$((st_first - t_tick)); sent_ms=$((st_last - t_tick))
        rate=$(awk -v n="$st_sent" -v ms="$sent_ms" 'BEGIN {if (ms > 0) printf "%.0f", n / (ms / 1000); else print "NA"}')
        stub_rate=$(awk -v n="$st_sent" -v ms="$((st_last - st_first))" 'BEGIN {if (ms > 0) printf "%.0f", (n - 1) / (ms / 1000); else print "NA"}')
    fi
    db_last=$(psql_q -d "$HUB_DB" -c "select coalesce((extract(epoch from max(sent_at)) * 1000)::bigint, 0) from messages where status = 'sent'")
    (( db_last > 0 )) && dbsent_ms=$((db_last - t_tick))
    [ -n "$t_queued" ] && sent_at_q=$(psql_q -d "$HUB_DB" -c "select count(*) from messages where status = 'sent' and sent_at <= to_timestamp($t_queued / 1000.0)")
    if [ -n "$t_proc1" ]; then
        cpu_split_s=$(cpu_split "$tmp-proc0" "$tmp-proc1" "$((t_proc1 - t_proc0))")
    fi
    if [ -n "$cpu1" ]; then
        pass_cpu=$(awk -v d="$((cpu1 - cpu0))" -v hz="$CLK_TCK" 'BEGIN {printf "%.1f", d / hz}')
        pass_host=$(awk -v b="$((host1 - host0))" -v t="$((host1t - host0t))" 'BEGIN {if (t > 0) printf "%.0f", 100 * b / t; else print "NA"}')
    fi

    # the pass again: it must queue nothing (cron: the next fire first, then a POST as well)
    local rerun="" rerun_ms="NA" r2_http="" r2_t="" r2_q="" r2_s="" nlog=0 next_note=""
    if [ "$status" = done ]; then
        if [ "$mode" = cron ]; then
            [[ "$prev_fire" =~ ^[0-9]+$ && "$next_fire2" =~ ^[0-9]+$ ]] || die "cannot read the reminders trigger's fire times from qrtz_triggers"
            (( prev_fire == t_tick )) || next_note="; note: when the pass ended the trigger's prev_fire_time was $prev_fire, not the measured fire $t_tick"
            if (( next_fire2 <= t_done )); then next_note="$next_note; the next fire ($(date -d "@$((next_fire2 / 1000))" +%H:%M:%S)) came $((t_done - next_fire2)) ms before the last SMS was sent: its pass (queuing nothing) ran beside the drain"; fi
            log "$mode/$label: waiting for the next fire ($(date -d "@$((next_fire2 / 1000))" +%H:%M:%S)) to have run its pass"
            deadline=$(( $(now_ms) + TIMEOUT * 1000 ))
            while :; do
                read -r prev_fire fired < <(psql_q -F ' ' -d "$HUB_DB" -c "select prev_fire_time, (select count(*) from qrtz_fired_triggers
                    where trigger_group = 'reminders' and trigger_name = 'due' and state = 'EXECUTING') from qrtz_triggers where trigger_group = 'reminders' and trigger_name = 'due'")
                (( prev_fire >= next_fire2 && fired == 0 )) && break
                (( $(now_ms) < deadline )) || { status=timeout; log "$mode/$label: the next fire's pass did not end in time"; break; }
                sleep 0.2
            done
            nlog=$(grep -c -E '\[REMINDERS\] [0-9]+ reminder\(s\) queued' "$HUB_LOG" || true)
            rerun="fire:$((nlog - 1))lines "
        fi
        post_run_bg "$tmp-run2"; post_run_wait
        read -r r2_http r2_t <"$tmp-run2.w" || true
        r2_q=$(jq -r '.remindersQueued // "NA"' "$tmp-run2.body" 2>/dev/null || echo NA)
        r2_s=$(jq -r '.remindersSkipped // "NA"' "$tmp-run2.body" 2>/dev/null || echo NA)
        rerun_ms=$(awk -v s="${r2_t:-0}" 'BEGIN {printf "%d", s * 1000}')
        rerun="${rerun}post:$r2_q/$r2_s"
        log "$mode/$label: the pass again: POST answered ${r2_http:-?} after ${r2_t:-?} s: $(head -c 200 "$tmp-run2.body")"
        sleep 0.5
    fi

    [ -n "$rerun" ] || rerun=NA

    # data check: each appointment's 1 h reminder once, as one SMS that reached the stub once
    local c_msg c_appt c_key c_to c_sent c_pids c_badpid c_other c_from from_one c_r1h c_r1h_q c_r24 c_r24_late c_rem statuses bad=() chk
    read -r c_msg c_appt c_key c_to c_sent c_pids c_badpid c_other c_from from_one < <(psql_q -F ' ' -d "$HUB_DB" -c "
        select count(*) filter (where kind = 'reminder_1h'), count(distinct appointment_id) filter (where kind = 'reminder_1h'),
               count(distinct idempotency_key), count(distinct to_address), count(*) filter (where status = 'sent'),
               count(distinct provider_id), count(*) filter (where status = 'sent' and (provider_id is null or provider_id !~ '^SM[0-9a-f]{32}\$')),
               count(*) filter (where kind <> 'reminder_1h' or channel <> 'sms' or client_id <> $CLIENT_ID),
               count(distinct from_address), coalesce(min(from_address), '-')
        from messages")
    read -r c_r1h c_r1h_q c_r24 c_r24_late c_rem < <(psql_q -F ' ' -d "$HUB_DB" -c "
        select count(*) filter (where kind = 'reminder_1h'), count(*) filter (where kind = 'reminder_1h' and status = 'queued'),
               count(*) filter (where kind = 'reminder_24h'), count(*) filter (where kind = 'reminder_24h' and status = 'skipped' and reason like 'late:%'),
               count(*) from reminders")
    statuses=$(psql_q -F= -d "$HUB_DB" -c "select status, count(*) from messages group by status order by status" | tr '\n' ' ')
    stats=$(stub_stats)
    read -r st_sent st_ref < <(jq -r '"\(.sent) \(.refused)"' <<<"$stats")
    # every message the stub accepted, by To and sid, against the rows' to_address and provider_id
    local list="$tmp-stub-list.json" st_n=0 st_dup_to="NA" st_diff="NA" sample_ok=0 sample_n=0 s_pid s_to s_body body
    if curl -s -m 120 -u "$TW_SID:$TW_TOKEN" -o "$list" "$STUB_URL/2010-04-01/Accounts/$TW_SID/Messages.json?PageSize=$((N + 1000))"; then
        jq -r '.messages[] | "\(.to) \(.sid)"' "$list" 2>/dev/null | sort >"$tmp-stub-pairs.txt" || true
        st_n=$(wc -l <"$tmp-stub-pairs.txt")
        st_dup_to=$(cut -d' ' -f1 "$tmp-stub-pairs.txt" | uniq -d | wc -l)
        psql_q -F ' ' -d "$HUB_DB" -c "select to_address, provider_id from messages where status = 'sent'" | sort >"$tmp-db-pairs.txt"
        st_diff=$(comm -3 "$tmp-stub-pairs.txt" "$tmp-db-pairs.txt" | wc -l)
    fi
    rm -f "$list"
    while IFS=$'\t' read -r s_pid s_to s_body; do
        [ -n "$s_pid" ] || continue
        sample_n=$((sample_n + 1))
        body=$(curl -s -m 5 -u "$TW_SID:$TW_TOKEN" "$STUB_URL/2010-04-01/Accounts/$TW_SID/Messages/$s_pid.json" || true)
        [ "$(jq -r '"\(.to)\t\(.body)"' <<<"$body" 2>/dev/null)" = "$s_to"$'\t'"$s_body" ] && sample_ok=$((sample_ok + 1))
    done < <(psql_q -F $'\t' -d "$HUB_DB" -c "select provider_id, to_address, body from messages
                where status = 'sent' and provider_id is not null order by random() limit $SAMPLE")
    [ "$status" = done ] || bad+=("run $status")
    [ "$resp_q" = "$N" ] && [ "$resp_s" = "$N" ] || bad+=("the pass said queued $resp_q, skipped $resp_s (want $N, $N)")
    (( c_msg == N && c_appt == N && c_key == N && c_to == N )) || bad+=("reminder_1h messages $c_msg, distinct appointments $c_appt, keys $c_key, To $c_to (want $N each)")
    (( c_other == 0 )) || bad+=("$c_other messages that are not the client's reminder_1h SMS")
    (( c_sent == N && c_pids == N && c_badpid == 0 )) || bad+=("sent $c_sent, distinct provider_id $c_pids, sent without an SM sid $c_badpid (want $N, $N, 0): $statuses")
    (( c_r1h == N && c_r1h_q == N && c_r24 == N && c_r24_late == N && c_rem == 2 * N )) \
        || bad+=("reminders rows: reminder_1h $c_r1h (queued $c_r1h_q), reminder_24h $c_r24 (skipped late $c_r24_late), all $c_rem (want $N, $N, $N, $N, $((2 * N)))")
    [ "$st_sent" = "$N" ] && [ "$st_ref" = 0 ] || bad+=("stub sent $st_sent refused $st_ref (want $N, 0)")
    (( st_n == N )) && [ "$st_dup_to" = 0 ] && [ "$st_diff" = 0 ] || bad+=("stub list: $st_n messages, $st_dup_to To numbers twice, $st_diff (To, sid) pairs differ from the rows'")
    (( sample_ok == sample_n && sample_n == (SAMPLE < N ? SAMPLE : N) )) || bad+=("stub lookup of provider_id: $sample_ok/$sample_n match To+body")
    (( c_from == 1 )) && [ "$from_one" = "$CLIENT_FROM" ] || bad+=("from_address: $c_from distinct, e.g. $from_one (want $CLIENT_FROM)")
    if [ "$status" = done ]; then
        [ "$r2_http" = 200 ] && [ "$r2_q" = 0 ] && [ "$r2_s" = 0 ] || bad+=("the pass again answered ${r2_http:-?}: queued $r2_q, skipped $r2_s (want 0, 0)")
        [ "$mode" = manual ] || (( nlog == 1 )) || bad+=("$nlog '[REMINDERS] … queued' log lines (want 1: the next fire queues and skips nothing, so it logs nothing)")
    fi
    if (( ${#bad[@]} == 0 )); then
        chk="ok: pass said $resp_q queued / $resp_s skipped; $c_msg reminder_1h SMS for $c_appt appointments ($c_key keys, $c_to To), all sent, $c_pids SM sids;"
        chk="$chk reminders rows $c_r1h 1h queued + $c_r24_late 24h skipped late; stub $st_sent sent, 0 refused, list of $st_n: no To twice,"
        chk="$chk (To, sid) = the rows'; $sample_ok/$sample_n sids match To+body; again: ${rerun}"
    else
        chk="FAIL $(IFS=';'; echo "${bad[*]}")"
        CHECK=FAIL
    fi
    chk="$chk$next_note"

    R_MODE+=("$mode") R_LABEL+=("$label") R_STATUS+=("$status") R_QUEUED_MS+=("$queued_ms") R_QOBS_MS+=("$qobs_ms") R_FIRE_LAG+=("$fire_lag")
    R_FIRST_MS+=("$first_ms") R_SENT_MS+=("$sent_ms") R_DBSENT_MS+=("$dbsent_ms") R_RATE+=("$rate") R_STUB_RATE+=("$stub_rate")
    R_SENT_AT_Q+=("$sent_at_q") R_PASS_CPU+=("$pass_cpu") R_PASS_HOST+=("$pass_host") R_CPU_SPLIT+=("$cpu_split_s")
    others="$others $others2"; others=$(tr ' ' '\n' <<<"$others" | awk 'NF && !seen[$0]++' | tr '\n' ' '); R_OTHERS+=("${others% }") R_RERUN+=("$rerun") R_RERUN_MS+=("$rerun_ms")
    R_INS_MS+=("$((t_ins1 - t_ins0))") R_NEXT_FIRE+=("${next_fire2:-}") R_CHECK+=("$chk") R_RESP+=("$resp_q/$resp_s")
    R_PGACT+=("$(pgact_summary "$pgact" "$t_tick" "${t_queued:-$(now_ms)}")")
    R_JSTACK+=("$( (( JSTACK_MS > 0 )) && jstack_summary "$jst")")
    log "$mode/$label: $status: queued ${queued_ms} ms (polled ${qobs_ms}), first SMS at ${first_ms} ms, last at ${sent_ms} ms ($rate msg/s from the tick, $stub_rate at the stub), sent by the time all were queued: $sent_at_q; ${chk:0:200}"
    stop_hub
    [ "$status" = done ]
}

# --- 5. the runs ---------------------------------------------------------------------------------
for ((r = 1; r <= RUNS; r++)); do
    for mode in $MODES; do
        tick_run "$mode" "$r" || { ABORTED="${ABORTED:+$ABORTED; }$mode run $r: ${R_STATUS[-1]}"; }
    done
done

# --- 6. summary ------------------------------------------------------------------------------------
col() { # mode, array name -> values of that mode
    local m=$1 i; local -n arr=$2
    for i in "${!R_MODE[@]}"; do [ "${R_MODE[$i]}" = "$m" ] && printf '%s ' "${arr[$i]}"; done
    return 0
}
LOG_COUNTS() { printf '%s WARN, %s ERROR lines' "$(cat "$@" | grep -c -E '\bWARN\b' || true)" "$(cat "$@" | grep -c -E '\bERROR\b' || true)"; }
{
    echo "Reminder batch benchmark $TS  $N appointments due in one tick -> reminders + outbox -> camel-twilio -> Twilio stub, PostgreSQL, loopback"
    echo "date: $(date -R)"
    echo "machine: $(nproc) cores ($CPU_MODEL), ${MEM_MB} MB memory, load $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end; java $JAVA_VERSION, PostgreSQL $PG_VERSION ($PG_SETTINGS)"
    echo "settings: N=$N RUNS=$RUNS MODES=\"$MODES\" SENDER=$SENDER JSTACK_MS=$JSTACK_MS CRON=\"$CRON\" MANUAL_CRON=\"$MANUAL_CRON\" AHEAD_MIN=$AHEAD_MIN ANALYZE=$ANALYZE TIMEOUT=${TIMEOUT}s POLL_MS=$POLL_MS PGACT_MS=$PGACT_MS SAMPLE=$SAMPLE"
    echo "hub: $HUB_JAR (built $JAR_DATE; checkout at $GIT_HEAD) README start: $README_START; HUB_SMS_PER_SECOND=0 hub.quartz.clustered=$QUARTZ_CLUSTERED;"
    echo "     $(grep -E '^hub\.messaging\.(poll-ms|batch-size|send-threads) *=|^hub\.database\.pool-size *=' "$WORK_DIR/conf-cron/application.properties" | sed 's/ *= */=/' \
        | awk '{ while (match($0, /\{\{env:[A-Z_]+:[^}]*\}\}/)) { t = substr($0, RSTART + 6, RLENGTH - 8); n = t; sub(/:.*/, "", n); d = t; sub(/^[^:]*:/, "", d);
                 $0 = substr($0, 1, RSTART - 1) ((n in ENVIRON && ENVIRON[n] != "") ? ENVIRON[n] : d) substr($0, RSTART + RLENGTH) } print }' | tr '\n' ' ')"
    echo "     one client (Bench Plumbing, from $CLIENT_FROM) with the default reminders (24 h: sms+email, 1 h: sms); appointments start_at = the minute ${AHEAD_MIN} min ahead,"
    echo "     scheduled 3 days ago: the 1 h reminder is due (1 SMS each), the 24 h one skipped (late); hub start to /health 200: $(col manual R_START_MS; col cron R_START_MS) ms"
    echo "stub: $STUB_URL (STUB_JAVA_OPTS=$STUB_JAVA_OPTS)"
    for n in ${NOTES[@]+"${NOTES[@]}"}; do echo "$n"; done
    (( ONBOARD_RETRIES == 0 )) || echo "note: POST /api/clients/onboard answered 404/503 $ONBOARD_RETRIES time(s) after /health had said 200 (routes still starting); retried"
    echo
    printf '%-6s %-3s %-8s %9s %9s %10s %9s %9s %9s %7s %7s %9s %7s %5s %8s %-22s %7s\n' \
        mode run status queued_ms polled_ms fire_lag first_ms sent_ms db_sent_ms msg/s stub/s sent@q pass_cpu host% ins_ms again rerun_ms
    for i in "${!R_MODE[@]}"; do
        printf '%-6s %-3s %-8s %9s %9s %10s %9s %9s %9s %7s %7s %9s %7s %5s %8s %-22s %7s\n' "${R_MODE[$i]}" "${R_LABEL[$i]}" "${R_STATUS[$i]}" \
            "${R_QUEUED_MS[$i]}" "${R_QOBS_MS[$i]}" "${R_FIRE_LAG[$i]}" "${R_FIRST_MS[$i]}" "${R_SENT_MS[$i]}" "${R_DBSENT_MS[$i]}" "${R_RATE[$i]}" \
            "${R_STUB_RATE[$i]}" "${R_SENT_AT_Q[$i]}" "${R_PASS_CPU[$i]}" "${R_PASS_HOST[$i]}" "${R_INS_MS[$i]}" "${R_RERUN[$i]}" "${R_RERUN_MS[$i]}"
    done
    for m in $MODES; do
        printf '%-6s %-3s %-8s %9s %9s %10s %9s %9s %9s %7s %7s %9s %7s %5s %8s %-22s %7s\n' "$m" med "" \
            "$(col "$m" R_QUEUED_MS | median)" "$(col "$m" R_QOBS_MS | median)" "" "$(col "$m" R_FIRST_MS | median)" "$(col "$m" R_SENT_MS | median)" \
            "$(col "$m" R_DBSENT_MS | median)" "$(col "$m" R_RATE | median)" "$(col "$m" R_STUB_RATE | median)" "$(col "$m" R_SENT_AT_Q | median)" \
            "$(col "$m" R_PASS_CPU | median)" "$(col "$m" R_PASS_HOST | median)" "" "" "$(col "$m" R_RERUN_MS | median)"
    done
    echo "  the tick: manual = the POST /api/admin/reminders/run was sent; cron = the Quartz trigger's scheduled fire time (next_fire_time read after the insert)"
    echo "  queued_ms: tick to all reminders queued and committed (manual: the POST's answer, curl time_total; cron: the hub's '[REMINDERS] N reminder(s) queued' log line);"
    echo "  polled_ms: tick to the first count (every ${POLL_MS} ms) that saw all $N messages rows; fire_lag (cron): Quartz's actual fired_time - scheduled / first reminders.created_at - scheduled;"
    echo "  first_ms / sent_ms: tick to the stub's first / last accepted SMS (sending overlaps the pass: the sender claims each page's rows once committed);"
    echo "  db_sent_ms: tick to the rows' last sent_at; msg/s: $N / sent_ms; stub/s: the stub's first to last request; sent@q: rows already sent when all were queued;"
    echo "  pass_cpu: hub CPU seconds from the tick to 'all queued' (host%: all CPUs busy then); ins_ms: the appointments INSERT$ANALYZE_TXT;"
    echo "  again: the pass once more (cron: 'fire:0lines' = the next fire logged nothing; post:queued/skipped from a POST), rerun_ms: that POST's time"
    echo
    echo "target: all queued in under $((T_QUEUED_MS / 1000)) s"
    for m in $MODES; do
        med=$(col "$m" R_QUEUED_MS | median)
        if num "$med"; then v=$(awk -v v="$med" -v t="$T_QUEUED_MS" 'BEGIN {print (v < t) ? "PASS" : "FAIL"}'); else v="FAIL (not measured)"; fi
        echo "  $m: median $med ms (runs: $(col "$m" R_QUEUED_MS)) vs < $T_QUEUED_MS ms: $v; to all sent: median $(col "$m" R_SENT_MS | median) ms, $(col "$m" R_RATE | median) msg/s from the tick"
    done
    echo
    echo "data check: $CHECK${ABORTED:+ (stopped early: $ABORTED)}"
    for i in "${!R_MODE[@]}"; do
        echo "  ${R_MODE[$i]}/${R_LABEL[$i]}: ${R_CHECK[$i]}"
    done
    echo
    echo "CPU during the pass (cores, from the tick to all queued; /proc of every process; $(nproc) cores in all):"
    for i in "${!R_MODE[@]}"; do
        echo "  ${R_MODE[$i]}/${R_LABEL[$i]}: ${R_CPU_SPLIT[$i]}${R_OTHERS[$i]:+; WARNING other benchmark/build processes were running: ${R_OTHERS[$i]}}"
    done
    if (( PGACT_MS > 0 )); then
        echo
        echo "where the pass's time goes: pg_stat_activity of $HUB_DB every ${PGACT_MS} ms from the tick to all queued, non-idle client backends"
        echo "(state | wait event | statement; 'idle in transaction' = the pass's transaction open while the hub works in Java; % of the samples the window holds; the sender's claims too)"
        for i in "${!R_MODE[@]}"; do
            echo "  ${R_MODE[$i]}/${R_LABEL[$i]}:"
            echo "${R_PGACT[$i]}"
        done
    fi
    if (( JSTACK_MS > 0 )); then
        echo
        echo "the thread running Reminders.run: jstack of the hub every ${JSTACK_MS} ms from the tick to all queued (state | top frame | first uk.bookinghub frame)"
        for i in "${!R_MODE[@]}"; do
            echo "  ${R_MODE[$i]}/${R_LABEL[$i]}:"
            echo "${R_JSTACK[$i]}"
        done
    fi
    echo
    echo "hub logs: $(LOG_COUNTS "$OUT/reminders-$TS-hub-"*.log) in all ($OUT/reminders-$TS-hub-<mode>-<run>.log); stub log $STUB_LOG"
} | tee "$REPORT"
log "report written to $REPORT"
[ "$CHECK" = PASS ] && [ -z "$ABORTED" ]
