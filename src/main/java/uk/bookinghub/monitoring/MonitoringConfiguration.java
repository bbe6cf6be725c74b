package uk.bookinghub.monitoring;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.alerts.AlertDelivery;
import uk.bookinghub.alerts.Alerts;
import uk.bookinghub.store.Database;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * The alert engine, the error log, dead letters and the database health check ({@code alerts},
 * {@code errorLog}, {@code deadLetters}, {@code databaseHealth}): early, because every capability
 * after it records its failures there. The alert channels are attached later
 * ({@link uk.bookinghub.alerts.AlertsConfiguration}, once the mail settings are known); until then
 * alerts wait in the queue. Also the admin views: {@code errorStats} ({@code /api/error-stats})
 * and {@code dbStats} ({@code /api/admin/db-stats}). {@code /health} itself is
 * {@link HealthConfiguration}, last.
 */
public class MonitoringConfiguration implements CamelConfiguration {

    @PropertyInject("hub.alerts.threshold-count")
    int thresholdCount;
    @PropertyInject("hub.alerts.threshold-window")
    String thresholdWindow;
    @PropertyInject("hub.alerts.repeat-interval")
    String repeatInterval;
    @PropertyInject("hub.alerts.resolve-after")
    String resolveAfter;
    @PropertyInject("hub.alerts.outbox-lag")
    String outboxLag;
    @PropertyInject("hub.alerts.evaluate-every")
    String evaluateEvery;
    @PropertyInject("hub.alerts.heartbeat-after")
    String heartbeatAfter;
    @PropertyInject("hub.alerts.spool-file")
    String spoolFile;
    @PropertyInject("hub.public-base-url")
    String publicBaseUrl;
    @PropertyInject("camel.main.name")
    String hubName;

    @PropertyInject("hub.error-stats.default-hours")
    int defaultHours;
    @PropertyInject("hub.error-stats.max-days")
    int maxDays;
    @PropertyInject("hub.error-stats.group-rows")
    int groupRows;
    @PropertyInject("hub.database.health-history")
    int healthHistory;
    @PropertyInject("hub.database.health-critical-after")
    int criticalAfter;

    @Override
    public void configure(CamelContext camel) {
        Database db = Wiring.need(camel, "hubDatabase", Database.class);
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        if (thresholdCount < 1) {
            throw new IllegalArgumentException("hub.alerts.threshold-count must be at least 1, got " + thresholdCount);
        }
        String instance = hubName.trim() + "@" + ManagementFactory.getRuntimeMXBean().getName();
        Alerts.Settings settings = new Alerts.Settings(thresholdCount, duration("hub.alerts.threshold-window", thresholdWindow),
                duration("hub.alerts.repeat-interval", repeatInterval), duration("hub.alerts.resolve-after", resolveAfter),
                duration("hub.alerts.outbox-lag", outboxLag), duration("hub.alerts.evaluate-every", evaluateEvery),
                publicBaseUrl.trim(), instance);
        AlertDelivery delivery = new AlertDelivery(clock, spool(db), duration("hub.alerts.heartbeat-after", heartbeatAfter));
        Alerts alerts = new Alerts(db, clock, settings, delivery);
        Wiring.onStop(camel, "the alert engine", alerts::close);
        camel.getRegistry().bind("alerts", alerts);
        ErrorLog errors = new ErrorLog(db, clock, alerts);
        camel.getRegistry().bind("errorLog", errors);
        camel.getRegistry().bind("deadLetters", new DeadLetters(db, errors, alerts, clock));
        DatabaseHealth health = new DatabaseHealth(db, clock, healthHistory, alerts);
        camel.getRegistry().bind("databaseHealth", health);
        camel.getRegistry().bind("errorStats", new ErrorStats(errors, clock, publicBaseUrl, defaultHours, maxDays, groupRows));
        camel.getRegistry().bind("dbStats", new DbStats(db, health, clock, criticalAfter));
    }

    /** hub.alerts.spool-file; empty = beside the SQLite database (under data/), none on PostgreSQL (memory only). */
    private Path spool(Database db) {
        if (spoolFile != null && !spoolFile.isBlank()) {
            return Path.of(spoolFile.trim());
        }
        if (db.url().sqliteFile() != null) {
            Path f = db.url().sqliteFile().toAbsolutePath();
            return f.resolveSibling(f.getFileName() + ".alerts-spool.jsonl");
        }
        return null;
    }

    /** "90s", "5m", "4h", "1d", "500ms" or ISO-8601 ("PT5M"); anything else stops the hub with the key named. */
    public static Duration duration(String key, String value) {
        String v = value == null ? "" : value.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            if (v.startsWith("pt") || v.startsWith("p")) {
                return Duration.parse(v.toUpperCase(java.util.Locale.ROOT));
            }
            var m = java.util.regex.Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)").matcher(v);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                Duration d = switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
                if (!d.isZero()) {
                    return d;
                }
            }
        } catch (RuntimeException ignored) {
            // explained below
        }
        throw new IllegalArgumentException(key + " must be a positive duration such as 90s, 5m, 4h or PT5M, got '" + value + "'");
    }
}
