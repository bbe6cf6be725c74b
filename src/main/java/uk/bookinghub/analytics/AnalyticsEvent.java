package uk.bookinghub.analytics;

import java.time.Instant;
import java.util.Map;

/**
 * One fact for analytics. {@code eventKey} is unique in the table, so the same fact delivered
 * twice is stored once. Each event names its client, its Vapi call (if any), its lead and the
 * lead's {@code source} (the campaign), so no join is needed to read it. A null {@code source}
 * with a {@code leadId} is looked up from the lead when the event is written.
 */
public record AnalyticsEvent(String eventKey, String eventType, Long clientId, String clientKey, String vapiCallId,
                             String outcome, Map<String, Object> props, Instant occurredAt, Long leadId, String source) {

    /** The same event without a lead. */
    public AnalyticsEvent(String eventKey, String eventType, Long clientId, String clientKey, String vapiCallId,
                          String outcome, Map<String, Object> props, Instant occurredAt) {
        this(eventKey, eventType, clientId, clientKey, vapiCallId, outcome, props, occurredAt, null, null);
    }

    public AnalyticsEvent withLead(Long lead, String leadSource) {
        return new AnalyticsEvent(eventKey, eventType, clientId, clientKey, vapiCallId, outcome, props, occurredAt, lead, leadSource);
    }

    /** The same event with {@code flag: true} in its props (reconciled, backfilled: how it got there). */
    public AnalyticsEvent marked(String flag) {
        Map<String, Object> p = new java.util.LinkedHashMap<>(props == null ? Map.of() : props);
        p.put(flag, true);
        return new AnalyticsEvent(eventKey, eventType, clientId, clientKey, vapiCallId, outcome, p, occurredAt, leadId, source);
    }

    /** The facts of one step of a flow (a booking tool call, a send, a callback): what its wire tap records. */
    public interface Source {
        java.util.List<AnalyticsEvent> events();

        /** Whether there is anything to record (a route skips its wire tap when not). */
        default boolean any() {
            return !events().isEmpty();
        }
    }

    /**
     * A step's answer and the events it committed: the route wire-taps it to
     * {@code direct:analytics-record}, then replies with {@link #reply()} (routes: {@code ${body.reply}}).
     */
    public record Recorded<T>(T reply, java.util.List<AnalyticsEvent> events) implements Source {
        public Recorded {
            events = events == null ? java.util.List.of() : java.util.List.copyOf(events);
        }

        public static <T> Recorded<T> of(T reply, java.util.List<AnalyticsEvent> events) {
            return new Recorded<>(reply, events);
        }
    }
}
