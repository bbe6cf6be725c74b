package uk.bookinghub.clients;

import java.time.Instant;
import java.util.List;

/** A tenant: one business using the hub; its {@link Tier} sets its rate limits. */
public record Client(long id, String clientKey, String businessName, String email, String phone, String industry,
                     List<String> services, String timezone, String vapiAssistantId, String vapiPhoneNumberId,
                     Instant createdAt, String country, Messaging messaging, Tier tier) {

    /** How the client's messages go out: the link follow-ups invite to, and its Twilio sender. */
    public record Messaging(String bookingLink, String smsFromNumber, String messagingServiceSid) {
        public static final Messaging NONE = new Messaging(null, null, null);
    }

    public Messaging messaging() {
        return messaging == null ? Messaging.NONE : messaging;
    }

    public Tier tier() {
        return tier == null ? Tier.FREE : tier;
    }
}
