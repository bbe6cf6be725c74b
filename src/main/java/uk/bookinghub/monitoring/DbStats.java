package uk.bookinghub.monitoring;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.DatabaseStats;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /api/admin/db-stats} (admin): the database (type, size, per table rows and bytes,
 * PostgreSQL's server connections; {@link DatabaseStats}), the hub's connection pool, and the last
 * health checks with their response times and the consecutive failures ({@link DatabaseHealth}).
 * With the database down it still answers 200: the pool and the health checks are what ops need
 * then, and {@code database.reachable} is false with the error.
 */
public final class DbStats {

    private final Database db;
    private final DatabaseHealth health;
    private final Clock clock;
    private final int criticalAfter;

    public DbStats(Database db, DatabaseHealth health, Clock clock, int criticalAfter) {
        this.db = db;
        this.health = health;
        this.clock = clock;
        this.criticalAfter = criticalAfter;
    }

    public Map<String, Object> report() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("at", clock.instant().toString());
        long start = System.nanoTime();
        Map<String, Object> database;
        try {
            database = new LinkedHashMap<>(DatabaseStats.read(db));
            database.put("reachable", true);
        } catch (RuntimeException e) {
            database = new LinkedHashMap<>();
            database.put("type", db.dialect().name().toLowerCase(java.util.Locale.ROOT));
            database.put("reachable", false);
            database.put("error", e.getMessage());
        }
        database.put("readMs", (System.nanoTime() - start) / 1_000_000);
        out.put("database", database);
        out.put("pool", db.poolStats());
        Map<String, Object> h = new LinkedHashMap<>(health.recent());
        h.put("criticalAfter", criticalAfter);
        out.put("health", h);
        return out;
    }
}
