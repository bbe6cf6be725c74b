package uk.bookinghub.audit;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;
import uk.bookinghub.store.ListQuery;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code audit_log} table: appends (in the caller's transaction, chained after the last row under
 * the chain lock), the filtered list, and a walk over every row in chain order for the verifier.
 * Nothing here updates or deletes a row; the database refuses both (V16's triggers).
 */
public final class AuditStore {

    /** The advisory lock key appends take turns on (PostgreSQL): "auditlog" in ASCII. */
    static final long CHAIN_LOCK = 0x61756469746c6f67L;
    private static final String COLUMNS = "id, at, client_id, client_key, actor, action, target_ids, details, ip, request_id, status, prev_hash, hash";

    /** Sees each row of a walk. */
    public interface Visitor {
        void row(AuditEntry e);
    }

    private final Database db;

    public AuditStore(Database db) {
        this.db = db;
    }

    /**
     * Appends {@code d} after the last row, in the transaction on {@code c}. Make it the transaction's
     * last statement: on PostgreSQL the chain lock it takes is held until the commit, so every other
     * append (on any instance) waits for this transaction to end.
     */
    public AuditEntry append(Connection c, AuditEntry.Draft d) throws SQLException {
        Dialect dialect = db.dialect();
        dialect.lockChain(c, CHAIN_LOCK);
        long prevId = 0;
        String prevHash = AuditEntry.GENESIS;
        try (PreparedStatement ps = c.prepareStatement("select id, hash from audit_log order by id desc limit 1");
             ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
                prevId = rs.getLong(1);
                prevHash = rs.getString(2);
            }
        }
        AuditEntry e = d.chained(prevId, prevHash);
        try (PreparedStatement ps = c.prepareStatement("insert into audit_log (" + COLUMNS + ") values (?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            ps.setLong(1, e.id());
            dialect.setInstant(ps, 2, e.at());
            if (e.clientId() == null) {
                ps.setNull(3, Types.BIGINT);
            } else {
                ps.setLong(3, e.clientId());
            }
            ps.setString(4, e.clientKey());
            ps.setString(5, e.actor());
            ps.setString(6, e.action());
            ps.setString(7, e.targets());
            ps.setString(8, e.details());
            ps.setString(9, e.ip());
            ps.setString(10, e.requestId());
            ps.setInt(11, e.status());
            ps.setString(12, e.prevHash());
            ps.setString(13, e.hash());
            ps.executeUpdate();
        }
        return e;
    }

    /** Appends {@code d} in a transaction of its own. */
    public AuditEntry append(AuditEntry.Draft d) {
        return db.inTransaction("writing an audit row", c -> append(c, d));
    }

    /** Whether the row with this hash is in the log (committed: an append inside a transaction that rolled back is not). */
    public boolean contains(String hash) {
        return db.read("reading an audit row", c -> {
            try (PreparedStatement ps = c.prepareStatement("select 1 from audit_log where hash = ?")) {
                ps.setString(1, hash);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** Rows newest first: of one client ({@code clientId}; null with {@code allClients} = every row), within [since, until), of an action. */
    public List<AuditEntry> list(Long clientId, boolean allClients, Instant since, Instant until, String action, int limit) {
        return db.read("listing the audit log", c -> {
            ListQuery q = allClients && clientId == null ? new ListQuery("id > ?", 0L) : new ListQuery("client_id = ?", clientId);
            q.and("at >= ?", since).and("at < ?", until).and("action = ?", action);
            try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from audit_log" + q.where() + " order by id desc limit ?")) {
                int i = q.bind(db.dialect(), ps);
                ps.setInt(i, limit);
                List<AuditEntry> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(row(rs));
                    }
                }
                return out;
            }
        });
    }

    /**
     * Every row in chain order (by id), streamed: a cursor of {@code fetchSize} rows at a time, never
     * the whole table in memory (PostgreSQL streams only inside a transaction, hence one here).
     */
    public void walk(int fetchSize, Visitor visitor) {
        db.inTransaction("walking the audit log", c -> {
            try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from audit_log order by id")) {
                ps.setFetchSize(fetchSize);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        visitor.row(row(rs));
                    }
                }
            }
            return null;
        });
    }

    private AuditEntry row(ResultSet rs) throws SQLException {
        long clientId = rs.getLong("client_id");
        Long client = rs.wasNull() ? null : clientId;
        return new AuditEntry(rs.getLong("id"), db.dialect().getInstant(rs, "at"), client, rs.getString("client_key"), rs.getString("actor"),
                rs.getString("action"), rs.getString("target_ids"), rs.getString("details"), rs.getString("ip"), rs.getString("request_id"),
                rs.getInt("status"), rs.getString("prev_hash"), rs.getString("hash"));
    }
}
