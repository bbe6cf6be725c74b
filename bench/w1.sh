#!/usr/bin/env bash
# W1 benchmark: Vapi "end-of-call-report" webhooks (POST /webhooks/vapi) against the hub and the
# seed-stack peer (Node/Express/pg), both on the local PostgreSQL, loopback only.
#
#   bash bench/w1.sh                      # D=20s C=64 ROUNDS=3
#   D=5s ROUNDS=1 bash bench/w1.sh        # quick smoke run
#
# The hub is started exactly as the README's "The two commands" starts it: with the launcher bin/hub
# (bench/readme-start.sh; it picks the Java runtime, the GC and the class-data archive), on a copy of
# the jar, no profile is set, and only the
# environment variables every deployment sets (port, database, admin token, webhook secret) are
# given. A second hub, "hub-reload", is the same start plus HUB_ROUTES_RELOAD=true (the operator's
# live route reload switch); both run side by side on their own databases and are measured in the
# same rounds (peer, then the hubs, taking turns to go first), so their ratio is taken under the
# same machine load.
#
# Knobs (environment): D (wrk duration per measurement, 20s), C (connections, 64),
# ROUNDS (alternating peer/hub/hub-reload rounds, 3), WARMUP (one unmeasured load run per side
# first, 30s; 0s to skip), RELOAD (1: also measure hub-reload; 0: peer and hub only),
# DEV (0; 1: also measure "hub-dev", the same start with CAMEL_MAIN_PROFILE=dev, for comparison),
# BUILD=1 (rebuild the jar even if present),
# PEER_PORT / HUB_PORT / HUB_MGMT_PORT (first port tried; the next free one is used).
# The load itself is the peer's load-w1.sh (5 s warm-up + D measured, wrk -t2 with w1.lua).
# Output: a summary on stdout and in bench/out/w1-<timestamp>.txt; hub/peer logs and raw wrk
# lines beside it (bench/out/ is git-ignored). Exit status 0 only if the hub data check passes.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/bench/lib.sh"   # now_ms, psql_q, sleep_ms, rss_kb, stop_pid, free_port, wait_http_200
PEER="$REPO/../shared/peers/seed-stack"
D=${D:-20s}
C=${C:-64}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-30s}
BUILD=${BUILD:-0}
RELOAD=${RELOAD:-1}
DEV=${DEV:-0}
PGH=(-h 127.0.0.1 -p 5432 -U postgres)
TS=$(date +%Y%m%d-%H%M%S)
OUT="$REPO/bench/out"
REPORT="$OUT/w1-$TS.txt"
PEER_LOG="$OUT/w1-$TS-peer.log"
SECRET="w1-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
ADMIN_TOKEN="adm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

case "$D" in *[0-9]s|*[0-9]m) ;; *[0-9]) D="${D}s" ;; *) echo "D must look like 20s" >&2; exit 2 ;; esac
[[ "$C" =~ ^[0-9]+$ && "$ROUNDS" =~ ^[0-9]+$ && "$ROUNDS" -ge 1 ]] || { echo "C and ROUNDS must be positive integers" >&2; exit 2; }
[ -f "$PEER/load-w1.sh" ] || { echo "peer not found at $PEER" >&2; exit 2; }
PEER=$(cd "$PEER" && pwd)
mkdir -p "$OUT"
cd "$REPO"

