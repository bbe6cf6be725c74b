package uk.bookinghub.messaging;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** One row of the outbox ({@code messages}); {@code price} / {@code priceUnit} as Twilio's answer gave them (or null). */
public record OutboxMessage(long id, long clientId, Long leadId, Long appointmentId, String channel, String kind, boolean marketing,
                            String idempotencyKey, String to, String from, String replyTo, String subject, String body, String html,
                            String encoding, Integer segments, String status, String statusReason, String providerId,
                            String providerStatus, String errorCode, int attempts, String lastError, Instant nextAttemptAt,
                            Instant createdAt, Instant updatedAt, Instant sentAt, Instant deliveredAt, String price, String priceUnit) {

    /** What analytics counts of this message (its message.sent / delivered / failed events). */
    public uk.bookinghub.analytics.AnalyticsFacts.MessageFacts facts() {
        return new uk.bookinghub.analytics.AnalyticsFacts.MessageFacts(id, clientId, leadId, channel, kind, segments, price, priceUnit, status, errorCode,
                attempts, providerId, sentAt, deliveredAt, updatedAt);
    }

    public boolean isSms() {
        return "sms".equals(channel);
    }

    /** How the message is shown by {@code GET /api/messages}. */
    public Map<String, Object> view() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("leadId", leadId);
        m.put("appointmentId", appointmentId);
        m.put("channel", channel);
        m.put("kind", kind);
        m.put("marketing", marketing);
        m.put("to", to);
        m.put("from", from);
        m.put("subject", subject);
        m.put("body", body);
        if (encoding != null) {
            m.put("encoding", encoding);
            m.put("segments", segments);
        }
        m.put("status", status);
        m.put("statusReason", statusReason);
        m.put("providerId", providerId);
        m.put("providerStatus", providerStatus);
        m.put("errorCode", errorCode);
        m.put("attempts", attempts);
        m.put("lastError", lastError);
        m.put("createdAt", text(createdAt));
        m.put("updatedAt", text(updatedAt));
        m.put("sentAt", text(sentAt));
        m.put("deliveredAt", text(deliveredAt));
        if (price != null) {
            m.put("price", price);
            m.put("priceUnit", priceUnit);
        }
        return m;
    }

    private static String text(Instant i) {
        return i == null ? null : i.toString();
    }
}
