package uk.bookinghub.reminders;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The follow-ups' SQL: {@code retry_queue} (one row per step and lead, unique {@code step_key}),
 * the clients' stored sequences, and what a step reads of or does to its lead. Methods that take a
 * connection run in the caller's transaction; the others are one transaction (or one read) each.
 */
final class FollowUpStore {

    /** A claimed step. */
    record DueStep(long id, long clientId, long leadId, String outcome, String action, String stepKey) {
    }

    /** A step to add to the queue. */
    record NewStep(int stepNo, String action, Instant due) {
    }

    /** A client's stored sequences document. */
    record StoredSequences(long clientId, String clientKey, String json) {
    }

    /** A step's lead: its number and status. */
    record LeadState(String phone, String status) {
    }

    private final Database db;
    private final Dialect dialect;

    FollowUpStore(Database db) {
        this.db = db;
        this.dialect = db.dialect();
    }

    Database database() {
        return db;
    }

    /** The client's stored sequences document, or null. */
    String sequencesJson(long clientId) {
        return db.read("reading follow-up sequences", c -> sequencesJson(c, clientId));
    }

    String sequencesJson(Connection c, long clientId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select follow_up_sequences from clients where id = ?")) {
            ps.setLong(1, clientId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    void saveSequences(Connection c, long clientId, String json) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update clients set follow_up_sequences = ? where id = ?")) {
            ps.setString(1, json);
            ps.setLong(2, clientId);
            ps.executeUpdate();
        }
    }

