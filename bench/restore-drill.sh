#!/usr/bin/env bash
# Restore drill (issue 18): how long a backup of a big hub takes, how big it is, how long a restore takes
# (the RTO: restore + the hub answering /health on the restored database) and what a backup taken under
# load leaves at risk (the RPO), on PostgreSQL and SQLite, the hub started as the README starts it.
# Per database kind (KINDS, both by default):
#   1. a fresh database; the hub started (Flyway creates the schema), two clients onboarded, the hub stopped;
#   2. LEADS leads, CALLS calls with transcripts and MESSAGES messages loaded set-based (bench/data.sh), the hub
#      started again with its backups in a private directory;
#   3. W1-style load (the peer's load-w1.sh: end-of-call reports, c=LOAD_C) runs while POST /api/admin/backups takes
#      a backup and verifies it by a restore into a scratch database; the answer's manifest gives the backup time,
#      size and verification time;
#   4. after the load: the calls in the database and in the backup: what arrived after the backup's snapshot is
#      what a restore of it would lose (with the nightly schedule, the RPO is up to a day plus the backup's time);
#   5. the hub stopped; `java -jar target/booking-hub.jar restore --from <backup> --to <a new database>` timed, the hub
#      started on the restored database and timed to /health 200: the RTO; data check: the restored database has the
#      manifest's rows and the command said "verified".
#
#   bash bench/restore-drill.sh                              # LEADS=1000000 CALLS=100000 MESSAGES=100000, both
#   LEADS=20000 CALLS=2000 MESSAGES=2000 KINDS=sqlite bash bench/restore-drill.sh   # smoke run
#
# Knobs (environment): LEADS, CALLS, MESSAGES, KINDS ("postgresql sqlite"), LOAD_C (8), HUB_DB (hub_bench_drill),
# HUB_PORT / HUB_MGMT_PORT (18680 / 19680), BUILD (0; 1 rebuilds the jar).
# Output: a summary on stdout and in bench/out/restore-drill-<timestamp>.txt; logs beside it.
# Exit status: 0 when every data check passed, 1 otherwise, 2 for bad knobs.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/bench/lib.sh"
LEADS=${LEADS:-1000000}
CALLS=${CALLS:-100000}
MESSAGES=${MESSAGES:-100000}
KINDS=${KINDS:-postgresql sqlite}
LOAD_C=${LOAD_C:-8}
HUB_DB=${HUB_DB:-hub_bench_drill}
BUILD=${BUILD:-0}
. "$REPO/bench/readme-start.sh"   # README_START, HUB_JAVA_OPTS
. "$REPO/bench/data.sh"           # load_rows
PEER="$REPO/../shared/peers/seed-stack"
PGH=(-h 127.0.0.1 -p 5432 -U postgres)
TS=$(date +%Y%m%d-%H%M%S)
OUT="$REPO/bench/out"
REPORT="$OUT/restore-drill-$TS.txt"
ADMIN_TOKEN="adm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
SECRET="drill-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
for v in LEADS CALLS MESSAGES LOAD_C BUILD; do [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "$v must be a non-negative integer" >&2; exit 2; }; done
[[ "$HUB_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "HUB_DB must be a plain lower-case identifier" >&2; exit 2; }
for k in $KINDS; do [[ "$k" == postgresql || "$k" == sqlite ]] || { echo "KINDS: postgresql and/or sqlite, got $k" >&2; exit 2; }; done
mkdir -p "$OUT"
cd "$REPO"
log() { printf '[drill %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

HUB_PID="" LOAD_PID="" WORK_DIR=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_load
    stop_pid "$HUB_PID" 20
    wait 2>/dev/null || true
    psql_q -d postgres -c "drop database if exists $HUB_DB with (force)" -c "drop database if exists ${HUB_DB}_restored with (force)" >/dev/null 2>&1 || true
    [ -z "$WORK_DIR" ] || rm -rf "$WORK_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for c in curl psql sqlite3 jq java wrk; do command -v "$c" >/dev/null || die "$c is needed"; done
[ -f "$PEER/load-w1.sh" ] || die "the peer's load-w1.sh is not at $PEER"
if [ "$BUILD" = 1 ] || [ ! -f target/booking-hub.jar ]; then
    mvn -B -q package -DskipTests >"$OUT/restore-drill-$TS-build.log" 2>&1 || die "hub build failed"
fi
WORK_DIR=$(mktemp -d /tmp/restore-drill.XXXXXX)
cp -p target/booking-hub.jar "$WORK_DIR/hub.jar" && cp -rp target/lib "$WORK_DIR/lib" && cp -rp routes "$WORK_DIR/routes" \
    && cp -p application*.properties "$WORK_DIR/" || die "cannot copy the hub"
HUB_PORT=$(free_port "${HUB_PORT:-18680}")
HUB_MGMT_PORT=$(free_port "${HUB_MGMT_PORT:-19680}" "$HUB_PORT")
BASE="http://127.0.0.1:$HUB_PORT"
GIT_HEAD=$(git --no-optional-locks rev-parse --short HEAD 2>/dev/null || echo '?')

start_hub() { # kind, database url or sqlite file, log -> sets HUB_PID, STARTED_MS
    local kind=$1 where=$2 hub_log=$3 t0 rc=0
    t0=$(now_ms)
    if [ "$kind" = postgresql ]; then
        # shellcheck disable=SC2086
        HOST=127.0.0.1 PORT=$HUB_PORT HUB_MANAGEMENT_PORT=$HUB_MGMT_PORT DATABASE_URL="$where" HUB_ADMIN_TOKEN=$ADMIN_TOKEN \
            VAPI_WEBHOOK_SECRET=$SECRET HUB_BACKUPS_DIR="$WORK_DIR/backups" HUB_CONFIG="$WORK_DIR/application.properties" \
            HUB_ROUTES_DIR="$WORK_DIR/routes" HUB_JAR="$WORK_DIR/hub.jar" HUB_JVM_OPTS="${HUB_EXTRA_OPTS:-}" "$HUB_LAUNCH" >>"$hub_log" 2>&1 &
    else
        # shellcheck disable=SC2086
        env -u DATABASE_URL HOST=127.0.0.1 PORT=$HUB_PORT HUB_MANAGEMENT_PORT=$HUB_MGMT_PORT HUB_SQLITE_PATH="$where" HUB_ADMIN_TOKEN=$ADMIN_TOKEN \
            VAPI_WEBHOOK_SECRET=$SECRET HUB_BACKUPS_DIR="$WORK_DIR/backups" HUB_CONFIG="$WORK_DIR/application.properties" \
            HUB_ROUTES_DIR="$WORK_DIR/routes" HUB_JAR="$WORK_DIR/hub.jar" HUB_JVM_OPTS="${HUB_EXTRA_OPTS:-}" "$HUB_LAUNCH" >>"$hub_log" 2>&1 &
    fi
    HUB_PID=$!
    wait_http_200 "$BASE/health" 600 "$HUB_PID" || rc=$?
    (( rc == 0 )) || { tail -20 "$hub_log" >&2; die "the hub did not answer /health 200 (log: $hub_log)"; }
    STARTED_MS=$(( $(now_ms) - t0 ))
}
stop_load() { [ -z "$LOAD_PID" ] || { kill -TERM -- "-$LOAD_PID" 2>/dev/null || true; wait "$LOAD_PID" 2>/dev/null || true; LOAD_PID=""; }; }
stop_hub() { stop_pid "$HUB_PID" 30; wait "$HUB_PID" 2>/dev/null || true; HUB_PID=""; }
onboard() {
    local body
    body=$(curl -s -m 30 -X POST "$BASE/api/clients/onboard" -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
        -d "{\"businessName\":\"$1\",\"email\":\"ops@$(tr ' A-Z' '-a-z' <<<"$1").example\",\"phone\":\"0113 496 1000\"}")
    jq -r .clientKey <<<"$body" | grep -qv null || die "onboarding $1 failed: $body"
}
count_calls() { # kind, where
    if [ "$1" = postgresql ]; then psql_q -d "$2" -c "select count(*) from calls"; else sqlite3 "$2" "select count(*) from calls"; fi
}
client_id() { # kind, where, client key
    if [ "$1" = postgresql ]; then psql_q -d "$2" -c "select id from clients where client_key = '$3'"; else sqlite3 "$2" "select id from clients where client_key = '$3'"; fi
}

{
    echo "Restore drill $TS  main at $GIT_HEAD  LEADS=$LEADS CALLS=$CALLS MESSAGES=$MESSAGES LOAD_C=$LOAD_C"
    echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); hub start: $README_START"
} | tee "$REPORT"
status=0
for kind in $KINDS; do
    hub_log="$OUT/restore-drill-$TS-$kind-hub.log"
    mkdir -p "$WORK_DIR/sqlite" && rm -rf "$WORK_DIR/backups"
    if [ "$kind" = postgresql ]; then
        psql_q -d postgres -c "drop database if exists $HUB_DB with (force)" -c "create database $HUB_DB" >/dev/null
        where="postgres://postgres@127.0.0.1:5432/$HUB_DB"
        SQLITE_FILE=""
    else
        where="$WORK_DIR/sqlite/hub.db"
        SQLITE_FILE=$where
        rm -f "$where"*
    fi
    log "$kind: schema and clients"
    start_hub "$kind" "$where" "$hub_log"
    onboard "Acme"; onboard "Bench Other"
    stop_hub
    log "$kind: loading $LEADS leads, $CALLS calls, $MESSAGES messages"
    db_arg=$([ "$kind" = postgresql ] && echo "$HUB_DB" || echo "$where")
    load_rows "$kind" "$(client_id "$kind" "$db_arg" acme)" "$(client_id "$kind" "$db_arg" bench-other)"
    start_hub "$kind" "$where" "$hub_log"
    log "$kind: load (c=$LOAD_C) and a backup meanwhile"
    setsid bash "$PEER/load-w1.sh" "$BASE/webhooks/vapi" "$SECRET" 600s "$LOAD_C" >"$OUT/restore-drill-$TS-$kind-load.txt" 2>&1 &
    LOAD_PID=$!   # its own process group: stopped with the wrk it runs
    sleep 8
    t0=$(now_ms)
    answer=$(curl -s -m 3600 -w '\n%{http_code}' -X POST "$BASE/api/admin/backups" -H "Authorization: Bearer $ADMIN_TOKEN")
    took=$(( $(now_ms) - t0 ))
    sleep 5
    stop_load
    code=${answer##*$'\n'}; manifest=${answer%$'\n'*}
    [ "$code" = 201 ] || { log "backup answered $code: $manifest"; status=1; stop_hub; continue; }
    sleep 1
    calls_now=$(count_calls "$kind" "$db_arg")
    calls_backup=$(jq -r .rowCounts.calls <<<"$manifest")
    file="$WORK_DIR/backups/$(jq -r .file <<<"$manifest")"
    stop_hub
    if [ "$kind" = postgresql ]; then
        psql_q -d postgres -c "drop database if exists ${HUB_DB}_restored with (force)" -c "create database ${HUB_DB}_restored" >/dev/null
        target="postgres://postgres@127.0.0.1:5432/${HUB_DB}_restored"; target_where=$target; target_db="${HUB_DB}_restored"
    else
        target="jdbc:sqlite:$WORK_DIR/sqlite/restored.db"; target_where="$WORK_DIR/sqlite/restored.db"; target_db=$target_where
    fi
    t0=$(now_ms)
    restore_out=$(java -jar "$WORK_DIR/hub.jar" restore --from "$file" --to "$target" 2>&1) || true
    restore_ms=$(( $(now_ms) - t0 ))
    restored_calls=$(count_calls "$kind" "$target_db")
    start_hub "$kind" "$target_where" "$hub_log"
    stop_hub
    check=PASS
    grep -q "verified: every row count" <<<"$restore_out" || check="FAIL (restore said: $(tail -3 <<<"$restore_out" | tr '\n' ' '))"
    [ "$restored_calls" = "$calls_backup" ] || check="FAIL (restored calls $restored_calls, manifest $calls_backup)"
    [ "$check" = PASS ] || status=1
    {
        echo
        echo "== $kind"
        printf '%-44s %s\n' "backup file" "$(jq -r '.file + "  " + (.sizeBytes|tostring) + " bytes"' <<<"$manifest")"
        printf '%-44s %s ms (verification by a restore into a scratch database: %s ms; the request %s ms)\n' "backup time (under load)" \
            "$(jq -r .durationMs <<<"$manifest")" "$(jq -r .verification.durationMs <<<"$manifest")" "$took"
        printf '%-44s %s\n' "verification" "$(jq -r .verification.status <<<"$manifest")"
        printf '%-44s %s\n' "load during the backup" "$(grep -o 'rps=[0-9.]*' "$OUT/restore-drill-$TS-$kind-load.txt" | head -1 || echo '(stopped before its report)')"
        printf '%-44s %s in the backup, %s in the database after the load: %s written after the snapshot\n' "calls" "$calls_backup" "$calls_now" \
            "$(( calls_now - calls_backup ))"
        printf '%-44s %s ms\n' "restore command (into a new database)" "$restore_ms"
        printf '%-44s %s ms\n' "hub start on the restored database" "$STARTED_MS"
        printf '%-44s %s ms\n' "RTO (restore + start to /health 200)" "$(( restore_ms + STARTED_MS ))"
        printf '%-44s %s\n' "data check" "$check"
    } | tee -a "$REPORT"
done
log "report: $REPORT"
exit $status
