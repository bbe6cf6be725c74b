package uk.bookinghub.messaging;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RouteTicks;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.TwilioStub;

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
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A claim on an outbox message is good for the lease; a live sender whose batch takes longer than
 * that (a slow Twilio, a big batch) keeps its claims fresh, so another instance never takes over a
 * message that is still being sent and both send it. Here Twilio answers in 1.5 s, the lease is 2 s
 * and the hub sends one message at a time, so the batch of three takes 4.5 s; the test plays the
 * other instance (PostgreSQL: the multi-instance mode), taking every claim whose lease ran out.
 * It must find none: every message reaches Twilio once, from the hub.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OutboxClaimRenewalPostgresTest {

    private static final String SID = "AC0123456789abcdef0123456789abcdef";
    private static final String TOKEN = "twilio-test-auth-token";

    private TestDatabase db;
    private RunningHub hub;
    private TwilioStub twilio;
    private String key;

    @BeforeAll
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRESQL);
        twilio = TwilioStub.start(SID, TOKEN);
        Map<String, String> o = new LinkedHashMap<>();
        o.put("twilio.account-sid", SID);
        o.put("twilio.auth-token", TOKEN);
        o.put("twilio.base-url", twilio.baseUrl());
        o.put("hub.public-base-url", "https://hub.example.test");
        o.put("hub.messaging.lease-seconds", "2");
        o.put("hub.messaging.batch-size", "3");
        o.put("hub.messaging.send-threads", "1");
        hub = RunningHub.start(db.hubUrl(), o);
        key = hub.onboard("{\"businessName\":\"Slow Lane\",\"email\":\"office@slow.example\",\"phone\":\"0113 496 0000\","
                + "\"smsFromNumber\":\"07700 900999\"}");
    }

    @AfterAll
    void stop() {
        hub.close();
        twilio.close();
        db.close();
    }

    @Test
    void aLiveSendersClaimsAreNotTakenOverWhileItsSlowBatchIsSent() throws Exception {
        twilio.delay(Duration.ofMillis(1500));
        List<String> phones = List.of("+447700900501", "+447700900502", "+447700900503");
        String sendAt = Instant.now().plusSeconds(2).toString();
        String start = java.time.LocalDate.now(java.time.ZoneId.of("Europe/London")).plusDays(2) + "T10:00";
        for (String p : phones) {
            HttpResponse<String> r = hub.post("/api/messages", "application/json", "{\"kind\":\"reminder_24h\",\"channels\":[\"sms\"],\"phone\":\"" + p
                    + "\",\"customerName\":\"Sam\",\"appointment\":{\"start\":\"" + start + "\",\"service\":\"Survey\"},\"sendAt\":\"" + sendAt + "\",\"idempotencyKey\":\"renew-" + p + "\"}", "X-API-Key", key);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        }
        AtomicBoolean stop = new AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger takenOver = new java.util.concurrent.atomic.AtomicInteger();
        Thread thief = new Thread(() -> {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                while (!stop.get()) {
                    // the other instance: takes claims whose lease ran out (it would send those), and keeps its own fresh
                    takenOver.addAndGet(s.executeUpdate("update messages set claimed_by = 'other-instance', claimed_at = now() where status = 'sending' "
                            + "and claimed_by <> 'other-instance' and claimed_at < now() - interval '2 seconds'"));
                    s.executeUpdate("update messages set claimed_at = now() where status = 'sending' and claimed_by = 'other-instance'");
                    Thread.sleep(100);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "other-instance");
        thief.start();
        try {
            // every message is sent by the hub or held by the other instance, and the hub's batch is over
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                    count("status = 'sent'") + count("status = 'sending' and claimed_by = 'other-instance'") == 3);
            RouteTicks.await(hub.camel(), "outbox-sender", 2);
            assertThat(takenOver.get()).as("claims the hub was still sending under, taken over by the other instance (which would send them too)").isZero();
            assertThat(takenPhones()).isEmpty();
            for (String p : phones) {
                assertThat(twilio.sentTo(p)).as("sent once: " + p).hasSize(1);
            }
        } finally {
            stop.set(true);
            thief.join(5000);
            twilio.delay(Duration.ZERO);
        }
        JsonNode list = Jsons.read(hub.get("/api/messages?kind=reminder_24h", "X-API-Key", key).body());
        assertThat(list.get("items")).hasSize(3);
    }

    private long count(String where) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select count(*) from messages where idempotency_key like 'api:%renew-%' and " + where)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private List<String> takenPhones() throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select to_address from messages where status = 'sending' and claimed_by = 'other-instance'")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
