package uk.bookinghub.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * The hub's business facts as Prometheus meters on {@code /observe/metrics}: each is counted by the
 * bean that committed it, after the commit (a fact that rolled back is never counted). Meters are
 * registered once and then looked up by their label value in a small map, so a count costs a map
 * read and an add; the outbox gauges read a snapshot at most every few seconds, never a query per
 * scrape. Names and labels are snake_case; Prometheus adds {@code _total} to the counters.
 */
public final class BusinessMetrics {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BusinessMetrics.class);

    /** For beans built without the hub's registry (unit tests): counts into a registry no one reads. */
    public static final BusinessMetrics NONE = new BusinessMetrics(new SimpleMeterRegistry());

    /** The outbox numbers /health shows under messaging.outbox. */
    public record OutboxBacklog(long due, long oldestDueSeconds) {
    }

    static final String MESSAGES = "hub.messages";
    static final String CALLS = "hub.calls";
    static final String BOOKINGS = "hub.bookings";
    static final String DIALLER = "hub.dialler.decisions";
    static final String WEBHOOKS = "hub.webhook.responses";
    static final String BATCH = "hub.batch.duration";

    private final MeterRegistry registry;
    private final Map<String, Counter> messages = new ConcurrentHashMap<>();
    private final Map<String, Counter> calls = new ConcurrentHashMap<>();
    private final Map<String, Counter> bookings = new ConcurrentHashMap<>();
    private final Map<String, Counter> dialler = new ConcurrentHashMap<>();
    private final Map<String, AtomicReferenceArray<Counter>> webhooks = new ConcurrentHashMap<>();
    private final Timer reminders;
    private final Timer followUps;
    private final Timer weeklyReports;

    public BusinessMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (String channel : new String[] {"sms", "email"}) {
            for (String status : new String[] {"sent", "delivered", "undelivered", "failed", "dead", "skipped", "not_configured"}) {
                message(channel, status, 0);
            }
        }
        for (String outcome : uk.bookinghub.calls.OutcomeMapper.OUTCOMES) {
            callCounter(outcome);
        }
        for (String action : new String[] {"booked", "cancelled", "moved"}) {
            bookingCounter(action);
        }
        for (String decision : new String[] {"placed", "failed"}) {
            diallerCounter(decision, "none");
        }
        for (String source : new String[] {"vapi", "twilio"}) {
            webhookCounter(source, 200);
        }
        reminders = batchTimer("reminders");
        followUps = batchTimer("follow_ups");
        weeklyReports = batchTimer("weekly_reports");
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** A message reached this status in the outbox (channel sms or email). */
    public void message(String channel, String status) {
        message(channel, status, 1);
    }

    private void message(String channel, String status, int n) {
        messages.computeIfAbsent(channel + '|' + status, k -> Counter.builder(MESSAGES)
                .description("Messages that reached a status in the outbox, by channel (sms, email) and status (sent, delivered, failed, dead, skipped, not_configured...)")
                .tag("channel", channel).tag("status", status).register(registry)).increment(n);
    }

    /** An end-of-call report recorded for the first time (a retried delivery of the same report is not counted). */
    public void call(String outcome) {
        callCounter(outcome == null ? "unknown" : outcome).increment();
    }

    private Counter callCounter(String outcome) {
        return calls.computeIfAbsent(outcome, o -> Counter.builder(CALLS)
                .description("Calls ended, by the outcome of their end-of-call report (counted once per call)")
                .tag("outcome", o).register(registry));
    }

    /** An appointment booked, cancelled or moved, after its commit. */
    public void booking(String action) {
        bookingCounter(action).increment();
    }

    private Counter bookingCounter(String action) {
        return bookings.computeIfAbsent(action, a -> Counter.builder(BOOKINGS)
                .description("Appointments booked, cancelled or moved (action)")
                .tag("action", a).register(registry));
    }

    /** What the dialler decided for a lead: placed, failed, or blocked with the compliance rule that blocked it. */
    public void diallerDecision(String decision, String rule) {
        diallerCounter(decision, rule == null || rule.isBlank() ? "none" : rule).increment();
    }

    private Counter diallerCounter(String decision, String rule) {
        return dialler.computeIfAbsent(decision + '|' + rule, k -> Counter.builder(DIALLER)
                .description("Dialler decisions: calls placed, dials failed, and dials blocked with the calling rule that blocked them (rule none otherwise)")
                .tag("decision", decision).tag("rule", rule).register(registry));
    }

    /** Counts the answers to one sender's webhooks; take it once (a route policy), then count per request with no lookup by name. */
    public WebhookAnswers webhookAnswers(String source) {
        return status -> webhookCounter(source, status).increment();
    }

    /** The HTTP status each webhook request of one sender was answered with. */
    @FunctionalInterface
    public interface WebhookAnswers {
        void answered(int status);
    }

    private Counter webhookCounter(String source, int status) {
        int code = status < 100 || status > 599 ? 500 : status;
        AtomicReferenceArray<Counter> bySource = webhooks.computeIfAbsent(source, s -> new AtomicReferenceArray<>(600));
        Counter c = bySource.get(code);
        if (c == null) {
            c = Counter.builder(WEBHOOKS)
                    .description("Webhook requests answered, by sender (vapi, twilio) and HTTP status")
                    .tag("source", source).tag("status", Integer.toString(code)).register(registry);
            bySource.set(code, c);
        }
        return c;
    }

    private Timer batchTimer(String batch) {
        return Timer.builder(BATCH)
                .description("How long a scheduled batch took (reminders, follow_ups, weekly_reports)")
                .tag("batch", batch).register(registry);
    }

    /** The reminders batch took {@code nanos}. */
    public void remindersBatch(long nanos) {
        reminders.record(Duration.ofNanos(nanos));
    }

    /** The follow-ups batch took {@code nanos}. */
    public void followUpsBatch(long nanos) {
        followUps.record(Duration.ofNanos(nanos));
    }

    /** The weekly report batch took {@code nanos}. */
    public void weeklyReportsBatch(long nanos) {
        weeklyReports.record(Duration.ofNanos(nanos));
    }

    /**
     * The outbox gauges, read from {@code backlog} at most once per {@code maxAge}: a scrape in between
     * sees the last numbers. A failed read shows NaN until the next one succeeds.
     */
    public void outbox(Supplier<OutboxBacklog> backlog, Duration maxAge) {
        CachedBacklog cached = new CachedBacklog(backlog, maxAge.toNanos());
        Gauge.builder("hub.outbox.due.messages", cached, CachedBacklog::due).strongReference(true) // else Micrometer holds it weakly and it is collected
                .description("Messages queued in the outbox whose send time has come (the number /health shows as messaging.outbox.due)")
                .register(registry);
        Gauge.builder("hub.outbox.oldest.due.seconds", cached, CachedBacklog::oldestDueSeconds).strongReference(true)
                .description("How late the oldest due outbox message is, in seconds (messaging.outbox.oldestDueSeconds in /health)")
                .register(registry);
    }

    private static final class CachedBacklog {
        private final Supplier<OutboxBacklog> source;
        private final long maxAgeNanos;
        private OutboxBacklog last;
        private long readAt;

        CachedBacklog(Supplier<OutboxBacklog> source, long maxAgeNanos) {
            this.source = source;
            this.maxAgeNanos = maxAgeNanos;
        }

        private synchronized OutboxBacklog current() {
            long now = System.nanoTime();
            if (last == null && readAt != 0 && now - readAt < maxAgeNanos) {
                return null; // the last read failed: not again before maxAge
            }
            if (readAt == 0 || now - readAt >= maxAgeNanos) {
                readAt = now;
                try {
                    last = source.get();
                } catch (RuntimeException e) {
                    last = null;
                    LOG.warn("[METRICS] cannot read the outbox backlog: {}", e.toString());
                }
            }
            return last;
        }

        double due() {
            OutboxBacklog b = current();
            return b == null ? Double.NaN : b.due();
        }

        double oldestDueSeconds() {
            OutboxBacklog b = current();
            return b == null ? Double.NaN : b.oldestDueSeconds();
        }
    }
}
