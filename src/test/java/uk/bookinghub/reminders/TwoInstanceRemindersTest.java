package uk.bookinghub.reminders;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.TwilioStub;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two hub processes (separate ports, one PostgreSQL database, Quartz clustered in it) share the
 * reminder schedule: 1,000 appointments due → 1,000 reminders at the Twilio stand-in, none twice.
 * Then the instance that is sending is killed with SIGKILL in the middle of the next 1,000: every
 * reminder still goes out (the survivor takes over the trigger and, after the lease, the claims
 * the dead one left); duplicates from the crash window are counted and printed for BENCHMARKS.md.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwoInstanceRemindersTest {

    static final String SID = "AC0123456789abcdef0123456789abcdef";
    private TestDatabase db;
    private TwilioStub twilio;
    private final List<Process> hubs = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() throws Exception {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRESQL);
        twilio = TwilioStub.start(SID, "twilio-token");
        for (int i = 0; i < 2; i++) {
            int port = RunningHub.freePort();
            ProcessBuilder pb = new ProcessBuilder(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx384m",
                    "-Dhub.quartz.clustered=true", "-Dhub.quartz.checkin-ms=2000", "-Dhub.reminders.cron=0/2 * * * * ?",
                    "-Dhub.follow-ups.cron=0 0 3 * * ?", "-Dhub.messaging.lease-seconds=5", "-Dhub.messaging.poll-ms=100",
                    "-cp", System.getProperty("java.class.path"), "uk.bookinghub.HubApp"));
            Map<String, String> env = pb.environment();
            env.put("DATABASE_URL", db.hubUrl());
            env.put("PORT", String.valueOf(port));
            env.put("HUB_MANAGEMENT_PORT", String.valueOf(RunningHub.freePort()));
            env.put("CAMEL_MAIN_PROFILE", "test");
            env.put("HUB_ADMIN_TOKEN", RunningHub.ADMIN_TOKEN);
            env.put("TWILIO_ACCOUNT_SID", SID);
            env.put("TWILIO_AUTH_TOKEN", "twilio-token");
            env.put("TWILIO_BASE_URL", twilio.baseUrl());
            env.put("TWILIO_FROM_NUMBER", "+447700900999");
            pb.redirectErrorStream(true);
            pb.redirectOutput(new File("target/two-instance-hub-" + i + ".log"));
            hubs.add(pb.start());
            ports.add(port);
            awaitHealthy(port);
        }
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(0) + "/api/clients/onboard"))
                .header("Authorization", "Bearer " + RunningHub.ADMIN_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"businessName\":\"Leeds Plumbing\",\"email\":\"office@leeds.example\",\"phone\":\"0113 496 0000\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }

    private void awaitHealthy(int port) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() ->
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode() == 200);
    }

    @AfterAll
    void stop() {
        hubs.forEach(Process::destroyForcibly);
        twilio.close();
        db.close();
    }

    /** n appointments starting in 30 minutes, booked days ago: their 1 h reminder is due now; names tag the batch. */
    private void appointments(String batch, int n) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.executeUpdate("insert into appointments (client_id, customer_name, phone_e164, service, start_at, end_at, scheduled_at, status, calendar_status, "
                    + "created_at, updated_at) select 1, '" + batch + "-' || i, '+447700' || lpad(i::text, 6, '0'), 'Boiler service', "
                    + "date_trunc('minute', now()) + interval '30 minutes', date_trunc('minute', now()) + interval '90 minutes', now() - interval '3 days', "
                    + "'booked', 'not_configured', now() - interval '3 days', now() - interval '3 days' from generate_series(1, " + n + ") i");
        }
    }

    private Map<String, Long> received(String batch) {
        return twilio.sent().stream().filter(r -> r.body().contains(batch + "-"))
                .collect(Collectors.groupingBy(r -> r.body().replaceAll(".*(" + batch + "-\\d+).*", "$1"), Collectors.counting()));
    }

    @Test
    void twoInstancesSendEachReminderOnceAndASigkilledOneLosesNothing() throws Exception {
        appointments("A", 1000);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> received("A").size() == 1000);
        // the batch has run twice more (on whichever instance fired it) and the outbox is drained: nothing twice
        reminderBatchesRun(2);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> count("select count(*) from messages where kind = 'reminder_1h' and status <> 'sent'") == 0);
        Map<String, Long> a = received("A");
        assertThat(a).hasSize(1000);
        assertThat(a.values()).allMatch(n -> n == 1);
        assertThat(count("select count(*) from reminders where kind = 'reminder_1h'")).isEqualTo(1000);
        assertThat(count("select count(*) from qrtz_scheduler_state")).isEqualTo(2); // both joined the cluster

        // the next batch: kill the instance that is sending, with SIGKILL, in the middle of it
        appointments("B", 1000);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> received("B").size() >= 150);
        String sender = claimant();
        int victim = -1;
        for (int i = 0; i < hubs.size(); i++) {
            if (sender != null && sender.contains("@" + hubs.get(i).pid() + "@")) {
                victim = i;
            }
        }
        if (victim < 0) {
            victim = 0; // the batch was already handed to the outbox everywhere: kill one anyway
        }
        int killedAt = received("B").size();
        hubs.get(victim).destroyForcibly().waitFor();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> received("B").size() == 1000);
        // every claim the dead instance left has been taken over after the lease and finished: anything sent twice has shown up
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> count("select count(*) from messages where kind = 'reminder_1h' and status = 'sent'") == 2000);
        Map<String, Long> b = received("B");
        long duplicates = b.values().stream().mapToLong(n -> n - 1).sum();
        System.out.printf("[TWO-INSTANCE] batch B: killed instance %d (pid %d) after %d of 1000 reminders had reached Twilio; "
                + "all 1000 delivered by the survivor; %d duplicate(s) from the crash window%n", victim, hubs.get(victim).pid(), killedAt, duplicates);
        assertThat(b).hasSize(1000);
        assertThat(count("select count(*) from messages where kind = 'reminder_1h' and status = 'sent'")).isEqualTo(2000);
        // messages the dead instance had handed to Twilio but not yet recorded are found at Twilio, not sent again
        assertThat(duplicates).isZero();
    }

    /** Waits until the clustered reminders trigger has fired {@code n} more times (Quartz records each fire in qrtz_triggers). */
    private void reminderBatchesRun(int n) throws Exception {
        String sql = "select coalesce(max(prev_fire_time), 0) from qrtz_triggers where trigger_group = 'reminders' and trigger_name = 'due'";
        for (int i = 0; i < n; i++) {
            long before = count(sql);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> count(sql) > before);
        }
    }

    private String claimant() throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select claimed_by, count(*) from messages where status = 'sending' group by claimed_by order by 2 desc limit 1")) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private long count(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
