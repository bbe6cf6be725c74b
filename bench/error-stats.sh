#!/usr/bin/env bash
# Error statistics benchmark (issue 14): GET /api/error-stats over 1,000,000 error_log rows, on PostgreSQL
# and on SQLite, the hub started as the README starts it (bench/readme-start.sh), loopback only.
# Per database kind (KINDS, both by default):
#   1. a fresh database; the hub started once (Flyway creates the schema, V12 the roll-up error_counts), stopped;
#   2. ROWS error_log rows loaded set-based: CAUSES causes (each its fingerprint, service, route, severity:
#      2 critical, a fifth warning, the rest error), messages with varying lead ids and durations, a JSON
#      context, created_at evenly spaced over the last DAYS days (the causes taking turns);
#   3. the roll-up built by the hub's own V12 migration: its Flyway history row and error_counts are dropped
#      and the hub started again, so V12 sums error_counts from the million rows as an upgrade would (timed;
#      the hub logs "[ERROR STATS] back-fill: ...");
#   4. data check: the API's totals for the last 24 h, 7 days and 31 days against count(*) over error_log
#      in the same (5-minute aligned) window; the group page's count against the rows of its fingerprint;
#   5. waits until the machine is quiet (1-min load < MAX_LOAD, up to QUIET_WAIT s; the report says what
#      it saw), then per endpoint WARMUP unmeasured and N measured requests, one at a time on one kept-alive
#      connection (curl), p50 / p90 / p99 / max from curl's time_total; db-stats DB_STATS_N times;
#   6. the target: error-stats (default window, the last 24 h) p99 < 100 ms on each database.
#
#   bash bench/error-stats.sh                        # ROWS=1000000 DAYS=30 CAUSES=50 N=500, PostgreSQL then SQLite
#   ROWS=100000 N=100 KINDS=sqlite bash bench/error-stats.sh    # smoke run
#
# Knobs (environment): ROWS (1000000), DAYS (30: the rows' spread, up to now), CAUSES (50), N (500 measured
# requests per endpoint), WARMUP (100 per endpoint), DB_STATS_N (20), KINDS ("postgresql sqlite"),
# MAX_LOAD (1.0), QUIET_WAIT (900 s), HUB_DB (hub_bench_errors), KEEP_DB (0; 1 keeps the PostgreSQL database
# and the SQLite file), BUILD (0; 1 rebuilds target/booking-hub.jar), HUB_PORT / HUB_MGMT_PORT (18480 / 19480),
# HUB_EXTRA_OPTS (JVM options added for an experiment; the report says so).
# Output: a summary on stdout and in bench/out/error-stats-<timestamp>.txt; hub logs and raw timings beside it.
# Exit status: 0 when every data check passed (the target is reported, it does not decide it), 1 otherwise,
# 2 for bad knobs.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/bench/lib.sh"   # now_ms, psql_q, stop_pid, free_port, wait_http_200, rss_kb
ROWS=${ROWS:-1000000}
DAYS=${DAYS:-30}
CAUSES=${CAUSES:-50}
N=${N:-500}
WARMUP=${WARMUP:-100}
DB_STATS_N=${DB_STATS_N:-20}
KINDS=${KINDS:-postgresql sqlite}
MAX_LOAD=${MAX_LOAD:-1.0}
QUIET_WAIT=${QUIET_WAIT:-900}
HUB_DB=${HUB_DB:-hub_bench_errors}
KEEP_DB=${KEEP_DB:-0}
BUILD=${BUILD:-0}
. "$REPO/bench/readme-start.sh"   # README_START, HUB_JAVA_OPTS
PGH=(-h 127.0.0.1 -p 5432 -U postgres)
TS=$(date +%Y%m%d-%H%M%S)
OUT="$REPO/bench/out"
REPORT="$OUT/error-stats-$TS.txt"
ADMIN_TOKEN="adm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
T_P99=100   # ms, the issue's target for error-stats

