package uk.bookinghub.monitoring;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.http.Json;
import uk.bookinghub.store.Database;

import java.sql.PreparedStatement;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code error_log} table: severity ({@code warning}, {@code error}, {@code critical}),
 * the service that failed, a message and a JSON context. Writing here must never fail the caller:
 * if the database is down the entry goes to the log instead.
 */
public final class ErrorLog {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorLog.class);
    private static final Set<String> SEVERITIES = Set.of("warning", "error", "critical");
    private final Database db;
    private final Clock clock;

    public ErrorLog(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    public void record(String severity, String service, String message, String routeId, Map<String, Object> context) {
        String sev = severity == null ? "error" : severity.toLowerCase(Locale.ROOT);
        if (!SEVERITIES.contains(sev)) {
            sev = "error";
        }
        String msg = message == null ? "(no message)" : message;
        if ("critical".equals(sev)) {
            LOG.error("[CRITICAL ALERT] {} in {}: {}", service, routeId, msg);
        }
        final String s = sev;
        try {
            db.inTransaction("writing the error log", c -> {
                try (PreparedStatement ps = c.prepareStatement("insert into error_log (severity, service, message, context, route_id, created_at) values (?,?,?,?,?,?)")) {
                    ps.setString(1, s);
                    ps.setString(2, service == null ? "hub" : service);
                    ps.setString(3, msg.length() > 4000 ? msg.substring(0, 4000) : msg);
                    ps.setString(4, context == null ? null : Json.write(context));
                    ps.setString(5, routeId);
                    db.dialect().setInstant(ps, 6, clock.instant());
                    ps.executeUpdate();
                }
                return null;
            });
        } catch (RuntimeException e) {
            LOG.error("[CRITICAL ALERT] could not write the error log ({}); lost entry: {} {} {}: {}", e.getMessage(), s, service, routeId, msg);
        }
    }

    /** For routes: records a failure caught by an error handler. */
    public void recordFailure(String severity, String service, String routeId, Throwable error) {
        String message = error == null ? "unknown failure" : error.getClass().getSimpleName() + ": " + error.getMessage();
        record(severity, service, message, routeId, Map.of());
    }
}
