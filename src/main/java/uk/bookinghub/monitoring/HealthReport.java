package uk.bookinghub.monitoring;

import uk.bookinghub.http.Reply;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /health} in the original system's shape: status, uptime ("12h 34m"), memory (rss,
 * heapUsed in MB), database, messaging channels and partner services. 503 when the database is down.
 */
public final class HealthReport {

    /** Which integrations have credentials; a channel without them is "not configured", never a silent no-op. */
    public record Integrations(boolean sms, boolean email, boolean vapi, boolean googleCalendar) {
    }

    private final DatabaseHealth database;
    private final Integrations integrations;
    private final java.util.function.Supplier<Map<String, Object>> outbox;
    private volatile java.util.function.BooleanSupplier started = () -> true;
    private volatile java.util.function.Supplier<Map<String, Object>> alerts = Map::of;

    /** The alert pipeline's state ({@code alerts} in the answer; its heartbeat failing makes the hub "degraded"). */
    public void alerts(java.util.function.Supplier<Map<String, Object>> alerts) {
        this.alerts = alerts;
    }

    private final Map<String, java.util.function.Supplier<Map<String, Object>>> sections = new java.util.concurrent.ConcurrentSkipListMap<>();

    /**
     * Another part of the hub's state under {@code name} in the answer (e.g. {@code backups}); its
     * {@code "status": "degraded"} makes the hub "degraded". A section that fails to answer says why.
     */
    public void section(String name, java.util.function.Supplier<Map<String, Object>> section) {
        sections.put(name, section);
    }

    /** Until every route has started, /health answers 503 "starting" (a load balancer must not send work yet). */
    public void startedWhen(java.util.function.BooleanSupplier started) {
        this.started = started;
    }

    public HealthReport(DatabaseHealth database, Integrations integrations, java.util.function.Supplier<Map<String, Object>> outbox) {
        this.database = database;
        this.integrations = integrations;
        this.outbox = outbox;
    }

    public Reply health() {
        Map<String, Object> db = database.check();
        boolean connected = "connected".equals(db.get("status"));
        boolean ready = started.getAsBoolean();
        boolean up = connected && ready;
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> alerting = alerts.get();
        boolean degraded = "degraded".equals(alerting.get("status"));
        Map<String, Object> more = new LinkedHashMap<>();
        for (var e : sections.entrySet()) {
            try {
                Map<String, Object> section = e.getValue().get();
                degraded |= "degraded".equals(section.get("status"));
                more.put(e.getKey(), section);
            } catch (RuntimeException failure) {
                more.put(e.getKey(), Map.of("error", String.valueOf(failure.getMessage())));
            }
        }
        out.put("status", !ready ? "starting" : !up ? "unhealthy" : degraded ? "degraded" : "healthy");
        out.put("uptime", uptime(Duration.ofMillis(ManagementFactory.getRuntimeMXBean().getUptime())));
        Map<String, Object> memory = new LinkedHashMap<>();
        Runtime rt = Runtime.getRuntime();
        memory.put("rss", rssMb());
        memory.put("heapUsed", (rt.totalMemory() - rt.freeMemory()) / (1024 * 1024));
        memory.put("unit", "MB");
        out.put("memory", memory);
        out.put("database", db);
        Map<String, Object> messaging = new LinkedHashMap<>();
        messaging.put("sms", state(integrations.sms()));
        messaging.put("email", state(integrations.email()));
        if (up) {
            try {
                messaging.put("outbox", outbox.get());
            } catch (RuntimeException e) {
                messaging.put("outbox", Map.of("error", String.valueOf(e.getMessage())));
            }
        }
        out.put("messaging", messaging);
        Map<String, Object> services = new LinkedHashMap<>();
        services.put("vapi", state(integrations.vapi()));
        services.put("googleCalendar", state(integrations.googleCalendar()));
        services.put("twilio", state(integrations.sms()));
        out.put("services", services);
        out.put("alerts", alerting);
        out.putAll(more);
        return new Reply(up ? 200 : 503, out);
    }

    static String uptime(Duration d) {
        long h = d.toHours();
        long m = d.toMinutesPart();
        return h + "h " + m + "m";
    }

    private static String state(boolean configured) {
        return configured ? "configured" : "not configured";
    }

    /** Resident set size in MB from /proc (Linux); -1 where it cannot be read. */
    static long rssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return -1;
    }
}
