package uk.bookinghub.metrics;

import org.apache.camel.CamelContext;
import org.apache.camel.component.micrometer.eventnotifier.MicrometerRouteEventNotifier;
import org.apache.camel.spi.EventNotifier;

import java.lang.reflect.Field;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps Camel's event notifiers to what they are for (issue 19). Camel walks the list of started notifiers at every
 * asynchronous hand-over of every exchange, and two things in Camel 4.17 made that walk the largest single cost found
 * on the webhook path (5.5 % of its CPU samples; W1 +20 % without it: BENCHMARKS.md "Speed as operators run it"):
 * <ul>
 *   <li>camel-platform-http-main's HTTP servers add one more "endpoints summary" notifier each time a route starts
 *       after the context has started: the route controller starts all 136 routes after it (272 notifiers on the hub's
 *       two servers), and a live reload adds more, without end. One per server is needed: the rest are removed here.</li>
 *   <li>notifiers that only want route or context events but do not say they ignore exchange events (Camel's
 *       Micrometer route notifier, the summary ones) make Camel build exchange events for them: they are told.</li>
 * </ul>
 * Run after the context has fully started and after every route reload; RoutesLoadTest and RouteReloadTest check it.
 */
public final class EventNotifiers {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EventNotifiers.class);
    private static final String SUMMARY = "org.apache.camel.component.platform.http.main.MainHttpServerUtil$";

    private EventNotifiers() {
    }

    /** Removes the repeated summary notifiers and marks the route-only ones; returns how many were removed. */
    public static synchronized int tidy(CamelContext camel) {
        var strategy = camel.getManagementStrategy();
        Map<Object, Boolean> servers = new IdentityHashMap<>();
        int removed = 0;
        for (EventNotifier n : List.copyOf(strategy.getEventNotifiers())) {
            boolean summary = n.getClass().getName().startsWith(SUMMARY);
            if (summary) {
                Object server = outer(n);
                if (server != null && servers.put(server, Boolean.TRUE) != null) {
                    strategy.removeEventNotifier(n);
                    removed++;
                    continue;
                }
            }
            if (summary || n instanceof MicrometerRouteEventNotifier) {
                n.setIgnoreExchangeEvents(true);
                n.setIgnoreStepEvents(true);
            }
        }
        boolean listened = false;
        for (EventNotifier n : strategy.getEventNotifiers()) {
            listened |= !n.isIgnoreExchangeEvents();
        }
        camel.getCamelContextExtension().setEventNotificationApplicable(listened);
        if (removed > 0) {
            LOG.debug("Camel event notifiers: {} repeated HTTP endpoint-summary notifiers removed, {} left", removed,
                    strategy.getEventNotifiers().size());
        }
        return removed;
    }

    private static volatile boolean warned;

    /** The summary notifier's enclosing listener (one per HTTP server); null when Camel's layout is not the known one. */
    private static Object outer(EventNotifier n) {
        try {
            Field f = n.getClass().getDeclaredField("this$0");
            f.setAccessible(true);
            return f.get(n);
        } catch (ReflectiveOperationException | RuntimeException e) {
            if (!warned) {
                warned = true;
                LOG.warn("Camel's HTTP endpoint-summary notifiers could not be told apart ({}): repeated ones are kept, "
                        + "and every exchange pays for walking them (issue 19)", e.toString());
            }
            return null;
        }
    }
}
