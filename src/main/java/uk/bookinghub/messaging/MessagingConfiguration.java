package uk.bookinghub.messaging;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Processor;
import org.apache.camel.PropertyInject;
import org.apache.camel.builder.ThreadPoolProfileBuilder;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.Wiring;
import uk.bookinghub.metrics.BusinessMetrics;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.leads.OptOutStore;
import uk.bookinghub.monitoring.DeadLetters;
import uk.bookinghub.phones.PhoneClassifier;
import uk.bookinghub.store.Database;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * The outbox and its senders (SMS through camel-twilio, email through camel-mail), the messages
 * API, templates, dead letters and the Twilio webhooks. Binds {@code outbox}, {@code outboxSender},
 * {@code outboxRedelivery}, {@code outboxSendPool}, {@code sendFailures}, {@code twilioRestClient},
 * {@code mailStartTls}, {@code messagesApi}, {@code inboundMessages}, {@code deadLettersApi},
 * {@code twilioWebhooks}, and the properties {@code hub.mail.endpoint} (the SMTP URI built from
 * {@code mail.*}) and {@code hub.twilio.api-url} ({@code twilio.base-url}, or Twilio itself when empty).
 */
public class MessagingConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(MessagingConfiguration.class);

    @PropertyInject("camel.main.name")
    String hubName;
    @PropertyInject("hub.public-base-url")
    String publicBaseUrl;
    @PropertyInject("hub.http.max-json-bytes")
    int maxJsonBytes;
    @PropertyInject("twilio.account-sid")
    String twilioSid;
    @PropertyInject("twilio.auth-token")
    String twilioToken;
    @PropertyInject("twilio.from-number")
    String twilioFrom;
    @PropertyInject("twilio.messaging-service-sid")
    String twilioMessagingService;
    @PropertyInject("twilio.base-url")
    String twilioBaseUrl;
    @PropertyInject("mail.service")
    String mailService;
    @PropertyInject("mail.host")
    String mailHost;
    @PropertyInject("mail.port")
    String mailPort;
    @PropertyInject("mail.security")
    String mailSecurity;
    @PropertyInject("mail.username")
    String mailUsername;
    @PropertyInject("mail.password")
    String mailPassword;
    @PropertyInject("mail.from")
    String mailFrom;
    @PropertyInject("hub.messaging.batch-size")
    int batchSize;
    @PropertyInject("hub.messaging.lease-seconds")
    int leaseSeconds;
    @PropertyInject("hub.messaging.max-redeliveries")
    int maxRedeliveries;
    @PropertyInject("hub.messaging.sms-per-second")
    double smsPerSecond;
    @PropertyInject("hub.messaging.email-per-second")
    double emailPerSecond;
    @PropertyInject("hub.messaging.send-threads")
    int sendThreads;

    @Override
    public void configure(CamelContext camel) {
        Registry registry = camel.getRegistry();
        Database db = Wiring.need(camel, "hubDatabase", Database.class);
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        OptOutStore optOuts = Wiring.need(camel, "optOutStore", OptOutStore.class);
        ClientStore clients = Wiring.need(camel, "clientStore", ClientStore.class);

        boolean twilio = Wiring.blankToNull(twilioSid) != null && Wiring.blankToNull(twilioToken) != null;
        MailSettings mail = MailSettings.of(mailService.trim(), mailHost.trim(), mailPort.trim(), mailSecurity.trim(), mailUsername.trim(),
                mailPassword.trim(), mailFrom.trim());
        camel.getPropertiesComponent().addOverrideProperty("hub.mail.endpoint", mail.uri());
        camel.getPropertiesComponent().addOverrideProperty("hub.twilio.api-url", TwilioClients.apiUrl(twilioBaseUrl));
        Properties startTls = new Properties();
        startTls.setProperty("mail.smtp.starttls.enable", "true");
        startTls.setProperty("mail.smtp.starttls.required", "true");
        registry.bind("mailStartTls", startTls);
        String instance = hubName.trim() + "@" + ManagementFactory.getRuntimeMXBean().getName();
        MessageSender.Settings settings = new MessageSender.Settings(twilio, Wiring.blankToNull(twilioFrom), Wiring.blankToNull(twilioMessagingService),
                mail.configured(), mail.from(), instance, batchSize, Duration.ofSeconds(leaseSeconds), maxRedeliveries);
        LOG.info("Messaging: SMS {}, email {}", twilio ? "through Twilio at " + TwilioClients.apiUrl(twilioBaseUrl) : "not configured", mail);

        OutboxStore outbox = new OutboxStore(db, clock);
        BusinessMetrics metrics = Wiring.need(camel, "businessMetrics", BusinessMetrics.class);
        outbox.metrics(metrics);
        // the same numbers as /health's messaging.outbox, read at most every 5 s whatever the scrape rate
        metrics.outbox(() -> {
            Map<String, Object> b = outbox.backlog();
            return new BusinessMetrics.OutboxBacklog(((Number) b.get("due")).longValue(), ((Number) b.get("oldestDueSeconds")).longValue());
        }, Duration.ofSeconds(5));
        Wiring.onStop(camel, "the outbox", outbox::close);
        registry.bind("twilioRestClient", TwilioClients.create(twilioSid, twilioToken, twilioBaseUrl, publicBaseUrl.trim()));
        registry.bind("outbox", outbox);
        registry.bind("sendFailures", new SendFailures());
        MessageSender sender = new MessageSender(outbox, optOuts, clients, Wiring.need(camel, "deadLetters", DeadLetters.class), settings,
                new RateCap(smsPerSecond), new RateCap(emailPerSecond));
        Wiring.onStop(camel, "the outbox claims' heartbeat", sender::stopHeartbeat);
        if (twilio) {
            sender.camel(camel); // a message whose send was interrupted is looked up at Twilio first (route twilio-message-lookup)
        }
        sender.metrics(metrics);
        sender.suppressions(Wiring.need(camel, "suppressionStore", uk.bookinghub.leads.SuppressionStore.class));
        registry.bind("outboxSender", sender);
        registry.bind("outboxRedelivery", (Processor) sender::onRedelivery);
        int threads = Math.max(1, sendThreads);
        // camel-twilio runs its API calls on the thread pool profile named "CamelTwilio" (else Camel's default of 10
        // threads): size it like the senders, or a slow Twilio answer would cap the whole hub at 10 requests in flight
        camel.getExecutorServiceManager().registerThreadPoolProfile(new ThreadPoolProfileBuilder("CamelTwilio")
                .poolSize(threads).maxPoolSize(threads).maxQueueSize(-1).build());
        registry.bind("outboxSendPool", Wiring.pool(camel, "hub-send", threads));

        MessagesApi messages = new MessagesApi(outbox, optOuts, settings, clock, maxJsonBytes);
        messages.limits(Wiring.need(camel, "rateLimits", uk.bookinghub.limits.RateLimits.class));
        messages.phones(Wiring.need(camel, "phoneClassifier", PhoneClassifier.class));
        registry.bind("messagesApi", messages);
        registry.bind("inboundMessages", new InboundMessages(db));
        registry.bind("deadLettersApi", new DeadLettersApi(Wiring.need(camel, "deadLetters", DeadLetters.class), outbox));
        registry.bind("twilioWebhooks", new TwilioWebhooks(twilioToken.trim(), publicBaseUrl.trim(), outbox, optOuts, clients, settings, clock));
    }
}
