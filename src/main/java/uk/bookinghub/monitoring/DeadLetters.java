package uk.bookinghub.monitoring;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.http.Json;
import uk.bookinghub.store.Database;

import java.sql.PreparedStatement;
import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code dead_letters} table: a message whose retries are exhausted, with the route it
 * failed in, its original body, the headers worth keeping, and the exception. Dead letters are
 * data: an admin lists and replays them.
 */
public final class DeadLetters {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
    private final Database db;
    private final ErrorLog errors;
    private final Clock clock;

    public DeadLetters(Database db, ErrorLog errors, Clock clock) {
        this.db = db;
        this.errors = errors;
        this.clock = clock;
    }

    public void store(String routeId, String endpointUri, Object body, Map<String, Object> headers, Throwable error) {
        String bodyText = body == null ? null : body instanceof String s ? s : toJson(body);
        Map<String, Object> kept = new TreeMap<>();
        if (headers != null) {
            headers.forEach((k, v) -> {
                if (v != null && !k.startsWith("Camel") && !k.equalsIgnoreCase("Authorization") && !k.toLowerCase().contains("secret")
                        && !k.equalsIgnoreCase("X-API-Key") && (v instanceof CharSequence || v instanceof Number || v instanceof Boolean)) {
                    kept.put(k, v.toString());
                }
            });
        }
        String exception = error == null ? null : error.getClass().getName() + ": " + error.getMessage();
        try {
            db.inTransaction("storing a dead letter", c -> {
                try (PreparedStatement ps = c.prepareStatement("insert into dead_letters (route_id, endpoint_uri, body, headers, exception, status, created_at) values (?,?,?,?,?,'new',?)")) {
                    ps.setString(1, routeId);
                    ps.setString(2, endpointUri);
                    ps.setString(3, bodyText);
                    ps.setString(4, Json.write(kept));
                    ps.setString(5, exception);
                    db.dialect().setInstant(ps, 6, clock.instant());
                    ps.executeUpdate();
                }
                return null;
            });
            LOG.warn("Dead letter stored for route {}: {}", routeId, exception);
        } catch (RuntimeException e) {
            LOG.error("[CRITICAL ALERT] could not store a dead letter for route {} ({}); body: {}", routeId, e.getMessage(), bodyText);
        }
        errors.record("error", "dead-letters", "retries exhausted: " + exception, routeId, Map.of("endpoint", String.valueOf(endpointUri)));
    }

    private static String toJson(Object body) {
        try {
            return Json.write(body);
        } catch (RuntimeException e) {
            return String.valueOf(body);
        }
    }
}
