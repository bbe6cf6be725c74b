package uk.bookinghub.dialler;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;
import uk.bookinghub.store.ListQuery;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The dialler's SQL: {@code dial_attempts}, the dialler's columns of {@code leads} (status, attempts,
 * next call) and of {@code clients} (calling settings), and the call row a placed attempt opens.
 * Each method is one transaction (or one read) unless it takes a connection.
 */
final class DiallerStore {

    /** A queued lead whose time has come. */
    record Candidate(long id, long clientId, String name, String phone, String phoneType, boolean dialable, boolean tps, boolean ctps,
                     String consent, int attempts, Instant lastAbandonedAt) {
    }

    /** A placed (or dialling) attempt with no end-of-call report. */
    record Stale(long attemptId, long leadId, String vapiCallId, long clientId) {
    }

    /** What is stored of a client's dialler pause; {@code pausedAt} null = running. */
    record PauseRow(Instant pausedAt, String reason, Instant resumedAt) {
    }

    private final Database db;
    private final Dialect dialect;

    DiallerStore(Database db) {
        this.db = db;
        this.dialect = db.dialect();
    }

    String callingSettings(long clientId) {
        return db.read("reading calling settings", conn -> {
            try (PreparedStatement ps = conn.prepareStatement("select calling_settings from clients where id = ?")) {
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : "{}";
                }
            }
        });
    }

    void saveCallingSettings(Connection conn, long clientId, String json) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("update clients set calling_settings = ? where id = ?")) {
            ps.setString(1, json);
            ps.setLong(2, clientId);
            ps.executeUpdate();
        }
    }

    // ---- the pause (abandoned-call rate): clients.dialler_paused_at / _reason / dialler_resumed_at ----------

    /** The clients whose dialler is paused now: read every tick from the database, so every instance sees a pause at once. */
    java.util.Set<Long> pausedClients() {
        return db.read("reading paused diallers", c -> {
            java.util.Set<Long> out = new java.util.HashSet<>();
            try (PreparedStatement ps = c.prepareStatement("select id from clients where dialler_paused_at is not null");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
            return out;
        });
    }

    /** Every paused dialler: client key, since when, why; oldest pause first. */
    List<Map<String, Object>> pausedList() {
        return db.read("listing paused diallers", c -> {
            List<Map<String, Object>> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select client_key, dialler_paused_at, dialler_paused_reason from clients "
                    + "where dialler_paused_at is not null order by dialler_paused_at, id");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> m = new java.util.LinkedHashMap<>();
                    m.put("clientKey", rs.getString("client_key"));
                    m.put("pausedAt", String.valueOf(dialect.getInstant(rs, "dialler_paused_at")));
                    m.put("reason", rs.getString("dialler_paused_reason"));
                    out.add(m);
                }
            }
            return out;
        });
    }

    PauseRow pauseOf(long clientId) {
        return db.read("reading a dialler's pause", c -> {
            try (PreparedStatement ps = c.prepareStatement("select dialler_paused_at, dialler_paused_reason, dialler_resumed_at from clients where id = ?")) {
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return new PauseRow(null, null, null);
                    }
                    return new PauseRow(dialect.getInstant(rs, "dialler_paused_at"), rs.getString("dialler_paused_reason"),
                            dialect.getInstant(rs, "dialler_resumed_at"));
                }
            }
        });
    }

    /** Pauses the client's dialler; false when it already was (another instance, or an earlier pass, paused it first). */
    boolean pause(long clientId, String reason, Instant now) {
        return db.inTransaction("pausing a dialler", c -> {
            try (PreparedStatement ps = c.prepareStatement("update clients set dialler_paused_at = ?, dialler_paused_reason = ? "
                    + "where id = ? and dialler_paused_at is null")) {
                dialect.setInstant(ps, 1, now);
                ps.setString(2, reason);
                ps.setLong(3, clientId);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** What a resume cleared, and how many queued leads it released to be dialled at once. */
    record Resumed(Instant pausedAt, String reason, int released) {
    }

    /**
     * Resumes the client's dialler: empty when it was not paused (or another admin resumed it a moment
     * ago). The leads the pause held back (blocked with {@code abandoned_rate} since it began) are due
     * again at once, in the same transaction.
     */
    Optional<Resumed> resume(long clientId, Instant now, uk.bookinghub.audit.Audit audit) {
        return db.inTransaction("resuming a dialler", c -> {
            PauseRow was;
            try (PreparedStatement ps = c.prepareStatement("select dialler_paused_at, dialler_paused_reason from clients where id = ?")) {
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<Resumed>empty();
                    }
                    was = new PauseRow(dialect.getInstant(rs, "dialler_paused_at"), rs.getString("dialler_paused_reason"), null);
                }
            }
            if (was.pausedAt() == null) {
                return Optional.<Resumed>empty();
            }
            try (PreparedStatement ps = c.prepareStatement("update clients set dialler_paused_at = null, dialler_paused_reason = null, "
                    + "dialler_resumed_at = ? where id = ? and dialler_paused_at is not null")) {
                dialect.setInstant(ps, 1, now);
                ps.setLong(2, clientId);
                if (ps.executeUpdate() != 1) {
                    return Optional.<Resumed>empty(); // resumed by someone else meanwhile
                }
            }
            int released;
            try (PreparedStatement ps = c.prepareStatement("update leads set next_call_at = null, updated_at = ? where client_id = ? and status = 'queued' "
                    + "and id in (select lead_id from dial_attempts where client_id = ? and rule = ? and created_at >= ?)")) {
                dialect.setInstant(ps, 1, now);
                ps.setLong(2, clientId);
                ps.setLong(3, clientId);
                ps.setString(4, CallingRules.ABANDONED_RATE);
                dialect.setInstant(ps, 5, was.pausedAt());
                released = ps.executeUpdate();
            }
            if (audit != null) {
                audit.detail("released", released).write(c, 200);
            }
            return Optional.of(new Resumed(was.pausedAt(), was.reason(), released));
        });
    }

    /**
     * The client may call this lead now ({@link uk.bookinghub.clients.ClientState}): an active client
     * anyone, a trial client only its owner's own number, others nobody. A lead it may not call is not
     * a candidate: it stays queued (held, not blocked, not lost) and is dialled once the client may.
     */
    private static final String MAY_DIAL = "exists (select 1 from clients c where c.id = leads.client_id and "
            + uk.bookinghub.clients.ClientState.mayReachSql("leads.phone_e164") + ")";

    /** Queued leads due by {@code now}, oldest first, at most {@code batch}, of clients that may call them. */
    List<Candidate> due(Instant now, int batch) {
        return db.read("reading leads to dial", c -> {
            List<Candidate> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select id, client_id, name, phone_e164, phone_type, dialable, tps, ctps, consent, call_attempts, "
                    + "last_abandoned_at from leads where status = 'queued' and (next_call_at is null or next_call_at <= ?) and " + MAY_DIAL
                    + " order by id limit ?")) {
                dialect.setInstant(ps, 1, now);
                ps.setInt(2, batch);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Candidate(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getBoolean(6),
                                rs.getBoolean(7), rs.getBoolean(8), rs.getString(9), rs.getInt(10), dialect.getInstant(rs, "last_abandoned_at")));
                    }
                }
            }
            return out;
        });
    }

    /** Queued leads due by {@code now} that their clients' states hold, by client key and state (for the dialler's log line). */
    Map<String, Long> held(Instant now) {
        return db.read("counting held leads", c -> {
            Map<String, Long> out = new java.util.TreeMap<>();
            try (PreparedStatement ps = c.prepareStatement("select k.client_key, k.state, count(*) from leads join clients k on k.id = leads.client_id "
                    + "where leads.status = 'queued' and (leads.next_call_at is null or leads.next_call_at <= ?) and not " + MAY_DIAL
                    + " group by k.client_key, k.state")) {
                dialect.setInstant(ps, 1, now);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1) + " (" + rs.getString(2) + ")", rs.getLong(3));
                    }
                }
            }
            return out;
        });
    }

    int inFlight(long clientId) {
        return db.read("counting calls in flight", c -> {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from dial_attempts where client_id = ? and status in ('dialling', 'placed')")) {
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    /** A blocked dial, recorded with its rule; the lead waits for {@code notBefore}, or (null) is skipped for good. */
    void block(Candidate lead, String rule, String detail, Instant notBefore, Instant now) {
        db.inTransaction("recording a blocked dial", c -> {
            insertAttempt(c, lead.clientId(), lead.id(), null, "blocked", rule, detail, now);
            try (PreparedStatement ps = c.prepareStatement(notBefore != null
                    ? "update leads set next_call_at = ?, updated_at = ? where id = ? and status = 'queued'"
                    : "update leads set status = 'skipped', status_reason = ?, updated_at = ? where id = ? and status = 'queued'")) {
                if (notBefore != null) {
                    dialect.setInstant(ps, 1, notBefore);
                } else {
                    ps.setString(1, "not dialled: " + rule);
                }
                dialect.setInstant(ps, 2, now);
                ps.setLong(3, lead.id());
                ps.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Reserves attempt {@code attemptNo} of the lead: its id, or empty when the lead is no longer
     * queued at the attempts read. A unique violation (another instance inserted this attempt) is
     * thrown as it is, for the caller to tell apart.
     */
    Optional<Long> reserve(Candidate lead, int attemptNo, Instant now) {
        return db.inTransaction("reserving a dial attempt", c -> {
            try (PreparedStatement ps = c.prepareStatement("update leads set status = 'calling', call_attempts = ?, updated_at = ? "
                    + "where id = ? and status = 'queued' and call_attempts = ?")) {
                ps.setInt(1, attemptNo);
                dialect.setInstant(ps, 2, now);
                ps.setLong(3, lead.id());
                ps.setInt(4, lead.attempts());
                if (ps.executeUpdate() != 1) {
                    return Optional.<Long>empty();
                }
            }
            return Optional.of(insertAttempt(c, lead.clientId(), lead.id(), attemptNo, "dialling", null, null, now));
        });
    }

    private long insertAttempt(Connection c, long clientId, long leadId, Integer attemptNo, String status, String rule, String detail, Instant now)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into dial_attempts (client_id, lead_id, attempt_no, status, rule, detail, created_at, updated_at) "
                + "values (?,?,?,?,?,?,?,?)", Statement.RETURN_GENERATED_KEYS)) {
            ps.setLong(1, clientId);
            ps.setLong(2, leadId);
            if (attemptNo == null) {
                ps.setNull(3, java.sql.Types.INTEGER);
            } else {
                ps.setInt(3, attemptNo);
            }
            ps.setString(4, status);
            ps.setString(5, rule);
            ps.setString(6, detail);
            dialect.setInstant(ps, 7, now);
            dialect.setInstant(ps, 8, now);
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                return keys.getLong(1);
            }
        }
    }

    /** An end-of-call report stored before the dialler had recorded the call it placed (a call that ended at once). */
    record EarlyReport(String outcome, String endedReason, Instant startedAt, Instant endedAt) {
    }

    /**
     * The attempt was placed as Vapi call {@code vapiId}: recorded on the attempt, and the call row opened (the
     * end-of-call report fills it in). Vapi may report the end of a short call before this commits: the report
     * then found no dial attempt, and is returned here so that the dialler closes the attempt itself. The insert
     * comes before the read so that, on PostgreSQL, a report being written at that moment is waited for.
     */
    Optional<EarlyReport> placed(Dialler.DialJob job, String vapiId, String status, String assistantId, Instant now) {
        return db.inTransaction("recording a placed call", c -> {
            try (PreparedStatement ps = c.prepareStatement("update dial_attempts set status = 'placed', vapi_call_id = ?, updated_at = ? where id = ?")) {
                ps.setString(1, vapiId);
                dialect.setInstant(ps, 2, now);
                ps.setLong(3, job.attemptId());
                ps.executeUpdate();
            }
            // the call row exists from now on; the end-of-call report fills it in (same Vapi id)
            try (PreparedStatement ps = c.prepareStatement("insert into calls (vapi_call_id, client_id, tenant_rule, lead_id, customer_number, status, "
                    + "status_rank, created_at, updated_at, assistant_id) values (?,?,?,?,?,?,?,?,?,?) on conflict (vapi_call_id) do nothing")) {
                ps.setString(1, vapiId);
                ps.setLong(2, job.clientId());
                ps.setString(3, "dialler");
                ps.setString(4, String.valueOf(job.leadId()));
                ps.setString(5, job.phone());
                ps.setString(6, status);
                ps.setInt(7, 20);
                dialect.setInstant(ps, 8, now);
                dialect.setInstant(ps, 9, now);
                ps.setString(10, assistantId);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("select outcome, ended_reason, started_at, ended_at from calls where vapi_call_id = ? and report_count > 0")) {
                ps.setString(1, vapiId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(new EarlyReport(rs.getString(1), rs.getString(2), dialect.getInstant(rs, "started_at"),
                            dialect.getInstant(rs, "ended_at"))) : Optional.<EarlyReport>empty();
                }
            }
        });
    }

    /** The attempt failed with {@code why}; a lead still calling goes back to the queue in 15 minutes ({@code requeue}) or to call_failed. */
    void failed(Dialler.DialJob job, String why, boolean requeue, Instant now) {
        db.inTransaction("recording a failed dial", c -> {
            try (PreparedStatement ps = c.prepareStatement("update dial_attempts set status = 'failed', detail = ?, updated_at = ? where id = ?")) {
                ps.setString(1, why);
                dialect.setInstant(ps, 2, now);
                ps.setLong(3, job.attemptId());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("update leads set status = ?, status_reason = ?, next_call_at = ?, updated_at = ? "
                    + "where id = ? and status = 'calling'")) {
                ps.setString(1, requeue ? "queued" : "call_failed");
                ps.setString(2, why);
                dialect.setInstant(ps, 3, requeue ? now.plus(java.time.Duration.ofMinutes(15)) : null);
                dialect.setInstant(ps, 4, now);
                ps.setLong(5, job.leadId());
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** One page of the client's dial attempts matching the query, newest first. */
    Map<String, Object> attempts(ListQuery q, int page, int size) {
        return db.read("listing dial attempts", c -> q.page(dialect, c, "dial_attempts",
                "id, lead_id, attempt_no, status, rule, detail, vapi_call_id, created_at, updated_at", page, size, rs -> {
                    Map<String, Object> m = new java.util.LinkedHashMap<>();
                    m.put("id", rs.getLong("id"));
                    m.put("leadId", rs.getLong("lead_id"));
                    int no = rs.getInt("attempt_no");
                    m.put("attemptNo", rs.wasNull() ? null : no);
                    m.put("status", rs.getString("status"));
                    m.put("rule", rs.getString("rule"));
                    m.put("detail", rs.getString("detail"));
                    m.put("vapiCallId", rs.getString("vapi_call_id"));
                    m.put("createdAt", java.util.Objects.toString(dialect.getInstant(rs, "created_at"), null));
                    m.put("updatedAt", java.util.Objects.toString(dialect.getInstant(rs, "updated_at"), null));
                    return m;
                }));
    }

    /** The lead of the dial attempt that placed Vapi call {@code vapiCallId}, if the hub placed it. */
    Optional<Long> dialledLead(String vapiCallId) {
        return db.read("finding the lead of a dialled call", c -> {
            try (PreparedStatement ps = c.prepareStatement("select lead_id from dial_attempts where vapi_call_id = ?")) {
                ps.setString(1, vapiCallId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getLong(1)) : Optional.<Long>empty();
                }
            }
        });
    }

    /** The attempt of call {@code vapiCallId} ended; its lead was contacted (booked) at {@code contactedAt}, and abandoned then if {@code abandonedAt} is set. */
    void ended(long leadId, String vapiCallId, String detail, String leadStatus, Instant contactedAt, Instant abandonedAt, Instant now) {
        db.inTransaction("recording a dialled call's end", c -> {
            try (PreparedStatement ps = c.prepareStatement("update dial_attempts set status = 'ended', detail = ?, updated_at = ? where vapi_call_id = ?")) {
                ps.setString(1, detail);
                dialect.setInstant(ps, 2, now);
                ps.setString(3, vapiCallId);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("update leads set status = case when status = 'calling' then ? else status end, "
                    + "last_contacted_at = ?, last_abandoned_at = coalesce(?, last_abandoned_at), updated_at = ? where id = ?")) {
                ps.setString(1, leadStatus);
                dialect.setInstant(ps, 2, contactedAt);
                dialect.setInstant(ps, 3, abandonedAt);
                dialect.setInstant(ps, 4, now);
                ps.setLong(5, leadId);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** Attempts placed (or dialling) and not updated since {@code cutoff}, at most 500. */
    List<Stale> stale(Instant cutoff) {
        return db.read("finding calls without a report", c -> {
            List<Stale> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select id, lead_id, vapi_call_id, client_id from dial_attempts where status in ('placed', 'dialling') "
                    + "and updated_at < ? order by id limit 500")) {
                dialect.setInstant(ps, 1, cutoff);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Stale(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getLong(4)));
                    }
                }
            }
            return out;
        });
    }

    /** The stale attempt, its call and its lead (if still calling) become unknown. */
    void unknown(Stale s, String detail, String leadReason, Instant now) {
        db.inTransaction("reconciling a call", c -> {
            try (PreparedStatement ps = c.prepareStatement("update dial_attempts set status = 'unknown', detail = ?, updated_at = ? where id = ? "
                    + "and status in ('placed', 'dialling')")) {
                ps.setString(1, detail);
                dialect.setInstant(ps, 2, now);
                ps.setLong(3, s.attemptId());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("update calls set status = 'unknown', updated_at = ? where vapi_call_id = ? and status_rank < 100")) {
                dialect.setInstant(ps, 1, now);
                ps.setString(2, s.vapiCallId());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("update leads set status = 'call_unknown', status_reason = ?, updated_at = ? "
                    + "where id = ? and status = 'calling'")) {
                ps.setString(1, leadReason);
                dialect.setInstant(ps, 2, now);
                ps.setLong(3, s.leadId());
                ps.executeUpdate();
            }
            return null;
        });
    }
}
