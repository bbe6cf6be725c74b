package uk.bookinghub.messaging;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.RouteTicks;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.TwilioStub;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two hub instances on one PostgreSQL database share the outbox: 2,000 queued SMS plus 50 whose
 * claim was left behind by a crashed instance (older than the lease) are each sent exactly once,
 * and both instances take part (FOR UPDATE SKIP LOCKED).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MessagingTwoSendersPostgresTest {

    private TestDatabase db;
    private TwilioStub twilio;
    private RunningHub a;
    private RunningHub b;

    @BeforeAll
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRESQL);
        twilio = TwilioStub.start(MessagingRouteTest.SID, MessagingRouteTest.TOKEN);
        a = RunningHub.start(db.hubUrl(), settings("hub-a"));
        b = RunningHub.start(db.hubUrl(), settings("hub-b"));
        a.onboard("{\"businessName\":\"Leeds Plumbing\",\"email\":\"office@leeds.example\",\"phone\":\"0113 496 0000\",\"smsFromNumber\":\"07700 900999\"}");
    }

    private Map<String, String> settings(String name) {
        Map<String, String> o = new HashMap<>();
        o.put("camel.main.name", name);
        o.put("twilio.account-sid", MessagingRouteTest.SID);
        o.put("twilio.auth-token", MessagingRouteTest.TOKEN);
        o.put("twilio.base-url", twilio.baseUrl());
        o.put("hub.public-base-url", MessagingRouteTest.PUBLIC);
        o.put("hub.messaging.batch-size", "50");
        o.put("hub.messaging.lease-seconds", "60");
        return o;
    }

    @AfterAll
    void stop() {
        a.close();
        b.close();
        twilio.close();
        db.close();
    }

    @Test
    void twoInstancesSendEachQueuedMessageOnceIncludingAbandonedClaims() throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            // an instance that died mid-send an hour ago left these claimed
            s.executeUpdate("insert into messages (client_id, channel, kind, idempotency_key, to_address, body, status, status_rank, attempts, "
                    + "next_attempt_at, claimed_at, claimed_by, created_at, updated_at) select 1, 'sms', 'reminder_1h', 'abandoned-' || i, "
                    + "'+447700' || lpad(i::text, 6, '0'), 'Reminder ' || i, 'sending', 1, 0, now() - interval '1 hour', now() - interval '1 hour', "
                    + "'crashed-instance', now() - interval '1 hour', now() - interval '1 hour' from generate_series(900001, 900050) i");
            s.executeUpdate("insert into messages (client_id, channel, kind, idempotency_key, to_address, body, status, status_rank, attempts, "
                    + "next_attempt_at, created_at, updated_at) select 1, 'sms', 'reminder_24h', 'bulk-' || i, '+447700' || lpad(i::text, 6, '0'), "
                    + "'Reminder ' || i, 'queued', 0, 0, now(), now(), now() from generate_series(100001, 102000) i");
        }
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> count("status = 'sent'") == 2050);
        // both senders have looked again: anything sent twice would show up now
        RouteTicks.await(a.camel(), "outbox-sender", 3);
        RouteTicks.await(b.camel(), "outbox-sender", 3);
        assertThat(twilio.sentCount()).isEqualTo(2050);
        Map<String, Long> perNumber = twilio.sent().stream().collect(Collectors.groupingBy(TwilioStub.Received::to, Collectors.counting()));
        assertThat(perNumber).hasSize(2050);
        assertThat(perNumber.values()).allMatch(n -> n == 1);
        assertThat(count("provider_id is not null")).isEqualTo(2050);
        List<String> instances = new java.util.ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select distinct claimed_by from messages where claimed_by is not null and claimed_by <> 'crashed-instance'")) {
            while (rs.next()) {
                instances.add(rs.getString(1));
            }
        }
        assertThat(instances).hasSize(2);
        assertThat(count("status = 'sent' and idempotency_key like 'abandoned-%'")).isEqualTo(50);
    }

    private long count(String where) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select count(*) from messages where " + where)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
