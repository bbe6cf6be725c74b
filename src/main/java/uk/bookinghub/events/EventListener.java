package uk.bookinghub.events;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * PostgreSQL only: a connection of its own (not from the pool; {@code application_name}
 * {@value #APPLICATION_NAME}) that LISTENs on {@code hub_events} and wakes the {@link EventTail} with
 * each announced id, so an event committed by any hub instance reaches this instance's streams at once.
 *
 * <p>pgjdbc does not notice a dead socket while it waits for notifications, so the wait is bounded
 * ({@code checkMs}) and each quiet interval ends with a LISTEN round trip (the connection has a
 * socket timeout): a connection that broke, or was terminated by the server, is closed and opened
 * again with back-off (1 s doubling to 30 s), and LISTENs again. Meanwhile the tail polls every few
 * seconds, and it reads once more as soon as the listener is back, so nothing is lost either way.
 */
final class EventListener extends BackgroundThread {

    private static final Logger LOG = LoggerFactory.getLogger(EventListener.class);

    /** The listening connection's name in {@code pg_stat_activity}. */
    static final String APPLICATION_NAME = "hub-events-listener";

    private final EventStore store;
    private final EventTail tail;
    private final int checkMs;
    private volatile boolean listening;
    private volatile Connection connection;

    EventListener(EventStore store, EventTail tail, int checkMs) {
        super("hub-events-listen");
        this.store = store;
        this.tail = tail;
        this.checkMs = Math.max(100, checkMs);
    }

    void start() {
        startThread();
    }

    /** Whether the listening connection is up (the /health view of the stream). */
    boolean listening() {
        return listening;
    }

    @Override
    void loop() {
        long backoffMs = 1000;
        int failures = 0;
        while (running) {
            try (Connection c = store.openListener(APPLICATION_NAME, Math.max(5, checkMs * 2 / 1000 + 5))) {
                connection = c;
                listening = true;
                LOG.info("[EVENTS] listening for new events (LISTEN {}){}", EventStore.CHANNEL,
                        failures > 0 ? " again after " + failures + " failed attempt(s)" : "");
                failures = 0;
                backoffMs = 1000;
                tail.wake(); // whatever committed while nobody listened
                while (running) {
                    List<Long> ids = store.announced(c, checkMs);
                    if (ids.isEmpty()) {
                        store.listen(c); // the health check: a round trip
                    } else {
                        ids.forEach(tail::announced);
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    return;
                }
                failures++;
                if (listening || failures == 1 || failures % 20 == 0) {
                    LOG.warn("[EVENTS] the listening connection is {} ({}); the stream tail polls meanwhile; trying again in {} ms",
                            listening ? "lost" : "not up", e.getMessage(), backoffMs);
                }
                listening = false;
                sleepQuietly(backoffMs);
                backoffMs = Math.min(backoffMs * 2, 30_000);
            } finally {
                listening = false;
                connection = null;
            }
        }
    }

    @Override
    void beforeStop() {
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
    }
}
