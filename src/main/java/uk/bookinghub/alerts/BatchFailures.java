package uk.bookinghub.alerts;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Route;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.support.RoutePolicySupport;

/**
 * A scheduled batch (a route that starts from {@code quartz:}: reminders, follow-ups, weekly
 * reports, reconciliation...) that fails alerts at once, one group per batch route; the group
 * resolves when that batch next completes cleanly. Only Quartz routes get this policy, so the
 * request path pays nothing. A failure counts whether it escaped or was handled by the dead letter
 * channel (the exception caught is then on the exchange).
 */
public final class BatchFailures implements RoutePolicyFactory {

    private final AlertSink alerts;

    public BatchFailures(AlertSink alerts) {
        this.alerts = alerts;
    }

    @Override
    public RoutePolicy createRoutePolicy(CamelContext camel, String routeId, NamedNode route) {
        String from = route instanceof org.apache.camel.model.RouteDefinition r && r.getInput() != null ? r.getInput().getEndpointUri() : null;
        if (from == null || !from.startsWith("quartz:")) {
            return null;
        }
        return new RoutePolicySupport() {
            @Override
            public void onExchangeDone(Route rt, Exchange exchange) {
                Throwable e = exchange.getException() != null ? exchange.getException()
                        : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
                AlertSignal s = new AlertSignal("batch:" + rt.getRouteId(), "batch-failed", "error",
                        "Scheduled batch " + rt.getRouteId() + " failed",
                        e == null ? "completed" : e.getClass().getSimpleName() + ": " + e.getMessage(), "batch", rt.getRouteId(), null, null, 1);
                if (e != null) {
                    alerts.occurred(s);
                } else {
                    alerts.condition(s, false);
                }
            }
        };
    }
}
