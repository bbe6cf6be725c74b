package uk.bookinghub.clients;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The work a client's state holds (a suspended client's queued messages and leads, a trial client's
 * for anyone but its owner): counted at most once a minute by the caller's pass (the outbox sender, the
 * dialler) and logged when the counts change, so a held backlog is visible without a line every tick.
 * Held work is not failed: it goes out at the first pass after its client may send it.
 */
public final class HeldWork {

    private static final Logger LOG = LoggerFactory.getLogger(HeldWork.class);
    private static final long EVERY_NANOS = Duration.ofMinutes(1).toNanos();

    private final String what;
    private final Supplier<Map<String, Long>> count;
    private volatile long countedAt = System.nanoTime() - EVERY_NANOS;
    private volatile Map<String, Long> logged = Map.of();

    /** {@code what}: the held items and where they go, for the log line; {@code count}: held items by "client key (state)". */
    public HeldWork(String what, Supplier<Map<String, Long>> count) {
        this.what = what;
        this.count = count;
    }

    /** Counts and logs when a minute has passed since the last count; a failed count is only noted (it is a log line, not the work). */
    public void report() {
        long now = System.nanoTime();
        if (now - countedAt < EVERY_NANOS) {
            return;
        }
        countedAt = now;
        try {
            Map<String, Long> held = count.get();
            if (!held.equals(logged)) {
                logged = held;
                if (!held.isEmpty()) {
                    LOG.warn("[SIGNUP] {} held by their client's state (they go out once it may: active, or trial to its owner): {}", what, held);
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("[SIGNUP] could not count the held {}: {}", what, e.toString());
        }
    }
}
