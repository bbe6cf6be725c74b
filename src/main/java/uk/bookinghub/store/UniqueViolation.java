package uk.bookinghub.store;

import java.sql.SQLException;

/**
 * Whether a failure is the database refusing a duplicate key (PostgreSQL SQLSTATE 23505, SQLite's
 * UNIQUE / PRIMARY KEY constraint), and nothing else: a NOT NULL, CHECK or foreign-key failure, a
 * lock time-out or a dropped connection is not "already there".
 */
public final class UniqueViolation {

    private UniqueViolation() {
    }

    public static boolean in(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException s && is(s)) {
                return true;
            }
        }
        return false;
    }

    private static boolean is(SQLException s) {
        for (SQLException x = s; x != null; x = x.getNextException() == x ? null : x.getNextException()) {
            if ("23505".equals(x.getSQLState())) {
                return true;
            }
            String m = String.valueOf(x.getMessage());
            if (m.contains("SQLITE_CONSTRAINT_UNIQUE") || m.contains("SQLITE_CONSTRAINT_PRIMARYKEY") || m.contains("UNIQUE constraint failed")) {
                return true;
            }
        }
        return false;
    }
}
