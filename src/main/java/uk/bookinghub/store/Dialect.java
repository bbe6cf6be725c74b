package uk.bookinghub.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The one place where SQLite and PostgreSQL differ for the stores. No class outside
 * {@code uk.bookinghub.store} tests which database it runs on (DialectSeamTest checks it); each
 * asks this enum the question that matters to it:
 * <ul>
 * <li>instants: PostgreSQL {@code timestamptz}; SQLite ISO-8601 UTC text, which sorts correctly
 *     ({@link #setInstant}, {@link #getInstant});</li>
 * <li>booleans written into SQL text ({@link #bool});</li>
 * <li>concurrency: {@link #sharedByInstances} (several hubs and writers on one database, or
 *     SQLite's one writer), claims they share ({@link #skipLocked}: PostgreSQL {@code FOR UPDATE
 *     SKIP LOCKED}), a row kept from deletion instead of a foreign key ({@link #lockReferenced}),
 *     appends to a hash chain in turn ({@link #lockChain});</li>
 * <li>bulk writes: {@link #canCopyIn} / {@link #copyIn} (PostgreSQL {@code COPY}; SQLite has
 *     none) and {@link #relaxCommit};</li>
 * <li>failures: {@link #isUniqueViolation} ("already there") and {@link #isUnavailable} (answer
 *     503, retry later) told apart from a bug.</li>
 * </ul>
 * Upsert ({@code INSERT ... ON CONFLICT (...) DO NOTHING / DO UPDATE}) and {@code RETURNING} are
 * written the same in both (SQLite 3.35+), so the stores write them as they are.
 */
public enum Dialect {
    SQLITE, POSTGRESQL;

    private static final DateTimeFormatter ISO_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** Binds {@code args} from index 1 (instants in this dialect's form, the rest as objects); returns the next index. */
    public int bindAll(PreparedStatement ps, java.util.List<?> args) throws SQLException {
        int i = 1;
        for (Object a : args) {
            if (a instanceof Instant t) {
                setInstant(ps, i++, t);
            } else {
                ps.setObject(i++, a);
            }
        }
        return i;
    }

    /**
     * A FROM item that is a one-column table ({@code alias.id}, text) of values bound as one parameter with
     * {@link #bindTexts}: a whole batch's keys in one statement ({@code unnest} of an array on PostgreSQL,
     * {@code json_each} of a JSON array on SQLite).
     */
    public String textsAsTable(String alias) {
        return this == POSTGRESQL ? "unnest(cast(? as text[])) as " + alias + "(id)" : "(select value as id from json_each(?)) as " + alias;
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper TEXTS_JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** Binds the values of a {@link #textsAsTable} parameter. */
    public void bindTexts(java.sql.Connection c, PreparedStatement ps, int index, java.util.Collection<String> values) throws SQLException {
        if (this == POSTGRESQL) {
            ps.setArray(index, c.createArrayOf("text", values.toArray()));
        } else {
            try {
                ps.setString(index, TEXTS_JSON.writeValueAsString(values));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new SQLException("cannot write the values as a JSON array", e);
            }
        }
    }

    public void setInstant(PreparedStatement ps, int index, Instant value) throws SQLException {
        if (value == null) {
            ps.setNull(index, this == POSTGRESQL ? Types.TIMESTAMP_WITH_TIMEZONE : Types.VARCHAR);
        } else if (this == POSTGRESQL) {
            ps.setObject(index, value.atOffset(ZoneOffset.UTC));
        } else {
            ps.setString(index, ISO_MILLIS.format(value));
        }
    }

    public Instant getInstant(ResultSet rs, String column) throws SQLException {
        if (this == POSTGRESQL) {
            OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
            return t == null ? null : t.toInstant();
        }
        Object v = rs.getObject(column);
        if (v == null) {
            return null;
        }
        if (v instanceof Timestamp ts) {
            return ts.toInstant();
        }
        return parseText(v.toString());
    }

    static Instant parseText(String s) {
        String t = s.trim();
        if (t.indexOf('T') < 0 && t.length() >= 19) {
            t = t.replace(' ', 'T'); // SQLite's own CURRENT_TIMESTAMP form
        }
        if (!t.endsWith("Z") && !t.matches(".*[+-]\\d\\d:?\\d\\d$")) {
            t = t + "Z";
        }
        return OffsetDateTime.parse(t, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    }

    /** A boolean literal for SQL text: {@code true}/{@code false} on PostgreSQL, {@code 1}/{@code 0} on SQLite. */
    public String bool(boolean value) {
        return this == POSTGRESQL ? String.valueOf(value) : value ? "1" : "0";
    }

    /**
     * The suffix of a claim's inner {@code select} so that instances sharing the database take
     * different rows ({@code " for update skip locked"}); empty on SQLite, whose one writer already
     * holds the whole database for the claiming transaction.
     */
    public String skipLocked() {
        return this == POSTGRESQL ? " for update skip locked" : "";
    }

    /**
     * Keeps row {@code id} of {@code table} from being deleted (or its key changed) until the
     * transaction ends, where a foreign key to it was traded for this one lock per transaction
     * (PostgreSQL {@code for key share}); fails like a foreign key ({@code "<what> <id> does not
     * exist"}, SQLSTATE 23503) when the row is not there. Nothing on SQLite: its writing transaction
     * holds the whole database, and it keeps its foreign keys.
     */
    public void lockReferenced(Connection c, String table, long id, String what) throws SQLException {
        if (this != POSTGRESQL) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("select id from " + table + " where id = ? for key share")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException(what + " " + id + " does not exist", "23503");
                }
            }
        }
    }

    /**
     * Makes appends to an ordered chain (the audit log: each row hashes the one before it) take turns
     * until the transaction on {@code c} ends, across every instance: PostgreSQL
     * {@code pg_advisory_xact_lock(key)}, so the last row one appender reads is the one it follows,
     * and the next appender waits for its commit; nothing on SQLite, whose writing transaction already
     * holds the whole database (a stale read there fails with SQLITE_BUSY and the work runs again).
     */
    public void lockChain(Connection c, long key) throws SQLException {
        if (this != POSTGRESQL) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("select pg_advisory_xact_lock(?)")) {
            ps.setLong(1, key);
            ps.execute();
        }
    }

    /** Whether several hub instances and concurrent writers share this database (PostgreSQL); SQLite is the single-instance mode with one writer. */
    public boolean sharedByInstances() {
        return this == POSTGRESQL;
    }

    /** Whether rows can be streamed in with {@code COPY ... FROM STDIN} ({@link #copyIn}). */
    public boolean canCopyIn() {
        return this == POSTGRESQL;
    }

    /**
     * Streams {@code length} bytes of COPY text into {@code copySql} ({@code copy <table> (...) from
     * stdin ...}) on the caller's connection and transaction (PostgreSQL's CopyManager); an error
     * cancels the copy. SQLite has no COPY: ask {@link #canCopyIn} first.
     */
    public void copyIn(Connection c, String copySql, byte[] bytes, int length) throws SQLException {
        if (this != POSTGRESQL) {
            throw new UnsupportedOperationException("SQLite has no COPY");
        }
        org.postgresql.copy.CopyIn copy = c.unwrap(org.postgresql.PGConnection.class).getCopyAPI().copyIn(copySql);
        try {
            copy.writeToCopy(bytes, 0, length);
            copy.endCopy();
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        }
    }

    /**
     * The payloads of the notifications that arrived on {@code c} (a connection that LISTENs),
     * waiting up to {@code timeoutMs} for the first; empty when none came. A broken connection
     * throws. PostgreSQL only (SQLite has no LISTEN / NOTIFY: ask {@link #sharedByInstances} first).
     */
    public java.util.List<String> notifications(Connection c, int timeoutMs) throws SQLException {
        if (this != POSTGRESQL) {
            throw new UnsupportedOperationException("SQLite has no LISTEN / NOTIFY");
        }
        org.postgresql.PGNotification[] notes = c.unwrap(org.postgresql.PGConnection.class).getNotifications(Math.max(1, timeoutMs));
        java.util.List<String> out = new java.util.ArrayList<>();
        if (notes != null) {
            for (org.postgresql.PGNotification n : notes) {
                out.add(n.getParameter());
            }
        }
        return out;
    }

    /**
     * Lets the transaction on {@code c} commit without waiting for its WAL flush (PostgreSQL
     * {@code synchronous_commit = off}, for work whose completion a later normal commit reports);
     * nothing on SQLite, which keeps {@code synchronous=FULL}.
     */
    public void relaxCommit(Connection c) throws SQLException {
        if (this == POSTGRESQL) {
            try (Statement s = c.createStatement()) {
                s.execute("set local synchronous_commit = off");
            }
        }
    }

    /**
     * Whether a failure is the database refusing a duplicate key (PostgreSQL SQLSTATE 23505,
     * SQLite's UNIQUE / PRIMARY KEY constraint), anywhere in its causes and chained exceptions, and
     * nothing else: a NOT NULL, CHECK or foreign-key failure, a lock time-out or a dropped
     * connection is not "already there".
     */
    public static boolean isUniqueViolation(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            for (SQLException x = t instanceof SQLException s ? s : null; x != null; x = x.getNextException() == x ? null : x.getNextException()) {
                if ("23505".equals(x.getSQLState())) {
                    return true;
                }
                String m = String.valueOf(x.getMessage());
                if (m.contains("SQLITE_CONSTRAINT_UNIQUE") || m.contains("SQLITE_CONSTRAINT_PRIMARYKEY") || m.contains("UNIQUE constraint failed")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** True when the failure means "the database cannot be reached or is busy", not "this SQL is wrong". */
    public static boolean isUnavailable(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLTransientException || t instanceof java.sql.SQLRecoverableException
                    || t instanceof java.net.ConnectException || t instanceof java.io.EOFException) {
                return true;
            }
            if (t instanceof SQLException sql) {
                String state = sql.getSQLState();
                if (state != null && (state.startsWith("08") || state.startsWith("57P") || state.equals("53300"))) {
                    return true; // connection exception, admin shutdown, too many connections
                }
                // SQLite: SQLITE_BUSY (5), SQLITE_LOCKED (6), SQLITE_IOERR (10), SQLITE_CANTOPEN (14)
                int code = sql.getErrorCode() & 0xff;
                if (sql.getClass().getName().startsWith("org.sqlite") || (sql.getMessage() != null && sql.getMessage().startsWith("[SQLITE_"))) {
                    if (code == 5 || code == 6 || code == 10 || code == 14) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
