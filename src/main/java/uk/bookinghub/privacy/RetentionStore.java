package uk.bookinghub.privacy;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * SQL for the scheduled privacy sweeps: lead expiry (hourly) and retention (daily). Each works in
 * batches, one transaction per batch, so a first run over a large table never holds SQLite's one
 * writer (or a PostgreSQL row lock set) for long.
 */
final class RetentionStore {

    /** Lead statuses an expiry may end: waiting for the dialler, or called without being reached. Not {@code calling} (a call in flight). */
    static final String EXPIRABLE = "('new', 'queued', 'contacted', 'call_failed', 'call_unknown')";
    /** Call outcomes that mean a person was reached. */
    private static final String REACHED = "('booked', 'not_interested', 'callback_requested', 'completed')";
    private static final int BATCH = 1000;

    /** A lead the expiry looks at: never reached since its import before {@code importedBefore} ({@code stale}), or with a consent date to check. */
    record Candidate(long id, boolean stale, String consentAt) {
    }

    private final Database db;
    private final Dialect dialect;

    RetentionStore(Database db) {
        this.db = db;
        this.dialect = db.dialect();
    }

    /**
     * The next leads (by id, after {@code afterId}) that are expirable and either were (re-)imported before
     * {@code importedBefore} and never reached, or carry a consent date that is older than {@code consentBefore}
     * (an ISO date: compared as text) or not an ISO date at all (the caller reads it).
     */
    List<Candidate> expiryCandidates(Instant importedBefore, String consentBefore, long afterId) {
        return db.read("finding leads to expire", c -> {
            List<Candidate> out = new ArrayList<>();
            String stale = "coalesce(l.imported_at, l.created_at) < ? and not exists (select 1 from calls k where k.client_id = l.client_id "
                    + "and k.lead_id = cast(l.id as text) and k.outcome in " + REACHED + ")";
            try (PreparedStatement ps = c.prepareStatement("select l.id, case when " + stale + " then 1 else 0 end as stale, l.consent_at from leads l "
                    + "where l.id > ? and l.status in " + EXPIRABLE + " and ((" + stale + ") or (l.consent_at is not null and "
                    + "(l.consent_at < ? or l.consent_at not like '____-__-__%'))) order by l.id limit ?")) {
                dialect.setInstant(ps, 1, importedBefore);
                ps.setLong(2, afterId);
                dialect.setInstant(ps, 3, importedBefore);
                ps.setString(4, consentBefore);
                ps.setInt(5, BATCH);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Candidate(rs.getLong(1), rs.getInt(2) == 1, rs.getString(3)));
                    }
                }
            }
            return out;
        });
    }

    /** A lead to expire, with why. */
    record Expiry(long id, String reason) {
    }

    /** Expires the leads (still expirable: a lead that moved on meanwhile is left alone) and cancels their pending follow-up steps. */
    int expire(List<Expiry> leads, Instant now) {
        if (leads.isEmpty()) {
            return 0;
        }
        return db.inTransaction("expiring leads", c -> {
            int expired = 0;
            try (PreparedStatement ps = c.prepareStatement("update leads set status = 'expired', status_reason = ?, expired_at = ?, next_call_at = null, "
                    + "updated_at = ? where id = ? and status in " + EXPIRABLE)) {
                for (Expiry e : leads) {
                    ps.setString(1, e.reason());
                    dialect.setInstant(ps, 2, now);
                    dialect.setInstant(ps, 3, now);
                    ps.setLong(4, e.id());
                    ps.addBatch();
                }
                for (int n : ps.executeBatch()) {
                    expired += n > 0 ? 1 : 0;
                }
            }
            try (PreparedStatement ps = c.prepareStatement("update retry_queue set status = 'cancelled', reason = 'lead expired', updated_at = ? "
                    + "where lead_id = ? and status = 'pending'")) {
                for (Expiry e : leads) {
                    dialect.setInstant(ps, 1, now);
                    ps.setLong(2, e.id());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return expired;
        });
    }

    /**
     * Sets {@code columns} to null on the rows of {@code table} older than {@code before} (by {@code timeColumn})
     * that still have {@code anyOf}, a batch per transaction; the rows changed.
     */
    int clear(String table, String setNull, String anyOf, String timeColumn, Instant before) {
        int total = 0;
        while (true) {
            int n = db.inTransaction("retention: " + table, c -> {
                try (PreparedStatement ps = c.prepareStatement("update " + table + " set " + setNull + " where id in (select id from " + table
                        + " where (" + anyOf + ") and " + timeColumn + " < ? limit " + BATCH * 5 + ")")) {
                    dialect.setInstant(ps, 1, before);
                    return ps.executeUpdate();
                }
            });
            total += n;
            if (n < BATCH * 5) {
                return total;
            }
        }
    }
}
