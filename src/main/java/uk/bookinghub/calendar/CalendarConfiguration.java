package uk.bookinghub.calendar;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.booking.BookingStore;
import uk.bookinghub.clients.ClientStore;

import java.time.Clock;

/**
 * Google Calendar: {@code googleCalendars} (the camel-google-calendar client factory, credentials
 * from {@code google.*}), {@code calendarSync} and its threads {@code calendarSyncPool}.
 */
public class CalendarConfiguration implements CamelConfiguration {

    @PropertyInject("google.client-email")
    String clientEmail;
    @PropertyInject("google.private-key")
    String privateKey;
    @PropertyInject("google.base-url")
    String baseUrl;
    @PropertyInject("hub.calendar.max-attempts")
    int maxAttempts;
    @PropertyInject("hub.calendar.retry-initial-ms")
    int retryInitialMs;

    @Override
    public void configure(CamelContext camel) {
        GoogleCalendars google = new GoogleCalendars(clientEmail.trim(), privateKey.trim(), baseUrl.trim(), "booking-hub");
        camel.getRegistry().bind("googleCalendars", google);
        camel.getRegistry().bind("calendarSync", new CalendarSync(Wiring.need(camel, "bookingStore", BookingStore.class),
                Wiring.need(camel, "clientStore", ClientStore.class), google, camel, Wiring.need(camel, "hubClock", Clock.class),
                maxAttempts, retryInitialMs));
        camel.getRegistry().bind("calendarSyncPool", Wiring.pool(camel, "hub-calendar-sync", 8));
    }
}