    /** Every client's stored sequences (clients with none stored use the defaults). */
    List<StoredSequences> storedSequences() {
        return db.read("reading follow-up sequences", c -> {
            List<StoredSequences> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select id, client_key, follow_up_sequences from clients where follow_up_sequences is not null");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new StoredSequences(rs.getLong(1), rs.getString(2), rs.getString(3)));
                }
            }
            return out;
        });
    }

    /** Adds the sequence's steps for the lead, each once ({@code step_key}: outcome, step number, lead). */
    void start(long clientId, long leadId, String vapiCallId, String outcome, List<NewStep> steps, Instant now) {
        db.inTransaction("starting a follow-up sequence", c -> {
            for (NewStep st : steps) {
                try (PreparedStatement ps = c.prepareStatement("insert into retry_queue (client_id, lead_id, vapi_call_id, outcome, step_no, action, due_at, status, "
                        + "step_key, created_at, updated_at) values (?,?,?,?,?,?,?,'pending',?,?,?) on conflict (step_key) do nothing")) {
                    ps.setLong(1, clientId);
                    ps.setLong(2, leadId);
                    ps.setString(3, vapiCallId);
                    ps.setString(4, outcome);
                    ps.setInt(5, st.stepNo());
                    ps.setString(6, st.action());
                    dialect.setInstant(ps, 7, st.due());
                    ps.setString(8, outcome + ":" + st.stepNo() + ":lead-" + leadId);
                    dialect.setInstant(ps, 9, now);
                    dialect.setInstant(ps, 10, now);
                    ps.executeUpdate();
                }
            }
            return null;
        });
    }

    /** The lead's id if it is this client's lead, else null. */
    Long leadOfClient(long clientId, long leadId) {
        return db.read("finding the lead of a call", c -> {
            try (PreparedStatement ps = c.prepareStatement("select id from leads where id = ? and client_id = ?")) {
                ps.setLong(1, leadId);
                ps.setLong(2, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : null;
                }
            }
        });
    }

    /** Cancels pending steps matching the condition (in the caller's transaction). */
    int cancel(Connection c, String where, long id, String reason, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update retry_queue set status = 'cancelled', reason = ?, updated_at = ? where status = 'pending' and "
                + where)) {
            ps.setString(1, reason);
            dialect.setInstant(ps, 2, now);
            ps.setLong(3, id);
            return ps.executeUpdate();
        }
    }

    private static final String SENDING = "client_id in (select id from clients where state in ('trial', 'active'))";

    /**
     * Claims up to 500 pending steps due by {@code now}, none of the {@code held} clients': marked
     * running with {@code claimed_at}; another instance skips locked rows (PostgreSQL) or claimed ones.
     */
    List<DueStep> claim(Instant now, List<Long> held) {
        // a suspended client's steps stay pending (held, not cancelled) until it is active again (uk.bookinghub.clients.ClientState)
        String notHeld = held.isEmpty() ? "" : " and client_id not in (" + String.join(",", java.util.Collections.nCopies(held.size(), "?")) + ")";
        return db.inTransaction("claiming follow-up steps", c -> {
            List<DueStep> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("update retry_queue set status = 'running', claimed_at = ?, updated_at = ? where id in "
                    + "(select id from retry_queue where status = 'pending' and due_at <= ?" + notHeld + " and " + SENDING + " order by due_at, id limit 500"
                    + dialect.skipLocked() + ") returning id, client_id, lead_id, outcome, action, step_key")) {
                dialect.setInstant(ps, 1, now);
                dialect.setInstant(ps, 2, now);
                dialect.setInstant(ps, 3, now);
                for (int i = 0; i < held.size(); i++) {
                    ps.setLong(4 + i, held.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new DueStep(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getString(4), rs.getString(5), rs.getString(6)));
                    }
                }
            }
            return out;
        });
    }

    /** A claimed step goes back to pending, untouched. */
    void hold(long stepId) {
        db.inTransaction("holding a follow-up step", c -> {
            try (PreparedStatement ps = c.prepareStatement("update retry_queue set status = 'pending', claimed_at = null where id = ? and status = 'running'")) {
                ps.setLong(1, stepId);
                return ps.executeUpdate();
            }
        });
    }

    /** Steps left running by an instance that stopped mid-pass, claimed before {@code before}, are pending again. */
    void releaseStale(Instant before) {
        db.inTransaction("releasing stale follow-up claims", c -> {
            try (PreparedStatement ps = c.prepareStatement("update retry_queue set status = 'pending' where status = 'running' and claimed_at < ?")) {
                dialect.setInstant(ps, 1, before);
                return ps.executeUpdate();
            }
        });
    }

    /** The lead's number and status; null when the lead is gone. */
    LeadState lead(Connection c, long leadId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select phone_e164, status from leads where id = ?")) {
            ps.setLong(1, leadId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new LeadState(rs.getString(1), rs.getString(2)) : null;
            }
        }
    }

    boolean booked(Connection c, long leadId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select 1 from appointments where lead_id = ? and status in " + uk.bookinghub.booking.BookingStore.STANDING + " limit 1")) {
            ps.setLong(1, leadId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** A re-call step: the lead goes back to the dialler's queue (unless it booked, is being called, or was skipped or invalid). */
    void requeueLead(Connection c, long leadId, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update leads set status = 'queued', next_call_at = null, updated_at = ? where id = ? "
                + "and status not in ('booked', 'calling', 'skipped', 'invalid')")) {
            dialect.setInstant(ps, 1, now);
            ps.setLong(2, leadId);
            ps.executeUpdate();
        }
    }

    void finish(Connection c, long id, String status, String reason, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update retry_queue set status = ?, reason = ?, updated_at = ? where id = ?")) {
            ps.setString(1, status);
            ps.setString(2, reason);
            dialect.setInstant(ps, 3, now);
            ps.setLong(4, id);
            ps.executeUpdate();
        }
    }

    /** The client's steps for a lead, in the order they were added. */
    List<Map<String, Object>> steps(long clientId, long leadId) {
        return db.read("reading follow-up steps", c -> {
            List<Map<String, Object>> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select step_key, action, due_at, status, reason from retry_queue where client_id = ? and lead_id = ? order by id")) {
                ps.setLong(1, clientId);
                ps.setLong(2, leadId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("step", rs.getString(1));
                        m.put("action", rs.getString(2));
                        m.put("dueAt", String.valueOf(dialect.getInstant(rs, "due_at")));
                        m.put("status", rs.getString(4));
                        m.put("reason", rs.getString(5));
                        out.add(m);
                    }
                }
            }
            return out;
        });
    }
}
