package uk.bookinghub.messaging;

import uk.bookinghub.http.Json;
import uk.bookinghub.leads.LeadKeys;
import uk.bookinghub.store.Database;
import uk.bookinghub.store.ListQuery;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * SQL for {@code inbound_messages}: the SMS customers sent to a client's number, one row per
 * Twilio {@code MessageSid} (a redelivered webhook inserts nothing), and the list the client reads,
 * each row with the client's newest lead for its number.
 */
final class InboundStore {

    private final Database db;

    InboundStore(Database db) {
        this.db = db;
    }

    /** An inbound SMS with this sid is already stored. */
    boolean handled(String sid) {
        return db.read("reading an inbound SMS", c -> {
            try (PreparedStatement ps = c.prepareStatement("select 1 from inbound_messages where message_sid = ?")) {
                ps.setString(1, sid);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** Stores an inbound SMS; false when its sid was already there. */
    boolean record(String sid, Long clientId, String from, String to, String body, String action, Map<String, String> params, Instant receivedAt) {
        return db.inTransaction("storing an inbound SMS", c -> {
            try (PreparedStatement ps = c.prepareStatement("insert into inbound_messages (message_sid, client_id, from_number, to_number, body, action, "
                    + "params, received_at) values (?,?,?,?,?,?,?,?) on conflict (message_sid) do nothing")) {
                ps.setString(1, sid);
                if (clientId == null) {
                    ps.setNull(2, java.sql.Types.BIGINT);
                } else {
                    ps.setLong(2, clientId);
                }
                ps.setString(3, from);
                ps.setString(4, to);
                ps.setString(5, body);
                ps.setString(6, action);
                ps.setString(7, Json.write(params));
                db.dialect().setInstant(ps, 8, receivedAt);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** One page of the client's inbound messages, newest first, each with its {@code leadId}; each filter optional. */
    Map<String, Object> list(long clientId, String from, String action, Instant after, Instant before, int page, int size) {
        ListQuery q = new ListQuery("client_id = ?", clientId)
                .and("from_number = ?", from).and("action = ?", action).and("received_at >= ?", after).and("received_at < ?", before);
        return db.read("listing inbound messages", c -> {
            Set<Long> numbers = new LinkedHashSet<>();
            Map<String, Object> out = q.page(db.dialect(), c, "inbound_messages", "id, message_sid, from_number, to_number, body, action, received_at",
                    page, size, rs -> {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("id", rs.getLong("id"));
                        m.put("messageSid", rs.getString("message_sid"));
                        m.put("from", rs.getString("from_number"));
                        m.put("to", rs.getString("to_number"));
                        m.put("body", rs.getString("body"));
                        m.put("action", rs.getString("action"));
                        m.put("receivedAt", java.util.Objects.toString(db.dialect().getInstant(rs, "received_at"), null));
                        long key = LeadKeys.ofE164OrZero(rs.getString("from_number"));
                        if (key != 0) {
                            numbers.add(key);
                        }
                        return m;
                    });
            Map<Long, Long> leads = leadsByNumber(c, clientId, numbers);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> items = (List<Map<String, Object>>) out.get("items");
            for (Map<String, Object> m : items) {
                m.put("leadId", leads.get(LeadKeys.ofE164OrZero((String) m.get("from"))));
            }
            return out;
        });
    }

    /** The client's newest lead per number (through the (client_id, dedupe_no) index). */
    private static Map<Long, Long> leadsByNumber(Connection c, long clientId, Set<Long> numbers) throws SQLException {
        Map<Long, Long> out = new HashMap<>();
        if (numbers.isEmpty()) {
            return out;
        }
        try (PreparedStatement ps = c.prepareStatement("select dedupe_no, max(id) from leads where client_id = ? and dedupe_no in ("
                + String.join(",", java.util.Collections.nCopies(numbers.size(), "?")) + ") group by dedupe_no")) {
            ps.setLong(1, clientId);
            int i = 2;
            for (long k : numbers) {
                ps.setLong(i++, k);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getLong(1), rs.getLong(2));
                }
            }
        }
        return out;
    }
}
