package uk.bookinghub.reminders;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RouteTicks;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The reminder batch through the real routes and database. Appointments are written with the
 * start and the booking time each case needs (a reminder's moment is real time before the start,
 * so the cases are placed around "now"), then the batch runs (its cron fires every 2 s in the test
 * profile, and the admin endpoint runs it on demand). Numbers: Ofcom drama ranges only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ReminderRouteTest {

    private static final AtomicInteger NEXT = new AtomicInteger(800);
    private TestDatabase db;
    private RunningHub hub;
    private uk.bookinghub.support.TwilioStub twilio;
    private com.icegreen.greenmail.util.GreenMail smtp;
    private String key;
    private long clientId;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() throws Exception {
        db = TestDatabase.create(kind());
        twilio = uk.bookinghub.support.TwilioStub.start("AC0123456789abcdef0123456789abcdef", "twilio-token");
        int smtpPort = RunningHub.freePort();
        smtp = new com.icegreen.greenmail.util.GreenMail(new com.icegreen.greenmail.util.ServerSetup(smtpPort, "127.0.0.1", "smtp"));
        smtp.start();
        hub = RunningHub.start(db.hubUrl(), Map.of("twilio.account-sid", "AC0123456789abcdef0123456789abcdef", "twilio.auth-token", "twilio-token",
                "twilio.base-url", twilio.baseUrl(), "twilio.from-number", "+447700900999", "mail.host", "127.0.0.1", "mail.port", String.valueOf(smtpPort),
                "mail.security", "none", "mail.from", "bookings@hub.example.test"));
        key = hub.onboard("{\"businessName\":\"Leeds Plumbing\",\"email\":\"office@leeds.example\",\"phone\":\"0113 496 0000\"}");
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select id from clients where client_key = 'leeds-plumbing'")) {
            rs.next();
            clientId = rs.getLong(1);
        }
    }

    @AfterAll
    void stop() {
        hub.close();
        twilio.close();
        smtp.stop();
        db.close();
    }

    private static String mobile() {
        return "+447700900" + String.format("%03d", NEXT.incrementAndGet());
    }

    /** An appointment starting {@code startIn} from now, booked {@code bookedAgo} ago. */
    private long appointment(String phone, Duration startIn, Duration bookedAgo) throws Exception {
        return appointment(clientId, phone, startIn, bookedAgo);
    }

    private long appointment(long clientId, String phone, Duration startIn, Duration bookedAgo) throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Instant start = now.plus(startIn);
        Instant booked = now.minus(bookedAgo);
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("insert into appointments (client_id, customer_name, phone_e164, email, "
                + "service, start_at, end_at, scheduled_at, status, calendar_status, created_at, updated_at) values (?,?,?,?,?,?,?,?,'booked','not_configured',?,?)",
                Statement.RETURN_GENERATED_KEYS)) {
            ps.setLong(1, clientId);
            ps.setString(2, "Ann");
            ps.setString(3, phone);
            ps.setString(4, phone.substring(1) + "@customer.example");
            ps.setString(5, "Boiler service");
            set(ps, 6, start);
            set(ps, 7, start.plus(Duration.ofHours(1)));
            set(ps, 8, booked);
            set(ps, 9, booked);
            set(ps, 10, booked);
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                return keys.getLong(1);
            }
        }
    }

    private void set(PreparedStatement ps, int i, Instant t) throws Exception {
        if (kind() == TestDatabase.Kind.POSTGRESQL) {
            ps.setObject(i, t.atOffset(ZoneOffset.UTC));
        } else {
            ps.setString(i, DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC).format(t));
        }
    }

    private JsonNode runNow() {
        HttpResponse<String> r = hub.post("/api/admin/reminders/run", "application/json", "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body());
    }

    private List<String> reminders(long appointmentId) {
        JsonNode items = Jsons.read(hub.get("/api/messages?appointmentId=" + appointmentId + "&pageSize=50", "X-API-Key", key).body()).get("items");
        List<String> out = new ArrayList<>();
        // queued, or already on its way: what matters here is that the outbox has it (or skipped it)
        items.forEach(m -> out.add(m.get("kind").asText() + "/" + m.get("channel").asText() + "/"
                + (List.of("queued", "sending", "sent", "delivered").contains(m.get("status").asText()) ? "queued" : m.get("status").asText())));
        out.sort(String::compareTo);
        return out;
    }

    private String decision(long appointmentId, String kind) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select status, reason from reminders where appointment_id = " + appointmentId + " and kind = '" + kind + "'")) {
            return rs.next() ? rs.getString(1) + (rs.getString(2) == null ? "" : ": " + rs.getString(2)) : null;
        }
    }

    @Test
    void eachReminderAtItsMomentOnceWithTheEdgesOfNoticeAndLateness() throws Exception {
        // booked days ago, starting in 23h30: the 24 h reminder is due (SMS and email), the 1 h one not yet
        long dueDay = appointment(mobile(), Duration.ofMinutes(23 * 60 + 30), Duration.ofDays(2));
        // booked 25 h ahead (2 h ago, starting in 23 h): its 24 h moment came after the booking: sent
        long booked25 = appointment(mobile(), Duration.ofHours(23), Duration.ofHours(2));
        // booked 23 h ahead (10 min ago, starting in 22h50): no 24 h reminder, the confirmation covers it
        long booked23 = appointment(mobile(), Duration.ofMinutes(22 * 60 + 50), Duration.ofMinutes(10));
        // booked 59 min ahead: neither reminder
        long booked59 = appointment(mobile(), Duration.ofMinutes(58), Duration.ofMinutes(1));
        // the batch ran late (the hub was down): 10 min to go, both moments passed: only the 1 h one goes
        long late = appointment(mobile(), Duration.ofMinutes(10), Duration.ofDays(3));
        // already started: nothing
        long started = appointment(mobile(), Duration.ofMinutes(-5), Duration.ofDays(3));

        await().atMost(Duration.ofSeconds(10)).until(() -> decision(dueDay, "reminder_24h") != null && decision(late, "reminder_1h") != null);
        assertThat(reminders(dueDay)).containsExactlyInAnyOrder("reminder_24h/email/queued", "reminder_24h/sms/queued");
        assertThat(reminders(booked25)).containsExactlyInAnyOrder("reminder_24h/email/queued", "reminder_24h/sms/queued");
        assertThat(reminders(booked23)).isEmpty();
        assertThat(decision(booked23, "reminder_24h")).startsWith("skipped: booked after");
        assertThat(reminders(booked59)).isEmpty();
        assertThat(decision(booked59, "reminder_1h")).startsWith("skipped: booked after");
        assertThat(reminders(late)).containsExactly("reminder_1h/sms/queued");
        assertThat(decision(late, "reminder_24h")).startsWith("skipped: late");
        assertThat(reminders(started)).isEmpty();
        assertThat(decision(started, "reminder_1h")).isNull();

        // the text: the appointment's local time, no placeholders left; it reaches Twilio once
        JsonNode sms = Jsons.read(hub.get("/api/messages?appointmentId=" + late + "&channel=sms", "X-API-Key", key).body()).get("items").get(0);
        assertThat(sms.get("body").asText()).contains("Leeds Plumbing", "Boiler service").doesNotContain("{{");
        await().atMost(Duration.ofSeconds(10)).until(() -> twilio.sentTo(sms.get("to").asText()).size() == 1);

        // running again (cron and by hand) changes nothing
        int before = reminders(dueDay).size() + reminders(late).size();
        runNow();
        runNow();
        assertThat(reminders(dueDay).size() + reminders(late).size()).isEqualTo(before);
        RouteTicks.await(hub.camel(), "outbox-sender", 3); // the sender has looked again: still one SMS
        assertThat(twilio.sentTo(sms.get("to").asText())).hasSize(1);
    }

    @Test
    void anOptedOutNumberGetsTheEmailButNoSms() throws Exception {
        String phone = mobile();
        HttpResponse<String> r = hub.post("/api/opt-outs", "application/json", "{\"phone\":\"" + phone + "\",\"reason\":\"user_request\"}", "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
        long id = appointment(phone, Duration.ofMinutes(30), Duration.ofDays(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> decision(id, "reminder_1h") != null);
        assertThat(reminders(id)).containsExactly("reminder_1h/sms/skipped");
        // with email on the 1 h reminder too, and service emails allowed (the default), the email goes
        HttpResponse<String> s = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/clients/leeds-plumbing/settings")))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"reminders\":{\"reminder_1h\":{\"minutesBefore\":60,\"channels\":[\"sms\",\"email\"]}}}"))
                .header("Content-Type", "application/json"), "X-API-Key", key);
        assertThat(s.statusCode()).as(s.body()).isEqualTo(200);
        long id2 = appointment(phone, Duration.ofMinutes(40), Duration.ofDays(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> decision(id2, "reminder_1h") != null);
        assertThat(reminders(id2)).containsExactlyInAnyOrder("reminder_1h/email/queued", "reminder_1h/sms/skipped");
        // back to the defaults for the other tests
        hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/clients/leeds-plumbing/settings"))).PUT(HttpRequest.BodyPublishers.ofString("{}"))
                .header("Content-Type", "application/json"), "X-API-Key", key);
    }

    @Test
    void cancellingRemovesPendingRemindersAndMovingMakesNewOnes() throws Exception {
        // a reminder queued for later (the outbox holds it until its time) is cancelled with the appointment
        long id = appointment(mobile(), Duration.ofMinutes(50), Duration.ofDays(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> decision(id, "reminder_1h") != null);
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            // hold it in the outbox (as if the sender were busy) so the cancel finds it queued
            s.executeUpdate("update messages set status = 'queued', status_rank = 0, next_attempt_at = " + (kind() == TestDatabase.Kind.POSTGRESQL
                    ? "now() + interval '1 hour'" : "'2099-01-01T00:00:00.000Z'") + " where appointment_id = " + id);
        }
        HttpResponse<String> cancel = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/appointments/" + id)))
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"status\":\"cancelled\"}")).header("Content-Type", "application/json"), "X-API-Key", key);
        assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(200);
        assertThat(reminders(id)).allMatch(s -> s.endsWith("/skipped"));
        JsonNode m = Jsons.read(hub.get("/api/messages?appointmentId=" + id, "X-API-Key", key).body()).get("items").get(0);
        assertThat(m.get("statusReason").asText()).isEqualTo("appointment cancelled");
        runNow(); // the batch again (as its cron would): nothing new for a cancelled appointment
        assertThat(reminders(id)).allMatch(s -> s.endsWith("/skipped"));
    }

    private String one(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    @Test
    void unreadableBookingSettingsHoldThatClientsRemindersWithACriticalAlertWhileOthersGo() throws Exception {
        hub.onboard("{\"businessName\":\"Broken Diary\",\"email\":\"b@broken.example\",\"phone\":\"0113 496 0009\"}");
        long broken = Long.parseLong(one("select id from clients where client_key = 'broken-diary'"));
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.executeUpdate("update clients set booking_settings = '{\"reminders\": {\"reminder_1h\": {\"minutesBefore\": \"sixty\"}}}' where id = " + broken);
        }
        long mine = appointment(mobile(), Duration.ofMinutes(50), Duration.ofDays(2));
        long theirs = appointment(broken, mobile(), Duration.ofMinutes(50), Duration.ofDays(2));
        runNow();
        assertThat(decision(mine, "reminder_1h")).isEqualTo("queued");
        assertThat(decision(theirs, "reminder_1h")).as("nothing decided from rules the hub cannot read").isNull();
        assertThat(decision(theirs, "reminder_24h")).isNull();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !"0".equals(one("select count(*) from error_log where severity = 'critical' "
                + "and service = 'reminders' and message like '%broken-diary%' and message like '%booking_settings%'")));

        // saved again: decided on the next pass
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.executeUpdate("update clients set booking_settings = '{}' where id = " + broken);
        }
        runNow();
        assertThat(decision(theirs, "reminder_1h")).isEqualTo("queued");
    }
}
