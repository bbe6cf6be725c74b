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
    private static final ObjectMapper PROPS = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

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
     * call ended since {@code since} that has none (the unique key makes it a no-op otherwise).
     * Returns how many were added.
     */
    public int reconcileCallEvents(Instant since) {
        List<AnalyticsEvent> missing = db.read("finding calls without analytics", c -> {
            List<AnalyticsEvent> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select c.vapi_call_id, c.client_id, k.client_key, c.outcome, c.ended_reason, c.duration_seconds, c.cost, "
                    + "c.ended_at, c.updated_at, c.lead_id, c.tenant_rule from calls c left join clients k on k.id = c.client_id "
                    + "where c.report_count > 0 and c.updated_at >= ? "
                    + "and not exists (select 1 from analytics_events e where e.event_key = 'call.ended:' || c.vapi_call_id)")) {
                db.dialect().setInstant(ps, 1, since);
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
        long clientId = rs.getLong("client_id");
        return new AnalyticsEvent("call.ended:" + rs.getString("vapi_call_id"), "call.ended", rs.wasNull() ? null : clientId,
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
    public int reconcileRecent(int hours) {
        int added = reconcileCallEvents(Instant.now().minus(java.time.Duration.ofHours(hours)));
        if (added > 0) {
            LOG.warn("[ANALYTICS] added {} missing call.ended event(s) for calls ended in the last {} h", added, hours);
        }
        return added;
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

    /** Fills in the source (campaign) of events that name a lead but not its source. */
    private static List<AnalyticsEvent> withSources(Connection c, List<AnalyticsEvent> events) throws SQLException {
        Map<Long, String> sources = null;
        List<AnalyticsEvent> out = new ArrayList<>(events.size());
        for (AnalyticsEvent e : events) {
            if (e.leadId() != null && e.source() == null) {
                if (sources == null) {
                    sources = new HashMap<>();
                }
                if (!sources.containsKey(e.leadId())) {
                    try (PreparedStatement ps = c.prepareStatement("select source from leads where id = ?")) {
                        ps.setLong(1, e.leadId());
                        try (ResultSet rs = ps.executeQuery()) {
                            sources.put(e.leadId(), rs.next() ? rs.getString(1) : null);
                        }
                    }
                }
                String s = sources.get(e.leadId());
                out.add(s == null ? e : e.withLead(e.leadId(), s));
            } else {
                out.add(e);
            }
        }
        return out;
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

    public void saveSettings(long clientId, String json) {
        db.inTransaction("saving analytics settings", c -> {
            try (PreparedStatement ps = c.prepareStatement("update clients set analytics_settings = ? where id = ?")) {
                ps.setString(1, json);
                ps.setLong(2, clientId);
                return ps.executeUpdate();
            }
        });
    }

    // ---- reading ---------------------------------------------------------------------------

    /** One roll-up row. */
    public record Daily(LocalDate day, String source, String metric, String dim, long n, long amount) {
    }

    /** The client's roll-up rows for local days {@code from}..{@code to} inclusive, as stored (the answers read {@link #sums}). */
    public List<Daily> daily(long clientId, LocalDate from, LocalDate to) {
        return db.read("reading analytics", c -> {
            List<Daily> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select day, source, metric, dim, n, amount from analytics_daily "
                    + "where client_id = ? and day >= ? and day <= ?")) {
                ps.setLong(1, clientId);
                ps.setString(2, from.toString());
                ps.setString(3, to.toString());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Daily(LocalDate.parse(rs.getString(1)), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5), rs.getLong(6)));
                    }
                }
            }
            return out;
        });
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
        return new CsvExport(c, ps, rs, db.dialect(), zone, rate);
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
        private boolean closed;

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

        private boolean fill() throws java.io.IOException {
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
            sb.append(local.toLocalTime().withNano(0)).append(',');
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
        public int read() throws java.io.IOException {
            return fill() ? buf[pos++] & 0xFF : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws java.io.IOException {
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
        public void close() {
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
    public int rebuild(long clientId) {
        return db.inTransaction("rebuilding the analytics roll-up", c -> rebuild(c, db.dialect(), clientId));
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
