package uk.bookinghub.alerts;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SQL for {@code alerts} and {@code alert_deliveries}, and the error counts the error rules read.
 * Every decision several hubs could race for is made by the database: a new episode by the unique
 * (group_key, episode), a repeat and a resolution by a conditional update that only one wins.
 */
final class AlertStore {

    /** One alerts row. */
    record Row(long id, String groupKey, int episode, String rule, String severity, String title, String detail, String service,
               String routeId, String fingerprint, String clientKey, String state, long occurrences, Instant firstSeen,
               Instant lastSeen, Instant firedAt, Instant lastNotified, int notifications, Instant resolvedAt) {
    }

    /** The error_log rows of one fingerprint inside a window. */
    record ErrorGroup(String fingerprint, String service, String routeId, String severity, String sample, long count, Instant first, Instant last) {
    }

    private static final String COLUMNS = "id, group_key, episode, rule, severity, title, detail, service, route_id, fingerprint, client_key, state,"
            + " occurrences, first_seen_at, last_seen_at, fired_at, last_notified_at, notifications, resolved_at";

    private final Database db;

    AlertStore(Database db) {
        this.db = db;
    }

    Database database() {
        return db;
    }

    private Row row(ResultSet rs) throws SQLException {
        Dialect d = db.dialect();
        return new Row(rs.getLong("id"), rs.getString("group_key"), rs.getInt("episode"), rs.getString("rule"), rs.getString("severity"),
                rs.getString("title"), rs.getString("detail"), rs.getString("service"), rs.getString("route_id"), rs.getString("fingerprint"),
                rs.getString("client_key"), rs.getString("state"), rs.getLong("occurrences"), d.getInstant(rs, "first_seen_at"),
                d.getInstant(rs, "last_seen_at"), d.getInstant(rs, "fired_at"), d.getInstant(rs, "last_notified_at"), rs.getInt("notifications"),
                d.getInstant(rs, "resolved_at"));
    }

