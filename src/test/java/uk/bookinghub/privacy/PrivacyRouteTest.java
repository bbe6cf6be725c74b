package uk.bookinghub.privacy;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import uk.bookinghub.support.GoogleCalendarStub;
import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.MovableClock;
import uk.bookinghub.support.RouteTicks;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.TwilioSigner;
import uk.bookinghub.support.TwilioStub;
import uk.bookinghub.support.VapiStub;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.TemporalAdjusters;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * UK GDPR through the real routes, on a hub with every partner stood in (Twilio, SMTP, Google
 * Calendar, Vapi) and a movable clock: a client's export holds every table of its own and nothing of
 * another client's; a person's access request finds them in every table; their erasure leaves no
 * trace of them in any of the client's rows (the Google event rewritten without them), keeps the
 * analytics totals, leaves another client's lead with the same number alone, and suppresses them:
 * a re-import and a web-form lead are refused as {@code suppressed}, and no SMS, email or call
 * reaches them; leads expire (never reached within 90 days, consent older than a year) and come back
 * fresh when re-imported; retention drops old transcripts, recordings and error bodies; Vapi's HMAC
 * signature is accepted, and a wrong or stale one refused. Numbers: Ofcom drama ranges only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class PrivacyRouteTest {

    static final String SID = "AC0123456789abcdef0123456789abcdef";
    static final String TOKEN = "twilio-test-auth-token";
    static final String PUBLIC = "https://hub.example.test";
    static final String ALPHA_NUMBER = "+447700900990";
    static final String CALENDAR = "bookings@alpha.example";
    static final String HMAC_SECRET = "vapi-hmac-test-secret";
    static final ZoneId LONDON = ZoneId.of("Europe/London");
    private static final AtomicInteger NEXT = new AtomicInteger(300);

    private TestDatabase db;
    private RunningHub hub;
    private TwilioStub twilio;
    private GreenMail smtp;
    private GoogleCalendarStub google;
    private VapiStub vapi;
    private final MovableClock clock = new MovableClock();
    private String alpha;
    private String beta;
    private String gated;
    private long alphaId;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() throws Exception {
        db = TestDatabase.create(kind());
        twilio = TwilioStub.start(SID, TOKEN);
        int smtpPort = RunningHub.freePort();
        smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
        smtp.start();
        google = GoogleCalendarStub.start();
        vapi = VapiStub.start("vapi-private-test-key");
        Map<String, String> o = new LinkedHashMap<>(RunningHub.messagingTo(twilio, TOKEN, smtpPort, PUBLIC));
        o.putAll(RunningHub.diallingTo(vapi, "vapi-private-test-key", 600));
        o.put("google.base-url", google.baseUrl());
        o.put("vapi.webhook.hmac-secret", HMAC_SECRET);
        hub = RunningHub.start(db.hubUrl(), o, Map.of("hubClock", clock));
        alpha = hub.onboard("{\"businessName\":\"Privacy Alpha\",\"email\":\"office@alpha.example\",\"phone\":\"0113 496 0200\","
                + "\"smsFromNumber\":\"" + ALPHA_NUMBER + "\",\"bookingLink\":\"https://alpha.example/book\"}");
        beta = hub.onboard("{\"businessName\":\"Privacy Beta\",\"email\":\"office@beta.example\",\"phone\":\"0113 496 0201\"}");
        // a client whose calling window opens only on a day two days from now: its queued leads wait
        String day = LocalDate.now(LONDON).plusDays(2).getDayOfWeek().name().substring(0, 3).toLowerCase(Locale.ROOT);
        gated = hub.onboard("{\"businessName\":\"Privacy Gated\",\"email\":\"office@gated.example\",\"phone\":\"0113 496 0202\"}");
        ok(put("/api/clients/privacy-gated/settings", "{\"calling\":{\"windows\":{\"" + day + "\":[[\"09:00\",\"17:00\"]]}}}", gated));
        ok(put("/api/clients/privacy-alpha/settings", "{\"googleCalendarId\":\"" + CALENDAR + "\",\"calling\":{" + RunningHub.CALLING_ALWAYS_OPEN + "}}", alpha));
        alphaId = Long.parseLong(scalar("select id from clients where client_key = 'privacy-alpha'"));
    }

    @AfterAll
    void stop() {
        hub.close();
        vapi.close();
        google.close();
        twilio.close();
        smtp.stop();
        db.close();
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static String mobile() {
        return "+447700900" + String.format("%03d", NEXT.incrementAndGet());
    }

    /** 07700 900123 for +447700900123: how a person writes it. */
    private static String national(String e164) {
        return "0" + e164.substring(3, 7) + " " + e164.substring(7);
    }

    private static HttpResponse<String> ok(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isBetween(200, 299);
        return r;
    }

    private HttpResponse<String> put(String path, String json, String key) {
        return hub.send(HttpRequest.newBuilder(URI.create(hub.url(path))).PUT(HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json"), "X-API-Key", key);
    }

    private JsonNode post(String path, String json, String key) {
        return Jsons.read(ok(hub.post(path, "application/json", json, "X-API-Key", key)).body());
    }

    private String scalar(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private void exec(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.executeUpdate(sql);
        }
    }

    /** Every value of every row the query returns, as one text (to look for a person in it). */
    private String dump(String sql) throws Exception {
        StringBuilder sb = new StringBuilder();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    sb.append(md.getColumnLabel(i)).append('=').append(rs.getString(i)).append(' ');
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    private long webLead(String key, String json) {
        HttpResponse<String> r = hub.post("/api/leads", "application/json", json, "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return Jsons.read(r.body()).get("lead").get("id").asLong();
    }

    private JsonNode tool(String callId, String name, String args) {
        String body = "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"" + callId + "\",\"assistantOverrides\":{\"variableValues\":"
                + "{\"clientKey\":\"privacy-alpha\"}}},\"toolCallList\":[{\"id\":\"tc-" + callId + "\",\"type\":\"function\",\"function\":{\"name\":\""
                + name + "\",\"arguments\":" + Jsons.quote(args) + "}}]}}";
        HttpResponse<String> r = hub.postVapi(body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body()).get("results").get(0);
    }

    /** An end-of-call report of {@code callId} to {@code number} for {@code clientKey}, with a transcript that names the person. */
    private static String report(String callId, String clientKey, Long leadId, String number, String endedReason, String transcript, Instant endedAt) {
        String vars = "\"clientKey\":\"" + clientKey + "\"" + (leadId == null ? "" : ",\"leadId\":\"" + leadId + "\"");
        return """
                {"message":{"type":"end-of-call-report","endedReason":"%s",
                 "call":{"id":"%s","type":"outboundPhoneCall","customer":{"number":"%s"},"assistantOverrides":{"variableValues":{%s}}},
                 "startedAt":"%s","endedAt":"%s","cost":0.25,
                 "analysis":{"summary":"Spoke with the customer: %s","structuredData":{},"successEvaluation":"true"},
                 "artifact":{"transcript":%s,"recordingUrl":"https://storage.example.com/%s.wav"}}}
                """.formatted(endedReason, callId, number, vars, endedAt.minusSeconds(90), endedAt, transcript.replace("\"", ""),
                Jsons.quote(transcript), callId);
    }

    private HttpResponse<String> postSigned(String path, Map<String, String> params) {
        String sig = TwilioSigner.sign(TOKEN, PUBLIC + path, params);
        return hub.post(path, "application/x-www-form-urlencoded", TwilioSigner.form(params), TwilioSigner.HEADER, sig);
    }

    private JsonNode awaitMessage(long id, String... statuses) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            last[0] = Jsons.read(hub.get("/api/messages/" + id, "X-API-Key", alpha).body());
            assertThat(last[0].get("status").asText()).as(last[0].toString()).isIn((Object[]) statuses);
        });
        return last[0];
    }

    private JsonNode metrics(String key) {
        String from = LocalDate.now(LONDON).minusDays(30).toString();
        String to = LocalDate.now(LONDON).plusDays(1).toString();
        return Jsons.read(ok(hub.get("/api/analytics/metrics?from=" + from + "&to=" + to, "X-API-Key", key)).body());
    }

    /** The client's numbers once the wire-tapped events of what the test did have landed: two reads a second apart that agree. */
    private JsonNode settledMetrics() throws InterruptedException {
        JsonNode last = metrics(alpha);
        for (int i = 0; i < 20; i++) {
            Thread.sleep(1000);
            JsonNode now = metrics(alpha);
            if (now.equals(last)) {
                return now;
            }
            last = now;
        }
        throw new AssertionError("the analytics events did not settle: " + last);
    }

    private LocalDate bookingDay(int weeks) {
        return LocalDate.now(LONDON).plusDays(7).with(TemporalAdjusters.next(DayOfWeek.TUESDAY)).plusWeeks(weeks);
    }

    // ---- export ----------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void theExportHoldsEveryTableOfTheClientAndNothingOfAnother() throws Exception {
        String phone = mobile();
        long lead = webLead(alpha, "{\"name\":\"Xena Exported\",\"phone\":\"" + phone + "\",\"email\":\"xena@customer.example\",\"source\":\"facebook\"}");
        ok(hub.post("/api/opt-outs", "application/json", "{\"phone\":\"" + mobile() + "\"}", "X-API-Key", alpha));
        ok(put("/api/templates/follow_up/sms", "{\"body\":\"Alpha export wording for {{customerName}}\"}", alpha));
        JsonNode booked = tool("exp-call", "bookAppointment", "{\"start\":\"" + bookingDay(0) + "T10:00\",\"name\":\"Xena Exported\",\"phone\":\"" + phone + "\"}");
        assertThat(booked.get("result").asText()).startsWith("Booked");
        ok(hub.postVapi(report("exp-call", "privacy-alpha", lead, phone, "customer-ended-call", "AI: Hello Xena. User: Book me in please.", Instant.now())));
        ok(postSigned("/webhooks/twilio/sms", TwilioSigner.inbound(phone, ALPHA_NUMBER, "Thanks, see you then", null, SID)));
        await().atMost(Duration.ofSeconds(20)).until(() -> !twilio.sentTo(phone).isEmpty()); // the booking's confirmation
        // another client's customer
        webLead(beta, "{\"name\":\"Beta Onlyname\",\"phone\":\"+447700900888\",\"email\":\"beta-only@customer.example\"}");

        HttpResponse<String> r = hub.get("/api/clients/privacy-alpha/export", "X-API-Key", alpha);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(r.headers().firstValue("Content-Disposition").orElse("")).contains("export-privacy-alpha-");
        assertThat(r.body()).doesNotContain("Beta Onlyname").doesNotContain("+447700900888").doesNotContain("beta-only@");
        JsonNode export = Jsons.read(r.body());
        assertThat(export.get("complete").asBoolean()).isTrue();
        assertThat(export.get("client").get("clientKey").asText()).isEqualTo("privacy-alpha");
        assertThat(export.get("settings").get("googleCalendarId").asText()).isEqualTo(CALENDAR);
        assertThat(export.get("templates").toString()).contains("Alpha export wording");
        assertThat(export.get("analyticsSummary").has("total_calls")).isTrue();
        assertThat(export.get("leads").toString()).contains("Xena Exported", phone, "xena@customer.example", "facebook");
        JsonNode first = export.get("leads").get(0);
        assertThat(first.has("dedupeNo")).as("internal keys are not exported").isFalse();
        assertThat(first.get("smsCapable").isBoolean()).isTrue();
        assertThat(first.get("attributes").isObject()).isTrue();
        assertThat(export.get("appointments").toString()).contains("Xena Exported");
        assertThat(export.get("calls").toString()).contains("Hello Xena", "exp-call.wav");
        assertThat(export.get("messages").toString()).contains(phone);
        assertThat(export.get("inboundMessages").toString()).contains("Thanks, see you then");
        assertThat(export.get("optOuts").size()).isGreaterThanOrEqualTo(1);
        for (String section : List.of("optOuts", "leads", "appointments", "calls", "messages", "inboundMessages")) {
            assertThat(export.get(section).size()).as(section).isGreaterThan(0);
            assertThat(export.get("counts").get(section).asLong()).as("counts." + section).isEqualTo(export.get(section).size());
        }
        assertThat(export.get("leads").size()).isEqualTo(Integer.parseInt(scalar("select count(*) from leads where client_id = " + alphaId)));

        // an admin may export any client; another client's key learns nothing (404), nor does an unknown client
        HttpResponse<String> admin = hub.get("/api/clients/privacy-alpha/export", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(admin.statusCode()).isEqualTo(200);
        assertThat(Jsons.read(admin.body()).get("leads").size()).isEqualTo(export.get("leads").size());
        HttpResponse<String> other = hub.get("/api/clients/privacy-alpha/export", "X-API-Key", beta);
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(other.body()).doesNotContain("Xena");
        assertThat(hub.get("/api/clients/nobody-here/export", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN).statusCode()).isEqualTo(404);
    }

    // ---- access and erasure ----------------------------------------------------------------------------

    @Test
    @Order(2)
    void accessFindsThePersonEverywhereAndErasureLeavesNoTraceKeepsTheCountsAndSuppressesThem() throws Exception {
        String phone = "+447700900777";
        String email = "petra.person@customer.example";
        long lead = webLead(alpha, "{\"name\":\"Petra Erasable\",\"phone\":\"" + national(phone) + "\",\"email\":\"" + email + "\",\"source\":\"google\","
                + "\"consent\":\"yes\",\"notes\":\"Petra's dog is called Rex\"}");
        long otherClientsLead = webLead(beta, "{\"name\":\"Petra Other\",\"phone\":\"" + phone + "\"}");
        // an import that names her number in its report (already a lead)
        ok(hub.post("/api/import-leads", "text/csv", "name,phone\nPetra Again," + national(phone) + "\n", "X-API-Key", alpha));
        // she books during a call; the confirmation goes by SMS and email; the call ends with its report
        JsonNode booked = tool("erase-call", "bookAppointment", "{\"start\":\"" + bookingDay(1) + "T11:00\",\"name\":\"Petra Erasable\",\"phone\":\""
                + phone + "\",\"email\":\"" + email + "\",\"notes\":\"side gate code 1234\"}");
        assertThat(booked.get("result").asText()).startsWith("Booked");
        long appointment = Long.parseLong(scalar("select id from appointments where tool_call_id = 'tc-erase-call'"));
        ok(hub.postVapi(report("erase-call", "privacy-alpha", lead, phone, "customer-ended-call", "AI: Hello Petra Erasable. User: Yes, Thursday.", Instant.now())));
        await().atMost(Duration.ofSeconds(20)).until(() -> !twilio.sentTo(phone).isEmpty() && smtp.getReceivedMessages().length > 0);
        String sid = twilio.sentTo(phone).get(0).sid();
        ok(postSigned("/webhooks/twilio/status", TwilioSigner.statusCallback(sid, "delivered", null, SID, ALPHA_NUMBER, phone)));
        ok(postSigned("/webhooks/twilio/sms", TwilioSigner.inbound(phone, ALPHA_NUMBER, "Hi, it's Petra, running late", null, SID)));
        await().atMost(Duration.ofSeconds(20)).until(() -> "synced".equals(scalar("select calendar_status from appointments where id = " + appointment)));
        await().atMost(Duration.ofSeconds(20)).until(() -> "0".equals(scalar("select count(*) from messages where client_id = " + alphaId
                + " and status in ('queued', 'sending')")));
        await().atMost(Duration.ofSeconds(20)).until(() -> metrics(alpha),
                m -> m.get("appointments_booked").asInt() >= 2 && m.get("total_calls").asInt() >= 2);
        JsonNode before = settledMetrics();

        // access: everything the hub holds of her for this client (found by her number as she writes it)
        JsonNode access = post("/api/privacy/access", "{\"phone\":\"" + national(phone) + "\"}", alpha);
        assertThat(access.get("suppressed").asBoolean()).isFalse();
        assertThat(access.get("identifiers").get("emails").toString()).contains(email); // followed from her lead
        assertThat(access.get("leads")).hasSize(1);
        assertThat(access.get("leads").get(0).get("name").asText()).isEqualTo("Petra Erasable");
        assertThat(access.get("calls").toString()).contains("Hello Petra Erasable");
        assertThat(access.get("messages").size()).isGreaterThanOrEqualTo(2); // the confirmation by SMS and by email
        assertThat(access.get("messages").toString()).contains(email);
        assertThat(access.get("inboundMessages").toString()).contains("running late");
        assertThat(access.get("appointments").toString()).contains("side gate code");
        assertThat(access.get("toolCalls").size()).isGreaterThanOrEqualTo(1);
        assertThat(access.toString()).doesNotContain("Petra Other"); // another client's lead with her number
        // the admin names the client; another client cannot ask for hers
        JsonNode byAdmin = Jsons.read(ok(hub.post("/api/privacy/access", "application/json", "{\"clientKey\":\"privacy-alpha\",\"email\":\"" + email.toUpperCase(Locale.ROOT)
                + "\"}", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN)).body());
        assertThat(byAdmin.get("leads")).hasSize(1);
        assertThat(hub.post("/api/privacy/access", "application/json", "{\"clientKey\":\"privacy-alpha\",\"phone\":\"" + phone + "\"}", "X-API-Key", beta)
                .statusCode()).isEqualTo(404);
        assertThat(hub.post("/api/privacy/access", "application/json", "{\"phone\":\"not a number\"}", "X-API-Key", alpha).statusCode()).isEqualTo(400);
        assertThat(hub.post("/api/privacy/access", "application/json", "{\"phone\":\"" + phone + "\",\"colour\":\"red\"}", "X-API-Key", alpha).body())
                .contains("colour");
        int sentBefore = twilio.sentTo(phone).size();

        // erasure
        JsonNode erased = post("/api/privacy/erasure", "{\"phone\":\"" + phone + "\",\"email\":\"" + email + "\"}", alpha);
        JsonNode counts = erased.get("erased");
        assertThat(counts.get("leads").asInt()).isEqualTo(1);
        assertThat(counts.get("calls").asInt()).isEqualTo(1);
        assertThat(counts.get("messages").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(counts.get("inboundMessages").asInt()).isEqualTo(1);
        assertThat(counts.get("appointments").asInt()).isEqualTo(1);
        assertThat(counts.get("importProblems").asInt()).isEqualTo(1);
        assertThat(erased.get("suppressionsAdded").asInt()).isEqualTo(2);
        assertThat(erased.toString()).doesNotContain("900777").doesNotContain("petra");

        // no trace of her in any of the client's rows, nor in the callbacks Twilio sent about her messages
        String digits = "900777";
        for (String table : List.of("leads", "calls", "messages", "inbound_messages", "appointments", "opt_outs", "dial_attempts", "retry_queue",
                "tool_calls", "lead_imports", "dead_letters", "suppressions", "analytics_events")) {
            String rows = dump("select * from " + table + " where client_id = " + alphaId);
            assertThat(rows).as(table).doesNotContain(digits).doesNotContainIgnoringCase("petra").doesNotContain("side gate");
        }
        assertThat(dump("select * from message_status_events")).doesNotContain(digits);
        assertThat(scalar("select status from leads where id = " + lead)).isEqualTo("erased");
        assertThat(scalar("select source from leads where id = " + lead)).isEqualTo("google"); // the campaign still counts
        // the Google event is written again without her (the slot stays taken in the calendar)
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode event = google.events(CALENDAR).values().stream().filter(e -> e.path("description").asText().contains("Reference " + appointment + "."))
                    .findFirst().orElseThrow();
            assertThat(event.toString()).doesNotContain(digits).doesNotContainIgnoringCase("petra").doesNotContain(email);
            assertThat(event.path("summary").asText()).contains("(erased)");
        });
        // counts kept, identities gone
        JsonNode after = metrics(alpha);
        for (String f : List.of("total_calls", "appointments_booked", "total_cost", "outcomes")) {
            assertThat(after.get(f)).as(f).isEqualTo(before.get(f));
        }
        // another client's lead with the same number is untouched
        JsonNode theirs = Jsons.read(hub.get("/api/leads/" + otherClientsLead, "X-API-Key", beta).body());
        assertThat(theirs.get("name").asText()).isEqualTo("Petra Other");
        assertThat(theirs.get("phone").asText()).isEqualTo(phone);
        assertThat(theirs.get("status").asText()).isEqualTo("new");

        // a second request finds nothing left; access now shows only that she is suppressed
        JsonNode again = post("/api/privacy/erasure", "{\"phone\":\"" + phone + "\"}", alpha);
        assertThat(again.get("erased").get("leads").asInt()).isZero();
        assertThat(again.get("suppressionsAdded").asInt()).isZero();
        JsonNode accessAfter = post("/api/privacy/access", "{\"phone\":\"" + phone + "\"}", alpha);
        assertThat(accessAfter.get("suppressed").asBoolean()).isTrue();
        assertThat(accessAfter.get("leads")).isEmpty();

        // re-imported or sent by a web form, she is refused as suppressed, and nothing is stored
        JsonNode reimport = Jsons.read(ok(hub.post("/api/import-leads", "text/csv", "name,phone,email\nPetra Back," + national(phone) + ",\n"
                + "Someone Else," + mobile() + "," + email + "\n", "X-API-Key", alpha)).body());
        assertThat(reimport.get("suppressed").asInt()).isEqualTo(2);
        assertThat(reimport.get("imported").asInt()).isZero();
        assertThat(reimport.toString()).doesNotContain(digits).doesNotContain(email);
        HttpResponse<String> form = hub.post("/api/leads", "application/json", "{\"name\":\"Petra Form\",\"phone\":\"" + phone + "\",\"instant\":true}",
                "X-API-Key", alpha);
        assertThat(form.statusCode()).as(form.body()).isEqualTo(200);
        assertThat(Jsons.read(form.body()).get("result").asText()).isEqualTo("suppressed");
        assertThat(Jsons.read(form.body()).get("lead").isNull()).isTrue();
        assertThat(dump("select * from leads where client_id = " + alphaId)).doesNotContain(digits).doesNotContain("Petra");
        assertThat(dump("select summary from lead_imports where client_id = " + alphaId)).doesNotContain(digits);

        // nothing reaches her: a message queued to her number or address is skipped, a lead that slipped in is not dialled
        JsonNode queued = post("/api/messages", "{\"kind\":\"follow_up\",\"phone\":\"" + phone + "\",\"email\":\"" + email + "\",\"customerName\":\"P\","
                + "\"idempotencyKey\":\"after-erasure\"}", alpha).get("messages");
        for (JsonNode m : queued) {
            JsonNode done = awaitMessage(m.get("id").asLong(), "skipped", "sent", "delivered", "failed", "dead");
            assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("skipped");
            assertThat(done.get("statusReason").asText()).contains("suppressed");
        }
        long slipped = webLead(alpha, "{\"name\":\"Stand In\",\"phone\":\"" + mobile() + "\"}");
        exec("update leads set phone_e164 = '" + phone + "', status = 'queued' where id = " + slipped);
        await().atMost(Duration.ofSeconds(10)).until(() -> "suppressed".equals(scalar("select rule from dial_attempts where lead_id = " + slipped)));
        assertThat(vapi.callsTo(phone)).isEmpty();
        assertThat(twilio.sentTo(phone)).hasSize(sentBefore);
    }

    @Test
    @Order(3)
    void personRequestsAreRefusedClearly() {
        assertThat(hub.post("/api/privacy/erasure", "application/json", "{}", "X-API-Key", alpha).statusCode()).isEqualTo(400);
        HttpResponse<String> noClient = hub.post("/api/privacy/erasure", "application/json", "{\"phone\":\"" + mobile() + "\"}",
                "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(noClient.statusCode()).isEqualTo(400);
        assertThat(noClient.body()).contains("clientKey");
        assertThat(hub.post("/api/privacy/erasure", "application/json", "{\"email\":\"not-an-address\"}", "X-API-Key", alpha).statusCode()).isEqualTo(400);
        assertThat(hub.post("/api/privacy/erasure", "application/json", "{\"phone\":12}", "X-API-Key", alpha).statusCode()).isEqualTo(400);
        assertThat(hub.post("/api/privacy/erasure", "application/json", "{\"phone\":\"" + mobile() + "\"}").statusCode()).isEqualTo(401);
    }

    // ---- Vapi's HMAC webhook signing ---------------------------------------------------------------------

    private static String hmac(String timestamp, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(HMAC_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
    }

    private HttpResponse<String> signed(String body, String signature, String timestamp) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub.url("/webhooks/vapi"))).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (signature != null) {
            b.header("x-signature", signature);
        }
        if (timestamp != null) {
            b.header("x-timestamp", timestamp);
        }
        return hub.send(b);
    }

    @Test
    @Order(4)
    void vapisHmacSignatureIsAcceptedAndAWrongOrStaleOneRefused() throws Exception {
        String body = "{\"message\":{\"type\":\"hang\",\"call\":{\"id\":\"hmac-call\"}}}";
        String now = String.valueOf(clock.instant().getEpochSecond());
        assertThat(signed(body, hmac(now, body), now).statusCode()).isEqualTo(200);
        assertThat(signed(body, "sha256=" + hmac(now, body), now).statusCode()).isEqualTo(200);
        String millis = String.valueOf(clock.instant().toEpochMilli());
        assertThat(signed(body, hmac(millis, body), millis).statusCode()).isEqualTo(200);
        // a report stored through the signature alone
        String callId = "hmac-report-" + NEXT.incrementAndGet();
        String reportBody = report(callId, "privacy-alpha", null, mobile(), "customer-ended-call", "AI: Hello", clock.instant());
        assertThat(signed(reportBody, hmac(now, reportBody), now).statusCode()).isEqualTo(200);
        assertThat(scalar("select count(*) from calls where vapi_call_id = '" + callId + "'")).isEqualTo("1");

        HttpResponse<String> wrong = signed(body, hmac(now, body + " "), now);
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(Jsons.read(wrong.body()).get("error").asText()).isEqualTo("invalid Vapi signature");
        HttpResponse<String> tampered = signed(body.replace("hang", "status-update"), hmac(now, body), now);
        assertThat(tampered.statusCode()).isEqualTo(401);
        String stale = String.valueOf(clock.instant().minusSeconds(301).getEpochSecond());
        HttpResponse<String> old = signed(body, hmac(stale, body), stale);
        assertThat(old.statusCode()).isEqualTo(401);
        assertThat(old.body()).contains("stale");
        String future = String.valueOf(clock.instant().plusSeconds(600).getEpochSecond());
        assertThat(signed(body, hmac(future, body), future).statusCode()).isEqualTo(401);
        assertThat(signed(body, hmac(now, body), null).statusCode()).isEqualTo(401);
        assertThat(signed(body, "not-hex", now).statusCode()).isEqualTo(401);
        assertThat(signed(body, null, null).statusCode()).isEqualTo(401);
        // the shared secret still works, and a wrong one is not rescued by a good signature
        assertThat(hub.postVapi(body).statusCode()).isEqualTo(200);
        HttpResponse<String> both = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/webhooks/vapi"))).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").header("x-signature", hmac(now, body)).header("x-timestamp", now), "X-Vapi-Secret", "wrong");
        assertThat(both.statusCode()).isEqualTo(401);
    }

    // ---- expiry and retention (the clock moves: last) ---------------------------------------------------

    @Test
    @Order(5)
    void leadsExpireWhenNeverReachedOrTheirConsentIsOldAndComeBackFreshWhenReimported() throws Exception {
        // waiting in the gated client's queue (its window opens in two days)
        String waitingPhone = mobile();
        long waiting = webLead(gated, "{\"name\":\"Wait Long\",\"phone\":\"" + waitingPhone + "\",\"instant\":true}");
        await().atMost(Duration.ofSeconds(10)).until(() -> "calling_window".equals(scalar("select rule from dial_attempts where lead_id = " + waiting)));
        // called, no answer: follow-up steps pending
        String noAnswerPhone = mobile();
        long noAnswer = webLead(alpha, "{\"name\":\"No Answer\",\"phone\":\"" + noAnswerPhone + "\",\"instant\":true}");
        await().atMost(Duration.ofSeconds(10)).until(() -> !vapi.callsTo(noAnswerPhone).isEmpty());
        ok(hub.postVapi(report(vapi.callsTo(noAnswerPhone).get(0).callId(), "privacy-alpha", noAnswer, noAnswerPhone, "customer-did-not-answer", "", Instant.now())));
        await().atMost(Duration.ofSeconds(10)).until(() -> !"0".equals(scalar("select count(*) from retry_queue where lead_id = " + noAnswer + " and status = 'pending'")));
        // called and reached
        String reachedPhone = mobile();
        long reached = webLead(alpha, "{\"name\":\"Reached Person\",\"phone\":\"" + reachedPhone + "\",\"instant\":true}");
        await().atMost(Duration.ofSeconds(10)).until(() -> !vapi.callsTo(reachedPhone).isEmpty());
        ok(hub.postVapi(report(vapi.callsTo(reachedPhone).get(0).callId(), "privacy-alpha", reached, reachedPhone, "customer-ended-call", "AI: Hi", Instant.now())));
        await().atMost(Duration.ofSeconds(10)).until(() -> "contacted".equals(scalar("select status from leads where id = " + reached)));
        // consent given two years ago
        long oldConsent = webLead(alpha, "{\"name\":\"Old Consent\",\"phone\":\"" + mobile() + "\",\"consent\":\"yes\",\"consentAt\":\""
                + LocalDate.now(LONDON).minusYears(2) + "\"}");
        long ukDate = webLead(alpha, "{\"name\":\"Recent Consent\",\"phone\":\"" + mobile() + "\",\"consent\":\"yes\",\"consentAt\":\""
                + LocalDate.now(LONDON).minusDays(10) + "\"}");

        JsonNode first = Jsons.read(ok(hub.post("/api/admin/leads/expire/run", null, "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN)).body());
        assertThat(first.get("byReason").get("consent_expired").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(scalar("select status from leads where id = " + oldConsent)).isEqualTo("expired");
        assertThat(scalar("select status_reason from leads where id = " + oldConsent)).isEqualTo("consent_expired");
        for (long id : List.of(waiting, noAnswer, reached, ukDate)) {
            assertThat(scalar("select status from leads where id = " + id)).as("lead " + id).isNotEqualTo("expired");
        }

        // 91 days on: the dialler and the follow-ups are held while the clock jumps, so the expiry decides first
        hub.camel().getRouteController().stopRoute("dialler");
        hub.camel().getRouteController().stopRoute("follow-ups");
        try {
            clock.advance(Duration.ofDays(91));
            JsonNode later = Jsons.read(ok(hub.post("/api/admin/leads/expire/run", null, "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN)).body());
            assertThat(later.get("byReason").get("not_reached").asInt()).isGreaterThanOrEqualTo(2);
        } finally {
            hub.camel().getRouteController().startRoute("follow-ups");
            hub.camel().getRouteController().startRoute("dialler");
        }
        assertThat(scalar("select status from leads where id = " + waiting)).isEqualTo("expired");
        assertThat(scalar("select status_reason from leads where id = " + waiting)).isEqualTo("not_reached");
        assertThat(scalar("select status from leads where id = " + noAnswer)).isEqualTo("expired");
        assertThat(scalar("select count(*) from retry_queue where lead_id = " + noAnswer + " and status = 'pending'")).isEqualTo("0");
        assertThat(scalar("select count(*) from retry_queue where lead_id = " + noAnswer + " and reason = 'lead expired'")).isNotEqualTo("0");
        assertThat(scalar("select status from leads where id = " + reached)).as("a reached lead does not expire").isEqualTo("contacted");
        assertThat(Jsons.read(hub.get("/api/leads?status=expired", "X-API-Key", alpha).body()).get("items").size()).isGreaterThanOrEqualTo(2);
        RouteTicks.await(hub.camel(), "dialler", 3);
        RouteTicks.await(hub.camel(), "follow-ups", 2);
        assertThat(vapi.callsTo(waitingPhone)).as("an expired lead leaves the queue").isEmpty();
        assertThat(vapi.callsTo(noAnswerPhone)).as("no re-call of the expired lead").hasSize(1);
        assertThat(twilio.sentTo(noAnswerPhone)).as("no follow-up SMS to the expired lead").isEmpty();

        // re-imported with fresh consent: a new lead again, the new row's consent, a fresh 90 days
        String today = LocalDate.ofInstant(clock.instant(), LONDON).toString();
        JsonNode report = Jsons.read(ok(hub.post("/api/import-leads", "text/csv", "name,phone,consent,consent_at\nWait Long," + national(waitingPhone) + ",yes,"
                + today + "\n", "X-API-Key", gated)).body());
        assertThat(report.get("imported").asInt()).as(report.toString()).isEqualTo(1);
        JsonNode back = Jsons.read(hub.get("/api/leads/" + waiting, "X-API-Key", gated).body());
        assertThat(back.get("status").asText()).isEqualTo("new");
        assertThat(back.get("consentAt").asText()).isEqualTo(today);
        assertThat(scalar("select imported_at from leads where id = " + waiting)).isNotNull();
        assertThat(scalar("select next_call_at from leads where id = " + waiting)).isNull();
        ok(hub.post("/api/admin/leads/expire/run", null, "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN));
        assertThat(scalar("select status from leads where id = " + waiting)).as("its expiry clock starts again").isEqualTo("new");
    }

    @Test
    @Order(6)
    void retentionDropsOldTranscriptsRecordingsAndErrorBodiesAndKeepsTheRest() throws Exception {
        Instant now = clock.instant();
        String oldCall = "ret-old-" + NEXT.incrementAndGet();
        String midCall = "ret-mid-" + NEXT.incrementAndGet();
        String newCall = "ret-new-" + NEXT.incrementAndGet();
        ok(hub.postVapi(report(oldCall, "privacy-alpha", null, mobile(), "customer-ended-call", "AI: long ago", now.minus(Duration.ofDays(400)))));
        ok(hub.postVapi(report(midCall, "privacy-alpha", null, mobile(), "customer-ended-call", "AI: some months ago", now.minus(Duration.ofDays(100)))));
        ok(hub.postVapi(report(newCall, "privacy-alpha", null, mobile(), "customer-ended-call", "AI: today", now)));
        exec("insert into error_log (severity, service, message, context, route_id, fingerprint, created_at) values "
                + "('error', 'sms', 'old failure', '{\"body\":\"Hello Tom\"}', 'message-send', 'retention-test', '2020-01-01T00:00:00.000Z')");
        exec("insert into dead_letters (route_id, body, headers, status, created_at) values ('message-send', '{\"text\":\"Hello Tom\"}', '{\"x\":\"1\"}', "
                + "'new', '2020-01-01T00:00:00.000Z')");

        JsonNode run = Jsons.read(ok(hub.post("/api/admin/retention/run", null, "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN)).body());
        assertThat(run.get("transcripts").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(run.get("recordings").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(scalar("select transcript from calls where vapi_call_id = '" + oldCall + "'")).isNull();
        assertThat(scalar("select recording_url from calls where vapi_call_id = '" + oldCall + "'")).isNull();
        assertThat(scalar("select summary from calls where vapi_call_id = '" + oldCall + "'")).isNotNull(); // the call itself stays
        assertThat(scalar("select transcript from calls where vapi_call_id = '" + midCall + "'")).isEqualTo("AI: some months ago");
        assertThat(scalar("select recording_url from calls where vapi_call_id = '" + midCall + "'")).isNull(); // recordings go after 90 days
        assertThat(scalar("select transcript from calls where vapi_call_id = '" + newCall + "'")).isEqualTo("AI: today");
        assertThat(scalar("select recording_url from calls where vapi_call_id = '" + newCall + "'")).isNotNull();
        assertThat(scalar("select context from error_log where fingerprint = 'retention-test'")).isNull();
        assertThat(scalar("select message from error_log where fingerprint = 'retention-test'")).isEqualTo("old failure");
        assertThat(dump("select body, headers from dead_letters where route_id = 'message-send'")).doesNotContain("Hello Tom");
        JsonNode again = Jsons.read(ok(hub.post("/api/admin/retention/run", null, "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN)).body());
        assertThat(again.get("transcripts").asInt()).as("nothing left to drop").isZero();
        assertThat(again.get("deadLetterBodies").asInt()).isZero();
    }
}
