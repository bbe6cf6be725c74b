package uk.bookinghub;

import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.component.platform.http.HttpEndpointModel;
import org.apache.camel.component.platform.http.PlatformHttpComponent;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.apache.camel.spi.SupervisingRouteController;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A start that cannot serve, fails: the routes folder has route files, both ports are free before
 * Camel starts and really listened on once it has, and no route is left failing to start. Each
 * problem is a {@link CannotStart} whose message says what is wrong and what to do; HubApp turns it
 * into the one {@code [CRITICAL ALERT] The hub cannot start: …} line and exit code 1.
 */
final class StartupChecks {

    private static final Logger LOG = LoggerFactory.getLogger(StartupChecks.class);

    /** Why the hub does not start, in an operator's words. */
    static final class CannotStart extends IllegalStateException {
        CannotStart(String message) {
            super(message);
        }
    }

    private StartupChecks() {
    }

    /** The routes folder exists and holds at least one {@code *.camel.yaml}. */
    static void routesFolder(Path routes) {
        if (!Files.isDirectory(routes)) {
            throw new CannotStart("routes folder not found: " + routes + " (run from the repository root or set HUB_ROUTES_DIR)");
        }
        try (Stream<Path> files = Files.list(routes)) {
            if (files.noneMatch(f -> f.getFileName().toString().endsWith(".camel.yaml"))) {
                throw new CannotStart("no route files (*.camel.yaml) in " + routes
                        + " (the hub would serve nothing: run from the repository root or set HUB_ROUTES_DIR)");
            }
        } catch (IOException e) {
            throw new CannotStart("cannot read the routes folder " + routes + ": " + e.getMessage());
        }
    }

    /** Before Camel starts: the public and the management port can be bound (Vert.x would only log a failed bind and go on). */
    static void portsFree(CamelContext context) {
        Listener pub = Listener.publicServer(context);
        Listener mgmt = Listener.managementServer(context);
        if (pub != null) {
            pub.bindable();
        }
        if (mgmt != null && (pub == null || mgmt.port != pub.port)) {
            mgmt.bindable();
        }
    }

    /** Once Camel has started: both servers listen and every route started. */
    static void serving(CamelContext context) {
        Listener pub = Listener.publicServer(context);
        if (pub != null && !pub.listening(context)) {
            throw pub.taken();
        }
        Listener mgmt = Listener.managementServer(context);
        if (mgmt != null && !mgmt.listening(context)) {
            throw mgmt.taken();
        }
        if (context.getRouteController() instanceof SupervisingRouteController supervisor) {
            List<String> failed = new ArrayList<>();
            List<Route> routes = new ArrayList<>(supervisor.getRestartingRoutes());
            routes.addAll(supervisor.getExhaustedRoutes());
            for (Route route : routes) {
                Throwable cause = supervisor.getRestartException(route.getRouteId());
                if (cause == null && route.getLastError() != null) {
                    cause = route.getLastError().getException();
                }
                failed.add(route.getRouteId() + (route.getSourceResource() == null ? "" : " (" + route.getSourceResource().getLocation() + ")")
                        + ": " + (cause == null ? "did not start" : rootMessage(cause)));
            }
            if (!failed.isEmpty()) {
                throw new CannotStart("route " + String.join("; route ", failed) + " (fix the route file, or what it depends on, and start again)");
            }
        }
        logEndpoints(context, pub, mgmt);
    }