    private List<Row> rows(Connection c, String sql, List<?> args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            db.dialect().bindAll(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                List<Row> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(row(rs));
                }
                return out;
            }
        }
    }

    private int update(String what, String sql, List<?> args) {
        return db.inTransaction(what, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                db.dialect().bindAll(ps, args);
                return ps.executeUpdate();
            }
        });
    }

    /** The newest episode of a group, or null. */
    Row latest(String groupKey) {
        return db.read("reading an alert", c -> {
            List<Row> r = rows(c, "select " + COLUMNS + " from alerts where group_key = ? order by episode desc limit 1", List.of(groupKey));
            return r.isEmpty() ? null : r.get(0);
        });
    }

    Row byId(long id) {
        return db.read("reading an alert", c -> {
            List<Row> r = rows(c, "select " + COLUMNS + " from alerts where id = ?", List.of(id));
            return r.isEmpty() ? null : r.get(0);
        });
    }

    /**
     * Starts episode {@code episode} of the group, or returns null when another hub already did
     * (the unique key decides).
     */
    Long open(AlertSignal s, int episode, String state, long occurrences, Instant firstSeen, Instant lastSeen, Instant now) {
        return db.inTransaction("opening an alert", c -> {
            try (PreparedStatement ps = c.prepareStatement("insert into alerts (group_key, episode, rule, severity, title, detail, service, route_id,"
                    + " fingerprint, client_key, state, occurrences, first_seen_at, last_seen_at, fired_at, last_notified_at, notifications, resolved_at)"
                    + " values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) on conflict (group_key, episode) do nothing returning id")) {
                List<Object> args = new ArrayList<>(List.of(s.groupKey(), episode, s.rule(), s.severity(), s.title()));
                args.add(s.detail());
                args.add(s.service());
                args.add(s.routeId());
                args.add(s.fingerprint());
                args.add(s.clientKey());
                args.add(state);
                args.add(occurrences);
                args.add(firstSeen);
                args.add(lastSeen);
                args.add(now);
                args.add(now);
                args.add(1);
                args.add("resolved".equals(state) ? now : null);
                bind(ps, args);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : null;
                }
            }
        });
    }

    private void bind(PreparedStatement ps, List<Object> args) throws SQLException {
        for (int i = 0; i < args.size(); i++) {
            Object a = args.get(i);
            if (a instanceof Instant t) {
                db.dialect().setInstant(ps, i + 1, t);
            } else if (a == null) {
                ps.setObject(i + 1, null); // untyped: PostgreSQL infers the column's type
            } else {
                ps.setObject(i + 1, a);
            }
        }
    }

    /** More of a firing alert: occurrences added, last seen moved on (never back). */
    void seen(long id, long more, Instant lastSeen, String detail) {
        update("updating an alert", "update alerts set occurrences = occurrences + ?, detail = coalesce(?, detail),"
                + " last_seen_at = case when last_seen_at < ? then ? else last_seen_at end where id = ?",
                java.util.Arrays.asList(more, detail, lastSeen, lastSeen, id));
    }

    /** Occurrences and last seen as counted elsewhere (an error group's error_log rows). */
    void counted(long id, long occurrences, Instant lastSeen) {
        update("updating an alert", "update alerts set occurrences = ?, last_seen_at = case when last_seen_at < ? then ? else last_seen_at end where id = ?",
                List.of(occurrences, lastSeen, lastSeen, id));
    }

    /** The repeat of a still-firing alert: true for the one hub whose update lands. */
    boolean claimRepeat(long id, Instant lastNotified, Instant now) {
        return update("claiming an alert repeat", "update alerts set last_notified_at = ?, notifications = notifications + 1"
                + " where id = ? and state = 'firing' and last_notified_at = ?", List.of(now, id, lastNotified)) == 1;
    }

    /** The resolution of a firing alert: true for the one hub whose update lands. */
    boolean claimResolve(long id, Instant now) {
        return update("resolving an alert", "update alerts set state = 'resolved', resolved_at = ?, notifications = notifications + 1"
                + " where id = ? and state = 'firing'", List.of(now, id)) == 1;
    }

    List<Row> firing() {
        return db.read("reading firing alerts", c -> rows(c, "select " + COLUMNS + " from alerts where state = 'firing' order by id", List.of()));
    }

    // ---- the error rules' counts -------------------------------------------------------------------

    /** error / critical rows since {@code since}, by fingerprint. */
    List<ErrorGroup> errorGroups(Instant since) {
        return db.read("counting recent errors", c -> {
            try (PreparedStatement ps = c.prepareStatement("select fingerprint, max(service) as service, max(route_id) as route_id,"
                    + " max(case when severity = 'critical' then 2 else 1 end) as sev, max(message) as sample, count(*) as n,"
                    + " min(created_at) as first_at, max(created_at) as last_at from error_log"
                    + " where created_at >= ? and severity in ('error', 'critical') and fingerprint is not null group by fingerprint")) {
                db.dialect().setInstant(ps, 1, since);
                try (ResultSet rs = ps.executeQuery()) {
                    List<ErrorGroup> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(new ErrorGroup(rs.getString("fingerprint"), rs.getString("service"), rs.getString("route_id"),
                                rs.getInt("sev") == 2 ? "critical" : "error", rs.getString("sample"), rs.getLong("n"),
                                db.dialect().getInstant(rs, "first_at"), db.dialect().getInstant(rs, "last_at")));
                    }
                    return out;
                }
            }
        });
    }

    /** The error_log rows of one fingerprint since a moment: how many, the first and the newest one's time. */
    record ErrorCount(long n, Instant first, Instant last) {
    }

    ErrorCount errorCount(String fingerprint, Instant since) {
        return db.read("counting an error group", c -> {
            try (PreparedStatement ps = c.prepareStatement("select count(*) as n, min(created_at) as first_at, max(created_at) as last_at from error_log where fingerprint = ? and created_at >= ?")) {
                ps.setString(1, fingerprint);
                db.dialect().setInstant(ps, 2, since);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    Instant first = db.dialect().getInstant(rs, "first_at");
                    Instant last = db.dialect().getInstant(rs, "last_at");
                    return new ErrorCount(rs.getLong("n"), first == null ? since : first, last == null ? since : last);
                }
            }
        });
    }

    // ---- deliveries and the list ---------------------------------------------------------------------

    void delivered(AlertDelivery.Delivered d) {
        db.inTransaction("recording an alert delivery", c -> {
            try (PreparedStatement ps = c.prepareStatement("insert into alert_deliveries (alert_id, group_key, kind, channel, status, attempts,"
                    + " last_error, queued_at, finished_at) values (?,?,?,?,?,?,?,?,?)")) {
                bind(ps, java.util.Arrays.asList((Object) d.n().alertId(), d.n().groupKey(), d.n().kind(), d.channel(), d.status(), d.attempts(),
                        d.lastError(), d.queuedAt(), d.finishedAt()));
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** Alerts newest first (all, firing or resolved) with what each channel did with each notification. */
    List<Map<String, Object>> list(String state, int limit) {
        return db.read("listing alerts", c -> {
            List<Row> rows = state == null
                    ? rows(c, "select " + COLUMNS + " from alerts order by last_seen_at desc, id desc limit ?", List.of(limit))
                    : rows(c, "select " + COLUMNS + " from alerts where state = ? order by last_seen_at desc, id desc limit ?", List.of(state, limit));
            Map<Long, Map<String, List<Map<String, Object>>>> deliveries = deliveries(c, rows.stream().map(Row::id).toList());
            List<Map<String, Object>> out = new ArrayList<>();
            for (Row r : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", r.id());
                m.put("group", r.groupKey());
                m.put("episode", r.episode());
                m.put("rule", r.rule());
                m.put("severity", r.severity());
                m.put("state", r.state());
                m.put("title", r.title());
                m.put("detail", r.detail());
                m.put("service", r.service());
                m.put("routeId", r.routeId());
                m.put("fingerprint", r.fingerprint());
                m.put("clientKey", r.clientKey());
                m.put("occurrences", r.occurrences());
                m.put("firstSeen", String.valueOf(r.firstSeen()));
                m.put("lastSeen", String.valueOf(r.lastSeen()));
                m.put("firstFired", String.valueOf(r.firedAt()));
                m.put("lastFired", String.valueOf(r.lastNotified()));
                m.put("notifications", r.notifications());
                m.put("resolvedAt", r.resolvedAt() == null ? null : r.resolvedAt().toString());
                m.put("deliveries", deliveries.getOrDefault(r.id(), Map.of()));
                out.add(m);
            }
            return out;
        });
    }

    private Map<Long, Map<String, List<Map<String, Object>>>> deliveries(Connection c, Collection<Long> ids) throws SQLException {
        Map<Long, Map<String, List<Map<String, Object>>>> out = new LinkedHashMap<>();
        if (ids.isEmpty()) {
            return out;
        }
        String marks = String.join(",", java.util.Collections.nCopies(ids.size(), "?"));
        try (PreparedStatement ps = c.prepareStatement("select alert_id, kind, channel, status, attempts, last_error, queued_at, finished_at"
                + " from alert_deliveries where alert_id in (" + marks + ") order by id")) {
            db.dialect().bindAll(ps, new ArrayList<>(ids));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> d = new LinkedHashMap<>();
                    d.put("kind", rs.getString("kind"));
                    d.put("status", rs.getString("status"));
                    d.put("attempts", rs.getInt("attempts"));
                    d.put("lastError", rs.getString("last_error"));
                    d.put("queuedAt", String.valueOf(db.dialect().getInstant(rs, "queued_at")));
                    d.put("finishedAt", String.valueOf(db.dialect().getInstant(rs, "finished_at")));
                    out.computeIfAbsent(rs.getLong("alert_id"), k -> new LinkedHashMap<>())
                            .computeIfAbsent(rs.getString("channel"), k -> new ArrayList<>()).add(d);
                }
            }
        }
        return out;
    }
}
