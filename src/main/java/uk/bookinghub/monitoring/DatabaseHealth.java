package uk.bookinghub.monitoring;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.store.Database;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pings the database, timing the round trip and counting consecutive failures. Keeps the last
 * {@code hub.database.health-history} checks (when, from where: the schedule or {@code /health},
 * how long, the error) for {@code GET /api/admin/db-stats}.
 */
public final class DatabaseHealth {

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseHealth.class);
    private final Database db;
    private final Clock clock;
    private final int keep;
    private final uk.bookinghub.alerts.AlertSink alerts;
    private volatile boolean alerted;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile long lastResponseMs = -1;
    private volatile String lastError;
    private final Deque<Map<String, Object>> history = new ArrayDeque<>();

    public DatabaseHealth(Database db, Clock clock, int keep, uk.bookinghub.alerts.AlertSink alerts) {
        if (keep < 1) {
            throw new IllegalArgumentException("hub.database.health-history must be 1 or more, got " + keep);
        }
        this.db = db;
        this.clock = clock;
        this.keep = keep;
        this.alerts = alerts;
    }

    /** The check {@code /health} runs on every request. */
    public Map<String, Object> check() {
        return check("health");
    }

    private Map<String, Object> check(String source) {
        long start = System.nanoTime();
        boolean up;
        String error = null;
        try {
            db.ping();
            up = true;
            consecutiveFailures.set(0);
        } catch (RuntimeException e) {
            up = false;
            error = e.getMessage();
            consecutiveFailures.incrementAndGet();
        }
        lastError = error;
        lastResponseMs = (System.nanoTime() - start) / 1_000_000;
        remember(source, up, lastResponseMs, error);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", up ? "connected" : "disconnected");
        out.put("type", db.dialect().name().toLowerCase());
        out.put("responseTime", lastResponseMs + "ms");
        out.put("consecutiveFailures", consecutiveFailures.get());
        if (!up) {
            out.put("error", error);
        }
        return out;
    }

    private void remember(String source, boolean up, long ms, String error) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("at", clock.instant().toString());
        entry.put("source", source);
        entry.put("ok", up);
        entry.put("responseMs", ms);
        if (error != null) {
            entry.put("error", error);
        }
        synchronized (history) {
            history.addFirst(entry);
            while (history.size() > keep) {
                history.removeLast();
            }
        }
    }

    /** The scheduled check: logs {@code [DB HEALTH]} and escalates after repeated failures. */
    public Map<String, Object> scheduledCheck(int criticalAfter) {
        Map<String, Object> r = check("scheduled");
        int failures = consecutiveFailures.get();
        uk.bookinghub.alerts.AlertSignal down = new uk.bookinghub.alerts.AlertSignal("database:down", "database-down", "critical",
                "The database cannot be reached", "the " + r.get("type") + " database check failed " + failures + " times in a row: " + lastError,
                "database", "db-health", null, null, failures);
        if (failures == 0) {
            LOG.info("[DB HEALTH] {} ok in {}", r.get("type"), r.get("responseTime"));
            if (alerted) {
                alerted = false;
                alerts.condition(down, false);
            }
        } else if (failures >= criticalAfter) {
            LOG.error("[CRITICAL ALERT] [DB HEALTH] database unreachable {} times in a row: {}", failures, lastError);
            alerted = true;
            alerts.condition(down, true);
        } else {
            LOG.warn("[DB HEALTH] database check failed ({} in a row): {}", failures, lastError);
        }
        return r;
    }

    public boolean lastCheckFailed() {
        return consecutiveFailures.get() > 0;
    }

    /** For db-stats: consecutive failures, the last error, and the last checks, newest first. */
    public Map<String, Object> recent() {
        List<Map<String, Object>> checks;
        synchronized (history) {
            checks = new ArrayList<>(history);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("consecutiveFailures", consecutiveFailures.get());
        out.put("lastResponseMs", lastResponseMs < 0 ? null : lastResponseMs);
        out.put("lastError", lastError);
        out.put("checks", checks);
        return out;
    }
}