for v in ROWS DAYS CAUSES N WARMUP DB_STATS_N QUIET_WAIT KEEP_DB BUILD; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "$v must be a non-negative integer" >&2; exit 2; }
done
(( ROWS >= CAUSES && CAUSES >= 10 && CAUSES <= 1000 && DAYS >= 1 && DAYS <= 365 && N >= 10 )) || { echo "need 10 <= CAUSES <= 1000, ROWS >= CAUSES, 1 <= DAYS <= 365, N >= 10" >&2; exit 2; }
[[ "$MAX_LOAD" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "MAX_LOAD must be a number" >&2; exit 2; }
[[ "$HUB_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "HUB_DB must be a plain lower-case identifier" >&2; exit 2; }
for k in $KINDS; do [[ "$k" == postgresql || "$k" == sqlite ]] || { echo "KINDS: postgresql and/or sqlite, got $k" >&2; exit 2; }; done
mkdir -p "$OUT"
cd "$REPO"

log() { printf '[error-stats %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
load1() { cut -d' ' -f1 /proc/loadavg; }
busiest() { ps -eo pcpu,comm --sort=-pcpu | awk 'NR > 1 && NR <= 4 {printf "%s %s%%  ", $2, $1}'; }

# --- cleanup: stop only what this script started, by PID --------------------------------------
HUB_PID="" WORK_DIR=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
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
    mvn -B -q package -DskipTests >"$OUT/error-stats-$TS-build.log" 2>&1 || { tail -30 "$OUT/error-stats-$TS-build.log" >&2; die "hub build failed"; }
fi
NOTES=()
if [ -n "$(find src/main pom.xml routes application*.properties -newer target/booking-hub.jar -type f -print -quit 2>/dev/null)" ]; then
    NOTES+=("note: target/booking-hub.jar is older than src/main, pom.xml, routes/ or application*.properties (BUILD=1 rebuilds it)")
fi
# private copies of the jar + lib/, routes/ and the properties: others rebuild target/ and edit routes meanwhile
WORK_DIR=$(mktemp -d /tmp/error-stats-bench.XXXXXX)
cp -p target/booking-hub.jar "$WORK_DIR/error-stats-bench-hub.jar" && cp -rp target/lib "$WORK_DIR/lib" \
    && cp -rp routes "$WORK_DIR/routes" && cp -p application*.properties "$WORK_DIR/" || die "cannot copy the hub"
mkdir -p "$WORK_DIR/sqlite"
JAR_DATE=$(date -r target/booking-hub.jar '+%Y-%m-%d %H:%M:%S')
GIT_HEAD=$(git --no-optional-locks rev-parse --short HEAD 2>/dev/null || echo '?')
git --no-optional-locks diff --quiet HEAD -- src/main routes pom.xml 2>/dev/null || GIT_HEAD="$GIT_HEAD + uncommitted changes"
HUB_PORT=$(free_port "${HUB_PORT:-18480}")
HUB_MGMT_PORT=$(free_port "${HUB_MGMT_PORT:-19480}" "$HUB_PORT")
BASE="http://127.0.0.1:$HUB_PORT"
JAVA_VERSION=$("$HUB_JAVA_BIN" -version 2>&1 | awk -F'"' 'NR==1 {print $2}')
PG_VERSION=$(psql_q -d postgres -c 'show server_version' 2>/dev/null | cut -d' ' -f1 || echo '?')
PG_SETTINGS=$(psql_q -F= -d postgres -c "select name, setting || coalesce(unit, '') from pg_settings where name in
    ('shared_buffers', 'work_mem', 'effective_cache_size', 'max_parallel_workers_per_gather') order by name" 2>/dev/null | tr '\n' ' ' || true)
CPU_MODEL=$(lscpu 2>/dev/null | awk -F': *' '/^Model name/ {print $2; exit}')
MEM_MB=$(awk '/^MemTotal:/ {printf "%.0f", $2 / 1024}' /proc/meminfo)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
SQLITE_FILE="$WORK_DIR/sqlite/hub.db"
T_END=$(date -u +%s)   # the rows end now (to the second); the windows measured end at the hub's now

start_hub() { # kind, log file
    local kind=$1 hub_log=$2 rc attempt
    for attempt in 1 2 3; do
        log "starting the hub ($README_START) on $kind, :$HUB_PORT (management :$HUB_MGMT_PORT)"
        if [ "$kind" = postgresql ]; then
            # shellcheck disable=SC2086
            HOST=127.0.0.1 PORT=$HUB_PORT HUB_MANAGEMENT_PORT=$HUB_MGMT_PORT DATABASE_URL="postgres://postgres@127.0.0.1:5432/$HUB_DB" \
                HUB_ADMIN_TOKEN=$ADMIN_TOKEN HUB_CONFIG="$WORK_DIR/application.properties" HUB_ROUTES_DIR="$WORK_DIR/routes" \
                HUB_JAR="$WORK_DIR/error-stats-bench-hub.jar" HUB_JVM_OPTS="${HUB_EXTRA_OPTS:-}" "$HUB_LAUNCH" >>"$hub_log" 2>&1 &
        else
            # the README's embedded default: no DATABASE_URL, the SQLite file at HUB_SQLITE_PATH
            # shellcheck disable=SC2086
            env -u DATABASE_URL HOST=127.0.0.1 PORT=$HUB_PORT HUB_MANAGEMENT_PORT=$HUB_MGMT_PORT HUB_SQLITE_PATH="$SQLITE_FILE" \
                HUB_ADMIN_TOKEN=$ADMIN_TOKEN HUB_CONFIG="$WORK_DIR/application.properties" HUB_ROUTES_DIR="$WORK_DIR/routes" \
                HUB_JAR="$WORK_DIR/error-stats-bench-hub.jar" HUB_JVM_OPTS="${HUB_EXTRA_OPTS:-}" "$HUB_LAUNCH" >>"$hub_log" 2>&1 &
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

# The causes: k, severity, service, route, message template ({n} = a lead id, {ms} = a duration), fingerprint
causes_sql() {
    awk -v n="$CAUSES" 'BEGIN {
        split("vapi dialler messaging http dead-letters", svc, " ")
        for (k = 0; k < n; k++) {
            sev = (k % 25 == 0) ? "critical" : (k % 5 == 1) ? "warning" : "error"
            s = svc[k % 5 + 1]
            printf "%s(%d, '"'"'%s'"'"', '"'"'%s'"'"', '"'"'route-%02d'"'"', '"'"'cause %d: timeout after {ms} ms calling lead {n}'"'"', '"'"'%016x'"'"')", (k ? ",\n" : ""), k, sev, s, k, k, 1000003 * (k + 1) + 7919
        }
    }'
}

load_rows() { # kind
    local kind=$1 span_ms=$((DAYS * 86400000))
    if [ "$kind" = postgresql ]; then
        psql_q -d "$HUB_DB" -c "create temporary table causes (k int, severity text, service text, route_id text, template text, fingerprint text);
            insert into causes values $(causes_sql);
            insert into error_log (severity, service, message, context, route_id, fingerprint, created_at)
            select c.severity, c.service, replace(replace(c.template, '{n}', (g % 100000)::text), '{ms}', (1000 + g % 977)::text),
                   '{\"leadId\":' || (g % 100000) || ',\"clientKey\":\"bench-' || (g % 7) || '\",\"attemptNo\":1}', c.route_id, c.fingerprint,
                   to_timestamp($T_END) - ((g::bigint * $span_ms) / $ROWS) * interval '1 millisecond'
            from generate_series(1, $ROWS) g join causes c on c.k = g % $CAUSES;
            analyze error_log;" >/dev/null
    else
        sqlite3 -bail "$SQLITE_FILE" "pragma journal_mode = wal;
            create temporary table causes (k int, severity text, service text, route_id text, template text, fingerprint text);
            insert into causes values $(causes_sql);
            with recursive g(i) as (select 1 union all select i + 1 from g where i < $ROWS)
            insert into error_log (severity, service, message, context, route_id, fingerprint, created_at)
            select c.severity, c.service, replace(replace(c.template, '{n}', i % 100000), '{ms}', 1000 + i % 977),
                   '{\"leadId\":' || (i % 100000) || ',\"clientKey\":\"bench-' || (i % 7) || '\",\"attemptNo\":1}', c.route_id, c.fingerprint,
                   strftime('%Y-%m-%dT%H:%M:%fZ', ($T_END * 1000 - (i * $span_ms) / $ROWS) / 1000.0, 'unixepoch')
            from g join causes c on c.k = i % $CAUSES;
            analyze;" >/dev/null
    fi
}

pct() { # file of seconds, percentile -> ms
    sort -g "$1" | awk -v p="$2" '{a[NR] = $1} END {if (NR == 0) {print "NA"; exit} i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; printf "%.1f", a[i] * 1000}'
}
timed() { # name, path, count, warm-up -> "name requests p50 p90 p99 max bytes non200"
    local name=$1 path=$2 n=$3 w=$4 cfg="$WORK_DIR/curl.cfg" raw="$WORK_DIR/t-$1.txt" i
    : >"$cfg"
    for ((i = 0; i < w + n; i++)); do printf 'url = "%s%s"\noutput = "/dev/null"\n' "$BASE" "$path" >>"$cfg"; done
    curl -s -K "$cfg" -H "Authorization: Bearer $ADMIN_TOKEN" -w '%{http_code} %{time_total} %{size_download}\n' >"$WORK_DIR/all.txt"
    tail -n "$n" "$WORK_DIR/all.txt" | awk '{print $2}' >"$raw"
    local bad bytes
    bad=$(awk '$1 != 200' "$WORK_DIR/all.txt" | wc -l)
    bytes=$(tail -n 1 "$WORK_DIR/all.txt" | awk '{print $3}')
    cp "$raw" "$OUT/error-stats-$TS-$KIND-$name.txt"
    echo "$name $(wc -l <"$raw") $(pct "$raw" 50) $(pct "$raw" 90) $(pct "$raw" 99) $(pct "$raw" 100) $bytes $bad"
}
since31() { date -u -d "-31 days +10 minutes" +%Y-%m-%dT%H:%M:%SZ; }   # the longest window, until now
api_get() { curl -s -m 120 -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE$1"; }

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

declare -A R_LOAD R_ROLLUP R_START R_CHECK R_QUIET R_LOADEND R_TIMES R_DBSTATS R_SIZE R_CELLS R_BACKFILL
CHECK=PASS
for KIND in $KINDS; do
    HUB_LOG="$OUT/error-stats-$TS-$KIND-hub.log"
    : >"$HUB_LOG"
    # --- 1. fresh database, schema -------------------------------------------------------------------------
    if [ "$KIND" = postgresql ]; then
        log "recreating database $HUB_DB"
        psql_q -d postgres -c "drop database if exists $HUB_DB with (force)" -c "create database $HUB_DB" >/dev/null
    else
        rm -f "$SQLITE_FILE" "$SQLITE_FILE-wal" "$SQLITE_FILE-shm"
    fi
    start_hub "$KIND" "$HUB_LOG"
    stop_hub
    # --- 2. the rows ------------------------------------------------------------------------------------------
    log "$KIND: loading $ROWS error_log rows ($CAUSES causes over the last $DAYS days)"
    t0=$(now_ms)
    load_rows "$KIND"
    R_LOAD[$KIND]=$(( $(now_ms) - t0 ))
    # --- 3. the roll-up, by the hub's V12 as an upgrade builds it -----------------------------------------------
    sql "$KIND" "delete from flyway_schema_history where version = '12'; drop table error_counts;" >/dev/null
    t0=$(now_ms)
    start_hub "$KIND" "$HUB_LOG"
    R_START[$KIND]=$(( $(now_ms) - t0 ))
    R_BACKFILL[$KIND]=$(grep -o '\[ERROR STATS\] back-fill: .*' "$HUB_LOG" | tail -1 || echo "no back-fill line in the log")
    R_CELLS[$KIND]=$(sql "$KIND" "select count(*) from error_counts")
    if [ "$KIND" = postgresql ]; then
        R_SIZE[$KIND]="database $(psql_q -d "$HUB_DB" -c "select pg_size_pretty(pg_database_size('$HUB_DB'))"), error_log $(psql_q -d "$HUB_DB" -c "select pg_size_pretty(pg_total_relation_size('error_log'))"), error_counts $(psql_q -d "$HUB_DB" -c "select pg_size_pretty(pg_total_relation_size('error_counts'))")"
    else
        R_SIZE[$KIND]="file $(( $(stat -c %s "$SQLITE_FILE") / 1048576 )) MB, WAL $(( $(stat -c %s "$SQLITE_FILE-wal" 2>/dev/null || echo 0) / 1048576 )) MB"
    fi
    log "$KIND: loaded in ${R_LOAD[$KIND]} ms; hub up again in ${R_START[$KIND]} ms (${R_BACKFILL[$KIND]}); ${R_CELLS[$KIND]} error_counts rows; ${R_SIZE[$KIND]}"
    # --- 4. data check --------------------------------------------------------------------------------------------
    checks=()
    for w in "24h" "7d" "31d"; do
        case $w in
            24h) q="" ;;
            7d) q="?since=$(date -u -d "@$(( T_END - 7 * 86400 ))" +%Y-%m-%dT%H:%M:%SZ)" ;;
            31d) q="?since=$(since31)" ;;
        esac
        body=$(api_get "/api/error-stats$q")
        since=$(jq -r .since <<<"$body") until=$(jq -r .until <<<"$body") api=$(jq -r .totals.total <<<"$body")
        groups=$(jq -r .groupCount <<<"$body") trend=$(jq '[.trend[].count] | add' <<<"$body")
        if [ "$KIND" = postgresql ]; then
            raw=$(sql "$KIND" "select count(*) from error_log where created_at >= '$since' and created_at < '$until'")
        else
            raw=$(sql "$KIND" "select count(*) from error_log where created_at >= '${since%Z}.000Z' and created_at < '${until%Z}.000Z'")
        fi
        ok=$([ "$api" = "$raw" ] && [ "$trend" = "$raw" ] && [ "$groups" = "$CAUSES" ] && echo PASS || echo FAIL)
        [ "$ok" = PASS ] || CHECK=FAIL
        checks+=("$w [$since, $until): API total $api, trend sum $trend, $groups groups; error_log rows $raw: $ok")
    done
    FP=$(sql "$KIND" "select fingerprint from error_log where route_id = 'route-01' limit 1")
    gbody=$(api_get "/api/error-stats/groups/$FP")
    graw=$(sql "$KIND" "select count(*) from error_log where fingerprint = '$FP'")
    ok=$([ "$(jq -r .count <<<"$gbody")" = "$graw" ] && [ "$(jq '.rows | length' <<<"$gbody")" = 50 ] && echo PASS || echo FAIL)
    [ "$ok" = PASS ] || CHECK=FAIL
    checks+=("group $FP: count $(jq -r .count <<<"$gbody"), error_log rows $graw, $(jq '.rows | length' <<<"$gbody") rows shown: $ok")
    R_CHECK[$KIND]=$(printf '%s\n' "${checks[@]}")
    for c in "${checks[@]}"; do log "$KIND check: $c"; done
    # --- 5. timings -------------------------------------------------------------------------------------------------
    log "$KIND: waiting for a quiet machine (1-min load < $MAX_LOAD, up to $QUIET_WAIT s; now $(load1))"
    wait_quiet
    R_QUIET[$KIND]="$QUIET_NOTE"
    log "$KIND: $QUIET_NOTE"
    S7=$(date -u -d "@$(( T_END - 7 * 86400 ))" +%Y-%m-%dT%H:%M:%SZ)
    lines=()
    lines+=("$(timed stats-24h "/api/error-stats" "$N" "$WARMUP")")
    lines+=("$(timed stats-24h-critical "/api/error-stats?severity=critical" "$N" "$WARMUP")")
    lines+=("$(timed stats-24h-vapi "/api/error-stats?service=vapi" "$N" "$WARMUP")")
    lines+=("$(timed stats-7d "/api/error-stats?since=$S7" "$N" "$WARMUP")")
    lines+=("$(timed stats-31d "/api/error-stats?since=$(since31)" "$((N / 5))" "$((WARMUP / 5))")")
    lines+=("$(timed group "/api/error-stats/groups/$FP" "$N" "$WARMUP")")
    lines+=("$(timed db-stats "/api/admin/db-stats" "$DB_STATS_N" 2)")
    R_TIMES[$KIND]=$(printf '%s\n' "${lines[@]}")
    R_LOADEND[$KIND]=$(cut -d' ' -f1-3 /proc/loadavg)
    for l in "${lines[@]}"; do log "$KIND: $l"; done
    R_DBSTATS[$KIND]=$(api_get /api/admin/db-stats | jq -c '{type: .database.type, size: .database.size, readMs: .database.readMs,
        error_log: (.database.tables[] | select(.name == "error_log") | {rows: (.rows // .rowEstimate), total}), pool: .pool,
        serverConnections: .database.serverConnections.thisDatabase}')
    stop_hub
done

# --- 6. summary --------------------------------------------------------------------------------------------------------
{
    echo "Error statistics benchmark $TS  $ROWS error_log rows of $CAUSES causes over $DAYS days, loopback"
    echo "date: $(date -R)"
    echo "machine: $(nproc) cores ($CPU_MODEL), ${MEM_MB} MB memory, load $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end; java $JAVA_VERSION, PostgreSQL $PG_VERSION ($PG_SETTINGS), sqlite3 CLI $(sqlite3 --version | cut -d' ' -f1) for the load"
    echo "settings: ROWS=$ROWS DAYS=$DAYS CAUSES=$CAUSES N=$N WARMUP=$WARMUP DB_STATS_N=$DB_STATS_N KINDS=\"$KINDS\" MAX_LOAD=$MAX_LOAD"
    echo "hub: target/booking-hub.jar built $JAR_DATE, checkout $GIT_HEAD; start: $README_START (profile prod)"
    for n in ${NOTES[@]+"${NOTES[@]}"}; do echo "$n"; done
    echo "requests: one at a time on one kept-alive connection (curl -K), the admin token; ms from curl's time_total; stats-31d with N/5"
    for KIND in $KINDS; do
        echo
        echo "== $KIND"
        echo "load: ${R_LOAD[$KIND]} ms; ${R_SIZE[$KIND]}"
        echo "roll-up by V12 on start-up: ${R_BACKFILL[$KIND]}; /health 200 after ${R_START[$KIND]} ms; ${R_CELLS[$KIND]} error_counts rows"
        echo "machine while timing: ${R_QUIET[$KIND]}; load ${R_LOADEND[$KIND]} after"
        printf '  %-20s %8s %8s %8s %8s %8s %9s %6s\n' endpoint requests p50_ms p90_ms p99_ms max_ms bytes non200
        while read -r name reqs p50 p90 p99 max bytes bad; do
            printf '  %-20s %8s %8s %8s %8s %8s %9s %6s\n' "$name" "$reqs" "$p50" "$p90" "$p99" "$max" "$bytes" "$bad"
        done <<<"${R_TIMES[$KIND]}"
        echo "db-stats answer: ${R_DBSTATS[$KIND]}"
        echo "data check:"
        sed 's/^/  /' <<<"${R_CHECK[$KIND]}"
        p99=$(awk '$1 == "stats-24h" {print $5}' <<<"${R_TIMES[$KIND]}")
        echo "target: error-stats (last 24 h) p99 $p99 ms < $T_P99 ms: $(awk -v v="$p99" -v t="$T_P99" 'BEGIN {print (v ~ /^[0-9.]+$/ && v + 0 < t) ? "PASS" : "FAIL"}')"
    done
    echo
    echo "data check: $CHECK"
} | tee "$REPORT"
log "report written to $REPORT"
[ "$CHECK" = PASS ]
