package uk.bookinghub.clients;

import java.util.LinkedHashMap;
import java.util.Map;

/** How a client is shown in API replies. */
public final class ClientView {
    public static Map<String, Object> of(Client c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("clientKey", c.clientKey());
        m.put("businessName", c.businessName());
        m.put("email", c.email());
        m.put("phone", c.phone());
        m.put("industry", c.industry());
        m.put("services", c.services());
        m.put("timezone", c.timezone());
        m.put("country", c.country());
        m.put("tier", c.tier().key());
        m.put("state", c.state().key());
        m.put("vapiAssistantId", c.vapiAssistantId());
        m.put("vapiPhoneNumberId", c.vapiPhoneNumberId());
        m.put("bookingLink", c.messaging().bookingLink());
        m.put("smsFromNumber", c.messaging().smsFromNumber());
        m.put("messagingServiceSid", c.messaging().messagingServiceSid());
        m.put("createdAt", c.createdAt() == null ? null : c.createdAt().toString());
        return m;
    }

    /** The bean method routes call for {@code GET /api/clients/me}. */
    public Map<String, Object> describe(Client c) {
        return of(c);
    }
}
