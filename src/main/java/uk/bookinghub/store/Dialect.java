package uk.bookinghub.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The one place where SQLite and PostgreSQL differ for the stores: how an instant is written and
 * read (PostgreSQL {@code timestamptz}; SQLite ISO-8601 UTC text, which sorts correctly), and how
 * a failure is told apart as "the database is unavailable" (answer 503, retry later) from a bug.
 */
public enum Dialect {
    SQLITE, POSTGRESQL;

    private static final DateTimeFormatter ISO_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

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
