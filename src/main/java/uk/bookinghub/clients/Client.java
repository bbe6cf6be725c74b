package uk.bookinghub.clients;

import java.time.Instant;
import java.util.List;

/**
 * A tenant: one business using the hub; its {@link Tier} sets its rate limits, its {@link ClientState}
 * what it may do (signup, trial, active, suspended).
 */
public record Client(long id, String clientKey, String businessName, String email, String phone, String industry,
                     List<String> services, String timezone, String vapiAssistantId, String vapiPhoneNumberId,
                     Instant createdAt, String country, Messaging messaging, Tier tier, ClientState state) {

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

    public ClientState state() {
        return state == null ? ClientState.ACTIVE : state;
    }

    /**
     * Whether the client may send to, or call, {@code address} (an E.164 number or an email): an active
     * client anyone, a trial client only its owner's own signup phone and email, others nobody.
     */
    public boolean mayReach(String address) {
        ClientState s = state();
        if (s.mayReachAnyone()) {
            return true;
        }
        return s == ClientState.TRIAL && address != null && (address.equals(phone) || address.equalsIgnoreCase(email == null ? "" : email));
    }
}
