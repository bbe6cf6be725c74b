#!/usr/bin/env bash
# Client export benchmark (issue 15): GET /api/clients/{clientKey}/export of a client with LEADS leads (a
# million), CALLS calls with transcripts and MESSAGES sent messages, on PostgreSQL and on SQLite, the hub
# started as the README starts it (bench/readme-start.sh), loopback only.
# Per database kind (KINDS, both by default):
#   1. a fresh database; the hub started (Flyway creates the schema), the client onboarded through the admin API
#      (and a second client, whose rows must not appear), the hub stopped;
#   2. the rows loaded set-based in SQL (leads as the intake stores them: E.164, dedupe_no, attributes; calls with a
#      ~600-byte transcript; messages), the hub started again;
#   3. waits until the machine is quiet (1-min load < MAX_LOAD, up to QUIET_WAIT s), then RUNS exports with curl to
#      a file: total time, time to first byte, bytes; the hub's RSS sampled every 200 ms during each (streamed:
#      it must not grow with the document);
#   4. data check on each file, without loading it: it ends with "complete": true and counts whose leads, calls and
#      messages equal the rows loaded; the other client's marker is absent; the first lead parses (jq on the head);
#   5. the target: a million leads in under 60 s on each database.
#
#   bash bench/export.sh                                   # LEADS=1000000 CALLS=100000 MESSAGES=100000, both databases
#   LEADS=100000 CALLS=10000 MESSAGES=10000 KINDS=sqlite bash bench/export.sh   # smoke run
#
# Knobs (environment): LEADS (1000000), CALLS (100000), MESSAGES (100000), RUNS (2), KINDS ("postgresql sqlite"),
# MAX_LOAD (1.0), QUIET_WAIT (600 s), HUB_DB (hub_bench_export), KEEP_DB (0; 1 keeps the PostgreSQL database and the
# SQLite file), BUILD (0; 1 rebuilds target/booking-hub.jar), HUB_PORT / HUB_MGMT_PORT (18580 / 19580),
# HUB_EXTRA_OPTS (JVM options added for an experiment; the report says so).
# Output: a summary on stdout and in bench/out/export-<timestamp>.txt; hub logs and RSS samples beside it (the
# exported files are deleted after their check).
# Exit status: 0 when every data check passed (the target is reported, it does not decide it), 1 otherwise,
# 2 for bad knobs.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/bench/lib.sh"   # now_ms, psql_q, stop_pid, free_port, wait_http_200, rss_kb
LEADS=${LEADS:-1000000}
CALLS=${CALLS:-100000}
MESSAGES=${MESSAGES:-100000}
RUNS=${RUNS:-2}
KINDS=${KINDS:-postgresql sqlite}
MAX_LOAD=${MAX_LOAD:-1.0}
QUIET_WAIT=${QUIET_WAIT:-600}
HUB_DB=${HUB_DB:-hub_bench_export}
KEEP_DB=${KEEP_DB:-0}
BUILD=${BUILD:-0}
. "$REPO/bench/readme-start.sh"   # README_START, HUB_JAVA_OPTS
PGH=(-h 127.0.0.1 -p 5432 -U postgres)
TS=$(date +%Y%m%d-%H%M%S)
OUT="$REPO/bench/out"
REPORT="$OUT/export-$TS.txt"
ADMIN_TOKEN="adm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
T_SECONDS=60   # the issue's target for a million leads

