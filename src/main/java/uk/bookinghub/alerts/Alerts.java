package uk.bookinghub.alerts;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.store.Database;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The alert engine (bean {@code alerts}), grouped and rate-limited the way Alertmanager does it:
 * one notification when a group starts firing, a repeat while it still fires at most every
 * {@code repeatInterval}, one "resolved" when it stops. Groups are causes: an error fingerprint,
 * the database, the outbox, a batch route, a client's quality figure.
 *
 * <p>Rules. A critical error fires its group at once; {@code thresholdCount} errors of one cause
 * within {@code thresholdWindow} fire that cause's group, and as many of any causes fire
 * {@code errors:all}; a dead letter or a failed batch fires at once; the database check, the
 * outbox lag and the quality figures are conditions that fire and resolve as measured. Error and
 * dead-letter groups resolve once nothing new has happened for {@code resolveAfter}; a batch's
 * group when the batch next succeeds.
 *
 * <p>Several hubs on one database: every start, repeat and resolution is decided by the database
 * (a unique episode, a conditional update), so each notification leaves once. The one exception
 * is the database itself: while it cannot be reached, each hub decides in memory, and says which
 * hub it is; what fails because of it meanwhile is inhibited (logged, not announced).
 *
 * <p>Callers never wait: {@link #occurred} and {@link #condition} queue the signal for the alert
 * thread, which merges a burst into one database round trip per group.
 */
public final class Alerts implements AlertSink, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Alerts.class);

    /** Rules whose groups resolve once quiet for resolveAfter (the others resolve when told). */
    static final Set<String> QUIET_RESOLVES = Set.of("critical-error", "error-rate", "error-volume", "dead-letters");

    /** Configuration (hub.alerts.*). */
    public record Settings(int thresholdCount, Duration thresholdWindow, Duration repeatInterval, Duration resolveAfter,
                           Duration outboxLag, Duration evaluateEvery, String publicBaseUrl, String instance) {
    }

    private record Signal(AlertSignal s, boolean condition, boolean active, long count, Instant first, Instant last) {
        Signal merge(Signal o) {
            if (!condition && !o.condition) {
                return new Signal(o.s, false, true, count + o.count, first.isBefore(o.first) ? first : o.first, o.last);
            }
            return o; // the latest measurement of a condition wins
        }
    }

    /** A group this hub decided in memory (the database could not be reached). */
    private static final class MemoryAlert {
        AlertSignal s;
        long count;
        Instant first;
        Instant last;
        Instant lastNotified;
        final String id = UUID.randomUUID().toString();
    }

    private final AlertStore store;
    private final Clock clock;
    private final Settings settings;
    private final AlertDelivery delivery;
    private final Object lock = new Object();
    private final LinkedHashMap<String, Signal> waiting = new LinkedHashMap<>();
    private final Map<String, MemoryAlert> memory = new HashMap<>();
    /** When this hub's database alert last resolved: signals raised before it are consequences of the outage. */
    private Instant databaseBackAt;
    /** How long after the database is back a failure that names the outage is still put down to it. */
    private static final Duration SETTLE_AFTER_DATABASE = Duration.ofMinutes(1);
    private volatile Supplier<Map<String, Object>> outbox;
    private volatile Instant lastEvaluation = Instant.EPOCH;
    private volatile Instant lastEvaluationDone;
    private Thread worker;
    private volatile boolean stopping;

    public Alerts(Database db, Clock clock, Settings settings, AlertDelivery delivery) {
        this.store = new AlertStore(db);
        this.clock = clock;
        this.settings = settings;
        this.delivery = delivery;
    }

    /** Starts the alert thread; {@code outbox} is the outbox backlog (oldestDueSeconds) for the lag rule. */
    public void start(Supplier<Map<String, Object>> outbox) {
        this.outbox = outbox;
        synchronized (lock) {
            if (worker == null) {
                worker = new Thread(this::run, "hub-alerts");
                worker.setDaemon(true);
                worker.start();
            }
        }
    }

    public AlertDelivery delivery() {
        return delivery;
    }

    public Settings settings() {
        return settings;
    }

    @Override
    public void occurred(AlertSignal signal) {
        Instant now = clock.instant();
        offer(new Signal(signal, false, true, Math.max(1, signal.count()), now, now));
    }

    @Override
    public void condition(AlertSignal signal, boolean active) {
        Instant now = clock.instant();
        offer(new Signal(signal, true, active, signal.count(), now, now));
    }

    private void offer(Signal s) {
        synchronized (lock) {
            waiting.merge(s.s.groupKey(), s, Signal::merge);
            lock.notifyAll();
        }
    }

    // ---- the alert thread ----------------------------------------------------------------------------

    private void run() {
        while (!stopping) {
            try {
                List<Signal> work;
                synchronized (lock) {
                    if (waiting.isEmpty()) {
                        long untilTick = Duration.between(clock.instant(), lastEvaluation.plus(settings.evaluateEvery())).toMillis();
                        if (untilTick > 0) {
                            lock.wait(Math.min(untilTick, 1000));
                        }
                    }
                    work = new ArrayList<>(waiting.values());
                    waiting.clear();
                }
                for (Signal s : work) {
                    try {
                        apply(s);
                    } catch (RuntimeException e) { // one group's trouble never holds back the others
                        LOG.error("[ALERTS] alert {} could not be processed: {}", s.s.groupKey(), e.toString());
                    }
                }
                if (!clock.instant().isBefore(lastEvaluation.plus(settings.evaluateEvery()))) {
                    lastEvaluation = clock.instant();
                    evaluate();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("[ALERTS] alert thread: {}", e.toString());
                pause();
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One signal: start, count, repeat or resolve its group. */
    void apply(Signal sig) {
        String key = sig.s.groupKey();
        if (key.startsWith("database:") || memory.containsKey(key)) {
            applyInMemory(sig);
            return;
        }
        if (sig.active && memory.containsKey("database:down")) {
            inhibited(sig, "the database is down and its own alert is firing");
            return;
        }
        if (sig.active && databaseBackAt != null && !sig.first.isAfter(databaseBackAt)) {
            inhibited(sig, "raised while the database was down (its own alert covered it)");
            return;
        }
        if (sig.active && databaseBackAt != null && sig.first.isBefore(databaseBackAt.plus(SETTLE_AFTER_DATABASE)) && causedByDatabase(sig.s)) {
            // work that was already failing on the outage finishes (retries exhausted, a batch ends) just after
            // the database is back: the database's alert covered it
            inhibited(sig, "a failure of the database outage that ended at " + databaseBackAt);
            return;
        }
        try {
            AlertStore.Row r = store.latest(key);
            boolean firing = r != null && "firing".equals(r.state());
            if (!sig.active) {
                if (firing) {
                    resolve(r);
                }
                return;
            }
            if (firing) {
                if (!key.startsWith("errors:")) { // error groups are counted from error_log (evaluate)
                    store.seen(r.id(), sig.condition ? 0 : sig.count, sig.last, sig.condition ? sig.s.detail() : null);
                }
                maybeRepeat(store.byId(r.id()));
                return;
            }
            long count = sig.count;
            Instant first = sig.first;
            if (key.startsWith("errors:") && sig.s.fingerprint() != null) { // counted from its error_log rows in the window
                AlertStore.ErrorCount c = store.errorCount(sig.s.fingerprint(), sig.first.minus(settings.thresholdWindow()));
                count = Math.max(1, c.n());
                first = c.n() == 0 ? sig.first : c.first();
            }
            Long id = store.open(sig.s, r == null ? 1 : r.episode() + 1, "firing", count, first, sig.last, clock.instant());
            if (id != null) {
                LOG.error("[CRITICAL ALERT] {} ({}): {}", sig.s.title(), key, sig.s.detail());
                notify(id, "firing", sig.s, count, first);
            }
        } catch (RuntimeException e) {
            if (isDatabaseDown(e)) {
                inhibited(sig, "the database cannot be reached (" + e.getMessage() + ")");
            } else {
                throw e;
            }
        }
    }

    /**
     * Alertmanager's inhibition: while the database is down, what fails because of it (batches, dead
     * letters, errors) is not announced on top of the database's own alert. It is logged, and once the
     * database is back, a cause that persists fires from its error_log rows as usual.
     */
    private void inhibited(Signal sig, String why) {
        LOG.warn("[ALERTS] not announced, {}: {} ({})", why, sig.s.title(), sig.s.groupKey());
    }

    /** Whether a signal says it failed because the database could not be reached. */
    private static boolean causedByDatabase(AlertSignal s) {
        String d = (s.title() == null ? "" : s.title()) + " " + (s.detail() == null ? "" : s.detail());
        return d.contains("DatabaseUnavailableException") || d.contains("database unavailable");
    }

    private static boolean isDatabaseDown(Throwable e) {
        return e instanceof uk.bookinghub.store.DatabaseUnavailableException || uk.bookinghub.store.Dialect.isUnavailable(e);
    }

    private void applyInMemory(Signal sig) {
        String key = sig.s.groupKey();
        Instant now = clock.instant();
        MemoryAlert m = memory.get(key);
        if (!sig.active) {
            if (m != null) {
                memory.remove(key);
                if (key.equals("database:down")) {
                    databaseBackAt = sig.last;
                }
                notifyMemory(m, "resolved");
                recordAfterTheFact(m, now);
            }
            return;
        }
        if (m == null) {
            m = new MemoryAlert();
            m.s = sig.s;
            m.first = sig.first;
            m.count = sig.count;
            m.last = sig.last;
            m.lastNotified = now;
            memory.put(key, m);
            LOG.error("[CRITICAL ALERT] {} ({}): {}", sig.s.title(), key, sig.s.detail());
            notifyMemory(m, "firing");
            return;
        }
        m.count += sig.condition ? 0 : sig.count;
        m.last = sig.last;
        if (sig.condition) {
            m.s = sig.s;
        }
        if (Duration.between(m.lastNotified, now).compareTo(settings.repeatInterval()) >= 0) {
            m.lastNotified = now;
            notifyMemory(m, "repeat");
        }
    }

    private void notifyMemory(MemoryAlert m, String kind) {
        AlertSignal s = m.s;
        String detail = s.detail() + " (seen by hub " + settings.instance() + ")";
        delivery.enqueue(new Notification(m.id + ":" + kind + ":" + m.lastNotified, null, s.groupKey(), kind, s.rule(), s.severity(), s.title(),
                detail, s.service(), s.routeId(), s.clientKey(), m.count, m.first, clock.instant(), link(s)));
    }

    /** A group decided in memory is written to the alert history once it is over (the database is back by then, or it is logged). */
    private void recordAfterTheFact(MemoryAlert m, Instant now) {
        try {
            AlertStore.Row r = store.latest(m.s.groupKey());
            store.open(m.s, r == null ? 1 : r.episode() + 1, "resolved", m.count, m.first, m.last, now);
        } catch (RuntimeException e) {
            LOG.warn("[ALERTS] alert {} ({} to {}) could not be written to the alert history: {}", m.s.groupKey(), m.first, now, e.getMessage());
        }
    }

    private void maybeRepeat(AlertStore.Row r) {
        Instant now = clock.instant();
        if (r != null && "firing".equals(r.state()) && Duration.between(r.lastNotified(), now).compareTo(settings.repeatInterval()) >= 0
                && store.claimRepeat(r.id(), r.lastNotified(), now)) {
            notify(r.id(), "repeat", signalOf(r), r.occurrences(), r.firstSeen());
        }
    }

    private void resolve(AlertStore.Row r) {
        if (store.claimResolve(r.id(), clock.instant())) {
            LOG.warn("[ALERTS] resolved: {} ({}) after {} occurrence(s)", r.title(), r.groupKey(), r.occurrences());
            notify(r.id(), "resolved", signalOf(r), r.occurrences(), r.firstSeen());
        }
    }

    private static AlertSignal signalOf(AlertStore.Row r) {
        return new AlertSignal(r.groupKey(), r.rule(), r.severity(), r.title(), r.detail(), r.service(), r.routeId(), r.fingerprint(),
                r.clientKey(), r.occurrences());
    }

    private void notify(long alertId, String kind, AlertSignal s, long count, Instant since) {
        delivery.enqueue(new Notification(alertId + ":" + kind + ":" + clock.instant().toEpochMilli(), alertId, s.groupKey(), kind, s.rule(),
                s.severity(), s.title(), s.detail(), s.service(), s.routeId(), s.clientKey(), count, since, clock.instant(), link(s)));
    }

    String link(AlertSignal s) {
        String base = settings.publicBaseUrl().replaceAll("/+$", "");
        return s.fingerprint() != null ? base + "/api/error-stats/groups/" + s.fingerprint() : base + "/api/admin/alerts?state=firing";
    }

    // ---- the periodic evaluation ------------------------------------------------------------------------

    /** Error rules, quiet resolutions, repeats and the outbox lag; every evaluateEvery. */
    void evaluate() {
        Instant now = clock.instant();
        try {
            errorRules(now);
            for (AlertStore.Row r : store.firing()) {
                if (r.groupKey().startsWith("errors:")) {
                    r = recount(r);
                }
                if (QUIET_RESOLVES.contains(r.rule()) && Duration.between(r.lastSeen(), now).compareTo(settings.resolveAfter()) >= 0) {
                    resolve(r);
                } else {
                    maybeRepeat(r);
                }
            }
            outboxLag();
        } catch (RuntimeException e) {
            if (!isDatabaseDown(e)) {
                throw e;
            }
            LOG.debug("[ALERTS] evaluation skipped: database down ({})", e.getMessage());
        }
        memoryHousekeeping(now);
        lastEvaluationDone = clock.instant();
    }

    private void errorRules(Instant now) {
        List<AlertStore.ErrorGroup> groups = store.errorGroups(now.minus(settings.thresholdWindow()));
        long total = 0; // errors:all counts the small causes: ones at the threshold or critical have their own alert
        int small = 0;
        for (AlertStore.ErrorGroup g : groups) {
            if (g.count() < settings.thresholdCount() && !"critical".equals(g.severity())) {
                total += g.count();
                small++;
            }
            if (g.count() >= settings.thresholdCount()) {
                AlertSignal s = new AlertSignal("errors:" + g.fingerprint(), "error-rate", g.severity(),
                        g.count() + " errors in " + minutes(settings.thresholdWindow()) + " in " + g.service() + (g.routeId() == null ? "" : " (" + g.routeId() + ")"),
                        g.sample(), g.service(), g.routeId(), g.fingerprint(), null, g.count());
                apply(new Signal(s, false, true, g.count(), g.first(), g.last()));
            }
        }
        if (total >= settings.thresholdCount()) {
            AlertSignal s = new AlertSignal("errors:all", "error-volume", "error",
                    total + " errors in " + minutes(settings.thresholdWindow()) + " across " + small + " cause(s)",
                    "the top causes are in the error-stats API", null, null, null, null, total);
            apply(new Signal(s, false, true, total, now.minus(settings.thresholdWindow()), now));
        }
    }

    private static String minutes(Duration d) {
        return d.toSeconds() % 60 == 0 ? d.toMinutes() + " min" : d.toSeconds() + " s";
    }

    /** An error group's occurrences and last seen from error_log (errors:all: every error since it fired). */
    private AlertStore.Row recount(AlertStore.Row r) {
        if (r.fingerprint() == null) {
            if ("errors:all".equals(r.groupKey())) {
                long n = 0;
                Instant last = r.lastSeen();
                for (AlertStore.ErrorGroup g : store.errorGroups(r.firstSeen())) {
                    n += g.count();
                    last = g.last().isAfter(last) ? g.last() : last;
                }
                store.counted(r.id(), n, last);
            }
        } else {
            AlertStore.ErrorCount c = store.errorCount(r.fingerprint(), r.firstSeen());
            store.counted(r.id(), c.n(), c.last());
        }
        return store.byId(r.id());
    }

    private void outboxLag() {
        Supplier<Map<String, Object>> o = outbox;
        if (o == null) {
            return;
        }
        Object late = o.get().get("oldestDueSeconds");
        long seconds = late instanceof Number n ? n.longValue() : 0;
        boolean lagging = seconds > settings.outboxLag().toSeconds();
        AlertSignal s = AlertSignal.of("outbox:lag", "outbox-lag", "error",
                "The outbox is " + (seconds / 60) + " min behind",
                "the oldest due message has waited " + seconds + " s (limit " + settings.outboxLag().toSeconds() + " s): SMS / email are not leaving");
        if (lagging) {
            apply(new Signal(s, true, true, 0, clock.instant(), clock.instant()));
        } else {
            apply(new Signal(s, true, false, 0, clock.instant(), clock.instant()));
        }
    }

    private void memoryHousekeeping(Instant now) {
        for (MemoryAlert m : new ArrayList<>(memory.values())) {
            if (m.s.groupKey().startsWith("database:")) {
                if (Duration.between(m.lastNotified, now).compareTo(settings.repeatInterval()) >= 0) {
                    m.lastNotified = now;
                    notifyMemory(m, "repeat");
                }
            } else if (Duration.between(m.last, now).compareTo(settings.resolveAfter()) >= 0) {
                applyInMemory(new Signal(m.s, true, false, 0, now, now));
            }
        }
    }

    /** For /health: the engine's own state next to the delivery pipeline's. */
    public Map<String, Object> health() {
        Map<String, Object> out = new LinkedHashMap<>(delivery.health());
        if (lastEvaluationDone != null) {
            out.put("lastEvaluation", lastEvaluationDone.toString());
        }
        return out;
    }

    public List<Map<String, Object>> list(String state, int limit) {
        return store.list(state, limit);
    }

    /** Records a finished delivery (alert_deliveries); the delivery pipeline calls it. */
    public void recordDelivery(AlertDelivery.Delivered d) {
        store.delivered(d);
    }

    @Override
    public void close() {
        stopping = true;
        Thread w = worker;
        if (w != null) {
            w.interrupt();
        }
        delivery.close();
    }
}
