package uk.bookinghub.monitoring;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.http.Json;
import uk.bookinghub.store.Database;

import java.sql.PreparedStatement;
import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code dead_letters} table: a message whose retries are exhausted, with the route it
 * failed in, its original body, the headers worth keeping, and the exception. Dead letters are
 * data: an admin lists and replays them.
 */
public final class DeadLetters {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
    private final Database db;
    private final ErrorLog errors;
    private final Clock clock;

    public DeadLetters(Database db, ErrorLog errors, Clock clock) {
        this.db = db;
        this.errors = errors;
        this.clock = clock;
    }

    public void store(String routeId, String endpointUri, Object body, Map<String, Object> headers, Throwable error) {
        String bodyText = body == null ? null : body instanceof String s ? s : toJson(body);
        Map<String, Object> kept = new TreeMap<>();
        if (headers != null) {
            headers.forEach((k, v) -> {
                if (v != null && !k.startsWith("Camel") && !k.equalsIgnoreCase("Authorization") && !k.toLowerCase().contains("secret")
                        && !k.equalsIgnoreCase("X-API-Key") && (v instanceof CharSequence || v instanceof Number || v instanceof Boolean)) {
                    kept.put(k, v.toString());
                }
            });
        }
        String exception = error == null ? null : error.getClass().getName() + ": " + error.getMessage();
        try {
            db.inTransaction("storing a dead letter", c -> {
                try (PreparedStatement ps = c.prepareStatement("insert into dead_letters (route_id, endpoint_uri, body, headers, exception, status, created_at) values (?,?,?,?,?,'new',?)")) {
                    ps.setString(1, routeId);
                    ps.setString(2, sanitize(endpointUri));
                    ps.setString(3, bodyText);
                    ps.setString(4, Json.write(kept));
                    ps.setString(5, exception);
                    db.dialect().setInstant(ps, 6, clock.instant());
                    ps.executeUpdate();
                }
                return null;
            });
            LOG.warn("Dead letter stored for route {}: {}", routeId, exception);
        } catch (RuntimeException e) {
            LOG.error("[CRITICAL ALERT] could not store a dead letter for route {} ({}); body: {}", routeId, e.getMessage(), bodyText);
        }
        errors.record("error", "dead-letters", "retries exhausted: " + exception, routeId, Map.of("endpoint", String.valueOf(endpointUri)));
    }

    private static String toJson(Object body) {
        try {
            return Json.write(body);
        } catch (RuntimeException e) {
            return String.valueOf(body);
        }
    }

    /** A dead outbox message: its id is kept so a replay puts that very row back in the queue. */
    public void storeMessage(long messageId, long clientId, String routeId, String endpointUri, Object view, Throwable error) {
        storeMessage(messageId, clientId, routeId, endpointUri, view, error, c -> { });
    }

    /** Work done in the dead letter's own transaction (the message's status 'dead'). */
    public interface SameTransaction {
        void run(java.sql.Connection c) throws java.sql.SQLException;
    }

    /**
     * Stores a message's dead letter and, in the same transaction, {@code alsoDo} (the message marked
     * dead): a reader never sees a dead message without its letter.
     */
    public void storeMessage(long messageId, long clientId, String routeId, String endpointUri, Object view, Throwable error, SameTransaction alsoDo) {
        String exception = error == null ? null : error.getClass().getName() + ": " + error.getMessage();
        try {
            db.inTransaction("storing a dead letter", c -> {
                alsoDo.run(c);
                try (PreparedStatement ps = c.prepareStatement("insert into dead_letters (route_id, endpoint_uri, body, headers, exception, status, "
                        + "created_at, message_id, client_id) values (?,?,?,'{}',?,'new',?,?,?)")) {
                    ps.setString(1, routeId);
                    ps.setString(2, sanitize(endpointUri));
                    ps.setString(3, toJson(view));
                    ps.setString(4, exception);
                    db.dialect().setInstant(ps, 5, clock.instant());
                    ps.setLong(6, messageId);
                    ps.setLong(7, clientId);
                    ps.executeUpdate();
                }
                return null;
            });
        } catch (RuntimeException e) {
            LOG.error("[CRITICAL ALERT] could not store the dead letter of message {} ({})", messageId, e.getMessage());
        }
        errors.record("error", "messaging", "message " + messageId + " is dead: " + exception, routeId, Map.of("messageId", messageId));
    }

