package uk.bookinghub.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.store.Database;
import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.VapiReports;
import uk.bookinghub.support.VapiStub;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code GET /api/error-stats}, {@code GET /api/error-stats/groups/{fingerprint}} and
 * {@code GET /api/admin/db-stats} on the real hub: the statistics are exact for a known set of rows
 * (written through the store that keeps the roll-up, at known times: totals, groups, first and last
 * seen, every 5-minute bucket); 50 causes are 50 groups; a group's page has its rows with their
 * context as JSON; bad windows are 400s that say why; only the admin token opens them. The Vapi
 * failures reach them through the real paths: a {@code POST /call} Vapi refuses, an end-of-call
 * report with an error reason, a webhook no client matches, a dialled call with no report
 * (critical). The V12 back-fill gives rows logged before it their groups.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ErrorStatsRouteTest {

    static final String VAPI_KEY = "vapi-private-test-key";
    static final String BASE = "https://hub.example.test";
    private static final AtomicInteger NEXT = new AtomicInteger(700);
    private static final String ADMIN = "Bearer " + RunningHub.ADMIN_TOKEN;

    // the known rows: 2025-03-10, 10:00 to 11:00 UTC
    static final String A = "Vapi refused POST /call: Vapi 400: assistantId must be a UUID";
    static final String C = "Vapi sent no end-of-call report for call %s (lead %d) within 300 s: marked unknown";

    private TestDatabase db;
    private RunningHub hub;
    private VapiStub vapi;
    private ErrorLogStore store;
    private String key;
    private String fpA;
    private String fpB;
    private String fpC;
    private String fpD;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() {
        db = TestDatabase.create(kind());
        vapi = VapiStub.start(VAPI_KEY);
        Map<String, String> o = new LinkedHashMap<>(RunningHub.diallingTo(vapi, VAPI_KEY, 3));
        o.put("hub.dialler.max-redeliveries", "0");
        o.put("hub.public-base-url", BASE + "/");
        hub = RunningHub.start(db.hubUrl(), o);
        key = hub.onboard("{\"businessName\":\"Error Stats Ltd\",\"email\":\"office@errors.example\",\"phone\":\"0113 496 0010\","
                + "\"vapiAssistantId\":\"asst-errors\",\"vapiPhoneNumberId\":\"pn-errors\"}");
        HttpResponse<String> s = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/clients/error-stats-ltd/settings")))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"calling\":{" + RunningHub.CALLING_ALWAYS_OPEN + "}}")).header("Content-Type", "application/json"), "X-API-Key", key);
        assertThat(s.statusCode()).as(s.body()).isEqualTo(200);
        store = new ErrorLogStore(hub.camel().getRegistry().lookupByNameAndType("hubDatabase", Database.class));
        knownRows();
    }

    @AfterAll
    void stop() {
        hub.close();
        vapi.close();
        db.close();
    }

    private static Instant t(String hhmmss) {
        return Instant.parse("2025-03-10T" + hhmmss + "Z");
    }

    /** One row through the store that keeps the roll-up, as ErrorLog.record writes it, at a known time. */
    private String log(String at, String severity, String service, String route, String message, Map<String, Object> context) {
        String fp = ErrorFingerprint.of(service, route, message);
        store.insert(severity, service, message, uk.bookinghub.http.Json.write(context), route, fp, t(at));
        return fp;
    }

    private void knownRows() {
        int lead = 100;
        for (String at : List.of("10:01:00", "10:02:30", "10:07:00", "10:31:00", "10:59:59.999")) {
            fpA = log(at, "error", "vapi", "dial", A, Map.of("leadId", ++lead, "clientKey", "acme", "attemptNo", 1));
        }
        assertThat(log("10:40:00", "critical", "vapi", "dial", A, Map.of("leadId", ++lead))).isEqualTo(fpA);
        // outside the window: just before, and at its (excluded) end
        log("09:59:59.999", "error", "vapi", "dial", A, Map.of("leadId", ++lead));
        log("11:00:00", "error", "vapi", "dial", A, Map.of("leadId", ++lead, "last", true));
        fpB = log("10:05:00", "error", "dialler", "dialler", "could not reserve dial attempt 1 of lead 11: uk.bookinghub.store.StoreException: disk full",
                Map.of("leadId", 11));
        assertThat(log("10:09:59.999", "error", "dialler", "dialler", "could not reserve dial attempt 2 of lead 12: uk.bookinghub.store.StoreException: disk full",
                Map.of("leadId", 12))).isEqualTo(fpB);
        assertThat(log("10:10:00", "error", "dialler", "dialler", "could not reserve dial attempt 3 of lead 131: uk.bookinghub.store.StoreException: disk full",
                Map.of("leadId", 131))).isEqualTo(fpB);
        fpC = log("10:20:00", "critical", "vapi", "dialler-reconcile", C.formatted(UUID.randomUUID(), 5), Map.of("leadId", 5));
        assertThat(log("10:21:00", "critical", "vapi", "dialler-reconcile", C.formatted(UUID.randomUUID(), 6), Map.of("leadId", 6))).isEqualTo(fpC);
        fpD = log("10:44:00", "warning", "messaging", "message-send", "SMS to +447700900111 skipped: no sender number", Map.of());
        // 50 causes x 4, 2025-04-01 00:00 to 01:00
        for (int k = 0; k < 50; k++) {
            for (int i = 0; i < 4; i++) {
                store.insert("error", "load", "Timeout after " + (1000 + i) + " ms calling lead " + (k * 10 + i), null, "route-" + k,
                        ErrorFingerprint.of("load", "route-" + k, "Timeout after " + (1000 + i) + " ms calling lead " + (k * 10 + i)),
                        Instant.parse("2025-04-01T00:00:00Z").plusSeconds(k * 60L + i));
            }
        }
    }

    private JsonNode admin(String path) {
        HttpResponse<String> r = hub.get(path, "Authorization", ADMIN);
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return Jsons.read(r.body());
    }

    private static JsonNode group(JsonNode stats, String fp) {
        for (JsonNode g : stats.get("groups")) {
            if (g.get("fingerprint").asText().equals(fp)) {
                return g;
            }
        }
        return null;
    }

    @Test
    void theNumbersAreExactForAKnownSetOfRows() {
        JsonNode s = admin("/api/error-stats?since=2025-03-10T10:00:00Z&until=2025-03-10T11:00:00Z");
        assertThat(s.get("since").asText()).isEqualTo("2025-03-10T10:00:00Z");
        assertThat(s.get("until").asText()).isEqualTo("2025-03-10T11:00:00Z");
        assertThat(s.get("bucketSeconds").asInt()).isEqualTo(300);
        JsonNode totals = s.get("totals");
        assertThat(totals.get("total").asLong()).isEqualTo(12);
        assertThat(totals.get("critical").asLong()).isEqualTo(3);
        assertThat(totals.get("error").asLong()).isEqualTo(8);
        assertThat(totals.get("warning").asLong()).isEqualTo(1);
        assertThat(s.get("groupCount").asInt()).isEqualTo(4);
        List<String> order = new ArrayList<>();
        s.get("groups").forEach(g -> order.add(g.get("fingerprint").asText()));
        assertThat(order).containsExactly(fpA, fpB, fpC, fpD);

        JsonNode a = group(s, fpA);
        assertThat(a.get("count").asLong()).isEqualTo(6);
        assertThat(a.get("severity").asText()).isEqualTo("critical");
        assertThat(a.get("bySeverity").get("critical").asLong()).isEqualTo(1);
        assertThat(a.get("bySeverity").get("error").asLong()).isEqualTo(5);
        assertThat(a.get("firstSeen").asText()).isEqualTo("2025-03-10T10:01:00Z");
        assertThat(a.get("lastSeen").asText()).isEqualTo("2025-03-10T10:59:59.999Z");
        assertThat(a.get("service").asText()).isEqualTo("vapi");
        assertThat(a.get("routeId").asText()).isEqualTo("dial");
        assertThat(a.get("sampleMessage").asText()).isEqualTo(A);
        assertThat(a.get("link").asText()).isEqualTo(BASE + "/api/error-stats/groups/" + fpA);
        JsonNode b = group(s, fpB);
        assertThat(b.get("count").asLong()).isEqualTo(3);
        assertThat(b.get("firstSeen").asText()).isEqualTo("2025-03-10T10:05:00Z");
        assertThat(b.get("lastSeen").asText()).isEqualTo("2025-03-10T10:10:00Z");
        assertThat(b.get("sampleMessage").asText()).startsWith("could not reserve dial attempt").endsWith("StoreException: disk full");
        assertThat(group(s, fpC).get("count").asLong()).isEqualTo(2);
        assertThat(group(s, fpD).get("severity").asText()).isEqualTo("warning");

        // every bucket of the hour, zeros included
        JsonNode trend = s.get("trend");
        assertThat(trend).hasSize(12);
        Map<String, String> buckets = new LinkedHashMap<>();
        trend.forEach(x -> buckets.put(x.get("start").asText().substring(11, 16),
                x.get("count").asLong() + "=" + x.get("critical").asLong() + "/" + x.get("error").asLong() + "/" + x.get("warning").asLong()));
        assertThat(buckets).containsExactly(Map.entry("10:00", "2=0/2/0"), Map.entry("10:05", "3=0/3/0"), Map.entry("10:10", "1=0/1/0"),
                Map.entry("10:15", "0=0/0/0"), Map.entry("10:20", "2=2/0/0"), Map.entry("10:25", "0=0/0/0"), Map.entry("10:30", "1=0/1/0"),
                Map.entry("10:35", "0=0/0/0"), Map.entry("10:40", "2=1/0/1"), Map.entry("10:45", "0=0/0/0"), Map.entry("10:50", "0=0/0/0"),
                Map.entry("10:55", "1=0/1/0"));
    }

    @Test
    void aWindowIsWidenedToWholeBucketsAndFiltersApplyToEverything() {
        JsonNode s = admin("/api/error-stats?since=2025-03-10T10:02:00&until=2025-03-10T10:56");
        assertThat(s.get("since").asText()).isEqualTo("2025-03-10T10:00:00Z");
        assertThat(s.get("until").asText()).isEqualTo("2025-03-10T11:00:00Z");
        assertThat(s.get("totals").get("total").asLong()).isEqualTo(12);

        JsonNode critical = admin("/api/error-stats?since=2025-03-10T10:00:00Z&until=2025-03-10T11:00:00Z&severity=critical");
        assertThat(critical.get("totals").get("total").asLong()).isEqualTo(3);
        assertThat(critical.get("totals").get("error").asLong()).isZero();
        assertThat(critical.get("groups")).hasSize(2);
        assertThat(critical.get("groups").get(0).get("fingerprint").asText()).isEqualTo(fpC);
        assertThat(critical.get("groups").get(1).get("count").asLong()).isEqualTo(1);
        assertThat(critical.get("filters").get("severity").asText()).isEqualTo("critical");

        JsonNode dialler = admin("/api/error-stats?since=2025-03-10T10:00:00Z&until=2025-03-10T11:00:00Z&service=dialler");
        assertThat(dialler.get("totals").get("total").asLong()).isEqualTo(3);
        assertThat(dialler.get("groupCount").asInt()).isEqualTo(1);
        long inTrend = 0;
        for (JsonNode x : dialler.get("trend")) {
            inTrend += x.get("count").asLong();
        }
        assertThat(inTrend).isEqualTo(3);
    }

    @Test
    void fiftyCausesAreFiftyGroupsAndTheTenLargestAreListed() {
        JsonNode s = admin("/api/error-stats?since=2025-04-01T00:00:00Z&until=2025-04-01T01:00:00Z");
        assertThat(s.get("groupCount").asInt()).isEqualTo(50);
        assertThat(s.get("totals").get("total").asLong()).isEqualTo(200);
        assertThat(s.get("groups")).hasSize(10);
        s.get("groups").forEach(g -> assertThat(g.get("count").asLong()).isEqualTo(4));
        // equal counts: the most recent first
        assertThat(s.get("groups").get(0).get("routeId").asText()).isEqualTo("route-49");
        assertThat(s.get("groups").get(9).get("routeId").asText()).isEqualTo("route-40");
    }

    @Test
    void aGroupsPageHasItsCountsAndItsLatestRowsWithTheirContext() {
        JsonNode g = admin("/api/error-stats/groups/" + fpA + "?limit=3");
        assertThat(g.get("fingerprint").asText()).isEqualTo(fpA);
        assertThat(g.get("count").asLong()).as("everything logged, the rows outside any window too").isEqualTo(8);
        assertThat(g.get("bySeverity").get("error").asLong()).isEqualTo(7);
        assertThat(g.get("firstSeen").asText()).isEqualTo("2025-03-10T09:59:59.999Z");
        assertThat(g.get("lastSeen").asText()).isEqualTo("2025-03-10T11:00:00Z");
        assertThat(g.get("service").asText()).isEqualTo("vapi");
        assertThat(g.get("routeId").asText()).isEqualTo("dial");
        assertThat(g.get("pattern").asText()).isEqualTo("vapi refused post /call: vapi 400: assistantid must be a uuid");
        assertThat(g.get("link").asText()).isEqualTo(BASE + "/api/error-stats/groups/" + fpA);
        assertThat(g.get("limit").asInt()).isEqualTo(3);
        JsonNode rows = g.get("rows");
        assertThat(rows).hasSize(3);
        assertThat(rows.get(0).get("at").asText()).isEqualTo("2025-03-10T11:00:00Z");
        assertThat(rows.get(0).get("context").get("last").asBoolean()).isTrue();
        assertThat(rows.get(0).get("context").get("leadId").asInt()).isEqualTo(108);
        assertThat(rows.get(1).get("at").asText()).isEqualTo("2025-03-10T10:59:59.999Z");
        assertThat(rows.get(1).get("context").get("clientKey").asText()).isEqualTo("acme");
        assertThat(rows.get(2).get("severity").asText()).isEqualTo("critical");
        assertThat(rows.get(2).get("message").asText()).isEqualTo(A);
        assertThat(admin("/api/error-stats/groups/" + fpB).get("rows")).hasSize(3);

        HttpResponse<String> unknown = hub.get("/api/error-stats/groups/0123456789abcdef", "Authorization", ADMIN);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(Jsons.read(unknown.body()).get("error").asText()).contains("0123456789abcdef");
        HttpResponse<String> bad = hub.get("/api/error-stats/groups/not-a-fingerprint", "Authorization", ADMIN);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(Jsons.read(bad.body()).get("error").asText()).contains("fingerprint must be 16");
        assertThat(hub.get("/api/error-stats/groups/" + fpA + "?limit=0", "Authorization", ADMIN).statusCode()).isEqualTo(400);
        HttpResponse<String> tooMany = hub.get("/api/error-stats/groups/" + fpA + "?limit=501", "Authorization", ADMIN);
        assertThat(tooMany.statusCode()).isEqualTo(400);
        assertThat(Jsons.read(tooMany.body()).get("error").asText()).contains("limit must be between 1 and 500");
    }

    private String problem(String path) {
        HttpResponse<String> r = hub.get(path, "Authorization", ADMIN);
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(400);
        return Jsons.read(r.body()).get("error").asText();
    }

    @Test
    void badWindowsAreRefusedWithAClearMessage() {
        assertThat(problem("/api/error-stats?since=yesterday")).contains("since", "ISO-8601");
        assertThat(problem("/api/error-stats?since=2025-03-10T11:00:00Z&until=2025-03-10T10:00:00Z")).contains("must be before until");
        assertThat(problem("/api/error-stats?since=2025-01-01T00:00:00Z&until=2025-02-02T00:00:00Z")).contains("at most 31 days", "32 days");
        assertThat(problem("/api/error-stats?since=2025-02-30")).contains("since");
        assertThat(problem("/api/error-stats?severity=fatal")).contains("severity", "warning, error, critical");
        assertThat(problem("/api/error-stats?fingerprint=abc")).contains("fingerprint");
        // 31 days exactly is allowed
        assertThat(admin("/api/error-stats?since=2025-03-01T00:00:00Z&until=2025-04-01T00:00:00Z").get("trend")).hasSize(31 * 288);
    }

    @Test
    void onlyTheAdminTokenOpensThem() {
        for (String path : List.of("/api/error-stats", "/api/error-stats/groups/" + fpA, "/api/admin/db-stats")) {
            assertThat(hub.get(path).statusCode()).as(path + " without a token").isEqualTo(401);
            assertThat(hub.get(path, "X-API-Key", key).statusCode()).as(path + " with a client's key").isEqualTo(403);
            assertThat(hub.get(path, "Authorization", "Bearer wrong").statusCode()).as(path + " with a wrong token").isEqualTo(401);
        }
    }

    private String one(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    @Test
    void dbStatsDescribeTheDatabaseThePoolAndTheLastHealthChecks() throws Exception {
        assertThat(hub.get("/health").statusCode()).isEqualTo(200);
        assertThat(hub.get("/health").statusCode()).isEqualTo(200);
        JsonNode s = admin("/api/admin/db-stats");
        JsonNode d = s.get("database");
        boolean pg = kind() == TestDatabase.Kind.POSTGRESQL;
        assertThat(d.get("type").asText()).isEqualTo(pg ? "postgresql" : "sqlite");
        assertThat(d.get("reachable").asBoolean()).isTrue();
        assertThat(d.get("sizeBytes").asLong()).isPositive();
        assertThat(d.get("size").asText()).matches("[0-9.]+ (B|KB|MB|GB)");
        Map<String, JsonNode> tables = new LinkedHashMap<>();
        d.get("tables").forEach(t -> tables.put(t.get("name").asText(), t));
        assertThat(tables).containsKeys("error_log", "error_counts", "calls", "leads", "clients", "dial_attempts");
        JsonNode errorLog = tables.get("error_log");
        long rows = Long.parseLong(one("select count(*) from error_log"));
        if (pg) {
            assertThat(errorLog.get("rowEstimate").asLong()).isBetween(0L, rows);
            JsonNode conns = d.get("serverConnections");
            assertThat(conns.get("thisDatabase").asLong()).isPositive();
            assertThat(conns.get("byState").size()).isPositive();
            assertThat(conns.get("max").asInt()).isPositive();
            assertThat(conns.get("allDatabases").asLong()).isGreaterThanOrEqualTo(conns.get("thisDatabase").asLong());
            assertThat(d.get("version").asText()).isNotBlank();
        } else {
            assertThat(errorLog.get("rows").asLong()).isEqualTo(rows);
            assertThat(tables.get("clients").get("rows").asLong()).isEqualTo(Long.parseLong(one("select count(*) from clients")));
            assertThat(d.get("pageSize").asLong()).isPositive();
            assertThat(d.get("pageCount").asLong()).isPositive();
            // pages still in the write-ahead log count in page_count before a checkpoint writes them to the file
            assertThat(d.get("pageSize").asLong() * d.get("pageCount").asLong()).isBetween(d.get("fileBytes").asLong(),
                    d.get("fileBytes").asLong() + d.get("walBytes").asLong());
            assertThat(d.get("sizeBytes").asLong()).isEqualTo(d.get("fileBytes").asLong() + d.get("walBytes").asLong());
            assertThat(d.get("journalMode").asText()).isEqualToIgnoringCase("wal");
        }
        if (!errorLog.get("dataBytes").isNull()) { // PostgreSQL always; SQLite when its build has dbstat
            assertThat(errorLog.get("dataBytes").asLong()).isPositive();
            assertThat(errorLog.get("indexBytes").asLong()).isPositive();
            assertThat(errorLog.get("totalBytes").asLong()).isEqualTo(errorLog.get("dataBytes").asLong() + errorLog.get("indexBytes").asLong());
        } else {
            assertThat(d.get("tableSizes").asText()).contains("dbstat");
        }
        JsonNode pool = s.get("pool");
        assertThat(pool.get("max").asInt()).isPositive();
        assertThat(pool.get("active").asInt()).isNotNegative();
        assertThat(pool.get("idle").asInt()).isNotNegative();
        assertThat(pool.get("total").asInt()).isLessThanOrEqualTo(pool.get("max").asInt());
        assertThat(pool.get("waiting").asInt()).isZero();
        JsonNode health = s.get("health");
        assertThat(health.get("consecutiveFailures").asInt()).isZero();
        assertThat(health.get("criticalAfter").asInt()).isEqualTo(3);
        JsonNode checks = health.get("checks");
        assertThat(checks.size()).isBetween(2, 20);
        assertThat(checks.get(0).get("source").asText()).isEqualTo("health");
        assertThat(checks.get(0).get("ok").asBoolean()).isTrue();
        assertThat(checks.get(0).get("responseMs").asLong()).isNotNegative();
        assertThat(Instant.parse(checks.get(0).get("at").asText())).isAfter(Instant.now().minusSeconds(60));
    }

    /** The latest row of the group whose sample holds {@code text}, in the last 24 h of error-stats (service vapi). */
    private JsonNode vapiGroup(String text, String severity) {
        JsonNode[] found = new JsonNode[1];
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
            JsonNode s = admin("/api/error-stats?service=vapi" + (severity == null ? "" : "&severity=" + severity));
            for (JsonNode g : s.get("groups")) {
                if (g.get("sampleMessage").asText().contains(text)) {
                    found[0] = g;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    /** The row of group {@code g} whose context has {@code field} = {@code value} (among its latest 500). */
    private JsonNode rowWhere(JsonNode g, String field, String value) {
        for (JsonNode r : admin("/api/error-stats/groups/" + g.get("fingerprint").asText() + "?limit=500").get("rows")) {
            if (value.equals(r.get("context").path(field).asText())) {
                return r;
            }
        }
        throw new AssertionError("no row with context." + field + " = " + value + " in group " + g);
    }

    private long lead(String phone) {
        HttpResponse<String> r = hub.post("/api/leads", "application/json", "{\"name\":\"Ivy\",\"phone\":\"" + phone + "\",\"instant\":true}", "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return Jsons.read(r.body()).get("lead").get("id").asLong();
    }

    @Test
    void aPostCallVapiRefusesIsAVapiErrorWithTheLeadAndClient() {
        String phone = "+447700900" + NEXT.incrementAndGet();
        vapi.failNextTo(phone, 1, 400, "phoneNumberId must be a UUID");
        long leadId = lead(phone);
        JsonNode g = vapiGroup("phoneNumberId must be a UUID", null);
        assertThat(g.get("service").asText()).isEqualTo("vapi");
        assertThat(g.get("routeId").asText()).isEqualTo("dial");
        assertThat(g.get("severity").asText()).isEqualTo("error");
        assertThat(g.get("sampleMessage").asText()).isEqualTo("Vapi refused POST /call: Vapi 400: phoneNumberId must be a UUID");
        JsonNode row = admin("/api/error-stats/groups/" + g.get("fingerprint").asText()).get("rows").get(0);
        JsonNode ctx = row.get("context");
        assertThat(ctx.get("leadId").asLong()).isEqualTo(leadId);
        assertThat(ctx.get("clientKey").asText()).isEqualTo("error-stats-ltd");
        assertThat(ctx.get("httpStatus").asInt()).isEqualTo(400);
        assertThat(ctx.get("attemptNo").asInt()).isEqualTo(1);
        assertThat(ctx.get("assistantId").asText()).isEqualTo("asst-errors");
    }

    @Test
    void aCallThatFailsAtVapiAfterEveryRetryIsAVapiError() {
        String phone = "+447700900" + NEXT.incrementAndGet();
        vapi.failNextTo(phone, 3, 503, "Service Unavailable");
        long leadId = lead(phone);
        JsonNode g = vapiGroup("POST /call failed after every retry: Vapi 503", null);
        JsonNode ctx = admin("/api/error-stats/groups/" + g.get("fingerprint").asText()).get("rows").get(0).get("context");
        assertThat(ctx.get("leadId").asLong()).isEqualTo(leadId);
        assertThat(ctx.get("httpStatus").asInt()).isEqualTo(503);
    }

    @Test
    void aDialledCallWithNoEndOfCallReportIsACriticalVapiError() throws Exception {
        String phone = "+447700900" + NEXT.incrementAndGet();
        long leadId = lead(phone);
        await().atMost(Duration.ofSeconds(15)).until(() -> "unknown".equals(one("select status from dial_attempts where lead_id = " + leadId)));
        JsonNode g = vapiGroup("Vapi sent no end-of-call report", "critical");
        assertThat(g.get("routeId").asText()).isEqualTo("dialler-reconcile");
        JsonNode mine = rowWhere(g, "leadId", String.valueOf(leadId));
        assertThat(mine.get("severity").asText()).isEqualTo("critical");
        assertThat(mine.get("context").get("clientKey").asText()).isEqualTo("error-stats-ltd");
        assertThat(mine.get("context").get("vapiCallId").asText()).isEqualTo(one("select vapi_call_id from dial_attempts where lead_id = " + leadId));
    }

    @Test
    void anEndOfCallReportWithAnErrorReasonIsAVapiErrorOncePerCall() throws Exception {
        String callId = "call-err-" + UUID.randomUUID();
        String report = VapiReports.endOfCall(callId, "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"error-stats-ltd\"}}",
                "pipeline-error-openai-llm-failed", "{}");
        assertThat(hub.postVapi(report).statusCode()).isEqualTo(200);
        assertThat(hub.postVapi(report).statusCode()).as("Vapi's retry").isEqualTo(200);
        String fine = "call-ok-" + UUID.randomUUID();
        assertThat(hub.postVapi(VapiReports.endOfCall(fine, "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"error-stats-ltd\"}}",
                "customer-ended-call", "{}")).statusCode()).isEqualTo(200);
        String noAnswer = "call-sip-" + UUID.randomUUID();
        assertThat(hub.postVapi(VapiReports.endOfCall(noAnswer, "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"error-stats-ltd\"}}",
                "call.in-progress.error-providerfault-outbound-sip-480-temporarily-unavailable", "{}")).statusCode()).isEqualTo(200);
        JsonNode g = vapiGroup("pipeline-error-openai-llm-failed", null);
        assertThat(g.get("sampleMessage").asText()).isEqualTo("Vapi call ended with an error: pipeline-error-openai-llm-failed");
        assertThat(g.get("routeId").asText()).isEqualTo("vapi-webhooks");
        assertThat(one("select count(*) from error_log where context like '%" + callId + "%'")).as("once per call").isEqualTo("1");
        assertThat(one("select count(*) from error_log where context like '%" + fine + "%'")).isEqualTo("0");
        assertThat(one("select count(*) from error_log where context like '%" + noAnswer + "%'")).as("no answer is not an error").isEqualTo("0");
        JsonNode ctx = admin("/api/error-stats/groups/" + g.get("fingerprint").asText()).get("rows").get(0).get("context");
        assertThat(ctx.get("vapiCallId").asText()).isEqualTo(callId);
        assertThat(ctx.get("clientKey").asText()).isEqualTo("error-stats-ltd");
        assertThat(ctx.get("endedReason").asText()).isEqualTo("pipeline-error-openai-llm-failed");
        assertThat(ctx.get("outcome").asText()).isEqualTo("failed");
    }

    @Test
    void aWebhookForAnUnknownAssistantIsAVapiErrorOncePerCall() throws Exception {
        String callId = "call-nobody-" + UUID.randomUUID();
        String status = "{\"message\":{\"type\":\"status-update\",\"status\":\"in-progress\",\"call\":{\"id\":\"" + callId
                + "\",\"assistantId\":\"asst-nobody-has\"}}}";
        assertThat(hub.postVapi(status).statusCode()).isEqualTo(200);
        assertThat(hub.postVapi(VapiReports.endOfCall(callId, "\"assistantId\":\"asst-nobody-has\"", "customer-ended-call", "{}")).statusCode()).isEqualTo(200);
        JsonNode g = vapiGroup("matched no client by assistantId", null);
        assertThat(g.get("sampleMessage").asText()).isEqualTo("Vapi webhook matched no client by assistantId");
        assertThat(one("select count(*) from error_log where context like '%" + callId + "%'")).as("once per call").isEqualTo("1");
        JsonNode ctx = rowWhere(g, "vapiCallId", callId).get("context");
        assertThat(ctx.get("assistantId").asText()).isEqualTo("asst-nobody-has");
        assertThat(ctx.get("messageType").asText()).isEqualTo("status-update");
    }

    /** V12 on a database with error_log rows from before it: fingerprints where they were missing, and the roll-up summed from the rows. */
    @Test
    void rowsLoggedBeforeTheRollUpAreCountedAfterTheUpgrade() throws Exception {
        try (TestDatabase old = TestDatabase.create(kind())) {
            boolean pg = kind() == TestDatabase.Kind.POSTGRESQL;
            old.migrateTo("11");
            String m1 = "message 41 is dead: Twilio 400: invalid number (code 21211)";
            String m2 = "message 42 is dead: Twilio 400: invalid number (code 21211)";
            String m3 = "retries exhausted: java.net.ConnectException: Connection refused";
            try (Connection c = old.connect(); PreparedStatement ps = c.prepareStatement(
                    "insert into error_log (severity, service, message, context, route_id, fingerprint, created_at) values (?, ?, ?, ?, ?, ?, ?)")) {
                Object[][] rows = {
                        {"error", "messaging", m1, "{\"messageId\":41}", "message-dead", null, "2025-05-01T08:01:00.000Z"},      // before V11: no fingerprint
                        {"error", "messaging", m2, "{\"messageId\":42}", "message-dead", null, "2025-05-01T08:04:59.999Z"},
                        {"critical", "messaging", m2, null, "message-dead", ErrorFingerprint.of("messaging", "message-dead", m2), "2025-05-01T08:05:00.000Z"},
                        {"error", "dead-letters", m3, "{}", "analytics-record", ErrorFingerprint.of("dead-letters", "analytics-record", m3), "2025-05-01T08:30:00.000Z"},
                };
                for (Object[] r : rows) {
                    for (int i = 0; i < 6; i++) {
                        ps.setObject(i + 1, r[i]);
                    }
                    if (pg) {
                        ps.setObject(7, java.time.OffsetDateTime.parse((String) r[6]));
                    } else {
                        ps.setString(7, (String) r[6]); // the hub's form: ISO-8601 UTC with milliseconds
                    }
                    ps.executeUpdate();
                }
            }
            try (RunningHub upgraded = RunningHub.start(old.hubUrl(), Map.of())) {
                HttpResponse<String> r = upgraded.get("/api/error-stats?since=2025-05-01T08:00:00Z&until=2025-05-01T09:00:00Z", "Authorization", ADMIN);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                JsonNode s = Jsons.read(r.body());
                assertThat(s.get("totals").get("total").asLong()).isEqualTo(4);
                assertThat(s.get("totals").get("critical").asLong()).isEqualTo(1);
                assertThat(s.get("groupCount").asInt()).isEqualTo(2);
                String fp = ErrorFingerprint.of("messaging", "message-dead", m1);
                JsonNode g = s.get("groups").get(0);
                assertThat(g.get("fingerprint").asText()).isEqualTo(fp);
                assertThat(g.get("count").asLong()).isEqualTo(3);
                assertThat(g.get("firstSeen").asText()).isEqualTo("2025-05-01T08:01:00Z");
                assertThat(g.get("lastSeen").asText()).isEqualTo("2025-05-01T08:05:00Z");
                assertThat(g.get("bySeverity").get("critical").asLong()).isEqualTo(1);
                assertThat(s.get("trend").get(0).get("count").asLong()).isEqualTo(2);
                assertThat(s.get("trend").get(1).get("critical").asLong()).isEqualTo(1);
                assertThat(s.get("trend").get(6).get("count").asLong()).isEqualTo(1);
                try (Connection c = old.connect(); Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("select count(*) from error_log where fingerprint is null")) {
                    rs.next();
                    assertThat(rs.getLong(1)).isZero();
                }
                JsonNode page = Jsons.read(upgraded.get("/api/error-stats/groups/" + fp, "Authorization", ADMIN).body());
                assertThat(page.get("rows")).hasSize(3);
                assertThat(page.get("rows").get(2).get("context").get("messageId").asInt()).isEqualTo(41);
            }
        }
    }
}
