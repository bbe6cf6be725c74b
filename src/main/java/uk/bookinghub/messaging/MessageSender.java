package uk.bookinghub.messaging;

import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.analytics.AnalyticsEvent;
import uk.bookinghub.analytics.AnalyticsFacts;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.leads.OptOutStore;
import uk.bookinghub.monitoring.DeadLetters;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The steps of the sender routes ({@code routes/messaging.camel.yaml}): claim due outbox rows,
 * drop the ones that must not go (opted out, channel not configured), set up each SMS for
 * camel-twilio and each email for camel-mail, and record what happened: sent with the provider's
 * id, failed for good (with what that failure means: STOP -> opt-out, landline -> not SMS-capable),
 * or dead after the retries.
 */
public final class MessageSender {

    private static final Logger LOG = LoggerFactory.getLogger(MessageSender.class);
    /** Exchange property holding the {@link OutboxMessage} being sent. */
    public static final String MESSAGE = "outboxMessage";

    /** The hub-wide channel settings (per-client senders come from the client). */
    public record Settings(boolean twilioConfigured, String defaultFrom, String defaultMessagingServiceSid,
                           boolean mailConfigured, String mailFrom, String instanceId, int batchSize, Duration lease, int maxRedeliveries) {
    }

    private final OutboxStore outbox;
    private final OptOutStore optOuts;
    private final ClientStore clients;
    private final DeadLetters deadLetters;
    private final Settings settings;
    private final RateCap smsCap;
    private final RateCap emailCap;
    private uk.bookinghub.metrics.BusinessMetrics metrics = uk.bookinghub.metrics.BusinessMetrics.NONE;
    private volatile org.apache.camel.ProducerTemplate twilioLookup;

    /**
     * Asks Twilio about messages a stopped sender may have sent through the route
     * {@code twilio-message-lookup} (routes/messaging.camel.yaml): a visible partner call with its own
     * metrics. Only when Twilio is configured.
     */
    /** Where each message result is counted, after its commit ({@code hub_messages_total}). */
    public void metrics(uk.bookinghub.metrics.BusinessMetrics metrics) {
        this.metrics = metrics;
    }

    public void camel(org.apache.camel.CamelContext camel) {
        this.twilioLookup = camel.createProducerTemplate();
    }

    public MessageSender(OutboxStore outbox, OptOutStore optOuts, ClientStore clients, DeadLetters deadLetters, Settings settings,
                         RateCap smsCap, RateCap emailCap) {
        this.outbox = outbox;
        this.held = new uk.bookinghub.clients.HeldWork("outbox messages", outbox::held);
        this.optOuts = optOuts;
        this.clients = clients;
        this.deadLetters = deadLetters;
        this.settings = settings;
        this.smsCap = smsCap;
        this.emailCap = emailCap;
        startHeartbeat();
    }

    public Settings settings() {
        return settings;
    }

    /** The messages of the batch being sent (ids), whose claims the heartbeat keeps fresh. */
    private volatile java.util.Set<Long> inFlight = java.util.Set.of();

