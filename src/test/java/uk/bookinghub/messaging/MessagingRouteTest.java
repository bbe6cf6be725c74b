package uk.bookinghub.messaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
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
import uk.bookinghub.support.TwilioSigner;
import uk.bookinghub.support.TwilioStub;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Messaging through the real routes: the outbox, camel-twilio against a local Twilio stand-in
 * that speaks Twilio's REST API, camel-mail against a real SMTP server (GreenMail), and Twilio's
 * webhooks signed the way Twilio signs them. Numbers: Ofcom drama ranges only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class MessagingRouteTest {

    static final String SID = "AC0123456789abcdef0123456789abcdef";
    static final String TOKEN = "twilio-test-auth-token";
    static final String PUBLIC = "https://hub.example.test";
    static final String CLIENT_NUMBER = "+447700900999";
    private static final AtomicInteger NEXT = new AtomicInteger(100);

    private TestDatabase db;
    private RunningHub hub;
    private TwilioStub twilio;
    private GreenMail smtp;
    private int smtpPort;
    private String key;
    private String otherKey;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() {
        db = TestDatabase.create(kind());
        twilio = TwilioStub.start(SID, TOKEN);
        smtpPort = RunningHub.freePort();
        smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
        smtp.start();
        Map<String, String> o = RunningHub.messagingTo(twilio, TOKEN, smtpPort, PUBLIC);
        // a window of ~2 s of retries, so the SMTP-down test can bring the server back inside it
        o.put("hub.messaging.max-redeliveries", "6");
        o.put("hub.messaging.initial-delay-ms", "100");
        o.put("hub.messaging.max-delay-ms", "400");
        hub = RunningHub.start(db.hubUrl(), o);
        key = hub.onboard("{\"businessName\":\"Leeds Plumbing\",\"email\":\"office@leeds.example\",\"phone\":\"0113 496 0000\","
                + "\"bookingLink\":\"https://book.example/leeds\",\"smsFromNumber\":\"07700 900999\"}");
        otherKey = hub.onboard("{\"businessName\":\"Other Business\",\"email\":\"b@other.example\",\"phone\":\"0113 496 0001\"}");
    }

    @AfterAll
    void stop() {
        hub.close();
        twilio.close();
        smtp.stop();
        db.close();
    }

    @BeforeEach
    void clean() {
        twilio.reset();
    }

    private static String mobile() {
        return "+447700900" + String.format("%03d", NEXT.incrementAndGet());
    }

    private JsonNode queue(String json) {
        HttpResponse<String> r = hub.post("/api/messages", "application/json", json, "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
        return Jsons.read(r.body()).get("messages");
    }

    private JsonNode message(long id) {
        HttpResponse<String> r = hub.get("/api/messages/" + id, "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body());
    }

    private JsonNode awaitStatus(long id, String... statuses) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            last[0] = message(id);
            assertThat(last[0].get("status").asText()).as(last[0].toString()).isIn((Object[]) statuses);
        });
        return last[0];
    }

    private HttpResponse<String> postSigned(String path, Map<String, String> params) {
        String sig = TwilioSigner.sign(TOKEN, PUBLIC + path, params);
        return hub.post(path, "application/x-www-form-urlencoded", TwilioSigner.form(params), TwilioSigner.HEADER, sig);
    }

    @Test
    void confirmationGoesOutBySmsAndEmailWithTheClientsDetails() throws Exception {
        String phone = mobile();
        JsonNode queued = queue("{\"kind\":\"confirmation\",\"phone\":\"" + phone + "\",\"email\":\"ann@customer.example\",\"customerName\":\"Ann\","
                + "\"appointment\":{\"start\":\"2026-12-01T14:30\",\"service\":\"Boiler service\"},\"idempotencyKey\":\"booking-1\"}");
        assertThat(queued).hasSize(2);
        long smsId = queued.get(0).get("id").asLong();
        long emailId = queued.get(1).get("id").asLong();
        assertThat(queued.get(0).get("channel").asText()).isEqualTo("sms");
        assertThat(queued.get(0).get("encoding").asText()).isEqualTo("GSM-7");
        assertThat(queued.get(0).get("segments").asInt()).isBetween(1, 2);

        JsonNode sms = awaitStatus(smsId, "sent");
        assertThat(twilio.sentTo(phone)).hasSize(1);
        TwilioStub.Received at = twilio.sentTo(phone).get(0);
        assertThat(at.from()).isEqualTo(CLIENT_NUMBER);
        assertThat(at.body()).contains("Ann", "Boiler service", "Leeds Plumbing", "Tuesday 1 December", "2:30pm").doesNotContain("{{");
        assertThat(at.body()).doesNotContain("STOP"); // a service message
        assertThat(at.statusCallback()).isEqualTo(PUBLIC + "/webhooks/twilio/status");
        assertThat(at.authorization()).isEqualTo("Basic " + Base64.getEncoder().encodeToString((SID + ":" + TOKEN).getBytes()));
        assertThat(sms.get("providerId").asText()).isEqualTo(at.sid());
        assertThat(sms.get("from").asText()).isEqualTo(CLIENT_NUMBER);

        JsonNode email = awaitStatus(emailId, "sent");
        MimeMessage received = java.util.Arrays.stream(smtp.getReceivedMessages())
                .filter(m -> {
                    try {
                        return m.getAllRecipients()[0].toString().equals("ann@customer.example");
                    } catch (Exception e) {
                        return false;
                    }
                }).findFirst().orElseThrow();
        assertThat(received.getSubject()).contains("Leeds Plumbing");
        assertThat(received.getReplyTo()[0].toString()).isEqualTo("office@leeds.example");
        assertThat(received.getFrom()[0].toString()).isEqualTo("bookings@hub.example.test");
        assertThat(received.getMessageID()).isEqualTo(email.get("providerId").asText());
        MimeMultipart parts = (MimeMultipart) received.getContent();
        assertThat(parts.getContentType()).startsWith("multipart/alternative");
        String plain = null;
        String html = null;
        for (int i = 0; i < parts.getCount(); i++) {
            var part = parts.getBodyPart(i);
            if (part.isMimeType("text/plain")) {
                plain = part.getContent().toString();
            } else if (part.isMimeType("text/html")) {
                html = part.getContent().toString();
            }
        }
        assertThat(plain).contains("Ann", "Boiler service", "2:30pm").doesNotContain("<p>");
        assertThat(html).contains("<p>", "Boiler service");

        // the same booking asked twice: nothing new
        HttpResponse<String> again = hub.post("/api/messages", "application/json", "{\"kind\":\"confirmation\",\"phone\":\"" + phone
                + "\",\"email\":\"ann@customer.example\",\"customerName\":\"Ann\",\"appointment\":{\"start\":\"2026-12-01T14:30\"},\"idempotencyKey\":\"booking-1\"}",
                "X-API-Key", key);
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        assertThat(Jsons.read(again.body()).get("messages").get(0).get("id").asLong()).isEqualTo(smsId);
        RouteTicks.await(hub.camel(), "outbox-sender", 3); // the sender has looked again: still one SMS
        assertThat(twilio.sentTo(phone)).hasSize(1);

        // what a business asks first: what did we send to this number?
        JsonNode list = Jsons.read(hub.get("/api/messages?phone=" + phone.replace("+", "%2B"), "X-API-Key", key).body());
        assertThat(list.get("total").asInt()).isEqualTo(1);
        assertThat(list.get("items").get(0).get("status").asText()).isEqualTo("sent");
        // another client sees none of it
        assertThat(hub.get("/api/messages/" + smsId, "X-API-Key", otherKey).statusCode()).isEqualTo(404);
        assertThat(Jsons.read(hub.get("/api/messages?phone=" + phone.replace("+", "%2B"), "X-API-Key", otherKey).body()).get("total").asInt()).isZero();
    }

    /**
     * A sender that stopped mid-send leaves its claim behind, and whether Twilio took the message is
     * unknown (the answer was lost). The claim is taken again after the lease, and Twilio is asked
     * first (route twilio-message-lookup, List Messages with basic auth): the message it already has
     * is recorded with Twilio's sid and not sent again; the one it does not have is sent once.
     */
    @Test
    void aClaimLeftByAStoppedSenderIsLookedUpAtTwilioAndNotSentTwice() throws Exception {
        String reached = mobile();
        String lost = mobile();
        String body = "Reminder: your boiler service is tomorrow at 9:00am. Leeds Plumbing";
        // the stopped sender's request did reach Twilio: Twilio has the message, the hub never heard back
        var atTwilio = com.twilio.rest.api.v2010.account.Message.creator(new com.twilio.type.PhoneNumber(reached),
                new com.twilio.type.PhoneNumber(CLIENT_NUMBER), body).create(uk.bookinghub.support.TwilioStubClient.restClient(SID, TOKEN, twilio.baseUrl()));
        long before = RouteTicks.finished(List.of(hub.camel()), "twilio-message-lookup");
        long reachedId = abandoned(reached, body);
        long lostId = abandoned(lost, body);

        JsonNode recorded = awaitStatus(reachedId, "sent", "delivered");
        assertThat(recorded.get("providerId").asText()).isEqualTo(atTwilio.getSid());
        assertThat(twilio.sentTo(reached)).hasSize(1); // only the stopped sender's own request
        JsonNode resent = awaitStatus(lostId, "sent", "delivered");
        assertThat(twilio.sentTo(lost)).hasSize(1);
        assertThat(resent.get("providerId").asText()).isEqualTo(twilio.sentTo(lost).get(0).sid());
        assertThat(RouteTicks.finished(List.of(hub.camel()), "twilio-message-lookup") - before).isGreaterThanOrEqualTo(2);
        RouteTicks.await(hub.camel(), "outbox-sender", 3);
        assertThat(twilio.sentTo(reached)).hasSize(1);
        assertThat(twilio.sentTo(lost)).hasSize(1);
    }

    /** An SMS a stopped sender had claimed an hour ago (its lease long over), created a few seconds ago. */
    private long abandoned(String phone, String body) throws Exception {
        uk.bookinghub.store.Dialect dialect = kind() == TestDatabase.Kind.POSTGRESQL ? uk.bookinghub.store.Dialect.POSTGRESQL : uk.bookinghub.store.Dialect.SQLITE;
        Instant now = Instant.now();
        try (Connection c = db.connect(); var ps = c.prepareStatement("insert into messages (client_id, channel, kind, idempotency_key, to_address, body, "
                + "status, status_rank, attempts, next_attempt_at, claimed_at, claimed_by, created_at, updated_at) select id, 'sms', 'reminder_24h', ?, ?, ?, "
                + "'sending', 1, 1, ?, ?, 'stopped-instance', ?, ? from clients where business_name = 'Leeds Plumbing'")) {
            ps.setString(1, "abandoned-" + phone);
            ps.setString(2, phone);
            ps.setString(3, body);
            dialect.setInstant(ps, 4, now.minusSeconds(3600));
            dialect.setInstant(ps, 5, now.minusSeconds(3600));
            dialect.setInstant(ps, 6, now.minusSeconds(5));
            dialect.setInstant(ps, 7, now.minusSeconds(3600));
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
        try (Connection c = db.connect(); var ps = c.prepareStatement("select id from messages where idempotency_key = ?")) {
            ps.setString(1, "abandoned-" + phone);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getLong(1);
            }
        }
    }

    @Test
    void twoTooManyRequestsThenAcceptedIsOneMessageAtTwilio() {
        String phone = mobile();
        twilio.failNext(2, 429, 20429, "Too Many Requests");
        long id = queue("{\"kind\":\"reminder_1h\",\"phone\":\"" + phone + "\",\"customerName\":\"Bo\",\"appointment\":{\"start\":\"2026-12-02T09:00\"}}")
                .get(0).get("id").asLong();
        JsonNode m = awaitStatus(id, "sent");
        assertThat(twilio.sentTo(phone)).hasSize(1);
        assertThat(twilio.received().stream().filter(r -> phone.equals(r.to())).count()).isEqualTo(3);
        // twilio-java may itself repeat a refused request once; the hub's own attempts are what it counts
        assertThat(m.get("attempts").asInt()).isBetween(2, 3);
    }

    @Test
    void recipientWhoRepliedStopIsOptedOutAndNotRetried() {
        String phone = mobile();
        twilio.failFor(phone, 400, 21610, "Attempt to send to unsubscribed recipient");
        long id = queue("{\"kind\":\"reminder_24h\",\"phone\":\"" + phone + "\",\"customerName\":\"Cy\",\"appointment\":{\"start\":\"2026-12-03T09:00\"}}")
                .get(0).get("id").asLong();
        JsonNode m = awaitStatus(id, "failed");
        assertThat(m.get("errorCode").asText()).isEqualTo("21610");
        assertThat(m.get("statusReason").asText()).contains("STOP");
        assertThat(twilio.received().stream().filter(r -> phone.equals(r.to())).count()).isEqualTo(1);
        JsonNode optOuts = Jsons.read(hub.get("/api/opt-outs", "X-API-Key", key).body());
        assertThat(optOuts.toString()).contains(phone, "sms_stop");
        // the next SMS to that number is not even tried
        long next = queue("{\"kind\":\"reminder_1h\",\"phone\":\"" + phone + "\",\"customerName\":\"Cy\",\"appointment\":{\"start\":\"2026-12-03T09:00\"}}")
                .get(0).get("id").asLong();
        assertThat(message(next).get("status").asText()).isEqualTo("skipped");
        assertThat(message(next).get("statusReason").asText()).contains("opted out: sms_stop");
    }

    @Test
    void landlineAnswerMarksTheLeadNotSmsCapable() throws Exception {
        String phone = mobile();
        HttpResponse<String> lead = hub.post("/api/leads", "application/json", "{\"name\":\"Di\",\"phone\":\"" + phone + "\"}", "X-API-Key", key);
        assertThat(lead.statusCode()).as(lead.body()).isIn(200, 201);
        long leadId = Jsons.read(lead.body()).get("lead").get("id").asLong();
        twilio.failFor(phone, 400, 21614, "'To' number is not a valid mobile number");
        long id = queue("{\"kind\":\"confirmation\",\"channels\":[\"sms\"],\"leadId\":" + leadId + ",\"appointment\":{\"start\":\"2026-12-04T10:00\"}}")
                .get(0).get("id").asLong();
        JsonNode m = awaitStatus(id, "failed");
        assertThat(m.get("errorCode").asText()).isEqualTo("21614");
        assertThat(m.get("leadId").asLong()).isEqualTo(leadId);
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select sms_capable from leads where id = " + leadId)) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1)).isFalse();
        }
        assertThat(twilio.received().stream().filter(r -> phone.equals(r.to())).count()).isEqualTo(1);
    }

    @Test
    void serverErrorsForeverMakeADeadLetterThatReplaysOnceAfterRecovery() throws Exception {
        String phone = mobile();
        twilio.failFor(phone, 500, 20500, "Internal Server Error");
        long id = queue("{\"kind\":\"confirmation\",\"phone\":\"" + phone + "\",\"customerName\":\"Ed\",\"appointment\":{\"start\":\"2026-12-05T10:00\"}}")
                .get(0).get("id").asLong();
        JsonNode dead = awaitStatus(id, "dead");
        assertThat(dead.get("attempts").asInt()).isEqualTo(7);
        assertThat(dead.get("statusReason").asText()).contains("retries exhausted", "500");
        assertThat(twilio.sentTo(phone)).isEmpty();

        String admin = "Bearer " + RunningHub.ADMIN_TOKEN;
        assertThat(hub.get("/api/dead-letters").statusCode()).isIn(401, 403);
        JsonNode letters = Jsons.read(hub.get("/api/dead-letters?status=new", "Authorization", admin).body());
        JsonNode letter = null;
        for (JsonNode l : letters.get("items")) {
            if (l.get("messageId").asLong() == id) {
                letter = l;
            }
        }
        assertThat(letter).as(letters.toString()).isNotNull();
        assertThat(letter.get("routeId").asText()).isEqualTo("message-send");
        assertThat(letter.get("body").get("to").asText()).isEqualTo(phone);

        twilio.reset(); // Twilio is back
        long letterId = letter.get("id").asLong();
        HttpResponse<String> first = hub.post("/api/dead-letters/" + letterId + "/replay", "application/json", "", "Authorization", admin);
        HttpResponse<String> second = hub.post("/api/dead-letters/" + letterId + "/replay", "application/json", "", "Authorization", admin);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(second.statusCode()).as(second.body()).isEqualTo(409);
        assertThat(second.body()).contains("already replayed");
        awaitStatus(id, "sent");
        RouteTicks.await(hub.camel(), "outbox-sender", 3); // the sender has looked again: the replay went once
        assertThat(twilio.sentTo(phone)).hasSize(1);
        assertThat(hub.post("/api/dead-letters/999999/replay", "application/json", "", "Authorization", admin).statusCode()).isEqualTo(404);
    }

    @Test
    void smtpDownThenUpDeliversTheEmailOnce() throws Exception {
        smtp.stop();
        long id;
        try {
            id = queue("{\"kind\":\"confirmation\",\"channels\":[\"email\"],\"email\":\"fay@customer.example\",\"customerName\":\"Fay\","
                    + "\"appointment\":{\"start\":\"2026-12-06T10:00\"}}").get(0).get("id").asLong();
            long queued = id;
            // retried while the server is down, and the failure shows in the API meanwhile
            await().atMost(Duration.ofSeconds(10)).until(() -> message(queued).get("attempts").asInt() >= 1);
            JsonNode retrying = message(queued);
            assertThat(retrying.get("status").asText()).isEqualTo("sending");
            assertThat(retrying.get("lastError").asText()).isNotBlank();
        } finally {
            smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
            smtp.start();
        }
        JsonNode m = awaitStatus(id, "sent");
        assertThat(m.get("attempts").asInt()).isGreaterThan(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> smtp.getReceivedMessages().length == 1);
        assertThat(smtp.getReceivedMessages()[0].getAllRecipients()[0].toString()).isEqualTo("fay@customer.example");
    }

    /**
     * A message sent and then delivered shows in the business metrics by channel and status after
     * each is recorded; a repeated callback is not counted again; each Twilio webhook answer is
     * counted by status.
     */
    @Test
    void sentAndDeliveredMessagesAreCountedInTheMetricsOnce() {
        Scrape before = Scrape.of(hub);
        String phone = mobile();
        long id = queue("{\"kind\":\"reminder_1h\",\"phone\":\"" + phone + "\",\"appointment\":{\"start\":\"2026-12-07T10:00\"}}").get(0).get("id").asLong();
        String sid = awaitStatus(id, "sent").get("providerId").asText();
        Scrape sent = Scrape.of(hub);
        assertThat(sent.value("hub_messages_total", "channel", "sms", "status", "sent")
                - before.value("hub_messages_total", "channel", "sms", "status", "sent")).isGreaterThanOrEqualTo(1);

        Map<String, String> delivered = TwilioSigner.statusCallback(sid, "delivered", null, SID, CLIENT_NUMBER, phone);
        assertThat(postSigned("/webhooks/twilio/status", delivered).statusCode()).isEqualTo(200);
        assertThat(postSigned("/webhooks/twilio/status", delivered).statusCode()).isEqualTo(200); // Twilio's retry
        assertThat(hub.post("/webhooks/twilio/status", "application/x-www-form-urlencoded", TwilioSigner.form(delivered)).statusCode()).isEqualTo(403);
        Scrape after = Scrape.of(hub);
        assertThat(after.value("hub_messages_total", "channel", "sms", "status", "delivered")
                - before.value("hub_messages_total", "channel", "sms", "status", "delivered")).isEqualTo(1);
        assertThat(after.value("hub_webhook_responses_total", "source", "twilio", "status", "200")
                - before.value("hub_webhook_responses_total", "source", "twilio", "status", "200")).isEqualTo(2);
        assertThat(after.value("hub_webhook_responses_total", "source", "twilio", "status", "403")
                - before.value("hub_webhook_responses_total", "source", "twilio", "status", "403")).isEqualTo(1);
        assertThat(after.problems()).isEmpty();
    }

    @Test
    void statusCallbacksMoveForwardOnlyAndMustBeSigned() {
        String phone = mobile();
        long id = queue("{\"kind\":\"reminder_1h\",\"phone\":\"" + phone + "\",\"appointment\":{\"start\":\"2026-12-07T10:00\"}}").get(0).get("id").asLong();
        String sid = awaitStatus(id, "sent").get("providerId").asText();

        Map<String, String> delivered = TwilioSigner.statusCallback(sid, "delivered", null, SID, CLIENT_NUMBER, phone);
        // unsigned and mis-signed: 403, nothing changes
        HttpResponse<String> unsigned = hub.post("/webhooks/twilio/status", "application/x-www-form-urlencoded", TwilioSigner.form(delivered));
        assertThat(unsigned.statusCode()).isEqualTo(403);
        HttpResponse<String> wrong = hub.post("/webhooks/twilio/status", "application/x-www-form-urlencoded", TwilioSigner.form(delivered),
                TwilioSigner.HEADER, TwilioSigner.sign("another-token", PUBLIC + "/webhooks/twilio/status", delivered));
        assertThat(wrong.statusCode()).isEqualTo(403);
        Map<String, String> tampered = new LinkedHashMap<>(delivered);
        String sig = TwilioSigner.sign(TOKEN, PUBLIC + "/webhooks/twilio/status", delivered);
        tampered.put("MessageStatus", "failed");
        assertThat(hub.post("/webhooks/twilio/status", "application/x-www-form-urlencoded", TwilioSigner.form(tampered), TwilioSigner.HEADER, sig)
                .statusCode()).isEqualTo(403);
        assertThat(message(id).get("status").asText()).isEqualTo("sent");

        HttpResponse<String> ok = postSigned("/webhooks/twilio/status", delivered);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(ok.headers().firstValue("Content-Type").orElse("")).startsWith("text/xml");
        assertThat(message(id).get("status").asText()).isEqualTo("delivered");
        // late 'sent' and a repeated 'delivered': still delivered
        assertThat(postSigned("/webhooks/twilio/status", TwilioSigner.statusCallback(sid, "sent", null, SID, CLIENT_NUMBER, phone)).statusCode()).isEqualTo(200);
        assertThat(postSigned("/webhooks/twilio/status", delivered).statusCode()).isEqualTo(200);
        assertThat(postSigned("/webhooks/twilio/status", TwilioSigner.statusCallback(sid, "undelivered", "30003", SID, CLIENT_NUMBER, phone)).statusCode())
                .isEqualTo(200);
        JsonNode m = message(id);
        assertThat(m.get("status").asText()).isEqualTo("delivered");
        assertThat(m.get("deliveredAt").isNull()).isFalse();

        // another message: undelivered with Twilio's error code, arriving before 'sent'
        String phone2 = mobile();
        long id2 = queue("{\"kind\":\"reminder_1h\",\"phone\":\"" + phone2 + "\",\"appointment\":{\"start\":\"2026-12-07T10:00\"}}").get(0).get("id").asLong();
        String sid2 = awaitStatus(id2, "sent").get("providerId").asText();
        postSigned("/webhooks/twilio/status", TwilioSigner.statusCallback(sid2, "undelivered", "30003", SID, CLIENT_NUMBER, phone2));
        postSigned("/webhooks/twilio/status", TwilioSigner.statusCallback(sid2, "sent", null, SID, CLIENT_NUMBER, phone2));
        JsonNode m2 = message(id2);
        assertThat(m2.get("status").asText()).isEqualTo("undelivered");
        assertThat(m2.get("errorCode").asText()).isEqualTo("30003");

        // the JSON form: bodySHA256 in the URL, the URL signed alone
        String phone3 = mobile();
        long id3 = queue("{\"kind\":\"reminder_1h\",\"phone\":\"" + phone3 + "\",\"appointment\":{\"start\":\"2026-12-07T10:00\"}}").get(0).get("id").asLong();
        String sid3 = awaitStatus(id3, "sent").get("providerId").asText();
        String json = "{\"MessageSid\":\"" + sid3 + "\",\"MessageStatus\":\"delivered\",\"AccountSid\":\"" + SID + "\"}";
        TwilioSigner.SignedJson signed = TwilioSigner.signJson(TOKEN, PUBLIC + "/webhooks/twilio/status", json);
        String query = signed.url().substring(signed.url().indexOf('?'));
        HttpResponse<String> badBody = hub.post("/webhooks/twilio/status" + query, "application/json", json.replace("delivered", "failed"),
                TwilioSigner.HEADER, signed.signature());
        assertThat(badBody.statusCode()).isEqualTo(403);
        HttpResponse<String> jsonOk = hub.post("/webhooks/twilio/status" + query, "application/json", json, TwilioSigner.HEADER, signed.signature());
        assertThat(jsonOk.statusCode()).as(jsonOk.body()).isEqualTo(200);
        assertThat(message(id3).get("status").asText()).isEqualTo("delivered");
    }

    @Test
    void everyStopKeywordInAnyCaseOptsOutAndCancelsQueuedMarketing() {
        for (String word : List.of("STOP", "stop", " Stop ", "STOPALL", "unsubscribe", "Cancel", "END", "quit", "REVOKE", "optout")) {
            String phone = mobile();
            // a follow-up due in an hour is waiting in the outbox
            long followUp = queue("{\"kind\":\"follow_up\",\"channels\":[\"sms\"],\"phone\":\"" + phone + "\",\"sendAt\":\""
                    + Instant.now().plusSeconds(3600) + "\"}").get(0).get("id").asLong();
            HttpResponse<String> r = postSigned("/webhooks/twilio/sms", TwilioSigner.inbound(phone, CLIENT_NUMBER, word, null, SID));
            assertThat(r.statusCode()).as(word + ": " + r.body()).isEqualTo(200);
            assertThat(r.body()).contains("<Response>").doesNotContain("<Message>");
            JsonNode optOuts = Jsons.read(hub.get("/api/opt-outs", "X-API-Key", key).body());
            assertThat(optOuts.toString()).as(word).contains(phone);
            JsonNode m = message(followUp);
            assertThat(m.get("status").asText()).as(word).isEqualTo("skipped");
            assertThat(m.get("statusReason").asText()).contains("sms_stop");
            // another client's list is untouched
            assertThat(hub.get("/api/opt-outs", "X-API-Key", otherKey).body()).doesNotContain(phone);
        }
    }

    @Test
    void stopPleaseIsAMessageStartOptsBackInHelpAnswersAndRetriesCountOnce() throws Exception {
        String phone = mobile();
        Map<String, String> chat = TwilioSigner.inbound(phone, CLIENT_NUMBER, "stop please", null, SID);
        assertThat(postSigned("/webhooks/twilio/sms", chat).statusCode()).isEqualTo(200);
        assertThat(hub.get("/api/opt-outs", "X-API-Key", key).body()).doesNotContain(phone);

        Map<String, String> stop = TwilioSigner.inbound(phone, CLIENT_NUMBER, "Bye", "STOP", SID); // OptOutType wins
        assertThat(postSigned("/webhooks/twilio/sms", stop).statusCode()).isEqualTo(200);
        assertThat(hub.get("/api/opt-outs", "X-API-Key", key).body()).contains(phone);

        assertThat(postSigned("/webhooks/twilio/sms", TwilioSigner.inbound(phone, CLIENT_NUMBER, "start", null, SID)).statusCode()).isEqualTo(200);
        assertThat(hub.get("/api/opt-outs", "X-API-Key", key).body()).doesNotContain(phone);
        assertThat(hub.get("/api/opt-outs?includeInactive=true", "X-API-Key", key).body()).contains(phone, "sms:" + phone);

        HttpResponse<String> help = postSigned("/webhooks/twilio/sms", TwilioSigner.inbound(phone, CLIENT_NUMBER, "HELP", null, SID));
        assertThat(help.body()).contains("<Message>", "Leeds Plumbing", "0113 496 0000");

        // Twilio retrying the same inbound STOP: stored once
        Map<String, String> stop2 = TwilioSigner.inbound(phone, CLIENT_NUMBER, "STOP", null, SID);
        postSigned("/webhooks/twilio/sms", stop2);
        postSigned("/webhooks/twilio/sms", stop2);
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select count(*) from inbound_messages where message_sid = '" + stop2.get("MessageSid") + "'")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select action from inbound_messages where message_sid = '" + chat.get("MessageSid") + "'")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("message");
        }
        // an inbound SMS with a wrong signature changes nothing
        String other = mobile();
        Map<String, String> forged = TwilioSigner.inbound(other, CLIENT_NUMBER, "STOP", null, SID);
        HttpResponse<String> r = hub.post("/webhooks/twilio/sms", "application/x-www-form-urlencoded", TwilioSigner.form(forged),
                TwilioSigner.HEADER, TwilioSigner.sign(TOKEN, "https://elsewhere.example/webhooks/twilio/sms", forged));
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(hub.get("/api/opt-outs", "X-API-Key", key).body()).doesNotContain(other);
    }

    @Test
    void customersRepliesAreListedForTheirClientWithTheLead() {
        String phone = mobile();
        HttpResponse<String> created = hub.post("/api/leads", "application/json", "{\"name\":\"Ann Reply\",\"phone\":\"" + phone + "\"}", "X-API-Key", key);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        long leadId = Jsons.read(created.body()).get("lead").get("id").asLong();
        Map<String, String> chat = TwilioSigner.inbound(phone, CLIENT_NUMBER, "Can we make it Tuesday?", null, SID);
        assertThat(postSigned("/webhooks/twilio/sms", chat).statusCode()).isEqualTo(200);
        String stranger = mobile();
        assertThat(postSigned("/webhooks/twilio/sms", TwilioSigner.inbound(stranger, CLIENT_NUMBER, "STOP", null, SID)).statusCode()).isEqualTo(200);

        JsonNode all = Jsons.read(hub.get("/api/inbound-messages?pageSize=500", "X-API-Key", key).body());
        JsonNode newest = all.get("items").get(0);
        assertThat(newest.get("from").asText()).isEqualTo(stranger);
        assertThat(newest.get("action").asText()).isEqualTo("opt_out");
        assertThat(newest.get("leadId").isNull()).as("no lead with that number").isTrue();
        JsonNode reply = all.get("items").get(1);
        assertThat(reply.get("body").asText()).isEqualTo("Can we make it Tuesday?");
        assertThat(reply.get("action").asText()).isEqualTo("message");
        assertThat(reply.get("leadId").asLong()).isEqualTo(leadId);
        assertThat(reply.get("messageSid").asText()).isEqualTo(chat.get("MessageSid"));
        assertThat(reply.get("to").asText()).isEqualTo(CLIENT_NUMBER);

        String national = "0" + phone.substring(3, 7) + " " + phone.substring(7); // the same number as a person types it
        JsonNode filtered = Jsons.read(hub.get("/api/inbound-messages?action=message&phone=" + national.replace(" ", "%20"), "X-API-Key", key).body());
        assertThat(filtered.get("total").asInt()).isEqualTo(1);
        assertThat(filtered.get("items").get(0).get("id").asLong()).isEqualTo(reply.get("id").asLong());
        assertThat(Jsons.read(hub.get("/api/inbound-messages?since=2999-01-01", "X-API-Key", key).body()).get("total").asInt()).isZero();
        assertThat(Jsons.read(hub.get("/api/inbound-messages", "X-API-Key", otherKey).body()).get("total").asInt())
                .as("another client sees none of them").isZero();

        HttpResponse<String> bad = hub.get("/api/inbound-messages?action=shout", "X-API-Key", key);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("action must be one of");
        assertThat(hub.get("/api/inbound-messages?since=yesterday", "X-API-Key", key).body()).contains("since must be an ISO-8601 date");
        assertThat(hub.get("/api/inbound-messages", "X-API-Key", "bh_wrong").statusCode()).isEqualTo(401);
    }

    @Test
    void templatesAreCheckedWhenSavedAndUsedWhenSending() {
        // a placeholder the client has no value for is refused at save time
        HttpResponse<String> noLink = hub.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(hub.url("/api/templates/follow_up/sms")))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"body\":\"Book at {{bookingLink}}\"}")).header("Content-Type", "application/json"),
                "X-API-Key", otherKey);
        assertThat(noLink.statusCode()).isEqualTo(400);
        assertThat(noLink.body()).contains("bookingLink");
        HttpResponse<String> unknown = put("/api/templates/confirmation/sms", "{\"body\":\"Hi {{firstName}}\"}");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("firstName");
        assertThat(put("/api/templates/nonsense/sms", "{\"body\":\"x\"}").statusCode()).isEqualTo(404);

        HttpResponse<String> saved = put("/api/templates/follow_up/sms", "{\"body\":\"{{customerName}}, still need a plumber? {{bookingLink}}\"}");
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
        JsonNode list = Jsons.read(hub.get("/api/templates", "X-API-Key", key).body());
        assertThat(list.toString()).contains("still need a plumber");

        String phone = mobile();
        long id = queue("{\"kind\":\"follow_up\",\"channels\":[\"sms\"],\"phone\":\"" + phone + "\",\"customerName\":\"Gus\"}").get(0).get("id").asLong();
        awaitStatus(id, "sent");
        String body = twilio.sentTo(phone).get(0).body();
        assertThat(body).startsWith("Gus, still need a plumber? https://book.example/leeds").contains("Reply STOP to opt out");

        HttpResponse<String> reset = hub.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(hub.url("/api/templates/follow_up/sms"))).DELETE(),
                "X-API-Key", key);
        assertThat(reset.statusCode()).isEqualTo(200);
        assertThat(Jsons.read(reset.body()).get("source").asText()).isEqualTo("default");
    }

    @Test
    void badRequestsAreClearAndQueueNothing() {
        long before = Jsons.read(hub.get("/api/messages", "X-API-Key", key).body()).get("total").asLong();
        assertThat(hub.post("/api/messages", "application/json", "{\"kind\":\"confirmation\",\"phone\":\"" + mobile() + "\"}").statusCode()).isEqualTo(401);
        HttpResponse<String> noKind = hub.post("/api/messages", "application/json", "{\"phone\":\"" + mobile() + "\"}", "X-API-Key", key);
        assertThat(noKind.statusCode()).isEqualTo(400);
        assertThat(noKind.body()).contains("kind");
        HttpResponse<String> badPhone = hub.post("/api/messages", "application/json", "{\"kind\":\"follow_up\",\"phone\":\"12\"}", "X-API-Key", key);
        assertThat(badPhone.statusCode()).isEqualTo(400);
        assertThat(badPhone.body()).contains("not a valid phone number");
        HttpResponse<String> noAppointment = hub.post("/api/messages", "application/json", "{\"kind\":\"confirmation\",\"phone\":\"" + mobile() + "\"}",
                "X-API-Key", key);
        assertThat(noAppointment.statusCode()).isEqualTo(400);
        assertThat(noAppointment.body()).contains("appointmentDate");
        assertThat(hub.post("/api/messages", "text/plain", "hello", "X-API-Key", key).statusCode()).isEqualTo(415);
        assertThat(hub.get("/api/messages?status=lost", "X-API-Key", key).statusCode()).isEqualTo(400);
        assertThat(Jsons.read(hub.get("/api/messages", "X-API-Key", key).body()).get("total").asLong()).isEqualTo(before);
    }

    private HttpResponse<String> put(String path, String json) {
        return hub.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(hub.url(path)))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json"), "X-API-Key", key);
    }

    @Test
    void aShortPhoneAndALongNameAreRefusedAndQueueNothing() {
        long before = Jsons.read(hub.get("/api/messages", "X-API-Key", key).body()).get("total").asLong();
        HttpResponse<String> shortPhone = hub.post("/api/messages", "application/json", "{\"kind\":\"follow_up\",\"channels\":[\"sms\"],\"phone\":\"12345\"}",
                "X-API-Key", key);
        assertThat(shortPhone.statusCode()).as(shortPhone.body()).isEqualTo(400);
        assertThat(Jsons.read(shortPhone.body()).get("error").asText()).startsWith("phone").contains("'12345' is not a valid phone number");
        HttpResponse<String> longName = hub.post("/api/messages", "application/json", "{\"kind\":\"follow_up\",\"channels\":[\"sms\"],\"phone\":\""
                + mobile() + "\",\"customerName\":\"" + "x".repeat(10_000) + "\"}", "X-API-Key", key);
        assertThat(longName.statusCode()).isEqualTo(400);
        assertThat(Jsons.read(longName.body()).get("fields").get("customerName").asText()).contains("at most 100 characters");
        assertThat(Jsons.read(hub.get("/api/messages", "X-API-Key", key).body()).get("total").asLong()).isEqualTo(before);
        assertThat(twilio.sentTo("+4412345")).isEmpty();
    }

    @Test
    void aTemplateThatCouldRenderPastTheSmsCapIsRefusedAndAnOverlongSmsIsNeverSent() throws Exception {
        // 1,600 characters of its own plus the opt-out line would be 1,622
        HttpResponse<String> tooLong = put("/api/templates/follow_up/sms", "{\"body\":\"" + "a".repeat(1600) + "\"}");
        assertThat(tooLong.statusCode()).as(tooLong.body()).isEqualTo(400);
        assertThat(tooLong.body()).contains("1,622 characters", "Reply STOP", "at most 1,600");
        // names count at their longest (100 characters)
        HttpResponse<String> withName = put("/api/templates/follow_up/sms", "{\"body\":\"{{customerName}} " + "a".repeat(1480) + "\"}");
        assertThat(withName.statusCode()).as(withName.body()).isEqualTo(400);
        assertThat(put("/api/templates/follow_up/sms", "{\"body\":\"{{customerName}} " + "a".repeat(1470) + "\"}").statusCode()).isEqualTo(200);

        // a lead imported with a name far past the limit: its follow-up would come out past the cap, so it fails, unsent
        String phone = mobile();
        HttpResponse<String> imported = hub.post("/api/import-leads", "text/csv", "name,phone\n" + "N".repeat(3000) + "," + phone + "\n", "X-API-Key", key);
        assertThat(imported.statusCode()).as(imported.body()).isEqualTo(200);
        long leadId = Jsons.read(hub.get("/api/leads?phone=" + java.net.URLEncoder.encode(phone, java.nio.charset.StandardCharsets.UTF_8), "X-API-Key", key).body())
                .get("items").get(0).get("id").asLong();
        JsonNode m = queue("{\"kind\":\"follow_up\",\"channels\":[\"sms\"],\"leadId\":" + leadId + "}").get(0);
        assertThat(m.get("status").asText()).isEqualTo("failed");
        assertThat(m.get("statusReason").asText()).contains("limit is 1,600");
        RouteTicks.await(hub.camel(), "outbox-sender", 2);
        assertThat(twilio.sentTo(phone)).isEmpty();
        hub.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(hub.url("/api/templates/follow_up/sms"))).DELETE(), "X-API-Key", key);
    }

    @Test
    void bothTwilioWebhooksCheckTheSignatureBeforeReadingTheBody() {
        for (String path : List.of("/webhooks/twilio/status", "/webhooks/twilio/sms")) {
            // malformed and not signed by Twilio: 403, whatever the body
            HttpResponse<String> r1 = hub.post(path, "application/json", "[1, 2", TwilioSigner.HEADER, "bm90LWEtc2lnbmF0dXJl");
            assertThat(r1.statusCode()).as(path + " json, wrong signature: " + r1.body()).isEqualTo(403);
            HttpResponse<String> r2 = hub.post(path, "application/json", "[1, 2");
            assertThat(r2.statusCode()).as(path + " json, unsigned: " + r2.body()).isEqualTo(403);
            // (a form body with broken %-escapes is refused with 400 by the HTTP server's form decoding, before any bean runs)
        }
        // signed but incomplete: now it is read, and is a 400
        HttpResponse<String> signedButEmpty = postSigned("/webhooks/twilio/status", Map.of("AccountSid", SID));
        assertThat(signedButEmpty.statusCode()).as(signedButEmpty.body()).isEqualTo(400);
    }
}
