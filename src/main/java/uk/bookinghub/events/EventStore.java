package uk.bookinghub.events;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * SQL for {@code events} and {@code event_tickets} (migration V18). The events themselves are written
 * by the V18 triggers, in the transaction of the fact they report; this store reads them in id order,
 * purges them, keeps the stream tickets, and holds the PostgreSQL side of the announcements (LISTEN on
 * a dedicated connection, and which transactions are writing events right now).
 */
public final class EventStore {

    /** The NOTIFY channel each instance's {@link EventAnnouncer} announces the highest new event id on. */
    static final String CHANNEL = "hub_events";

    /** One stored event. {@code data} is its JSON object as stored. */
    public record Row(long id, long clientId, String type, String data, Instant at) {
    }

    /** Who a spent ticket belonged to: a client, or an admin ({@code clientId} null). */
    public record TicketOwner(Long clientId, boolean admin) {
    }

    private static final String COLUMNS = "id, client_id, type, data, created_at";

    private final Database db;
    private final Dialect dialect;

    public EventStore(Database db) {
        this.db = db;
        this.dialect = db.dialect();
    }

    Database database() {
        return db;
    }

    /**
     * Whether ids can commit out of order, so a missing id may still appear (PostgreSQL: several
     * transactions take ids from the sequence at once and commit in any order). On SQLite one
     * writer at a time takes and commits its ids: a missing id never appears later.
     */
    boolean idsCommitOutOfOrder() {
        return dialect.sharedByInstances();
    }

    /** Whether other hub instances write events too, announced by NOTIFY (PostgreSQL); else the commit wakes the tail in-process. */
    boolean announcedByNotify() {
        return dialect.sharedByInstances();
    }

