package uk.bookinghub.monitoring;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;
import uk.bookinghub.store.ErrorCountsMigration;
import uk.bookinghub.store.ListQuery;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SQL for {@code error_log} and its roll-up {@code error_counts} (V12): one row per recorded failure,
 * and in the same transaction the count of its 5-minute bucket, fingerprint and severity, so the
 * statistics read a few thousand roll-up rows instead of a million log rows.
 */
final class ErrorLogStore {

    /** One row of the roll-up summed over a window: a group (fingerprint) at one severity. */
    record GroupSeverity(String fingerprint, String severity, long count, Instant firstSeen, Instant lastSeen, String service, String routeId) {
    }

    /** The errors of one 5-minute bucket at one severity. */
    record BucketCount(Instant bucket, String severity, long count) {
    }

    /** One logged row, its context as stored (JSON text). */
    record Row(long id, Instant at, String severity, String service, String routeId, String message, String context) {
    }

    /** A window of buckets {@code [since, until)} and the optional filters. */
    record Window(Instant since, Instant until, String severity, String service) {
        ListQuery where() {
            return new ListQuery("bucket_start >= ?", since).and("bucket_start < ?", until).and("severity = ?", severity).and("service = ?", service);
        }
    }

    private final Database db;

    ErrorLogStore(Database db) {
        this.db = db;
    }

    void insert(String severity, String service, String message, String context, String routeId, String fingerprint, Instant at) {
        Dialect d = db.dialect();
        db.inTransaction("writing the error log", c -> {
            try (PreparedStatement ps = c.prepareStatement("insert into error_log (severity, service, message, context, route_id, fingerprint, created_at) values (?,?,?,?,?,?,?)")) {
                ps.setString(1, severity);
                ps.setString(2, service);
                ps.setString(3, message);
                ps.setString(4, context);
                ps.setString(5, routeId);
                ps.setString(6, fingerprint);
                d.setInstant(ps, 7, at);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("insert into error_counts (bucket_start, fingerprint, severity, service, route_id, n, "
                    + "first_seen_at, last_seen_at, sample_message) values (?,?,?,?,?,1,?,?,?) "
                    + "on conflict (bucket_start, fingerprint, severity) do update set n = error_counts.n + 1, "
                    + "first_seen_at = case when excluded.first_seen_at < error_counts.first_seen_at then excluded.first_seen_at else error_counts.first_seen_at end, "
                    + "last_seen_at = case when excluded.last_seen_at > error_counts.last_seen_at then excluded.last_seen_at else error_counts.last_seen_at end")) {
                d.setInstant(ps, 1, ErrorStats.bucket(at));
                ps.setString(2, fingerprint);
                ps.setString(3, severity);
                ps.setString(4, service);
                ps.setString(5, routeId);
                d.setInstant(ps, 6, at);
                d.setInstant(ps, 7, at);
                ps.setString(8, message.length() > ErrorCountsMigration.SAMPLE_CHARS ? message.substring(0, ErrorCountsMigration.SAMPLE_CHARS) : message);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** The window's groups, per severity (a group logged at two severities is two rows). */
    List<GroupSeverity> groups(Window w) {
        ListQuery q = w.where();
        return list("reading the error statistics", "select fingerprint, severity, sum(n) as n, min(first_seen_at) as first_seen_at, "
                + "max(last_seen_at) as last_seen_at, min(service) as service, min(route_id) as route_id from error_counts" + q.where()
                + " group by fingerprint, severity", ps -> q.bind(db.dialect(), ps), rs -> groupSeverity(rs, rs.getString("fingerprint")));
    }

    /** The window's counts per bucket and severity, oldest first (only the buckets that have any). */
    List<BucketCount> trend(Window w) {
        ListQuery q = w.where();
        return list("reading the error trend", "select bucket_start, severity, sum(n) as n from error_counts" + q.where()
                + " group by bucket_start, severity order by bucket_start", ps -> q.bind(db.dialect(), ps),
                rs -> new BucketCount(db.dialect().getInstant(rs, "bucket_start"), rs.getString("severity"), rs.getLong("n")));
    }

    /** Each group's latest sample message in the window (the roll-up keeps one per bucket). */
    Map<String, String> samples(List<String> fingerprints, Window w) {
        Dialect d = db.dialect();
        return db.read("reading error samples", c -> {
            Map<String, String> out = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("select sample_message from error_counts where fingerprint = ? and bucket_start >= ? "
                    + "and bucket_start < ? order by bucket_start desc limit 1")) {
                for (String fp : fingerprints) {
                    ps.setString(1, fp);
                    d.setInstant(ps, 2, w.since());
                    d.setInstant(ps, 3, w.until());
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            out.put(fp, rs.getString(1));
                        }
                    }
                }
            }
            return out;
        });
    }

    /** One group over everything logged: per severity. */
    List<GroupSeverity> group(String fingerprint) {
        return list("reading an error group", "select severity, sum(n) as n, min(first_seen_at) as first_seen_at, max(last_seen_at) as last_seen_at, "
                + "min(service) as service, min(route_id) as route_id from error_counts where fingerprint = ? group by severity",
                ps -> ps.setString(1, fingerprint), rs -> groupSeverity(rs, fingerprint));
    }

    /** The group's counts per bucket since {@code since}, oldest first. */
    List<BucketCount> groupTrend(String fingerprint, Instant since) {
        return list("reading an error group's trend", "select bucket_start, sum(n) as n from error_counts where fingerprint = ? and bucket_start >= ? "
                + "group by bucket_start order by bucket_start", ps -> {
                    ps.setString(1, fingerprint);
                    db.dialect().setInstant(ps, 2, since);
                }, rs -> new BucketCount(db.dialect().getInstant(rs, "bucket_start"), null, rs.getLong("n")));
    }

    /** The group's latest {@code limit} rows, newest first. */
    List<Row> latest(String fingerprint, int limit) {
        return list("reading an error group's rows", "select id, created_at, severity, service, route_id, message, context from error_log "
                + "where fingerprint = ? order by created_at desc, id desc limit ?", ps -> {
                    ps.setString(1, fingerprint);
                    ps.setInt(2, limit);
                }, rs -> new Row(rs.getLong("id"), db.dialect().getInstant(rs, "created_at"), rs.getString("severity"), rs.getString("service"),
                        rs.getString("route_id"), rs.getString("message"), rs.getString("context")));
    }

    private GroupSeverity groupSeverity(ResultSet rs, String fingerprint) throws SQLException {
        Dialect d = db.dialect();
        return new GroupSeverity(fingerprint, rs.getString("severity"), rs.getLong("n"), d.getInstant(rs, "first_seen_at"),
                d.getInstant(rs, "last_seen_at"), rs.getString("service"), rs.getString("route_id"));
    }

    @FunctionalInterface
    private interface Bind {
        void bind(PreparedStatement ps) throws SQLException;
    }

    @FunctionalInterface
    private interface Read<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** The rows of one query on a pooled connection (auto-commit). */
    private <T> List<T> list(String what, String sql, Bind bind, Read<T> read) {
        return db.read(what, c -> {
            List<T> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                bind.bind(ps);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(read.read(rs));
                    }
                }
            }
            return out;
        });
    }
}
