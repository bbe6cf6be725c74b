package uk.bookinghub.reminders;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The reminder batch's SQL: booked {@code appointments} by start time, the clients' booking
 * settings (where the reminder rules live), and {@code reminders}, one row per (appointment, kind,
 * start) that says a reminder was decided.
 */
final class ReminderStore {

    /** A booked appointment in the window. */
    record Due(long id, long clientId, Long leadId, String name, String phone, String email, String service, Instant start,
               Instant scheduledAt) {
    }

    /** An active client's stored booking settings. */
    record ClientSettings(long clientId, String clientKey, String json) {
    }

    /** A reminder decided for an appointment: queued or skipped (with the reason). */
    record Decided(long appointmentId, String kind, Instant start, String status, String reason) {
    }

    private final Database db;
    private final Dialect dialect;

    ReminderStore(Database db) {
        this.db = db;
        this.dialect = db.dialect();
    }

    Database database() {
        return db;
    }

    /** The booking settings of every client that may send (trial or active: {@link uk.bookinghub.clients.ClientState}). */
    List<ClientSettings> activeClientSettings() {
        return db.read("reading reminder offsets", c -> {
            List<ClientSettings> out = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select id, client_key, booking_settings from clients where " + SENDING)) {
                while (rs.next()) {
                    out.add(new ClientSettings(rs.getLong(1), rs.getString(2), rs.getString(3)));
                }
            }
            return out;
        });
    }

    /** Clients whose reminders are decided: trial and active ones (a suspended client's wait, and are decided once it is active again). */
    private static final String SENDING = "state in ('trial', 'active')";

    /**
     * Booked appointments starting by {@code to} and after ({@code after}, {@code afterId}): keyset paging on (start_at, id);
     * a suspended client's are left for when it is active again (the reminder then due is decided, if the appointment is still ahead).
     */
    List<Due> page(Instant to, Instant after, long afterId, int limit) {
        return db.read("reading due appointments", c -> {
            List<Due> out = new ArrayList<>();
            // keyset paging on (start_at, id); appointments_booked_start_idx serves it
            try (PreparedStatement ps = c.prepareStatement("select id, client_id, lead_id, customer_name, phone_e164, email, service, start_at, scheduled_at "
                    + "from appointments where status = 'booked' and start_at <= ? and (start_at > ? or (start_at = ? and id > ?)) "
                    + "and client_id in (select id from clients where " + SENDING + ") "
                    + "order by start_at, id limit ?")) {
                dialect.setInstant(ps, 1, to);
                dialect.setInstant(ps, 2, after);
                dialect.setInstant(ps, 3, after);
                ps.setLong(4, afterId);
                ps.setInt(5, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long lead = rs.getLong(3);
                        Long leadId = rs.wasNull() ? null : lead;
                        out.add(new Due(rs.getLong(1), rs.getLong(2), leadId, rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7),
                                dialect.getInstant(rs, "start_at"), dialect.getInstant(rs, "scheduled_at")));
                    }
                }
            }
            return out;
        });
    }

    /** The client's stored booking settings ({@code {}} when none). */
    String bookingSettingsJson(Connection c, long clientId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select booking_settings from clients where id = ?")) {
            ps.setLong(1, clientId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : "{}";
            }
        }
    }

    /**
     * Records each decided reminder once per (appointment, kind, start), in the caller's
     * transaction; returns, in the order given, whether this transaction recorded it (false: another
     * run or instance already decided it). One multi-row {@code INSERT ... ON CONFLICT DO NOTHING
     * RETURNING} per 1,000 rows: the database says which rows are new.
     */
    boolean[] claim(Connection c, List<Decided> decided, Instant stamp) throws SQLException {
        boolean[] fresh = new boolean[decided.size()];
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < decided.size(); i++) {
            index.put(decided.get(i).appointmentId() + "/" + decided.get(i).kind(), i);
        }
        for (int from = 0; from < decided.size(); from += 1000) {
            List<Decided> chunk = decided.subList(from, Math.min(decided.size(), from + 1000));
            String sql = "insert into reminders (appointment_id, kind, start_at, status, reason, created_at) values "
                    + String.join(",", java.util.Collections.nCopies(chunk.size(), "(?,?,?,?,?,?)"))
                    + " on conflict (appointment_id, kind, start_at) do nothing returning appointment_id, kind";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                for (Decided d : chunk) {
                    ps.setLong(i++, d.appointmentId());
                    ps.setString(i++, d.kind());
                    dialect.setInstant(ps, i++, d.start());
                    ps.setString(i++, d.status());
                    ps.setString(i++, d.reason());
                    dialect.setInstant(ps, i++, stamp);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Integer at = index.get(rs.getLong(1) + "/" + rs.getString(2));
                        if (at != null) {
                            fresh[at] = true;
                        }
                    }
                }
            }
        }
        return fresh;
    }
}
