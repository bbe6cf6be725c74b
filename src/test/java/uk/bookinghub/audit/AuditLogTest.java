package uk.bookinghub.audit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The audit log through the real hub: every state-changing client and admin endpoint, called over
 * HTTP, leaves exactly one row with its action, the caller's actor ({@code key:<prefix>} or
 * {@code admin}), the caller's IP (the socket's, or behind a trusted proxy the hop it forwards; a
 * forwarded address from anyone else is ignored), the request id the answer carried and the answer's
 * status; every authentication failure leaves an {@code auth_failure} row without the credential.
 *
 * <p>Invariants: a failed request (4xx) has its row and changed nothing else; a client reads only its
 * own rows; the database itself refuses to update or delete a row; a row changed behind the hub's back
 * (trigger disabled or dropped) or removed makes the verifier name it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class AuditLogTest {

    static final String ADMIN = "Bearer " + RunningHub.ADMIN_TOKEN;
    /** The test's "load balancer": connections from this loopback address are a trusted proxy. */
    static final String PROXY = "127.0.0.2";
    private static final ZoneId LONDON = ZoneId.of("Europe/London");

    private TestDatabase db;
    private RunningHub hub;
    private String keyA;
    private String keyB;
    /** Request id -> what the test sent and got, for the audited calls of the first test. */
    private final Map<String, Call> calls = new LinkedHashMap<>();

    record Call(String action, String actor, String clientKey, int status, String target) {
    }

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() throws Exception {
        db = TestDatabase.create(kind());
        hub = RunningHub.start(db.hubUrl(), Map.of("hub.audit.trusted-proxies", PROXY,
                "hub.backups.dir", java.nio.file.Files.createTempDirectory("audit-backups-").toString()));
        HttpResponse<String> a = admin("POST", "/api/clients/onboard", "{\"businessName\":\"Audit Alpha\",\"email\":\"a@alpha.example\","
                + "\"phone\":\"0113 496 0300\",\"bookingLink\":\"https://alpha.example/book\"}");
        assertThat(a.statusCode()).as(a.body()).isEqualTo(201);
        keyA = Jsons.read(a.body()).get("apiKey").asText();
        expect(a, "client_onboard", "admin", "audit-alpha", "client:audit-alpha");
        keyB = hub.onboard("{\"businessName\":\"Audit Beta\",\"email\":\"b@beta.example\",\"phone\":\"0113 496 0301\"}");
    }

    @AfterAll
    void stop() {
        hub.close();
        db.close();
    }

    // ---- every action ------------------------------------------------------------------------

    @Test
    @Order(1)
    void everyActionWritesOneRowWithItsActorIpRequestIdAndStatus() {
        String actorA = "key:" + keyA.substring(0, 10);
        HttpResponse<String> r = client("PUT", "/api/clients/audit-alpha/settings", "{\"businessHours\":{\"mon\":[[\"09:00\",\"17:00\"]],"
                + "\"tue\":[[\"09:00\",\"17:00\"]],\"wed\":[[\"09:00\",\"17:00\"]],\"thu\":[[\"09:00\",\"17:00\"]],\"fri\":[[\"09:00\",\"17:00\"]],"
                + "\"sat\":[],\"sun\":[]},\"slotMinutes\":30,\"services\":[{\"name\":\"Quote\",\"minutes\":30}],\"minNoticeMinutes\":60,\"horizonDays\":365}");
        expect(r, "settings_update", actorA, "audit-alpha", "settings:audit-alpha");

        r = hub.post("/api/import-leads", "text/csv", "name,phone\nAnn,07700 900301\nBo,07700 900302\n", "X-API-Key", keyA);
        String importId = Jsons.read(r.body()).get("importId").asText();
        expect(r, "lead_import", actorA, "audit-alpha", "import:" + importId);

        r = hub.post("/api/leads", "application/json", "{\"name\":\"Cy\",\"phone\":\"07700 900303\"}", "X-API-Key", keyA);
        expect(r, "lead_create", actorA, "audit-alpha", "lead:" + Jsons.read(r.body()).get("lead").get("id").asLong());

        r = hub.post("/api/opt-outs", "application/json", "{\"phone\":\"07700 900309\",\"reason\":\"user_request\"}", "X-API-Key", keyA);
        expect(r, "opt_out_add", actorA, "audit-alpha", "opt_out:" + Jsons.read(r.body()).get("id").asLong());
        r = hub.delete("/api/opt-outs/%2B447700900309", "X-API-Key", keyA);
        expect(r, "opt_out_remove", actorA, "audit-alpha", "opt_out:" + Jsons.read(r.body()).get("id").asLong());
        r = admin("POST", "/api/opt-outs", "{\"clientKey\":\"audit-alpha\",\"phone\":\"07700 900310\"}");
        expect(r, "opt_out_add", "admin", "audit-alpha", "opt_out:" + Jsons.read(r.body()).get("id").asLong());

        r = client("PUT", "/api/templates/follow_up/sms", "{\"body\":\"{{customerName}}, still need us? {{bookingLink}}\"}");
        expect(r, "template_update", actorA, "audit-alpha", "template:follow_up/sms");
        r = client("DELETE", "/api/templates/follow_up/sms", null);
        expect(r, "template_reset", actorA, "audit-alpha", "template:follow_up/sms");

        r = hub.post("/api/messages", "application/json", "{\"kind\":\"confirmation\",\"channels\":[\"sms\"],\"phone\":\"07700 900311\","
                + "\"appointment\":{\"start\":\"2026-12-01T14:30\"}}", "X-API-Key", keyA);
        expect(r, "message_queue", actorA, "audit-alpha", "message:" + Jsons.read(r.body()).get("messages").get(0).get("id").asLong());

        r = client("PUT", "/api/follow-up-sequences", "{\"paused\":false}");
        expect(r, "follow_up_sequences_update", actorA, "audit-alpha", "follow_up_sequences:audit-alpha");

        long appointment = book();
        r = client("PATCH", "/api/appointments/" + appointment, "{\"status\":\"cancelled\"}");
        expect(r, "appointment_update", actorA, "audit-alpha", "appointment:" + appointment);

        r = admin("POST", "/api/dead-letters/999999/replay", null);
        expect(r, "dead_letter_replay", "admin", null, "dead_letter:999999");
        r = admin("POST", "/api/admin/clients/audit-alpha/dialler/resume", null);
        expect(r, "dialler_resume", "admin", "audit-alpha", "dialler:audit-alpha");
        r = admin("POST", "/api/admin/analytics/rebuild?clientKey=audit-alpha", null);
        expect(r, "analytics_rebuild", "admin", "audit-alpha", "analytics:audit-alpha");
        expect(admin("POST", "/api/admin/analytics/reconcile?hours=1", null), "analytics_reconcile", "admin", null, null);
        expect(admin("POST", "/api/admin/analytics/weekly-reports/run", null), "weekly_reports_run", "admin", null, null);
        expect(admin("POST", "/api/admin/quality/run", null), "quality_run", "admin", null, null);
        expect(admin("POST", "/api/admin/reminders/run", null), "reminders_run", "admin", null, null);
        expect(admin("POST", "/api/admin/follow-ups/run", null), "follow_ups_run", "admin", null, null);
        expect(admin("POST", "/api/admin/alerts/test", null), "alert_test", "admin", null, null);

        // authentication, keys, tiers and privacy (the other parts of issue 15)
        expect(hub.post("/api/auth/token", null, "", "X-API-Key", keyA), "token_issue", actorA, "audit-alpha", null);
        expect(hub.post("/api/events/ticket", null, "", "X-API-Key", keyA), "stream_ticket", actorA, "audit-alpha", null);
        r = hub.post("/api/clients/me/api-keys", null, "", "X-API-Key", keyA);
        String newPrefix = Jsons.read(r.body()).get("prefix").asText();
        expect(r, "api_key_create", actorA, "audit-alpha", "api_key:" + newPrefix);
        r = hub.delete("/api/clients/me/api-keys/" + newPrefix, "X-API-Key", keyA);
        expect(r, "api_key_revoke", actorA, "audit-alpha", "api_key:" + newPrefix);
        expect(admin("PUT", "/api/admin/clients/audit-alpha", "{\"tier\":\"pro\"}"), "client_update", "admin", "audit-alpha", "client:audit-alpha");
        expect(admin("PUT", "/api/admin/clients/audit-alpha", "{\"tier\":\"free\"}"), "client_update", "admin", "audit-alpha", "client:audit-alpha");
        expect(admin("POST", "/api/admin/clients/audit-alpha/suspend", "{\"reason\":\"audit test\"}"), "client_suspend", "admin", "audit-alpha",
                "client:audit-alpha");
        expect(admin("POST", "/api/admin/clients/audit-alpha/activate", null), "client_activate", "admin", "audit-alpha", "client:audit-alpha");
        // signup (issue 17): anonymous; a link the hub never made is refused, and recorded
        expect(hub.post("/api/signup", "application/json", "{\"businessName\":\"Audit Signup Ltd\",\"email\":\"audit@signup.example\","
                + "\"phone\":\"07700 900399\"}"), "signup", "anonymous", "audit-signup-ltd", "client:audit-signup-ltd");
        expect(hub.get("/signup/verify?token=never-made-by-the-hub"), "signup_verify", "anonymous", null, null);
        r = hub.get("/api/clients/audit-alpha/export", "X-API-Key", keyA);
        assertThat(r.body()).contains("\"complete\"");
        expect(r, "export", actorA, "audit-alpha", null);
        expect(hub.post("/api/privacy/access", "application/json", "{\"phone\":\"07700 900302\"}", "X-API-Key", keyA),
                "subject_access", actorA, "audit-alpha", null);
        expect(hub.post("/api/privacy/erasure", "application/json", "{\"phone\":\"07700 900302\"}", "X-API-Key", keyA),
                "erasure", actorA, "audit-alpha", null);
        expect(admin("POST", "/api/admin/leads/expire/run", null), "leads_expire_run", "admin", null, null);
        expect(admin("POST", "/api/admin/retention/run", null), "retention_run", "admin", null, null);
        // Vapi is not configured here: the assistant endpoints answer 409 saying so, and are still audited
        expect(hub.post("/api/clients/me/assistant", null, "", "X-API-Key", keyA), "assistant_create", actorA, "audit-alpha", null);
        expect(hub.post("/api/clients/me/assistant/sync", null, "", "X-API-Key", keyA), "assistant_sync", actorA, "audit-alpha", null);
        r = admin("POST", "/api/admin/backups", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        expect(r, "backup_create", "admin", null, null);
        expect(admin("POST", "/api/admin/backups/" + Jsons.read(r.body()).get("id").asText() + "/verify", null), "backup_verify", "admin", null, null);
        // the onboarding wizard's steps (issue 17): saved, or refused (no calendar, no numbers, no assistant here) and still audited
        expect(hub.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(hub.url("/api/onboarding/business"))).method("PUT",
                java.net.http.HttpRequest.BodyPublishers.ofString("{\"businessName\":\"Audit Alpha\",\"industry\":\"plumbing\","
                        + "\"services\":[{\"name\":\"Repair\",\"minutes\":60,\"price\":90}]}")).header("Content-Type", "application/json"),
                "X-API-Key", keyA), "onboarding_business", actorA, "audit-alpha", "client:audit-alpha");
        expect(hub.post("/api/onboarding/calendar-check", null, "", "X-API-Key", keyA), "onboarding_calendar_check", actorA, "audit-alpha", null);
        expect(hub.post("/api/onboarding/numbers-check", "application/json", "{}", "X-API-Key", keyA), "onboarding_numbers_check", actorA,
                "audit-alpha", null);
        expect(hub.post("/api/onboarding/test-call", null, "", "X-API-Key", keyA), "onboarding_test_call", actorA, "audit-alpha", null);
        expect(hub.post("/api/templates/preview", "application/json", "{\"kind\":\"confirmation\",\"channel\":\"sms\",\"body\":\"Hi {{customerName}}\"}",
                "X-API-Key", keyA), "template_preview", actorA, "audit-alpha", null);

        Map<String, JsonNode> rows = rowsByRequest();
        Set<String> seen = new TreeSet<>();
        calls.forEach((requestId, call) -> {
            JsonNode row = rows.get(requestId);
            assertThat(row).as("the row of " + call).isNotNull();
            assertThat(row.get("action").asText()).isEqualTo(call.action());
            assertThat(row.get("actor").asText()).as(call.action()).isEqualTo(call.actor());
            assertThat(row.get("ip").asText()).as(call.action()).isEqualTo("127.0.0.1");
            assertThat(row.get("status").asInt()).as(call.action() + " " + row).isEqualTo(call.status());
            assertThat(row.get("clientKey").isNull() ? null : row.get("clientKey").asText()).as(call.action()).isEqualTo(call.clientKey());
            if (call.target() != null) {
                assertThat(row.get("targets").toString()).as(call.action()).contains("\"" + call.target() + "\"");
            }
            assertThat(rowsOf(requestId)).as("one row for " + call.action()).isEqualTo(1);
            seen.add(call.action());
        });
        assertThat(seen).as("every audited action is exercised here").containsAll(AuditActions.all().values());
        JsonNode imported = rows.get(requestOf("lead_import"));
        assertThat(imported.get("details").get("count").asInt()).isEqualTo(2);
        assertThat(imported.get("details").get("contentType").asText()).isEqualTo("text/csv");
        assertThat(rows.get(requestOf("lead_create")).get("details").get("result").asText()).isEqualTo("imported");
        // never a number, a body or a key in a row
        String all = hub.get("/api/audit-log?limit=1000", "Authorization", ADMIN).body();
        assertThat(all).doesNotContain("7700900301", "7700 900301", "7700900303", "7700900309", "7700900310", "still need us", keyA.substring(10), "\"Cy\"");
    }

    /** A booked appointment of client A, by the Vapi booking tool (a webhook: not audited). */
    private long book() {
        LocalDate day = LocalDate.now(LONDON).plusDays(14).with(TemporalAdjusters.next(DayOfWeek.TUESDAY));
        String body = "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"call-audit\",\"assistantOverrides\":{\"variableValues\":"
                + "{\"clientKey\":\"audit-alpha\"}}},\"toolCallList\":[{\"id\":\"tc-" + UUID.randomUUID() + "\",\"type\":\"function\",\"function\":"
                + "{\"name\":\"bookAppointment\",\"arguments\":" + Jsons.quote("{\"start\":\"" + day + "T10:00\",\"name\":\"Di\",\"phone\":\"07700 900312\","
                + "\"service\":\"Quote\"}") + "}}]}}";
        HttpResponse<String> r = hub.postVapi(body);
        assertThat(r.body()).contains("Booked");
        JsonNode items = Jsons.read(hub.get("/api/appointments?status=booked", "X-API-Key", keyA).body()).get("items");
        return items.get(0).get("id").asLong();
    }

    // ---- the caller's IP ---------------------------------------------------------------------

    @Test
    @Order(2)
    void aTrustedProxysForwardedForNamesTheCallerAndAnyoneElsesIsIgnored() throws Exception {
        Raw viaProxy = raw(PROXY, "PUT", "/api/follow-up-sequences", "{\"paused\":false}", "X-API-Key", keyA,
                "X-Forwarded-For", "192.0.2.1, 198.51.100.7", "X-Request-Id", "lb-req-000123");
        assertThat(viaProxy.status()).as(viaProxy.body()).isEqualTo(200);
        assertThat(viaProxy.requestId()).as("the trusted proxy's request id is kept").isEqualTo("lb-req-000123");

        HttpResponse<String> direct = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/follow-up-sequences")))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"paused\":false}")).header("Content-Type", "application/json"),
                "X-API-Key", keyA, "X-Forwarded-For", "203.0.113.66", "X-Request-Id", "made-up-id-0001");
        assertThat(direct.statusCode()).isEqualTo(200);
        String directId = direct.headers().firstValue("X-Request-Id").orElseThrow();
        assertThat(directId).as("a request id from anyone else is not taken").isNotEqualTo("made-up-id-0001");

        Map<String, JsonNode> rows = rowsByRequest();
        assertThat(rows.get("lb-req-000123").get("ip").asText()).as("the hop the trusted proxy forwards").isEqualTo("198.51.100.7");
        assertThat(rows.get(directId).get("ip").asText()).as("X-Forwarded-For from an untrusted socket is ignored").isEqualTo("127.0.0.1");
    }

    // ---- authentication failures -------------------------------------------------------------

    @Test
    @Order(3)
    void everyAuthenticationFailureIsWrittenWithItsReasonAndNeverTheCredential() {
        String wrongKey = "bh_" + "WrongKey".repeat(5);
        HttpResponse<String> badKey = hub.get("/api/leads", "X-API-Key", wrongKey);
        HttpResponse<String> none = hub.post("/api/opt-outs", "application/json", "{\"phone\":\"07700 900320\"}");
        HttpResponse<String> clientOnAdmin = hub.get("/api/admin/alerts", "X-API-Key", keyB);
        HttpResponse<String> badAdmin = hub.get("/api/dead-letters", "Authorization", "Bearer not-the-admin-token-xyz");
        HttpResponse<String> badVapi = hub.post("/webhooks/vapi", "application/json", "{\"message\":{\"type\":\"status-update\"}}",
                "X-Vapi-Secret", "not-the-vapi-secret");
        assertThat(List.of(badKey.statusCode(), none.statusCode(), clientOnAdmin.statusCode(), badAdmin.statusCode(), badVapi.statusCode()))
                .containsExactly(401, 401, 403, 401, 401);

        Map<String, JsonNode> rows = rowsByRequest();
        Object[][] expected = {
                {badKey, 401, "invalid API key", "GET /api/leads", "X-API-Key"},
                {none, 401, "missing credentials", "POST /api/opt-outs", "none"},
                {clientOnAdmin, 403, "admin only", "GET /api/admin/alerts", "X-API-Key"},
                {badAdmin, 401, "invalid admin token", "GET /api/dead-letters", "Authorization: Bearer"},
                {badVapi, 401, "", "POST /webhooks/vapi", "none"}};
        for (Object[] e : expected) {
            @SuppressWarnings("unchecked")
            HttpResponse<String> r = (HttpResponse<String>) e[0];
            JsonNode row = rows.get(requestId(r));
            assertThat(row).as("the row of " + e[3]).isNotNull();
            assertThat(row.get("action").asText()).isEqualTo("auth_failure");
            assertThat(row.get("actor").asText()).isEqualTo("anonymous");
            assertThat(row.get("clientKey").isNull()).isTrue();
            assertThat(row.get("status").asInt()).isEqualTo(e[1]);
            assertThat(row.get("ip").asText()).isEqualTo("127.0.0.1");
            assertThat(row.get("details").get("reason").asText()).contains((String) e[2]);
            assertThat(row.get("details").get("endpoint").asText()).isEqualTo(e[3]);
            assertThat(row.get("details").get("credential").asText()).isEqualTo(e[4]);
        }
        String all = hub.get("/api/audit-log?action=auth_failure&limit=1000", "Authorization", ADMIN).body();
        assertThat(all).doesNotContain("WrongKey", "not-the-admin-token", "not-the-vapi-secret", keyB.substring(3));
        // an authenticated request to an audited endpoint that the front door refuses is the action's, not an auth failure
        HttpResponse<String> unknownParameter = hub.post("/api/opt-outs?colour=blue", "application/json", "{\"phone\":\"07700 900321\"}",
                "X-API-Key", keyA);
        assertThat(unknownParameter.statusCode()).isEqualTo(400);
        JsonNode row = rowsByRequest().get(requestId(unknownParameter));
        assertThat(row.get("action").asText()).isEqualTo("opt_out_add");
        assertThat(row.get("status").asInt()).isEqualTo(400);
        assertThat(row.get("actor").asText()).isEqualTo("key:" + keyA.substring(0, 10));
    }

    // ---- a failed action ---------------------------------------------------------------------

    @Test
    @Order(4)
    void aFailedActionHasItsRowWithItsStatusAndChangedNothing() {
        String templatesBefore = hub.get("/api/templates", "X-API-Key", keyA).body();
        String settingsBefore = hub.get("/api/clients/audit-alpha/settings", "X-API-Key", keyA).body();
        String optOutsBefore = hub.get("/api/opt-outs?includeInactive=true", "X-API-Key", keyA).body();
        long rowsBefore = count("select count(*) from audit_log");

        HttpResponse<String> template = client("PUT", "/api/templates/confirmation/sms", "{\"body\":\"Hi {{firstName}}\"}");
        HttpResponse<String> settings = client("PUT", "/api/clients/audit-alpha/settings", "{\"slotMinutes\":30,\"colour\":\"blue\"}");
        HttpResponse<String> optOut = hub.post("/api/opt-outs", "application/json", "{\"phone\":\"not a number\"}", "X-API-Key", keyA);
        HttpResponse<String> appointment = client("PATCH", "/api/appointments/999999", "{\"status\":\"cancelled\"}");
        assertThat(List.of(template.statusCode(), settings.statusCode(), optOut.statusCode(), appointment.statusCode())).containsExactly(400, 400, 400, 404);

        Map<String, JsonNode> rows = rowsByRequest();
        Object[][] expected = {{template, "template_update", 400}, {settings, "settings_update", 400}, {optOut, "opt_out_add", 400},
                {appointment, "appointment_update", 404}};
        for (Object[] e : expected) {
            @SuppressWarnings("unchecked")
            HttpResponse<String> r = (HttpResponse<String>) e[0];
            JsonNode row = rows.get(requestId(r));
            assertThat(row).as("the row of the failed " + e[1]).isNotNull();
            assertThat(row.get("action").asText()).isEqualTo(e[1]);
            assertThat(row.get("status").asInt()).isEqualTo(e[2]);
            assertThat(rowsOf(requestId(r))).isEqualTo(1);
        }
        assertThat(count("select count(*) from audit_log")).as("one row per failed request, nothing more").isEqualTo(rowsBefore + 4);
        assertThat(hub.get("/api/templates", "X-API-Key", keyA).body()).isEqualTo(templatesBefore);
        assertThat(hub.get("/api/clients/audit-alpha/settings", "X-API-Key", keyA).body()).isEqualTo(settingsBefore);
        assertThat(hub.get("/api/opt-outs?includeInactive=true", "X-API-Key", keyA).body()).isEqualTo(optOutsBefore);
    }

    // ---- who reads what ----------------------------------------------------------------------

    @Test
    @Order(5)
    void aClientReadsOnlyItsOwnRowsAndAnAdminReadsEveryRow() {
        JsonNode b = Jsons.read(hub.get("/api/audit-log?limit=1000", "X-API-Key", keyB).body()).get("items");
        assertThat(b).isNotEmpty(); // its onboarding
        b.forEach(row -> assertThat(row.get("clientKey").asText()).isEqualTo("audit-beta"));
        Set<String> bIds = new TreeSet<>();
        b.forEach(row -> bIds.add(row.get("requestId").asText()));
        assertThat(bIds).doesNotContainAnyElementsOf(calls.keySet());
        HttpResponse<String> other = hub.get("/api/audit-log?clientKey=audit-alpha", "X-API-Key", keyB);
        assertThat(other.statusCode()).as("another client's log is a 404").isEqualTo(404);

        JsonNode a = Jsons.read(hub.get("/api/audit-log?limit=1000", "X-API-Key", keyA).body()).get("items");
        a.forEach(row -> assertThat(row.get("clientKey").asText()).isEqualTo("audit-alpha"));
        assertThat(a.size()).isGreaterThan(10);

        JsonNode adminA = Jsons.read(hub.get("/api/audit-log?clientKey=audit-alpha&limit=1000", "Authorization", ADMIN).body()).get("items");
        assertThat(adminA.size()).isEqualTo(a.size());
        JsonNode all = Jsons.read(hub.get("/api/audit-log?limit=1000", "Authorization", ADMIN).body()).get("items");
        assertThat(all.size()).isGreaterThan(a.size() + b.size()); // admin-wide rows and auth failures too
        assertThat(all.get(0).get("id").asLong()).as("newest first").isGreaterThan(all.get(1).get("id").asLong());
    }

    @Test
    @Order(6)
    void theListFiltersByActionTimeAndLimit() {
        JsonNode imports = Jsons.read(hub.get("/api/audit-log?action=lead_import", "X-API-Key", keyA).body()).get("items");
        assertThat(imports).hasSize(1);
        assertThat(Jsons.read(hub.get("/api/audit-log?limit=2", "X-API-Key", keyA).body()).get("items")).hasSize(2);
        String tomorrow = LocalDate.now(LONDON).plusDays(1).toString();
        assertThat(Jsons.read(hub.get("/api/audit-log?since=" + tomorrow, "X-API-Key", keyA).body()).get("items")).isEmpty();
        assertThat(Jsons.read(hub.get("/api/audit-log?until=" + tomorrow + "&action=lead_import", "X-API-Key", keyA).body()).get("items")).hasSize(1);
        assertThat(Jsons.read(hub.get("/api/audit-log?until=2020-01-01", "X-API-Key", keyA).body()).get("items")).isEmpty();
        HttpResponse<String> bogus = hub.get("/api/audit-log?action=bogus", "X-API-Key", keyA);
        assertThat(bogus.statusCode()).isEqualTo(400);
        assertThat(bogus.body()).contains("action must be one of");
        assertThat(hub.get("/api/audit-log?limit=0", "X-API-Key", keyA).statusCode()).isEqualTo(400);
        assertThat(hub.get("/api/audit-log?since=" + tomorrow + "&until=2020-01-01", "X-API-Key", keyA).statusCode()).isEqualTo(400);
        assertThat(hub.get("/api/admin/audit-log/verify", "X-API-Key", keyA).statusCode()).as("verify is the admin's").isEqualTo(403);
    }

    // ---- append-only, tamper-evident ---------------------------------------------------------

    @Test
    @Order(7)
    void theDatabaseRefusesToUpdateOrDeleteARow() throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeUpdate("update audit_log set status = 200 where id = 1")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("append-only");
            assertThatThrownBy(() -> s.executeUpdate("delete from audit_log where id = 1")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("append-only");
            assertThatThrownBy(() -> s.executeUpdate("delete from audit_log")).isInstanceOf(SQLException.class).hasMessageContaining("append-only");
            if (kind() == TestDatabase.Kind.POSTGRESQL) {
                assertThatThrownBy(() -> s.executeUpdate("truncate audit_log")).isInstanceOf(SQLException.class).hasMessageContaining("append-only");
            }
        }
        assertThat(verify().get("ok").asBoolean()).isTrue();
    }

    @Test
    @Order(8)
    void aRowChangedOrRemovedBehindTheHubsBackIsNamedByVerify() throws Exception {
        JsonNode ok = verify();
        assertThat(ok.get("ok").asBoolean()).as(ok.toString()).isTrue();
        assertThat(ok.get("rows").asLong()).isEqualTo(count("select count(*) from audit_log"));
        assertThat(ok.get("lastId").asLong()).isEqualTo(ok.get("rows").asLong());
        long changed = Long.parseLong(rowsByRequest().get(requestOf("lead_import")).get("id").asText());
        String original;
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("select details from audit_log where id = " + changed)) {
                rs.next();
                original = rs.getString(1);
            }
            behindTheHubsBack(s, "update audit_log set details = '{\"count\":1}' where id = " + changed);
        }
        JsonNode broken = verify();
        assertThat(broken.get("ok").asBoolean()).isFalse();
        assertThat(broken.get("firstBrokenId").asLong()).isEqualTo(changed);
        assertThat(broken.get("reason").asText()).contains("changed");
        assertThat(broken.get("rows").asLong()).isEqualTo(ok.get("rows").asLong());

        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            behindTheHubsBack(s, "update audit_log set details = '" + original + "' where id = " + changed);
        }
        assertThat(verify().get("ok").asBoolean()).as("put back as it was").isTrue();

        long removed = changed + 1;
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            behindTheHubsBack(s, "delete from audit_log where id = " + removed);
        }
        JsonNode gap = verify();
        assertThat(gap.get("ok").asBoolean()).isFalse();
        assertThat(gap.get("firstBrokenId").asLong()).isEqualTo(removed + 1);
        assertThat(gap.get("reason").asText()).contains("missing");
    }

    /** Runs {@code sql} past the append-only triggers: a superuser disabling them (PostgreSQL), dropping them (SQLite). */
    private void behindTheHubsBack(Statement s, String sql) throws SQLException {
        if (kind() == TestDatabase.Kind.POSTGRESQL) {
            s.execute("alter table audit_log disable trigger audit_log_no_update_delete");
            s.executeUpdate(sql);
            s.execute("alter table audit_log enable trigger audit_log_no_update_delete");
        } else {
            s.execute("drop trigger if exists audit_log_no_update");
            s.execute("drop trigger if exists audit_log_no_delete");
            s.executeUpdate(sql);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    private JsonNode verify() {
        HttpResponse<String> r = hub.get("/api/admin/audit-log/verify", "Authorization", ADMIN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body());
    }

    private void expect(HttpResponse<String> r, String action, String actor, String clientKey, String target) {
        assertThat(r.statusCode()).as(action + ": " + r.body()).isBetween(200, 409);
        calls.put(requestId(r), new Call(action, actor, clientKey, r.statusCode(), target));
    }

    private String requestOf(String action) {
        return calls.entrySet().stream().filter(e -> e.getValue().action().equals(action)).findFirst().orElseThrow().getKey();
    }

    private static String requestId(HttpResponse<String> r) {
        return r.headers().firstValue("X-Request-Id").orElseThrow(() -> new AssertionError("no X-Request-Id on " + r.uri()));
    }

    /** Every row (admin), by request id; the first (newest) of several. */
    private Map<String, JsonNode> rowsByRequest() {
        HttpResponse<String> r = hub.get("/api/audit-log?limit=1000", "Authorization", ADMIN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Map<String, JsonNode> out = new LinkedHashMap<>();
        Jsons.read(r.body()).get("items").forEach(row -> out.putIfAbsent(row.get("requestId").asText(), row));
        return out;
    }

    private long rowsOf(String requestId) {
        return count("select count(*) from audit_log where request_id = '" + requestId.replace("'", "") + "'");
    }

    private long count(String sql) {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> admin(String method, String path, String json) {
        return call(method, path, json, "Authorization", ADMIN);
    }

    private HttpResponse<String> client(String method, String path, String json) {
        return call(method, path, json, "X-API-Key", keyA);
    }

    private HttpResponse<String> call(String method, String path, String json, String header, String value) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub.url(path)))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return hub.send(b, header, value);
    }

    record Raw(int status, String requestId, String body) {
    }

    /** One HTTP/1.1 request from the local address {@code from} (a loopback address other than 127.0.0.1: the trusted proxy). */
    private Raw raw(String from, String method, String path, String json, String... headers) throws Exception {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(from, 0));
            s.connect(new InetSocketAddress("127.0.0.1", hub.port), 5000);
            s.setSoTimeout(30_000);
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + hub.port + "\r\nConnection: close\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n");
            for (int i = 0; i + 1 < headers.length; i += 2) {
                req.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
            }
            OutputStream out = s.getOutputStream();
            out.write(req.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            in.transferTo(got);
            String text = got.toString(StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            List<String> head = new ArrayList<>(List.of(text.substring(0, end).split("\r\n")));
            int status = Integer.parseInt(head.get(0).split(" ")[1]);
            String id = head.stream().filter(h -> h.toLowerCase().startsWith("x-request-id:")).map(h -> h.substring(h.indexOf(':') + 1).trim())
                    .findFirst().orElse(null);
            return new Raw(status, id, text.substring(end + 4));
        }
    }
}