log() { printf '[w1 %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- cleanup: stop only what this script started, by PID --------------------------------------
PEER_PID="" SAMPLER_PID="" LOAD_PID="" HUB_DIR=""
declare -A H_PID H_PORT H_MGMT H_DB H_LOG H_ENV H_START_MS H_RSS_IDLE H_RSS_MAX H_CHECK
kill_tree() { # a process started here and its descendants, by PID
    local c
    for c in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$c"; done
    kill -TERM "$1" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [ -z "$LOAD_PID" ] || kill_tree "$LOAD_PID" # load-w1.sh and the wrk it runs
    stop_pid "$SAMPLER_PID" 1
    local h
    for h in "${!H_PID[@]}"; do stop_pid "${H_PID[$h]}" 20; done
    stop_pid "$PEER_PID" 5
    wait 2>/dev/null || true
    rm -f "$OUT/.w1-$TS-load" "$OUT"/.w1-"$TS"-rssmax-*
    [ -z "$HUB_DIR" ] || rm -rf "$HUB_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


# --- 1. prerequisites ----------------------------------------------------------------------------
log "prerequisites: wrk, peer packages and database (peer setup.sh)"
command -v curl >/dev/null || die "curl is needed"
command -v psql >/dev/null || die "psql is needed"
psql_q -d postgres -c 'select 1' >/dev/null || die "PostgreSQL not reachable on 127.0.0.1:5432 as postgres"
bash "$PEER/setup.sh" >"$OUT/w1-$TS-setup.log" 2>&1 || { tail -20 "$OUT/w1-$TS-setup.log" >&2; die "peer setup.sh failed"; }
command -v wrk >/dev/null || die "wrk missing after setup"
if [ "$BUILD" = 1 ] || [ ! -f target/booking-hub.jar ] || [ ! -d target/lib ]; then
    log "building the hub (mvn -q -B package -DskipTests)"
    mvn -q -B package -DskipTests >"$OUT/w1-$TS-build.log" 2>&1 || { tail -30 "$OUT/w1-$TS-build.log" >&2; die "hub build failed"; }
fi
[ -f target/booking-hub.jar ] || die "target/booking-hub.jar missing after build"
# the README's start command, the first one in "The two commands": bin/hub (bench/readme-start.sh)
. "$REPO/bench/readme-start.sh"
log "hub start command (README): $README_START"
JAR_NOTE=""
if [ -n "$(find src pom.xml -newer target/booking-hub.jar -type f -print -quit 2>/dev/null)" ]; then
    JAR_NOTE="note: target/booking-hub.jar is older than src/ or pom.xml (BUILD=1 rebuilds it)"
    log "$JAR_NOTE"
fi
# Run a private copy of the jar and its lib/: a build started meanwhile (mvn package/verify by
# someone else) rewrites target/ under a running JVM and breaks it with NoClassDefFoundError.
HUB_DIR=$(mktemp -d /tmp/w1-hub.XXXXXX)
cp -p target/booking-hub.jar "$HUB_DIR/booking-hub.jar" && cp -rp target/lib "$HUB_DIR/lib" || die "cannot copy the hub jar"

PEER_PORT=$(free_port "${PEER_PORT:-3000}")
HUBS=(hub); [ "$RELOAD" = 0 ] || HUBS+=(hub-reload); [ "$DEV" = 0 ] || HUBS+=(hub-dev)
taken=("$PEER_PORT")
for h in "${HUBS[@]}"; do
    H_PORT[$h]=$(free_port "${HUB_PORT:-8080}" "${taken[@]}"); taken+=("${H_PORT[$h]}")
    H_MGMT[$h]=$(free_port "${HUB_MGMT_PORT:-19876}" "${taken[@]}"); taken+=("${H_MGMT[$h]}")
    H_LOG[$h]="$OUT/w1-$TS-$h.log"
done
H_DB[hub]=hub_bench; H_ENV[hub]=""
H_DB[hub-reload]=hub_bench_reload; H_ENV[hub-reload]="HUB_ROUTES_RELOAD=true"
H_DB[hub-dev]=hub_bench_dev; H_ENV[hub-dev]="CAMEL_MAIN_PROFILE=dev"
PEER_URL="http://127.0.0.1:$PEER_PORT/webhooks/vapi"
hub_url() { echo "http://127.0.0.1:${H_PORT[$1]}/webhooks/vapi"; }

# --- 2. start the peer and the hub ---------------------------------------------------------------
log "peer: truncating seedstack tables, starting node server.js on :$PEER_PORT"
psql_q -d seedstack -c 'truncate calls, analytics_events restart identity' >/dev/null
PORT=$PEER_PORT VAPI_SECRET=$SECRET PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres PGDATABASE=seedstack \
    node "$PEER/server.js" >"$PEER_LOG" 2>&1 &
PEER_PID=$!
wait_http_200 "http://127.0.0.1:$PEER_PORT/healthz" 30 "$PEER_PID" || { tail -20 "$PEER_LOG" >&2; die "peer did not become healthy"; }

start_hub() { # side: a fresh database, the README's start command, /health 200, tenant acme
    local h=$1 t0 onboard code extra=()
    [ -z "${H_ENV[$h]}" ] || extra=("${H_ENV[$h]}")
    log "$h: recreating database ${H_DB[$h]}, starting ${extra[*]:+${extra[*]} }$README_START (a copy of the jar) on :${H_PORT[$h]} (management :${H_MGMT[$h]})"
    psql_q -d postgres -c "drop database if exists ${H_DB[$h]} with (force)" -c "create database ${H_DB[$h]}" >/dev/null
    t0=$(now_ms)
    # only the deployment's own variables; none that chooses a profile or reload unless this side sets it
    # shellcheck disable=SC2086
    env -u CAMEL_MAIN_PROFILE -u HUB_ROUTES_RELOAD -u JAVA_TOOL_OPTIONS \
        HOST=127.0.0.1 PORT=${H_PORT[$h]} HUB_MANAGEMENT_PORT=${H_MGMT[$h]} \
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/${H_DB[$h]}" HUB_ADMIN_TOKEN=$ADMIN_TOKEN VAPI_WEBHOOK_SECRET=$SECRET \
        "${extra[@]}" HUB_JAR="$HUB_DIR/booking-hub.jar" HUB_JVM_OPTS="${HUB_EXTRA_OPTS:-}" "$HUB_LAUNCH" >"${H_LOG[$h]}" 2>&1 &
    H_PID[$h]=$!
    if ! wait_http_200 "http://127.0.0.1:${H_PORT[$h]}/health" 120 "${H_PID[$h]}"; then
        { grep -E ' (ERROR|FATAL) ' "${H_LOG[$h]}" | tail -5 | grep . || tail -30 "${H_LOG[$h]}"; } | cut -c1-400 >&2
        die "$h did not answer /health 200 (log: ${H_LOG[$h]})${JAR_NOTE:+; $JAR_NOTE}"
    fi
    H_START_MS[$h]=$(( $(now_ms) - t0 ))
    log "$h healthy after ${H_START_MS[$h]} ms ($(grep -o 'Profile [a-z]*; live route reload [a-z]*' "${H_LOG[$h]}" | head -1)); onboarding tenant acme"
    onboard=$(curl -s -m 10 -w '\n%{http_code}' -X POST "http://127.0.0.1:${H_PORT[$h]}/api/clients/onboard" \
        -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
        -d '{"businessName":"Acme","email":"ops@acme.example","phone":"+441134961000"}') || die "onboarding request failed"
    code=${onboard##*$'\n'}
    [[ "$code" == 2?? ]] || die "onboarding answered $code: ${onboard%$'\n'*}"
    grep -q '"clientKey" *: *"acme"' <<<"$onboard" || die "onboarding did not give clientKey acme: ${onboard%$'\n'*}"
}
for h in "${HUBS[@]}"; do start_hub "$h"; done
sleep 2
for h in "${HUBS[@]}"; do H_RSS_IDLE[$h]=$(rss_kb "${H_PID[$h]}"); echo 0 >"$OUT/.w1-$TS-rssmax-$h"; done

# --- 3. alternating rounds -----------------------------------------------------------------------
sample_rss() { # pid, file: keeps the max VmRSS of that hub in the file, every second
    local pid=$1 file=$2 max cur
    max=$(cat "$file")
    while kill -0 "$pid" 2>/dev/null; do
        cur=$(rss_kb "$pid")
        if (( cur > max )); then max=$cur; echo "$max" >"$file"; fi
        sleep 1
    done
}
declare -a R_SIDE R_ROUND R_RPS R_P50 R_P99 R_NON2XX R_SOCK
run_load() { # side round url
    local side=$1 round=$2 url=$3 line
    log "round $round/$ROUNDS: $side ($url) 5s warm-up + $D, c=$C"
    # in the background so that a TERM/INT to this script is handled at once (see cleanup)
    bash "$PEER/load-w1.sh" "$url" "$SECRET" "$D" "$C" >"$OUT/.w1-$TS-load" 2>&1 &
    LOAD_PID=$!
    wait "$LOAD_PID" || true
    LOAD_PID=""
    line=$(cat "$OUT/.w1-$TS-load"); rm -f "$OUT/.w1-$TS-load"
    echo "$line" >>"$OUT/w1-$TS-raw.txt"
    g() { tr ' ' '\n' <<<"$line" | awk -F= -v k="$1" '$1==k {print $2; exit}'; }
    R_SIDE+=("$side"); R_ROUND+=("$round")
    if grep -q '^W1 ' <<<"$line"; then
        R_RPS+=("$(g rps)"); R_P50+=("$(g p50_ms)"); R_P99+=("$(g p99_ms)"); R_NON2XX+=("$(g non2xx)"); R_SOCK+=("$(g sock_err)")
    else
        log "load run failed: $line"
        R_RPS+=(NA); R_P50+=(NA); R_P99+=(NA); R_NON2XX+=(NA); R_SOCK+=(NA)
    fi
    log "  ${line}"
}
: >"$OUT/w1-$TS-raw.txt"
# JIT warm-up: both runtimes compile their hot paths under load first (the JVM's C2 needs tens of
# seconds on 2 cores); these rounds are reported as *-warm and kept out of the medians.
if [ "$WARMUP" != 0s ]; then
    D_MEASURED=$D; D=$WARMUP
    run_load peer-warm 0 "$PEER_URL"
    for h in "${HUBS[@]}"; do run_load "$h-warm" 0 "$(hub_url "$h")"; done
    D=$D_MEASURED
fi
for ((r = 1; r <= ROUNDS; r++)); do
    kill -0 "$PEER_PID" 2>/dev/null || die "peer died (see $PEER_LOG)"
    run_load peer "$r" "$PEER_URL"
    # the hubs take turns going first after the peer (round 1: hub, hub-reload, ...; round 2: hub-reload, ..., hub),
    # so neither always meets the database just after the peer's writes
    ORDER=("${HUBS[@]:$(( (r - 1) % ${#HUBS[@]} ))}" "${HUBS[@]:0:$(( (r - 1) % ${#HUBS[@]} ))}")
    for h in "${ORDER[@]}"; do
        kill -0 "${H_PID[$h]}" 2>/dev/null || die "$h died (see ${H_LOG[$h]})"
        sample_rss "${H_PID[$h]}" "$OUT/.w1-$TS-rssmax-$h" & SAMPLER_PID=$!
        run_load "$h" "$r" "$(hub_url "$h")"
        stop_pid "$SAMPLER_PID" 1; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=""
        kill -0 "${H_PID[$h]}" 2>/dev/null || die "$h died during round $r (see ${H_LOG[$h]})"
    done
done
for h in "${HUBS[@]}"; do H_RSS_MAX[$h]=$(cat "$OUT/.w1-$TS-rssmax-$h"); rm -f "$OUT/.w1-$TS-rssmax-$h"; done

# --- 4. data checks on the hub ---------------------------------------------------------------------
declare -A H_REPORT
data_check() { # side: checks that hub's database, sets H_CHECK[side] and H_REPORT[side]
    local h=$1 HUB_DB=${H_DB[$1]} HUB_LOG=${H_LOG[$1]} prev cur i s
    log "data check $h: waiting for the analytics writes to settle"
    prev=-1
    for ((i = 0; i < 30; i++)); do   # stable for 2 consecutive seconds, at most ~30 s
        cur=$(psql_q -d "$HUB_DB" -c "select count(*) from analytics_events where event_type = 'call.ended'")
        if [ "$cur" = "$prev" ] && (( i >= 2 )); then break; fi
        prev=$cur; sleep 1
    done
    ID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-4000-a000-[0-9a-f]{12}$'
    read -r N_ROWS N_DISTINCT N_UNMATCHED N_REPORTS N_OTHERID < <(psql_q -F ' ' -d "$HUB_DB" -c "
        select count(*), count(distinct vapi_call_id), count(*) filter (where client_id is null),
               coalesce(sum(report_count), 0), count(*) filter (where vapi_call_id !~ '$ID_RE')
        from calls")
    # Per run nonce and wrk thread, the counters must be 1..max with none missing. One exception, an
    # artefact of wrk, not of the server: wrk calls request() once on its first thread's Lua state to
    # verify the script (script_verify_request), so counter 1 of thread 0001 is generated but never
    # sent (it reaches the server only if a later 2 % repeat happens to pick it). Thread 0001 is
    # therefore checked over 2..max, and whether its counter 1 arrived is shown for information.
    GROUPS_SQL="
        with c as (
          select substr(vapi_call_id, 1, 8) as nonce, substr(vapi_call_id, 10, 4) as thr,
                 ('x' || lpad(right(vapi_call_id, 12), 16, '0'))::bit(64)::bigint as ctr
          from calls where vapi_call_id ~ '$ID_RE'),
        g as (
          select nonce, thr, max(ctr) as mx, min(ctr) as mn, bool_or(ctr = 1) as has1,
                 case when thr = '0001' then 1 else 0 end as skip,
                 count(distinct ctr) filter (where not (thr = '0001' and ctr = 1)) as n
          from c group by nonce, thr),
        h as (select *, mx - skip - n as missing from g)"
    read -r N_GROUPS N_GAPGROUPS N_MISSING N_T1SKIP < <(psql_q -F ' ' -d "$HUB_DB" -c "$GROUPS_SQL
        select count(*), count(*) filter (where missing <> 0), coalesce(sum(missing), 0),
               count(*) filter (where thr = '0001' and not has1) from h")
    GAP_DETAIL=$(psql_q -F ' ' -d "$HUB_DB" -c "$GROUPS_SQL
        select '    nonce=' || nonce || ' thread=' || thr || ' rows=' || (n + case when skip = 1 and has1 then 1 else 0 end)
               || ' counters=' || mn || '..' || mx || ' missing=' || missing
               || case when skip = 1 then case when has1 then ' (counter 1 arrived as a repeat)' else ' (counter 1 never sent by wrk)' end else '' end
        from h order by nonce, thr")
    read -r N_EVENTS N_EVENTS_DISTINCT N_NO_EVENT N_ORPHAN_EVENTS < <(psql_q -F ' ' -d "$HUB_DB" -c "
        select (select count(*) from analytics_events where event_type = 'call.ended'),
               (select count(distinct vapi_call_id) from analytics_events where event_type = 'call.ended'),
               (select count(*) from calls c where not exists
                   (select 1 from analytics_events a where a.event_type = 'call.ended' and a.vapi_call_id = c.vapi_call_id)),
               (select count(*) from analytics_events a where a.event_type = 'call.ended' and not exists
                   (select 1 from calls c where c.vapi_call_id = a.vapi_call_id))")
    read -r N_ERRLOG N_DEAD < <(psql_q -F ' ' -d "$HUB_DB" -c "select (select count(*) from error_log), (select count(*) from dead_letters)")
    HUB_LOG_WARN=$(grep -c -E '\bWARN\b' "$HUB_LOG" || true)
    HUB_LOG_ERROR=$(grep -c -E '\bERROR\b' "$HUB_LOG" || true)

    CHECK=PASS CHECK_LINES=""
    chk() { # ok|bad, text
        if [ "$1" = ok ]; then CHECK_LINES+="  ok    $2"$'\n'; else CHECK_LINES+="  FAIL  $2"$'\n'; CHECK=FAIL; fi
    }
    (( N_ROWS > 0 )) && s=ok || s=bad; chk $s "calls rows stored: $N_ROWS (sum report_count $N_REPORTS, so $((N_REPORTS - N_ROWS)) repeats)"
    (( N_ROWS == N_DISTINCT )) && s=ok || s=bad; chk $s "no duplicate rows: count(*)=$N_ROWS count(distinct vapi_call_id)=$N_DISTINCT"
    (( N_GROUPS > 0 && N_GAPGROUPS == 0 )) && s=ok || s=bad
    chk $s "ids contiguous per run nonce and wrk thread: $N_GROUPS groups, $N_GAPGROUPS with gaps, $N_MISSING ids missing (thread 0001 checked from 2: wrk never sends its counter 1, in $N_T1SKIP groups)"
    (( N_EVENTS == N_ROWS && N_EVENTS_DISTINCT == N_EVENTS && N_NO_EVENT == 0 && N_ORPHAN_EVENTS == 0 )) && s=ok || s=bad
    chk $s "one call.ended event per call: events=$N_EVENTS (distinct ids $N_EVENTS_DISTINCT), calls=$N_ROWS, calls without event=$N_NO_EVENT, events without call=$N_ORPHAN_EVENTS"
    (( N_UNMATCHED == 0 && N_OTHERID == 0 )) && s=ok || s=bad
    chk $s "every call attributed to a client: unmatched=$N_UNMATCHED, ids not from w1.lua=$N_OTHERID"
    CHECK_LINES=${CHECK_LINES%$'\n'}

    H_CHECK[$h]=$CHECK
    H_REPORT[$h]="$h data check: $CHECK
$CHECK_LINES
  per run nonce and wrk thread (warm-up and measured runs; a missing id can match a non-2xx answer or socket error):
$GAP_DETAIL
$h log: $HUB_LOG_WARN WARN, $HUB_LOG_ERROR ERROR lines; error_log rows $N_ERRLOG, dead_letters rows $N_DEAD ($HUB_LOG)"
}
for h in "${HUBS[@]}"; do data_check "$h"; done
read -r P_ROWS P_EVENTS P_REPORTS < <(psql_q -F ' ' -d seedstack -c "
    select (select count(*) from calls), (select count(*) from analytics_events), (select coalesce(sum(webhook_count), 0) from calls)")

# --- 5. summary ------------------------------------------------------------------------------------
median() { tr ' ' '\n' | awk '/^[0-9.]+$/' | sort -g | awk '{a[NR]=$1} END {if (NR==0) print "NA"; else if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
col() { # side, array name -> values of that side
    local side=$1 i; local -n arr=$2
    for i in "${!R_SIDE[@]}"; do [ "${R_SIDE[$i]}" = "$side" ] && printf '%s ' "${arr[$i]}"; done
    return 0
}
mb() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }
ratio() { # a b -> a/b or NA
    if [[ "$1" =~ ^[0-9.]+$ && "$2" =~ ^[0-9.]+$ ]] && awk -v p="$2" 'BEGIN {exit !(p > 0)}'; then
        awk -v h="$1" -v p="$2" 'BEGIN {printf "%.3f", h / p}'
    else
        echo NA
    fi
}
ALL_PASS=1
for h in "${HUBS[@]}"; do [ "${H_CHECK[$h]}" = PASS ] || ALL_PASS=0; done
{
    echo "W1 benchmark $TS  POST /webhooks/vapi (end-of-call-report), PostgreSQL, loopback"
    echo "D=$D C=$C ROUNDS=$ROUNDS WARMUP=$WARMUP RELOAD=$RELOAD DEV=$DEV  wrk -t2, 5 s warm-up per measurement (peer load-w1.sh)  host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "hub start (README): $README_START   hub-reload: the same with HUB_ROUTES_RELOAD=true"
    echo "peer: $PEER_URL (node $(node -v))   java $("$HUB_JAVA_BIN" -version 2>&1 | awk -F'"' 'NR==1 {print $2}')"
    for h in "${HUBS[@]}"; do
        echo "$h: $(hub_url "$h")  $(grep -o 'Profile [a-z]*; live route reload [a-z]*' "${H_LOG[$h]}" | head -1)"
    done
    echo
    printf '%-8s %-15s %10s %9s %9s %8s %9s\n' round side rps p50_ms p99_ms non2xx sock_err
    for i in "${!R_SIDE[@]}"; do
        printf '%-8s %-15s %10s %9s %9s %8s %9s\n' "${R_ROUND[$i]}" "${R_SIDE[$i]}" "${R_RPS[$i]}" "${R_P50[$i]}" "${R_P99[$i]}" "${R_NON2XX[$i]}" "${R_SOCK[$i]}"
    done
    for side in peer "${HUBS[@]}"; do
        printf '%-8s %-15s %10s %9s %9s %8s %9s\n' median "$side" "$(col "$side" R_RPS | median)" "$(col "$side" R_P50 | median)" \
            "$(col "$side" R_P99 | median)" "$(col "$side" R_NON2XX | median)" "$(col "$side" R_SOCK | median)"
    done
    echo
    mp=$(col peer R_RPS | median)
    for h in "${HUBS[@]}"; do echo "$h/peer median rps: $(ratio "$(col "$h" R_RPS | median)" "$mp")"; done
    for h in "${HUBS[@]}"; do
        [ "$h" != hub ] || continue
        echo "$h/hub median rps: $(ratio "$(col "$h" R_RPS | median)" "$(col hub R_RPS | median)") (per round: $(
            for ((r = 1; r <= ROUNDS; r++)); do
                a="" b=""
                for i in "${!R_SIDE[@]}"; do
                    [ "${R_ROUND[$i]}" = "$r" ] || continue
                    [ "${R_SIDE[$i]}" = hub ] && a=${R_RPS[$i]}
                    [ "${R_SIDE[$i]}" = "$h" ] && b=${R_RPS[$i]}
                done
                printf '%s ' "$(ratio "$b" "$a")"
            done | sed 's/ $//'))"
    done
    [ -z "$JAR_NOTE" ] || echo "$JAR_NOTE"
    for h in "${HUBS[@]}"; do
        echo "$h startup: ${H_START_MS[$h]} ms (process start to GET /health 200); RSS idle $(mb "${H_RSS_IDLE[$h]}") MB, max under load $(mb "${H_RSS_MAX[$h]}") MB"
    done
    for h in "${HUBS[@]}"; do
        echo
        echo "${H_REPORT[$h]}"
    done
    echo "peer db (info): calls $P_ROWS, sum webhook_count $P_REPORTS, analytics_events $P_EVENTS"
} | tee "$REPORT"
log "report written to $REPORT"
[ "$ALL_PASS" = 1 ]
