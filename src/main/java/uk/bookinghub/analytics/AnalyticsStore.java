package uk.bookinghub.analytics;

import uk.bookinghub.http.Json;
import uk.bookinghub.store.BatchWriter;
import uk.bookinghub.store.Database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;

/** SQL for {@code analytics_events}: insert-if-new by event key, group-committed. */
public final class AnalyticsStore implements AutoCloseable {

    static final String INSERT = "insert into analytics_events (event_key, event_type, client_id, client_key, vapi_call_id, outcome, props, occurred_at, created_at) "
            + "values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (event_key) do nothing";

    private final Database db;
    private final BatchWriter<AnalyticsEvent> writer;
    private final long writeTimeoutMs;

    public AnalyticsStore(Database db, int maxBatch, long writeTimeoutMs) {
        this.db = db;
        this.writeTimeoutMs = writeTimeoutMs;
        this.writer = new BatchWriter<>("analytics", db, 1, maxBatch, this::writeBatch, this::countCommitted);
    }

    private uk.bookinghub.metrics.BusinessMetrics metrics = uk.bookinghub.metrics.BusinessMetrics.NONE;
    /** The events the writer thread's last batch inserted (not the ones already there); counted once that batch commits. */
    private final ThreadLocal<List<AnalyticsEvent>> inserted = new ThreadLocal<>();

    /** Where each call's first {@code call.ended} event is counted by outcome ({@code hub_calls_total}): once per call, whatever Vapi retries. */
    public void metrics(uk.bookinghub.metrics.BusinessMetrics metrics) {
        this.metrics = metrics;
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

    /**
     * Closes the one window where an outcome could miss analytics: the hub stopping between a
     * report's commit and its wire-tapped event. Inserts the {@code call.ended} event for every
     * call ended since {@code since} that has none (the unique key makes it a no-op otherwise).
     * Returns how many were added.
     */
    public int reconcileCallEvents(java.time.Instant since) {
        return db.inTransaction("reconciling call analytics", c -> {
            try (PreparedStatement ps = c.prepareStatement("insert into analytics_events (event_key, event_type, client_id, client_key, vapi_call_id, outcome, props, occurred_at, created_at) "
                    + "select 'call.ended:' || c.vapi_call_id, 'call.ended', c.client_id, k.client_key, c.vapi_call_id, c.outcome, '{\"reconciled\":true}', "
                    + "coalesce(c.ended_at, c.updated_at), ? from calls c left join clients k on k.id = c.client_id "
                    + "where c.report_count > 0 and c.updated_at >= ? "
                    + "and not exists (select 1 from analytics_events e where e.event_key = 'call.ended:' || c.vapi_call_id) "
                    + "on conflict (event_key) do nothing")) {
                db.dialect().setInstant(ps, 1, java.time.Instant.now());
                db.dialect().setInstant(ps, 2, since);
                return ps.executeUpdate();
            }
        });
    }

    /** The scheduled reconciliation over the last {@code hours}; logs what it added. */
    public int reconcileRecent(int hours) {
        int added = reconcileCallEvents(java.time.Instant.now().minus(java.time.Duration.ofHours(hours)));
        if (added > 0) {
            LoggerHolder.LOG.warn("[ANALYTICS] added {} missing call.ended event(s) for calls ended in the last {} h", added, hours);
        }
        return added;
    }

    private static final class LoggerHolder {
        static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AnalyticsStore.class);
    }

    private void writeBatch(Connection c, List<AnalyticsEvent> events) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            for (AnalyticsEvent e : events) {
                ps.setString(1, e.eventKey());
                ps.setString(2, e.eventType());
                if (e.clientId() == null) {
                    ps.setNull(3, Types.BIGINT);
                } else {
                    ps.setLong(3, e.clientId());
                }
                ps.setString(4, e.clientKey());
                ps.setString(5, e.vapiCallId());
                ps.setString(6, e.outcome());
                ps.setString(7, Json.write(e.props()));
                db.dialect().setInstant(ps, 8, e.occurredAt());
                db.dialect().setInstant(ps, 9, java.time.Instant.now());
                ps.addBatch();
            }
            int[] rows = ps.executeBatch();
            List<AnalyticsEvent> fresh = new java.util.ArrayList<>(events.size());
            for (int i = 0; i < rows.length && i < events.size(); i++) {
                if (rows[i] > 0) {
                    fresh.add(events.get(i));
                }
            }
            inserted.set(fresh);
        }
    }

    @Override
    public void close() {
        writer.close();
    }
}
