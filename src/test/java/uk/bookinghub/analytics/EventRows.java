package uk.bookinghub.analytics;

import com.fasterxml.jackson.databind.JsonNode;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** What the analytics tables hold, read straight from the test's database (the hub is only ever driven over HTTP). */
final class EventRows {

    /** One analytics_events row. */
    record Event(String key, String type, Long clientId, String clientKey, Long leadId, String source, Instant occurredAt, JsonNode props) {
        String prop(String name) {
            JsonNode n = props.get(name);
            return n == null || n.isNull() ? null : n.asText();
        }
    }

    private final TestDatabase db;

    EventRows(TestDatabase db) {
        this.db = db;
    }

    /** Events whose key starts with {@code prefix}, by key. */
    List<Event> withPrefix(String prefix) {
        return query("select * from analytics_events where event_key like ? order by event_key", prefix.replace("_", "\\_") + "%");
    }

    /** The one event with this key, or null. */
    Event byKey(String key) {
        List<Event> l = query("select * from analytics_events where event_key = ?", key);
        return l.isEmpty() ? null : l.get(0);
    }

    /** How many events of this type name this fact (by its id in props). */
    int count(String sqlWhere, Object... args) {
        return scalarLong("select count(*) from analytics_events where " + sqlWhere, args).intValue();
    }

    List<Event> query(String sql, Object... args) {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql.replace(" like ?", " like ? escape '\\'"))) {
            bind(ps, args);
            List<Event> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long client = rs.getLong("client_id");
                    Long clientId = rs.wasNull() ? null : client;
                    long lead = rs.getLong("lead_id");
                    Long leadId = rs.wasNull() ? null : lead;
                    out.add(new Event(rs.getString("event_key"), rs.getString("event_type"), clientId, rs.getString("client_key"), leadId,
                            rs.getString("source"), instant(rs, "occurred_at"), Jsons.read(rs.getString("props"))));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    Long scalarLong(String sql, Object... args) {
        Object v = scalar(sql, args);
        return v == null ? null : ((Number) v).longValue();
    }

    Object scalar(String sql, Object... args) {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getObject(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    Instant instantOf(String sql, Object... args) {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? instant(rs, 1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    int update(String sql, Object... args) {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An instant as this database stores it (timestamptz, or SQLite's ISO text), for a bind parameter. */
    Object at(Instant t) {
        return db.kind() == TestDatabase.Kind.POSTGRESQL ? t.atOffset(java.time.ZoneOffset.UTC)
                : java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(java.time.ZoneOffset.UTC).format(t);
    }

    /** The client's roll-up rows: "day|source|metric|dim" -> "n/amount". */
    Map<String, String> daily(long clientId) {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("select day, source, metric, dim, n, amount from analytics_daily where client_id = ?")) {
            ps.setLong(1, clientId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getLong(5) != 0 || rs.getLong(6) != 0) { // a row summed to nothing is the same as none
                        out.put(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4), rs.getLong(5) + "/" + rs.getLong(6));
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** The roll-up the writer kept equals the one summed again from the raw events (POST /api/admin/analytics/rebuild). */
    void assertRollupIsTheSumOfItsEvents(RunningHub hub, String clientKey) {
        long clientId = scalarLong("select id from clients where client_key = ?", clientKey);
        Map<String, String> kept = daily(clientId);
        HttpResponse<String> r = rebuild(hub, clientKey);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(daily(clientId)).as("roll-up of " + clientKey + " rebuilt from its events").isEqualTo(kept);
    }

    static HttpResponse<String> rebuild(RunningHub hub, String clientKey) {
        return hub.post("/api/admin/analytics/rebuild?clientKey=" + clientKey, "application/json", "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
    }

    static HttpResponse<String> reconcile(RunningHub hub, String hours) {
        return hub.post("/api/admin/analytics/reconcile" + (hours == null ? "" : "?hours=" + hours), "application/json", "",
                "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
    }

    /**
     * Props as comparable values: how an event got there (backfilled, reconciled) left out, numbers
     * by value, ISO instants as instants (PostgreSQL writes microseconds where Java writes what is there).
     */
    static Map<String, Object> comparable(JsonNode props) {
        Map<String, Object> out = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals("backfilled") || f.getKey().equals("reconciled")) {
                continue;
            }
            JsonNode v = f.getValue();
            Object value;
            if (v.isNull()) {
                value = "null";
            } else if (v.isNumber()) {
                value = new BigDecimal(v.asText()).stripTrailingZeros().toPlainString();
            } else if (v.isTextual()) {
                value = instantOrText(v.asText());
            } else {
                value = v.toString();
            }
            out.put(f.getKey(), value);
        }
        return out;
    }

    private static Object instantOrText(String s) {
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            return s;
        }
    }

    static Instant instant(ResultSet rs, Object column) throws SQLException {
        Object v = column instanceof Integer i ? rs.getObject(i) : rs.getObject((String) column);
        if (v == null) {
            return null;
        }
        if (v instanceof OffsetDateTime o) {
            return o.toInstant();
        }
        if (v instanceof Timestamp t) {
            return t.toInstant();
        }
        String s = v.toString();
        return Instant.parse(s.endsWith("Z") || s.matches(".*[+-]\\d\\d:\\d\\d$") ? s : s + "Z");
    }

    private static void bind(PreparedStatement ps, Object[] args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, args[i]);
        }
    }
}
