package uk.bookinghub.quality;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import uk.bookinghub.monitoring.ErrorLog;
import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RouteTicks;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.VapiReports;
import uk.bookinghub.support.VapiStub;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Call quality through the real hub: calls placed by the real dialler at a Vapi stand-in, their
 * end-of-call reports and tool calls sent as Vapi sends them, Vapi failures written through the
 * hub's error log as the Vapi paths write them. The pass over the hour they happened in (the hour
 * is the injected clock: {@code POST /api/admin/quality/run?hour=}) stores exact figures per client
 * and assistant for the hour and the 24 hours, fires exactly the conditions over their thresholds,
 * and pauses the dialler of the client whose abandoned-call rate is over 3 %.
 *
 * <p>Invariants: a rerun of the hour replaces its rows, never adds; while paused, a dial the rules
 * allow is recorded blocked with rule {@code abandoned_rate} and no {@code POST /call} reaches Vapi;
 * the admin's resume dials it at once; the endpoints are the admin's (401 / 403) or the client's own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class QualityRouteTest {

    static final String VAPI_KEY = "vapi-private-test-key";
    static final String ALWAYS_OPEN = "\"windows\":{\"mon\":[[\"00:00\",\"23:59:59\"]],\"tue\":[[\"00:00\",\"23:59:59\"]],\"wed\":[[\"00:00\",\"23:59:59\"]],"
            + "\"thu\":[[\"00:00\",\"23:59:59\"]],\"fri\":[[\"00:00\",\"23:59:59\"]],\"sat\":[[\"00:00\",\"23:59:59\"]],\"sun\":[[\"00:00\",\"23:59:59\"]]},"
            + "\"skipBankHolidays\":false";
    static final String CLIENT = "quality-plumbing";
    static final String OTHER = "control-ltd";
    static final String ADMIN = "Bearer " + RunningHub.ADMIN_TOKEN;

    /**
     * The known hour's dials of {@value #CLIENT}: end-of-call reason (null = no report yet), seconds the
     * call lasted, the assistant its report names. Answered: 0, 1, 2, 5 (abandoned: silence within 5 s),
     * 7, 8 (a long silence is a conversation that ended); not: 3 (no answer), 4 (voicemail), 6 (no report).
     */
    private static final Object[][] DIALS = {
            {"customer-ended-call", 60, "asst-a"},
            {"customer-ended-call", 45, "asst-a"},
            {"assistant-ended-call", 30, "asst-a"},
            {"customer-did-not-answer", 20, "asst-a"},
            {"voicemail", 25, "asst-a"},
            {"silence-timed-out", 3, "asst-a"},
            {null, 0, null},
            {"customer-ended-call", 90, "asst-a2"},
            {"silence-timed-out", 10, "asst-a2"}};

    private TestDatabase db;
    private RunningHub hub;
    private VapiStub vapi;
    private String key;
    private String otherKey;
    private Instant hour;
    private final List<String> callIds = new ArrayList<>();
    private final List<Long> leadIds = new ArrayList<>();
    private JsonNode firstRun;
    private int next = 100;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() throws Exception {
        // the known hour must hold the whole scenario: not started in the last minutes of an hour
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1))
                .until(() -> ChronoUnit.SECONDS.between(Instant.now(), Instant.now().truncatedTo(ChronoUnit.HOURS).plus(Duration.ofHours(1))) > 180);
        db = TestDatabase.create(kind());
        vapi = VapiStub.start(VAPI_KEY);
        Map<String, String> o = new LinkedHashMap<>();
        o.put("vapi.private-key", VAPI_KEY);
        o.put("vapi.base-url", vapi.baseUrl());
        o.put("vapi.assistant-id", "asst-hub");
        o.put("vapi.phone-number-id", "pn-hub");
        o.put("hub.assistants.create-at-onboarding", "false"); // the control client uses the hub-wide assistant
        o.put("hub.quality.min-calls", "2");
        o.put("hub.quality.min-connect-percent", "60");
        o.put("hub.quality.max-abandoned-percent", "3");
        o.put("hub.quality.max-tool-error-percent", "50");
        o.put("hub.quality.max-tool-p95-ms", "60000");
        o.put("hub.quality.max-vapi-failure-percent", "10");
        hub = RunningHub.start(db.hubUrl(), o);
        key = hub.onboard("{\"businessName\":\"Quality Plumbing\",\"email\":\"office@quality.example\",\"phone\":\"0113 496 0100\","
                + "\"vapiAssistantId\":\"asst-a\",\"vapiPhoneNumberId\":\"pn-a\"}");
        settings(CLIENT, key, "{\"calling\":{" + ALWAYS_OPEN + "}}");
        otherKey = hub.onboard("{\"businessName\":\"Control Ltd\",\"email\":\"office@control.example\",\"phone\":\"0113 496 0101\"}");
        hour = Instant.now().truncatedTo(ChronoUnit.HOURS);

        // nine dials by the real dialler, then Vapi's reports of eight of them
        for (int i = 0; i < DIALS.length; i++) {
            leadIds.add(lead(key, "Lead " + i, mobile()));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> "9".equals(one("select count(*) from dial_attempts where status = 'placed'")));
        for (long lead : leadIds) {
            callIds.add(one("select vapi_call_id from dial_attempts where lead_id = " + lead));
        }
        Instant ended = Instant.now().minusSeconds(5);
        for (int i = 0; i < DIALS.length; i++) {
            if (DIALS[i][0] == null) {
                continue;
            }
            Instant began = ended.minusSeconds((Integer) DIALS[i][1]);
            String fields = "\"assistantId\":\"" + DIALS[i][2] + "\",\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"" + CLIENT
                    + "\",\"leadId\":\"" + leadIds.get(i) + "\"}}";
            HttpResponse<String> r = hub.postVapi(VapiReports.endOfCall(callIds.get(i), fields, (String) DIALS[i][0], null, began.toString(), ended.toString()));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }

        // tool calls: three errors and one result on call 0 / 1 (asst-a), one result on call 7 (asst-a2)
        String tomorrow3am = LocalDate.now(ZoneId.of("Europe/London")).plusDays(1) + "T03:00";
        tool(callIds.get(0), "t-1", "bookAppointment", "{}");
        tool(callIds.get(0), "t-2", "cancelAppointment", "{\"phone\":\"+447700900999\"}");
        tool(callIds.get(0), "t-3", "cancelAppointment", "{}");
        tool(callIds.get(1), "t-4", "bookAppointment", "{\"start\":\"" + tomorrow3am + "\",\"name\":\"Ann\",\"phone\":\"+447700900998\"}");
        tool(callIds.get(7), "t-5", "bookAppointment", "{\"start\":\"" + tomorrow3am + "\",\"name\":\"Bea\",\"phone\":\"+447700900997\"}");

        // Vapi failures as the Vapi paths record them (service vapi, the client and the call in the context)
        ErrorLog errors = hub.camel().getRegistry().lookupByNameAndType("errorLog", ErrorLog.class);
        errors.record("error", "vapi", "POST /call refused: 400 assistantId must be a UUID", "dial", Map.of("clientKey", CLIENT, "callId", callIds.get(0)));
        errors.record("error", "vapi", "end-of-call report endedReason pipeline-error-openai-llm-failed", "vapi-webhooks",
                Map.of("clientKey", CLIENT, "callId", callIds.get(1)));
        errors.record("critical", "vapi", "unknown assistant asst-zz", "vapi-webhooks", Map.of("clientKey", CLIENT, "callId", callIds.get(7)));
        errors.record("warning", "vapi", "Vapi answered slowly", "dial", Map.of("clientKey", CLIENT)); // a warning is no failure
        errors.record("error", "dialler", "could not reserve an attempt", "dialler", Map.of("clientKey", CLIENT)); // not Vapi
        errors.record("error", "vapi", "POST /call timed out", "dial", Map.of("clientKey", OTHER)); // another client's

        assertThat(Instant.now().truncatedTo(ChronoUnit.HOURS)).as("the scenario stayed inside its hour").isEqualTo(hour);
        firstRun = run(hour);
    }

    @AfterAll
    void stop() {
        hub.close();
        vapi.close();
        db.close();
    }

    @Test
    @Order(1)
    void theFiguresOfAKnownHourAreExactPerClientAndAssistant() throws Exception {
        Map<String, JsonNode> rows = rows(hub.get("/api/admin/quality?clientKey=" + CLIENT + "&since=" + enc(hour), "Authorization", ADMIN));
        assertThat(rows.keySet()).containsExactlyInAnyOrder("*/1h", "*/24h", "asst-a/1h", "asst-a/24h", "asst-a2/1h", "asst-a2/24h");
        for (String period : List.of("1h", "24h")) {
            // the client's calls all fell in the hour: the 24 hours to its end hold the same
            expect(rows.get("*/" + period), 9, 6, "66.67", 1, "16.67", 5, 3, "60.00", 3, "33.33");
            expect(rows.get("asst-a/" + period), 7, 4, "57.14", 1, "25.00", 4, 3, "75.00", 2, "28.57");
            expect(rows.get("asst-a2/" + period), 2, 2, "100.00", 0, "0.00", 1, 0, "0.00", 1, "50.00");
            assertThat(rows.get("*/" + period).get("toolP95Ms").asInt()).isEqualTo(p95("t-1", "t-2", "t-3", "t-4", "t-5"));
            assertThat(rows.get("asst-a/" + period).get("toolP95Ms").asInt()).isEqualTo(p95("t-1", "t-2", "t-3", "t-4"));
            assertThat(rows.get("asst-a2/" + period).get("toolP95Ms").asInt()).isEqualTo(p95("t-5"));
            assertThat(rows.get("*/" + period).get("hour").asText()).isEqualTo(hour.toString());
        }
        assertThat(one("select count(*) from tool_calls where duration_ms is null")).as("every answer has its duration").isEqualTo("0");
        assertThat(one("select assistant_id from calls where vapi_call_id = '" + callIds.get(6) + "'"))
                .as("a call with no report has the assistant the dialler asked for").isEqualTo("asst-a");
        assertThat(one("select assistant_id from calls where vapi_call_id = '" + callIds.get(7) + "'")).as("the report's assistant wins").isEqualTo("asst-a2");
        HttpResponse<String> status = hub.postVapi("{\"message\":{\"type\":\"status-update\",\"status\":\"in-progress\",\"call\":{\"id\":\"inbound-1\","
                + "\"type\":\"inboundPhoneCall\",\"assistantId\":\"asst-in\",\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"" + CLIENT + "\"}}}}}");
        assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
        assertThat(one("select assistant_id from calls where vapi_call_id = 'inbound-1'")).as("a status update names the assistant too").isEqualTo("asst-in");

        // the other client: its one Vapi failure, on the hub's assistant (it has none of its own), no calls
        Map<String, JsonNode> other = rows(hub.get("/api/admin/quality?clientKey=" + OTHER + "&since=" + enc(hour) + "&period=1h", "Authorization", ADMIN));
        assertThat(other.keySet()).containsExactlyInAnyOrder("*/1h", "asst-hub/1h");
        JsonNode o = other.get("asst-hub/1h");
        assertThat(o.get("dials").asInt()).isZero();
        assertThat(o.get("vapiFailures").asInt()).isEqualTo(1);
        assertThat(o.get("connectPercent").isNull()).isTrue();
        assertThat(o.get("vapiFailurePercent").isNull()).as("no dials: no rate").isTrue();
        assertThat(o.get("toolP95Ms").isNull()).isTrue();
    }

    @Test
    @Order(2)
    void eachThresholdCrossedIsAFiringConditionAndNothingElse() {
        assertThat(firstRun.get("hour").asText()).isEqualTo(hour.toString());
        Set<String> firing = new TreeSet<>();
        firstRun.get("firing").forEach(f -> firing.add(f.get("group").asText()));
        assertThat(firing).containsExactlyInAnyOrder(
                "quality:" + CLIENT + ":asst-a:connect_rate", // 57.14 % < 60 %
                "quality:" + CLIENT + ":asst-a:tool_error_rate", // 75 % > 50 % (asst-a2: 1 tool call, too few to judge)
                "quality:" + CLIENT + ":asst-a:vapi_failure_rate", // 28.57 % > 10 %
                "quality:" + CLIENT + ":asst-a2:vapi_failure_rate", // 50 % > 10 %
                "quality:" + CLIENT + ":*:abandoned_rate"); // 16.67 % > 3 % of 6 live-answered calls
        // per assistant: connect, tool errors, p95, Vapi; per client: abandoned (quality-plumbing 2 assistants, control-ltd 1)
        assertThat(firstRun.get("judged").asInt()).isEqualTo(4 * 2 + 1 + 4 + 1);
        JsonNode abandoned = null;
        for (JsonNode f : firstRun.get("firing")) {
            if (f.get("metric").asText().equals("abandoned_rate")) {
                abandoned = f;
            }
        }
        assertThat(abandoned.get("value").decimalValue()).isEqualByComparingTo("16.67");
        assertThat(abandoned.get("period").asText()).isEqualTo("24h");
        assertThat(abandoned.get("count").asInt()).isEqualTo(1);
        assertThat(firstRun.get("paused")).extracting(JsonNode::asText).containsExactly(CLIENT);
        // each firing condition is an alert of its own group (the alert engine: GET /api/admin/alerts)
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
            JsonNode alerts = Jsons.read(hub.get("/api/admin/alerts?state=firing&limit=1000", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN).body());
            Set<String> groups = new TreeSet<>();
            alerts.get("alerts").forEach(x -> {
                if (x.get("group").asText().startsWith("quality:")) {
                    groups.add(x.get("group").asText());
                }
            });
            return groups.equals(firing);
        });
    }

    @Test
    @Order(3)
    void aRerunOfTheHourReplacesItsRowsAndNeverDoublesThem() throws Exception {
        String before = one("select count(*) from quality_snapshots");
        assertThat(before).isEqualTo("10"); // quality-plumbing: 3 assistants x 2 periods; control-ltd: 2 x 2
        JsonNode again = run(hour);
        assertThat(again.get("snapshots").asInt()).isEqualTo(10);
        assertThat(one("select count(*) from quality_snapshots")).isEqualTo("10");
        assertThat(again.get("paused")).as("already paused: not paused again").isEmpty();
        assertThat(again.get("firing").size()).isEqualTo(firstRun.get("firing").size());
        Map<String, JsonNode> rows = rows(hub.get("/api/admin/quality?clientKey=" + CLIENT + "&since=" + enc(hour), "Authorization", ADMIN));
        expect(rows.get("*/1h"), 9, 6, "66.67", 1, "16.67", 5, 3, "60.00", 3, "33.33");
        assertThat(one("select count(*) from error_log where service = 'dialler' and severity = 'error' and message like '%" + CLIENT + " paused%'"))
                .as("the pause is recorded once").isEqualTo("1");
    }

    @Test
    @Order(4)
    void theClientSeesItsOwnFiguresAndItsPausedDiallerAndNoOneElses() {
        HttpResponse<String> mine = hub.get("/api/quality?since=" + enc(hour), "X-API-Key", key);
        assertThat(mine.statusCode()).as(mine.body()).isEqualTo(200);
        JsonNode m = Jsons.read(mine.body());
        assertThat(m.get("total").asInt()).isEqualTo(6);
        m.get("items").forEach(i -> assertThat(i.get("clientKey").asText()).isEqualTo(CLIENT));
        assertThat(m.get("dialler").get("paused").asBoolean()).isTrue();
        assertThat(m.get("dialler").get("reason").asText()).contains("abandoned-call rate 16.67 %", "1 of 6 live-answered calls");
        assertThat(m.get("thresholds").get("maxAbandonedPercent").decimalValue()).isEqualByComparingTo("3");
        JsonNode theirs = Jsons.read(hub.get("/api/quality?since=" + enc(hour) + "&period=24h", "X-API-Key", otherKey).body());
        assertThat(theirs.get("total").asInt()).isEqualTo(2);
        theirs.get("items").forEach(i -> assertThat(i.get("clientKey").asText()).isEqualTo(OTHER));
        assertThat(theirs.get("dialler").get("paused").asBoolean()).isFalse();
        JsonNode status = Jsons.read(hub.get("/api/dialler", "X-API-Key", key).body());
        assertThat(status.get("paused").asBoolean()).isTrue();
        assertThat(status.get("pausedAt").isNull()).isFalse();

        JsonNode all = Jsons.read(hub.get("/api/admin/quality?since=" + enc(hour) + "&pageSize=5", "Authorization", ADMIN).body());
        assertThat(all.get("total").asInt()).isEqualTo(10);
        assertThat(all.get("items").size()).isEqualTo(5);
        assertThat(all.get("pausedDiallers")).extracting(p -> p.get("clientKey").asText()).containsExactly(CLIENT);
    }

    @Test
    @Order(5)
    void theQualityEndpointsAreTheAdminsAndRefuseBadParameters() {
        for (String path : List.of("/api/admin/quality", "/api/admin/clients/" + CLIENT + "/dialler/resume", "/api/admin/quality/run")) {
            HttpResponse<String> none = path.equals("/api/admin/quality") ? hub.get(path) : hub.post(path, null, "");
            assertThat(none.statusCode()).as(path + " without a token").isEqualTo(401);
            HttpResponse<String> client = path.equals("/api/admin/quality") ? hub.get(path, "X-API-Key", key) : hub.post(path, null, "", "X-API-Key", key);
            // refused whatever the front door's answer for a credential of the wrong kind (today 401: an API key is no admin token)
            assertThat(client.statusCode()).as(path + " with a client's key").isIn(401, 403);
        }
        assertThat(hub.get("/api/quality").statusCode()).isEqualTo(401);
        assertThat(hub.get("/api/dialler").statusCode()).isEqualTo(401);

        bad(hub.get("/api/admin/quality?since=yesterday", "Authorization", ADMIN), 400, "since");
        bad(hub.get("/api/admin/quality?period=2h", "Authorization", ADMIN), 400, "period");
        bad(hub.get("/api/admin/quality?pageSize=0", "Authorization", ADMIN), 400, "pageSize");
        bad(hub.get("/api/admin/quality?since=" + enc(hour) + "&until=" + enc(hour), "Authorization", ADMIN), 400, "until");
        bad(hub.get("/api/admin/quality?clientKey=no-such-client", "Authorization", ADMIN), 404, "no client");
        bad(hub.get("/api/quality?clientKey=" + OTHER, "X-API-Key", key), 400, "clientKey");
        bad(hub.post("/api/admin/quality/run?hour=soon", null, "", "Authorization", ADMIN), 400, "hour");
        bad(hub.post("/api/admin/quality/run?hour=" + enc(hour.plus(Duration.ofMinutes(30))), null, "", "Authorization", ADMIN), 400, "start of an hour");
        bad(hub.post("/api/admin/quality/run?hour=" + enc(hour.plus(Duration.ofHours(2))), null, "", "Authorization", ADMIN), 400, "not begun");
        bad(hub.post("/api/admin/clients/no-such-client/dialler/resume", null, "", "Authorization", ADMIN), 404, "no client");
    }

    @Test
    @Order(6)
    void anAbandonedRateOver3PercentPausesTheDiallerUntilAnAdminResumesIt() throws Exception {
        String phone = mobile();
        long lead = lead(key, "Held", phone);
        await().atMost(Duration.ofSeconds(10)).until(() -> one("select rule from dial_attempts where lead_id = " + lead) != null);
        assertThat(one("select status from dial_attempts where lead_id = " + lead)).isEqualTo("blocked");
        assertThat(one("select rule from dial_attempts where lead_id = " + lead)).isEqualTo("abandoned_rate");
        assertThat(one("select attempt_no from dial_attempts where lead_id = " + lead)).as("a block uses no attempt").isNull();
        RouteTicks.await(hub.camel(), "dialler", 3);
        assertThat(vapi.callsTo(phone)).as("no POST /call while paused").isEmpty();
        assertThat(one("select status from leads where id = " + lead)).isEqualTo("queued");
        assertThat(one("select count(*) from dial_attempts where lead_id = " + lead)).as("recorded once per recheck, not per tick").isEqualTo("1");
        JsonNode blocked = Jsons.read(hub.get("/api/dial-attempts?rule=abandoned_rate", "X-API-Key", key).body());
        assertThat(blocked.get("items")).extracting(n -> n.get("leadId").asLong()).containsExactly(lead);

        HttpResponse<String> resumed = hub.post("/api/admin/clients/" + CLIENT + "/dialler/resume", null, "", "Authorization", ADMIN);
        assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(200);
        JsonNode r = Jsons.read(resumed.body());
        assertThat(r.get("resumed").asBoolean()).isTrue();
        assertThat(r.get("paused").asBoolean()).isFalse();
        assertThat(r.get("released").asInt()).isEqualTo(1);
        assertThat(r.get("wasReason").asText()).contains("abandoned-call rate");
        await().atMost(Duration.ofSeconds(10)).until(() -> !vapi.callsTo(phone).isEmpty());
        await().atMost(Duration.ofSeconds(5)).until(() -> "placed".equals(one("select status from dial_attempts where lead_id = " + lead + " and attempt_no = 1")));
        assertThat(one("select count(*) from error_log where service = 'dialler' and severity = 'warning' and message like '%" + CLIENT + " resumed%'"))
                .as("the resume is recorded").isEqualTo("1");
        assertThat(one("select context from error_log where service = 'dialler' and severity = 'warning' and message like '%" + CLIENT + " resumed%'"))
                .contains("\"released\":1");
        JsonNode status = Jsons.read(hub.get("/api/dialler", "X-API-Key", key).body());
        assertThat(status.get("paused").asBoolean()).isFalse();
        assertThat(status.get("resumedAt").isNull()).isFalse();
        assertThat(Jsons.read(hub.post("/api/admin/clients/" + CLIENT + "/dialler/resume", null, "", "Authorization", ADMIN).body())
                .get("resumed").asBoolean()).as("not paused: nothing to resume").isFalse();

        // the abandoned call before the resume does not pause the dialler again
        JsonNode after = run(hour);
        assertThat(after.get("paused")).isEmpty();
        assertThat(after.get("firing")).extracting(f -> f.get("metric").asText()).doesNotContain("abandoned_rate");
        assertThat(Jsons.read(hub.get("/api/dialler", "X-API-Key", key).body()).get("paused").asBoolean()).isFalse();
    }

    // ---- helpers ------------------------------------------------------------------------------

    private JsonNode run(Instant h) {
        HttpResponse<String> r = hub.post("/api/admin/quality/run?hour=" + enc(h), null, "", "Authorization", ADMIN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body());
    }

    /** The rows of a listing by "assistant/period". */
    private static Map<String, JsonNode> rows(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode i : Jsons.read(r.body()).get("items")) {
            assertThat(out.put(i.get("assistantId").asText() + "/" + i.get("period").asText(), i)).as("one row per key").isNull();
        }
        return out;
    }

    private static void expect(JsonNode row, int dials, int answered, String connect, int abandoned, String abandonedPercent, int tools, int toolErrors,
                               String toolErrorPercent, int vapi, String vapiPercent) {
        assertThat(row.get("dials").asInt()).as("dials").isEqualTo(dials);
        assertThat(row.get("answered").asInt()).as("answered").isEqualTo(answered);
        assertThat(row.get("connectPercent").decimalValue()).as("connectPercent").isEqualByComparingTo(connect);
        assertThat(row.get("abandoned").asInt()).as("abandoned").isEqualTo(abandoned);
        assertThat(row.get("abandonedPercent").decimalValue()).as("abandonedPercent").isEqualByComparingTo(abandonedPercent);
        assertThat(row.get("toolCalls").asInt()).as("toolCalls").isEqualTo(tools);
        assertThat(row.get("toolErrors").asInt()).as("toolErrors").isEqualTo(toolErrors);
        assertThat(row.get("toolErrorPercent").decimalValue()).as("toolErrorPercent").isEqualByComparingTo(toolErrorPercent);
        assertThat(row.get("vapiFailures").asInt()).as("vapiFailures").isEqualTo(vapi);
        assertThat(row.get("vapiFailurePercent").decimalValue()).as("vapiFailurePercent").isEqualByComparingTo(vapiPercent);
    }

    /** Nearest-rank p95 of the stored durations of these tool calls. */
    private int p95(String... toolCallIds) throws Exception {
        List<Integer> ms = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select duration_ms from tool_calls where tool_call_id in ('" + String.join("','", toolCallIds) + "')")) {
            while (rs.next()) {
                ms.add(rs.getInt(1));
            }
        }
        assertThat(ms).hasSize(toolCallIds.length);
        Collections.sort(ms);
        return ms.get((int) Math.ceil(0.95 * ms.size()) - 1);
    }

    private void tool(String callId, String toolCallId, String name, String arguments) {
        String body = "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"" + callId + "\",\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\""
                + CLIENT + "\"}}},\"toolCallList\":[{\"id\":\"" + toolCallId + "\",\"type\":\"function\",\"function\":{\"name\":\"" + name
                + "\",\"arguments\":" + arguments + "}}]}}";
        HttpResponse<String> r = hub.postVapi(body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private static void bad(HttpResponse<String> r, int status, String says) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(Jsons.read(r.body()).get("error").asText()).contains(says);
    }

    private void settings(String clientKey, String apiKey, String json) {
        HttpResponse<String> r = hub.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(hub.url("/api/clients/" + clientKey + "/settings")))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json"), "X-API-Key", apiKey);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private long lead(String apiKey, String name, String phone) {
        HttpResponse<String> r = hub.post("/api/leads", "application/json", "{\"name\":\"" + name + "\",\"phone\":\"" + phone + "\",\"instant\":true}",
                "X-API-Key", apiKey);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return Jsons.read(r.body()).get("lead").get("id").asLong();
    }

    private String mobile() {
        return "+447700900" + String.format("%03d", next++);
    }

    private String one(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static String enc(Instant t) {
        return URLEncoder.encode(t.toString(), StandardCharsets.UTF_8);
    }
}
