package uk.bookinghub.support;

import org.apache.camel.CamelContext;
import org.apache.camel.api.management.ManagedCamelContext;
import org.apache.camel.api.management.mbean.ManagedRouteMBean;

import java.time.Duration;
import java.util.List;


/**
 * Waiting for "nothing more happens" as an event, not a time: a timer or Quartz route (the dialler,
 * the outbox sender, the calendar sync, the reminder crons) has run its batch again, so whatever it
 * would have done twice has been done by the time this returns. Counts the route's finished
 * exchanges through Camel's managed route (JMX statistics, on in every profile).
 */
public final class RouteTicks {

    private RouteTicks() {
    }

    /** Finished exchanges (completed + failed) of the route, summed over these hubs (a clustered schedule fires on one of them). */
    public static long finished(List<CamelContext> camels, String routeId) {
        long n = 0;
        for (CamelContext camel : camels) {
            ManagedCamelContext managed = camel.getCamelContextExtension().getContextPlugin(ManagedCamelContext.class);
            ManagedRouteMBean route = managed == null ? null : managed.getManagedRoute(routeId);
            if (route == null) {
                throw new IllegalStateException("no managed route " + routeId + " (JMX off, or the route id changed?)");
            }
            n += route.getExchangesCompleted() + route.getExchangesFailed();
        }
        return n;
    }

    /**
     * Returns once the route has finished {@code ticks} more runs than now. A run already under way
     * when this is called counts as one, so ask for at least 2 to be sure one whole run started after.
     */
    public static void await(CamelContext camel, String routeId, int ticks) {
        await(List.of(camel), routeId, ticks);
    }

    /** The same over several hubs: {@code ticks} more runs among them. */
    public static void await(List<CamelContext> camels, String routeId, int ticks) {
        long start = finished(camels, routeId);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> finished(camels, routeId) >= start + ticks);
    }
}
