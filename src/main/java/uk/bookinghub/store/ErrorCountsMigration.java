package uk.bookinghub.store;

import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.monitoring.ErrorFingerprint;
import uk.bookinghub.monitoring.ErrorStats;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * V12 on both databases: {@code error_counts}, the roll-up {@code GET /api/error-stats} reads (one
 * row per 5-minute bucket, fingerprint and severity: how many, first and last seen, a sample
 * message), kept by {@code ErrorLogStore} in the same transaction as each {@code error_log} row. The
 * back-fill gives every row logged before V11 its fingerprint ({@link ErrorFingerprint}, the live
 * path's), then sums the roll-up from {@code error_log} set-based.
 */
public abstract class ErrorCountsMigration extends BaseJavaMigration {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorCountsMigration.class);
    private static final int CHUNK = 5000;

    protected abstract boolean postgres();

    @Override
    public void migrate(Context context) throws Exception {
        Connection c = context.getConnection();
        boolean pg = postgres();
        String time = pg ? "timestamptz" : "text";
        try (Statement s = c.createStatement()) {
            s.execute("create table error_counts ("
                    + " bucket_start   " + time + " not null,"   // start of the 5-minute bucket (UTC, :00, :05, ...)
                    + " fingerprint    text not null,"
                    + " severity       text not null,"
                    + " service        text not null,"
                    + " route_id       text,"
                    + " n              bigint not null,"
                    + " first_seen_at  " + time + " not null,"
                    + " last_seen_at   " + time + " not null,"
                    + " sample_message text not null,"
                    + " primary key (bucket_start, fingerprint, severity))"
                    // SQLite: the rows stored in key order, so a window is one sequential range of the table itself
                    + (pg ? "" : " without rowid"));
            s.execute("create index error_counts_fingerprint_idx on error_counts (fingerprint, bucket_start)");
        }
        long t0 = System.nanoTime();
        int fingerprinted = fingerprintOldRows(c);
        long t1 = System.nanoTime();
        int cells;
        try (Statement s = c.createStatement()) {
            cells = s.executeUpdate("insert into error_counts (bucket_start, fingerprint, severity, service, route_id, n, first_seen_at, last_seen_at, sample_message) "
                    + "select " + bucket(pg) + ", fingerprint, severity, min(service), min(route_id), count(*), min(created_at), max(created_at), "
                    + "min(substr(message, 1, " + SAMPLE_CHARS + ")) from error_log group by 1, fingerprint, severity");
            if (pg) {
                s.execute("analyze error_counts"); // the planner's statistics now, not at autovacuum's next pass
            }
        }
        LOG.info("[ERROR STATS] back-fill: {} older error_log rows fingerprinted in {} ms; roll-up of {} bucket rows summed in {} ms",
                fingerprinted, (t1 - t0) / 1_000_000, cells, (System.nanoTime() - t1) / 1_000_000);
    }

    /** How much of a message the roll-up keeps as its sample. */
    public static final int SAMPLE_CHARS = 1000;

    /** The 5-minute bucket of {@code created_at}, in the form the live path writes it ({@link Dialect#setInstant}). */
    private static String bucket(boolean pg) {
        int b = ErrorStats.BUCKET_SECONDS;
        if (pg) {
            return "to_timestamp(floor(extract(epoch from created_at) / " + b + ") * " + b + ")";
        }
        // SQLite keeps ISO-8601 text; strftime reads it (and SQLite's own 'YYYY-MM-DD HH:MM:SS') the same way
        return "strftime('%Y-%m-%dT%H:', created_at) || printf('%02d', cast(strftime('%M', created_at) as integer) / " + (b / 60) + " * " + (b / 60)
                + ") || ':00.000Z'";
    }

    /** Rows logged before V11 have no fingerprint: computed here, in chunks by id. */
    private static int fingerprintOldRows(Connection c) throws SQLException {
        int done = 0;
        long after = -1;
        while (true) {
            List<Object[]> chunk = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select id, service, route_id, message from error_log where fingerprint is null and id > ? order by id limit " + CHUNK)) {
                ps.setLong(1, after);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        chunk.add(new Object[] {rs.getLong(1), ErrorFingerprint.of(rs.getString(2), rs.getString(3), rs.getString(4))});
                    }
                }
            }
            if (chunk.isEmpty()) {
                return done;
            }
            try (PreparedStatement ps = c.prepareStatement("update error_log set fingerprint = ? where id = ?")) {
                for (Object[] row : chunk) {
                    ps.setString(1, (String) row[1]);
                    ps.setLong(2, (Long) row[0]);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            done += chunk.size();
            after = (Long) chunk.get(chunk.size() - 1)[0];
        }
    }
}
