package uk.bookinghub.reminders;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.leads.OptOutStore;
import uk.bookinghub.messaging.MessageSender;
import uk.bookinghub.messaging.MessagesApi;
import uk.bookinghub.messaging.OutboxStore;
import uk.bookinghub.store.Database;
import uk.bookinghub.store.DatabaseUrl;
import uk.bookinghub.support.TestDatabase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reminder moments across the clocks changing in Europe/London, with the batch's clock set to the
 * minutes around each moment: a reminder is 24 h / 1 h of real time before the appointment on the
 * last Sundays of March and October too (never an hour early, late or twice), and its text shows
 * the local wall-clock time, including 01:30 on the night the clocks go back.
 */
class ReminderClockChangeTest {

    static final ZoneId LONDON = ZoneId.of("Europe/London");
    private TestDatabase tdb;
    private Database db;
    private long clientId;

    @BeforeEach
    void open() throws Exception {
        tdb = TestDatabase.create(TestDatabase.Kind.SQLITE);
        db = Database.open(DatabaseUrl.parse("", tdb.sqliteFile().toString()), 4, 3000);
        db.migrate();
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("insert into clients (client_key, business_name, contact_email, contact_phone, timezone, created_at) "
                    + "values ('leeds', 'Leeds Plumbing', 'office@leeds.example', '+441134960000', 'Europe/London', '2026-01-01T00:00:00.000Z')");
            try (ResultSet rs = s.executeQuery("select id from clients")) {
                rs.next();
                clientId = rs.getLong(1);
            }
        }
    }

    @AfterEach
    void close() {
        db.close();
        tdb.close();
    }

    private static String text(Instant t) {
        return DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC).format(t);
    }

    private long appointment(Instant start) throws Exception {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement("insert into appointments (client_id, customer_name, "
                + "phone_e164, service, start_at, end_at, scheduled_at, status, calendar_status, created_at, updated_at) "
                + "values (?, 'Ann', '+447700900123', 'Boiler service', ?, ?, '2026-01-01T00:00:00.000Z', 'booked', 'not_configured', "
                + "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')", Statement.RETURN_GENERATED_KEYS)) {
            ps.setLong(1, clientId);
            ps.setString(2, text(start));
            ps.setString(3, text(start.plus(Duration.ofHours(1))));
            ps.executeUpdate();
            try (ResultSet k = ps.getGeneratedKeys()) {
                k.next();
                return k.getLong(1);
            }
        }
    }

    /** Runs the batch with its clock at {@code now}; returns "kind sms-body" of the reminders queued so far. */
    private List<String> runAt(Instant now) throws Exception {
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        OutboxStore outbox = new OutboxStore(db, clock);
        OptOutStore optOuts = new OptOutStore(db, clock, 0);
        MessageSender.Settings settings = new MessageSender.Settings(true, "+447700900999", null, true, "b@hub.example", "test", 10,
                Duration.ofMinutes(5), 3);
        new Reminders(db, new ClientStore(db, 0), new MessagesApi(outbox, optOuts, settings, clock, 65536), optOuts, outbox, clock,
                new uk.bookinghub.monitoring.ErrorLog(db, clock, new uk.bookinghub.alerts.Alerts(db, clock,
                        new uk.bookinghub.alerts.Alerts.Settings(10, java.time.Duration.ofMinutes(5), java.time.Duration.ofHours(4),
                                java.time.Duration.ofMinutes(5), java.time.Duration.ofMinutes(10), java.time.Duration.ofSeconds(15), "http://localhost", "test"),
                        new uk.bookinghub.alerts.AlertDelivery(clock, null, java.time.Duration.ofMinutes(10))))).run();
        List<String> out = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select kind, body from messages where channel = 'sms' order by id")) {
            while (rs.next()) {
                out.add(rs.getString(1) + " " + rs.getString(2));
            }
        }
        return out;
    }

    @Test
    void springForwardAppointmentGetsItsRemindersExactly24hAnd1hBefore() throws Exception {
        // Monday 30 March 2026 09:00 BST = 08:00Z; the clocks went forward on Sunday 29 March at 01:00Z
        Instant start = LocalDateTime.of(2026, 3, 30, 9, 0).atZone(LONDON).toInstant();
        assertThat(start).isEqualTo(Instant.parse("2026-03-30T08:00:00Z"));
        appointment(start);
        // 24 h of real time before is 08:00Z on Sunday (09:00 BST), not 09:00Z
        assertThat(runAt(Instant.parse("2026-03-29T07:59:00Z"))).isEmpty();
        List<String> at24 = runAt(Instant.parse("2026-03-29T08:00:00Z"));
        assertThat(at24).hasSize(1);
        assertThat(at24.get(0)).startsWith("reminder_24h").contains("Monday 30 March", "9am");
        assertThat(runAt(Instant.parse("2026-03-30T06:59:00Z"))).hasSize(1);
        List<String> at1 = runAt(Instant.parse("2026-03-30T07:00:00Z"));
        assertThat(at1).hasSize(2);
        assertThat(at1.get(1)).startsWith("reminder_1h").contains("9am");
        assertThat(runAt(Instant.parse("2026-03-30T07:30:00Z"))).hasSize(2); // again: nothing twice
    }

    @Test
    void anAppointmentAt0130OnTheFallBackNightIsRemindedOnceAtItsRealMoment() throws Exception {
        // Sunday 25 October 2026: 01:30 happens twice; the first (BST) is 00:30Z, the appointment's instant
        Instant start = Instant.parse("2026-10-25T00:30:00Z");
        assertThat(start.atZone(LONDON).toLocalTime().toString()).isEqualTo("01:30");
        appointment(start);
        assertThat(runAt(Instant.parse("2026-10-24T00:29:00Z"))).isEmpty();
        List<String> at24 = runAt(Instant.parse("2026-10-24T00:30:00Z"));
        assertThat(at24).hasSize(1);
        assertThat(at24.get(0)).startsWith("reminder_24h").contains("Sunday 25 October", "1:30am");
        // 1 h before is 23:30Z on Saturday (00:30 BST), and the second 01:30 (01:30Z) brings nothing more
        assertThat(runAt(Instant.parse("2026-10-24T23:29:00Z"))).hasSize(1);
        assertThat(runAt(Instant.parse("2026-10-24T23:30:00Z"))).hasSize(2);
        assertThat(runAt(Instant.parse("2026-10-25T01:30:00Z"))).hasSize(2);
    }

    @Test
    void anAppointmentOnTheSecond0130GetsTheGmtInstant() throws Exception {
        // the second 01:30 (GMT) is 01:30Z: its 1 h reminder is at 00:30Z, an hour after the other one's moment
        Instant start = Instant.parse("2026-10-25T01:30:00Z");
        appointment(start);
        assertThat(runAt(Instant.parse("2026-10-25T00:29:00Z")).stream().filter(s -> s.startsWith("reminder_1h"))).isEmpty();
        List<String> at1 = runAt(Instant.parse("2026-10-25T00:30:00Z"));
        assertThat(at1.stream().filter(s -> s.startsWith("reminder_1h"))).hasSize(1);
        assertThat(at1.get(at1.size() - 1)).contains("1:30am");
    }
}
