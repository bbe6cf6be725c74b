package uk.bookinghub.dialler;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RouteTicks;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.Scrape;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.VapiReports;
import uk.bookinghub.support.VapiStub;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The dialler through the real routes against a local Vapi stand-in: instant leads placed within
 * seconds with the client's assistant and the lead's variables, every compliance rule blocking
 * with its name recorded, the line limit, Vapi's 400 and 5xx, the end-of-call report closing the
 * attempt, and a call with no report marked unknown. Numbers: Ofcom drama ranges only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DiallerRouteTest {

    static final String VAPI_KEY = "vapi-private-test-key";
    /** Always inside the window (the rules' own edges are unit-tested in CallingRulesTest). */
    static final String ALWAYS_OPEN = RunningHub.CALLING_ALWAYS_OPEN;
    private static final AtomicInteger NEXT = new AtomicInteger(500);
    private TestDatabase db;
    private RunningHub hub;
    private VapiStub vapi;
    private String key;
    private String gatedKey;
    private String pairKey;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() {
        db = TestDatabase.create(kind());
        vapi = VapiStub.start(VAPI_KEY);
        Map<String, String> o = new LinkedHashMap<>(RunningHub.diallingTo(vapi, VAPI_KEY, 3));
        hub = RunningHub.start(db.hubUrl(), o);
        key = hub.onboard("{\"businessName\":\"Leeds Plumbing\",\"email\":\"office@leeds.example\",\"phone\":\"0113 496 0000\","
                + "\"vapiAssistantId\":\"asst-leeds\",\"vapiPhoneNumberId\":\"pn-leeds\"}");
        settings("leeds-plumbing", key, "{\"calling\":{" + ALWAYS_OPEN + "}}");
        // a client whose window opens only on a day two days from now, and who requires consent
        String day = LocalDate.now(ZoneId.of("Europe/London")).plusDays(2).getDayOfWeek().name().substring(0, 3).toLowerCase(Locale.ROOT);
        gatedKey = hub.onboard("{\"businessName\":\"Gated Ltd\",\"email\":\"g@gated.example\",\"phone\":\"0113 496 0002\"}");
        settings("gated-ltd", gatedKey, "{\"calling\":{\"windows\":{\"" + day + "\":[[\"09:00\",\"17:00\"]]}}}");
        pairKey = hub.onboard("{\"businessName\":\"Two Lines\",\"email\":\"t@two.example\",\"phone\":\"0113 496 0003\"}");
        settings("two-lines", pairKey, "{\"calling\":{" + ALWAYS_OPEN + ",\"maxConcurrentCalls\":2,\"requireConsent\":true}}");
    }

    @AfterAll
    void stop() {
        hub.close();
        vapi.close();
        db.close();
    }

    @BeforeEach
    void clean() {
        vapi.reset();
    }

    private void settings(String clientKey, String apiKey, String json) {
        HttpResponse<String> r = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/clients/" + clientKey + "/settings")))
                .PUT(HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json"), "X-API-Key", apiKey);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private static String mobile() {
        return "+447700900" + String.format("%03d", NEXT.incrementAndGet());
    }

    private long lead(String apiKey, String json) {
        HttpResponse<String> r = hub.post("/api/leads", "application/json", json, "X-API-Key", apiKey);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return Jsons.read(r.body()).get("lead").get("id").asLong();
    }

    private String one(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private void exec(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.executeUpdate(sql);
        }
    }

    @Test
    void anInstantLeadIsCalledWithinSecondsWithTheClientsAssistantAndTheLeadsVariables() throws Exception {
        String phone = mobile();
        long started = System.nanoTime();
        long leadId = lead(key, "{\"name\":\"Ann\",\"phone\":\"" + phone + "\",\"instant\":true}");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> !vapi.callsTo(phone).isEmpty());
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        VapiStub.CallRequest call = vapi.callsTo(phone).get(0);
        assertThat(call.authorization()).isEqualTo("Bearer " + VAPI_KEY);
        JsonNode body = call.body();
        assertThat(body.get("assistantId").asText()).isEqualTo("asst-leeds");
        assertThat(body.get("phoneNumberId").asText()).isEqualTo("pn-leeds");
        assertThat(body.get("customer").get("number").asText()).isEqualTo(phone);
        JsonNode vars = body.get("assistantOverrides").get("variableValues");
        assertThat(vars.get("name").asText()).isEqualTo("Ann");
        assertThat(vars.get("businessName").asText()).isEqualTo("Leeds Plumbing");
        assertThat(vars.get("clientKey").asText()).isEqualTo("leeds-plumbing");
        assertThat(vars.get("leadId").asText()).isEqualTo(String.valueOf(leadId));

        await().atMost(Duration.ofSeconds(5)).until(() -> "placed".equals(one("select status from dial_attempts where lead_id = " + leadId)));
        assertThat(one("select vapi_call_id from dial_attempts where lead_id = " + leadId)).isEqualTo(call.callId());
        assertThat(one("select status from leads where id = " + leadId)).isEqualTo("calling");
        assertThat(one("select client_id from calls where vapi_call_id = '" + call.callId() + "'")).isNotNull();

        // Vapi's end-of-call report closes the attempt and the lead was contacted
        HttpResponse<String> report = hub.postVapi(VapiReports.endOfCall(call.callId(),
                "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"leeds-plumbing\",\"leadId\":\"" + leadId + "\"}}", "customer-ended-call", null));
        assertThat(report.statusCode()).isEqualTo(200);
        assertThat(one("select status from dial_attempts where lead_id = " + leadId)).isEqualTo("ended");
        assertThat(one("select status from leads where id = " + leadId)).isEqualTo("contacted");
        assertThat(one("select last_contacted_at from leads where id = " + leadId)).isNotNull();
        RouteTicks.await(hub.camel(), "dialler", 3); // more dialler runs: still dialled once
        assertThat(vapi.callsTo(phone)).hasSize(1);

        // the client sees the attempt through the API, with Vapi's call id and how it ended
        JsonNode listed = Jsons.read(hub.get("/api/dial-attempts?leadId=" + leadId, "X-API-Key", key).body());
        assertThat(listed.get("total").asInt()).isEqualTo(1);
        JsonNode attempt = listed.get("items").get(0);
        assertThat(attempt.get("status").asText()).isEqualTo("ended");
        assertThat(attempt.get("attemptNo").asInt()).isEqualTo(1);
        assertThat(attempt.get("vapiCallId").asText()).isEqualTo(call.callId());
        assertThat(attempt.get("detail").asText()).contains("customer-ended-call");
        assertThat(Jsons.read(hub.get("/api/dial-attempts?leadId=" + leadId, "X-API-Key", gatedKey).body()).get("total").asInt())
                .as("another client sees none of them").isZero();
    }

    @Test
    void aCallThatReportsItsEndBeforeTheDiallerRecordedItIsStillClosedAndItsLeadContacted() throws Exception {
        String phone = mobile();
        java.util.concurrent.atomic.AtomicReference<Integer> reportStatus = new java.util.concurrent.atomic.AtomicReference<>();
        // Vapi's report arrives while the dialler is still waiting for the 201 of POST /call
        vapi.beforeAnswering(call -> {
            if (phone.equals(call.path("customer").path("number").asText())) {
                String leadId = call.path("assistantOverrides").path("variableValues").path("leadId").asText();
                reportStatus.set(hub.postVapi(VapiReports.endOfCall(call.get("id").asText(),
                        "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"leeds-plumbing\",\"leadId\":\"" + leadId + "\"}}",
                        "customer-ended-call", null)).statusCode());
            }
        });
        long leadId = lead(key, "{\"name\":\"Quick Quentin\",\"phone\":\"" + phone + "\",\"instant\":true}");
        await().atMost(Duration.ofSeconds(10)).until(() -> "ended".equals(one("select status from dial_attempts where lead_id = " + leadId)));
        assertThat(reportStatus.get()).isEqualTo(200);
        String callId = vapi.callsTo(phone).get(0).callId();
        assertThat(one("select vapi_call_id from dial_attempts where lead_id = " + leadId)).isEqualTo(callId);
        assertThat(one("select detail from dial_attempts where lead_id = " + leadId)).contains("customer-ended-call");
        assertThat(one("select status from leads where id = " + leadId)).isEqualTo("contacted");
        assertThat(one("select last_contacted_at from leads where id = " + leadId)).isNotNull();
        assertThat(one("select report_count from calls where vapi_call_id = '" + callId + "'")).isEqualTo("1");
        RouteTicks.await(hub.camel(), "dialler", 3);
        assertThat(vapi.callsTo(phone)).as("dialled once").hasSize(1);
    }

    @Test
    void eachComplianceRuleBlocksWithItsNameRecorded() throws Exception {
        // calling window: queued, waits for the next opening, never dialled now
        String p1 = mobile();
        long windowLead = lead(gatedKey, "{\"name\":\"Bo\",\"phone\":\"" + p1 + "\",\"instant\":true,\"consent\":\"yes\"}");
        await().atMost(Duration.ofSeconds(5)).until(() -> one("select rule from dial_attempts where lead_id = " + windowLead) != null);
        assertThat(one("select rule from dial_attempts where lead_id = " + windowLead)).isEqualTo("calling_window");
        assertThat(one("select status from leads where id = " + windowLead)).isEqualTo("queued");
        assertThat(one("select next_call_at from leads where id = " + windowLead)).isNotNull();

        // consent required and missing: skipped for good
        String p2 = mobile();
        long noConsent = lead(pairKey, "{\"name\":\"Cy\",\"phone\":\"" + p2 + "\",\"instant\":true}");
        await().atMost(Duration.ofSeconds(5)).until(() -> "skipped".equals(one("select status from leads where id = " + noConsent)));
        assertThat(one("select rule from dial_attempts where lead_id = " + noConsent)).isEqualTo("consent");
        assertThat(one("select status_reason from leads where id = " + noConsent)).contains("consent");

        // premium-rate number (drama range 0909 879xxxx): never dialled
        long premium = lead(key, "{\"name\":\"Di\",\"phone\":\"0909 879 0" + String.format("%03d", NEXT.incrementAndGet()) + "\",\"instant\":true}");
        await().atMost(Duration.ofSeconds(5)).until(() -> "skipped".equals(one("select status from leads where id = " + premium)));
        assertThat(one("select rule from dial_attempts where lead_id = " + premium)).isEqualTo("premium_rate_or_personal");

        // TPS, max attempts, a recent abandoned call, and the opt-out list: set on leads that are not queued yet, then queued
        String p4 = mobile();
        String p5 = mobile();
        String p6 = mobile();
        String p7 = mobile();
        long tps = lead(key, "{\"name\":\"Ed\",\"phone\":\"" + p4 + "\"}");
        long attempts = lead(key, "{\"name\":\"Fay\",\"phone\":\"" + p5 + "\"}");
        long abandoned = lead(key, "{\"name\":\"Gus\",\"phone\":\"" + p6 + "\"}");
        long optedOut = lead(key, "{\"name\":\"Hal\",\"phone\":\"" + p7 + "\"}");
        exec("update leads set tps = " + (kind() == TestDatabase.Kind.SQLITE ? "1" : "true") + " where id = " + tps);
        exec("update leads set call_attempts = 3 where id = " + attempts);
        String hourAgo = kind() == TestDatabase.Kind.SQLITE ? "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour')" : "now() - interval '1 hour'";
        exec("update leads set last_abandoned_at = " + hourAgo + " where id = " + abandoned);
        exec("insert into opt_outs (scope_key, client_id, phone_e164, reason, active, created_at, created_by) values ('client:1', 1, '" + p7
                + "', 'user_request', " + (kind() == TestDatabase.Kind.SQLITE ? "1" : "true") + ", " + (kind() == TestDatabase.Kind.SQLITE ? "'2026-01-01T00:00:00.000Z'" : "now()")
                + ", 'test')");
        exec("update leads set status = 'queued' where id in (" + tps + "," + attempts + "," + abandoned + "," + optedOut + ")");
        await().atMost(Duration.ofSeconds(5)).until(() -> one("select count(*) from dial_attempts where status = 'blocked' and lead_id in ("
                + tps + "," + attempts + "," + abandoned + "," + optedOut + ")").equals("4"));
        assertThat(one("select rule from dial_attempts where lead_id = " + tps)).isEqualTo("tps");
        assertThat(one("select rule from dial_attempts where lead_id = " + attempts)).isEqualTo("max_attempts");
        assertThat(one("select rule from dial_attempts where lead_id = " + abandoned)).isEqualTo("abandoned_redial");
        assertThat(one("select status from leads where id = " + abandoned)).isEqualTo("queued"); // waits out the 72 h
        assertThat(one("select rule from dial_attempts where lead_id = " + optedOut)).isEqualTo("opt_out");
        for (String p : new String[] {p1, p2, p4, p5, p6, p7}) {
            assertThat(vapi.callsTo(p)).as(p).isEmpty();
        }

        // and through the API: the blocks by rule, for the client that owns the leads
        JsonNode blocked = Jsons.read(hub.get("/api/dial-attempts?status=blocked&rule=tps", "X-API-Key", key).body());
        assertThat(blocked.get("items")).extracting(n -> n.get("leadId").asLong()).contains(tps);
        assertThat(blocked.get("items")).allSatisfy(n -> assertThat(n.get("rule").asText()).isEqualTo("tps"));
        assertThat(blocked.get("items").get(0).get("attemptNo").isNull()).as("a block uses no attempt").isTrue();
        JsonNode consent = Jsons.read(hub.get("/api/dial-attempts?leadId=" + noConsent, "X-API-Key", pairKey).body());
        assertThat(consent.get("items").get(0).get("rule").asText()).isEqualTo("consent");
        HttpResponse<String> bad = hub.get("/api/dial-attempts?status=ringing", "X-API-Key", key);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("status must be one of");
        assertThat(hub.get("/api/dial-attempts?leadId=abc", "X-API-Key", key).body()).contains("leadId must be a whole number");
    }

    /**
     * A dial and a block show in the business metrics after they are recorded, with the blocking
     * rule as a label; the call's end-of-call report counts one call by outcome, however often Vapi
     * delivers it.
     */
    @Test
    void dialsBlocksAndEndedCallsAreCountedInTheMetrics() throws Exception {
        Scrape before = Scrape.of(hub);
        String phone = mobile();
        long leadId = lead(key, "{\"name\":\"Mo\",\"phone\":\"" + phone + "\",\"instant\":true}");
        String blocked = mobile();
        long windowLead = lead(gatedKey, "{\"name\":\"Ned\",\"phone\":\"" + blocked + "\",\"instant\":true,\"consent\":\"yes\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> "placed".equals(one("select status from dial_attempts where lead_id = " + leadId))
                && one("select rule from dial_attempts where lead_id = " + windowLead) != null);
        Scrape dialled = Scrape.of(hub);
        assertThat(dialled.value("hub_dialler_decisions_total", "decision", "placed", "rule", "none")
                - before.value("hub_dialler_decisions_total", "decision", "placed", "rule", "none")).isGreaterThanOrEqualTo(1);
        assertThat(dialled.value("hub_dialler_decisions_total", "decision", "blocked", "rule", "calling_window")
                - before.value("hub_dialler_decisions_total", "decision", "blocked", "rule", "calling_window")).isGreaterThanOrEqualTo(1);

        String callId = one("select vapi_call_id from dial_attempts where lead_id = " + leadId);
        String report = VapiReports.endOfCall(callId, "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"leeds-plumbing\",\"leadId\":\"" + leadId + "\"}}",
                "customer-did-not-answer", null);
        assertThat(hub.postVapi(report).statusCode()).isEqualTo(200);
        assertThat(hub.postVapi(report).statusCode()).isEqualTo(200); // Vapi's retry
        await().atMost(Duration.ofSeconds(10)).until(() -> Scrape.of(hub).value("hub_calls_total", "outcome", "no_answer")
                - before.value("hub_calls_total", "outcome", "no_answer") >= 1);
        RouteTicks.await(hub.camel(), "dialler", 2); // the retried report has long been stored and tapped
        Scrape ended = Scrape.of(hub);
        assertThat(ended.value("hub_calls_total", "outcome", "no_answer") - before.value("hub_calls_total", "outcome", "no_answer")).isEqualTo(1);
        assertThat(ended.value("hub_webhook_responses_total", "source", "vapi", "status", "200")
                - before.value("hub_webhook_responses_total", "source", "vapi", "status", "200")).isGreaterThanOrEqualTo(2);
        assertThat(ended.problems()).isEmpty();
    }

    @Test
    void theLineLimitHoldsUntilCallsEnd() throws Exception {
        String[] phones = new String[5];
        long[] leads = new long[5];
        for (int i = 0; i < 5; i++) {
            phones[i] = mobile();
            leads[i] = lead(pairKey, "{\"name\":\"P" + i + "\",\"phone\":\"" + phones[i] + "\",\"consent\":\"yes\",\"instant\":true}");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> vapi.acceptedCount() >= 2);
        RouteTicks.await(hub.camel(), "dialler", 4); // several dialler runs: still two lines busy
        assertThat(vapi.acceptedCount()).isEqualTo(2);
        // the two calls end: two more go out
        for (VapiStub.CallRequest c : vapi.accepted()) {
            hub.postVapi(VapiReports.endOfCall(c.callId(), "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"two-lines\"}}",
                    "customer-ended-call", null));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> vapi.acceptedCount() >= 4);
        RouteTicks.await(hub.camel(), "dialler", 3);
        assertThat(vapi.acceptedCount()).isEqualTo(4);
    }

    /** Vapi creates the call but the answer is lost (a 502 from a gateway): the retry finds it at Vapi and does not dial again. */
    @Test
    void aCallVapiCreatedDespiteAFailedAnswerIsTakenNotDialledTwice() throws Exception {
        int listed = vapi.listQueries();
        String phone = mobile();
        vapi.createThenFailTo(phone, 1, 502);
        long leadId = lead(key, "{\"name\":\"Jo\",\"phone\":\"" + phone + "\",\"instant\":true}");
        await().atMost(Duration.ofSeconds(10)).until(() -> "placed".equals(one("select status from dial_attempts where lead_id = " + leadId)));
        List<VapiStub.CallRequest> posts = vapi.callsTo(phone);
        assertThat(posts).as("one POST /call: the retry fetched the call instead of creating another").hasSize(1);
        assertThat(posts.get(0).httpStatus()).isEqualTo(502);
        String created = posts.get(0).callId();
        assertThat(created).isNotNull();
        assertThat(one("select vapi_call_id from dial_attempts where lead_id = " + leadId)).isEqualTo(created);
        assertThat(one("select count(*) from calls where vapi_call_id = '" + created + "'")).isEqualTo("1");
        assertThat(vapi.listQueries()).as("the hub asked Vapi before retrying").isGreaterThan(listed);
        RouteTicks.await(hub.camel(), "dialler", 3);
        assertThat(vapi.callsTo(phone)).hasSize(1);
    }

    /** Vapi created the call, every retry failed and so did the look-ups before them: the last look-up, before giving up, still takes it. */
    @Test
    void aCallCreatedBeforeEveryRetryFailedIsTakenBeforeGivingUp() throws Exception {
        String phone = mobile();
        vapi.createThenFailTo(phone, 1, 502);
        vapi.failNextTo(phone, 2, 503, "Service Unavailable"); // the test profile retries twice
        vapi.failListNext(2, 500); // and the look-ups before those retries fail too
        long leadId = lead(key, "{\"name\":\"Kit\",\"phone\":\"" + phone + "\",\"instant\":true}");
        await().atMost(Duration.ofSeconds(10)).until(() -> "placed".equals(one("select status from dial_attempts where lead_id = " + leadId)));
        List<VapiStub.CallRequest> posts = vapi.callsTo(phone);
        assertThat(posts).hasSize(3);
        assertThat(posts).extracting(VapiStub.CallRequest::httpStatus).containsExactly(502, 503, 503);
        assertThat(one("select vapi_call_id from dial_attempts where lead_id = " + leadId)).isEqualTo(posts.get(0).callId());
        assertThat(one("select status from leads where id = " + leadId)).isEqualTo("calling");
        RouteTicks.await(hub.camel(), "dialler", 3);
        assertThat(vapi.callsTo(phone)).as("not dialled again").hasSize(3);
    }

    @Test
    void vapiRefusalsAndOutagesAreRecordedAndRetried() throws Exception {
        // 400: the attempt fails with Vapi's own words, no retry
        // (scripted for the lead's own number: a retry of an earlier test's call must not use the script up)
        String p1 = mobile();
        vapi.failNextTo(p1, 1, 400, "assistantId must be a UUID");
        long refused = lead(key, "{\"name\":\"Ivy\",\"phone\":\"" + p1 + "\",\"instant\":true}");
        await().atMost(Duration.ofSeconds(15)).until(() -> "failed".equals(one("select status from dial_attempts where lead_id = " + refused)));
        assertThat(one("select detail from dial_attempts where lead_id = " + refused)).contains("Vapi 400", "assistantId must be a UUID");
        assertThat(one("select status from leads where id = " + refused)).isEqualTo("call_failed");
        assertThat(vapi.callsTo(p1)).hasSize(1);

        // 500 twice, then accepted: placed once, one call at Vapi
        String p2 = mobile();
        vapi.failNextTo(p2, 2, 500, "Internal Server Error");
        long retried = lead(key, "{\"name\":\"Jo\",\"phone\":\"" + p2 + "\",\"instant\":true}");
        await().atMost(Duration.ofSeconds(15)).until(() -> "placed".equals(one("select status from dial_attempts where lead_id = " + retried)));
        assertThat(vapi.callsTo(p2)).hasSize(3);
        assertThat(vapi.callsTo(p2).stream().filter(VapiStub.CallRequest::accepted)).hasSize(1);
        assertThat(one("select count(*) from dial_attempts where lead_id = " + retried)).isEqualTo("1");

        // no end-of-call report within the timeout (3 s here): unknown, and the line is free again
        await().atMost(Duration.ofSeconds(10)).until(() -> "unknown".equals(one("select status from dial_attempts where lead_id = " + retried)));
        assertThat(one("select status from leads where id = " + retried)).isEqualTo("call_unknown");
        assertThat(one("select status from calls where vapi_call_id = (select vapi_call_id from dial_attempts where lead_id = " + retried + ")"))
                .isEqualTo("unknown");
    }

    @Test
    void callingSettingsAreValidatedWithTheBookingSettings() {
        HttpResponse<String> bad = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/clients/leeds-plumbing/settings")))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"calling\":{\"windows\":{\"mon\":[[\"21:00\",\"08:00\"]]},\"maxAttempts\":0,\"maxConcurrentCalls\":0,"
                        + "\"skipBankHoliday\":true}}")).header("Content-Type", "application/json"), "X-API-Key", key);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("windows", "maxAttempts", "maxConcurrentCalls", "skipBankHoliday: unknown field");
        JsonNode s = Jsons.read(hub.get("/api/clients/two-lines/settings", "X-API-Key", pairKey).body()).get("calling");
        assertThat(s.get("maxConcurrentCalls").asInt()).isEqualTo(2);
        assertThat(s.get("requireConsent").asBoolean()).isTrue();
        JsonNode defaults = Jsons.read(hub.get("/api/clients/gated-ltd/settings", "X-API-Key", gatedKey).body()).get("calling");
        assertThat(defaults.get("maxAttempts").asInt()).isEqualTo(3);
        assertThat(defaults.get("maxConcurrentCalls").asInt()).isEqualTo(10);
    }

    private boolean sqlite() {
        return kind() == TestDatabase.Kind.SQLITE;
    }

    @Test
    void unreadableCallingSettingsStopThatClientsDiallingWithACriticalAlertWhileOthersAreCalled() throws Exception {
        String consentKey = hub.onboard("{\"businessName\":\"Consent First\",\"email\":\"c@consent.example\",\"phone\":\"0113 496 0004\"}");
        settings("consent-first", consentKey, "{\"calling\":{" + ALWAYS_OPEN + ",\"requireConsent\":true}}");
        // the row breaks (a bad manual edit, a half-written migration): the defaults would call without consent
        exec("update clients set calling_settings = '{\"requireConsent\": tru' where client_key = 'consent-first'");
        String theirs = mobile();
        String mine = mobile();
        long theirLead = lead(consentKey, "{\"name\":\"Ivy\",\"phone\":\"" + theirs + "\",\"instant\":true}");
        lead(key, "{\"name\":\"Jay\",\"phone\":\"" + mine + "\",\"instant\":true}");
        await().atMost(Duration.ofSeconds(10)).until(() -> !vapi.callsTo(mine).isEmpty()); // other clients carry on
        await().atMost(Duration.ofSeconds(5)).until(() -> !"0".equals(one("select count(*) from error_log where severity = 'critical' and service = 'dialler' "
                + "and message like '%consent-first%' and message like '%calling_settings%'")));
        RouteTicks.await(hub.camel(), "dialler", 2); // a tick or two more
        assertThat(vapi.callsTo(theirs)).as("never dialled from defaults in place of its own rules").isEmpty();
        assertThat(one("select count(*) from dial_attempts where lead_id = " + theirLead)).isEqualTo("0");
        assertThat(one("select status from leads where id = " + theirLead)).isEqualTo("queued");
        assertThat(one("select count(*) from error_log where service = 'dialler' and message like '%consent-first%'"))
                .as("alerted once, not on every tick").isEqualTo("1");
        assertThat(one("select context from error_log where service = 'dialler' and message like '%consent-first%'")).contains("calling_settings");
        JsonNode shown = Jsons.read(hub.get("/api/clients/consent-first/settings", "X-API-Key", consentKey).body());
        assertThat(shown.get("unreadable").toString()).contains("calling_settings");

        // saved again: its own rules apply (consent required and missing: skipped, not dialled)
        settings("consent-first", consentKey, "{\"calling\":{" + ALWAYS_OPEN + ",\"requireConsent\":true}}");
        await().atMost(Duration.ofSeconds(10)).until(() -> "consent".equals(one("select rule from dial_attempts where lead_id = " + theirLead)));
        assertThat(vapi.callsTo(theirs)).isEmpty();
    }

    @Test
    void aReservationThatFailsForAnyOtherReasonIsAnErrorNotAlreadyTaken() throws Exception {
        // the database refuses the attempt row (here a trigger: think disk full, a permissions change)
        if (sqlite()) {
            exec("create trigger refuse_attempt before insert on dial_attempts when new.status = 'dialling' and new.lead_id in "
                    + "(select id from leads where name = 'Refused') begin select raise(abort, 'no space left on device'); end");
        } else {
            exec("create function refuse_attempt() returns trigger language plpgsql as $$ begin if new.status = 'dialling' and new.lead_id in "
                    + "(select id from leads where name = 'Refused') then raise exception 'no space left on device'; end if; return new; end $$");
            exec("create trigger refuse_attempt before insert on dial_attempts for each row execute function refuse_attempt()");
        }
        try {
            String refused = mobile();
            long lead = lead(key, "{\"name\":\"Refused\",\"phone\":\"" + refused + "\",\"instant\":true}");
            await().atMost(Duration.ofSeconds(10)).until(() -> !"0".equals(one("select count(*) from error_log where severity = 'error' and service = 'dialler' "
                    + "and message like '%lead " + lead + "%'")));
            assertThat(one("select message from error_log where service = 'dialler' and message like '%lead " + lead + "%'"))
                    .contains("could not reserve", "no space left on device");
            assertThat(vapi.callsTo(refused)).isEmpty();
            assertThat(one("select status from leads where id = " + lead)).as("rolled back: still waiting for its call").isEqualTo("queued");
        } finally {
            exec("drop trigger refuse_attempt" + (sqlite() ? "" : " on dial_attempts"));
            if (!sqlite()) {
                exec("drop function refuse_attempt()");
            }
        }

        // the unique (lead, attempt) key: another instance has this attempt. Already taken: no error row
        String raced = mobile();
        long other = lead(key, "{\"name\":\"Raced\",\"phone\":\"" + raced + "\"}");
        exec("insert into dial_attempts (client_id, lead_id, attempt_no, status, created_at, updated_at) select client_id, id, 1, 'placed', "
                + "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' from leads where id = " + other);
        exec("update leads set status = 'queued' where id = " + other);
        RouteTicks.await(hub.camel(), "dialler", 3);
        assertThat(vapi.callsTo(raced)).isEmpty();
        // (its old placed attempt has no end-of-call report: that is a vapi error of its own, not a reservation error)
        assertThat(one("select count(*) from error_log where service = 'dialler' and message like '%lead " + other + "%'")).isEqualTo("0");
    }
}
