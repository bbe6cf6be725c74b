package uk.bookinghub.reminders;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RouteTicks;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.TwilioStub;
import uk.bookinghub.support.VapiReports;
import uk.bookinghub.support.VapiStub;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Follow-up sequences through the real routes with the Twilio and Vapi stand-ins and a real SMTP
 * server: each default sequence from the end-of-call report's outcome to the message or re-call it
 * produces (time is moved on by setting a step's due time into the past), each step once, and the
 * sequence stopping when the lead books, opts out or the client pauses. Numbers: drama ranges only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class FollowUpRouteTest {

    private static final AtomicInteger NEXT = new AtomicInteger(900);
    private TestDatabase db;
    private RunningHub hub;
    private TwilioStub twilio;
    private VapiStub vapi;
    private GreenMail smtp;
    private String key;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() {
        db = TestDatabase.create(kind());
        twilio = TwilioStub.start("AC0123456789abcdef0123456789abcdef", "twilio-token");
        vapi = VapiStub.start("vapi-key");
        int smtpPort = RunningHub.freePort();
        smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
        smtp.start();
        Map<String, String> o = new LinkedHashMap<>();
        o.put("twilio.account-sid", "AC0123456789abcdef0123456789abcdef");
        o.put("twilio.auth-token", "twilio-token");
        o.put("twilio.base-url", twilio.baseUrl());
        o.put("mail.host", "127.0.0.1");
        o.put("mail.port", String.valueOf(smtpPort));
        o.put("mail.security", "none");
        o.put("mail.from", "bookings@hub.example.test");
        o.put("vapi.private-key", "vapi-key");
        o.put("vapi.base-url", vapi.baseUrl());
        hub = RunningHub.start(db.hubUrl(), o);
        key = hub.onboard("{\"businessName\":\"Leeds Plumbing\",\"email\":\"office@leeds.example\",\"phone\":\"0113 496 0000\","
                + "\"bookingLink\":\"https://book.example/leeds\",\"smsFromNumber\":\"07700 900999\",\"vapiAssistantId\":\"asst\",\"vapiPhoneNumberId\":\"pn\"}");
        HttpResponse<String> s = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/clients/leeds-plumbing/settings")))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"calling\":{\"windows\":{\"mon\":[[\"00:00\",\"23:59:59\"]],\"tue\":[[\"00:00\",\"23:59:59\"]],"
                        + "\"wed\":[[\"00:00\",\"23:59:59\"]],\"thu\":[[\"00:00\",\"23:59:59\"]],\"fri\":[[\"00:00\",\"23:59:59\"]],\"sat\":[[\"00:00\",\"23:59:59\"]],"
                        + "\"sun\":[[\"00:00\",\"23:59:59\"]]},\"skipBankHolidays\":false,\"maxAttempts\":10}}"))
                .header("Content-Type", "application/json"), "X-API-Key", key);
        assertThat(s.statusCode()).as(s.body()).isEqualTo(200);
    }

    @AfterAll
    void stop() {
        hub.close();
        twilio.close();
        vapi.close();
        smtp.stop();
        db.close();
    }

    private static String mobile() {
        return "+447700900" + String.format("%03d", NEXT.incrementAndGet());
    }

    private long lead(String phone, String email) {
        HttpResponse<String> r = hub.post("/api/leads", "application/json", "{\"name\":\"Ann\",\"phone\":\"" + phone + "\""
                + (email == null ? "" : ",\"email\":\"" + email + "\"") + "}", "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return Jsons.read(r.body()).get("lead").get("id").asLong();
    }

    /** The call with this lead ended with Vapi's reason (and structured data). */
    private void callEnded(long leadId, String callId, String endedReason, String structured) {
        HttpResponse<String> r = hub.postVapi(VapiReports.endOfCall(callId, "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"leeds-plumbing\","
                + "\"leadId\":\"" + leadId + "\"}}", endedReason, structured));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private List<String> steps(long leadId) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select step_no, action, status from retry_queue where lead_id = " + leadId + " order by step_no")) {
            while (rs.next()) {
                out.add(rs.getInt(1) + ":" + rs.getString(2) + ":" + rs.getString(3));
            }
        }
        return out;
    }

    private Duration dueIn(long leadId, int step) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select due_at from retry_queue where lead_id = " + leadId + " and step_no = " + step)) {
            rs.next();
            Object v = rs.getObject(1);
            Instant due = v instanceof java.time.OffsetDateTime o ? o.toInstant() : v instanceof java.sql.Timestamp t ? t.toInstant() : Instant.parse(v.toString());
            return Duration.between(Instant.now(), due);
        }
    }

    /** Time passes: the step is due now. */
    private void due(long leadId, int step) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.executeUpdate("update retry_queue set due_at = " + (kind() == TestDatabase.Kind.POSTGRESQL ? "now() - interval '1 second'" : "'2000-01-01T00:00:00.000Z'")
                    + " where lead_id = " + leadId + " and step_no = " + step);
        }
    }

    @Test
    void noAnswerTextsAfterFiveMinutesThenCallsAgainTwice() throws Exception {
        String phone = mobile();
        long lead = lead(phone, null);
        callEnded(lead, "fu-noanswer-1", "customer-did-not-answer", null);
        assertThat(steps(lead)).containsExactly("1:sms:pending", "2:call:pending", "3:call:pending");
        assertThat(dueIn(lead, 1)).isBetween(Duration.ofMinutes(4), Duration.ofMinutes(6));
        assertThat(dueIn(lead, 2)).isBetween(Duration.ofMinutes(115), Duration.ofMinutes(125));
        assertThat(dueIn(lead, 3)).isBetween(Duration.ofHours(23), Duration.ofHours(25));

        due(lead, 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> !twilio.sentTo(phone).isEmpty());
        String sms = twilio.sentTo(phone).get(0).body();
        assertThat(sms).contains("Leeds Plumbing", "https://book.example/leeds", "Reply STOP to opt out").doesNotContain("{{");
        assertThat(steps(lead)).startsWith("1:sms:done");

        due(lead, 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> !vapi.callsTo(phone).isEmpty());
        assertThat(steps(lead).get(1)).isEqualTo("2:call:done");
        // the re-call goes unanswered too: no second sequence (each step once per lead); step 3 still waits
        callEnded(lead, vapi.callsTo(phone).get(0).callId(), "customer-did-not-answer", null);
        assertThat(steps(lead)).hasSize(3);
        // the follow-up batch runs again (as its cron would) and the sender looks again: still the one SMS
        HttpResponse<String> run = hub.post("/api/admin/follow-ups/run", "application/json", "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
        RouteTicks.await(hub.camel(), "outbox-sender", 3);
        assertThat(twilio.sentTo(phone)).hasSize(1);
    }

    @Test
    void voicemailTextsTheBookingLinkAndNotInterestedGetsOneEmailAfterThirtyDays() throws Exception {
        String phone = mobile();
        long lead = lead(phone, null);
        callEnded(lead, "fu-vm-1", "voicemail", null);
        assertThat(steps(lead)).containsExactly("1:sms:pending", "2:call:pending");
        assertThat(dueIn(lead, 1)).isBetween(Duration.ofMinutes(9), Duration.ofMinutes(11));
        due(lead, 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> !twilio.sentTo(phone).isEmpty());
        assertThat(twilio.sentTo(phone).get(0).body()).contains("https://book.example/leeds");

        String phone2 = mobile();
        long lead2 = lead(phone2, "cy@customer.example");
        callEnded(lead2, "fu-ni-1", "customer-ended-call", "{\"outcome\":\"not_interested\"}");
        assertThat(steps(lead2)).containsExactly("1:email:pending");
        assertThat(dueIn(lead2, 1)).isBetween(Duration.ofDays(29), Duration.ofDays(31));
        due(lead2, 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> java.util.Arrays.stream(smtp.getReceivedMessages()).anyMatch(m -> {
            try {
                return m.getAllRecipients()[0].toString().equals("cy@customer.example");
            } catch (Exception e) {
                return false;
            }
        }));
        assertThat(twilio.sentTo(phone2)).isEmpty();
    }

    @Test
    void aCallbackIsMadeWhenTheCallerAskedForIt() throws Exception {
        long lead = lead(mobile(), null);
        Instant at = Instant.now().plus(Duration.ofHours(3)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        callEnded(lead, "fu-cb-1", "customer-ended-call", "{\"outcome\":\"callback_requested\",\"callbackAt\":\"" + at + "\"}");
        assertThat(steps(lead)).containsExactly("1:call:pending");
        assertThat(dueIn(lead, 1)).isBetween(Duration.ofMinutes(175), Duration.ofMinutes(181));
        long lead2 = lead(mobile(), null);
        callEnded(lead2, "fu-cb-2", "customer-ended-call", "{\"outcome\":\"callback_requested\"}");
        assertThat(dueIn(lead2, 1)).isBetween(Duration.ofHours(23), Duration.ofHours(25)); // next day
    }

    @Test
    void theSequenceStopsWhenTheLeadBooksOrOptsOutOrTheClientPauses() throws Exception {
        // booking
        String p1 = mobile();
        long booker = lead(p1, null);
        callEnded(booker, "fu-stop-1", "customer-did-not-answer", null);
        HttpResponse<String> book = hub.postVapi("{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"fu-stop-1b\",\"assistantOverrides\":{\"variableValues\":"
                + "{\"clientKey\":\"leeds-plumbing\",\"leadId\":\"" + booker + "\"}}},\"toolCallList\":[{\"id\":\"fu-tc-1\",\"name\":\"bookAppointment\","
                + "\"arguments\":{\"start\":\"" + java.time.LocalDate.now(java.time.ZoneId.of("Europe/London")).plusDays(9)
                .with(java.time.temporal.TemporalAdjusters.next(java.time.DayOfWeek.WEDNESDAY)) + "T10:00\",\"name\":\"Ann\",\"phone\":\"" + p1 + "\"}}]}}");
        assertThat(book.body()).contains("Booked");
        assertThat(steps(booker)).containsExactly("1:sms:cancelled", "2:call:cancelled", "3:call:cancelled");

        // STOP / opt-out
        String p2 = mobile();
        long stopper = lead(p2, null);
        callEnded(stopper, "fu-stop-2", "voicemail", null);
        assertThat(hub.post("/api/opt-outs", "application/json", "{\"phone\":\"" + p2 + "\",\"reason\":\"sms_stop\"}", "X-API-Key", key).statusCode())
                .isIn(200, 201);
        assertThat(steps(stopper)).containsExactly("1:sms:cancelled", "2:call:cancelled");

        // a step that was already due when the lead opted out on another path is stopped when it runs
        String p3 = mobile();
        long paused = lead(p3, null);
        callEnded(paused, "fu-stop-3", "voicemail", null);
        HttpResponse<String> pause = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/follow-up-sequences")))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"paused\":true}")).header("Content-Type", "application/json"), "X-API-Key", key);
        assertThat(pause.statusCode()).as(pause.body()).isEqualTo(200);
        assertThat(steps(paused)).containsExactly("1:sms:cancelled", "2:call:cancelled");
        long afterPause = lead(mobile(), null);
        callEnded(afterPause, "fu-stop-4", "voicemail", null);
        assertThat(steps(afterPause)).isEmpty(); // paused: no new sequence
        hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/follow-up-sequences"))).PUT(HttpRequest.BodyPublishers.ofString("{\"paused\":false}"))
                .header("Content-Type", "application/json"), "X-API-Key", key);
        for (String p : List.of(p1, p2, p3)) {
            JsonNode followUps = Jsons.read(hub.get("/api/messages?kind=follow_up&phone=" + p.replace("+", "%2B"), "X-API-Key", key).body());
            assertThat(followUps.get("total").asInt()).as(p).isZero();
        }
    }

    @Test
    void sequencesAreEditableAndValidated() {
        HttpResponse<String> bad = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/follow-up-sequences")))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"sequences\":{\"no_answer\":[{\"action\":\"fax\",\"after\":\"PT5M\"}],\"angry\":[],"
                        + "\"voicemail\":[{\"action\":\"sms\",\"after\":\"soon\"}]}}")).header("Content-Type", "application/json"), "X-API-Key", key);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("no_answer[0].action", "angry", "voicemail[0].after");
        HttpResponse<String> ok = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/follow-up-sequences")))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"sequences\":{\"no_answer\":[{\"action\":\"sms\",\"after\":\"PT15M\"}]}}"))
                .header("Content-Type", "application/json"), "X-API-Key", key);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        JsonNode got = Jsons.read(hub.get("/api/follow-up-sequences", "X-API-Key", key).body());
        assertThat(got.get("sequences").get("no_answer")).hasSize(1);
        assertThat(got.get("sequences").get("no_answer").get(0).get("after").asText()).isEqualTo("PT15M");
        assertThat(got.get("sequences").get("voicemail")).hasSize(2); // untouched outcomes keep the defaults
        // back to the defaults
        hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/follow-up-sequences"))).PUT(HttpRequest.BodyPublishers.ofString("{}"))
                .header("Content-Type", "application/json"), "X-API-Key", key);
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
    void unreadableSequencesHoldTheClientsFollowUpsWithACriticalAlert() throws Exception {
        String phone = mobile();
        long lead = lead(phone, null);
        callEnded(lead, "fu-unreadable-1", "customer-did-not-answer", null);
        assertThat(steps(lead)).startsWith("1:sms:pending");
        exec("update clients set follow_up_sequences = '{\"sequences\": {\"no_answer\": [{\"action\": \"fax\"}]}}' where client_key = 'leeds-plumbing'");
        try {
            due(lead, 1);
            HttpResponse<String> r = hub.post("/api/admin/follow-ups/run", "application/json", "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(steps(lead)).as("neither sent nor cancelled: it waits").startsWith("1:sms:pending");
            // a call ending now starts nothing from defaults in place of the client's own sequences
            long other = lead(mobile(), null);
            callEnded(other, "fu-unreadable-2", "customer-did-not-answer", null);
            assertThat(steps(other)).isEmpty();
            assertThat(hub.get("/api/follow-up-sequences", "X-API-Key", key).statusCode()).isEqualTo(409);
            await().atMost(Duration.ofSeconds(5)).until(() -> !"0".equals(one("select count(*) from error_log where severity = 'critical' "
                    + "and service = 'follow-ups' and message like '%leeds-plumbing%' and message like '%follow_up_sequences%'")));
            RouteTicks.await(hub.camel(), "outbox-sender", 2);
            assertThat(twilio.sentTo(phone)).isEmpty();
        } finally {
            exec("update clients set follow_up_sequences = null where client_key = 'leeds-plumbing'");
        }
        // saved again (here: back to the defaults): the held step runs
        HttpResponse<String> r = hub.post("/api/admin/follow-ups/run", "application/json", "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(steps(lead)).startsWith("1:sms:done");
    }
}
