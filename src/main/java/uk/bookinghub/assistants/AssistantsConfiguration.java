package uk.bookinghub.assistants;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.Wiring;
import uk.bookinghub.booking.BookingStore;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.clients.Onboarding;
import uk.bookinghub.store.Database;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * The assistant per client: {@code assistants} (routes/assistants.camel.yaml) from the template in
 * {@code hub.assistants-dir}; the admin onboarding creates the new client's assistant through it.
 */
public class AssistantsConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(AssistantsConfiguration.class);

    @PropertyInject("hub.assistants-dir")
    String dir;
    @PropertyInject("vapi.private-key")
    String privateKey;
    @PropertyInject("vapi.base-url")
    String baseUrl;
    @PropertyInject("vapi.webhook.secret")
    String webhookSecret;
    @PropertyInject("vapi.webhook.secret-header")
    String webhookSecretHeader;
    @PropertyInject("hub.public-base-url")
    String publicBaseUrl;
    @PropertyInject("hub.assistants.claim-seconds")
    int claimSeconds;
    @PropertyInject("hub.assistants.claim-wait-ms")
    int claimWaitMs;
    @PropertyInject("hub.assistants.list-limit")
    int listLimit;
    @PropertyInject("hub.assistants.health-cache-ms")
    int healthCacheMs;
    @PropertyInject("hub.assistants.create-at-onboarding")
    boolean createAtOnboarding;

    @Override
    public void configure(CamelContext camel) {
        AssistantTemplate template = new AssistantTemplate(Path.of(dir.trim()));
        VapiAssistants vapi = new VapiAssistants(new VapiAssistants.Settings(Wiring.blankToNull(privateKey), Wiring.blankToNull(baseUrl)));
        vapi.camel(camel);
        BookingStore bookings = Wiring.need(camel, "bookingStore", BookingStore.class);
        Assistants assistants = new Assistants(template, new AssistantStore(Wiring.need(camel, "hubDatabase", Database.class)), vapi,
                Wiring.need(camel, "clientStore", ClientStore.class), bookings::settingsJson,
                new Assistants.Server(publicBaseUrl.trim() + "/webhooks/vapi", webhookSecretHeader.trim(), Wiring.blankToNull(webhookSecret)),
                new Assistants.Limits(Duration.ofSeconds(claimSeconds), Duration.ofMillis(claimWaitMs), listLimit, Duration.ofMillis(healthCacheMs)),
                Wiring.need(camel, "hubClock", Clock.class));
        camel.getRegistry().bind("assistants", assistants);
        if (createAtOnboarding) {
            Wiring.need(camel, "onboarding", Onboarding.class).afterOnboarding(assistants::afterOnboarding);
        }
        try {
            assistants.logAtStart();
        } catch (RuntimeException e) { // the database may be down at start: the hub starts anyway, /health says so
            LOG.warn("[ASSISTANT] template {} version {}; the assistants could not be counted: {}", template.file(),
                    template.current().version(), e.getMessage());
        }
    }
}