    /** The one-line reason: the hub's own words, or Camel's root cause with the route it belongs to and what to do. */
    static String explain(Throwable failure, Throwable reason) {
        String message = reason.getMessage() == null ? reason.toString() : reason.getMessage();
        if (reason instanceof CannotStart || reason.getClass().getName().startsWith("uk.bookinghub.")) {
            return message;
        }
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof org.apache.camel.FailedToCreateRouteException route) {
                return "route " + route.getRouteId() + " cannot be built: " + message + " (fix its route file and start again)";
            }
        }
        return message;
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }

    /**
     * The endpoint summaries with the address each server really listens on (Camel 4.17 prints
     * {@code http://0.0.0.0:<port>} for both, though the management server is bound to 127.0.0.1;
     * its own summary is silenced in simplelogger.properties).
     */
    private static void logEndpoints(CamelContext context, Listener pub, Listener mgmt) {
        PlatformHttpComponent http = context.getComponent("platform-http", PlatformHttpComponent.class);
        if (http == null) {
            return;
        }
        if (pub != null) {
            log("HTTP endpoints on " + pub.url(), http.getHttpEndpoints());
        }
        if (mgmt != null) {
            log("Management endpoints on " + mgmt.url() + " (not reachable from other hosts)", http.getHttpManagementEndpoints());
        }
    }

    private static void log(String header, Set<HttpEndpointModel> endpoints) {
        LOG.info("{}:", header);
        endpoints.stream().sorted(Comparator.comparing(HttpEndpointModel::getUri)).forEach(e ->
                LOG.info("    {} ({})", e.getUri(), e.getVerbs() == null ? "GET" : e.getVerbs()));
    }

    /** A Camel HTTP server as configured: which address and port, and which environment variable sets the port. */
    record Listener(String name, String host, int port, String variable, boolean management) {

        static Listener publicServer(CamelContext context) {
            return enabled(context, "camel.server.enabled")
                    ? new Listener("public port", value(context, "camel.server.host", "0.0.0.0"),
                            Integer.parseInt(value(context, "camel.server.port", "8080")), "PORT", false)
                    : null;
        }

        static Listener managementServer(CamelContext context) {
            return enabled(context, "camel.management.enabled")
                    ? new Listener("management port", value(context, "camel.management.host", "0.0.0.0"),
                            Integer.parseInt(value(context, "camel.management.port", "8080")), "HUB_MANAGEMENT_PORT", true)
                    : null;
        }

        private static boolean enabled(CamelContext context, String key) {
            return Boolean.parseBoolean(value(context, key, "false"));
        }

        private static String value(CamelContext context, String key, String fallback) {
            return context.getPropertiesComponent().resolveProperty(key).map(String::trim).filter(v -> !v.isEmpty()).orElse(fallback);
        }

        String url() {
            return "http://" + address();
        }

        /** host:port (Camel's health JSON escapes the slashes of a URL twice) */
        String address() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }

        CannotStart taken() {
            return new CannotStart("the " + name + " " + port + " on " + host + " is already in use by another process"
                    + " (stop it, or give the hub another port with " + variable + ")");
        }

        void bindable() {
            try (ServerSocket probe = new ServerSocket()) {
                probe.setReuseAddress(true); // as Vert.x binds: a port left in TIME_WAIT is free
                probe.bind(new InetSocketAddress(host, port));
            } catch (IOException e) {
                throw taken();
            }
        }

        boolean listening(CamelContext context) {
            VertxPlatformHttpRouter router = null;
            if (management) {
                ManagementHttpServer server = context.hasService(ManagementHttpServer.class);
                router = server == null ? null : server.getRouter();
            } else {
                router = VertxPlatformHttpRouter.lookup(context, VertxPlatformHttpRouter.getRouterNameFromPort(port));
                if (router == null) {
                    router = VertxPlatformHttpRouter.lookup(context);
                }
            }
            var server = router == null || router.getServer() == null ? null : router.getServer().getServer();
            return server instanceof io.vertx.core.net.impl.TCPServerBase tcp ? tcp.isListening() : server != null && server.actualPort() > 0;
        }
    }

    /** {@code /observe/health}: DOWN while the public port is not listened on (a hub that cannot be reached is not UP). */
    static final class PublicListenerCheck extends AbstractHealthCheck {
        private final CamelContext context;

        PublicListenerCheck(CamelContext context) {
            super("hub", "public-listener");
            this.context = context;
        }

        @Override
        protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
            Listener pub = Listener.publicServer(context);
            if (pub == null) {
                builder.up().message("no public server configured");
            } else if (pub.listening(context)) {
                builder.up().message("listening on " + pub.address());
            } else {
                builder.down().message("not listening on " + pub.address() + ": nobody can reach the hub");
            }
        }
    }
}
