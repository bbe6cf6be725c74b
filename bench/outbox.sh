#!/usr/bin/env bash
# Outbox drain benchmark: N queued SMS in the hub's outbox (the messages table, PostgreSQL) drained by
# the outbox-sender route through camel-twilio to the local Twilio stub (uk.bookinghub.support.TwilioStub
# from src/test), loopback only. Two phases, each on a freshly started hub:
#   uncapped  HUB_SMS_PER_SECOND=0: N rows (10,000); target >= 1,000 messages/s sent and recorded
#   capped    HUB_SMS_PER_SECOND=CAP (50): M rows (1,000); target: measured rate within 5 % of CAP
#
#   bash bench/outbox.sh                                  # N=10000 M=1000 CAP=50 RUNS=3
#   N=2000 M=200 CAP=50 RUNS=1 WARMUP_N=2000 bash bench/outbox.sh   # quick smoke run (about 35 s)
#
# Knobs (environment): N (10000), M (1000), CAP (50; sms per second per sender in the capped phase),
# RUNS (3; per phase, medians over them; each run truncates messages, resets the stub and inserts
# fresh rows), WARMUP_N (30000: one unmeasured uncapped drain of that many rows on the fresh hub before
# the measured runs, so they run on a JIT-warmed JVM: on 2 cores the rate climbs for about 40,000
# sends, the hub's CPU per message falling fivefold; and one of CAP rows before the capped runs, as
# the fresh JVM's first sends are slow; 0 skips both), TIMEOUT (120: seconds a run may take
# past its rows' next_attempt_at, plus M/CAP in the capped phase), POLL_MS (150: the messages table is
# counted that often), LEAD_MS (2000: rows are inserted with next_attempt_at = now() + LEAD_MS, so the
# drain starts at a known instant), SAMPLE (20: rows whose provider_id is fetched back from the stub
# and compared), STUB_LATENCY_MS (0: latency the stub adds to every request; the stub's reset clears
# it, so with a latency the stub is restarted between runs instead), BUILD=1 (rebuild the jar),
# HUB_PORT / HUB_MGMT_PORT (first port tried; the next free one is used), the hub's JVM options are the
# README's (bench/readme-start.sh; HUB_JAVA_OPTS is refused), STUB_JAVA_OPTS (default -Xmx256m -XX:+UseParallelGC).
# Output: a summary on stdout and in bench/out/outbox-<timestamp>.txt; the hub logs (one per phase),
# the stub log and the per-run poll samples beside it (bench/out/ is git-ignored).
# Exit status 0 only if every run finished within its time and its data check passed (the rate targets
# are reported, they do not decide the exit status); 2 for bad knobs.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/bench/lib.sh"   # now_ms, psql_q, sleep_ms, rss_kb, stop_pid, free_port, wait_http_200
N=${N:-10000}
M=${M:-1000}
CAP=${CAP:-50}
RUNS=${RUNS:-3}
WARMUP_N=${WARMUP_N:-30000}
TIMEOUT=${TIMEOUT:-120}
POLL_MS=${POLL_MS:-150}
LEAD_MS=${LEAD_MS:-2000}
SAMPLE=${SAMPLE:-20}
STUB_LATENCY_MS=${STUB_LATENCY_MS:-0}
BUILD=${BUILD:-0}
# the hub starts as the README says (its JVM options, profile prod, reload off): bench/readme-start.sh
. "$REPO/bench/readme-start.sh"
STUB_JAVA_OPTS=${STUB_JAVA_OPTS:--Xmx256m -XX:+UseParallelGC}
HUB_DB=hub_outbox_bench
PGH=(-h 127.0.0.1 -p 5432 -U postgres)
TS=$(date +%Y%m%d-%H%M%S)
OUT="$REPO/bench/out"
REPORT="$OUT/outbox-$TS.txt"
STUB_LOG="$OUT/outbox-$TS-stub.log"
ADMIN_TOKEN="adm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
TW_SID="AC$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
TW_TOKEN="tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
TW_DEFAULT_FROM="+447700900998"       # the hub's default sender; the bench client's own number wins
CLIENT_FROM_RAW="07700 900999"        # Ofcom drama range: never a real number
# targets of the issue
T_RATE=1000 T_DEV_PCT=5

for v in N M CAP RUNS WARMUP_N TIMEOUT POLL_MS LEAD_MS SAMPLE STUB_LATENCY_MS; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "$v must be a non-negative integer" >&2; exit 2; }
done
(( N >= 2 && M >= 2 && CAP >= 1 && RUNS >= 1 && TIMEOUT >= 1 && POLL_MS >= 20 && LEAD_MS >= 500 )) \
    || { echo "N, M must be >= 2; CAP, RUNS, TIMEOUT >= 1; POLL_MS >= 20; LEAD_MS >= 500" >&2; exit 2; }