for v in LEADS CALLS MESSAGES RUNS QUIET_WAIT KEEP_DB BUILD; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "$v must be a non-negative integer" >&2; exit 2; }
done
(( LEADS >= 1 && RUNS >= 1 && LEADS <= 99999999 )) || { echo "need 1 <= LEADS <= 99999999, RUNS >= 1" >&2; exit 2; }
[[ "$MAX_LOAD" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "MAX_LOAD must be a number" >&2; exit 2; }
[[ "$HUB_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "HUB_DB must be a plain lower-case identifier" >&2; exit 2; }
for k in $KINDS; do [[ "$k" == postgresql || "$k" == sqlite ]] || { echo "KINDS: postgresql and/or sqlite, got $k" >&2; exit 2; }; done
mkdir -p "$OUT"
cd "$REPO"

log() { printf '[export %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
load1() { cut -d' ' -f1 /proc/loadavg; }
busiest() { ps -eo pcpu,comm --sort=-pcpu | awk 'NR > 1 && NR <= 4 {printf "%s %s%%  ", $2, $1}'; }

# --- cleanup: stop only what this script started, by PID --------------------------------------
HUB_PID="" WORK_DIR="" SAMPLER_PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$SAMPLER_PID" 2
    stop_pid "$HUB_PID" 20
    wait 2>/dev/null || true
    if [ "$KEEP_DB" = 1 ]; then
        log "kept: PostgreSQL database $HUB_DB, SQLite file ${WORK_DIR:-?}/sqlite/hub.db"
    else
        psql_q -d postgres -c "drop database if exists $HUB_DB with (force)" >/dev/null 2>&1 || true
        [ -z "$WORK_DIR" ] || rm -rf "$WORK_DIR"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- prerequisites ---------------------------------------------------------------------------------------
for c in curl psql sqlite3 jq java awk; do command -v "$c" >/dev/null || die "$c is needed"; done
[[ " $KINDS " != *" postgresql "* ]] || psql_q -d postgres -c 'select 1' >/dev/null || die "PostgreSQL not reachable on 127.0.0.1:5432 as postgres"
if [ "$BUILD" = 1 ] || [ ! -f target/booking-hub.jar ] || [ ! -d target/lib ]; then
    log "building the hub (mvn -B -q package -DskipTests)"
    mvn -B -q package -DskipTests >"$OUT/export-$TS-build.log" 2>&1 || { tail -30 "$OUT/export-$TS-build.log" >&2; die "hub build failed"; }
fi
NOTES=()
if [ -n "$(find src/main pom.xml routes application*.properties -newer target/booking-hub.jar -type f -print -quit 2>/dev/null)" ]; then
    NOTES+=("note: target/booking-hub.jar is older than src/main, pom.xml, routes/ or application*.properties (BUILD=1 rebuilds it)")
fi
# private copies of the jar + lib/, routes/ and the properties: others rebuild target/ and edit routes meanwhile
WORK_DIR=$(mktemp -d /tmp/export-bench.XXXXXX)
cp -p target/booking-hub.jar "$WORK_DIR/export-bench-hub.jar" && cp -rp target/lib "$WORK_DIR/lib" \
    && cp -rp routes "$WORK_DIR/routes" && cp -p application*.properties "$WORK_DIR/" || die "cannot copy the hub"
mkdir -p "$WORK_DIR/sqlite"
JAR_DATE=$(date -r target/booking-hub.jar '+%Y-%m-%d %H:%M:%S')
GIT_HEAD=$(git --no-optional-locks rev-parse --short HEAD 2>/dev/null || echo '?')
git --no-optional-locks diff --quiet HEAD -- src/main routes pom.xml 2>/dev/null || GIT_HEAD="$GIT_HEAD + uncommitted changes"
HUB_PORT=$(free_port "${HUB_PORT:-18580}")
HUB_MGMT_PORT=$(free_port "${HUB_MGMT_PORT:-19580}" "$HUB_PORT")
BASE="http://127.0.0.1:$HUB_PORT"
JAVA_VERSION=$("$HUB_JAVA_BIN" -version 2>&1 | awk -F'"' 'NR==1 {print $2}')
PG_VERSION=$(psql_q -d postgres -c 'show server_version' 2>/dev/null | cut -d' ' -f1 || echo '?')
CPU_MODEL=$(lscpu 2>/dev/null | awk -F': *' '/^Model name/ {print $2; exit}')
MEM_MB=$(awk '/^MemTotal:/ {printf "%.0f", $2 / 1024}' /proc/meminfo)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
SQLITE_FILE="$WORK_DIR/sqlite/hub.db"

start_hub() { # kind, log file
    local kind=$1 hub_log=$2 rc attempt
    for attempt in 1 2 3; do
        log "starting the hub ($README_START) on $kind, :$HUB_PORT (management :$HUB_MGMT_PORT)"
        if [ "$kind" = postgresql ]; then
            # shellcheck disable=SC2086
            HOST=127.0.0.1 PORT=$HUB_PORT HUB_MANAGEMENT_PORT=$HUB_MGMT_PORT DATABASE_URL="postgres://postgres@127.0.0.1:5432/$HUB_DB" \
                HUB_ADMIN_TOKEN=$ADMIN_TOKEN HUB_CONFIG="$WORK_DIR/application.properties" HUB_ROUTES_DIR="$WORK_DIR/routes" \
                HUB_JAR="$WORK_DIR/export-bench-hub.jar" HUB_JVM_OPTS="${HUB_EXTRA_OPTS:-}" "$HUB_LAUNCH" >>"$hub_log" 2>&1 &
        else
            # the README's embedded default: no DATABASE_URL, the SQLite file at HUB_SQLITE_PATH
            # shellcheck disable=SC2086
            env -u DATABASE_URL HOST=127.0.0.1 PORT=$HUB_PORT HUB_MANAGEMENT_PORT=$HUB_MGMT_PORT HUB_SQLITE_PATH="$SQLITE_FILE" \
                HUB_ADMIN_TOKEN=$ADMIN_TOKEN HUB_CONFIG="$WORK_DIR/application.properties" HUB_ROUTES_DIR="$WORK_DIR/routes" \
                HUB_JAR="$WORK_DIR/export-bench-hub.jar" HUB_JVM_OPTS="${HUB_EXTRA_OPTS:-}" "$HUB_LAUNCH" >>"$hub_log" 2>&1 &
        fi
        HUB_PID=$!
        rc=0; wait_http_200 "$BASE/health" 300 "$HUB_PID" || rc=$?
        (( rc != 1 )) || die "the hub did not answer /health 200 in 300 s (log: $hub_log)"
        (( rc != 0 )) || return 0
        grep -q 'already in use' "$hub_log" && (( attempt < 3 )) || { tail -30 "$hub_log" >&2; die "the hub exited (log: $hub_log)"; }
        HUB_PORT=$(free_port $((HUB_PORT + 2))) HUB_MGMT_PORT=$(free_port $((HUB_MGMT_PORT + 2)) "$HUB_PORT") BASE="http://127.0.0.1:$HUB_PORT"
    done
}
stop_hub() { stop_pid "$HUB_PID" 30; wait "$HUB_PID" 2>/dev/null || true; HUB_PID=""; }
sql() { # kind, statement(s) -> rows ("|"-separated)
    if [ "$1" = postgresql ]; then psql_q -d "$HUB_DB" -c "$2"; else sqlite3 -bail "$SQLITE_FILE" "$2"; fi
}
onboard() { # business name -> the client's id (from the database)
    local body
    body=$(curl -s -m 30 -X POST "$BASE/api/clients/onboard" -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
        -d "{\"businessName\":\"$1\",\"email\":\"ops@$(tr ' A-Z' '-a-z' <<<"$1").example\",\"phone\":\"0113 496 1000\",\"services\":[\"survey\"]}")
    [ "$(jq -r .clientKey <<<"$body")" != null ] || die "onboarding $1 failed: $body"
    jq -r .clientKey <<<"$body"
}

. "$REPO/bench/data.sh"   # load_rows: leads, calls with a transcript, messages (set-based SQL)

wait_quiet() { # -> sets QUIET_NOTE
    local t0 l
    t0=$(now_ms)
    while :; do
        l=$(load1)
        if awk -v l="$l" -v m="$MAX_LOAD" 'BEGIN {exit !(l < m)}'; then
            QUIET_NOTE="quiet: 1-min load $l < $MAX_LOAD after waiting $(( ($(now_ms) - t0) / 1000 )) s"
            return
        fi
        if (( $(now_ms) - t0 > QUIET_WAIT * 1000 )); then
            QUIET_NOTE="NOT quiet: 1-min load still $l (>= $MAX_LOAD) after $QUIET_WAIT s; busiest: $(busiest)"
            return
        fi
        sleep 10
    done
}

sample_rss() { # pid, file: the RSS (kB) every 200 ms until stopped
    while kill -0 "$1" 2>/dev/null; do echo "$(rss_kb "$1")" >>"$2"; sleep 0.2; done
}

declare -A R_LOAD R_QUIET R_RUNS R_CHECK R_SIZE R_IDLE
CHECK=PASS
for KIND in $KINDS; do
    HUB_LOG="$OUT/export-$TS-$KIND-hub.log"
    : >"$HUB_LOG"
    # --- 1. fresh database, schema, the clients ---------------------------------------------------------------
    if [ "$KIND" = postgresql ]; then
        log "recreating database $HUB_DB"
        psql_q -d postgres -c "drop database if exists $HUB_DB with (force)" -c "create database $HUB_DB" >/dev/null
    else
        rm -f "$SQLITE_FILE" "$SQLITE_FILE-wal" "$SQLITE_FILE-shm"
    fi
    start_hub "$KIND" "$HUB_LOG"
    KEY=$(onboard "Bench Export")
    OTHER_KEY=$(onboard "Bench Other")
    CID=$(sql "$KIND" "select id from clients where client_key = '$KEY'")
    OID=$(sql "$KIND" "select id from clients where client_key = '$OTHER_KEY'")
    stop_hub
    # --- 2. the rows ---------------------------------------------------------------------------------------------
    log "$KIND: loading $LEADS leads, $CALLS calls, $MESSAGES messages for client $KEY"
    t0=$(now_ms)
    load_rows "$KIND" "$CID" "$OID"
    R_LOAD[$KIND]=$(( $(now_ms) - t0 ))
    if [ "$KIND" = postgresql ]; then
        R_SIZE[$KIND]="database $(psql_q -d "$HUB_DB" -c "select pg_size_pretty(pg_database_size('$HUB_DB'))")"
    else
        R_SIZE[$KIND]="file $(( $(stat -c %s "$SQLITE_FILE") / 1048576 )) MB"
    fi
    log "$KIND: loaded in ${R_LOAD[$KIND]} ms (${R_SIZE[$KIND]})"
    start_hub "$KIND" "$HUB_LOG"
    sleep 5
    R_IDLE[$KIND]=$(( $(rss_kb "$HUB_PID") / 1024 ))
    # --- 3. the exports ---------------------------------------------------------------------------------------------
    log "$KIND: waiting for a quiet machine (1-min load < $MAX_LOAD, up to $QUIET_WAIT s; now $(load1))"
    wait_quiet
    R_QUIET[$KIND]="$QUIET_NOTE"
    log "$KIND: $QUIET_NOTE"
    runs=() checks=()
    for ((r = 1; r <= RUNS; r++)); do
        file="$WORK_DIR/export-$KIND-$r.json" rss="$OUT/export-$TS-$KIND-rss-$r.txt"
        : >"$rss"
        sample_rss "$HUB_PID" "$rss" &
        SAMPLER_PID=$!
        timing=$(curl -s -m 600 -o "$file" -H "Authorization: Bearer $ADMIN_TOKEN" -w '%{http_code} %{time_total} %{time_starttransfer} %{size_download}' \
            "$BASE/api/clients/$KEY/export")
        stop_pid "$SAMPLER_PID" 2
        SAMPLER_PID=""
        read -r code total first bytes <<<"$timing"
        max_rss=$(( $(sort -n "$rss" | tail -1) / 1024 ))
        runs+=("run $r: HTTP $code, $total s, first byte $first s, $bytes bytes ($(( bytes / 1048576 )) MB), $(awk -v b="$bytes" -v t="$total" 'BEGIN {printf "%.1f", b / 1048576 / t}') MB/s, hub RSS idle ${R_IDLE[$KIND]} MB -> max $max_rss MB")
        log "$KIND: ${runs[-1]}"
        # --- 4. data check (the file is not loaded whole) -------------------------------------------------------
        tailtxt=$(tail -c 400 "$file")
        counts=$(grep -o '"counts":{[^}]*}' <<<"$tailtxt" || true)
        got_leads=$(grep -o '"leads":[0-9]*' <<<"$counts" | cut -d: -f2)
        got_calls=$(grep -o '"calls":[0-9]*' <<<"$counts" | cut -d: -f2)
        got_msgs=$(grep -o '"messages":[0-9]*' <<<"$counts" | cut -d: -f2)
        complete=$(grep -c '"complete":true}$' <<<"$tailtxt" || true)
        marker=$(grep -c 'Other Client Marker' "$file" || true)
        first_lead=$(head -c 2000000 "$file" | grep -o '"leads":\[{[^{}]*{[^{}]*}[^{}]*}' | head -1 | sed 's/^"leads":\[//' | jq -c '{id, name, phoneE164, attributes}' 2>/dev/null || echo unreadable)
        ok=$([ "$code" = 200 ] && [ "$complete" = 1 ] && [ "$got_leads" = "$LEADS" ] && [ "$got_calls" = "$CALLS" ] && [ "$got_msgs" = "$MESSAGES" ] \
            && [ "$marker" = 0 ] && [ "$first_lead" != unreadable ] && echo PASS || echo FAIL)
        [ "$ok" = PASS ] || CHECK=FAIL
        checks+=("run $r: complete=$complete counts $counts; other client's marker found $marker times; first lead $first_lead: $ok")
        rm -f "$file"
    done
    R_RUNS[$KIND]=$(printf '%s\n' "${runs[@]}")
    R_CHECK[$KIND]=$(printf '%s\n' "${checks[@]}")
    stop_hub
done

# --- 5. summary --------------------------------------------------------------------------------------------------------
{
    echo "Client export benchmark $TS  one client: $LEADS leads, $CALLS calls with transcripts, $MESSAGES messages; loopback"
    echo "date: $(date -R)"
    echo "machine: $(nproc) cores ($CPU_MODEL), ${MEM_MB} MB memory, load $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end; java $JAVA_VERSION, PostgreSQL $PG_VERSION"
    echo "settings: LEADS=$LEADS CALLS=$CALLS MESSAGES=$MESSAGES RUNS=$RUNS KINDS=\"$KINDS\" MAX_LOAD=$MAX_LOAD"
    echo "hub: target/booking-hub.jar built $JAR_DATE, checkout $GIT_HEAD; start: $README_START (profile prod)"
    for n in ${NOTES[@]+"${NOTES[@]}"}; do echo "$n"; done
    echo "request: curl to a file, the admin token; total and first-byte times from curl; the hub's RSS every 200 ms during each"
    for KIND in $KINDS; do
        echo
        echo "== $KIND"
        echo "load: ${R_LOAD[$KIND]} ms; ${R_SIZE[$KIND]}"
        echo "machine: ${R_QUIET[$KIND]}"
        sed 's/^/  /' <<<"${R_RUNS[$KIND]}"
        echo "data check:"
        sed 's/^/  /' <<<"${R_CHECK[$KIND]}"
        worst=$(grep -o ', [0-9.]* s, first' <<<"${R_RUNS[$KIND]}" | awk '{print $2}' | sort -g | tail -1)
        echo "target: $LEADS leads exported in $worst s (slowest run) < $T_SECONDS s: $(awk -v v="$worst" -v t="$T_SECONDS" 'BEGIN {print (v ~ /^[0-9.]+$/ && v + 0 < t) ? "PASS" : "FAIL"}')"
    done
    echo
    echo "data check: $CHECK"
} | tee "$REPORT"
[ "$CHECK" = PASS ]
