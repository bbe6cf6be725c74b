package uk.bookinghub.messaging;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A send rate cap per sender (a From number, a Messaging Service, the SMTP account): callers
 * take evenly spaced slots, so a burst of reminders leaves at the cap instead of being refused by
 * Twilio's queue. {@code perSecond <= 0} means no cap.
 */
public final class RateCap {

    private final double perSecond;
    private final long intervalNanos;
    private final ConcurrentHashMap<String, long[]> next = new ConcurrentHashMap<>();

    public RateCap(double perSecond) {
        this.perSecond = perSecond;
        this.intervalNanos = perSecond > 0 ? (long) (1_000_000_000L / perSecond) : 0;
    }

    public double perSecond() {
        return perSecond;
    }

    /** Waits for this sender's next slot. */
    public void acquire(String sender) {
        if (intervalNanos == 0) {
            return;
        }
        long[] slot = next.computeIfAbsent(sender == null ? "" : sender, k -> new long[] {System.nanoTime()});
        long mine;
        synchronized (slot) {
            long now = System.nanoTime();
            // an idle sender does not bank a burst: at most one slot of credit
            mine = Math.max(slot[0], now - intervalNanos);
            slot[0] = mine + intervalNanos;
        }
        long wait;
        while ((wait = mine - System.nanoTime()) > 0) {
            LockSupport.parkNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(100)));
        }
    }
}
