package uk.bookinghub.privacy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.TokenBuffer;

import uk.bookinghub.http.Json;
import uk.bookinghub.leads.LeadKeys;
import uk.bookinghub.leads.SuppressionStore;
import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * SQL for a person's data within one client (UK GDPR subject access and erasure): the person is found
 * by number and email through the client's leads, then every table that holds them is read (access)
 * or stripped of them (erasure, one transaction per table group). Every query is scoped by client:
 * another client's lead with the same number is never read or touched.
 */
final class PrivacyStore {

    /** The person within one client: their numbers (E.164), emails (lower-cased) and the client's leads of them. */
    record Person(Set<String> phones, Set<String> emails, Set<Long> leadIds) {
        List<String> leadIdTexts() {
            return leadIds.stream().map(String::valueOf).toList();
        }
    }

    /** Placeholder values for NOT NULL columns whose content was erased. */
    static final String ERASED = "(erased)";

    private final Database db;
    private final Dialect dialect;

    PrivacyStore(Database db) {
        this.db = db;
        this.dialect = db.dialect();
    }

    // ---- who ------------------------------------------------------------------------------------

    /**
     * The client's leads with these numbers or emails, and the numbers and emails on those leads: the
     * identifiers found on the person's leads are followed once more (a lead found by email gives the
     * number the person used, and the leads and calls of that number), no further.
     */
    Person find(long clientId, Set<String> phones, Set<String> emails) {
        return db.read("finding a person's leads", c -> {
            Set<String> allPhones = new LinkedHashSet<>(phones);
            Set<String> allEmails = new LinkedHashSet<>(emails);
            Set<Long> ids = new LinkedHashSet<>();
            Set<String> newPhones = new LinkedHashSet<>(phones);
            Set<String> newEmails = new LinkedHashSet<>(emails);
            for (int round = 0; round < 2 && (!newPhones.isEmpty() || !newEmails.isEmpty()); round++) {
                List<Long> keys = newPhones.stream().map(LeadKeys::ofE164OrZero).filter(k -> k != 0).toList();
                Match m = new Match().in("dedupe_no", keys).in("lower(email)", newEmails);
                newPhones = new LinkedHashSet<>();
                newEmails = new LinkedHashSet<>();
                if (m.empty()) {
                    break;
                }
                try (PreparedStatement ps = c.prepareStatement("select id, phone_e164, email from leads where " + m.where())) {
                    m.bind(ps, clientId);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getLong(1));
                            String p = rs.getString(2);
                            String e = SuppressionStore.normaliseEmail(rs.getString(3));
                            if (p != null && allPhones.add(p)) {
                                newPhones.add(p);
                            }
                            if (e != null && allEmails.add(e)) {
                                newEmails.add(e);
                            }
                        }
                    }
                }
            }
            return new Person(allPhones, allEmails, ids);
        });
    }

    // ---- access ---------------------------------------------------------------------------------

    /** Everything the hub holds of the person for the client, table by table (rows as the export writes them). */
    Map<String, Object> access(long clientId, Person p) {
        return db.read("reading a person's data", c -> {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("leads", rows(c, "leads", Set.of("client_id", "dedupe_no"), new Match().in("id", p.leadIds()), clientId));
            ArrayNode calls = rows(c, "calls", Set.of("client_id", "status_rank"), callsOf(p), clientId);
            out.put("calls", calls);
            out.put("messages", rows(c, "messages", Set.of("client_id", "status_rank", "claimed_at", "claimed_by"), messagesOf(p), clientId));
            out.put("inboundMessages", rows(c, "inbound_messages", Set.of("client_id"), new Match().in("from_number", p.phones()), clientId));
            ArrayNode appointments = rows(c, "appointments", Set.of("client_id", "calendar_next_at"), appointmentsOf(p), clientId);
            out.put("appointments", appointments);
            out.put("optOuts", rows(c, "opt_outs", Set.of("client_id", "scope_key"), new Match().in("phone_e164", p.phones()), clientId));
            out.put("dialAttempts", rows(c, "dial_attempts", Set.of("client_id"), new Match().in("lead_id", p.leadIds()), clientId));
            out.put("followUps", rows(c, "retry_queue", Set.of("client_id", "claimed_at", "step_key"), new Match().in("lead_id", p.leadIds()), clientId));
            out.put("toolCalls", rows(c, "tool_calls", Set.of("client_id"), toolCallsOf(texts(calls, "vapiCallId"), texts(appointments, "toolCallId")), clientId));
            return out;
        });
    }

    private static List<String> texts(ArrayNode rows, String field) {
        List<String> out = new ArrayList<>();
        rows.forEach(r -> {
            if (r.hasNonNull(field)) {
                out.add(r.get(field).asText());
            }
        });
        return out;
    }

    private ArrayNode rows(Connection c, String table, Set<String> skip, Match m, long clientId) throws SQLException {
        ArrayNode out = Json.MAPPER.createArrayNode();
        if (m.empty()) {
            return out;
        }
        try (PreparedStatement ps = c.prepareStatement("select * from " + table + " where " + m.where() + " order by id")) {
            m.bind(ps, clientId);
            try (ResultSet rs = ps.executeQuery()) {
                RowJson row = new RowJson(rs, dialect, skip);
                while (rs.next()) {
                    TokenBuffer buffer = new TokenBuffer(Json.MAPPER, false);
                    row.write(rs, buffer);
                    out.add((JsonNode) Json.MAPPER.readTree(buffer.asParser()));
                }
            } catch (IOException e) {
                throw new SQLException("could not read a row of " + table + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static Match callsOf(Person p) {
        return new Match().in("customer_number", p.phones()).in("lead_id", p.leadIdTexts());
    }

    private static Match messagesOf(Person p) {
        return new Match().in("to_address", p.phones()).in("lower(to_address)", p.emails()).in("lead_id", p.leadIds());
    }

    private static Match appointmentsOf(Person p) {
        return new Match().in("phone_e164", p.phones()).in("lower(email)", p.emails()).in("lead_id", p.leadIds());
    }

    private static Match toolCallsOf(Collection<String> callIds, Collection<String> toolCallIds) {
        return new Match().in("vapi_call_id", callIds).in("tool_call_id", toolCallIds);
    }

    // ---- erasure: one transaction per table group -----------------------------------------------------

    /** The suppression entries first, in their own transaction: whatever fails later, the person is never contacted again. */
    int suppress(long clientId, Person p, SuppressionStore suppressions, String by, Instant now) {
        return db.inTransaction("recording suppressions", c -> {
            int added = 0;
            for (String phone : p.phones()) {
                added += suppressions.add(c, clientId, new SuppressionStore.Entry("phone", SuppressionStore.phoneHash(phone)), by, now) ? 1 : 0;
            }
            for (String email : p.emails()) {
                added += suppressions.add(c, clientId, new SuppressionStore.Entry("email", SuppressionStore.emailHash(email)), by, now) ? 1 : 0;
            }
            return added;
        });
    }

    /**
     * Leads, their dial attempts' details, pending follow-up steps (cancelled), the client's opt-out
     * entries of the numbers, and the import reports' problem rows naming the numbers
     * ({@code isPersonsPhone} tells a raw phone as written in a file). Each lead keeps its id, status
     * {@code erased}, source and dates (the counts stay right); its dedupe key no longer holds the number.
     */
    Map<String, Integer> eraseLeads(long clientId, Person p, Predicate<String> isPersonsPhone, Instant now) {
        return db.inTransaction("erasing a person's leads", c -> {
            Map<String, Integer> n = new LinkedHashMap<>();
            int leads = 0;
            try (PreparedStatement ps = c.prepareStatement("update leads set name = null, phone_raw = null, phone_e164 = null, phone_type = null, "
                    + "phone_region = null, email = null, attributes = '{}', consent = null, consent_at = null, consent_source = null, "
                    + "status = 'erased', status_reason = 'erased on request', warning = null, sms_capable = ?, dialable = ?, next_call_at = null, "
                    + "dedupe_no = ?, updated_at = ? where id = ? and client_id = ?")) {
                for (long id : p.leadIds()) {
                    ps.setBoolean(1, false);
                    ps.setBoolean(2, false);
                    ps.setLong(3, LeadKeys.ofInvalid("erased:" + id));
                    dialect.setInstant(ps, 4, now);
                    ps.setLong(5, id);
                    ps.setLong(6, clientId);
                    leads += ps.executeUpdate();
                }
            }
            n.put("leads", leads);
            n.put("dialAttempts", update(c, "update dial_attempts set detail = null where ", new Match().in("lead_id", p.leadIds()), clientId));
            n.put("followUpsCancelled", update(c, "update retry_queue set status = 'cancelled', reason = 'erased on request', updated_at = ? where status = 'pending' and ",
                    new Match().in("lead_id", p.leadIds()), clientId, now));
            n.put("optOuts", update(c, "update opt_outs set phone_e164 = '" + ERASED + "', note = null, active = ?, removed_at = coalesce(removed_at, ?), "
                    + "removed_by = coalesce(removed_by, 'erasure') where ", new Match().in("phone_e164", p.phones()), clientId, false, now));
            n.put("importProblems", scrubImports(c, clientId, isPersonsPhone));
            return n;
        });
    }

    /** The import reports of the client: each problem row whose value is one of the person's numbers loses its value. */
    private int scrubImports(Connection c, long clientId, Predicate<String> isPersonsPhone) throws SQLException {
        Map<String, String> changed = new LinkedHashMap<>();
        int scrubbed = 0;
        try (PreparedStatement ps = c.prepareStatement("select id, summary from lead_imports where client_id = ? and summary is not null")) {
            ps.setLong(1, clientId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    JsonNode summary;
                    try {
                        summary = Json.MAPPER.readTree(rs.getString(2));
                    } catch (IOException unreadable) {
                        continue;
                    }
                    int here = 0;
                    for (JsonNode problem : summary.path("problems")) {
                        JsonNode v = problem.get("value");
                        if (problem instanceof ObjectNode o && v != null && v.isTextual() && isPersonsPhone.test(v.asText())) {
                            o.putNull("value");
                            here++;
                        }
                    }
                    if (here > 0) {
                        changed.put(rs.getString(1), summary.toString());
                        scrubbed += here;
                    }
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("update lead_imports set summary = ? where id = ? and client_id = ?")) {
            for (Map.Entry<String, String> e : changed.entrySet()) {
                ps.setString(1, e.getValue());
                ps.setString(2, e.getKey());
                ps.setLong(3, clientId);
                ps.executeUpdate();
            }
        }
        return scrubbed;
    }

    /** Calls: number, transcript, summary, recording URL, structured data; and the arguments and answers of their tool calls. */
    Map<String, Integer> eraseCalls(long clientId, Person p, Instant now) {
        return db.inTransaction("erasing a person's calls", c -> {
            Map<String, Integer> n = new LinkedHashMap<>();
            List<String> callIds = column(c, "select vapi_call_id from calls where ", callsOf(p), clientId);
            n.put("calls", update(c, "update calls set customer_number = null, transcript = null, summary = null, recording_url = null, "
                    + "structured_data = null, updated_at = ? where ", callsOf(p), clientId, now));
            n.put("toolCalls", eraseToolCalls(c, clientId, toolCallsOf(callIds, List.of())));
            return n;
        });
    }

    /** The stored answer keeps its kind (error or result), so the quality figures count it as before. */
    private int eraseToolCalls(Connection c, long clientId, Match m) throws SQLException {
        return update(c, "update tool_calls set arguments = null, answer = case when answer like '{\"error\"%' then '{\"error\":\"" + ERASED
                + "\"}' else '{\"result\":\"" + ERASED + "\"}' end where ", m, clientId);
    }

    /**
     * Messages (outbox and sent): number or address, body, subject, HTML and errors; a message still queued
     * is skipped instead of sent. Their Twilio status callbacks and dead letters lose what they carried.
     */
    Map<String, Integer> eraseMessages(long clientId, Person p, Instant now) {
        return db.inTransaction("erasing a person's messages", c -> {
            Map<String, Integer> n = new LinkedHashMap<>();
            List<String> ids = column(c, "select id from messages where ", messagesOf(p), clientId);
            List<String> sids = column(c, "select provider_id from messages where provider_id is not null and ", messagesOf(p), clientId);
            n.put("messages", update(c, "update messages set to_address = '" + ERASED + "', body = '', html = null, subject = null, last_error = null, "
                    + "status_reason = case when status = 'queued' then 'erased on request' else status_reason end, "
                    + "status_rank = case when status = 'queued' then 5 else status_rank end, "
                    + "status = case when status = 'queued' then 'skipped' else status end, updated_at = ? where ", messagesOf(p), clientId, now));
            int events = 0;
            if (!sids.isEmpty()) {
                Match m = new Match().in("message_sid", sids);
                try (PreparedStatement ps = c.prepareStatement("update message_status_events set params = '{}' where " + m.sql())) {
                    m.bindOnly(ps, 1);
                    events = ps.executeUpdate();
                }
            }
            n.put("statusCallbacks", events);
            n.put("deadLetters", update(c, "update dead_letters set body = null, headers = null where ",
                    new Match().in("message_id", ids.stream().map(Long::valueOf).toList()), clientId));
            return n;
        });
    }

    /** Inbound SMS from the person's numbers: number, text and Twilio's form. */
    Map<String, Integer> eraseInbound(long clientId, Person p) {
        return db.inTransaction("erasing a person's inbound messages", c -> Map.of("inboundMessages",
                update(c, "update inbound_messages set from_number = '" + ERASED + "', body = '', params = '{}' where ",
                        new Match().in("from_number", p.phones()), clientId)));
    }

    /**
     * Appointments: name, number, email, notes; each one's Google event is written again by the calendar
     * sync from the erased appointment (a booked one keeps its time in the calendar without the person, a
     * cancelled one stays deleted). Their tool calls lose their arguments.
     */
    Map<String, Integer> eraseAppointments(long clientId, Person p, Instant now) {
        return db.inTransaction("erasing a person's appointments", c -> {
            Map<String, Integer> n = new LinkedHashMap<>();
            List<String> toolCalls = column(c, "select tool_call_id from appointments where tool_call_id is not null and ", appointmentsOf(p), clientId);
            List<String> synced = column(c, "select id from appointments where calendar_status <> 'not_configured' and ", appointmentsOf(p), clientId);
            n.put("appointments", update(c, "update appointments set customer_name = '" + ERASED + "', phone_e164 = null, email = null, notes = null, "
                    + "calendar_status = case when calendar_status = 'not_configured' then calendar_status else 'pending' end, "
                    + "calendar_next_at = null, calendar_attempts = 0, calendar_error = null, updated_at = ? where ", appointmentsOf(p), clientId, now));
            n.put("calendarEvents", synced.size());
            n.put("toolCalls", eraseToolCalls(c, clientId, toolCallsOf(List.of(), toolCalls)));
            return n;
        });
    }

    // ---- helpers --------------------------------------------------------------------------------------

    private List<String> column(Connection c, String selectWhere, Match m, long clientId) throws SQLException {
        List<String> out = new ArrayList<>();
        if (m.empty()) {
            return out;
        }
        try (PreparedStatement ps = c.prepareStatement(selectWhere + m.where())) {
            m.bind(ps, clientId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** {@code updateWhere} + the match; {@code leading} values bind before the client id (the SET clause's). */
    private int update(Connection c, String updateWhere, Match m, long clientId, Object... leading) throws SQLException {
        if (m.empty()) {
            return 0;
        }
        try (PreparedStatement ps = c.prepareStatement(updateWhere + m.where())) {
            int i = 1;
            for (Object v : leading) {
                if (v instanceof Instant t) {
                    dialect.setInstant(ps, i++, t);
                } else {
                    ps.setObject(i++, v);
                }
            }
            m.bind(ps, clientId, i);
            return ps.executeUpdate();
        }
    }

    /**
     * {@code client_id = ? and (a in (...) or b in (...))}: the alternatives with values; none = nothing matches
     * (the statement is not run).
     */
    static final class Match {
        private final StringBuilder sql = new StringBuilder();
        private final List<Object> args = new ArrayList<>();

        Match in(String column, Collection<?> values) {
            if (values == null || values.isEmpty()) {
                return this;
            }
            sql.append(sql.length() == 0 ? "" : " or ").append(column).append(" in (");
            int k = 0;
            for (Object v : values) {
                sql.append(k++ == 0 ? "?" : ",?");
                args.add(v);
            }
            sql.append(')');
            return this;
        }

        boolean empty() {
            return args.isEmpty();
        }

        String sql() {
            return sql.toString();
        }

        String where() {
            return "client_id = ? and (" + sql + ")";
        }

        void bind(PreparedStatement ps, long clientId) throws SQLException {
            bind(ps, clientId, 1);
        }

        void bind(PreparedStatement ps, long clientId, int from) throws SQLException {
            ps.setLong(from, clientId);
            bindOnly(ps, from + 1);
        }

        void bindOnly(PreparedStatement ps, int from) throws SQLException {
            int i = from;
            for (Object a : args) {
                ps.setObject(i++, a);
            }
        }
    }
}
