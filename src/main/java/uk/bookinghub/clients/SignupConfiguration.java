package uk.bookinghub.clients;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.limits.RateLimits;
import uk.bookinghub.messaging.MessageSender;
import uk.bookinghub.messaging.OutboxStore;

import java.time.Clock;
import java.time.Duration;

/**
 * Self-service signup: binds {@code signup} (after messaging, whose outbox carries the verification
 * email, and the rate limits, which hold the per-email limit). Reads {@code hub.signup.*} and
 * {@code hub.public-base-url} (the verification link's base).
 */
public class SignupConfiguration implements CamelConfiguration {

    @PropertyInject("hub.signup.verify-valid-hours")
    int validHours;
    @PropertyInject("hub.signup.per-email-per-day")
    long perEmailPerDay;
    @PropertyInject("hub.public-base-url")
    String publicBaseUrl;
    @PropertyInject("hub.http.max-json-bytes")
    int maxJsonBytes;

    @Override
    public void configure(CamelContext camel) {
        if (validHours < 1 || perEmailPerDay < 1) {
            throw new IllegalArgumentException("hub.signup.verify-valid-hours and hub.signup.per-email-per-day must be 1 or more, got "
                    + validHours + " and " + perEmailPerDay);
        }
        MessageSender sender = Wiring.need(camel, "outboxSender", MessageSender.class);
        Signup.Settings settings = new Signup.Settings(Duration.ofHours(validHours), perEmailPerDay, publicBaseUrl.trim(),
                sender.settings().mailConfigured(), "Booking Hub");
        camel.getRegistry().bind("signup", new Signup(Wiring.need(camel, "onboarding", Onboarding.class), Wiring.need(camel, "clientStore", ClientStore.class),
                Wiring.need(camel, "outbox", OutboxStore.class), Wiring.need(camel, "rateLimits", RateLimits.class),
                Wiring.need(camel, "hubClock", Clock.class), settings, maxJsonBytes));
    }
}
