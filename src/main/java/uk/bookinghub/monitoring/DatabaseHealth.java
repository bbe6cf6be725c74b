package uk.bookinghub.monitoring;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.store.Database;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** Pings the database, timing the round trip and counting consecutive failures. */
public final class DatabaseHealth {

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseHealth.class);
    private final Database db;
    private final uk.bookinghub.alerts.AlertSink alerts;
    private volatile boolean alerted;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile long lastResponseMs = -1;
    private volatile String lastError;

    public DatabaseHealth(Database db, uk.bookinghub.alerts.AlertSink alerts) {
        this.db = db;
        this.alerts = alerts;
    }

    public Map<String, Object> check() {
        long start = System.nanoTime();
        boolean up;
        try {
            db.ping();
            up = true;
            lastError = null;
            consecutiveFailures.set(0);
        } catch (RuntimeException e) {
            up = false;
            lastError = e.getMessage();
            consecutiveFailures.incrementAndGet();
        }
        lastResponseMs = (System.nanoTime() - start) / 1_000_000;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", up ? "connected" : "disconnected");
        out.put("type", db.dialect().name().toLowerCase());
        out.put("responseTime", lastResponseMs + "ms");
        out.put("consecutiveFailures", consecutiveFailures.get());
        if (!up) {
            out.put("error", lastError);
        }
        return out;
    }

    /** The scheduled check: logs {@code [DB HEALTH]} and escalates after repeated failures. */
    public Map<String, Object> scheduledCheck(int criticalAfter) {
        Map<String, Object> r = check();
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
}
