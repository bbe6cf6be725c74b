package uk.bookinghub.reminders;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.metrics.BusinessMetrics;
import uk.bookinghub.booking.BookingTools;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.leads.OptOutStore;
import uk.bookinghub.messaging.MessagesApi;
import uk.bookinghub.messaging.OutboxStore;
import uk.bookinghub.store.Database;

import java.time.Clock;

/** Reminders and follow-up sequences: {@code reminders}, {@code followUps} (a booking ends a lead's sequence). */
public class RemindersConfiguration implements CamelConfiguration {

    @PropertyInject("hub.http.max-json-bytes")
    int maxJsonBytes;

    @Override
    public void configure(CamelContext camel) {
        Database db = Wiring.need(camel, "hubDatabase", Database.class);
        ClientStore clients = Wiring.need(camel, "clientStore", ClientStore.class);
        MessagesApi messages = Wiring.need(camel, "messagesApi", MessagesApi.class);
        OptOutStore optOuts = Wiring.need(camel, "optOutStore", OptOutStore.class);
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        uk.bookinghub.monitoring.ErrorLog errors = Wiring.need(camel, "errorLog", uk.bookinghub.monitoring.ErrorLog.class);
        BusinessMetrics metrics = Wiring.need(camel, "businessMetrics", BusinessMetrics.class);
        Reminders reminders = new Reminders(db, clients, messages, optOuts, Wiring.need(camel, "outbox", OutboxStore.class), clock, errors);
        reminders.metrics(metrics);
        camel.getRegistry().bind("reminders", reminders);
        FollowUps followUps = new FollowUps(db, clients, messages, optOuts, clock, maxJsonBytes, errors);
        followUps.metrics(metrics);
        camel.getRegistry().bind("followUps", followUps);
        Wiring.need(camel, "bookingTools", BookingTools.class).onBooked(followUps);
    }
}
