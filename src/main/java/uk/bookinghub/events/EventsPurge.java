package uk.bookinghub.events;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The stream's retention (route {@code events-purge}, every {@code hub.events.purge-every}): events
 * older than {@code keep} (24 h) are deleted, and stream tickets an hour after they expired. Each
 * instance may run it; a delete that finds nothing changes nothing. A stream that asks for events
 * older than what is kept gets a {@code reset} event instead.
 */
public final class EventsPurge {

    private static final Logger LOG = LoggerFactory.getLogger(EventsPurge.class);

    private final EventStore store;
    private final Clock clock;
    private final Duration keep;

    EventsPurge(EventStore store, Clock clock, Duration keep) {
        this.store = store;
        this.clock = clock;
        this.keep = keep;
    }

    public Map<String, Object> run() {
        Instant now = clock.instant();
        int events = store.purge(now.minus(keep));
        int tickets = store.purgeTickets(now.minus(Duration.ofHours(1)));
        if (events > 0 || tickets > 0) {
            LOG.info("[EVENTS] purged {} event(s) older than {} h and {} expired stream ticket(s)", events, keep.toHours(), tickets);
        }
        return Map.of("events", events, "tickets", tickets);
    }
}
