#!/usr/bin/env bash
# Alerts benchmark (issue 14): a burst of TOTAL errors of CAUSES causes in BURST seconds through the hub's
# real error path while W1 runs, on PostgreSQL, the hub started as the README starts it
# (bench/readme-start.sh), loopback only.
#   1. a Slack incoming-webhook stand-in (bench/alerts/slack_standin.py: answers "ok", records each message);
#      the hub started on a fresh database with SLACK_WEBHOOK_URL pointing at it; tenant acme onboarded;
#   2. one unmeasured W1 run (JIT warm-up), then BEFORE W1 runs without errors;
#   3. the burst: bench/alerts/inject.py posts TOTAL Vapi end-of-call reports whose endedReason is an error
#      kind (pipeline-error-bench-<cause>, the causes taking turns) to POST /webhooks/vapi at an even rate
#      over BURST seconds; each is stored and recorded in error_log (service vapi); W1 runs back to back
#      meanwhile (its runs that end after the burst are still counted as "with");
#   4. AFTER W1 runs without errors again;
#   5. checks: error_log holds one row per accepted error report, the causes are CAUSES fingerprints, every
#      cause's group fired, the Slack stand-in received at most CAUSES + 1 firing messages (one per cause, plus the
#      errors:all volume alert that fires while the causes are still small) and no message twice for a group;
#   6. W1's median rps with the burst over its median without (target: within 5 %, i.e. >= 0.95).
# The W1 load is the seed-stack peer's load-w1.sh (wrk -t2, 5 s warm-up + D measured, C connections).
#
#   bash bench/alerts.sh                                  # TOTAL=10000 CAUSES=50 BURST=300 D=55s C=64 BEFORE=3 AFTER=3
#   TOTAL=1000 BURST=30 D=10s BEFORE=1 AFTER=1 WARMUP=0s bash bench/alerts.sh    # smoke run (~2 min)
#
# Knobs (environment): TOTAL (10000), CAUSES (50), BURST (300 s), D (55s per W1 run), C (64), BEFORE (3),
# AFTER (3), WARMUP (120s: a 30 s warm-up left the hub warming for minutes and the first measured runs low; 0s skips), CONTROL (0; 1 sends the same reports as normal call ends, no error path: the
# checks then fail by design, the W1 ratio is what the requests alone cost), SETTLE (60 s: at most this long after the burst for the last alerts
# to leave, 4 evaluations), HUB_DB (hub_bench_alerts), BUILD (0; 1 rebuilds the jar),
# HUB_PORT / HUB_MGMT_PORT / SLACK_PORT (18580 / 19580 / 18590; the next free one is used),
# HUB_EXTRA_OPTS (JVM options added for an experiment; the report says so).
# Output: a summary on stdout and in bench/out/alerts-<timestamp>.txt; the hub log, the Slack messages
# and the raw W1 lines beside it. Exit status 0 when every check passed (the W1 ratio is reported, it does
# not decide it), 1 otherwise, 2 for bad knobs.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/bench/lib.sh"   # now_ms, psql_q, stop_pid, free_port, wait_http_200, rss_kb
PEER="$REPO/../shared/peers/seed-stack"
TOTAL=${TOTAL:-10000}
CAUSES=${CAUSES:-50}
BURST=${BURST:-300}
D=${D:-55s}
C=${C:-64}
BEFORE=${BEFORE:-3}
AFTER=${AFTER:-3}
WARMUP=${WARMUP:-120s}
SETTLE=${SETTLE:-60}
HUB_DB=${HUB_DB:-hub_bench_alerts}
CONTROL=${CONTROL:-0}   # 1: the same reports as normal call ends (no error path): what the requests alone cost W1
BUILD=${BUILD:-0}
. "$REPO/bench/readme-start.sh"   # README_START, HUB_JAVA_OPTS
PGH=(-h 127.0.0.1 -p 5432 -U postgres)
TS=$(date +%Y%m%d-%H%M%S)
OUT="$REPO/bench/out"
REPORT="$OUT/alerts-$TS.txt"
HUB_LOG="$OUT/alerts-$TS-hub.log"
SLACK_FILE="$OUT/alerts-$TS-slack.jsonl"
SECRET="al-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
ADMIN_TOKEN="adm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