    /** Endpoint URIs may carry credentials (smtp://...?password=...): never store them. */
    static String sanitize(String uri) {
        return uri == null ? null : uri.replaceAll("(?i)(password|authToken|accessToken|clientSecret)=[^&]*", "$1=xxxxxx");
    }

    /** A dead letter as the admin API shows it. */
    public record Letter(long id, String routeId, String endpointUri, String body, String exception, String status, java.time.Instant createdAt,
                         java.time.Instant replayedAt, String replayedBy, Long messageId, Long clientId) {
        public Map<String, Object> view() {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("id", id);
            m.put("routeId", routeId);
            m.put("endpoint", endpointUri);
            m.put("messageId", messageId);
            m.put("clientId", clientId);
            m.put("status", status);
            m.put("exception", exception);
            m.put("createdAt", createdAt == null ? null : createdAt.toString());
            m.put("replayedAt", replayedAt == null ? null : replayedAt.toString());
            m.put("replayedBy", replayedBy);
            Object parsed = body;
            try {
                parsed = body == null ? null : uk.bookinghub.http.Json.MAPPER.readTree(body);
            } catch (Exception e) {
                // not JSON: shown as stored
            }
            m.put("body", parsed);
            return m;
        }
    }

    private static final String COLUMNS = "id, route_id, endpoint_uri, body, exception, status, created_at, replayed_at, replayed_by, message_id, client_id";

    /** Newest first; each filter optional. */
    public Map<String, Object> list(String status, String routeId, Long clientId, java.time.Instant since, int page, int pageSize) {
        StringBuilder where = new StringBuilder(" where 1 = 1");
        java.util.List<Object> args = new java.util.ArrayList<>();
        if (status != null) {
            where.append(" and status = ?");
            args.add(status);
        }
        if (routeId != null) {
            where.append(" and route_id = ?");
            args.add(routeId);
        }
        if (clientId != null) {
            where.append(" and client_id = ?");
            args.add(clientId);
        }
        if (since != null) {
            where.append(" and created_at >= ?");
            args.add(since);
        }
        return db.read("listing dead letters", c -> {
            long total;
            try (PreparedStatement ps = c.prepareStatement("select count(*) from dead_letters" + where)) {
                bind(ps, args);
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    total = rs.getLong(1);
                }
            }
            java.util.List<Map<String, Object>> items = new java.util.ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from dead_letters" + where + " order by id desc limit ? offset ?")) {
                int i = bind(ps, args);
                ps.setInt(i++, pageSize);
                ps.setLong(i, (long) (page - 1) * pageSize);
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        items.add(letter(rs).view());
                    }
                }
            }
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            out.put("items", items);
            out.put("page", page);
            out.put("pageSize", pageSize);
            out.put("total", total);
            return out;
        });
    }

    public java.util.Optional<Letter> byId(java.sql.Connection c, long id) throws java.sql.SQLException {
        try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from dead_letters where id = ?")) {
            ps.setLong(1, id);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next() ? java.util.Optional.of(letter(rs)) : java.util.Optional.empty();
            }
        }
    }

    /** Marks a new dead letter replayed; false when it was not new any more (a second press of replay). */
    public boolean markReplayed(java.sql.Connection c, long id, String by) throws java.sql.SQLException {
        try (PreparedStatement ps = c.prepareStatement("update dead_letters set status = 'replayed', replayed_at = ?, replayed_by = ? where id = ? and status = 'new'")) {
            db.dialect().setInstant(ps, 1, clock.instant());
            ps.setString(2, by);
            ps.setLong(3, id);
            return ps.executeUpdate() == 1;
        }
    }

    public Database database() {
        return db;
    }

    private Letter letter(java.sql.ResultSet rs) throws java.sql.SQLException {
        long mid = rs.getLong("message_id");
        Long messageId = rs.wasNull() ? null : mid;
        long cid = rs.getLong("client_id");
        Long clientId = rs.wasNull() ? null : cid;
        return new Letter(rs.getLong("id"), rs.getString("route_id"), rs.getString("endpoint_uri"), rs.getString("body"), rs.getString("exception"),
                rs.getString("status"), db.dialect().getInstant(rs, "created_at"), db.dialect().getInstant(rs, "replayed_at"),
                rs.getString("replayed_by"), messageId, clientId);
    }

    private int bind(PreparedStatement ps, java.util.List<Object> args) throws java.sql.SQLException {
        int i = 1;
        for (Object a : args) {
            if (a instanceof java.time.Instant t) {
                db.dialect().setInstant(ps, i++, t);
            } else {
                ps.setObject(i++, a);
            }
        }
        return i;
    }
}
