#!/usr/bin/env bash
# Start-up and idle memory (issue 19): the hub started as the README starts it (bench/readme-start.sh: bin/hub, from
# target/ as an operator runs it), on each database kind:
#   sqlite    the README's first command (no DATABASE_URL: the embedded SQLite file, here HUB_SQLITE_PATH in a scratch folder)
#   postgres  DATABASE_URL to a database created empty for the run
# First a start on the empty database (the migrations run), then RESTARTS starts on the database it left (what a
# deploy or a crash restart is). Per start: start-to-ready (the launcher's start to the first 200 from /health) and
# the resident memory (VmRSS) IDLE seconds after ready, with one client onboarded and nothing else to do.
# The launcher's class-data archive (beside target/booking-hub.jar) is used from the second start after a build on;
# a start without one is marked "no archive".
#
#   bash bench/start.sh                     # KINDS="sqlite postgres" RESTARTS=3 IDLE=10
#
# Targets (issue 19): start-to-ready < 5 s, idle RSS < 300 MB.
# Output: a table on stdout and in bench/out/start-<timestamp>.txt; hub logs beside it.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/bench/lib.sh"
KINDS=${KINDS:-sqlite postgres}
RESTARTS=${RESTARTS:-3}
IDLE=${IDLE:-10}
PGH=(-h 127.0.0.1 -p 5432 -U postgres)
TS=$(date +%Y%m%d-%H%M%S)
OUT="$REPO/bench/out"
REPORT="$OUT/start-$TS.txt"
DB=hub_bench_start
SCRATCH=$(mktemp -d /tmp/hub-start-XXXXXX)
ADMIN_TOKEN="adm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
[[ "$RESTARTS" =~ ^[0-9]+$ && "$IDLE" =~ ^[0-9]+$ ]] || { echo "RESTARTS and IDLE are whole numbers" >&2; exit 2; }
mkdir -p "$OUT"
cd "$REPO"
. "$REPO/bench/readme-start.sh"
log() { printf '[start %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ -f target/booking-hub.jar ] && [ -d target/lib ] || die "build first: mvn -B -q package -DskipTests"

HUB_PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$HUB_PID" 20
    rm -rf "$SCRATCH"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ARCHIVE="$REPO/target/booking-hub.jsa"
ROWS=()
one_start() { # kind, label
    local kind=$1 label=$2 port mgmt t0 ready rss archive db_env=()
    port=$(free_port 18790)
    mgmt=$(free_port 19790 "$port")
    archive="archive"
    if [ ! -f "$ARCHIVE" ] || [ target/booking-hub.jar -nt "$ARCHIVE" ]; then archive="no archive"; fi
    # the embedded default's file in a scratch folder (HUB_SQLITE_PATH), so the checkout's data/hub.db is not touched
    db_env=(HUB_SQLITE_PATH="$SCRATCH/hub.db")
    [ "$kind" = postgres ] && db_env=(DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB")
    t0=$(now_ms)
    HOST=127.0.0.1 PORT=$port HUB_MANAGEMENT_PORT=$mgmt HUB_ADMIN_TOKEN=$ADMIN_TOKEN env "${db_env[@]}" \
        HUB_JVM_OPTS="${HUB_EXTRA_OPTS:-}" "$HUB_LAUNCH" >"$OUT/start-$TS-$kind-$label.log" 2>&1 &
    HUB_PID=$!
    wait_http_200 "http://127.0.0.1:$port/health" 120 "$HUB_PID" || { tail -20 "$OUT/start-$TS-$kind-$label.log" >&2; die "$kind $label: no /health 200"; }
    ready=$(( $(now_ms) - t0 ))
    if [ "$label" = first ]; then
        curl -s -f -m 10 -o /dev/null -X POST "http://127.0.0.1:$port/api/clients/onboard" -H "Authorization: Bearer $ADMIN_TOKEN" \
            -H 'Content-Type: application/json' -d '{"businessName":"Acme","email":"ops@acme.example","phone":"+441134961000"}' \
            || die "onboarding failed"
    fi
    sleep "$IDLE"
    rss=$(( $(rss_kb "$HUB_PID") / 1024 ))
    stop_pid "$HUB_PID" 20
    HUB_PID=""
    log "$kind $label ($archive): ready in $ready ms, RSS ${rss} MB ${IDLE} s after"
    ROWS+=("| $kind | $label ($archive) | $ready ms | $rss MB |")
}

for kind in $KINDS; do
    case $kind in
        sqlite) rm -f "$SCRATCH"/hub.db* ;;
        postgres) psql_q -d postgres -c "drop database if exists $DB with (force)" -c "create database $DB" >/dev/null ;;
        *) die "unknown kind $kind (sqlite, postgres)" ;;
    esac
    one_start "$kind" first
    for ((i = 1; i <= RESTARTS; i++)); do
        one_start "$kind" "restart $i"
    done
done
{
    echo "Start-up and idle memory $TS: $README_START  git $(git rev-parse --short HEAD)"
    echo "java: $("$HUB_JAVA_BIN" -version 2>&1 | head -1)   host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "| database | start | start to ready | RSS ${IDLE} s after ready |"
    echo "| --- | --- | ---: | ---: |"
    printf '%s\n' "${ROWS[@]}"
} | tee "$REPORT"