(( N <= 999999 && M <= 999999 && WARMUP_N <= 999999 )) || { echo "N, M, WARMUP_N must be <= 999999 (one distinct +447700xxxxxx number per row)" >&2; exit 2; }
(( WARMUP_N == 0 || WARMUP_N >= 2 )) || { echo "WARMUP_N must be 0 or >= 2" >&2; exit 2; }
mkdir -p "$OUT"
cd "$REPO"

log() { printf '[outbox %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
iso_ms() { # ISO-8601 timestamp (Java Instant) -> epoch ms, or empty
    [ -n "${1:-}" ] && [ "$1" != null ] || return 0
    date -d "$1" +%s%3N 2>/dev/null || true
}

# --- cleanup: stop only what this script started, by PID --------------------------------------
HUB_PID="" STUB_PID="" WORK_DIR=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$HUB_PID" 20
    stop_pid "$STUB_PID" 5
    wait 2>/dev/null || true
    rm -f "$OUT/.outbox-$TS-"*
    [ -z "$WORK_DIR" ] || rm -rf "$WORK_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cpu_ticks() { # utime+stime of a process, in clock ticks (0 if gone)
    awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}
host_ticks() { # "busy total" over all CPUs from /proc/stat
    awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t; exit}' /proc/stat
}
median() { tr ' ' '\n' | awk '/^-?[0-9.]+$/' | sort -g | awk '{a[NR]=$1} END {if (NR==0) print "NA"; else if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
num() { [[ "${1:-}" =~ ^-?[0-9]+([.][0-9]+)?$ ]]; }

# --- 1. prerequisites ----------------------------------------------------------------------------
for c in curl psql jq java awk; do command -v "$c" >/dev/null || die "$c is needed"; done
psql_q -d postgres -c 'select 1' >/dev/null || die "PostgreSQL not reachable on 127.0.0.1:5432 as postgres"
if [ "$BUILD" = 1 ] || [ ! -f target/booking-hub.jar ] || [ ! -d target/lib ]; then
    log "building the hub (mvn -B -q -o package -DskipTests)"
    mvn -B -q -o package -DskipTests >"$OUT/outbox-$TS-build.log" 2>&1 || { tail -30 "$OUT/outbox-$TS-build.log" >&2; die "hub build failed"; }
fi
[ -f target/booking-hub.jar ] || die "target/booking-hub.jar missing after build"
STUB_SRC=src/test/java/uk/bookinghub/support/TwilioStub.java
STUB_CLASS=target/test-classes/uk/bookinghub/support/TwilioStub.class
if [ ! -f "$STUB_CLASS" ]; then
    log "compiling the test classes for the Twilio stub (mvn -B -q -o test-compile)"
    mvn -B -q -o test-compile >"$OUT/outbox-$TS-test-compile.log" 2>&1 || { tail -30 "$OUT/outbox-$TS-test-compile.log" >&2; die "test-compile failed"; }
fi
[ -f "$STUB_CLASS" ] || die "$STUB_CLASS missing after test-compile"
NOTES=()
JAR_NOTE=""
if [ -n "$(find src/main pom.xml routes application*.properties -newer target/booking-hub.jar -type f -print -quit 2>/dev/null)" ]; then
    JAR_NOTE="note: target/booking-hub.jar is older than src/main, pom.xml, routes/ or application*.properties (BUILD=1 rebuilds it)"
    NOTES+=("$JAR_NOTE")
fi
if [ -f "$STUB_SRC" ] && [ "$STUB_SRC" -nt "$STUB_CLASS" ]; then
    NOTES+=("note: $STUB_CLASS is older than its source (mvn -B -q -o test-compile refreshes it)")
fi
for n in ${NOTES[@]+"${NOTES[@]}"}; do log "$n"; done
# Private copies of the jar + lib/, of routes/ and application*.properties, and of the stub's classes
# (the stub is JDK-only): a build started meanwhile (mvn package/test by someone else) rewrites target/
# under a running JVM, and a route edited meanwhile would reach the second phase's hub only.
# The jar copy is named outbox-bench-hub.jar, so that a kill by name of booking-hub.jar spares it.
WORK_DIR=$(mktemp -d /tmp/outbox-bench.XXXXXX)
cp -p target/booking-hub.jar "$WORK_DIR/outbox-bench-hub.jar" && cp -rp target/lib "$WORK_DIR/lib" || die "cannot copy the hub jar"
mkdir -p "$WORK_DIR/conf" && cp -rp routes "$WORK_DIR/conf/routes" && cp -p application*.properties "$WORK_DIR/conf/" \
    || die "cannot copy routes/ and application*.properties"
mkdir -p "$WORK_DIR/stub/uk/bookinghub/support"
cp -p target/test-classes/uk/bookinghub/support/TwilioStub*.class target/test-classes/uk/bookinghub/support/StubServer*.class "$WORK_DIR/stub/uk/bookinghub/support/" || die "cannot copy the stub classes"

HUB_PORT=$(free_port "${HUB_PORT:-8080}")
HUB_MGMT_PORT=$(free_port "${HUB_MGMT_PORT:-19876}" "$HUB_PORT")
BASE="http://127.0.0.1:$HUB_PORT"
MEM_MB=$(awk '/^MemTotal:/ {printf "%.0f", $2 / 1024}' /proc/meminfo)
CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
CLK_TCK=$(getconf CLK_TCK)

# --- 2. the Twilio stub --------------------------------------------------------------------------
STUB_PORT=0 STUB_URL=""
start_stub() {
    local deadline line
    log "starting the Twilio stub (127.0.0.1, port ${STUB_PORT/#0/free}, latency ${STUB_LATENCY_MS} ms)"
    # shellcheck disable=SC2086
    java $STUB_JAVA_OPTS -cp "$WORK_DIR/stub" uk.bookinghub.support.TwilioStub --port "$STUB_PORT" \
        --sid "$TW_SID" --token "$TW_TOKEN" --latency-ms "$STUB_LATENCY_MS" >>"$STUB_LOG" 2>&1 &
    STUB_PID=$!
    deadline=$(( $(now_ms) + 30000 ))
    while :; do
        line=$(grep -o 'TWILIO_STUB_URL=http://[^ ]*:[0-9]*' "$STUB_LOG" | tail -1 || true)
        [ -n "$line" ] && [ "${line##*:}" != 0 ] && { [ "$STUB_PORT" = 0 ] || [ "${line##*:}" = "$STUB_PORT" ]; } && break
        kill -0 "$STUB_PID" 2>/dev/null || { tail -20 "$STUB_LOG" >&2; die "the Twilio stub exited"; }
        (( $(now_ms) < deadline )) || die "the Twilio stub printed no TWILIO_STUB_URL in 30 s (log: $STUB_LOG)"
        sleep 0.1
    done
    STUB_PORT=${line##*:}
    # it binds 127.0.0.1 but names itself localhost: give the hub the address, not a name that may be ::1
    STUB_URL="http://127.0.0.1:$STUB_PORT"
    wait_http_200 "$STUB_URL/stub/stats" 10 "$STUB_PID" || die "the Twilio stub does not answer GET /stub/stats"
}
restart_stub() {
    stop_pid "$STUB_PID" 5; wait "$STUB_PID" 2>/dev/null || true; STUB_PID=""
    start_stub
}
stub_stats() { curl -s -m 10 "$STUB_URL/stub/stats"; }
start_stub

# --- 3. database and hub ---------------------------------------------------------------------------
log "recreating database $HUB_DB"
psql_q -d postgres -c "drop database if exists $HUB_DB with (force)" -c "create database $HUB_DB" >/dev/null

HUB_LOG="" HUB_START_MS=""
start_hub() { # phase, sms per second
    local phase=$1 cap=$2 t0
    HUB_LOG="$OUT/outbox-$TS-hub-$phase.log"
    log "$phase: starting the hub (copies of target/booking-hub.jar, routes/, application*.properties) on :$HUB_PORT (management :$HUB_MGMT_PORT), HUB_SMS_PER_SECOND=$cap, $README_START"
    t0=$(now_ms)
    # shellcheck disable=SC2086
    HOST=127.0.0.1 PORT=$HUB_PORT HUB_MANAGEMENT_PORT=$HUB_MGMT_PORT HUB_ALLOW_TEST_NUMBERS=true \
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/$HUB_DB" HUB_ADMIN_TOKEN=$ADMIN_TOKEN \
        TWILIO_ACCOUNT_SID=$TW_SID TWILIO_AUTH_TOKEN=$TW_TOKEN TWILIO_FROM_NUMBER=$TW_DEFAULT_FROM \
        TWILIO_MESSAGING_SERVICE_SID= TWILIO_BASE_URL=$STUB_URL PUBLIC_BASE_URL=$BASE \
        HUB_SMS_PER_SECOND=$cap HUB_CONFIG="$WORK_DIR/conf/application.properties" HUB_ROUTES_DIR="$WORK_DIR/conf/routes" \
        HUB_JAR="$WORK_DIR/outbox-bench-hub.jar" HUB_JVM_OPTS="${HUB_EXTRA_OPTS:-}" "$HUB_LAUNCH" >"$HUB_LOG" 2>&1 &
    HUB_PID=$!
    if ! wait_http_200 "$BASE/health" 120 "$HUB_PID"; then
        { grep -E ' (ERROR|FATAL) ' "$HUB_LOG" | tail -5 | grep . || tail -30 "$HUB_LOG"; } | cut -c1-400 >&2
        die "hub did not answer /health 200 (log: $HUB_LOG)${JAR_NOTE:+; $JAR_NOTE}"
    fi
    HUB_START_MS=$(( $(now_ms) - t0 ))
    local sms
    sms=$(curl -s -m 5 "$BASE/health" | jq -r '.messaging.sms // "?"' 2>/dev/null || echo "?")
    log "$phase: hub healthy after ${HUB_START_MS} ms; /health messaging.sms: $sms"
    grep -q "Messaging: SMS through Twilio at $STUB_URL" "$HUB_LOG" \
        || log "warning: the hub log does not say 'Messaging: SMS through Twilio at $STUB_URL': $(grep -m1 'Messaging: SMS' "$HUB_LOG" || echo 'no Messaging line')"
}
stop_hub() {
    stop_pid "$HUB_PID" 20; wait "$HUB_PID" 2>/dev/null || true; HUB_PID=""
}

# --- 4. one drain --------------------------------------------------------------------------------
# Per run (arrays indexed alike): phase, label, rows, status, figures, check
declare -a R_PHASE R_LABEL R_ROWS R_STATUS R_DRAIN R_RATE R_DB_MS R_DB_RATE R_STUB_MS R_STUB_RATE R_MID R_LAG R_INS_MS R_HUB_CPU R_HOST R_ATT R_CHECK
CHECK=PASS
CLIENT_ID="" CLIENT_FROM=""
drain_run() { # phase, label, rows, seconds allowed beyond TIMEOUT
    local phase=$1 label=$2 n=$3 extra_s=$4
    local samples="$OUT/outbox-$TS-$phase-$label-samples.txt"
    local t_ins0 t_ins1 t_due n_rows deadline next now q sent pending total t_done="" status="" t_first=""
    local hub0 hub1 host0 host0t host1 host1t stats

    log "$phase/$label: truncating messages, resetting the stub, inserting $n queued SMS (next_attempt_at = now() + ${LEAD_MS} ms)"
    psql_q -d "$HUB_DB" -c "truncate messages restart identity" >/dev/null
    if (( STUB_LATENCY_MS > 0 )); then
        restart_stub                       # POST /stub/reset would also clear the latency
    else
        [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "$STUB_URL/stub/reset")" = 200 ] || die "POST /stub/reset failed"
    fi
    [ "$(stub_stats | jq -r '.sent + .refused')" = 0 ] || die "the stub still counts requests after its reset"

    read -r hub0 < <(cpu_ticks "$HUB_PID"); read -r host0 host0t < <(host_ticks)
    t_ins0=$(now_ms)
    psql_q -d "$HUB_DB" -c "
        insert into messages (client_id, channel, kind, marketing, idempotency_key, to_address, body, status,
                              status_rank, attempts, next_attempt_at, created_at, updated_at)
        select $CLIENT_ID, 'sms', 'reminder_24h', false, 'bench-outbox-$TS-$phase-$label-' || i,
               '+447700' || lpad(i::text, 6, '0'),
               'Bench Plumbing: a reminder of your appointment tomorrow at 10:00 (ref ' || i || '). Reply STOP to opt out.',
               'queued', 0, 0, now() + interval '$LEAD_MS milliseconds', now(), now()
        from generate_series(1, $n) as i" >/dev/null
    t_ins1=$(now_ms)
    read -r t_due n_rows < <(psql_q -F ' ' -d "$HUB_DB" -c "select (extract(epoch from min(next_attempt_at)) * 1000)::bigint, count(*) from messages")
    [ "$n_rows" = "$n" ] || die "inserted $n rows but messages holds $n_rows"
    (( t_ins1 < t_due )) || log "warning: the insert committed $((t_ins1 - t_due)) ms after its rows became due (raise LEAD_MS)"

    # count every POLL_MS until all rows are sent, none is left to send, the hub dies or time is up
    deadline=$(( t_due + (TIMEOUT + extra_s) * 1000 ))
    echo "# ms_since_due sent queued_or_sending total" >"$samples"
    next=$(now_ms)
    while :; do
        q=$(psql_q -F ' ' -d "$HUB_DB" -c "select count(*) filter (where status = 'sent'),
                count(*) filter (where status in ('queued', 'sending')), count(*) from messages" 2>/dev/null || echo "NA NA NA")
        now=$(now_ms)
        read -r sent pending total <<<"$q"
        echo "$((now - t_due)) $sent $pending $total" >>"$samples"
        if [[ "$sent" =~ ^[0-9]+$ ]]; then
            [ -z "$t_first" ] && (( sent > 0 )) && t_first=$now
            if (( sent == n )); then t_done=$now; status=done; break; fi
            if (( pending == 0 )); then status=incomplete; break; fi
        fi
        if ! kill -0 "$HUB_PID" 2>/dev/null; then status=hub-died; break; fi
        if (( now > deadline )); then status=timeout; break; fi
        next=$((next + POLL_MS)); now=$(now_ms)
        (( next < now )) && next=$now
        sleep_ms $((next - now))
    done
    read -r hub1 < <(cpu_ticks "$HUB_PID"); read -r host1 host1t < <(host_ticks)
    if [ "$status" != done ]; then
        log "$phase/$label: $status: last count sent=$sent queued_or_sending=$pending total=$total (hub log: $HUB_LOG)"
        { grep -E '\b(WARN|ERROR)\b' "$HUB_LOG" | tail -5 | cut -c1-300 | sed 's/^/    /'; } >&2 || true
    fi
    # give late sends (a duplicate would be one) a moment to reach the stub before its stats are read
    sleep 0.5
    stats=$(stub_stats)

    # figures: poll-observed drain (next_attempt_at -> the count that said all sent), the rows' own
    # sent_at, the stub's first/last accepted request
    local st_sent st_ref st_first st_last db_first db_last stub_ms="NA" stub_rate="NA" drain="NA" rate="NA" db_ms="NA" db_rate="NA" lag="NA"
    read -r st_sent st_ref < <(jq -r '"\(.sent) \(.refused)"' <<<"$stats")
    st_first=$(iso_ms "$(jq -r '.firstSentAt // empty' <<<"$stats")")
    st_last=$(iso_ms "$(jq -r '.lastSentAt // empty' <<<"$stats")")
    read -r db_first db_last < <(psql_q -F ' ' -d "$HUB_DB" -c "select coalesce((extract(epoch from min(sent_at)) * 1000)::bigint, 0),
            coalesce((extract(epoch from max(sent_at)) * 1000)::bigint, 0) from messages where status = 'sent'")
    if [ -n "$t_done" ]; then
        drain=$((t_done - t_due))
        rate=$(awk -v n="$n" -v ms="$drain" 'BEGIN {printf "%.1f", n / (ms / 1000)}')
    fi
    if (( db_last > 0 )); then
        db_ms=$((db_last - t_due))
        db_rate=$(awk -v n="$n" -v ms="$db_ms" 'BEGIN {if (ms > 0) printf "%.1f", n / (ms / 1000); else print "NA"}')
    fi
    # steady part by the rows' own sent_at: from the row at 5 % to the row at 95 % (in sent_at order)
    local lo=$(( n / 20 + 1 )) hi=$(( (19 * n + 19) / 20 )) mid_ms mid="NA"
    if (( hi > lo )); then
        mid_ms=$(psql_q -d "$HUB_DB" -c "with s as (select sent_at, row_number() over (order by sent_at, id) as rn from messages where status = 'sent')
            select coalesce((extract(epoch from max(sent_at) filter (where rn = $hi) - max(sent_at) filter (where rn = $lo)) * 1000)::text, '') from s")
        mid=$(awk -v k="$((hi - lo))" -v ms="$mid_ms" 'BEGIN {if (ms + 0 > 0) printf "%.2f", k / (ms / 1000); else print "NA"}')
    fi
    if [[ "$st_first" =~ ^[0-9]+$ && "$st_last" =~ ^[0-9]+$ ]]; then
        stub_ms=$((st_last - st_first)); lag=$((st_first - t_due))
        stub_rate=$(awk -v n="$st_sent" -v ms="$stub_ms" 'BEGIN {if (ms > 0) printf "%.2f", (n - 1) / (ms / 1000); else print "NA"}')
    fi
    local hub_cpu host_busy
    hub_cpu=$(awk -v d="$((hub1 - hub0))" -v hz="$CLK_TCK" 'BEGIN {printf "%.1f", d / hz}')
    host_busy=$(awk -v b="$((host1 - host0))" -v t="$((host1t - host0t))" 'BEGIN {if (t > 0) printf "%.0f", 100 * b / t; else print "NA"}')

    # data check: every row sent once, with a distinct Twilio sid; the stub saw exactly n messages
    local c_rows c_sent c_pids c_badpid c_to c_att c_from from_one statuses chk="" sample_ok=0 sample_n=0 s_pid s_to s_body body
    read -r c_rows c_sent c_pids c_badpid c_to c_att c_from from_one < <(psql_q -F ' ' -d "$HUB_DB" -c "
        select count(*), count(*) filter (where status = 'sent'), count(distinct provider_id),
               count(*) filter (where status = 'sent' and (provider_id is null or provider_id !~ '^SM[0-9a-f]{32}\$')),
               count(distinct to_address), count(*) filter (where attempts <> 1),
               count(distinct from_address), coalesce(min(from_address), '-')
        from messages")
    statuses=$(psql_q -F= -d "$HUB_DB" -c "select status, count(*) from messages group by status order by status" | tr '\n' ' ')
    # a sample of rows: the stub's message behind provider_id has the row's To and body
    while IFS=$'\t' read -r s_pid s_to s_body; do
        [ -n "$s_pid" ] || continue
        sample_n=$((sample_n + 1))
        body=$(curl -s -m 5 -u "$TW_SID:$TW_TOKEN" "$STUB_URL/2010-04-01/Accounts/$TW_SID/Messages/$s_pid.json" || true)
        [ "$(jq -r '"\(.to)\t\(.body)"' <<<"$body" 2>/dev/null)" = "$s_to"$'\t'"$s_body" ] && sample_ok=$((sample_ok + 1))
    done < <(psql_q -F $'\t' -d "$HUB_DB" -c "select provider_id, to_address, body from messages
                where status = 'sent' and provider_id is not null order by random() limit $SAMPLE")
    local bad=()
    [ "$status" = done ] || bad+=("run $status")
    (( c_rows == n && c_sent == n )) || bad+=("rows $c_rows, sent $c_sent (want $n): $statuses")
    (( c_pids == n && c_badpid == 0 )) || bad+=("distinct provider_id $c_pids (want $n), sent rows without an SM sid $c_badpid")
    (( c_to == n )) || bad+=("distinct to_address $c_to (want $n)")
    [ "$st_sent" = "$n" ] || bad+=("stub sent $st_sent (want $n)")
    [ "$st_ref" = 0 ] || bad+=("stub refused $st_ref")
    (( sample_ok == sample_n && sample_n == (SAMPLE < n ? SAMPLE : n) )) || bad+=("stub lookup of provider_id: $sample_ok/$sample_n match")
    (( c_from == 1 )) && [ "$from_one" = "$CLIENT_FROM" ] || bad+=("from_address: $c_from distinct, e.g. $from_one (want $CLIENT_FROM)")
    if (( ${#bad[@]} == 0 )); then
        chk="ok $n rows sent, $c_pids distinct SM sids, stub sent $st_sent refused $st_ref (so each message reached the stub once), $sample_ok/$sample_n sids looked up at the stub match To+body, from $from_one"
    else
        chk="FAIL $(IFS=';'; echo "${bad[*]}")"
        CHECK=FAIL
    fi
    (( c_att == 0 )) || chk="$chk; note: $c_att rows took more than one attempt (transient send failures, retried)"

    R_PHASE+=("$phase") R_LABEL+=("$label") R_ROWS+=("$n") R_STATUS+=("$status") R_DRAIN+=("$drain") R_RATE+=("$rate")
    R_DB_MS+=("$db_ms") R_DB_RATE+=("$db_rate") R_STUB_MS+=("$stub_ms") R_STUB_RATE+=("$stub_rate") R_MID+=("$mid") R_LAG+=("$lag")
    R_INS_MS+=("$((t_ins1 - t_ins0))") R_HUB_CPU+=("$hub_cpu") R_HOST+=("$host_busy") R_ATT+=("$c_att") R_CHECK+=("$chk")
    log "$phase/$label: $status: drain ${drain} ms ($rate msg/s), last sent_at ${db_ms} ms, stub first->last ${stub_ms} ms ($stub_rate msg/s), rows 5-95 % $mid msg/s; ${chk:0:160}"
    [ "$status" = done ]
}

# --- 5. phase uncapped ---------------------------------------------------------------------------
ABORTED=""
start_hub uncapped 0
START_UNCAPPED=$HUB_START_MS
log "onboarding client 'Bench Plumbing' (smsFromNumber $CLIENT_FROM_RAW)"
resp=$(curl -s -m 10 -w '\n%{http_code}' -X POST "$BASE/api/clients/onboard" \
    -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"businessName\":\"Bench Plumbing\",\"email\":\"bench@example.com\",\"phone\":\"0113 496 1000\",\"smsFromNumber\":\"$CLIENT_FROM_RAW\"}") \
    || die "onboarding request failed"
code=${resp##*$'\n'} body=${resp%$'\n'*}
[ "$code" = 201 ] || die "onboarding answered $code (201 expected): $body"
CLIENT_KEY=$(jq -r '.clientKey // empty' <<<"$body")
[ -n "$CLIENT_KEY" ] || die "no clientKey in the onboarding reply: $body"
read -r CLIENT_ID CLIENT_FROM < <(psql_q -F ' ' -d "$HUB_DB" -c "select id, coalesce(sms_from_number, '-') from clients where client_key = '$CLIENT_KEY'")
[[ "${CLIENT_ID:-}" =~ ^[0-9]+$ ]] || die "no clients row with client_key '$CLIENT_KEY'"
[[ "$CLIENT_FROM" == +44* ]] || die "client $CLIENT_KEY has sms_from_number '$CLIENT_FROM' (E.164 expected)"
log "client $CLIENT_KEY (id $CLIENT_ID) sends from $CLIENT_FROM"

if (( WARMUP_N > 0 )); then
    drain_run uncapped warm "$WARMUP_N" 0 || true
fi
for ((r = 1; r <= RUNS; r++)); do
    drain_run uncapped "$r" "$N" 0 || { ABORTED="uncapped run $r: ${R_STATUS[-1]}"; break; }
done
stop_hub
LOG_UNCAPPED="$HUB_LOG"

# --- 6. phase capped -----------------------------------------------------------------------------
start_hub capped "$CAP"
START_CAPPED=$HUB_START_MS
CAPPED_EXTRA=$(( (M + CAP - 1) / CAP ))
if (( WARMUP_N > 0 )); then # a second's worth at the cap: the fresh JVM's first sends are slow
    drain_run capped warm "$(( CAP < 2 ? 2 : CAP ))" 2 || true
fi
for ((r = 1; r <= RUNS; r++)); do
    drain_run capped "$r" "$M" "$CAPPED_EXTRA" || { ABORTED="${ABORTED:+$ABORTED; }capped run $r: ${R_STATUS[-1]}"; break; }
done
stop_hub
LOG_CAPPED="$HUB_LOG"

# --- 7. summary ------------------------------------------------------------------------------------
col() { # phase, array name -> values of that phase's measured runs (not the warm-up)
    local ph=$1 i; local -n arr=$2
    for i in "${!R_PHASE[@]}"; do [ "${R_PHASE[$i]}" = "$ph" ] && [ "${R_LABEL[$i]}" != warm ] && printf '%s ' "${arr[$i]}"; done
    return 0
}
dev_pct() { awk -v r="$1" -v c="$CAP" 'BEGIN {printf "%+.2f", 100 * (r - c) / c}'; }
U_RATE=$(col uncapped R_RATE | median) U_DB=$(col uncapped R_DB_RATE | median) U_STUB=$(col uncapped R_STUB_RATE | median)
U_DRAIN=$(col uncapped R_DRAIN | median)
C_STUB=$(col capped R_STUB_RATE | median) C_RATE=$(col capped R_RATE | median)
if num "$U_RATE"; then
    T1=$(awk -v v="$U_RATE" -v t="$T_RATE" 'BEGIN {print (v >= t) ? "PASS" : "FAIL"}')
else T1="FAIL (not measured)"; fi
if num "$C_STUB"; then
    C_DEV=$(dev_pct "$C_STUB")
    T2=$(awk -v d="$C_DEV" -v t="$T_DEV_PCT" 'BEGIN {d = d < 0 ? -d : d; print (d <= t) ? "PASS" : "FAIL"}')
else C_DEV="NA"; T2="FAIL (not measured)"; fi
LOG_COUNTS() { printf '%s WARN, %s ERROR lines' "$(grep -c -E '\bWARN\b' "$1" || true)" "$(grep -c -E '\bERROR\b' "$1" || true)"; }
N_DEAD=$(psql_q -d "$HUB_DB" -c "select count(*) from dead_letters" 2>/dev/null || echo NA)
N_ERRLOG=$(psql_q -d "$HUB_DB" -c "select count(*) from error_log" 2>/dev/null || echo NA)
{
    echo "Outbox drain benchmark $TS  outbox-sender -> camel-twilio -> Twilio stub, PostgreSQL, loopback"
    echo "date: $(date -R)"
    echo "machine: $(nproc) cores ($CPU_MODEL), ${MEM_MB} MB memory, load $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end; java $("$HUB_JAVA_BIN" -version 2>&1 | awk -F'"' 'NR==1 {print $2}'), $(psql_q -d postgres -c 'show server_version' | cut -d' ' -f1) PostgreSQL"
    echo "settings: N=$N M=$M CAP=$CAP RUNS=$RUNS WARMUP_N=$WARMUP_N TIMEOUT=${TIMEOUT}s POLL_MS=$POLL_MS LEAD_MS=$LEAD_MS SAMPLE=$SAMPLE STUB_LATENCY_MS=$STUB_LATENCY_MS"
    echo "hub: README start: $README_START; hub.messaging.* from application.properties: $(grep -E '^hub\.messaging\.(poll-ms|batch-size|send-threads) *=' application.properties | sed 's/ *= */=/' | tr '\n' ' ')"
    echo "      one client (id $CLIENT_ID, $CLIENT_KEY) sending from $CLIENT_FROM = one sender for the cap; hub start to /health 200: ${START_UNCAPPED} ms (uncapped), ${START_CAPPED} ms (capped)"
    echo "stub: $STUB_URL (STUB_JAVA_OPTS=$STUB_JAVA_OPTS)"
    for n in ${NOTES[@]+"${NOTES[@]}"}; do echo "$n"; done
    echo
    printf '%-9s %-5s %6s %-10s %8s %9s %8s %9s %8s %9s %10s %7s %7s %8s %6s %5s\n' \
        phase run rows status drain_ms msg_per_s sent_ms sent_rate stub_ms stub_rate mid90_rate lag_ms ins_ms hub_cpu_s host% retry
    for i in "${!R_PHASE[@]}"; do
        printf '%-9s %-5s %6s %-10s %8s %9s %8s %9s %8s %9s %10s %7s %7s %8s %6s %5s\n' "${R_PHASE[$i]}" "${R_LABEL[$i]}" "${R_ROWS[$i]}" \
            "${R_STATUS[$i]}" "${R_DRAIN[$i]}" "${R_RATE[$i]}" "${R_DB_MS[$i]}" "${R_DB_RATE[$i]}" "${R_STUB_MS[$i]}" "${R_STUB_RATE[$i]}" \
            "${R_MID[$i]}" "${R_LAG[$i]}" "${R_INS_MS[$i]}" "${R_HUB_CPU[$i]}" "${R_HOST[$i]}" "${R_ATT[$i]}"
    done
    for ph in uncapped capped; do
        printf '%-9s %-5s %6s %-10s %8s %9s %8s %9s %8s %9s %10s %7s\n' "$ph" median "" "" "$(col "$ph" R_DRAIN | median)" "$(col "$ph" R_RATE | median)" \
            "$(col "$ph" R_DB_MS | median)" "$(col "$ph" R_DB_RATE | median)" "$(col "$ph" R_STUB_MS | median)" "$(col "$ph" R_STUB_RATE | median)" \
            "$(col "$ph" R_MID | median)" "$(col "$ph" R_LAG | median)"
    done
    echo "  drain_ms: the rows' next_attempt_at to the first count (every ${POLL_MS} ms) that found all rows 'sent'; msg_per_s = rows / drain;"
    echo "  sent_ms / sent_rate: the same up to the last row's own sent_at; stub_ms / stub_rate: the stub's first to last accepted"
    echo "  request, (sent - 1) / that; mid90_rate: rows between the 5 % and the 95 % row in sent_at order / their sent_at span;"
    echo "  lag_ms: next_attempt_at to the stub's first request (the timer polls every hub.messaging.poll-ms);"
    echo "  ins_ms: the one INSERT ... generate_series; hub_cpu_s: the hub's CPU time from the insert to the end of the run;"
    echo "  host%: all CPUs busy in that window (the hub, PostgreSQL, the stub, psql polls and anything else); retry: rows with attempts > 1;"
    echo "  warm: unmeasured warm-up drains (uncapped WARMUP_N rows, capped CAP rows), kept out of the medians"
    echo
    echo "targets:"
    echo "  uncapped: median $U_RATE msg/s over $N rows (drain $U_DRAIN ms; by sent_at $U_DB, at the stub $U_STUB msg/s) vs >= $T_RATE msg/s: $T1"
    echo "  capped:   median $C_STUB msg/s at the stub over $M rows (first to last request) vs cap $CAP/s: deviation $C_DEV % vs within +-${T_DEV_PCT} %: $T2"
    echo "            (rows 5-95 % by sent_at: median $(col capped R_MID | median) msg/s; end to end incl. the poll lag: median $C_RATE msg/s)"
    echo "            per run: $(for i in "${!R_PHASE[@]}"; do [ "${R_PHASE[$i]}" = capped ] && [ "${R_LABEL[$i]}" != warm ] && num "${R_STUB_RATE[$i]}" && printf 'run %s %s %%  ' "${R_LABEL[$i]}" "$(dev_pct "${R_STUB_RATE[$i]}")"; done; true)"
    echo
    echo "data check: $CHECK${ABORTED:+ (stopped early: $ABORTED)}"
    for i in "${!R_PHASE[@]}"; do
        echo "  ${R_PHASE[$i]}/${R_LABEL[$i]}: ${R_CHECK[$i]}"
    done
    echo "hub logs: uncapped $(LOG_COUNTS "$LOG_UNCAPPED") ($LOG_UNCAPPED)"
    echo "          capped   $(LOG_COUNTS "$LOG_CAPPED") ($LOG_CAPPED)"
    echo "          dead_letters rows $N_DEAD, error_log rows $N_ERRLOG; stub log $STUB_LOG"
} | tee "$REPORT"
log "report written to $REPORT"
[ "$CHECK" = PASS ] && [ -z "$ABORTED" ]
