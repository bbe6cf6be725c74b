package uk.bookinghub.monitoring;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.calendar.GoogleCalendars;
import uk.bookinghub.messaging.MessageSender;
import uk.bookinghub.messaging.OutboxStore;

/**
 * {@code healthReport} ({@code GET /health}): the database, each channel's configured state and the
 * outbox backlog. Last of the configuration classes, since it reports on the others.
 */
import java.util.Map;

public class HealthConfiguration implements CamelConfiguration {

    @PropertyInject("vapi.private-key")
    String vapiPrivateKey;

    @Override
    public void configure(CamelContext camel) {
        MessageSender.Settings messaging = Wiring.need(camel, "outboxSender", MessageSender.class).settings();
        HealthReport health = new HealthReport(Wiring.need(camel, "databaseHealth", DatabaseHealth.class), new HealthReport.Integrations(
                messaging.twilioConfigured() && (messaging.defaultFrom() != null || messaging.defaultMessagingServiceSid() != null),
                messaging.mailConfigured(),
                Wiring.blankToNull(vapiPrivateKey) != null,
                Wiring.need(camel, "googleCalendars", GoogleCalendars.class).configured()), Wiring.need(camel, "outbox", OutboxStore.class)::backlog);
        // the supervising route controller starts the routes after the context: ready once it has finished
        health.startedWhen(() -> camel.getStatus().isStarted() && !camel.getRouteController().isStartingRoutes());
        health.alerts(Wiring.need(camel, "alerts", uk.bookinghub.alerts.Alerts.class)::health);
        // the assistants count reads the database: not while /health's own check just found it down (no wait on a dead pool)
        DatabaseHealth database = Wiring.need(camel, "databaseHealth", DatabaseHealth.class);
        uk.bookinghub.assistants.Assistants assistants = Wiring.need(camel, "assistants", uk.bookinghub.assistants.Assistants.class);
        health.section("assistants", () -> database.lastCheckFailed() ? Map.of("error", "database unavailable") : assistants.health());
        camel.getRegistry().bind("healthReport", health);
    }
}
