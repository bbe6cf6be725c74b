package uk.bookinghub.booking;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Appointments and their slot claims. A booking inserts one {@code appointment_slots} row per
 * 5-minute unit it covers (service plus buffer); the primary key (client, unit) makes a second
 * booking of any overlapping time fail, whichever instance or database takes it.
 */
public final class BookingStore {

    /** The slot (or part of it) is already claimed. */
    public static final class SlotTaken extends RuntimeException {
        public SlotTaken() {
            super("slot taken", null, false, false);
        }
    }

    /** The statuses of a booking that stands (was not cancelled): booked, and once its start has passed completed or no_show. */
    public static final String STANDING = "('booked', 'completed', 'no_show')";

    static final String COLUMNS = "id, client_id, lead_id, vapi_call_id, customer_name, phone_e164, email, service, notes, start_at, end_at, status, "
            + "calendar_status, google_event_id, calendar_error, created_at, updated_at, scheduled_at, cancelled_at, completed_at, completed_by, no_show_at, no_show_by";

    private final Database db;
    private final Clock clock;

    public BookingStore(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    public Database database() {
        return db;
    }

    /** Booking settings are read on every tool call: kept for a few seconds (a save on this instance applies at once). */
    private final java.util.concurrent.ConcurrentHashMap<Long, Object[]> settingsCache = new java.util.concurrent.ConcurrentHashMap<>();
    private static final long SETTINGS_TTL_NANOS = 5_000_000_000L;

    public String settingsJson(long clientId) {
        Object[] cached = settingsCache.get(clientId);
        long now = System.nanoTime();
        if (cached != null && now - (Long) cached[1] < SETTINGS_TTL_NANOS) {
            return (String) cached[0];
        }
        String json = db.read("reading booking settings", c -> settingsJson(c, clientId));
        settingsCache.put(clientId, new Object[] {json, now});
        return json;
    }

    /** The parsed settings (same 5-second cache). */
    public BookingSettings settings(long clientId) {
        Object[] cached = settingsCache.get(clientId);
        if (cached != null && cached.length > 2 && System.nanoTime() - (Long) cached[1] < SETTINGS_TTL_NANOS) {
            return (BookingSettings) cached[2];
        }
        String json = settingsJson(clientId);
        BookingSettings parsed = BookingSettings.fromJson(json);
        Object[] now = settingsCache.get(clientId);
        if (now != null && json.equals(now[0])) {
            settingsCache.put(clientId, new Object[] {json, now[1], parsed});
        }
        return parsed;
    }

    public String settingsJson(Connection c, long clientId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select booking_settings from clients where id = ?")) {
            ps.setLong(1, clientId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : "{}";
            }
        }
    }

    /** Saves the booking settings in the caller's transaction; {@link #forgetSettings} once it committed. */
    public void saveSettings(Connection c, long clientId, String json) throws SQLException {
        settingsCache.remove(clientId);
        try (PreparedStatement ps = c.prepareStatement("update clients set booking_settings = ? where id = ?")) {
            ps.setString(1, json);
            ps.setLong(2, clientId);
            ps.executeUpdate();
        }
    }

    /** This instance reads the client's booking settings afresh (a save committed). */
    public void forgetSettings(long clientId) {
        settingsCache.remove(clientId);
    }

