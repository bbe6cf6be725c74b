#!/usr/bin/env bash
# Training run for a start-up cache (issue 19 experiment; bin/hub keeps its own class-data archive without one): starts target/booking-hub.jar from the repository
# root as the README does, on a fresh PostgreSQL database, with the JVM told to write its cache at exit, runs
# W1's load for TRAIN seconds (plus an onboarding and a few API reads), and stops it with TERM.
#   KIND=aot  (Java 24+): -XX:AOTCacheOutput=target/booking-hub.aot   (classes loaded and linked, method profiles)
#   KIND=cds  (Java 17):  -XX:ArchiveClassesAtExit=target/booking-hub.jsa   (classes loaded, dynamic archive)
#   JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java KIND=aot bash bench/cache-train.sh
# The cache names the jar's path: the hub must then be started from the repository root with -jar
# target/booking-hub.jar and -XX:AOTCache=target/booking-hub.aot (or -XX:SharedArchiveFile=target/booking-hub.jsa).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/bench/lib.sh"
PEER="$REPO/../shared/peers/seed-stack"
KIND=${KIND:-aot}
JAVA=${JAVA:-java}
TRAIN=${TRAIN:-20}
PGH=(-h 127.0.0.1 -p 5432 -U postgres)
cd "$REPO"
case "$KIND" in
    aot) FLAG="-XX:AOTCacheOutput=target/booking-hub.aot"; FILE=target/booking-hub.aot ;;
    cds) FLAG="-XX:ArchiveClassesAtExit=target/booking-hub.jsa"; FILE=target/booking-hub.jsa ;;
    *) echo "KIND is aot or cds" >&2; exit 2 ;;
esac
PORT=$(free_port 18980); MGMT=$(free_port 19980 "$PORT")
SECRET=train-$RANDOM$RANDOM; ADMIN=adm-train-$RANDOM$RANDOM$RANDOM
psql_q -d postgres -c "drop database if exists hub_cache_train with (force)" -c "create database hub_cache_train" >/dev/null
rm -f "$FILE"
# shellcheck disable=SC2086
HOST=127.0.0.1 PORT=$PORT HUB_MANAGEMENT_PORT=$MGMT DATABASE_URL=postgres://postgres@127.0.0.1:5432/hub_cache_train \
    HUB_ADMIN_TOKEN=$ADMIN VAPI_WEBHOOK_SECRET=$SECRET "$JAVA" $FLAG -XX:+UseParallelGC -jar target/booking-hub.jar >"$FILE.train.log" 2>&1 &
PID=$!
wait_http_200 "http://127.0.0.1:$PORT/health" 120 "$PID" || { tail -20 "$FILE.train.log" >&2; exit 1; }
curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/api/clients/onboard" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d '{"businessName":"Acme","email":"ops@acme.example","phone":"+441134961000"}'
(cd "$PEER" && W1_PATH=/webhooks/vapi VAPI_SECRET=$SECRET W1_NONCE=$(printf '%08x' $RANDOM$RANDOM) wrk -t2 -c64 -d"${TRAIN}s" -s w1.lua "http://127.0.0.1:$PORT" | grep W1RESULT)
curl -s -o /dev/null "http://127.0.0.1:$PORT/api/admin/clients" -H "Authorization: Bearer $ADMIN"
kill -TERM "$PID"
for i in $(seq 1 120); do kill -0 "$PID" 2>/dev/null || break; sleep 0.5; done
ls -la "$FILE"
