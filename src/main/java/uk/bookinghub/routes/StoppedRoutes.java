package uk.bookinghub.routes;

import io.vertx.ext.web.Router;

import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import uk.bookinghub.api.ApiCatalog;
import uk.bookinghub.api.ApiEndpoint;
import uk.bookinghub.http.Json;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A declared HTTP endpoint whose route is not started (stopped through JMX / Jolokia or by the
 * route controller, starting, suspended) answers like a busy server: 503 with {@code Retry-After}
 * and a JSON error, never a 404 (Vapi and Twilio retry a 503 and give a 404 up as gone). The check
 * sits on the HTTP server's top router, before Camel's routes are matched, and looks the request up
 * in the declared API ({@link ApiCatalog}), so it covers every endpoint of every {@code rest:}
 * block at once. A path nobody declared stays a JSON 404; a route being swapped by a reload is
 * held first ({@link HeldRequests}) and so never answers 503 for that.
 */
public final class StoppedRoutes {

    /** What {@code Retry-After} says: a route stopped by an operator or retried by the route controller. */
    static final int RETRY_AFTER_SECONDS = 5;

    private StoppedRoutes() {
    }

    /** Installs the check on the server's top router, after the hold of a reload ({@link HeldRequests} runs first). */
    public static void answerBusy(Router top, CamelContext camel, ApiCatalog catalog) {
        if (catalog == null) {
            return;
        }
        top.route().order(Integer.MIN_VALUE + 1).handler(ctx -> {
            var request = ctx.request();
            ApiEndpoint endpoint = catalog.match(request.method().name(), request.path());
            ServiceStatus status = endpoint == null ? null : camel.getRouteController().getRouteStatus(endpoint.routeId());
            if (status == null || status.isStarted()) {
                ctx.next(); // not declared (a JSON 404 further on), removed by a reload, or serving
                return;
            }
            request.handler(ignored -> { }); // the body is not wanted; whatever still arrives is discarded
            request.exceptionHandler(ignored -> { });
            ctx.response().setStatusCode(503).putHeader("Retry-After", String.valueOf(RETRY_AFTER_SECONDS))
                    .putHeader("Content-Type", "application/json")
                    .end(Json.write(Map.of("error", request.method().name() + " " + endpoint.path() + " is not available right now (route "
                            + endpoint.routeId() + " is " + status.name().toLowerCase(java.util.Locale.ROOT) + "); retry in "
                            + RETRY_AFTER_SECONDS + " seconds")));
        });
    }

    /** The declared HTTP endpoints' routes that exist but are not started, by id, with their status. */
    static Map<String, ServiceStatus> notStarted(CamelContext camel, ApiCatalog catalog) {
        Map<String, ServiceStatus> down = new java.util.TreeMap<>();
        if (catalog == null) {
            return down;
        }
        Set<String> ids = new TreeSet<>();
        catalog.endpoints().forEach(e -> ids.add(e.routeId()));
        for (String id : ids) {
            ServiceStatus status = camel.getRouteController().getRouteStatus(id);
            if (status != null && !status.isStarted()) {
                down.put(id, status);
            }
        }
        return down;
    }

    /**
     * {@code /observe/health} check {@code http-routes}: DOWN while a declared HTTP endpoint's route
     * is not started, naming those routes. A readiness check only: a stopped route is an operator's
     * decision or the route controller's retry, not a reason to restart the hub.
     */
    public static final class Check extends AbstractHealthCheck {
        private final CamelContext camel;

        public Check(CamelContext camel) {
            super("hub", "http-routes");
            this.camel = camel;
        }

        @Override
        public boolean isLiveness() {
            return false;
        }

        @Override
        protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
            var catalog = camel.getRegistry().lookupByNameAndType("apiCatalog", ApiCatalog.class);
            Map<String, ServiceStatus> down = notStarted(camel, catalog);
            if (down.isEmpty()) {
                builder.up().message("every declared HTTP endpoint's route is started");
            } else {
                builder.detail("routes.not.started", String.join(",", down.keySet()));
                builder.down().message("HTTP routes not started (their endpoints answer 503): " + down.keySet()
                        .stream().map(id -> id + " (" + down.get(id).name().toLowerCase(java.util.Locale.ROOT) + ")")
                        .collect(java.util.stream.Collectors.joining(", ")));
            }
        }
    }
}