    /** Claimed units of this client between two instants. */
    public Set<Instant> claimedUnits(long clientId, Instant from, Instant to) {
        return db.read("reading booked times", c -> {
            Set<Instant> out = new HashSet<>();
            try (PreparedStatement ps = c.prepareStatement("select unit_start from appointment_slots where client_id = ? and unit_start >= ? and unit_start < ?")) {
                ps.setLong(1, clientId);
                db.dialect().setInstant(ps, 2, from);
                db.dialect().setInstant(ps, 3, to);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(db.dialect().getInstant(rs, "unit_start"));
                    }
                }
            }
            return out;
        });
    }

    /** What a new appointment holds. */
    public record NewAppointment(long clientId, Long leadId, String vapiCallId, String toolCallId, String customerName, String phone, String email,
                                 String service, String notes, Instant start, Instant end, int bufferMinutes, String calendarStatus) {
    }

    /** Inserts the appointment and claims its units, in the caller's transaction; {@link SlotTaken} if any unit is claimed. */
    public Appointment insert(Connection c, NewAppointment a) throws SQLException {
        Instant now = clock.instant();
        Dialect d = db.dialect();
        long id;
        try (PreparedStatement ps = c.prepareStatement("insert into appointments (client_id, lead_id, vapi_call_id, tool_call_id, customer_name, phone_e164, "
                + "email, service, notes, start_at, end_at, status, calendar_status, created_at, updated_at, scheduled_at) values (?,?,?,?,?,?,?,?,?,?,?,'booked',?,?,?,?)",
                Statement.RETURN_GENERATED_KEYS)) {
            ps.setLong(1, a.clientId());
            if (a.leadId() == null) {
                ps.setNull(2, Types.BIGINT);
            } else {
                ps.setLong(2, a.leadId());
            }
            ps.setString(3, a.vapiCallId());
            ps.setString(4, a.toolCallId());
            ps.setString(5, a.customerName());
            ps.setString(6, a.phone());
            ps.setString(7, a.email());
            ps.setString(8, a.service());
            ps.setString(9, a.notes());
            d.setInstant(ps, 10, a.start());
            d.setInstant(ps, 11, a.end());
            ps.setString(12, a.calendarStatus());
            d.setInstant(ps, 13, now);
            d.setInstant(ps, 14, now);
            d.setInstant(ps, 15, now);
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                id = keys.getLong(1);
            }
        }
        claim(c, a.clientId(), id, a.start(), (int) java.time.Duration.between(a.start(), a.end()).toMinutes(), a.bufferMinutes());
        return byId(c, id).orElseThrow();
    }

    /** Claims the units of [start, start + minutes + buffer) for the appointment. */
    public void claim(Connection c, long clientId, long appointmentId, Instant start, int minutes, int bufferMinutes) throws SQLException {
        List<Instant> units = Availability.units(start, minutes, bufferMinutes);
        String sql = "insert into appointment_slots (client_id, unit_start, appointment_id) values (?,?,?)";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (Instant u : units) {
                ps.setLong(1, clientId);
                db.dialect().setInstant(ps, 2, u);
                ps.setLong(3, appointmentId);
                ps.addBatch();
            }
            ps.executeBatch();
        } catch (SQLException e) {
            if (Dialect.isUniqueViolation(e)) {
                throw new SlotTaken();
            }
            throw e;
        }
    }

    public void release(Connection c, long appointmentId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("delete from appointment_slots where appointment_id = ?")) {
            ps.setLong(1, appointmentId);
            ps.executeUpdate();
        }
    }

    public Optional<Appointment> byId(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from appointments where id = ?")) {
            ps.setLong(1, id);
            List<Appointment> l = map(ps);
            return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
        }
    }

    public Optional<Appointment> byId(long clientId, long id) {
        return db.read("reading an appointment", c -> byId(c, id).filter(a -> a.clientId() == clientId));
    }

    /** The next booked appointment for this number (cancel / reschedule by phone). */
    public Optional<Appointment> nextFor(Connection c, long clientId, String phone, Instant after) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from appointments where client_id = ? and phone_e164 = ? and status = 'booked' "
                + "and start_at >= ? order by start_at limit 1")) {
            ps.setLong(1, clientId);
            ps.setString(2, phone);
            db.dialect().setInstant(ps, 3, after);
            List<Appointment> l = map(ps);
            return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
        }
    }

    public List<Appointment> list(long clientId, String status, Instant from, Instant to, int limit, int offset) {
        StringBuilder sql = new StringBuilder("select " + COLUMNS + " from appointments where client_id = ?");
        List<Object> args = new ArrayList<>(List.of(clientId));
        if (status != null) {
            sql.append(" and status = ?");
            args.add(status);
        }
        if (from != null) {
            sql.append(" and start_at >= ?");
            args.add(from);
        }
        if (to != null) {
            sql.append(" and start_at < ?");
            args.add(to);
        }
        sql.append(" order by start_at, id limit ? offset ?");
        args.add(limit);
        args.add(offset);
        return db.read("listing appointments", c -> {
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                db.dialect().bindAll(ps, args);
                return map(ps);
            }
        });
    }

    public void setStatus(Connection c, long id, String status) throws SQLException {
        Instant now = clock.instant();
        try (PreparedStatement ps = c.prepareStatement("update appointments set status = ?, updated_at = ?, cancelled_at = ?, "
                + "calendar_status = case when calendar_status = 'not_configured' then calendar_status else 'pending' end, calendar_next_at = null where id = ?")) {
            ps.setString(1, status);
            db.dialect().setInstant(ps, 2, now);
            db.dialect().setInstant(ps, 3, "cancelled".equals(status) ? now : null);
            ps.setLong(4, id);
            ps.executeUpdate();
        }
    }

    public void move(Connection c, long id, Instant start, Instant end) throws SQLException {
        Instant now = clock.instant();
        try (PreparedStatement ps = c.prepareStatement("update appointments set start_at = ?, end_at = ?, updated_at = ?, scheduled_at = ?, "
                + "calendar_status = case when calendar_status = 'not_configured' then calendar_status else 'pending' end, calendar_next_at = null where id = ?")) {
            db.dialect().setInstant(ps, 1, start);
            db.dialect().setInstant(ps, 2, end);
            db.dialect().setInstant(ps, 3, now);
            db.dialect().setInstant(ps, 4, now);
            ps.setLong(5, id);
            ps.executeUpdate();
        }
    }

    /** The columns an attendance mark writes: when and by whom. */
    private static String attendanceColumns(String status) {
        return switch (status) {
            case "completed" -> "completed_at = ?, completed_by = ?";
            case "no_show" -> "no_show_at = ?, no_show_by = ?";
            default -> throw new IllegalArgumentException("attendance is completed or no_show, not " + status);
        };
    }

    /**
     * Marks the appointment {@code to} (completed or no_show) at {@code at} by {@code by}, if it is
     * still {@code from}: the conditional update decides between two that mark it at once. Returns
     * whether this one did. The slot claim, reminders and calendar copy are left as they are.
     */
    public boolean markAttendance(Connection c, long id, String from, String to, Instant at, String by) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update appointments set status = ?, " + attendanceColumns(to) + ", updated_at = ? "
                + "where id = ? and status = ?")) {
            ps.setString(1, to);
            db.dialect().setInstant(ps, 2, at);
            ps.setString(3, by);
            db.dialect().setInstant(ps, 4, at);
            ps.setLong(5, id);
            ps.setString(6, from);
            return ps.executeUpdate() == 1;
        }
    }

    /**
     * Marks up to {@code limit} booked appointments that ended at or before {@code endedBefore}
     * completed (by the sweep), in one statement: the rows it changed come back as they now are. Two
     * instances sweeping at once never mark one twice ({@code status = 'booked'} is checked again on
     * the row; on PostgreSQL the rows another sweep holds are skipped).
     */
    public List<Appointment> completeEnded(Instant endedBefore, Instant now, int limit) {
        Dialect d = db.dialect();
        return db.inTransaction("marking ended appointments completed", c -> {
            try (PreparedStatement ps = c.prepareStatement("update appointments set status = 'completed', completed_at = ?, completed_by = 'sweep', updated_at = ? "
                    + "where id in (select id from appointments where status = 'booked' and start_at <= ? and end_at <= ? order by start_at, id limit ?"
                    + d.skipLocked() + ") and status = 'booked' returning " + COLUMNS)) {
                d.setInstant(ps, 1, now);
                d.setInstant(ps, 2, now);
                d.setInstant(ps, 3, endedBefore);
                d.setInstant(ps, 4, endedBefore);
                ps.setInt(5, limit);
                return map(ps);
            }
        });
    }

    /** Queued messages of a cancelled appointment (reminders) are not sent. */
    public int cancelQueuedMessages(Connection c, long appointmentId, String reason) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update messages set status = 'skipped', status_rank = 5, status_reason = ?, updated_at = ? "
                + "where appointment_id = ? and status = 'queued'")) {
            ps.setString(1, reason);
            db.dialect().setInstant(ps, 2, clock.instant());
            ps.setLong(3, appointmentId);
            return ps.executeUpdate();
        }
    }

    // ---- calendar sync ----------------------------------------------------------------------

    /** Appointments whose calendar copy is behind (new, moved, cancelled) and due for a try. */
    public List<Appointment> calendarDue(int limit) {
        Instant now = clock.instant();
        return db.read("reading calendar work", c -> {
            try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from appointments where calendar_status = 'pending' "
                    + "and (calendar_next_at is null or calendar_next_at <= ?) order by id limit ?")) {
                db.dialect().setInstant(ps, 1, now);
                ps.setInt(2, limit);
                return map(ps);
            }
        });
    }

    /** The calendar copy matches (or has failed for good); {@code expectedUpdatedAt} guards against a change made meanwhile. */
    public void calendarDone(long id, String status, String eventId, String error, Instant expectedUpdatedAt) {
        db.inTransaction("recording a calendar sync", c -> {
            try (PreparedStatement ps = c.prepareStatement("update appointments set calendar_status = ?, google_event_id = coalesce(?, google_event_id), "
                    + "calendar_error = ?, calendar_next_at = null where id = ? and updated_at = ?")) {
                ps.setString(1, status);
                ps.setString(2, eventId);
                ps.setString(3, error);
                ps.setLong(4, id);
                db.dialect().setInstant(ps, 5, expectedUpdatedAt);
                return ps.executeUpdate();
            }
        });
    }

    /** A sync that may work later (Google down, rate-limited): tried again from {@code next}. */
    public void calendarRetry(long id, String error, Instant next) {
        db.inTransaction("recording a calendar retry", c -> {
            try (PreparedStatement ps = c.prepareStatement("update appointments set calendar_attempts = calendar_attempts + 1, calendar_error = ?, "
                    + "calendar_next_at = ? where id = ?")) {
                ps.setString(1, error);
                db.dialect().setInstant(ps, 2, next);
                ps.setLong(3, id);
                return ps.executeUpdate();
            }
        });
    }

    public int calendarAttempts(long id) {
        return db.read("reading calendar attempts", c -> {
            try (PreparedStatement ps = c.prepareStatement("select calendar_attempts from appointments where id = ?")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getInt(1) : 0;
                }
            }
        });
    }

    // ---- tool calls answered once ------------------------------------------------------------

    public Optional<String> toolAnswer(String toolCallId) {
        return db.read("reading a tool call", c -> toolAnswer(c, toolCallId));
    }

    private Optional<String> toolAnswer(Connection c, String toolCallId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select answer from tool_calls where tool_call_id = ?")) {
            ps.setString(1, toolCallId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    /**
     * Records the answer and how long it took from receiving the request ({@code durationMs}, for the
     * quality figures); false when this tool call id already has one (a retry raced us).
     */
    public boolean recordTool(Connection c, String toolCallId, String vapiCallId, Long clientId, String name, String arguments, String answer,
                              int durationMs) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into tool_calls (tool_call_id, vapi_call_id, client_id, name, arguments, answer, created_at, "
                + "duration_ms) values (?,?,?,?,?,?,?,?) on conflict (tool_call_id) do nothing")) {
            ps.setString(1, toolCallId);
            ps.setString(2, vapiCallId);
            if (clientId == null) {
                ps.setNull(3, Types.BIGINT);
            } else {
                ps.setLong(3, clientId);
            }
            ps.setString(4, name);
            ps.setString(5, arguments);
            ps.setString(6, answer);
            db.dialect().setInstant(ps, 7, clock.instant());
            ps.setInt(8, durationMs);
            return ps.executeUpdate() == 1;
        }
    }

    /** The call produced a booking: the end-of-call report's outcome says so. */
    public void markCallBooked(String vapiCallId) {
        db.inTransaction("marking a call booked", c -> {
            try (PreparedStatement ps = c.prepareStatement("update calls set outcome = 'booked' where vapi_call_id = ? and exists "
                    + "(select 1 from appointments where vapi_call_id = ? and status in " + STANDING + ")")) {
                ps.setString(1, vapiCallId);
                ps.setString(2, vapiCallId);
                return ps.executeUpdate();
            }
        });
    }

    /** The booking's lead is now booked (in the booking's transaction). */
    public void markLeadBooked(Connection conn, long leadId, Instant now) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("update leads set status = 'booked', updated_at = ? where id = ?")) {
            db.dialect().setInstant(ps, 1, now);
            ps.setLong(2, leadId);
            ps.executeUpdate();
        }
    }

    /** The client's lead behind a call: {@code fromCall} (the dialler's lead id) when it is one, else the newest lead with this number; or null. */
    public Long callLead(long clientId, String fromCall, String phone) {
        return db.read("finding the lead", conn -> {
            try (PreparedStatement ps = conn.prepareStatement(fromCall != null && fromCall.matches("\\d{1,18}")
                    ? "select id from leads where client_id = ? and id = ?" : "select id from leads where " + uk.bookinghub.leads.LeadKeys.numberCondition(true) + " order by id desc limit 1")) {
                ps.setLong(1, clientId);
                if (fromCall != null && fromCall.matches("\\d{1,18}")) {
                    ps.setLong(2, Long.parseLong(fromCall));
                } else {
                    ps.setLong(2, uk.bookinghub.leads.LeadKeys.ofE164OrZero(phone));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : null;
                }
            }
        });
    }

    private List<Appointment> map(PreparedStatement ps) throws SQLException {
        Dialect d = db.dialect();
        List<Appointment> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                long lead = rs.getLong("lead_id");
                Long leadId = rs.wasNull() ? null : lead;
                out.add(new Appointment(rs.getLong("id"), rs.getLong("client_id"), leadId, rs.getString("vapi_call_id"), rs.getString("customer_name"),
                        rs.getString("phone_e164"), rs.getString("email"), rs.getString("service"), rs.getString("notes"), d.getInstant(rs, "start_at"),
                        d.getInstant(rs, "end_at"), rs.getString("status"), rs.getString("calendar_status"), rs.getString("google_event_id"),
                        rs.getString("calendar_error"), d.getInstant(rs, "created_at"), d.getInstant(rs, "updated_at"), d.getInstant(rs, "scheduled_at"),
                        d.getInstant(rs, "cancelled_at"), d.getInstant(rs, "completed_at"), rs.getString("completed_by"), d.getInstant(rs, "no_show_at"),
                        rs.getString("no_show_by")));
            }
        }
        return out;
    }
}
