package uk.bookinghub.alerts;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.Wiring;
import uk.bookinghub.messaging.MessageSender;
import uk.bookinghub.messaging.OutboxStore;

import java.time.Clock;
import java.util.List;

/**
 * The alert channels (Slack, email) attached to the engine {@code alerts} built early by
 * MonitoringConfiguration, the batch-failure policy on Quartz routes and {@code alertsApi}. After
 * messaging, whose SMTP endpoint the email channel shares.
 */
public class AlertsConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(AlertsConfiguration.class);

    @PropertyInject("hub.alerts.slack-webhook-url")
    String slackWebhookUrl;
    @PropertyInject("hub.alerts.admin-email")
    String adminEmail;

    @Override
    public void configure(CamelContext camel) {
        Alerts alerts = Wiring.need(camel, "alerts", Alerts.class);
        MessageSender.Settings messaging = Wiring.need(camel, "outboxSender", MessageSender.class).settings();
        SlackChannel slack = new SlackChannel(slackWebhookUrl);
        // set by MessagingConfiguration while it configures, so read now rather than injected
        String mailEndpoint = camel.resolvePropertyPlaceholders("{{hub.mail.endpoint}}");
        EmailChannel email = new EmailChannel(camel, mailEndpoint, messaging.mailConfigured(), messaging.mailFrom(), adminEmail);
        alerts.delivery().start(List.of(slack, email), d -> {
            if (d.n().alertId() != null || "test".equals(d.n().kind())) {
                alerts.recordDelivery(d);
            }
        });
        alerts.start(Wiring.need(camel, "outbox", OutboxStore.class)::backlog);
        camel.addRoutePolicyFactory(new BatchFailures(alerts));
        camel.getRegistry().bind("alertsApi", new AlertsApi(alerts, Wiring.need(camel, "hubClock", Clock.class)));
        LOG.info("Alerts: Slack {}, email {}", slack.configured() ? "configured" : "not configured (SLACK_WEBHOOK_URL)",
                email.configured() ? "to " + adminEmail.trim() : "not configured (" + email.missing() + ")");
    }
}
