package uk.bookinghub.analytics;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

import uk.bookinghub.Wiring;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.messaging.OutboxStore;
import uk.bookinghub.metrics.BusinessMetrics;
import uk.bookinghub.monitoring.SettingsAlarm;
import uk.bookinghub.store.Database;

import java.time.Clock;

/**
 * {@code weeklyReports}: the weekly report email batch (routes/analytics.camel.yaml). After messaging
 * in {@code camel.main.configuration-classes}: it queues through the outbox.
 */
public class WeeklyReportsConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext camel) {
        Database db = Wiring.need(camel, "hubDatabase", Database.class);
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        camel.getRegistry().bind("weeklyReports", new WeeklyReports(Wiring.need(camel, "analyticsReports", AnalyticsReports.class),
                Wiring.need(camel, "analyticsStore", AnalyticsStore.class), Wiring.need(camel, "clientStore", ClientStore.class),
                Wiring.need(camel, "outbox", OutboxStore.class), new SettingsAlarm(Wiring.need(camel, "errorLog", uk.bookinghub.monitoring.ErrorLog.class), clock), clock,
                Wiring.need(camel, "businessMetrics", BusinessMetrics.class)));
    }
}