    /**
     * Keeps this sender's claims alive while its batch is sent: a claim is good for the lease, and a
     * batch that takes longer (a slow Twilio, camel-twilio's queue) must not look abandoned to another
     * instance, which would take the rest over and send it too. Every third of the lease, the claims
     * still {@code sending} in the current batch are renewed; a sender that stops renews nothing, so
     * its claims run out and are taken over as before. Stopped with the hub ({@link #stopHeartbeat}).
     */
    private final java.util.concurrent.ScheduledExecutorService heartbeat = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hub-outbox-heartbeat");
        t.setDaemon(true);
        return t;
    });

    private void startHeartbeat() {
        long every = Math.max(200, settings.lease().toMillis() / 3);
        heartbeat.scheduleWithFixedDelay(() -> {
            java.util.Set<Long> ids = inFlight;
            if (ids.isEmpty()) {
                return;
            }
            try {
                outbox.renew(ids, settings.instanceId());
            } catch (RuntimeException e) {
                LOG.warn("[SMS] could not renew the claims of {} message(s) being sent: {}", ids.size(), e.toString());
            }
        }, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** The hub is stopping: no more renewals. */
    public void stopHeartbeat() {
        heartbeat.shutdownNow();
    }

    /**
     * A bulk pass (the reminder batch) is writing messages on this instance: the sender waits for it
     * (at most a few seconds), so the pass gets both cores and every reminder is durably queued
     * first; sending starts the moment it ends. Other instances keep sending.
     */
    public static final java.util.concurrent.atomic.AtomicInteger BULK_PASSES = new java.util.concurrent.atomic.AtomicInteger();

    /** Claims the next batch; sets {@code outboxMore} when the batch was full (the route loops at once). */
    public List<OutboxMessage> claim(Exchange exchange) {
        if (BULK_PASSES.get() > 0) {
            exchange.setProperty("outboxMore", false);
            return List.of();
        }
        OutboxStore.Claim claim = outbox.claim(settings.instanceId(), settings.batchSize(), settings.lease());
        List<OutboxMessage> claimed = claim.messages();
        held.report();
        // the route sends one batch at a time: a new claim means the previous batch is over
        inFlight = claimed.isEmpty() ? java.util.Set.of() : claimed.stream().map(OutboxMessage::id).collect(java.util.stream.Collectors.toUnmodifiableSet());
        exchange.setProperty("outboxMore", claimed.size() >= settings.batchSize());
        if (claimed.isEmpty()) {
            return claimed;
        }
        // opt-outs straight from the database: one taken on another instance a second ago counts
        Map<Long, List<String>> phonesByClient = new HashMap<>();
        Map<Long, String> leadPhones = leadPhones(claimed);
        for (OutboxMessage m : claimed) {
            String phone = m.isSms() ? m.to() : m.marketing() && m.leadId() != null ? leadPhones.get(m.leadId()) : null;
            if (phone != null) {
                phonesByClient.computeIfAbsent(m.clientId(), k -> new ArrayList<>()).add(phone);
            }
        }
        Map<Long, Map<String, String>> optedOut = new HashMap<>();
        phonesByClient.forEach((client, phones) -> optedOut.put(client, optOuts.activeReasons(client, phones)));
        // erased persons (a suppression entry per number / email) get nothing, service messages included; a list
        // that cannot be read fails the claim: the rows stay claimed until their lease runs out, nothing is sent
        Map<Long, java.util.Set<String>> suppressed = suppressedAmong(claimed);
        List<OutboxMessage> go = new ArrayList<>(claimed.size());
        for (OutboxMessage m : claimed) {
            if (suppressed.getOrDefault(m.clientId(), java.util.Set.of()).contains(recipientHash(m))) {
                outbox.finish(m.id(), "skipped", "suppressed: the recipient's data was erased on request", null, m.attempts(), null);
                metrics.message(m.channel(), "skipped");
                LOG.info("[{}] message {} skipped: the recipient was erased on request (suppressed)", tag(m), m.id());
                continue;
            }
            String phone = m.isSms() ? m.to() : m.marketing() && m.leadId() != null ? leadPhones.get(m.leadId()) : null;
            String reason = phone == null ? null : optedOut.getOrDefault(m.clientId(), Map.of()).get(phone);
            if (reason != null) {
                outbox.finish(m.id(), "skipped", "opted out: " + reason, null, m.attempts(), null);
                metrics.message(m.channel(), "skipped");
                LOG.info("[{}] message {} to {} skipped: opted out ({})", tag(m), m.id(), m.to(), reason);
                continue;
            }
            String missing = notConfigured(m);
            if (missing != null) {
                outbox.finish(m.id(), "not_configured", missing, null, m.attempts(), null);
                metrics.message(m.channel(), "not_configured");
                LOG.warn("[{}] message {} not sent: {}", tag(m), m.id(), missing);
                continue;
            }
            if (m.isSms() && claim.reclaimed().contains(m.id()) && alreadyAtTwilio(m)) {
                continue;
            }
            go.add(m);
        }
        return go;
    }

    /** The due messages the claim leaves queued because their client may not send them (logged at most once a minute). */
    private final uk.bookinghub.clients.HeldWork held;

    /** Erased persons' numbers and emails (hashes); until it is wired nothing is sent (fail closed). */
    private volatile uk.bookinghub.leads.SuppressionStore suppressions;

    public void suppressions(uk.bookinghub.leads.SuppressionStore suppressions) {
        this.suppressions = suppressions;
    }

    private static String recipientHash(OutboxMessage m) {
        if (m.to() == null || m.to().isBlank()) {
            return "";
        }
        return m.isSms() ? uk.bookinghub.leads.SuppressionStore.phoneHash(m.to()) : uk.bookinghub.leads.SuppressionStore.emailHash(m.to());
    }

    private Map<Long, java.util.Set<String>> suppressedAmong(List<OutboxMessage> claimed) {
        uk.bookinghub.leads.SuppressionStore s = suppressions;
        if (s == null) {
            throw new IllegalStateException("the suppression list is not wired: nothing is sent without it");
        }
        Map<Long, List<String>> hashes = new HashMap<>();
        for (OutboxMessage m : claimed) {
            if (m.to() != null && !m.to().isBlank()) {
                hashes.computeIfAbsent(m.clientId(), k -> new ArrayList<>()).add(recipientHash(m));
            }
        }
        return s.suppressed(hashes);
    }

    /**
     * A message taken back from a sender that stopped mid-send may have reached Twilio just before
     * the stop. Twilio has no idempotency key for messages, so ask it: a message to the same number
     * with the same text, created since ours, is ours — recorded as sent instead of sent again. The
     * question is the route {@code twilio-message-lookup} (List Messages {@code ?To=&PageSize=20});
     * this step builds its query and reads Twilio's page. If Twilio cannot be asked, the message is
     * sent (at least once beats never).
     */
    private boolean alreadyAtTwilio(OutboxMessage m) {
        if (twilioLookup == null) {
            return false;
        }
        try {
            Map<String, Object> headers = new HashMap<>();
            headers.put(Exchange.HTTP_METHOD, "GET");
            headers.put(Exchange.HTTP_QUERY, "To=" + java.net.URLEncoder.encode(m.to(), java.nio.charset.StandardCharsets.UTF_8) + "&PageSize=20");
            String page = twilioLookup.requestBodyAndHeaders("direct:twilio-message-lookup", null, headers, String.class);
            for (com.fasterxml.jackson.databind.JsonNode t : uk.bookinghub.http.Json.MAPPER.readTree(page).path("messages")) {
                boolean same = m.body().equals(t.path("body").asText(null)) && m.to().equals(t.path("to").asText(null))
                        && t.hasNonNull("sid") && !createdBefore(t.path("date_created").asText(null), m.createdAt().minusSeconds(60));
                if (same) {
                    // its analytics event is added by the reconciliation (this step answers the batch to send, not a fact)
                    outbox.sent(m.id(), t.get("sid").asText(), t.path("status").asText(null), t.path("from").asText(null), Math.max(1, m.attempts()),
                            segments(t.path("num_segments").asText(null)), blankToNull(t.path("price").asText(null)), blankToNull(t.path("price_unit").asText(null)));
                    metrics.message(m.channel(), "sent");
                    LOG.warn("[SMS] message {} to {} had reached Twilio ({}) before its sender stopped: recorded, not sent again", m.id(), m.to(),
                            t.get("sid").asText());
                    return true;
                }
            }
        } catch (Exception e) {
            Throwable cause = e instanceof org.apache.camel.CamelExecutionException && e.getCause() != null ? e.getCause() : e;
            LOG.warn("[SMS] could not ask Twilio whether message {} went out before its sender stopped ({}): sending it", m.id(), cause.toString());
        }
        return false;
    }

    /** Twilio's {@code date_created} (RFC 2822, "Thu, 30 Jul 2015 20:12:31 +0000") is before {@code instant}; unknown is not. */
    private static boolean createdBefore(String dateCreated, java.time.Instant instant) {
        if (dateCreated == null || dateCreated.isBlank()) {
            return false;
        }
        try {
            return java.time.ZonedDateTime.parse(dateCreated, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().isBefore(instant);
        } catch (java.time.format.DateTimeParseException e) {
            return false;
        }
    }

    private Map<Long, String> leadPhones(List<OutboxMessage> claimed) {
        List<Long> ids = claimed.stream().filter(m -> !m.isSms() && m.marketing() && m.leadId() != null).map(OutboxMessage::leadId).distinct().toList();
        if (ids.isEmpty()) {
            return Map.of();
        }
        return outbox.leadPhones(ids);
    }

    /** Why this message cannot go out from this hub as configured, or null. */
    private String notConfigured(OutboxMessage m) {
        if (m.isSms()) {
            if (!settings.twilioConfigured()) {
                return "SMS not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN";
            }
            Sender s = smsSender(m.clientId());
            return s == null ? "SMS not configured for this client: no From number or Messaging Service (client smsFromNumber / "
                    + "messagingServiceSid, or TWILIO_FROM_NUMBER / TWILIO_MESSAGING_SERVICE_SID)" : null;
        }
        return settings.mailConfigured() ? null : "email not configured: set SMTP_HOST (or EMAIL_SERVICE=gmail) and EMAIL_USER / EMAIL_PASS";
    }

    private record Sender(String messagingServiceSid, String from) {
        String key() {
            return messagingServiceSid != null ? messagingServiceSid : from;
        }
    }

    /** The client's Messaging Service, else its number, else the hub's defaults in the same order. */
    private Sender smsSender(long clientId) {
        Client.Messaging cm = clients.byId(clientId).map(Client::messaging).orElse(Client.Messaging.NONE);
        if (present(cm.messagingServiceSid())) {
            return new Sender(cm.messagingServiceSid(), null);
        }
        if (present(cm.smsFromNumber())) {
            return new Sender(null, cm.smsFromNumber());
        }
        if (present(settings.defaultMessagingServiceSid())) {
            return new Sender(settings.defaultMessagingServiceSid(), null);
        }
        return present(settings.defaultFrom()) ? new Sender(null, settings.defaultFrom()) : null;
    }

    /** Headers for {@code twilio://message/creator}; waits for the sender's slot under the rate cap. */
    public void prepareSms(Exchange exchange) {
        OutboxMessage m = exchange.getMessage().getBody(OutboxMessage.class);
        exchange.setProperty(MESSAGE, m);
        Sender s = smsSender(m.clientId());
        if (s == null) {
            throw new SendFailures.ChannelNotConfigured("SMS not configured for this client: no From number or Messaging Service");
        }
        var in = exchange.getMessage();
        in.removeHeaders("*");
        in.setHeader("CamelTwilio.to", new PhoneNumber(m.to()));
        if (s.messagingServiceSid() != null) {
            in.setHeader("CamelTwilio.messagingServiceSid", s.messagingServiceSid());
        } else {
            in.setHeader("CamelTwilio.from", new PhoneNumber(s.from()));
        }
        in.setHeader("CamelTwilio.body", m.body());
        exchange.setProperty("outboxSender", s.key());
        smsCap.acquire(s.key());
    }

    /**
     * The body is Twilio's Message: its sid becomes the message's provider id, with Twilio's segments
     * and price when its answer has them. Returns the message's analytics events (message.sent, and
     * any delivery a callback that came first already said), for the route's wire tap.
     */
    public AnalyticsEvent.Source smsSent(Exchange exchange) {
        OutboxMessage m = exchange.getProperty(MESSAGE, OutboxMessage.class);
        Message twilio = exchange.getMessage().getBody(Message.class);
        String sid = twilio == null ? null : twilio.getSid();
        String status = twilio == null || twilio.getStatus() == null ? null : twilio.getStatus().toString();
        Optional<OutboxMessage> after = outbox.sent(m.id(), sid, status, exchange.getProperty("outboxSender", String.class), attempts(exchange),
                twilio == null ? null : segments(twilio.getNumSegments()), twilio == null ? null : blankToNull(twilio.getPrice()),
                twilio == null || twilio.getPriceUnit() == null ? null : twilio.getPriceUnit().getCurrencyCode());
        metrics.message(m.channel(), "sent");
        LOG.info("[SMS] message {} ({}) to {} sent: {} {}", m.id(), m.kind(), m.to(), sid, status);
        return events(after);
    }

    /** The analytics events of a message as it is after a committed result (none if it is gone). */
    static AnalyticsEvent.Source events(Optional<OutboxMessage> after) {
        return AnalyticsEvent.Recorded.of(null, after.map(a -> AnalyticsFacts.messageEvents(a.facts())).orElse(List.of()));
    }

    /** Twilio's num_segments ("2"), or null when absent or not a number. */
    static Integer segments(String numSegments) {
        try {
            return numSegments == null || numSegments.isBlank() ? null : Integer.valueOf(numSegments.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** Headers for camel-mail: only what the email needs (exchange headers would become mail headers). */
    public void prepareEmail(Exchange exchange) {
        OutboxMessage m = exchange.getMessage().getBody(OutboxMessage.class);
        exchange.setProperty(MESSAGE, m);
        var in = exchange.getMessage();
        in.removeHeaders("*");
        in.setHeader("To", m.to());
        in.setHeader("From", settings.mailFrom());
        if (present(m.replyTo())) {
            in.setHeader("Reply-To", m.replyTo());
        }
        in.setHeader("Subject", m.subject());
        if (present(m.html())) {
            in.setBody(m.html());
            in.setHeader("CamelMailAlternativeBody", m.body());
        } else {
            in.setBody(m.body());
        }
        emailCap.acquire(settings.mailFrom());
    }

    /** The SMTP server took the email; returns its message.sent event. */
    public AnalyticsEvent.Source emailSent(Exchange exchange) {
        OutboxMessage m = exchange.getProperty(MESSAGE, OutboxMessage.class);
        String id = exchange.getMessage().getHeader("CamelMailMessageId", String.class);
        Optional<OutboxMessage> after = outbox.sent(m.id(), id, "accepted", settings.mailFrom(), attempts(exchange));
        metrics.message(m.channel(), "sent");
        LOG.info("[EMAIL] message {} ({}) to {} sent: {}", m.id(), m.kind(), m.to(), id);
        return events(after);
    }

    /**
     * A failure no retry can cure: record it and do what it means. Returns the analytics events of
     * what it committed (message.failed, and lead.opted_out for a Twilio 21610).
     */
    public AnalyticsEvent.Source failed(Exchange exchange) {
        OutboxMessage m = exchange.getProperty(MESSAGE, OutboxMessage.class);
        Throwable error = exchange.getException() != null ? exchange.getException() : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        SendFailures.Failure f = SendFailures.classify(error);
        if (m == null) {
            LOG.error("[{}] send failed before the message was known: {}", "SMS", f.text());
            return AnalyticsEvent.Recorded.of(null, List.of());
        }
        String reason = f.text();
        List<AnalyticsEvent> events = new ArrayList<>();
        if (f.twilioCode() != null && f.twilioCode() == SendFailures.TWILIO_UNSUBSCRIBED) {
            Map.Entry<OptOutStore.OptOut, Boolean> added = optOuts.add(m.clientId(), m.to(), "sms_stop", "Twilio 21610: the recipient replied STOP", "twilio:21610");
            if (added.getValue()) {
                events.add(optOuts.event(added.getKey()));
            }
            reason = "recipient replied STOP (Twilio 21610): added to the opt-out list";
        } else if (f.twilioCode() != null && SendFailures.TWILIO_NOT_SMS_CAPABLE.contains(f.twilioCode())) {
            markNotSmsCapable(m);
            reason = f.text() + " (lead marked not SMS-capable)";
        }
        outbox.finish(m.id(), f.status(), reason, f.code(), attempts(exchange), f.text());
        metrics.message(m.channel(), f.status());
        LOG.warn("[{}] message {} ({}) to {} {}: {}", tag(m), m.id(), m.kind(), m.to(), f.status(), reason);
        events.addAll(events(outbox.byId(m.id())).events());
        return AnalyticsEvent.Recorded.of(null, events);
    }

    private void markNotSmsCapable(OutboxMessage m) {
        outbox.markNotSmsCapable(m.clientId(), m.to());
    }

    /** Retries exhausted (dead-letter channel): the message is dead and a dead letter says why; returns its message.failed event. */
    public AnalyticsEvent.Source dead(Exchange exchange) {
        OutboxMessage m = exchange.getProperty(MESSAGE, OutboxMessage.class);
        if (m == null) {
            m = exchange.getMessage().getBody(OutboxMessage.class);
        }
        Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        SendFailures.Failure f = error == null ? new SendFailures.Failure(false, "dead", null, "unknown error", null) : SendFailures.classify(error);
        int attempts = attempts(exchange);
        OutboxMessage dead = m;
        String reason = "retries exhausted after " + attempts + " attempts: " + f.text();
        deadLetters.storeMessage(m.id(), m.clientId(), exchange.getProperty(Exchange.FAILURE_ROUTE_ID, String.class),
                exchange.getProperty(Exchange.FAILURE_ENDPOINT, String.class), m.view(), error,
                c -> outbox.finish(c, dead.id(), "dead", reason, f.code(), attempts, f.text()));
        metrics.message(m.channel(), "dead");
        LOG.error("[{}] message {} ({}) to {} is dead after {} attempts: {}", tag(m), m.id(), m.kind(), m.to(), attempts, f.text());
        return events(outbox.byId(m.id()));
    }

    /**
     * The dead-letter channel's onRedelivery hook ({@code outboxRedelivery}): counts the retries on
     * the exchange itself, because the redelivery headers do not survive every producer (camel-mail)
     * nor the hand-over to the dead-letter channel.
     */
    public void onRedelivery(Exchange exchange) {
        int redeliveries = exchange.getProperty("outboxRedeliveries", 0, Integer.class) + 1;
        exchange.setProperty("outboxRedeliveries", redeliveries);
        OutboxMessage m = exchange.getProperty(MESSAGE, OutboxMessage.class);
        Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (m != null) {
            // visible in GET /api/messages while it is being retried: "sending, attempt 3, last error ..."
            outbox.retrying(m.id(), redeliveries, error == null ? null : SendFailures.classify(error).text());
        }
    }

    private static int attempts(Exchange exchange) {
        return 1 + exchange.getProperty("outboxRedeliveries", 0, Integer.class);
    }

    private static String tag(OutboxMessage m) {
        return m.isSms() ? "SMS" : "EMAIL";
    }

    private static boolean present(String s) {
        return s != null && !s.isBlank();
    }
}
