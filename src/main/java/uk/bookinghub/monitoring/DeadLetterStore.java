package uk.bookinghub.monitoring;

import uk.bookinghub.store.Database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** SQL for {@code dead_letters}: insert, list newest first, read one, mark one replayed. */
final class DeadLetterStore {

    private static final String COLUMNS = "id, route_id, endpoint_uri, body, exception, status, created_at, replayed_at, replayed_by, message_id, client_id";

    private final Database db;

    DeadLetterStore(Database db) {
        this.db = db;
    }

    Database database() {
        return db;
    }

    /** A dead letter of any route, in its own transaction. */
    void insert(String routeId, String endpointUri, String body, String headers, String exception, Instant at) {
        db.inTransaction("storing a dead letter", c -> {
            try (PreparedStatement ps = c.prepareStatement("insert into dead_letters (route_id, endpoint_uri, body, headers, exception, status, created_at) values (?,?,?,?,?,'new',?)")) {
                ps.setString(1, routeId);
                ps.setString(2, endpointUri);
                ps.setString(3, body);
                ps.setString(4, headers);
                ps.setString(5, exception);
                db.dialect().setInstant(ps, 6, at);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** A dead outbox message's letter, in the caller's transaction. */
    void insertMessage(Connection c, String routeId, String endpointUri, String body, String exception, Instant at, long messageId, long clientId)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into dead_letters (route_id, endpoint_uri, body, headers, exception, status, "
                + "created_at, message_id, client_id) values (?,?,?,'{}',?,'new',?,?,?)")) {
            ps.setString(1, routeId);
            ps.setString(2, endpointUri);
            ps.setString(3, body);
            ps.setString(4, exception);
            db.dialect().setInstant(ps, 5, at);
            ps.setLong(6, messageId);
            ps.setLong(7, clientId);
            ps.executeUpdate();
        }
    }

    /** Newest first; each filter optional. */
    Map<String, Object> list(String status, String routeId, Long clientId, Instant since, int page, int pageSize) {
        StringBuilder where = new StringBuilder(" where 1 = 1");
        List<Object> args = new ArrayList<>();
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
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    total = rs.getLong(1);
                }
            }
            List<Map<String, Object>> items = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from dead_letters" + where + " order by id desc limit ? offset ?")) {
                int i = bind(ps, args);
                ps.setInt(i++, pageSize);
                ps.setLong(i, (long) (page - 1) * pageSize);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        items.add(letter(rs).view());
                    }
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("items", items);
            out.put("page", page);
            out.put("pageSize", pageSize);
            out.put("total", total);
            return out;
        });
    }

    Optional<DeadLetters.Letter> byId(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from dead_letters where id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(letter(rs)) : Optional.empty();
            }
        }
    }

    /** Marks a new dead letter replayed; false when it was not new any more. */
    boolean markReplayed(Connection c, long id, String by, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update dead_letters set status = 'replayed', replayed_at = ?, replayed_by = ? where id = ? and status = 'new'")) {
            db.dialect().setInstant(ps, 1, at);
            ps.setString(2, by);
            ps.setLong(3, id);
            return ps.executeUpdate() == 1;
        }
    }

    private DeadLetters.Letter letter(ResultSet rs) throws SQLException {
        long mid = rs.getLong("message_id");
        Long messageId = rs.wasNull() ? null : mid;
        long cid = rs.getLong("client_id");
        Long clientId = rs.wasNull() ? null : cid;
        return new DeadLetters.Letter(rs.getLong("id"), rs.getString("route_id"), rs.getString("endpoint_uri"), rs.getString("body"), rs.getString("exception"),
                rs.getString("status"), db.dialect().getInstant(rs, "created_at"), db.dialect().getInstant(rs, "replayed_at"),
                rs.getString("replayed_by"), messageId, clientId);
    }

    private int bind(PreparedStatement ps, List<Object> args) throws SQLException {
        return db.dialect().bindAll(ps, args);
    }
}
