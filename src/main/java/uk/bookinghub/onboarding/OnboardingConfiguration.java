package uk.bookinghub.onboarding;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.analytics.AnalyticsStore;
import uk.bookinghub.booking.BookingStore;
import uk.bookinghub.booking.BookingTools;
import uk.bookinghub.calendar.CalendarSync;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.dashboard.DashboardPage;
import uk.bookinghub.messaging.MessagesApi;
import uk.bookinghub.store.Database;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * The onboarding wizard (routes/onboarding.camel.yaml): {@code onboardingApi} (status, business step,
 * slots preview), {@code onboardingChecks} (calendar and numbers against the providers),
 * {@code onboardingTests} (the test call) and {@code onboardingPage} (the page's files).
 */
public class OnboardingConfiguration implements CamelConfiguration {

    @PropertyInject("hub.http.max-json-bytes")
    int maxJsonBytes;
    @PropertyInject("hub.public-base-url")
    String publicBaseUrl;
    @PropertyInject("google.client-email")
    String serviceAccountEmail;
    @PropertyInject("vapi.private-key")
    String vapiKey;
    @PropertyInject("vapi.base-url")
    String vapiBaseUrl;
    @PropertyInject("vapi.phone-number-id")
    String vapiPhoneNumberId;
    @PropertyInject("twilio.account-sid")
    String twilioSid;
    @PropertyInject("twilio.auth-token")
    String twilioToken;
    @PropertyInject("twilio.from-number")
    String twilioFrom;
    @PropertyInject("twilio.messaging-service-sid")
    String twilioMessagingService;
    @PropertyInject("hub.onboarding.confirmation-wait-seconds")
    int confirmationWaitSeconds;
    @PropertyInject("hub.onboarding.test-call-timeout-seconds")
    int testCallTimeoutSeconds;

    @Override
    public void configure(CamelContext camel) {
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        OnboardingStore store = new OnboardingStore(Wiring.need(camel, "hubDatabase", Database.class));
        ClientStore clients = Wiring.need(camel, "clientStore", ClientStore.class);
        BookingStore bookings = Wiring.need(camel, "bookingStore", BookingStore.class);
        BookingTools tools = Wiring.need(camel, "bookingTools", BookingTools.class);
        OnboardingApi.Hub hub = new OnboardingApi.Hub(publicBaseUrl.trim().replaceAll("/+$", ""), Wiring.blankToNull(serviceAccountEmail),
                Wiring.blankToNull(vapiPhoneNumberId), Wiring.blankToNull(twilioFrom), Wiring.blankToNull(twilioMessagingService));
        // the test call uses the client's own assistant (issue 17: "with the new assistant"), never the hub's shared one
        java.util.function.Function<Client, String> assistantOf = c -> OnboardingChecks.present(c.vapiAssistantId()) ? c.vapiAssistantId() : null;
        OnboardingChecks.Vapi vapi = new OnboardingChecks.Vapi(Wiring.blankToNull(vapiKey), Wiring.blankToNull(vapiBaseUrl));
        camel.getRegistry().bind("onboardingApi", new OnboardingApi(store, clients, bookings, tools,
                Wiring.need(camel, "analyticsStore", AnalyticsStore.class), Wiring.need(camel, "messagesApi", MessagesApi.class), clock,
                maxJsonBytes, hub, assistantOf));
        String sid = Wiring.blankToNull(twilioSid) != null && Wiring.blankToNull(twilioToken) != null ? twilioSid.trim() : null;
        camel.getRegistry().bind("onboardingChecks", new OnboardingChecks(store, clients, bookings, Wiring.need(camel, "calendarSync", CalendarSync.class),
                vapi, sid, hub, clock, maxJsonBytes, camel));
        camel.getRegistry().bind("onboardingTests", new OnboardingTests(store, clients, bookings, tools, vapi, hub.sharedVapiPhoneNumberId(), assistantOf,
                clock, Duration.ofSeconds(confirmationWaitSeconds), Duration.ofSeconds(testCallTimeoutSeconds), camel));
        camel.getRegistry().bind("onboardingPage", new DashboardPage(Map.of("/onboarding", "onboarding/index.html",
                "/onboarding/onboarding.js", "onboarding/onboarding.js", "/onboarding/onboarding.css", "onboarding/onboarding.css")));
    }
}
