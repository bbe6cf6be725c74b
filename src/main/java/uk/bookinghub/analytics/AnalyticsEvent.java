package uk.bookinghub.analytics;

import java.time.Instant;
import java.util.Map;

/**
 * One fact for analytics. {@code eventKey} is unique in the table, so the same fact delivered
 * twice is stored once. Each event names its client and Vapi call, so no join is needed to read it.
 */
public record AnalyticsEvent(String eventKey, String eventType, Long clientId, String clientKey, String vapiCallId,
                             String outcome, Map<String, Object> props, Instant occurredAt) {
}
