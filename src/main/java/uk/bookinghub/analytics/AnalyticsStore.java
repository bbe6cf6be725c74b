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
        this.writer = new BatchWriter<>("analytics", db, 1, maxBatch, this::writeBatch);
    }

    /** Records the event; returns after commit, throws if it could not be stored (the route retries). */
    public void record(AnalyticsEvent e) {
        if (e == null) {
            return;
        }
        writer.write(e, writeTimeoutMs);
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
            ps.executeBatch();
        }
    }

    @Override
    public void close() {
        writer.close();
    }
}
