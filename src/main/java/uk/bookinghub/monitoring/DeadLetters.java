package uk.bookinghub.monitoring;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.http.Json;
import uk.bookinghub.store.Database;

import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code dead_letters} table: a message whose retries are exhausted, with the route it
 * failed in, its original body, the headers worth keeping, and the exception. Dead letters are
 * data: an admin lists and replays them. Its SQL is in {@link DeadLetterStore}.
 */
public final class DeadLetters {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
    private final DeadLetterStore store;
    private final ErrorLog errors;
    private final Clock clock;
    private final uk.bookinghub.alerts.AlertSink alerts;

    public DeadLetters(Database db, ErrorLog errors, uk.bookinghub.alerts.AlertSink alerts, Clock clock) {
        this.store = new DeadLetterStore(db);
        this.errors = errors;
        this.alerts = alerts;
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
            store.insert(routeId, sanitize(endpointUri), bodyText, Json.write(kept), exception, clock.instant());
            LOG.warn("Dead letter stored for route {}: {}", routeId, exception);
        } catch (RuntimeException e) {
            LOG.error("[CRITICAL ALERT] could not store a dead letter for route {} ({}); body: {}", routeId, e.getMessage(), bodyText);
        }
        errors.record("error", "dead-letters", "retries exhausted: " + exception, routeId, Map.of("endpoint", String.valueOf(endpointUri)));
        deadLetterAlert(routeId, exception);
    }

    /** Work landing in dead letters alerts at once, one group per route (GET /api/dead-letters to look, replay to retry). */
    private void deadLetterAlert(String routeId, String exception) {
        String route = routeId == null ? "unknown" : routeId;
        alerts.occurred(new uk.bookinghub.alerts.AlertSignal("dead-letters:" + route, "dead-letters", "error",
                "Work landed in dead letters from " + route, "retries exhausted: " + exception
                + " (GET /api/dead-letters lists them; POST /api/dead-letters/{id}/replay retries one)",
                "dead-letters", route, null, null, 1));
    }

    private static String toJson(Object body) {
        try {
            return Json.write(body);
        } catch (RuntimeException e) {
            return String.valueOf(body);
        }
    }

    /** A dead outbox message: its id is kept so a replay puts that very row back in the queue. */
    public void storeMessage(long messageId, long clientId, String routeId, String endpointUri, Object view, Throwable error) {
        storeMessage(messageId, clientId, routeId, endpointUri, view, error, c -> { });
    }

    /** Work done in the dead letter's own transaction (the message's status 'dead'). */
    public interface SameTransaction {
        void run(java.sql.Connection c) throws java.sql.SQLException;
    }

    /**
     * Stores a message's dead letter and, in the same transaction, {@code alsoDo} (the message marked
     * dead): a reader never sees a dead message without its letter.
     */
    public void storeMessage(long messageId, long clientId, String routeId, String endpointUri, Object view, Throwable error, SameTransaction alsoDo) {
        String exception = error == null ? null : error.getClass().getName() + ": " + error.getMessage();
        try {
            store.database().inTransaction("storing a dead letter", c -> {
                alsoDo.run(c);
                store.insertMessage(c, routeId, sanitize(endpointUri), toJson(view), exception, clock.instant(), messageId, clientId);
                return null;
            });
        } catch (RuntimeException e) {
            LOG.error("[CRITICAL ALERT] could not store the dead letter of message {} ({})", messageId, e.getMessage());
        }
        errors.record("error", "messaging", "message " + messageId + " is dead: " + exception, routeId, Map.of("messageId", messageId));
        deadLetterAlert(routeId, exception);
    }

    /** Endpoint URIs may carry credentials (smtp://...?password=...): never store them. */
    static String sanitize(String uri) {
        return uri == null ? null : uri.replaceAll("(?i)(password|authToken|accessToken|clientSecret)=[^&]*", "$1=xxxxxx");
    }

    /** A dead letter as the admin API shows it. */
    public record Letter(long id, String routeId, String endpointUri, String body, String exception, String status, java.time.Instant createdAt,
                         java.time.Instant replayedAt, String replayedBy, Long messageId, Long clientId) {
        public Map<String, Object> view() {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("id", id);
            m.put("routeId", routeId);
            m.put("endpoint", endpointUri);
            m.put("messageId", messageId);
            m.put("clientId", clientId);
            m.put("status", status);
            m.put("exception", exception);
            m.put("createdAt", createdAt == null ? null : createdAt.toString());
            m.put("replayedAt", replayedAt == null ? null : replayedAt.toString());
            m.put("replayedBy", replayedBy);
            Object parsed = body;
            try {
                parsed = body == null ? null : uk.bookinghub.http.Json.MAPPER.readTree(body);
            } catch (Exception e) {
                // not JSON: shown as stored
            }
            m.put("body", parsed);
            return m;
        }
    }

    /** Newest first; each filter optional. */
    public Map<String, Object> list(String status, String routeId, Long clientId, java.time.Instant since, int page, int pageSize) {
        return store.list(status, routeId, clientId, since, page, pageSize);
    }

    public java.util.Optional<Letter> byId(java.sql.Connection c, long id) throws java.sql.SQLException {
        return store.byId(c, id);
    }

    /** Marks a new dead letter replayed; false when it was not new any more (a second press of replay). */
    public boolean markReplayed(java.sql.Connection c, long id, String by) throws java.sql.SQLException {
        return store.markReplayed(c, id, by, clock.instant());
    }

    public Database database() {
        return store.database();
    }
}
