package uk.bookinghub.monitoring;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.alerts.AlertSignal;
import uk.bookinghub.alerts.AlertSink;
import uk.bookinghub.http.Json;
import uk.bookinghub.store.Database;

import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code error_log} table: severity ({@code warning}, {@code error}, {@code critical}),
 * the service that failed, a message and a JSON context, and the fingerprint of its cause
 * ({@link ErrorFingerprint}); the 5-minute roll-up the statistics read is written in the same
 * transaction. Writing here must never fail the caller: if the database is down the entry goes to
 * the log instead. Its SQL is in {@link ErrorLogStore}; a critical entry also alerts ({@code alerts}).
 */
public final class ErrorLog {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorLog.class);
    private static final Set<String> SEVERITIES = Set.of("warning", "error", "critical");
    private final ErrorLogStore store;
    private final Clock clock;
    private final AlertSink alerts;

    public ErrorLog(Database db, Clock clock, AlertSink alerts) {
        this.store = new ErrorLogStore(db);
        this.clock = clock;
        this.alerts = alerts;
    }

    /** Its SQL, for the statistics read from the same tables. */
    ErrorLogStore store() {
        return store;
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
        String svc = service == null ? "hub" : service;
        String fingerprint = ErrorFingerprint.of(svc, routeId, msg);
        try {
            store.insert(s, svc, msg.length() > 4000 ? msg.substring(0, 4000) : msg,
                    context == null ? null : Json.write(context), routeId, fingerprint, clock.instant());
        } catch (RuntimeException e) {
            LOG.error("[CRITICAL ALERT] could not write the error log ({}); lost entry: {} {} {}: {}", e.getMessage(), s, service, routeId, msg);
        }
        if ("critical".equals(s)) {
            // a critical error alerts at once, even when it could not be written (the database may be the cause)
            alerts.occurred(new AlertSignal("errors:" + fingerprint, "critical-error", "critical",
                    "Critical error in " + svc + (routeId == null ? "" : " (" + routeId + ")"),
                    msg.length() > 500 ? msg.substring(0, 500) + "..." : msg, svc, routeId, fingerprint, clientKey(context), 1));
        }
    }

    private static String clientKey(Map<String, Object> context) {
        Object k = context == null ? null : context.get("clientKey");
        return k == null ? null : k.toString();
    }

    /** For routes: records a failure caught by an error handler. */
    public void recordFailure(String severity, String service, String routeId, Throwable error) {
        String message = error == null ? "unknown failure" : error.getClass().getSimpleName() + ": " + error.getMessage();
        record(severity, service, message, routeId, Map.of());
    }
}
