package uk.bookinghub.limits;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.MovableClock;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rate limits, through the real front door over HTTP, with the production numbers: a free client's
 * 61st request in a minute is a 429 with Retry-After and the RateLimit headers, and its minute comes
 * back when the hub's clock has moved on; pro and enterprise (set by the admin) get their own
 * numbers, and a tier change applies to the very next request; every client answer (2xx and 4xx)
 * carries the headers; a loop of wrong keys from one address reaches 429 and then learns nothing
 * (a right key from it is a 429 too); a lead import counts once against the daily import limit,
 * whatever its size, until the UTC day rolls; partner webhooks are not limited by default.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RateLimitsTest {

    static final int IMPORTS_A_DAY = 3;
    static final int MESSAGES_A_DAY = 3;
    /** A load balancer in front of the hub: connections from this loopback address are a trusted proxy. */
    static final String PROXY = "127.0.0.2";
    /** The production numbers (the test profile raises them for the suites that are not about limits). */
    static final Map<String, String> PRODUCTION_LIMITS = Map.of(
            "hub.rate-limits.per-minute.free", "60",
            "hub.rate-limits.per-minute.pro", "300",
            "hub.rate-limits.per-minute.enterprise", "1000",
            "hub.rate-limits.imports-per-day.free", String.valueOf(IMPORTS_A_DAY),
            "hub.rate-limits.anonymous-per-minute", "30",
            "hub.rate-limits.webhooks-per-minute", "0",
            "hub.rate-limits.messages-per-day.free", String.valueOf(MESSAGES_A_DAY),
            "hub.audit.trusted-proxies", PROXY);

    protected TestDatabase db;
    protected RunningHub hub;
    protected final MovableClock clock = new MovableClock();
    private final AtomicInteger clients = new AtomicInteger();
    private final AtomicInteger phones = new AtomicInteger();

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() {
        db = TestDatabase.create(kind());
        hub = RunningHub.start(db.hubUrl(), PRODUCTION_LIMITS, Map.of("hubClock", clock));
    }

    @AfterAll
    void stop() {
        hub.close();
        db.close();
    }

    /** A new client (free unless {@code tier} is given): its API key. */
    protected String onboard(String tier) {
        int n = clients.incrementAndGet();
        return hub.onboard("{\"businessName\":\"Limits " + kind() + " " + n + "\",\"email\":\"limits" + n + "@example.test\","
                + "\"phone\":\"0113 496 0" + String.format("%03d", n) + "\"" + (tier == null ? "" : ",\"tier\":\"" + tier + "\"") + "}");
    }

    protected HttpResponse<String> me(String key) {
        return hub.get("/api/clients/me", "X-API-Key", key);
    }

    private HttpResponse<String> admin(String clientKey, String json) {
        return hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/admin/clients/" + clientKey)))
                .PUT(HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json"),
                "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
    }

    private static long header(HttpResponse<String> r, String name) {
        return Long.parseLong(r.headers().firstValue(name).orElseThrow(() -> new AssertionError(name + " missing: " + r.headers().map())));
    }

    /** Requests until the first 429: how many were answered 200 (anything else fails the test). */
    private int allowedUntil429(String key, int atMost) {
        for (int i = 0; i < atMost; i++) {
            HttpResponse<String> r = me(key);
            if (r.statusCode() == 429) {
                return i;
            }
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        throw new AssertionError("no 429 after " + atMost + " requests");
    }

    @Test
    void theSixtyFirstRequestOfAFreeClientInAMinuteIs429WithTheHeaders() {
        String key = onboard(null);
        for (int i = 1; i <= 60; i++) {
            HttpResponse<String> r = me(key);
            assertThat(r.statusCode()).as("request " + i + ": " + r.body()).isEqualTo(200);
            assertThat(header(r, "RateLimit-Limit")).isEqualTo(60);
            assertThat(header(r, "RateLimit-Remaining")).isEqualTo(60 - i);
            assertThat(header(r, "RateLimit-Reset")).isBetween(1L, 60L);
            assertThat(r.headers().firstValue("Retry-After")).isEmpty();
        }
        HttpResponse<String> over = me(key);
        assertThat(over.statusCode()).as(over.body()).isEqualTo(429);
        assertThat(over.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(header(over, "Retry-After")).isBetween(1L, 60L);
        assertThat(header(over, "RateLimit-Limit")).isEqualTo(60);
        assertThat(header(over, "RateLimit-Remaining")).isZero();
        assertThat(header(over, "RateLimit-Reset")).isBetween(1L, 60L);
        JsonNode body = Jsons.read(over.body());
        assertThat(body.get("error").asText()).contains("60 requests a minute").contains("tier free");
        assertThat(body.get("tier").asText()).isEqualTo("free");
        assertThat(body.get("retryAfterSeconds").asLong()).isEqualTo(header(over, "Retry-After"));

        clock.advance(Duration.ofSeconds(header(over, "Retry-After") + 1));
        HttpResponse<String> again = me(key);
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        assertThat(header(again, "RateLimit-Remaining")).isEqualTo(59);
    }

    @Test
    void proAndEnterpriseClientsGetTheirNumbersSetByTheAdmin() {
        String pro = onboard(null);
        String proKey = Jsons.read(me(pro).body()).get("clientKey").asText();
        HttpResponse<String> set = admin(proKey, "{\"tier\":\"pro\"}");
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        assertThat(Jsons.read(set.body()).get("tier").asText()).isEqualTo("pro");
        assertThat(set.headers().firstValue("RateLimit-Limit")).as("admin is not limited").isEmpty();
        assertThat(Jsons.read(me(pro).body()).get("tier").asText()).isEqualTo("pro");
        assertThat(allowedUntil429(pro, 400)).as("pro: 300 a minute, the request above included").isEqualTo(300 - 1);

        String enterprise = onboard("enterprise");
        assertThat(Jsons.read(me(enterprise).body()).get("tier").asText()).isEqualTo("enterprise");
        assertThat(allowedUntil429(enterprise, 1100)).isEqualTo(1000 - 1);
    }

    @Test
    void aTierChangeAppliesToTheNextRequest() {
        String key = onboard(null);
        String clientKey = Jsons.read(me(key).body()).get("clientKey").asText();
        assertThat(allowedUntil429(key, 100)).isEqualTo(59);
        assertThat(admin(clientKey, "{\"tier\":\"pro\"}").statusCode()).isEqualTo(200);
        HttpResponse<String> upgraded = me(key);
        assertThat(upgraded.statusCode()).as(upgraded.body()).isEqualTo(200);
        assertThat(header(upgraded, "RateLimit-Limit")).isEqualTo(300);
        assertThat(header(upgraded, "RateLimit-Remaining")).isEqualTo(299);
        assertThat(admin(clientKey, "{\"tier\":\"free\"}").statusCode()).isEqualTo(200);
        assertThat(header(me(key), "RateLimit-Limit")).isEqualTo(60);
    }

    @Test
    void theTierIsValidatedAtOnboardingAndByTheAdmin() throws Exception {
        HttpResponse<String> bad = hub.post("/api/clients/onboard", "application/json", "{\"businessName\":\"Gold Plated\",\"email\":\"g@example.test\","
                + "\"phone\":\"0113 496 0999\",\"tier\":\"gold\"}", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(bad.statusCode()).as(bad.body()).isEqualTo(400);
        assertThat(Jsons.read(bad.body()).at("/fields/tier").asText()).contains("free, pro or enterprise").contains("gold");
        assertThat(count("select count(*) from clients where business_name = 'Gold Plated'")).isZero();

        String key = onboard(null);
        JsonNode view = Jsons.read(me(key).body());
        assertThat(view.get("tier").asText()).as("free unless set").isEqualTo("free");
        String clientKey = view.get("clientKey").asText();
        for (String body : List.of("{\"tier\":\"gold\"}", "{\"tier\":3}", "{\"tier\":null}", "{}", "{\"tier\":\"pro\",\"colour\":\"red\"}")) {
            HttpResponse<String> r = admin(clientKey, body);
            assertThat(r.statusCode()).as(body + " -> " + r.body()).isEqualTo(400);
            assertThat(Jsons.read(r.body()).get("fields").fieldNames().next()).as(body).isIn("tier", "colour");
        }
        assertThat(Jsons.read(me(key).body()).get("tier").asText()).as("nothing changed").isEqualTo("free");
        HttpResponse<String> unknown = admin("no-such-client", "{\"tier\":\"pro\"}");
        assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(404);
        HttpResponse<String> asClient = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/admin/clients/" + clientKey)))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"tier\":\"enterprise\"}")).header("Content-Type", "application/json"), "X-API-Key", key);
        assertThat(asClient.statusCode()).isEqualTo(403);
        assertThat(Jsons.read(me(key).body()).get("tier").asText()).isEqualTo("free");
    }

    @Test
    void everyClientAnswerCarriesTheHeaders() {
        String key = onboard(null);
        List<HttpResponse<String>> answers = new ArrayList<>();
        answers.add(me(key));
        answers.add(hub.get("/api/leads/999999", "X-API-Key", key)); // 404
        answers.add(hub.get("/api/leads?surelyNotAParameter=1", "X-API-Key", key)); // 400
        answers.add(hub.post("/api/leads", "application/json", "{\"phone\":\"not a phone\"}", "X-API-Key", key)); // 400 from the handler
        answers.add(hub.post("/api/leads", "application/json", "{\"name\":\"Header Check\",\"phone\":\"" + mobile() + "\"}", "X-API-Key", key)); // 201
        answers.add(hub.get("/api/analytics/export.csv", "X-API-Key", key)); // CSV, its own headers
        long remaining = 60;
        for (HttpResponse<String> r : answers) {
            assertThat(header(r, "RateLimit-Limit")).as(r.statusCode() + " " + r.body()).isEqualTo(60);
            assertThat(header(r, "RateLimit-Remaining")).as(r.statusCode() + " " + r.body()).isEqualTo(--remaining);
            assertThat(header(r, "RateLimit-Reset")).isBetween(1L, 60L);
        }
        assertThat(answers).extracting(HttpResponse::statusCode).containsExactly(200, 404, 400, 400, 201, 200);

        HttpResponse<String> health = hub.get("/health");
        assertThat(health.headers().firstValue("RateLimit-Limit")).as("the health probe is not limited").isEmpty();
        HttpResponse<String> description = hub.get("/api/openapi.json");
        assertThat(header(description, "RateLimit-Limit")).as("a public endpoint counts against the address").isEqualTo(30);
        assertThat(Jsons.read(description.body()).at("/paths/~1api~1clients~1me/get/responses/429")).isNotNull();
    }

    @Test
    void aLoopOfWrongKeysFromOneAddressReaches429AndThenLearnsNothing() {
        String key = onboard(null);
        clock.advance(Duration.ofMinutes(2)); // whatever the other tests spent from this address is back
        int unauthorized = 0;
        HttpResponse<String> last = null;
        for (int i = 0; i < 40; i++) {
            last = me("bh_wrong-guess-" + i);
            if (last.statusCode() == 429) {
                break;
            }
            assertThat(last.statusCode()).as(last.body()).isEqualTo(401);
            assertThat(header(last, "RateLimit-Limit")).isEqualTo(30);
            unauthorized++;
        }
        assertThat(last.statusCode()).as("a 401 loop reaches 429").isEqualTo(429);
        assertThat(unauthorized).isBetween(30, 32); // (a token comes back every 2 s of real time)
        assertThat(Jsons.read(last.body()).get("error").asText()).contains("without valid credentials").contains("30 a minute");
        assertThat(header(last, "Retry-After")).isBetween(1L, 2L);
        assertThat(header(last, "RateLimit-Remaining")).isZero();

        HttpResponse<String> right = me(key);
        assertThat(right.statusCode()).as("a right key from that address is not told apart from a wrong one").isEqualTo(429);
        assertThat(hub.get("/api/openapi.json").statusCode()).isEqualTo(429);
        assertThat(hub.get("/health").statusCode()).as("the probe").isEqualTo(200);

        clock.advance(Duration.ofMinutes(1));
        assertThat(me(key).statusCode()).isEqualTo(200);
        assertThat(me("bh_wrong-guess-again").statusCode()).isEqualTo(401);
    }

    @Test
    void anImportCountsOnceAgainstTheDailyLimitUntilTheUtcDayRolls() throws Exception {
        String key = onboard(null);
        for (int i = 0; i < IMPORTS_A_DAY; i++) {
            StringBuilder csv = new StringBuilder("name,phone\n");
            for (int row = 0; row < 50; row++) {
                csv.append("Lead ").append(row).append(',').append(mobile()).append('\n');
            }
            HttpResponse<String> r = hub.post("/api/import-leads", "text/csv", csv.toString(), "X-API-Key", key);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(header(r, "RateLimit-Limit")).as("an import's answer shows the minute's budget").isEqualTo(60);
        }
        long leads = count("select count(*) from leads");
        String refusedPhone = mobile();
        HttpResponse<String> over = hub.post("/api/import-leads", "text/csv", "name,phone\nRefused," + refusedPhone + "\n", "X-API-Key", key);
        assertThat(over.statusCode()).as(over.body()).isEqualTo(429);
        Instant now = clock.instant();
        long untilMidnight = Duration.between(now, LocalDate.ofInstant(now, ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant()).toSeconds();
        assertThat(header(over, "Retry-After")).isBetween(untilMidnight - 5, untilMidnight + 1);
        assertThat(header(over, "RateLimit-Limit")).isEqualTo(IMPORTS_A_DAY);
        assertThat(header(over, "RateLimit-Remaining")).isZero();
        assertThat(Jsons.read(over.body()).get("error").asText()).contains("daily import limit").contains("00:00 UTC");
        assertThat(count("select count(*) from leads")).as("the refused import wrote nothing").isEqualTo(leads);
        assertThat(me(key).statusCode()).as("other requests go on").isEqualTo(200);

        clock.advance(Duration.ofSeconds(header(over, "Retry-After") + 1));
        HttpResponse<String> nextDay = hub.post("/api/import-leads", "text/csv", "name,phone\nNext Day," + refusedPhone + "\n", "X-API-Key", key);
        assertThat(nextDay.statusCode()).as(nextDay.body()).isEqualTo(200);
    }

    @Test
    void partnerWebhooksAreNotLimitedByDefault() {
        for (int i = 0; i < 100; i++) {
            HttpResponse<String> r = hub.postVapi("{\"message\":{\"type\":\"speech-update\",\"call\":{\"id\":\"rate-" + i + "\"}}}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("RateLimit-Limit")).isEmpty();
        }
    }

    protected String mobile() {
        return "07700 900" + String.format("%03d", phones.incrementAndGet());
    }

    protected long count(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Behind a trusted proxy (hub.audit.trusted-proxies) the budget of requests without valid
     * credentials is the address its X-Forwarded-For names, as the audit log records it: one guessing
     * address behind the load balancer reaches 429, another behind the same balancer does not.
     */
    @Test
    void behindATrustedProxyTheForwardedAddressHasTheBudget() throws Exception {
        clock.advance(Duration.ofMinutes(2));
        int last = 0;
        int unauthorized = 0;
        for (int i = 0; i < 40; i++) {
            last = viaProxy("192.0.2.50", "bh_proxy-guess-" + i);
            if (last == 429) {
                break;
            }
            assertThat(last).isEqualTo(401);
            unauthorized++;
        }
        assertThat(last).as("the guessing address behind the proxy reaches 429").isEqualTo(429);
        assertThat(unauthorized).isBetween(30, 32);
        assertThat(viaProxy("192.0.2.51", "bh_someone-else")).as("another address behind the same proxy").isEqualTo(401);
    }

    /** GET /api/clients/me from the proxy's address with X-Forwarded-For; the status. */
    private int viaProxy(String forwardedFor, String apiKey) throws Exception {
        try (java.net.Socket s = new java.net.Socket()) {
            s.bind(new java.net.InetSocketAddress(PROXY, 0));
            s.connect(new java.net.InetSocketAddress("127.0.0.1", hub.port), 5000);
            s.setSoTimeout(30_000);
            String req = "GET /api/clients/me HTTP/1.1\r\nHost: 127.0.0.1:" + hub.port + "\r\nConnection: close\r\nX-API-Key: " + apiKey
                    + "\r\nX-Forwarded-For: " + forwardedFor + "\r\n\r\n";
            s.getOutputStream().write(req.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String head = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            return Integer.parseInt(head.substring(0, head.indexOf("\r\n")).split(" ")[1]);
        }
    }

    /**
     * POST /api/messages counts by what it asks the hub to send, one per message (channel), against the
     * client's messages a day: 2 + 1 fit in 3, the next 2 do not (429 with Retry-After, nothing queued),
     * and the count starts again when the UTC day rolls.
     */
    @Test
    void messagesCountByWhatTheySendAgainstTheDailyLimit() throws Exception {
        String key = onboard(null);
        String both = "{\"kind\":\"confirmation\",\"channels\":[\"sms\",\"email\"],\"phone\":\"07700 900401\",\"email\":\"m@example.com\","
                + "\"appointment\":{\"start\":\"2026-12-01T14:30\"}}";
        String one = "{\"kind\":\"confirmation\",\"channels\":[\"sms\"],\"phone\":\"07700 900402\",\"appointment\":{\"start\":\"2026-12-01T14:30\"}}";
        HttpResponse<String> r = hub.post("/api/messages", "application/json", both, "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(Jsons.read(r.body()).get("messages").size()).isEqualTo(2);
        r = hub.post("/api/messages", "application/json", one, "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        long queued = rows(key);
        r = hub.post("/api/messages", "application/json", both.replace("900401", "900403"), "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
        assertThat(Jsons.read(r.body()).get("error").asText()).contains("daily message limit").contains("3 messages a day").contains("would send 2");
        assertThat(header(r, "Retry-After")).isPositive();
        assertThat(rows(key)).as("nothing queued by the refused request").isEqualTo(queued);
        clock.advance(Duration.ofDays(1));
        assertThat(hub.post("/api/messages", "application/json", one.replace("900402", "900404"), "X-API-Key", key).statusCode()).isEqualTo(201);
    }

    /** The client's outbox rows. */
    private long rows(String apiKey) throws Exception {
        String clientKey = Jsons.read(hub.get("/api/clients/me", "X-API-Key", apiKey).body()).get("clientKey").asText();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "select count(*) from messages m join clients c on c.id = m.client_id where c.client_key = '" + clientKey.replace("'", "") + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
