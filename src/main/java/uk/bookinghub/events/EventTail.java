package uk.bookinghub.events;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * This hub instance's reader of the {@code events} table: one thread follows the table in id order
 * and hands each event, once and in order, to the open streams ({@link Sink}). It is woken when an
 * event may have committed (NOTIFY on PostgreSQL, the commit itself on SQLite) and polls every
 * {@code pollMs} anyway, so a lost announcement costs at most that long.
 *
 * <p>Its cursor only moves past an id once nothing below it can still appear. On PostgreSQL ids are
 * taken from a sequence by transactions that commit in any order, so a missing id is either a
 * transaction still writing (its event will come: wait for it) or a rollback (it never will). The
 * tail tells them apart: a transaction that inserts an event holds a lock on {@code events} from
 * before it takes its id until it ends, so once every transaction that held that lock just after
 * the gap was seen has ended, a read that follows sees everything they committed, and what is still
 * missing is final. (The lock table is looked at only for a gap that outlives a re-read: most fill
 * within milliseconds, as the transactions that took the lower ids commit.) On SQLite one writer at a time takes and commits ids: a gap is final at once.
 * A gap still open after {@link #GAP_WAIT_MS} (a transaction that inserted an event and then stayed
 * open that long, which none of the hub's do) is passed with a WARN naming the ids.
 */
final class EventTail extends BackgroundThread {

    private static final Logger LOG = LoggerFactory.getLogger(EventTail.class);

    /** How long a missing id may hold the tail back before it is passed (and logged). */
    static final long GAP_WAIT_MS = 30_000;
    /** How often the tail looks again while a missing id is pending. */
    private static final long GAP_POLL_MS = 10;
    /** Rows read per query. */
    private static final int BATCH = 500;
    /** The least time between two reads when wake-ups come faster (every commit on SQLite). */
    private static final long MIN_GAP_BETWEEN_READS_MS = 10;

    /** Where the events go, in id order, each once. */
    interface Sink {
        void deliver(List<EventStore.Row> rows);
    }

    /** Missing ids from {@code from}; {@code writers} were writing events when it was seen; {@code clear}: none of them is left. */
    private record Gap(long from, long since, Set<String> writers, boolean clear) {
    }

    private final EventStore store;
    private final Sink sink;
    private final long pollMs;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition woken = lock.newCondition();
    private boolean wake;
    private volatile long cursor;
    private volatile long lastReadNanos;
    private volatile String problem;
    private Gap gap;

    EventTail(EventStore store, Sink sink, long pollMs) {
        super("hub-events-tail");
        this.store = store;
        this.sink = sink;
        this.pollMs = Math.max(50, pollMs);
    }

    /** Starts after the events already there: they are history, a stream replays them on request. */
    synchronized void start() {
        if (running) {
            return;
        }
        cursor = store.maxId();
        startThread();
        LOG.info("[EVENTS] stream tail started after event {} (polls every {} ms{})", cursor, pollMs,
                store.announcedByNotify() ? ", woken by NOTIFY " + EventStore.CHANNEL : ", woken by each commit");
    }

    /** Every event up to this id has been handed to the streams (or was final as missing). */
    long cursor() {
        return cursor;
    }

    /** Why the last read failed, or null when it worked. */
    String problem() {
        return problem;
    }

    /** Something may have committed: read soon. Cheap, from any thread. */
    void wake() {
        lock.lock();
        try {
            wake = true;
            woken.signal();
        } finally {
            lock.unlock();
        }
    }

    /** An announced id: nothing to do if the tail is already past it. */
    void announced(long id) {
        if (id == 0 || id > cursor) {
            wake();
        }
    }

    @Override
    void loop() {
        long failures = 0;
        while (running) {
            try {
                awaitWake(gap != null ? GAP_POLL_MS : pollMs);
                if (!running) {
                    return;
                }
                long sinceLast = (System.nanoTime() - lastReadNanos) / 1_000_000;
                if (sinceLast < MIN_GAP_BETWEEN_READS_MS) {
                    Thread.sleep(MIN_GAP_BETWEEN_READS_MS - sinceLast);
                }
                readAll();
                if (failures > 0) {
                    LOG.info("[EVENTS] the stream tail reads the events table again (after {} failed reads)", failures);
                }
                failures = 0;
                problem = null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                failures++;
                problem = e.getMessage();
                if (failures == 1 || failures % 30 == 0) {
                    LOG.warn("[EVENTS] the stream tail cannot read the events table ({} failed reads): {}; streams wait, nothing is lost",
                            failures, e.getMessage());
                }
                sleepQuietly(Math.min(pollMs * failures, 10_000));
            }
        }
    }

    private void awaitWake(long ms) throws InterruptedException {
        lock.lock();
        try {
            long nanos = TimeUnit.MILLISECONDS.toNanos(ms);
            while (!wake && running && nanos > 0) {
                nanos = woken.awaitNanos(nanos);
            }
            wake = false;
        } finally {
            lock.unlock();
        }
    }

    /** Reads and delivers until nothing more can be delivered now. */
    private void readAll() {
        while (running) {
            long before = cursor;
            List<EventStore.Row> rows = store.after(cursor, BATCH);
            lastReadNanos = System.nanoTime();
            List<EventStore.Row> ready = new ArrayList<>(rows.size());
            boolean blocked = false;
            for (EventStore.Row row : rows) {
                long expected = cursor + 1;
                if (row.id() != expected && !gapIsFinal(expected, row.id())) {
                    blocked = true;
                    break;
                }
                gap = null;
                ready.add(row);
                cursor = row.id();
            }
            if (!ready.isEmpty()) {
                // the cursor moves before the hand-over: a stream that opens meanwhile replays up to it from the table
                try {
                    sink.deliver(Collections.unmodifiableList(ready));
                } catch (RuntimeException e) {
                    cursor = before; // handed over again next time (streams skip what they already have)
                    gap = null;
                    throw e;
                }
            }
            if (blocked) {
                if (gap.clear()) {
                    continue; // none of its writers is left: the next read decides
                }
                return;
            }
            if (rows.size() < BATCH) {
                return;
            }
        }
    }

    /**
     * Whether the ids from {@code expected} up to {@code next} (missing in the read just made) will
     * never appear. A gap is first noted with the transactions writing events just after that read;
     * while it stays, they are looked up again, and once none of them is left the gap is "clear": the
     * next read sees whatever they committed, and what it still misses is final.
     */
    private boolean gapIsFinal(long expected, long next) {
        if (!store.idsCommitOutOfOrder()) {
            return true;
        }
        if (gap == null || gap.from() != expected) {
            Set<String> writers = store.writers(); // after the read that showed the gap
            gap = new Gap(expected, System.nanoTime(), writers, writers.isEmpty());
            return false;
        }
        if (gap.clear()) {
            LOG.debug("[EVENTS] ids {}..{} are not used (rolled back or never written)", expected, next - 1);
            return true;
        }
        if (java.util.Collections.disjoint(gap.writers(), store.writers())) {
            gap = new Gap(gap.from(), gap.since(), gap.writers(), true);
            return false;
        }
        long waited = (System.nanoTime() - gap.since()) / 1_000_000;
        if (waited >= GAP_WAIT_MS) {
            LOG.warn("[EVENTS] event ids {}..{} are still missing after {} ms behind a transaction that is still open ({}); passed: a stream "
                    + "may miss them if they commit later", expected, next - 1, waited, gap.writers());
            return true;
        }
        return false;
    }

    @Override
    void beforeStop() {
        wake();
    }
}
