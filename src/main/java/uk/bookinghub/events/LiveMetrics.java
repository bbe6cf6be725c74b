package uk.bookinghub.events;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.http.Json;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;

/**
 * The {@code metrics} events: a client's totals for today (the analytics roll-up's numbers, as
 * {@code GET /api/analytics/metrics} gives them for today), made per hub instance for the clients
 * that have a stream open here, not stored as rows (they are a view of other rows, and a stream that
 * reconnects gets a fresh one). A client's totals are read at most every {@code everyMs}, and only
 * while its events keep coming: once at the first tick after an event and once more {@code everyMs}
 * later (the roll-up is written off the request path, a moment after the fact), then not until the
 * next event. A stream gets the latest on opening, and each later one only if it differs.
 */
final class LiveMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(LiveMetrics.class);

    private static final class State {
        volatile long changedAt;
        volatile long computedAt = Long.MIN_VALUE / 2;
        volatile String frame;
        volatile boolean computing;
    }

    private final LongFunction<Map<String, Object>> totals;
    private final long everyMs;
    private final Map<Long, State> states = new ConcurrentHashMap<>();

    LiveMetrics(LongFunction<Map<String, Object>> totals, long everyMs) {
        this.totals = totals;
        this.everyMs = Math.max(1000, everyMs);
    }

    /** An event of this client was delivered. */
    void changed(long clientId) {
        states.computeIfAbsent(clientId, k -> new State()).changedAt = System.currentTimeMillis();
    }

    /** Whether the client's totals are due for a new reading at {@code now}. */
    boolean due(long clientId, long now) {
        State s = states.get(clientId);
        return s != null && !s.computing && s.changedAt > s.computedAt - everyMs && now - s.computedAt >= everyMs;
    }

    /**
     * Reads the client's totals again (a worker thread); returns the {@code metrics} frame when it
     * differs from the last one, else null.
     */
    String refresh(long clientId) {
        State s = states.computeIfAbsent(clientId, k -> new State());
        s.computing = true;
        try {
            String before = s.frame;
            String frame = read(clientId);
            s.computedAt = System.currentTimeMillis();
            if (frame == null || frame.equals(before)) {
                return null;
            }
            s.frame = frame;
            return frame;
        } finally {
            s.computing = false;
        }
    }

    /** The client's latest {@code metrics} frame for a stream that opens (read now if none is recent), or null. */
    String latest(long clientId) {
        State s = states.computeIfAbsent(clientId, k -> new State());
        if (s.frame != null && System.currentTimeMillis() - s.computedAt < everyMs) {
            return s.frame;
        }
        String frame = read(clientId);
        if (frame != null) {
            s.frame = frame;
            s.computedAt = System.currentTimeMillis();
        }
        return frame;
    }

    private String read(long clientId) {
        try {
            Map<String, Object> m = totals.apply(clientId);
            return m == null ? null : "event: metrics\ndata: " + Json.write(m) + "\n\n";
        } catch (RuntimeException e) {
            LOG.debug("[EVENTS] no metrics for client {}: {}", clientId, e.toString());
            return null;
        }
    }
}
