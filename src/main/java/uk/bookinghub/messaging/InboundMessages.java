package uk.bookinghub.messaging;

import uk.bookinghub.api.Params;
import uk.bookinghub.clients.Client;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.leads.LeadKeys;
import uk.bookinghub.store.Database;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /api/inbound-messages}: the SMS a client's customers sent to its number (replies to a
 * confirmation, "can we make it Tuesday?", STOP / START / HELP), newest first, each with what the hub
 * did with it and the client's lead with that number when there is one. A client sees only its own.
 */
public final class InboundMessages {

    static final Set<String> ACTIONS = Set.of("opt_out", "opt_in", "help", "message");

    private final Database db;

    public InboundMessages(Database db) {
        this.db = db;
    }

    public Map<String, Object> list(Client client, Params params) {
        String act = params.word("action");
        if (act != null && !ACTIONS.contains(act)) {
            throw HttpProblem.badRequest("action must be one of " + new java.util.TreeSet<>(ACTIONS));
        }
        ZoneId zone = ZoneId.of(client.timezone());
        String from = params.phone("phone", client.country());
        Instant after = params.instant("since", zone);
        Instant before = params.instant("until", zone);
        Params.Page page = params.page(50, 500);
        int pg = page.number();
        int size = page.size();
        uk.bookinghub.store.ListQuery q = new uk.bookinghub.store.ListQuery("client_id = ?", client.id())
                .and("from_number = ?", from).and("action = ?", act).and("received_at >= ?", after).and("received_at < ?", before);
        return db.read("listing inbound messages", c -> {
            Set<Long> numbers = new LinkedHashSet<>();
            Map<String, Object> out = q.page(db.dialect(), c, "inbound_messages", "id, message_sid, from_number, to_number, body, action, received_at",
                    pg, size, rs -> {
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
            Map<Long, Long> leads = leadsByNumber(c, client.id(), numbers);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> items = (List<Map<String, Object>>) out.get("items");
            for (Map<String, Object> m : items) {
                m.put("leadId", leads.get(LeadKeys.ofE164OrZero((String) m.get("from"))));
            }
            return out;
        });
    }

    /** The client's newest lead per number (through the (client_id, dedupe_no) index). */
    private static Map<Long, Long> leadsByNumber(java.sql.Connection c, long clientId, Set<Long> numbers) throws SQLException {
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