for v in TOTAL CAUSES BURST C BEFORE AFTER SETTLE BUILD; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "$v must be a non-negative integer" >&2; exit 2; }
done
(( CAUSES >= 1 && CAUSES <= 4096 && TOTAL >= CAUSES && BURST >= 1 && BEFORE + AFTER >= 1 )) || { echo "need 1 <= CAUSES <= 4096 <= ..., TOTAL >= CAUSES, BURST >= 1, BEFORE + AFTER >= 1" >&2; exit 2; }
case "$D" in *[0-9]s) ;; *[0-9]) D="${D}s" ;; *) echo "D must look like 55s" >&2; exit 2 ;; esac
case "$WARMUP" in *[0-9]s) ;; *) echo "WARMUP must look like 30s" >&2; exit 2 ;; esac
[[ "$HUB_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "HUB_DB must be a plain lower-case identifier" >&2; exit 2; }
[ -f "$PEER/load-w1.sh" ] || { echo "peer not found at $PEER" >&2; exit 2; }
PEER=$(cd "$PEER" && pwd)
mkdir -p "$OUT"
cd "$REPO"

log() { printf '[alerts %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- cleanup: stop only what this script started, by PID --------------------------------------
HUB_PID="" SLACK_PID="" INJ_PID="" LOAD_PID="" WORK_DIR=""
kill_tree() { local c; for c in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$c"; done; kill -TERM "$1" 2>/dev/null || true; }
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [ -z "$LOAD_PID" ] || kill_tree "$LOAD_PID"
    stop_pid "$INJ_PID" 2
    stop_pid "$HUB_PID" 20
    stop_pid "$SLACK_PID" 2
    wait 2>/dev/null || true
    psql_q -d postgres -c "drop database if exists $HUB_DB with (force)" >/dev/null 2>&1 || true
    [ -z "$WORK_DIR" ] || rm -rf "$WORK_DIR"
    rm -f "$OUT/.alerts-$TS-load"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. prerequisites, the Slack stand-in, the hub -----------------------------------------------------
for c in curl psql jq java python3 awk; do command -v "$c" >/dev/null || die "$c is needed"; done
psql_q -d postgres -c 'select 1' >/dev/null || die "PostgreSQL not reachable on 127.0.0.1:5432 as postgres"
log "prerequisites: wrk (the peer's setup.sh)"
bash "$PEER/setup.sh" >"$OUT/alerts-$TS-setup.log" 2>&1 || { tail -20 "$OUT/alerts-$TS-setup.log" >&2; die "peer setup.sh failed"; }
command -v wrk >/dev/null || die "wrk missing after setup"
if [ "$BUILD" = 1 ] || [ ! -f target/booking-hub.jar ] || [ ! -d target/lib ]; then
    log "building the hub (mvn -B -q package -DskipTests)"
    mvn -B -q package -DskipTests >"$OUT/alerts-$TS-build.log" 2>&1 || { tail -30 "$OUT/alerts-$TS-build.log" >&2; die "hub build failed"; }
fi
NOTES=()
if [ -n "$(find src/main pom.xml routes application*.properties -newer target/booking-hub.jar -type f -print -quit 2>/dev/null)" ]; then
    NOTES+=("note: target/booking-hub.jar is older than src/main, pom.xml, routes/ or application*.properties (BUILD=1 rebuilds it)")
fi
# private copies: others rebuild target/ and edit routes meanwhile
WORK_DIR=$(mktemp -d /tmp/alerts-bench.XXXXXX)
cp -p target/booking-hub.jar "$WORK_DIR/alerts-bench-hub.jar" && cp -rp target/lib "$WORK_DIR/lib" \
    && cp -rp routes "$WORK_DIR/routes" && cp -p application*.properties "$WORK_DIR/" || die "cannot copy the hub"
GIT_HEAD=$(git --no-optional-locks rev-parse --short HEAD 2>/dev/null || echo '?')
git --no-optional-locks diff --quiet HEAD -- src/main routes pom.xml 2>/dev/null || GIT_HEAD="$GIT_HEAD + uncommitted changes"
HUB_PORT=$(free_port "${HUB_PORT:-18580}")
HUB_MGMT_PORT=$(free_port "${HUB_MGMT_PORT:-19580}" "$HUB_PORT")
SLACK_PORT=$(free_port "${SLACK_PORT:-18590}" "$HUB_PORT" "$HUB_MGMT_PORT")
BASE="http://127.0.0.1:$HUB_PORT"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

: >"$SLACK_FILE"
python3 bench/alerts/slack_standin.py "$SLACK_PORT" "$SLACK_FILE" >"$OUT/alerts-$TS-slack.log" 2>&1 &
SLACK_PID=$!
wait_http_200 "http://127.0.0.1:$SLACK_PORT/" 10 "$SLACK_PID" || die "the Slack stand-in did not start"
slack_count() { curl -s -m 5 "http://127.0.0.1:$SLACK_PORT/" || echo "?"; }

log "recreating database $HUB_DB; starting the hub ($README_START) on :$HUB_PORT, Slack stand-in :$SLACK_PORT"
psql_q -d postgres -c "drop database if exists $HUB_DB with (force)" -c "create database $HUB_DB" >/dev/null
# shellcheck disable=SC2086
HOST=127.0.0.1 PORT=$HUB_PORT HUB_MANAGEMENT_PORT=$HUB_MGMT_PORT DATABASE_URL="postgres://postgres@127.0.0.1:5432/$HUB_DB" \
    HUB_ADMIN_TOKEN=$ADMIN_TOKEN VAPI_WEBHOOK_SECRET=$SECRET SLACK_WEBHOOK_URL="http://127.0.0.1:$SLACK_PORT/services/T0BENCH/B0BENCH/bench" \
    HUB_CONFIG="$WORK_DIR/application.properties" HUB_ROUTES_DIR="$WORK_DIR/routes" \
    HUB_JAR="$WORK_DIR/alerts-bench-hub.jar" HUB_JVM_OPTS="${HUB_EXTRA_OPTS:-}" "$HUB_LAUNCH" >"$HUB_LOG" 2>&1 &
HUB_PID=$!
wait_http_200 "$BASE/health" 180 "$HUB_PID" || { tail -30 "$HUB_LOG" >&2; die "the hub did not answer /health 200 (log: $HUB_LOG)"; }
onboard=$(curl -s -m 10 -w '\n%{http_code}' -X POST "$BASE/api/clients/onboard" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' -d '{"businessName":"Acme","email":"ops@acme.example","phone":"+441134961000"}') || die "onboarding failed"
[[ "${onboard##*$'\n'}" == 2?? ]] && grep -q '"clientKey" *: *"acme"' <<<"$onboard" || die "onboarding: ${onboard%$'\n'*}"
SLACK_AT_START=$(slack_count)
log "hub healthy, acme onboarded; Slack messages so far: $SLACK_AT_START"

# --- 2-4. W1 runs without, with and without the burst ---------------------------------------------------
declare -a R_PHASE R_RPS R_P50 R_P99 R_NON2XX
run_load() { # phase, duration
    local phase=$1 dur=$2 line g
    bash "$PEER/load-w1.sh" "$BASE/webhooks/vapi" "$SECRET" "$dur" "$C" >"$OUT/.alerts-$TS-load" 2>&1 &
    LOAD_PID=$!
    wait "$LOAD_PID" || true
    LOAD_PID=""
    line=$(cat "$OUT/.alerts-$TS-load"); rm -f "$OUT/.alerts-$TS-load"
    echo "$phase $line" >>"$OUT/alerts-$TS-w1.txt"
    log "  $phase: $line"
    kill -0 "$HUB_PID" 2>/dev/null || die "the hub died (log: $HUB_LOG)"
    [ "$phase" != warm ] || return 0
    g() { tr ' ' '\n' <<<"$line" | awk -F= -v k="$1" '$1==k {print $2; exit}'; }
    R_PHASE+=("$phase")
    if grep -q '^W1 ' <<<"$line"; then R_RPS+=("$(g rps)"); R_P50+=("$(g p50_ms)"); R_P99+=("$(g p99_ms)"); R_NON2XX+=("$(g non2xx)")
    else R_RPS+=(NA); R_P50+=(NA); R_P99+=(NA); R_NON2XX+=(NA); fi
}
: >"$OUT/alerts-$TS-w1.txt"
[ "$WARMUP" = 0s ] || { log "W1 warm-up $WARMUP (unmeasured)"; run_load warm "$WARMUP"; }
for ((r = 1; r <= BEFORE; r++)); do log "W1 without errors, run $r/$BEFORE ($D, c=$C)"; run_load without "$D"; done

RATE=$(awk -v t="$TOTAL" -v b="$BURST" 'BEGIN {printf "%.4f", t / b}')
log "burst: $TOTAL error reports of $CAUSES causes at $RATE/s for $BURST s, W1 running back to back"
BURST_T0=$(now_ms)
python3 bench/alerts/inject.py "$BASE/webhooks/vapi" "$SECRET" "$TOTAL" "$RATE" "$CAUSES" 4 "$([ "$CONTROL" = 1 ] && echo customer-ended-call- || echo pipeline-error-bench-)" >"$OUT/alerts-$TS-inject.json" 2>"$OUT/alerts-$TS-inject.err" &
INJ_PID=$!
while kill -0 "$INJ_PID" 2>/dev/null; do log "W1 with the burst ($D, c=$C)"; run_load with "$D"; done
wait "$INJ_PID" || die "the injector failed: $(tail -3 "$OUT/alerts-$TS-inject.err")"
INJ_PID=""
INJ=$(cat "$OUT/alerts-$TS-inject.json")
log "burst done: $(jq -c 'del(.causes)' <<<"$INJ") (W1 runs with it: $(printf '%s\n' "${R_PHASE[@]}" | grep -c '^with$'))"

# the alerts of the burst leave within a few evaluations: wait until the stand-in's count has not moved
# for 2 evaluations (30 s), at most SETTLE s after the burst (W1 runs after it meanwhile count as well)
for ((r = 1; r <= AFTER; r++)); do log "W1 without errors, run $r/$AFTER ($D, c=$C)"; run_load without "$D"; done
deadline=$(( BURST_T0 + (BURST + SETTLE) * 1000 ))
prev=-1; stable=0
while (( $(now_ms) < deadline )); do
    cur=$(slack_count)
    if [ "$cur" = "$prev" ]; then stable=$((stable + 1)); else stable=0; fi
    (( stable < 6 )) || break
    prev=$cur; sleep 5
done

# --- 5. checks ---------------------------------------------------------------------------------------
ACCEPTED=$(jq .ok <<<"$INJ")
read -r N_ERR N_FP < <(psql_q -F ' ' -d "$HUB_DB" -c "select count(*), count(distinct fingerprint) from error_log
    where service = 'vapi' and message like 'Vapi call ended with an error: pipeline-error-bench-%'")
N_API=$(curl -s -m 10 "$BASE/api/admin/alerts?limit=1000" -H "Authorization: Bearer $ADMIN_TOKEN" | jq -r '.count // "?"')
N_GROUPS_FIRED=$(psql_q -d "$HUB_DB" -c "select count(distinct a.group_key) from alerts a where a.group_key in
    (select distinct 'errors:' || fingerprint from error_log where service = 'vapi' and message like 'Vapi call ended with an error: pipeline-error-bench-%')")
N_ALL_FIRED=$(psql_q -d "$HUB_DB" -c "select count(*) from alerts where group_key = 'errors:all'")
N_ALERT_ROWS=$(psql_q -d "$HUB_DB" -c "select count(*) from alerts")
SLACK_TOTAL=$(wc -l <"$SLACK_FILE")
N_SLACK_FIRING=$(jq -r '.text | split("\n")[0]' "$SLACK_FILE" | grep -c '^\[FIRING\]' || true)
N_SLACK_REPEAT=$(jq -r '.text | split("\n")[0]' "$SLACK_FILE" | grep -c '^\[STILL FIRING\]' || true)
N_SLACK_RESOLVED=$(jq -r '.text | split("\n")[0]' "$SLACK_FILE" | grep -c '^\[RESOLVED\]' || true)
SLACK_BURST=$(( N_SLACK_FIRING + N_SLACK_REPEAT ))
# one message of a kind (firing, still firing, resolved) per group: "[FIRING] ... group errors:<fingerprint>"
SLACK_DUP=$(jq -r '(.text | split("]")[0]) + "] " + ((.text | capture("group (?<g>[^ \\n]+)").g) // "?")' "$SLACK_FILE" | sort | uniq -d | wc -l)
N_DEAD=$(psql_q -d "$HUB_DB" -c "select count(*) from dead_letters")
HUB_ERRORS=$(grep -c ' ERROR ' "$HUB_LOG" || true)
LIMIT=$(( CAUSES + 1 ))

CHECK=PASS CHECK_LINES=""
chk() { if [ "$1" = ok ]; then CHECK_LINES+="  ok    $2"$'\n'; else CHECK_LINES+="  FAIL  $2"$'\n'; CHECK=FAIL; fi; }
(( ACCEPTED == TOTAL )) && s=ok || s=bad; chk $s "error reports accepted (2xx): $ACCEPTED of $TOTAL ($(jq -r '"non-2xx \(.non2xx), failed \(.failed)"' <<<"$INJ"))"
(( N_ERR == ACCEPTED )) && s=ok || s=bad; chk $s "error_log rows of the burst: $N_ERR (one per accepted report)"
(( N_FP == CAUSES )) && s=ok || s=bad; chk $s "fingerprints: $N_FP for $CAUSES causes"
(( N_GROUPS_FIRED == CAUSES )) && s=ok || s=bad; chk $s "cause groups that fired: $N_GROUPS_FIRED of $CAUSES (errors:all fired $N_ALL_FIRED time(s); alerts rows in all $N_ALERT_ROWS, GET /api/admin/alerts lists $N_API)"
(( SLACK_BURST <= LIMIT && N_SLACK_FIRING >= CAUSES )) && s=ok || s=bad
chk $s "Slack alert messages for the burst: $SLACK_BURST (target <= $LIMIT): firing $N_SLACK_FIRING, still firing $N_SLACK_REPEAT; also resolved $N_SLACK_RESOLVED; all $SLACK_TOTAL, before the burst $SLACK_AT_START"
(( SLACK_DUP == 0 )) && s=ok || s=bad; chk $s "one message of a kind per group: $SLACK_DUP groups with a kind twice"
CHECK_LINES=${CHECK_LINES%$'\n'}

# --- 6. summary ------------------------------------------------------------------------------------------
median() { tr ' ' '\n' | awk '/^[0-9.]+$/' | sort -g | awk '{a[NR]=$1} END {if (NR==0) print "NA"; else if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
col() { local ph=$1 i; local -n arr=$2; for i in "${!R_PHASE[@]}"; do [ "${R_PHASE[$i]}" = "$ph" ] && printf '%s ' "${arr[$i]}"; done; return 0; }
M_WITH=$(col with R_RPS | median); M_WITHOUT=$(col without R_RPS | median)
RATIO=$(awk -v a="$M_WITH" -v b="$M_WITHOUT" 'BEGIN {if (b + 0 > 0 && a ~ /^[0-9.]+$/) printf "%.3f", a / b; else print "NA"}')
VERDICT=$(awk -v r="$RATIO" 'BEGIN {if (r == "NA") print "no figure"; else if (r >= 0.95) print "met (within 5 %)"; else print "NOT met"}')
{
    [ "$CONTROL" = 0 ] || echo "CONTROL RUN: the reports are normal call ends (customer-ended-call-*), no error path"
    echo "Alerts benchmark $TS  $TOTAL errors of $CAUSES causes in $BURST s through POST /webhooks/vapi while W1 runs, PostgreSQL, loopback"
    echo "hub: $README_START  (git $GIT_HEAD)  java $("$HUB_JAVA_BIN" -version 2>&1 | awk -F'"' 'NR==1 {print $2}')  SLACK_WEBHOOK_URL -> stand-in, no ADMIN_EMAIL"
    echo "W1: the peer's load-w1.sh, wrk -t2 c=$C, 5 s warm-up + $D per run; WARMUP=$WARMUP BEFORE=$BEFORE AFTER=$AFTER"
    echo "host: $(nproc) cores, load at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
    for n in "${NOTES[@]}"; do echo "$n"; done
    echo
    printf '%-8s %10s %9s %9s %8s\n' phase rps p50_ms p99_ms non2xx
    for i in "${!R_PHASE[@]}"; do printf '%-8s %10s %9s %9s %8s\n' "${R_PHASE[$i]}" "${R_RPS[$i]}" "${R_P50[$i]}" "${R_P99[$i]}" "${R_NON2XX[$i]}"; done
    for ph in without with; do printf '%-8s %10s %9s %9s %8s  (median)\n' "$ph" "$(col $ph R_RPS | median)" "$(col $ph R_P50 | median)" "$(col $ph R_P99 | median)" "$(col $ph R_NON2XX | median)"; done
    echo
    echo "W1 median rps with the burst / without: $RATIO  target >= 0.95: $VERDICT"
    echo "burst: $(jq -c 'del(.causes)' <<<"$INJ")"
    echo "data check: $CHECK"
    echo "$CHECK_LINES"
    echo "hub log: $HUB_ERRORS ERROR lines; dead_letters rows $N_DEAD ($HUB_LOG)"
    echo "Slack messages: $SLACK_FILE; first three:"
    jq -r '.text | split("\n")[0]' "$SLACK_FILE" | head -3 | cut -c1-200 | sed 's/^/  /'
} | tee "$REPORT"
log "report written to $REPORT"
[ "$CHECK" = PASS ]
