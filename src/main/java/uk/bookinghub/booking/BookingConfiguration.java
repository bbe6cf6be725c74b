package uk.bookinghub.booking;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.metrics.BusinessMetrics;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.messaging.MessagesApi;
import uk.bookinghub.store.Database;

import java.time.Clock;

/**
 * Appointments and the assistant's tools: {@code bookingStore}, {@code bookingTools},
 * {@code bookingApi}, {@code attendanceSweep}. Google's busy times come from {@code calendarSync} (calendar, listed after this
 * class because it writes this store's appointments to Google), found on first use.
 */
public class BookingConfiguration implements CamelConfiguration {

    @PropertyInject("hub.http.max-json-bytes")
    int maxJsonBytes;
    @PropertyInject("hub.public-base-url")
    String publicBaseUrl;
    @PropertyInject("hub.analytics.auto-complete-after-hours")
    int autoCompleteAfterHours;

    @Override
    public void configure(CamelContext camel) {
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        BookingStore bookings = new BookingStore(Wiring.need(camel, "hubDatabase", Database.class), clock);
        BookingTools tools = new BookingTools(bookings, Wiring.need(camel, "messagesApi", MessagesApi.class),
                Wiring.later(camel, "calendarSync", BookingTools.CalendarBusy.class), clock);
        tools.errorLog(Wiring.need(camel, "errorLog", uk.bookinghub.monitoring.ErrorLog.class));
        camel.getRegistry().bind("bookingStore", bookings);
        tools.metrics(Wiring.need(camel, "businessMetrics", BusinessMetrics.class));
        camel.getRegistry().bind("bookingTools", tools);
        BookingApi api = new BookingApi(bookings, tools, Wiring.need(camel, "clientStore", ClientStore.class), clock,
                maxJsonBytes, publicBaseUrl.trim() + "/webhooks/vapi");
        api.analyticsSettings(Wiring.need(camel, "analyticsStore", uk.bookinghub.analytics.AnalyticsStore.class));
        camel.getRegistry().bind("bookingApi", api);
        camel.getRegistry().bind("attendanceSweep", new AttendanceSweep(bookings, clock, autoCompleteAfterHours));
    }
}
