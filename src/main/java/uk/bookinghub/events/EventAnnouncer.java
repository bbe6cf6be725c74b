package uk.bookinghub.events;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * PostgreSQL only: tells the other hub instances that this one committed new events, with one
 * {@code NOTIFY hub_events '<highest event id>'} sent from a pooled connection of its own at most every
 * {@code minGapMs}, after this instance's commits. The events are written by the V18 triggers; they
 * used to NOTIFY row by row inside the writing transaction, which made every such commit take
 * PostgreSQL's database-wide notify lock through its WAL flush (commits one at a time) — V19 took that
 * out. Coalescing loses nothing: a listening instance reads everything after its cursor when woken,
 * and its tail polls anyway.
 */
final class EventAnnouncer extends BackgroundThread {

    private static final Logger LOG = LoggerFactory.getLogger(EventAnnouncer.class);

    private final EventStore store;
    private final long minGapMs;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition dirtied = lock.newCondition();
    private boolean dirty;
    private volatile Thread self;
    private long announced;
    private volatile long sent;

    EventAnnouncer(EventStore store, long minGapMs) {
        super("hub-events-announce");
        this.store = store;
        this.minGapMs = Math.max(1, minGapMs);
    }

    void start() {
        startThread();
    }

    /** This instance committed a write: announce soon. Cheap, from any committing thread. */
    void committed() {
        if (Thread.currentThread() == self) {
            return;
        }
        lock.lock();
        try {
            dirty = true;
            dirtied.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Announcements sent since start (each may cover many events). */
    long sent() {
        return sent;
    }

    @Override
    void loop() {
        self = Thread.currentThread();
        long failures = 0;
        long last = 0;
        while (running) {
            try {
                if (!awaitDirty()) {
                    continue; // nothing committed (or stopping)
                }
                long wait = minGapMs - (System.nanoTime() - last) / 1_000_000;
                if (wait > 0) {
                    Thread.sleep(wait); // commits meanwhile are covered by this announcement
                }
                clear();
                last = System.nanoTime();
                long max = store.maxId();
                if (max > announced) {
                    store.announce(max);
                    announced = max;
                    sent++;
                }
                if (failures > 0) {
                    LOG.info("[EVENTS] new events are announced to the other instances again (after {} failures)", failures);
                }
                failures = 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                failures++;
                if (failures == 1 || failures % 30 == 0) {
                    LOG.warn("[EVENTS] cannot announce new events to the other instances ({} failures): {}; their tails poll, nothing is lost",
                            failures, e.getMessage());
                }
                sleepQuietly(Math.min(100L * failures, 5_000));
            }
        }
    }

    /** Waits up to a second for a commit; whether there was one (and the announcer still runs). */
    private boolean awaitDirty() throws InterruptedException {
        lock.lock();
        try {
            long nanos = TimeUnit.SECONDS.toNanos(1);
            while (!dirty && running && nanos > 0) {
                nanos = dirtied.awaitNanos(nanos);
            }
            return dirty && running;
        } finally {
            lock.unlock();
        }
    }

    private void clear() {
        lock.lock();
        try {
            dirty = false;
        } finally {
            lock.unlock();
        }
    }

    @Override
    void beforeStop() {
        committed();
    }
}
