package uk.bookinghub.alerts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.http.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The alert pipeline's own queue, independent of the database: an alert about the database being
 * down must still go out. Each notification waits here until every configured channel has either
 * delivered it or given up; each channel is retried on its own (Slack's 429 after its Retry-After,
 * other failures with back-off from 1 s to 1 min), so Slack failing never holds back email or the
 * other way round. The queue is mirrored to a spool file ({@code hub.alerts.spool-file}, under
 * {@code data/}) so that a restart does not lose an undelivered alert. At most
 * {@code MAX_QUEUED} wait; the oldest is dropped (and logged) beyond that.
 *
 * <p>Heartbeat: when a notification has waited longer than {@code heartbeatAfter} on every channel
 * it could use, the pipeline is {@code degraded} in /health and a {@code [CRITICAL ALERT]} line is
 * logged every minute until it is delivered.
 */
public final class AlertDelivery implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AlertDelivery.class);
    static final int MAX_QUEUED = 1000;
    static final Duration GIVE_UP_AFTER = Duration.ofHours(24);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(1);

    /** One channel's progress with one notification. */
    static final class Try {
        String status = "pending";   // pending, sent, failed, not_configured
        int attempts;
        String lastError;
        Instant nextTry;
        Instant finishedAt;
    }

    static final class Queued {
        final Notification n;
        final Instant queuedAt;
        final Map<String, Try> tries = new LinkedHashMap<>();

        Queued(Notification n, Instant queuedAt) {
            this.n = n;
            this.queuedAt = queuedAt;
        }

        boolean done() {
            return tries.values().stream().noneMatch(t -> "pending".equals(t.status));
        }
    }

    /** A finished delivery of one notification by one channel, for {@code alert_deliveries}. */
    public record Delivered(Notification n, String channel, String status, int attempts, String lastError, Instant queuedAt, Instant finishedAt) {
    }

    private final Clock clock;
    private final Path spool;
    private final Duration heartbeatAfter;
    private final Object lock = new Object();
    private final LinkedHashMap<String, Queued> queue = new LinkedHashMap<>();
    private volatile List<AlertChannel> channels = List.of();
    private volatile Consumer<Delivered> recorder = d -> { };
    private volatile Instant lastDelivered;
    private volatile Instant lastCriticalLine;
    private volatile boolean degraded;
    private Thread worker;
    private volatile boolean stopping;

    public AlertDelivery(Clock clock, Path spool, Duration heartbeatAfter) {
        this.clock = clock;
        this.spool = spool;
        this.heartbeatAfter = heartbeatAfter;
        loadSpool();
    }

    /** The channels, once the messaging settings are known; starts the worker. */
    public void start(List<AlertChannel> channels, Consumer<Delivered> recorder) {
        this.channels = List.copyOf(channels);
        this.recorder = recorder;
        synchronized (lock) {
            for (Queued q : queue.values()) {
                addTries(q);
            }
            if (worker == null) {
                worker = new Thread(this::run, "hub-alert-delivery");
                worker.setDaemon(true);
                worker.start();
            }
            lock.notifyAll();
        }
    }

    public List<AlertChannel> channels() {
        return channels;
    }

    private void addTries(Queued q) {
        for (AlertChannel c : channels) {
            q.tries.computeIfAbsent(c.name(), k -> {
                Try t = new Try();
                if (!c.configured()) {
                    t.status = "not_configured";
                    t.finishedAt = clock.instant();
                }
                return t;
            });
        }
    }

    /** Queues a notification for every channel; returns at once. */
    public void enqueue(Notification n) {
        synchronized (lock) {
            if (queue.containsKey(n.id())) {
                return;
            }
            while (queue.size() >= MAX_QUEUED) {
                var oldest = queue.entrySet().iterator().next();
                LOG.error("[CRITICAL ALERT] alert queue full ({}): dropped the oldest undelivered alert: {}", MAX_QUEUED, oldest.getValue().n.headline());
                queue.remove(oldest.getKey());
            }
            Queued q = new Queued(n, clock.instant());
            addTries(q);
            queue.put(n.id(), q);
            writeSpool();
            lock.notifyAll();
        }
    }

    /** Sends at once on every channel and says what each did (POST /api/admin/alerts/test). */
    public Map<String, Object> sendNow(Notification n) {
        Map<String, Object> out = new LinkedHashMap<>();
        Instant queued = clock.instant();
        for (AlertChannel c : channels) {
            Map<String, Object> r = new LinkedHashMap<>();
            if (!c.configured()) {
                r.put("status", "not_configured");
                r.put("detail", c instanceof EmailChannel e ? e.missing() : "set SLACK_WEBHOOK_URL");
            } else {
                AlertChannel.Outcome o = safeSend(c, n);
                r.put("status", o.delivered() ? "sent" : "failed");
                if (!o.delivered()) {
                    r.put("error", o.error());
                } else {
                    lastDelivered = clock.instant();
                }
            }
            out.put(c.name(), r);
            record(new Delivered(n, c.name(), (String) r.get("status"), c.configured() ? 1 : 0, (String) r.get("error"), queued, clock.instant()));
        }
        return out;
    }

    private AlertChannel.Outcome safeSend(AlertChannel c, Notification n) {
        try {
            return c.send(n);
        } catch (RuntimeException e) {
            return AlertChannel.Outcome.failed(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private void record(Delivered d) {
        try {
            recorder.accept(d);
        } catch (RuntimeException e) {
            LOG.warn("[ALERTS] could not record the delivery of {} by {}: {}", d.n().id(), d.channel(), e.getMessage());
        }
    }

    private void run() {
        while (!stopping) {
            try {
                if (!deliverDue()) {
                    synchronized (lock) {
                        long wait = millisToNextTry();
                        if (wait > 0) {
                            lock.wait(wait);
                        }
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("[ALERTS] delivery worker: {}", e.toString());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private long millisToNextTry() {
        Instant now = clock.instant();
        long min = 1000; // look again at least every second (the clock may be moved; new work notifies)
        for (Queued q : queue.values()) {
            for (Try t : q.tries.values()) {
                if ("pending".equals(t.status)) {
                    long ms = t.nextTry == null ? 0 : Duration.between(now, t.nextTry).toMillis();
                    min = Math.min(min, Math.max(0, ms));
                }
            }
        }
        return min;
    }

    /** One pass over the queue; true when something was tried. */
    private boolean deliverDue() {
        List<Queued> work;
        synchronized (lock) {
            work = new ArrayList<>(queue.values());
        }
        boolean tried = false;
        for (Queued q : work) {
            for (AlertChannel c : channels) {
                Try t = q.tries.get(c.name());
                Instant now = clock.instant();
                if (t == null || !"pending".equals(t.status) || (t.nextTry != null && now.isBefore(t.nextTry))) {
                    continue;
                }
                tried = true;
                AlertChannel.Outcome o = safeSend(c, q.n);
                t.attempts++;
                now = clock.instant();
                if (o.delivered()) {
                    t.status = "sent";
                    t.lastError = null;
                    t.finishedAt = now;
                    lastDelivered = now;
                    LOG.info("[ALERTS] {} delivered by {} after {} attempt(s)", q.n.headline(), c.name(), t.attempts);
                } else {
                    t.lastError = o.error();
                    if (o.permanent() || Duration.between(q.queuedAt, now).compareTo(GIVE_UP_AFTER) > 0) {
                        t.status = "failed";
                        t.finishedAt = now;
                        LOG.error("[CRITICAL ALERT] alert {} could not be delivered by {}: {}", q.n.headline(), c.name(), o.error());
                    } else {
                        Duration wait = o.retryAfter() != null ? o.retryAfter()
                                : Duration.ofSeconds(1L << Math.min(6, t.attempts - 1));
                        if (o.retryAfter() == null && wait.compareTo(MAX_BACKOFF) > 0) {
                            wait = MAX_BACKOFF;
                        }
                        t.nextTry = now.plus(wait);
                        LOG.warn("[ALERTS] {} not delivered by {} (attempt {}): {}; next try in {} s", q.n.headline(), c.name(), t.attempts, o.error(), wait.toSeconds());
                    }
                }
                if (!"pending".equals(t.status)) {
                    record(new Delivered(q.n, c.name(), t.status, t.attempts, t.lastError, q.queuedAt, t.finishedAt));
                }
            }
            if (q.done()) {
                synchronized (lock) {
                    queue.remove(q.n.id());
                    writeSpool();
                }
            }
        }
        heartbeat();
        return tried;
    }

    /** Degraded when something has waited longer than heartbeatAfter; a [CRITICAL ALERT] line every minute then. */
    void heartbeat() {
        Instant oldest = oldestPending();
        Instant now = clock.instant();
        boolean late = oldest != null && Duration.between(oldest, now).compareTo(heartbeatAfter) > 0;
        degraded = late;
        if (late && (lastCriticalLine == null || Duration.between(lastCriticalLine, now).toSeconds() >= 60)) {
            lastCriticalLine = now;
            LOG.error("[CRITICAL ALERT] the alert pipeline has not delivered for {} min: {} alert(s) waiting; last errors: {}",
                    Duration.between(oldest, now).toMinutes(), pending(), lastErrors());
        }
    }

    private Instant oldestPending() {
        synchronized (lock) {
            Instant oldest = null;
            for (Queued q : queue.values()) {
                if (!q.done() && (oldest == null || q.queuedAt.isBefore(oldest))) {
                    oldest = q.queuedAt;
                }
            }
            return oldest;
        }
    }

    private String lastErrors() {
        Map<String, String> errors = new LinkedHashMap<>();
        synchronized (lock) {
            for (Queued q : queue.values()) {
                q.tries.forEach((ch, t) -> {
                    if (t.lastError != null) {
                        errors.put(ch, t.lastError);
                    }
                });
            }
        }
        return errors.toString();
    }

    public int pending() {
        synchronized (lock) {
            return (int) queue.values().stream().filter(q -> !q.done()).count();
        }
    }

    public boolean degraded() {
        return degraded;
    }

    /** For /health: each channel configured or not, the queue and the heartbeat. */
    public Map<String, Object> health() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (AlertChannel c : channels) {
            out.put(c.name(), c.configured() ? "configured" : "not configured");
        }
        if (channels.stream().noneMatch(AlertChannel::configured)) {
            out.put("note", "no alert channel is configured: set SLACK_WEBHOOK_URL and/or ADMIN_EMAIL (alerts are only logged)");
        }
        heartbeat();
        out.put("status", degraded ? "degraded" : "ok");
        out.put("pending", pending());
        Instant oldest = oldestPending();
        out.put("oldestPendingSeconds", oldest == null ? 0 : Math.max(0, Duration.between(oldest, clock.instant()).toSeconds()));
        if (lastDelivered != null) {
            out.put("lastDelivered", lastDelivered.toString());
        }
        if (degraded) {
            out.put("error", "alerts have not been delivered for over " + heartbeatAfter.toMinutes() + " min: " + lastErrors());
        }
        return out;
    }

    // ---- spool file -------------------------------------------------------------------------------

    private void writeSpool() {
        if (spool == null) {
            return;
        }
        try {
            Files.createDirectories(spool.toAbsolutePath().getParent());
            StringBuilder b = new StringBuilder();
            for (Queued q : queue.values()) {
                b.append(Json.write(toJson(q))).append('\n');
            }
            Path tmp = spool.resolveSibling(spool.getFileName() + ".tmp");
            Files.writeString(tmp, b.toString(), StandardCharsets.UTF_8);
            Files.move(tmp, spool, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            LOG.warn("[ALERTS] could not write the alert spool {}: {} (alerts stay queued in memory)", spool, e.getMessage());
        }
    }

    private void loadSpool() {
        if (spool == null || !Files.isReadable(spool)) {
            return;
        }
        try {
            for (String line : Files.readAllLines(spool, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    Queued q = fromJson(Json.MAPPER.readTree(line));
                    queue.put(q.n.id(), q);
                }
            }
            if (!queue.isEmpty()) {
                LOG.warn("[ALERTS] {} undelivered alert(s) from before the restart are queued again ({})", queue.size(), spool);
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("[CRITICAL ALERT] the alert spool {} cannot be read ({}); undelivered alerts from before the restart are lost", spool, e.getMessage());
        }
    }

    private static ObjectNode toJson(Queued q) {
        Notification n = q.n;
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", n.id());
        if (n.alertId() != null) {
            o.put("alertId", n.alertId());
        }
        o.put("groupKey", n.groupKey()).put("kind", n.kind()).put("rule", n.rule()).put("severity", n.severity()).put("title", n.title())
                .put("detail", n.detail()).put("service", n.service()).put("routeId", n.routeId()).put("clientKey", n.clientKey())
                .put("count", n.count()).put("since", String.valueOf(n.since())).put("at", String.valueOf(n.at())).put("link", n.link())
                .put("queuedAt", q.queuedAt.toString());
        ObjectNode done = o.putObject("done");
        q.tries.forEach((ch, t) -> {
            if (!"pending".equals(t.status)) {
                done.put(ch, t.status);
            }
        });
        return o;
    }

    private static Queued fromJson(JsonNode o) {
        Notification n = new Notification(o.path("id").asText(), o.hasNonNull("alertId") ? o.get("alertId").asLong() : null,
                o.path("groupKey").asText(), o.path("kind").asText(), o.path("rule").asText(), o.path("severity").asText(),
                o.path("title").asText(), text(o, "detail"), text(o, "service"), text(o, "routeId"), text(o, "clientKey"),
                o.path("count").asLong(), instant(o, "since"), instant(o, "at"), text(o, "link"));
        Queued q = new Queued(n, instant(o, "queuedAt"));
        o.path("done").fields().forEachRemaining(e -> {
            Try t = new Try();
            t.status = e.getValue().asText();
            t.finishedAt = q.queuedAt;
            q.tries.put(e.getKey(), t);
        });
        return q;
    }

    private static String text(JsonNode o, String field) {
        return o.hasNonNull(field) ? o.get(field).asText() : null;
    }

    private static Instant instant(JsonNode o, String field) {
        String s = text(o, field);
        return s == null || "null".equals(s) ? Instant.now() : Instant.parse(s);
    }

    @Override
    public void close() {
        stopping = true;
        Thread w = worker;
        if (w != null) {
            w.interrupt();
        }
    }
}
