# Booking hub image. Untested here (no Docker engine on the build machines); kept plain on purpose.
# Build:  docker build -t booking-hub .
# Run:    docker run -p 8080:8080 -e DATABASE_URL=postgres://... -e HUB_ADMIN_TOKEN=... -e VAPI_WEBHOOK_SECRET=... booking-hub
# Ops can replace the routes or the configuration with a mount:
#         -v $PWD/routes:/app/routes -v $PWD/application.properties:/app/application.properties
# and edit mounted routes live with -e HUB_ROUTES_RELOAD=true.

FROM maven:3.9.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src ./src
RUN mvn -B -q package -DskipTests

# Runtime: Java 25 (the hub is built for 17 and runs on both; on 25 it reached 1.6-1.8x the webhook rate of 17 in
# its second minute, BENCHMARKS.md "Speed as operators run it"), started by bin/hub as the README starts it.
FROM eclipse-temurin:25-jre
RUN groupadd --system hub && useradd --system --gid hub --home-dir /app hub
WORKDIR /app
COPY --from=build /src/target/booking-hub.jar /app/booking-hub.jar
COPY --from=build /src/target/lib /app/lib
COPY application.properties application-prod.properties application-dev.properties /app/
COPY routes /app/routes
COPY assistants /app/assistants
COPY bin /app/bin
RUN mkdir -p /app/data && chown -R hub:hub /app/data
USER hub
# the hub's default profile is prod (HubApp); HUB_ROUTES_RELOAD=true turns live route reload on
ENV HUB_CONFIG=/app/application.properties \
    HUB_ROUTES_DIR=/app/routes \
    HUB_ASSISTANTS_DIR=/app/assistants \
    HUB_SQLITE_PATH=/app/data/hub.db \
    PORT=8080
# 8080: webhooks and APIs. The management port (9876: health, metrics, Jolokia) stays on the
# container's loopback by design; publish it only through a trusted sidecar or tunnel.
EXPOSE 8080
VOLUME ["/app/data"]
# The README's start command, bin/hub: the newest Java in the image (/opt/java/openjdk), ParallelGC, compact object
# headers, the class-data archive (kept on the data volume: written when the hub stops, used from the next start),
# plus a heap sized to the container. ParallelGC: bulk lead imports spend a third less CPU in GC than under G1 (BENCHMARKS.md).
ENV HUB_JAR=/app/booking-hub.jar \
    HUB_CDS_ARCHIVE=/app/data/booking-hub.jsa \
    HUB_JVM_OPTS=-XX:MaxRAMPercentage=75
ENTRYPOINT ["/app/bin/hub"]
