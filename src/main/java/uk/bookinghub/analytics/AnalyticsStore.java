package uk.bookinghub.analytics;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.http.Json;
import uk.bookinghub.metrics.BusinessMetrics;
import uk.bookinghub.store.BatchWriter;
import uk.bookinghub.store.Database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SQL for {@code analytics_events} and its daily roll-up {@code analytics_daily}: insert-if-new by
 * event key, group-committed by one writer thread; the roll-up rows of the events a batch really
 * inserted (not the redeliveries) change in the same transaction, so the roll-up always equals the
 * sum over the raw events ({@link #rebuild} recomputes it from them).
 */
public final class AnalyticsStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AnalyticsStore.class);
    static final String INSERT = "insert into analytics_events (event_key, event_type, client_id, client_key, vapi_call_id, outcome, props, occurred_at, created_at, lead_id, source) "
            + "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (event_key) do nothing";
    static final String UPSERT_DAILY = "insert into analytics_daily (client_id, day, source, metric, dim, n, amount) values (?, ?, ?, ?, ?, ?, ?) "
            + "on conflict (client_id, day, source, metric, dim) do update set n = analytics_daily.n + excluded.n, amount = analytics_daily.amount + excluded.amount";
    /** Props read back from the table: decimals stay exact. */
    private static final ObjectMapper PROPS = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(com.fasterxml.jackson.databind.node.JsonNodeFactory.withExactBigDecimals(true));

    private final Database db;
    private final BatchWriter<AnalyticsEvent> writer;
    private final long writeTimeoutMs;
    private BusinessMetrics metrics = BusinessMetrics.NONE;
    /** The events the writer thread's last batch inserted (not the ones already there); counted once that batch commits. */
    private final ThreadLocal<List<AnalyticsEvent>> inserted = new ThreadLocal<>();

    public AnalyticsStore(Database db, int maxBatch, long writeTimeoutMs) {
        this.db = db;
        this.writeTimeoutMs = writeTimeoutMs;
        // one writer: the roll-up's rows are only ever changed by one transaction at a time
        this.writer = new BatchWriter<>("analytics", db, 1, maxBatch, this::writeBatch, this::countCommitted);
    }

    /**
     * How recent a fact the reconciliation leaves alone ({@code hub.analytics.reconcile-grace-seconds}): its event may
     * still be on its way through the wire tap. Under W1's load ~1,000 committed reports were at any moment between
     * their commit and their event, and a pass without this window "added" them all as missing (BENCHMARKS.md, issue 19).
     */
    private volatile java.time.Duration reconcileGrace = java.time.Duration.ofMinutes(5);

    public void reconcileGrace(java.time.Duration grace) {
        this.reconcileGrace = grace;
    }

    /** Where each call's first {@code call.ended} event is counted by outcome ({@code hub_calls_total}): once per call, whatever Vapi retries. */
    public void metrics(BusinessMetrics metrics) {
        this.metrics = metrics;
    }

    public Database database() {
        return db;
    }

    private void countCommitted() {
        List<AnalyticsEvent> events = inserted.get();
        inserted.remove();
        if (events != null) {
            for (AnalyticsEvent e : events) {
                if ("call.ended".equals(e.eventType())) {
                    metrics.call(e.outcome());
                }
            }
        }
    }

    /** Records the event; returns after commit, throws if it could not be stored (the route retries). */
    public void record(AnalyticsEvent e) {
        if (e == null) {
            return;
        }
        writer.write(e, writeTimeoutMs);
    }

    /** Records the events of one step of a flow (a {@link AnalyticsEvent.Source}, a list, or one event); returns after their commit. */
    public void recordAll(Object facts) {
        List<AnalyticsEvent> events = facts instanceof AnalyticsEvent.Source s ? s.events()
                : facts instanceof AnalyticsEvent e ? List.of(e)
                : facts instanceof List<?> l ? l.stream().filter(AnalyticsEvent.class::isInstance).map(AnalyticsEvent.class::cast).toList()
                : List.of();
        List<java.util.concurrent.CompletableFuture<Void>> done = new ArrayList<>(events.size());
        for (AnalyticsEvent e : events) {
            done.add(writer.submit(e));
        }
        for (java.util.concurrent.CompletableFuture<Void> f : done) {
            BatchWriter.await(f, writeTimeoutMs, "analytics");
        }
    }

    /**
     * Closes the one window where a fact could miss analytics: the hub stopping between a
     * report's commit and its wire-tapped event. Inserts the {@code call.ended} event for every
     * call ended between {@code since} and {@code until} that has none (the unique key makes it a no-op otherwise).
     * Returns how many were added.
     */
    public int reconcileCallEvents(Instant since, Instant until) {
        List<AnalyticsEvent> missing = db.read("finding calls without analytics", c -> {
            List<AnalyticsEvent> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select c.vapi_call_id, c.client_id, k.client_key, c.outcome, c.ended_reason, c.duration_seconds, c.cost, "
                    + "c.ended_at, c.updated_at, c.lead_id, c.tenant_rule from calls c left join clients k on k.id = c.client_id "
                    + "where c.report_count > 0 and c.updated_at >= ? and c.updated_at < ? "
                    + "and not exists (select 1 from analytics_events e where e.event_key = 'call.ended:' || c.vapi_call_id)")) {
                db.dialect().setInstant(ps, 1, since);
                db.dialect().setInstant(ps, 2, until);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(callEnded(rs, true));
                    }
                }
            }
            return out;
        });
        return insertNow(missing);
    }

    /**
     * The {@code call.ended} event of a {@code calls} row (columns vapi_call_id, client_id, client_key,
     * outcome, ended_reason, duration_seconds, cost, ended_at, updated_at, lead_id, tenant_rule), as the
     * webhook would have recorded it; {@code reconciled} marks one added afterwards.
     */
    public AnalyticsEvent callEnded(ResultSet rs, boolean reconciled) throws SQLException {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("outcome", rs.getString("outcome"));
        props.put("endedReason", rs.getString("ended_reason"));
        props.put("durationSeconds", rs.getBigDecimal("duration_seconds"));
        props.put("cost", rs.getBigDecimal("cost"));
        props.put("tenantRule", rs.getString("tenant_rule"));
        if (reconciled) {
            props.put("reconciled", true);
        }
        Instant ended = db.dialect().getInstant(rs, "ended_at");
        String lead = rs.getString("lead_id");
        Long clientId = nullableLong(rs, "client_id"); // an unmatched call has none (not client 0)
        return new AnalyticsEvent("call.ended:" + rs.getString("vapi_call_id"), "call.ended", clientId,
                rs.getString("client_key"), rs.getString("vapi_call_id"), rs.getString("outcome"), props,
                ended != null ? ended : db.dialect().getInstant(rs, "updated_at"),
                lead != null && lead.matches("\\d{1,18}") ? Long.valueOf(lead) : null, null);
    }

    /**
     * Writes events found missing (reconciliation, back-fill) through the same writer as the wire
     * taps, so their roll-up rows change with them; returns how many were new.
     */
    public int insertNow(List<AnalyticsEvent> events) {
        recordAll(events);
        return events.size();
    }

    /** The scheduled reconciliation over the last {@code hours}; logs what it added. */
    public Map<String, Integer> reconcileRecent(int hours) {
        Map<String, Integer> added = reconcile(Instant.now().minus(java.time.Duration.ofHours(hours)));
        int total = added.values().stream().mapToInt(Integer::intValue).sum();
        if (total > 0) {
            LOG.warn("[ANALYTICS] added {} missing event(s) for facts of the last {} h: {}", total, hours, added);
        }
        return added;
    }

    /** Every event type the reconciliation covers, in the order it reports them. */
    public static final List<String> RECONCILED = List.of("call.ended", "appointment.booked", "appointment.cancelled", "appointment.completed",
            "appointment.no_show", "message.sent", "message.delivered", "message.failed", "lead.imported", "lead.opted_out");

    /**
     * Closes the window where a committed fact could miss analytics (the hub stopping between the
     * commit and its wire tap, or a wire tap that failed for good): for the facts of every type since
     * {@code since} (ended calls, appointments booked, cancelled, completed or no-show, messages
     * sent, delivered or failed, imports, opt-outs), builds the event the live path would have
     * written ({@link AnalyticsFacts}) and adds the ones that are missing, through the writer (so
     * their roll-up rows change with them). Facts newer than the grace window are left to the next
     * pass: their wire tap may not have written their event yet. Returns how many it added per type.
     */
    public Map<String, Integer> reconcile(Instant since) {
        Instant until = Instant.now().minus(reconcileGrace);
        Map<String, Integer> added = new LinkedHashMap<>();
        RECONCILED.forEach(t -> added.put(t, 0));
        added.put("call.ended", reconcileCallEvents(since, until));
        List<AnalyticsEvent> candidates = db.read("finding facts without analytics", c -> {
            List<AnalyticsEvent> out = new ArrayList<>();
            appointmentFacts(c, since, until, out);
            messageFacts(c, since, until, out);
            importFacts(c, since, until, out);
            optOutFacts(c, since, until, out);
            return missing(c, out);
        });
        List<AnalyticsEvent> marked = candidates.stream().map(e -> e.marked("reconciled")).toList();
        insertNow(marked);
        for (AnalyticsEvent e : marked) {
            added.merge(e.eventType(), 1, Integer::sum);
        }
        return added;
    }

    /** Appointments booked, cancelled or marked since then whose event is missing. */
    private void appointmentFacts(Connection c, Instant since, Instant until, List<AnalyticsEvent> out) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select a.id, a.client_id, k.client_key, a.lead_id, a.service, a.start_at, a.created_at, a.tool_call_id, "
                + "a.cancelled_at, a.completed_at, a.completed_by, a.no_show_at, a.no_show_by from appointments a left join clients k on k.id = a.client_id "
                + "where (a.created_at >= ? and a.created_at < ? and not exists (select 1 from analytics_events e where e.event_key = 'appointment.booked:' || a.id)) "
                + "or (a.cancelled_at >= ? and a.cancelled_at < ? and not exists (select 1 from analytics_events e where e.event_key = 'appointment.cancelled:' || a.id)) "
                + "or (a.completed_at >= ? and a.completed_at < ? and not exists (select 1 from analytics_events e where e.event_key = 'appointment.completed:' || a.id)) "
                + "or (a.no_show_at >= ? and a.no_show_at < ? and not exists (select 1 from analytics_events e where e.event_key = 'appointment.no_show:' || a.id))")) {
            for (int i = 1; i <= 8; i += 2) {
                db.dialect().setInstant(ps, i, since);
                db.dialect().setInstant(ps, i + 1, until);
            }
            try (ResultSet rs = ps.executeQuery()) {
                var d = db.dialect();
                while (rs.next()) {
                    long id = rs.getLong("id");
                    long client = rs.getLong("client_id");
                    String key = rs.getString("client_key");
                    Long lead = nullableLong(rs, "lead_id");
                    String service = rs.getString("service");
                    Instant start = d.getInstant(rs, "start_at");
                    Instant created = d.getInstant(rs, "created_at");
                    out.add(AnalyticsFacts.appointmentBooked(id, client, key, lead, service, start, created, AnalyticsFacts.bookedBy(rs.getString("tool_call_id"))));
                    Instant cancelled = d.getInstant(rs, "cancelled_at");
                    if (cancelled != null) {
                        out.add(AnalyticsFacts.appointmentCancelled(id, client, key, lead, service, created, start, cancelled));
                    }
                    Instant completed = d.getInstant(rs, "completed_at");
                    if (completed != null) {
                        out.add(AnalyticsFacts.appointmentAttended("completed", id, client, key, lead, service, start, completed, rs.getString("completed_by"), null));
                    }
                    Instant noShow = d.getInstant(rs, "no_show_at");
                    if (noShow != null) {
                        out.add(AnalyticsFacts.appointmentAttended("no_show", id, client, key, lead, service, start, noShow, rs.getString("no_show_by"),
                                completed != null ? "completed" : null));
                    }
                }
            }
        }
    }

    /** Messages sent, delivered or failed since then whose event is missing. */
    private void messageFacts(Connection c, Instant since, Instant until, List<AnalyticsEvent> out) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select m.id, m.client_id, m.lead_id, m.channel, m.kind, m.segments, m.price, m.price_unit, m.status, "
                + "m.error_code, m.attempts, m.provider_id, m.sent_at, m.delivered_at, m.updated_at from messages m where m.updated_at >= ? and m.updated_at < ? and ("
                + "(m.sent_at is not null and not exists (select 1 from analytics_events e where e.event_key = 'message.sent:' || m.id)) "
                + "or (m.delivered_at is not null and not exists (select 1 from analytics_events e where e.event_key = 'message.delivered:' || m.id)) "
                + "or (m.status in ('failed', 'undelivered', 'dead') and not exists (select 1 from analytics_events e where e.event_key = 'message.failed:' || m.id)))")) {
            db.dialect().setInstant(ps, 1, since);
            db.dialect().setInstant(ps, 2, until);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.addAll(AnalyticsFacts.messageEvents(messageFacts(rs, db.dialect())));
                }
            }
        }
    }

    /** The facts of a {@code messages} row (the columns of {@link AnalyticsFacts.MessageFacts}, snake_case). */
    public static AnalyticsFacts.MessageFacts messageFacts(ResultSet rs, uk.bookinghub.store.Dialect d) throws SQLException {
        long segments = rs.getLong("segments");
        Integer seg = rs.wasNull() ? null : (int) segments;
        return new AnalyticsFacts.MessageFacts(rs.getLong("id"), rs.getLong("client_id"), nullableLong(rs, "lead_id"), rs.getString("channel"),
                rs.getString("kind"), seg, rs.getString("price"), rs.getString("price_unit"), rs.getString("status"), rs.getString("error_code"),
                rs.getInt("attempts"), rs.getString("provider_id"), d.getInstant(rs, "sent_at"), d.getInstant(rs, "delivered_at"), d.getInstant(rs, "updated_at"));
    }

    /** Imports finished since then (their leads per source), and single leads from the web form. */
    private void importFacts(Connection c, Instant since, Instant until, List<AnalyticsEvent> out) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select i.id, i.client_id, k.client_key, i.imported_by_source, i.finished_at from lead_imports i "
                + "left join clients k on k.id = i.client_id where i.finished_at >= ? and i.finished_at < ? and i.imported_by_source is not null")) {
            db.dialect().setInstant(ps, 1, since);
            db.dialect().setInstant(ps, 2, until);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    JsonNode bySource;
                    try {
                        bySource = PROPS.readTree(rs.getString("imported_by_source"));
                    } catch (java.io.IOException e) {
                        LOG.warn("[ANALYTICS] import {}: imported_by_source is not JSON; not reconciled", rs.getString("id"));
                        continue;
                    }
                    Instant at = db.dialect().getInstant(rs, "finished_at");
                    for (var f : (Iterable<Map.Entry<String, JsonNode>>) bySource::fields) {
                        out.add(AnalyticsFacts.leadsImported(rs.getString("id"), rs.getLong("client_id"), rs.getString("client_key"), f.getKey(),
                                f.getValue().asLong(), at));
                    }
                }
            }
        }
        // a lead from the web form is an import of one (only those: imports carry their import_id)
        try (PreparedStatement ps = c.prepareStatement("select l.id, l.client_id, k.client_key, l.source, l.created_at from leads l "
                + "left join clients k on k.id = l.client_id where l.import_id is null and l.created_at >= ? and l.created_at < ? and l.status not in ('skipped', 'invalid')")) {
            db.dialect().setInstant(ps, 1, since);
            db.dialect().setInstant(ps, 2, until);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(AnalyticsFacts.leadsImported(AnalyticsFacts.singleLeadImport(rs.getLong("id")), rs.getLong("client_id"), rs.getString("client_key"),
                            rs.getString("source"), 1, db.dialect().getInstant(rs, "created_at")));
                }
            }
        }
    }

    /** Opt-outs made since then whose event is missing, each with the client's newest lead with that number. */
    private void optOutFacts(Connection c, Instant since, Instant until, List<AnalyticsEvent> out) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select o.id, o.client_id, k.client_key, o.scope_key, o.created_by, o.created_at, "
                + "(select max(l.id) from leads l where l.client_id = o.client_id and l.dedupe_no = cast(substr(o.phone_e164, 2) as bigint)) as lead_id "
                + "from opt_outs o left join clients k on k.id = o.client_id "
                + "where o.created_at >= ? and o.created_at < ? and not exists (select 1 from analytics_events e where e.event_key = 'lead.opted_out:' || o.id)")) {
            db.dialect().setInstant(ps, 1, since);
            db.dialect().setInstant(ps, 2, until);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(AnalyticsFacts.leadOptedOut(rs.getLong("id"), nullableLong(rs, "client_id"), rs.getString("client_key"), nullableLong(rs, "lead_id"),
                            "global".equals(rs.getString("scope_key")) ? "global" : "client", AnalyticsFacts.optOutVia(rs.getString("created_by")),
                            db.dialect().getInstant(rs, "created_at")));
                }
            }
        }
    }

    /** The candidates whose event key is not in the table yet. */
    private static List<AnalyticsEvent> missing(Connection c, List<AnalyticsEvent> candidates) throws SQLException {
        List<AnalyticsEvent> out = new ArrayList<>();
        for (int from = 0; from < candidates.size(); from += 500) {
            List<AnalyticsEvent> chunk = candidates.subList(from, Math.min(candidates.size(), from + 500));
            java.util.Set<String> present = new java.util.HashSet<>();
            try (PreparedStatement ps = c.prepareStatement("select event_key from analytics_events where event_key in ("
                    + String.join(",", java.util.Collections.nCopies(chunk.size(), "?")) + ")")) {
                for (int i = 0; i < chunk.size(); i++) {
                    ps.setString(i + 1, chunk.get(i).eventKey());
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        present.add(rs.getString(1));
                    }
                }
            }
            for (AnalyticsEvent e : chunk) {
                if (present.add(e.eventKey())) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    private static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    private void writeBatch(Connection c, List<AnalyticsEvent> batch) throws SQLException {
        List<AnalyticsEvent> events = withSources(c, batch);
        int[] rows;
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            Instant now = Instant.now();
            for (AnalyticsEvent e : events) {
                ps.setString(1, e.eventKey());
                ps.setString(2, e.eventType());
                setLong(ps, 3, e.clientId());
                ps.setString(4, e.clientKey());
                ps.setString(5, e.vapiCallId());
                ps.setString(6, e.outcome());
                ps.setString(7, Json.write(e.props()));
                db.dialect().setInstant(ps, 8, e.occurredAt());
                db.dialect().setInstant(ps, 9, now);
                setLong(ps, 10, e.leadId());
                ps.setString(11, e.source());
                ps.addBatch();
            }
            rows = ps.executeBatch();
        }
        List<AnalyticsEvent> fresh = new ArrayList<>(events.size());
        for (int i = 0; i < rows.length && i < events.size(); i++) {
            if (rows[i] > 0) {
                fresh.add(events.get(i));
            }
        }
        addToRollup(c, fresh);
        inserted.set(fresh);
    }

    /** Adds the roll-up deltas of events just inserted, on the same connection (the same transaction). */
    private void addToRollup(Connection c, List<AnalyticsEvent> fresh) throws SQLException {
        if (fresh.isEmpty()) {
            return;
        }
        Map<Long, ZoneId> zones = zones(c, fresh);
        List<Rollup.Delta> deltas = new ArrayList<>();
        for (AnalyticsEvent e : fresh) {
            if (e.clientId() != null) {
                deltas.addAll(Rollup.deltas(e, zones.getOrDefault(e.clientId(), ZoneId.of("Europe/London"))));
            }
        }
        upsert(c, Rollup.combine(deltas));
    }

    private static void upsert(Connection c, List<Rollup.Delta> deltas) throws SQLException {
        if (deltas.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(UPSERT_DAILY)) {
            for (Rollup.Delta d : deltas) {
                ps.setLong(1, d.clientId());
                ps.setString(2, d.day());
                ps.setString(3, d.source());
                ps.setString(4, d.metric());
                ps.setString(5, d.dim());
                ps.setLong(6, d.n());
                ps.setLong(7, d.amount());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Each client's time zone, read in the batch's transaction: the day a fact counts on is the client's local day. */
    private static Map<Long, ZoneId> zones(Connection c, List<AnalyticsEvent> events) throws SQLException {
        Map<Long, ZoneId> zones = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("select timezone from clients where id = ?")) {
            for (AnalyticsEvent e : events) {
                Long id = e.clientId();
                if (id != null && !zones.containsKey(id)) {
                    ps.setLong(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        zones.put(id, rs.next() ? zone(rs.getString(1)) : ZoneId.of("Europe/London"));
                    }
                }
            }
        }
        return zones;
    }

    static ZoneId zone(String id) {
        try {
            return ZoneId.of(id == null ? "Europe/London" : id);
        } catch (java.time.DateTimeException e) {
            return ZoneId.of("Europe/London");
        }
    }

    /**
     * Fills in what a producer may leave to the writer: the source (campaign) of events that name a
     * lead but not its source, and the client key of events that name only the client's id.
     */
    private static List<AnalyticsEvent> withSources(Connection c, List<AnalyticsEvent> events) throws SQLException {
        Map<Long, String> sources = new HashMap<>();
        Map<Long, String> keys = new HashMap<>();
        List<AnalyticsEvent> out = new ArrayList<>(events.size());
        for (AnalyticsEvent e : events) {
            AnalyticsEvent filled = e;
            if (e.clientId() != null && e.clientKey() == null) {
                String key = lookUp(c, keys, "select client_key from clients where id = ?", e.clientId());
                filled = new AnalyticsEvent(e.eventKey(), e.eventType(), e.clientId(), key, e.vapiCallId(), e.outcome(), e.props(), e.occurredAt(),
                        e.leadId(), e.source());
            }
            if (e.leadId() != null && e.source() == null) {
                String s = lookUp(c, sources, "select source from leads where id = ?", e.leadId());
                if (s != null) {
                    filled = filled.withLead(e.leadId(), s);
                }
            }
            out.add(filled);
        }
        return out;
    }

    private static String lookUp(Connection c, Map<Long, String> seen, String sql, long id) throws SQLException {
        if (!seen.containsKey(id)) {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    seen.put(id, rs.next() ? rs.getString(1) : null);
                }
            }
        }
        return seen.get(id);
    }

    private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.BIGINT);
        } else {
            ps.setLong(i, v);
        }
    }

    // ---- settings --------------------------------------------------------------------------

    /** The client's stored analytics settings document, or null when none was saved. */
    public String settingsJson(long clientId) {
        return db.read("reading analytics settings", c -> {
            try (PreparedStatement ps = c.prepareStatement("select analytics_settings from clients where id = ?")) {
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        });
    }

    /** An active client's stored analytics settings document (null when none was saved). */
    public record ClientSettings(long clientId, String clientKey, String json) {
    }

    /** The analytics settings of every client that may be sent its report (trial or active: uk.bookinghub.clients.ClientState), by id (the weekly report batch reads them once per pass). */
    public List<ClientSettings> activeClientSettings() {
        return db.read("reading analytics settings", c -> {
            List<ClientSettings> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select id, client_key, analytics_settings from clients "
                    + "where state in ('trial', 'active') order by id");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new ClientSettings(rs.getLong(1), rs.getString(2), rs.getString(3)));
                }
            }
            return out;
        });
    }

    public void saveSettings(Connection c, long clientId, String json) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update clients set analytics_settings = ? where id = ?")) {
            ps.setString(1, json);
            ps.setLong(2, clientId);
            ps.executeUpdate();
        }
    }

    // ---- reading ---------------------------------------------------------------------------

    /** One roll-up row, or a sum of them ({@link #sums}). */
    public record Daily(LocalDate day, String source, String metric, String dim, long n, long amount) {
    }

    /** How {@link #sums} groups a period's roll-up rows: the whole period, per local day, or per source (campaign). */
    public enum By {
        PERIOD(""), DAY("day, "), SOURCE("source, ");

        private final String columns;

        By(String columns) {
            this.columns = columns;
        }
    }

    /**
     * The client's roll-up for local days {@code from}..{@code to} inclusive, summed by the database per
     * (metric, dim), and per day or per source when {@code by} says so: a year of one client is a few
     * dozen rows to read (or a dozen per day), not every (day, source, metric, dim) row. In the rows,
     * {@code day} is null unless by DAY and {@code source} is "" unless by SOURCE.
     */
    public List<Daily> sums(long clientId, LocalDate from, LocalDate to, By by) {
        return db.read("reading analytics", c -> {
            List<Daily> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select " + by.columns + "metric, dim, cast(sum(n) as bigint), cast(sum(amount) as bigint) from analytics_daily "
                    + "where client_id = ? and day >= ? and day <= ? group by " + by.columns + "metric, dim")) {
                ps.setLong(1, clientId);
                ps.setString(2, from.toString());
                ps.setString(3, to.toString());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int i = by == By.PERIOD ? 1 : 2;
                        LocalDate day = by == By.DAY ? day(rs.getString(1)) : null;
                        String source = by == By.SOURCE ? rs.getString(1) : "";
                        out.add(new Daily(day, source, rs.getString(i), rs.getString(i + 1), rs.getLong(i + 2), rs.getLong(i + 3)));
                    }
                }
            }
            return out;
        });
    }

    /** A stored day, YYYY-MM-DD (the trend reads one per row: DateTimeFormatter's parse was its largest cost). */
    private static LocalDate day(String s) {
        if (s.length() != 10 || s.charAt(4) != '-' || s.charAt(7) != '-') {
            return LocalDate.parse(s); // not as the roll-up writes it: the parser says what is wrong
        }
        return LocalDate.of(Integer.parseInt(s, 0, 4, 10), Integer.parseInt(s, 5, 7, 10), Integer.parseInt(s, 8, 10, 10));
    }

    private static final java.time.format.DateTimeFormatter TIME = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss");

    /** The export's columns. */
    static final String CSV_HEADER = "call_id,date_local,time_local,ended_at_utc,lead_id,lead_name,source,outcome,duration_seconds,cost_usd,cost_gbp,appointment_id\r\n";

    /**
     * The client's ended calls of a period as CSV, streamed: a cursor over its {@code call.ended}
     * events (the same facts the numbers count, so the export's totals equal the metrics'), read as
     * the stream is read; the connection is returned when the stream ends or is closed.
     * {@code cost_gbp} is exact (USD cost × rate, unrounded), so its sum rounds to the metrics' call cost.
     */
    public java.io.InputStream exportCalls(long clientId, AnalyticsReports.Period p, ZoneId zone, java.math.BigDecimal rate) {
        Instant from = p.from().atStartOfDay(zone).toInstant();
        Instant to = p.to().plusDays(1).atStartOfDay(zone).toInstant();
        Connection c;
        PreparedStatement ps;
        ResultSet rs;
        try {
            c = db.dataSource().getConnection();
        } catch (SQLException e) {
            throw uk.bookinghub.store.StoreException.wrap("exporting calls", e);
        }
        try {
            c.setAutoCommit(false); // PostgreSQL streams with a fetch size only inside a transaction
            ps = c.prepareStatement("select e.vapi_call_id, e.occurred_at, e.lead_id, l.name as lead_name, e.source, e.outcome, e.props, "
                    + "(select min(a.id) from appointments a where a.vapi_call_id = e.vapi_call_id and a.client_id = e.client_id) as appointment_id "
                    + "from analytics_events e left join leads l on l.id = e.lead_id and l.client_id = e.client_id "
                    + "where e.client_id = ? and e.event_type = 'call.ended' and e.occurred_at >= ? and e.occurred_at < ? order by e.occurred_at, e.id");
            ps.setFetchSize(1000);
            ps.setLong(1, clientId);
            db.dialect().setInstant(ps, 2, from);
            db.dialect().setInstant(ps, 3, to);
            rs = ps.executeQuery();
        } catch (SQLException e) {
            closeQuietly(c);
            throw uk.bookinghub.store.StoreException.wrap("exporting calls", e);
        }
        CsvExport export = new CsvExport(c, ps, rs, db.dialect(), zone, rate);
        // a download the client abandoned may never be closed by the HTTP layer: its connection goes back
        // to the pool once nothing was read from it for EXPORT_IDLE
        EXPORT_WATCH.scheduleWithFixedDelay(export::closeIfIdle, 30, 30, java.util.concurrent.TimeUnit.SECONDS);
        return export;
    }

    private static final long EXPORT_IDLE_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
    private static final java.util.concurrent.ScheduledThreadPoolExecutor EXPORT_WATCH = watch();

    private static java.util.concurrent.ScheduledThreadPoolExecutor watch() {
        java.util.concurrent.ScheduledThreadPoolExecutor w = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "hub-export-watch");
            t.setDaemon(true);
            return t;
        });
        w.setRemoveOnCancelPolicy(true);
        return w;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // already failing
        }
    }

    /** The export as an InputStream that reads rows only as it is read (bounded memory for a year of calls). */
    private static final class CsvExport extends java.io.InputStream {
        private final Connection c;
        private final PreparedStatement ps;
        private final ResultSet rs;
        private final uk.bookinghub.store.Dialect dialect;
        private final ZoneId zone;
        private final java.math.BigDecimal rate;
        private byte[] buf;
        private int pos;
        private boolean done;
        private volatile boolean closed;
        private volatile long lastRead = System.nanoTime();

        CsvExport(Connection c, PreparedStatement ps, ResultSet rs, uk.bookinghub.store.Dialect dialect, ZoneId zone, java.math.BigDecimal rate) {
            this.c = c;
            this.ps = ps;
            this.rs = rs;
            this.dialect = dialect;
            this.zone = zone;
            this.rate = rate;
            byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
            byte[] head = CSV_HEADER.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            this.buf = new byte[bom.length + head.length];
            System.arraycopy(bom, 0, buf, 0, bom.length);
            System.arraycopy(head, 0, buf, bom.length, head.length);
        }

        /** Closes an export nobody has read from for two minutes; then stops being watched (by throwing, which ends its schedule). */
        void closeIfIdle() {
            if (!closed && System.nanoTime() - lastRead > EXPORT_IDLE_NANOS) {
                LOG.warn("[ANALYTICS] a CSV export was not read for 2 minutes (the download was abandoned): its database connection is released");
                synchronized (this) {
                    close();
                }
            }
            if (closed) {
                throw new java.util.concurrent.CancellationException("export closed");
            }
        }

        private boolean fill() throws java.io.IOException {
            lastRead = System.nanoTime();
            if (closed && pos >= buf.length) {
                if (done) {
                    return false;
                }
                throw new java.io.IOException("the export was closed before its end (abandoned for 2 minutes)");
            }
            while (pos >= buf.length) {
                if (done) {
                    return false;
                }
                StringBuilder sb = new StringBuilder(256 * 64);
                try {
                    for (int i = 0; i < 256; i++) {
                        if (!rs.next()) {
                            done = true;
                            close();
                            break;
                        }
                        row(sb);
                    }
                } catch (SQLException e) {
                    close();
                    throw new java.io.IOException("export failed: " + e.getMessage(), e);
                }
                buf = sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                pos = 0;
            }
            return true;
        }

        private void row(StringBuilder sb) throws SQLException {
            Instant at = dialect.getInstant(rs, "occurred_at");
            java.time.ZonedDateTime local = at.atZone(zone);
            java.math.BigDecimal duration = null;
            java.math.BigDecimal cost = null;
            try {
                JsonNode props = PROPS.readTree(rs.getString("props"));
                duration = Rollup.decimal(props.get("durationSeconds"));
                cost = Rollup.decimal(props.get("cost"));
            } catch (java.io.IOException | RuntimeException e) {
                // props unreadable: the row is exported without duration and cost
            }
            long lead = rs.getLong("lead_id");
            String leadId = rs.wasNull() ? "" : Long.toString(lead);
            long appointment = rs.getLong("appointment_id");
            String appointmentId = rs.wasNull() ? "" : Long.toString(appointment);
            cell(sb, rs.getString("vapi_call_id")).append(',');
            sb.append(local.toLocalDate()).append(',');
            sb.append(TIME.format(local)).append(',');
            sb.append(java.time.format.DateTimeFormatter.ISO_INSTANT.format(at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS))).append(',');
            sb.append(leadId).append(',');
            cell(sb, rs.getString("lead_name")).append(',');
            cell(sb, rs.getString("source")).append(',');
            cell(sb, rs.getString("outcome")).append(',');
            sb.append(duration == null ? "" : duration.toPlainString()).append(',');
            sb.append(cost == null ? "" : cost.toPlainString()).append(',');
            sb.append(cost == null ? "" : cost.multiply(rate).stripTrailingZeros().toPlainString()).append(',');
            sb.append(appointmentId).append("\r\n");
        }

        /** A text cell: quoted when it holds a comma, quote or line break; a formula-looking start neutralised with a leading '. */
        private static StringBuilder cell(StringBuilder sb, String v) {
            if (v == null || v.isEmpty()) {
                return sb;
            }
            char first = v.charAt(0);
            if (first == '=' || first == '+' || first == '-' || first == '@' || first == '\t' || first == '\r') {
                v = "'" + v;
            }
            if (v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
                return sb.append('"').append(v.replace("\"", "\"\"")).append('"');
            }
            return sb.append(v);
        }

        @Override
        public synchronized int read() throws java.io.IOException {
            return fill() ? buf[pos++] & 0xFF : -1;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws java.io.IOException {
            if (len == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int n = Math.min(len, buf.length - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            closeQuietly(rs);
            closeQuietly(ps);
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // read-only
            }
            closeQuietly(c);
        }
    }

    /**
     * Recomputes a client's roll-up from its raw events (after a time-zone change, or to check it):
     * in one transaction, the rows are deleted and summed again. Returns the number of events read.
     * Runs through the writer's lock-free path: call it when no event of this client is in flight,
     * or accept that one in flight is counted by the transaction that commits last.
     */
    /** The client's roll-up summed again from its raw events, with the request's audit row (the number of events) in the same transaction. */
    public int rebuild(long clientId, uk.bookinghub.audit.Audit audit) {
        return db.inTransaction("rebuilding the analytics roll-up", c -> {
            int events = rebuild(c, db.dialect(), clientId);
            if (audit != null) {
                audit.detail("events", events).write(c, 200);
            }
            return events;
        });
    }

    /** The same on a given connection (the back-fill migration). */
    public static int rebuild(Connection c, uk.bookinghub.store.Dialect dialect, long clientId) throws SQLException {
        ZoneId zone;
        try (PreparedStatement ps = c.prepareStatement("select timezone from clients where id = ?")) {
            ps.setLong(1, clientId);
            try (ResultSet rs = ps.executeQuery()) {
                zone = zone(rs.next() ? rs.getString(1) : null);
            }
        }
        try (PreparedStatement ps = c.prepareStatement("delete from analytics_daily where client_id = ?")) {
            ps.setLong(1, clientId);
            ps.executeUpdate();
        }
        Map<String, Rollup.Delta> sum = new LinkedHashMap<>();
        int events = 0;
        try (PreparedStatement ps = c.prepareStatement("select event_key, event_type, outcome, props, occurred_at, lead_id, source from analytics_events where client_id = ?")) {
            ps.setLong(1, clientId);
            ps.setFetchSize(5000);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    events++;
                    AnalyticsEvent e = fromRow(rs, dialect, clientId);
                    for (Rollup.Delta d : Rollup.deltas(e, zone)) {
                        sum.merge(d.key(), d, (a, b) -> new Rollup.Delta(a.clientId(), a.day(), a.source(), a.metric(), a.dim(), a.n() + b.n(), a.amount() + b.amount()));
                    }
                }
            }
        }
        List<Rollup.Delta> rows = new ArrayList<>(sum.values());
        for (int i = 0; i < rows.size(); i += 1000) {
            upsert(c, rows.subList(i, Math.min(rows.size(), i + 1000)));
        }
        return events;
    }

    private static AnalyticsEvent fromRow(ResultSet rs, uk.bookinghub.store.Dialect dialect, long clientId) throws SQLException {
        Map<String, Object> props = new LinkedHashMap<>();
        try {
            JsonNode p = PROPS.readTree(rs.getString("props"));
            if (p != null && p.isObject()) {
                p.fields().forEachRemaining(f -> props.put(f.getKey(), f.getValue()));
            }
        } catch (java.io.IOException e) {
            LOG.warn("[ANALYTICS] event {}: props are not JSON; counted without them", rs.getString("event_key"));
        }
        Instant occurred = dialect.getInstant(rs, "occurred_at");
        long lead = rs.getLong("lead_id");
        Long leadId = rs.wasNull() ? null : lead;
        return new AnalyticsEvent(rs.getString("event_key"), rs.getString("event_type"), clientId, null, null,
                rs.getString("outcome"), props, occurred, leadId, rs.getString("source"));
    }

    @Override
    public void close() {
        writer.close();
    }
}
