package uk.bookinghub.clients;

import java.time.Instant;
import java.util.List;

/** A tenant: one business using the hub. */
public record Client(long id, String clientKey, String businessName, String email, String phone, String industry,
                     List<String> services, String timezone, String vapiAssistantId, String vapiPhoneNumberId,
                     Instant createdAt, String country) {
}