    /** Events of every client after {@code afterId}, in id order, at most {@code limit}. */
    List<Row> after(long afterId, int limit) {
        return db.read("reading new events", c -> {
            try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from events where id > ? order by id limit ?")) {
                ps.setLong(1, afterId);
                ps.setInt(2, limit);
                return rows(ps);
            }
        });
    }

    /** Events in ({@code afterId}, {@code upTo}] of one client (null: every client), in id order, at most {@code limit}: a stream's replay. */
    List<Row> between(long afterId, long upTo, Long clientId, int limit) {
        return db.read("replaying events", c -> {
            try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from events where id > ? and id <= ?"
                    + (clientId == null ? "" : " and client_id = ?") + " order by id limit ?")) {
                ps.setLong(1, afterId);
                ps.setLong(2, upTo);
                int i = 3;
                if (clientId != null) {
                    ps.setLong(i++, clientId);
                }
                ps.setInt(i, limit);
                return rows(ps);
            }
        });
    }

    /** The highest event id there is (0 when none). */
    long maxId() {
        return db.read("reading the last event id", c -> scalar(c, "select coalesce(max(id), 0) from events"));
    }

    /** PostgreSQL: {@code NOTIFY hub_events '<id>'} in a transaction of its own (the listening instances read up to it). */
    void announce(long id) {
        db.read("announcing new events", c -> {
            try (PreparedStatement ps = c.prepareStatement("select pg_notify(?, ?)")) {
                ps.setString(1, CHANNEL);
                ps.setString(2, Long.toString(id));
                ps.execute();
                return null;
            }
        });
    }

    /** The lowest event id still kept (0 when none). */
    long minId() {
        return db.read("reading the first event id", c -> scalar(c, "select coalesce(min(id), 0) from events"));
    }

    /**
     * The transactions that are inserting events right now (PostgreSQL: each holds a row-exclusive lock
     * on {@code events} from its insert, before it takes its id, until it ends), by their virtual
     * transaction id. A missing id is final once none of the writers seen after it was missed is still
     * there. Empty on SQLite.
     */
    Set<String> writers() {
        if (!idsCommitOutOfOrder()) {
            return Set.of();
        }
        return db.read("reading the event writers", c -> {
            Set<String> out = new HashSet<>();
            try (PreparedStatement ps = c.prepareStatement("select virtualtransaction from pg_locks where locktype = 'relation' "
                    + "and relation = 'events'::regclass and mode = 'RowExclusiveLock' and pid <> pg_backend_pid()");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        });
    }

    /** Deletes the events created before {@code before}, a chunk per transaction; returns how many. */
    int purge(Instant before) {
        int total = 0;
        while (true) {
            int n = db.inTransaction("purging old events", c -> {
                try (PreparedStatement ps = c.prepareStatement("delete from events where id in "
                        + "(select id from events where created_at < ? order by id limit 5000)")) {
                    dialect.setInstant(ps, 1, before);
                    return ps.executeUpdate();
                }
            });
            total += n;
            if (n < 5000) {
                return total;
            }
        }
    }

    /** Deletes the tickets that expired before {@code before}; returns how many. */
    int purgeTickets(Instant before) {
        return db.inTransaction("purging expired stream tickets", c -> {
            try (PreparedStatement ps = c.prepareStatement("delete from event_tickets where expires_at < ?")) {
                dialect.setInstant(ps, 1, before);
                return ps.executeUpdate();
            }
        });
    }

    void insertTicket(String hash, Long clientId, boolean admin, Instant now, Instant expires) {
        db.inTransaction("issuing a stream ticket", c -> {
            try (PreparedStatement ps = c.prepareStatement("insert into event_tickets (ticket_hash, client_id, admin, created_at, expires_at) "
                    + "values (?,?,?,?,?)")) {
                ps.setString(1, hash);
                if (clientId == null) {
                    ps.setNull(2, Types.BIGINT);
                } else {
                    ps.setLong(2, clientId);
                }
                ps.setBoolean(3, admin);
                dialect.setInstant(ps, 4, now);
                dialect.setInstant(ps, 5, expires);
                return ps.executeUpdate();
            }
        });
    }

    /**
     * Spends the ticket: one conditional update marks it used if it is unused and not expired at
     * {@code now}, and says whose it was; empty for an unknown, used or expired ticket. Two instances
     * given the same ticket at once: one update wins.
     */
    Optional<TicketOwner> spend(String hash, Instant now) {
        return db.inTransaction("spending a stream ticket", c -> {
            try (PreparedStatement ps = c.prepareStatement("update event_tickets set used_at = ? where ticket_hash = ? and used_at is null "
                    + "and expires_at > ? returning client_id, admin")) {
                dialect.setInstant(ps, 1, now);
                ps.setString(2, hash);
                dialect.setInstant(ps, 3, now);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<TicketOwner>empty();
                    }
                    long client = rs.getLong(1);
                    Long clientId = rs.wasNull() ? null : client;
                    return Optional.of(new TicketOwner(clientId, rs.getBoolean(2)));
                }
            }
        });
    }

    /** A dedicated connection (outside the pool, named on the server) that listens for new event ids. */
    Connection openListener(String applicationName, int socketTimeoutSeconds) throws SQLException {
        Connection c = db.openDedicated(applicationName, socketTimeoutSeconds);
        try {
            listen(c);
            return c;
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * {@code LISTEN hub_events} on the listening connection: once to start, and again as its health
     * check (a round trip that fails on a dead connection; listening twice is a no-op, and the
     * connection's last query stays the LISTEN for {@code pg_stat_activity}).
     */
    void listen(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("LISTEN " + CHANNEL);
        }
    }

    /**
     * The event ids announced on the listening connection, waiting up to {@code timeoutMs} for the
     * first (empty when none came). A connection that broke throws.
     */
    List<Long> announced(Connection c, int timeoutMs) throws SQLException {
        List<Long> ids = new ArrayList<>();
        for (String payload : dialect.notifications(c, timeoutMs)) {
            try {
                ids.add(Long.parseLong(payload.trim()));
            } catch (NumberFormatException e) {
                ids.add(0L); // a wake-up all the same
            }
        }
        return ids;
    }

    private List<Row> rows(PreparedStatement ps) throws SQLException {
        List<Row> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Row(rs.getLong("id"), rs.getLong("client_id"), rs.getString("type"), rs.getString("data"),
                        dialect.getInstant(rs, "created_at")));
            }
        }
        return out;
    }

    private static long scalar(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
