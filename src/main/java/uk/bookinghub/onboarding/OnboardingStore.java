package uk.bookinghub.onboarding;

import uk.bookinghub.http.Json;
import uk.bookinghub.store.Database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * SQL of the onboarding wizard (V22): {@code onboarding_checks} (the last calendar and numbers check
 * per client), {@code onboarding_test_calls} and their {@code onboarding_test_steps} (each step row is
 * an {@code onboarding_test} event of the client's stream, by trigger), plus the profile fields the
 * wizard's business step changes on {@code clients} and what a test call left behind (its bookings,
 * their confirmation).
 */
public final class OnboardingStore {

    /** The last check of a kind: what was checked, the provider's yes or no, and what it said (JSON). */
    public record Check(String kind, String subject, boolean ok, String detail, Instant checkedAt) {
    }

    /** A test call: placed, ended (report in), finished (booking cancelled, result known) or failed. */
    public record TestCall(long id, long clientId, String vapiCallId, String status, boolean ok, String result, Instant placedAt,
                           Instant endedAt, Instant finishedAt) {
    }

    private final Database db;

    public OnboardingStore(Database db) {
        this.db = db;
    }

    public Database database() {
        return db;
    }

    // ---- checks -------------------------------------------------------------------------------

    /** Replaces the client's last check of this kind (one row per client and kind). */
    public void saveCheck(Connection c, long clientId, String kind, String subject, boolean ok, String detail, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into onboarding_checks (client_id, kind, subject, ok, detail, checked_at) values (?,?,?,?,?,?) "
                + "on conflict (client_id, kind) do update set subject = excluded.subject, ok = excluded.ok, detail = excluded.detail, checked_at = excluded.checked_at")) {
            ps.setLong(1, clientId);
            ps.setString(2, kind);
            ps.setString(3, subject);
            ps.setBoolean(4, ok);
            ps.setString(5, detail);
            db.dialect().setInstant(ps, 6, at);
            ps.executeUpdate();
        }
    }

    public Optional<Check> check(long clientId, String kind) {
        return db.read("reading an onboarding check", c -> {
            try (PreparedStatement ps = c.prepareStatement("select kind, subject, ok, detail, checked_at from onboarding_checks where client_id = ? and kind = ?")) {
                ps.setLong(1, clientId);
                ps.setString(2, kind);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(new Check(rs.getString("kind"), rs.getString("subject"), rs.getBoolean("ok"), rs.getString("detail"),
                            db.dialect().getInstant(rs, "checked_at"))) : Optional.<Check>empty();
                }
            }
        });
    }

    // ---- the business profile -----------------------------------------------------------------

    /** Whether another client already has this business name (any case). */
    public boolean businessNameTaken(String name, long exceptClientId) {
        return db.read("checking a business name", c -> {
            try (PreparedStatement ps = c.prepareStatement("select 1 from clients where lower(business_name) = lower(?) and id <> ?")) {
                ps.setString(1, name);
                ps.setLong(2, exceptClientId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** The business step's profile fields, in the caller's transaction (the caller forgets cached clients after the commit). */
    public void updateProfile(Connection c, long clientId, String businessName, String industry, List<String> services, String timezone,
                              String bookingLink) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update clients set business_name = ?, industry = ?, services = ?, timezone = ?, "
                + "booking_link = ? where id = ?")) {
            ps.setString(1, businessName);
            ps.setString(2, industry);
            ps.setString(3, Json.write(services));
            ps.setString(4, timezone);
            ps.setString(5, bookingLink);
            ps.setLong(6, clientId);
            ps.executeUpdate();
        }
    }

    /** Whether another client has this value in {@code column} (vapi_phone_number_id or sms_from_number). */
    public boolean numberTaken(String column, String value, long exceptClientId) {
        if (!List.of("vapi_phone_number_id", "sms_from_number").contains(column)) {
            throw new IllegalArgumentException(column);
        }
        return db.read("checking a number", c -> {
            try (PreparedStatement ps = c.prepareStatement("select 1 from clients where " + column + " = ? and id <> ?")) {
                ps.setString(1, value);
                ps.setLong(2, exceptClientId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** The client's own Vapi number and SMS sender (null = the hub's shared one), in the caller's transaction. */
    public void updateNumbers(Connection c, long clientId, String vapiPhoneNumberId, String smsFromNumber) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update clients set vapi_phone_number_id = ?, sms_from_number = ? where id = ?")) {
            ps.setString(1, vapiPhoneNumberId);
            ps.setString(2, smsFromNumber);
            ps.setLong(3, clientId);
            ps.executeUpdate();
        }
    }

    /** Whether the client's booking rules were ever saved (an empty column = the defaults nobody chose). */
    public boolean bookingSettingsSaved(long clientId) {
        return db.read("reading whether settings were saved", c -> {
            try (PreparedStatement ps = c.prepareStatement("select booking_settings from clients where id = ?")) {
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    String s = rs.next() ? rs.getString(1) : null;
                    return s != null && !s.isBlank() && !s.strip().equals("{}");
                }
            }
        });
    }

    // ---- test calls ---------------------------------------------------------------------------

    private static final String TEST_COLUMNS = "id, client_id, vapi_call_id, status, ok, result, placed_at, ended_at, finished_at";

    /** A new test call (before Vapi is asked: its id travels in the call's variables) and its 'placed' step comes later. */
    public long insertTestCall(long clientId, Instant at) {
        return db.inTransaction("starting a test call", c -> {
            try (PreparedStatement ps = c.prepareStatement("insert into onboarding_test_calls (client_id, status, placed_at) values (?, 'placed', ?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                ps.setLong(1, clientId);
                db.dialect().setInstant(ps, 2, at);
                ps.executeUpdate();
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    keys.next();
                    return keys.getLong(1);
                }
            }
        });
    }

    public void setVapiCallId(Connection c, long testId, String vapiCallId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update onboarding_test_calls set vapi_call_id = ? where id = ?")) {
            ps.setString(1, vapiCallId);
            ps.setLong(2, testId);
            ps.executeUpdate();
        }
    }

    /** One step of a test call (its event goes out with the commit). */
    public void step(Connection c, long testId, long clientId, String step, String dataJson, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into onboarding_test_steps (test_call_id, client_id, step, data, created_at) values (?,?,?,?,?)")) {
            ps.setLong(1, testId);
            ps.setLong(2, clientId);
            ps.setString(3, step);
            ps.setString(4, dataJson);
            db.dialect().setInstant(ps, 5, at);
            ps.executeUpdate();
        }
    }

    /** Moves a test call from one status to another; false when it was not in {@code from} (another instance, or a repeat, did it). */
    public boolean move(Connection c, long testId, String from, String to, boolean ok, String result, Instant at) throws SQLException {
        String column = "ended".equals(to) ? "ended_at" : "finished_at";
        try (PreparedStatement ps = c.prepareStatement("update onboarding_test_calls set status = ?, ok = ?, result = coalesce(?, result), " + column
                + " = ? where id = ? and status = ?")) {
            ps.setString(1, to);
            ps.setBoolean(2, ok);
            ps.setString(3, result);
            db.dialect().setInstant(ps, 4, at);
            ps.setLong(5, testId);
            ps.setString(6, from);
            return ps.executeUpdate() == 1;
        }
    }

    public Optional<TestCall> testCall(long clientId, long testId) {
        return db.read("reading a test call", c -> one(c, "select " + TEST_COLUMNS + " from onboarding_test_calls where client_id = ? and id = ?", clientId, testId));
    }

    public Optional<TestCall> latestTestCall(long clientId) {
        return db.read("reading the last test call", c -> one(c, "select " + TEST_COLUMNS + " from onboarding_test_calls where client_id = ? order by id desc limit 1",
                clientId));
    }

    /** Test calls not finished yet (placed or ended), oldest first. */
    public List<TestCall> open() {
        return db.read("reading open test calls", c -> {
            List<TestCall> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select " + TEST_COLUMNS + " from onboarding_test_calls where status in ('placed', 'ended') order by id limit 100");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(map(rs));
                }
            }
            return out;
        });
    }

    private Optional<TestCall> one(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            db.dialect().bindAll(ps, List.of(args));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    private TestCall map(ResultSet rs) throws SQLException {
        return new TestCall(rs.getLong("id"), rs.getLong("client_id"), rs.getString("vapi_call_id"), rs.getString("status"), rs.getBoolean("ok"),
                rs.getString("result"), db.dialect().getInstant(rs, "placed_at"), db.dialect().getInstant(rs, "ended_at"),
                db.dialect().getInstant(rs, "finished_at"));
    }

    /** The appointments still booked that a call made, oldest first. */
    public List<Long> bookedDuring(Connection c, long clientId, String vapiCallId) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select id from appointments where client_id = ? and vapi_call_id = ? and status = 'booked' order by id")) {
            ps.setLong(1, clientId);
            ps.setString(2, vapiCallId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
        }
        return out;
    }

    /** The status of the latest SMS confirmation of an appointment (null when none was queued), and its error code. */
    public record Confirmation(String status, String errorCode) {
    }

    public Optional<Confirmation> confirmation(Connection c, long appointmentId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select status, error_code from messages where appointment_id = ? and kind = 'confirmation' "
                + "and channel = 'sms' order by id desc limit 1")) {
            ps.setLong(1, appointmentId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Confirmation(rs.getString(1), rs.getString(2))) : Optional.empty();
            }
        }
    }
}
