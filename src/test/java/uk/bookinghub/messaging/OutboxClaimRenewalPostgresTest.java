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
        queue(phones, "T10:00", "renew-");
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

    /**
     * The renewal skips a row another transaction holds instead of waiting for it (a sender's result being recorded
     * holds its rows, and the two updated shared rows in different orders: PostgreSQL found a deadlock under the
     * reminders benchmark). Here a transaction holds the batch's last message for 2.5 s: the claims of the others
     * are renewed meanwhile, and every message is still sent once.
     */
    @Test
    void aRowHeldElsewhereIsSkippedAndTheOtherClaimsAreStillRenewed() throws Exception {
        twilio.delay(Duration.ofMillis(1500));
        List<String> phones = List.of("+447700900511", "+447700900512", "+447700900513");
        queue(phones, "T11:00", "held-");
        try {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> countHeld("status = 'sending'") == 3);
            try (Connection lock = db.connect()) {
                lock.setAutoCommit(false);
                long held;
                try (Statement s = lock.createStatement(); ResultSet rs = s.executeQuery("select id from messages where idempotency_key like 'api:%held-%' "
                        + "and status = 'sending' order by id desc limit 1 for update")) {
                    assertThat(rs.next()).isTrue();
                    held = rs.getLong(1);
                }
                Map<Long, Instant> before = claims(held);
                assertThat(before).as("messages in flight besides the held one").isNotEmpty();
                Thread.sleep(2500); // more than three heartbeats (a third of the 2 s lease each)
                Map<Long, Instant> after = claims(held);
                List<Long> renewed = new ArrayList<>();
                before.forEach((id, at) -> {
                    if (after.containsKey(id) && after.get(id).isAfter(at)) {
                        renewed.add(id);
                    }
                });
                List<Long> stillInFlight = before.keySet().stream().filter(after::containsKey).toList();
                assertThat(stillInFlight).as("a message still being sent after 2.5 s").isNotEmpty();
                assertThat(renewed).as("claims renewed while message " + held + " was held elsewhere").containsExactlyInAnyOrderElementsOf(stillInFlight);
                lock.rollback();
            }
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> countHeld("status = 'sent'") == 3);
            for (String p : phones) {
                assertThat(twilio.sentTo(p)).as("sent once: " + p).hasSize(1);
            }
        } finally {
            twilio.delay(Duration.ZERO);
        }
    }

    /** Queues a 24 h reminder SMS to each phone, due in 2 s, keyed {@code prefix + phone}. */
    private void queue(List<String> phones, String localTime, String prefix) {
        String sendAt = Instant.now().plusSeconds(2).toString();
        String start = java.time.LocalDate.now(java.time.ZoneId.of("Europe/London")).plusDays(2) + localTime;
        for (String p : phones) {
            HttpResponse<String> r = hub.post("/api/messages", "application/json", "{\"kind\":\"reminder_24h\",\"channels\":[\"sms\"],\"phone\":\"" + p
                    + "\",\"customerName\":\"Sam\",\"appointment\":{\"start\":\"" + start + "\",\"service\":\"Survey\"},\"sendAt\":\"" + sendAt
                    + "\",\"idempotencyKey\":\"" + prefix + p + "\"}", "X-API-Key", key);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        }
    }

    /** The held-test messages still sending, but {@code except}, with their claim times. */
    private Map<Long, Instant> claims(long except) throws Exception {
        Map<Long, Instant> out = new LinkedHashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select id, claimed_at from messages where idempotency_key like 'api:%held-%' and status = 'sending' and id <> " + except)) {
            while (rs.next()) {
                out.put(rs.getLong(1), rs.getTimestamp(2).toInstant());
            }
        }
        return out;
    }

    private long countHeld(String where) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select count(*) from messages where idempotency_key like 'api:%held-%' and " + where)) {
            rs.next();
            return rs.getLong(1);
        }
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
