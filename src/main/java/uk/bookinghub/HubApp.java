package uk.bookinghub;

import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Starts the hub: Camel main with {@code ./application.properties} and {@code ./routes/*.camel.yaml}
 * read from the file system (so ops change them without a rebuild).
 *
 * <p>Locations can be moved (for a container mount): {@code HUB_CONFIG} / {@code -Dhub.config}
 * is the properties file, {@code HUB_ROUTES_DIR} / {@code -Dhub.routes-dir} the routes folder.
 * The profile ({@code CAMEL_MAIN_PROFILE} / {@code -Dcamel.main.profile}, default {@code prod})
 * adds {@code application-<profile>.properties} from beside the main file when present. Profile
 * {@code dev} is for developers only: camel-main itself turns on the backlog tracer (standby),
 * message history, the dev console, extended JMX statistics and more, which together halve the
 * webhook throughput. Live route reload is a separate switch, {@code hub.routes.reload}
 * ({@code HUB_ROUTES_RELOAD=true}), that costs nothing measurable and works in any profile.
 *
 * <p>The beans are bound by one configuration class per capability package, listed in start-up
 * order in {@code camel.main.configuration-classes} ({@code application.properties}; see
 * {@link Wiring}).
 */
public final class HubApp {

    static {
        // SLF4J finds its logging provider by scanning every jar's META-INF/services (~0.1 s of each start); the hub
        // ships one, slf4j-simple, so it is named (a -Dslf4j.provider given on the command line still wins)
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.slf4j.simple.SimpleServiceProvider");
            if (System.getProperty("slf4j.internal.verbosity") == null) {
                System.setProperty("slf4j.internal.verbosity", "WARN"); // not its "loading the provider named" line at every start
            }
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(HubApp.class);

    /** What {@code java -jar target/booking-hub.jar} runs without CAMEL_MAIN_PROFILE: the production configuration. */
    public static final String DEFAULT_PROFILE = "prod";

    private HubApp() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("restore")) {
            System.exit(uk.bookinghub.backups.RestoreCommand.run(args, System.out)); // README "Backups and restore"
        }
        // HttpURLConnection (Google's client) keeps 5 idle connections per host by default; read once, so set first
        if (System.getProperty("http.maxConnections") == null) {
            System.setProperty("http.maxConnections", "64");
        }
        Main main = null;
        try {
            main = create(Map.of());
            main.run();
        } catch (Exception e) {
            LOG.error("[CRITICAL ALERT] The hub cannot start: {}", StartupChecks.explain(e, startupReason(e)));
            if (main != null) {
                // a shutdown already under way: Camel's JVM hook then stays quiet instead of reporting a SIGTERM
                main.getShutdownStrategy().shutdown();
            }
            System.exit(1);
        }
        System.exit(main.getExitCode());
    }

    /** The hub's own explanation when there is one (it names the setting), else the root cause. */
    static Throwable startupReason(Throwable e) {
        Throwable ours = null;
        Throwable root = e;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getClass().getName().startsWith("uk.bookinghub.")) {
                ours = t;
            }
            root = t;
        }
        return ours != null ? ours : root;
    }

    /** A configured, not yet started hub; {@code overrides} win over every properties file (tests use them). */
    public static Main create(Map<String, String> overrides) {
        String config = setting("hub.config", "HUB_CONFIG", "application.properties");
        String routesDir = overrides.getOrDefault("hub.routes-dir", setting("hub.routes-dir", "HUB_ROUTES_DIR", "routes"));
        String profile = overrides.getOrDefault("camel.main.profile", setting("camel.main.profile", "CAMEL_MAIN_PROFILE", DEFAULT_PROFILE));
        Path configFile = Path.of(config).toAbsolutePath().normalize();
        if (!Files.isReadable(configFile)) {
            throw new IllegalStateException("configuration file not found: " + configFile + " (set HUB_CONFIG or run from the repository root)");
        }
        Path profileFile = configFile.resolveSibling("application-" + profile + ".properties");
        Path routes = Path.of(routesDir).toAbsolutePath().normalize();
        StartupChecks.routesFolder(routes);

        Main main = new Main();
        main.configure().setProfile(profile);
        // the first location that defines a key wins, so the profile file comes first
        main.setPropertyPlaceholderLocations("file:" + profileFile + ";optional=true,file:" + configFile);
        main.addOverrideProperty("camel.main.routes-include-pattern", "file:" + routes + "/*.camel.yaml");
        main.addOverrideProperty("camel.main.routes-reload-directory", routes.toString());
        overrides.forEach(main::addOverrideProperty);
        main.addMainListener(new org.apache.camel.main.MainListenerSupport() {
            @Override
            public void beforeConfigure(org.apache.camel.main.BaseMainSupport m) {
                // JMX: each managed class described once, not once per MBean (ManagedBeanInfos)
                uk.bookinghub.monitoring.ManagedBeanInfos.install(m.getCamelContext());
            }

            @Override
            public void afterConfigure(org.apache.camel.main.BaseMainSupport m) {
                // the routes are loaded: every REST endpoint must declare how it is authenticated, or the hub does not start
                var catalog = m.getCamelContext().getRegistry().lookupByNameAndType("apiCatalog", uk.bookinghub.api.ApiCatalog.class);
                if (catalog != null) {
                    var problems = catalog.problems();
                    if (!problems.isEmpty()) {
                        throw new IllegalStateException("the API declared in the route files cannot be enforced by the front door: "
                                + String.join("; ", problems));
                    }
                }
                // Vert.x only logs a port it cannot bind and goes on: refuse to start instead
                StartupChecks.portsFree(m.getCamelContext());
                var health = org.apache.camel.health.HealthCheckRegistry.get(m.getCamelContext());
                if (health != null) {
                    health.register(new StartupChecks.PublicListenerCheck(m.getCamelContext()));
                    health.register(new uk.bookinghub.routes.StoppedRoutes.Check(m.getCamelContext()));
                }
                boolean reload = Boolean.parseBoolean(m.getCamelContext().resolvePropertyPlaceholders("{{hub.routes.reload}}"));
                if (reload) { // the hub's own watcher: a route file is applied whole or refused (RouteFileReloader)
                    addService(m.getCamelContext(), new uk.bookinghub.routes.RouteFileReloader(m.getCamelContext(), routes));
                }
                LOG.info("Profile {}; live route reload {} ({})", profile, reload ? "on" : "off",
                        reload ? "watching " + routes : "HUB_ROUTES_RELOAD=true turns it on");
                try {
                    m.getCamelContext().addStartupListener(new org.apache.camel.StartupListener() {
                        @Override
                        public void onCamelContextStarted(org.apache.camel.CamelContext context, boolean alreadyStarted) {
                            // the HTTP server is up only once every route has started
                        }

                        @Override
                        public void onCamelContextFullyStarted(org.apache.camel.CamelContext context, boolean alreadyStarted) {
                            StartupChecks.serving(context);
                            answerExpectContinue(context);
                        }
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        return main;
    }

    private static void addService(org.apache.camel.CamelContext context, Object service) {
        try {
            context.addService(service);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * curl (and other clients) send {@code Expect: 100-continue} before a large body and wait up to
     * a second for the server's go-ahead; Camel's Vert.x server never gives it (its server options
     * are not configurable in 4.17), so every lead upload started a second late. This handler, first
     * on the application's router, answers {@code 100 Continue} unless the declared body is over
     * {@code camel.server.max-body-size} (that request is then refused without its body being sent).
     */
    static void answerExpectContinue(org.apache.camel.CamelContext context) {
        int port = Integer.parseInt(context.resolvePropertyPlaceholders("{{camel.server.port}}"));
        long max = Long.parseLong(context.resolvePropertyPlaceholders("{{camel.server.max-body-size}}"));
        var router = appRouter(context);
        if (router == null) {
            LOG.warn("no HTTP router for port {}: 'Expect: 100-continue' requests wait for the client's own timeout", port);
            return;
        }
        LOG.info("HTTP: 'Expect: 100-continue' answered at once on port {} (bodies up to {} bytes)", port, max);
        jsonErrors(mainRouter(router), context.getRegistry().lookupByNameAndType("apiCatalog", uk.bookinghub.api.ApiCatalog.class));
        // a declared endpoint whose route is stopped or starting answers 503 + Retry-After (callers retry), not 404
        uk.bookinghub.routes.StoppedRoutes.answerBusy(mainRouter(router), context,
                context.getRegistry().lookupByNameAndType("apiCatalog", uk.bookinghub.api.ApiCatalog.class));
        uk.bookinghub.http.ServerLimits.jsonInvalidRequests(router.getServer().getServer());
        long bodyIdleMs = Long.parseLong(context.resolvePropertyPlaceholders("{{hub.http.body-idle-timeout-ms}}"));
        var catalog = context.getRegistry().lookupByNameAndType("apiCatalog", uk.bookinghub.api.ApiCatalog.class);
        long uploadMax = Long.parseLong(context.resolvePropertyPlaceholders("{{hub.leads.max-upload-bytes}}"));
        long jsonMax = Long.parseLong(context.resolvePropertyPlaceholders("{{hub.http.max-json-bytes}}"));
        long vapiMax = Long.parseLong(context.resolvePropertyPlaceholders("{{vapi.webhook.max-body-bytes}}"));
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            var request = ctx.request();
            // the endpoint's own limit, known from its declaration: a body declared larger is refused
            // straight after the headers (before it is sent, with Expect: 100-continue, or read)
            long limit = max;
            var endpoint = catalog == null ? null : catalog.match(request.method().name(), request.path());
            if (endpoint != null && endpoint.hasBody()) {
                limit = Math.min(max, endpoint.consumes().contains("text/csv") ? uploadMax
                        : endpoint.auth().contains("vapiSecret") ? vapiMax : endpoint.auth().contains("twilioSignature") ? vapiMax : jsonMax);
            }
            if (!declaredAtMost(request.getHeader("Content-Length"), limit)) {
                // answered now, before the body is invited or read; whatever of it still arrives is discarded
                request.handler(ignored -> { });
                request.exceptionHandler(ignored -> { });
                ctx.response().setStatusCode(413).putHeader("Content-Type", "application/json")
                        .end(uk.bookinghub.http.Json.write(java.util.Map.of("error", "the body is declared as " + request.getHeader("Content-Length")
                                + " bytes; the limit is " + limit + " for this endpoint")));
                return;
            }
            if ("100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
                request.response().writeContinue();
            }
            uk.bookinghub.http.ServerLimits.watchBody(ctx, bodyIdleMs, endpoint != null && endpoint.streamed());
            ctx.next();
        });
    }

    /** The Vert.x router Camel's platform-http routes are on (the application port's), or null before the server is up. */
    public static org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter appRouter(org.apache.camel.CamelContext context) {
        int port = Integer.parseInt(context.resolvePropertyPlaceholders("{{camel.server.port}}"));
        var router = org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter.lookup(context,
                org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter.getRouterNameFromPort(port));
        return router != null ? router : org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter.lookup(context);
    }

    /**
     * What the HTTP server answers by itself (no such path, a method the path does not take, a
     * content type the endpoint does not consume, a body over the limit) is JSON like every other
     * error of the API, never an HTML page or an empty body.
     */
    /**
     * The server's top router: Camel mounts the application's routes on a sub-router, and Vert.x sends
     * a sub-router's unmatched requests to the top router's error handlers. Camel 4.17 keeps it in a
     * private field (no getter), so it is read by reflection; without it the errors stay Vert.x's own.
     */
    public static io.vertx.ext.web.Router mainRouter(org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter router) {
        try {
            var field = org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer.class.getDeclaredField("router");
            field.setAccessible(true);
            return (io.vertx.ext.web.Router) field.get(router.getServer());
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("HTTP: cannot reach the server's top router ({}); unmatched paths answer Vert.x's own pages", e.toString());
            return router;
        }
    }

    static void jsonErrors(io.vertx.ext.web.Router router, uk.bookinghub.api.ApiCatalog catalog) {
        java.util.Map<Integer, String> words = java.util.Map.of(
                400, "bad request",
                404, "no such endpoint; GET /api/openapi.json lists them",
                405, "this endpoint does not take that method",
                406, "this endpoint cannot answer in a type the Accept header allows (it answers application/json)",
                413, "the body is larger than this endpoint accepts",
                415, "this endpoint does not accept that Content-Type");
        words.forEach((status, text) -> router.errorHandler(status, ctx -> {
            var response = ctx.response();
            if (response.ended() || response.headWritten()) {
                return;
            }
            String message = text;
            if (status == 405) {
                String allow = response.headers().get("Allow");
                if (allow != null && !allow.isBlank()) {
                    message = text + " (it takes " + allow + ")";
                }
            } else if (status == 415) {
                String ct = ctx.request().getHeader("Content-Type");
                var endpoint = catalog == null ? null : catalog.match(ctx.request().method().name(), ctx.request().path());
                if (endpoint != null && !endpoint.consumes().isEmpty()) {
                    var problem = uk.bookinghub.api.FrontDoor.unsupported(endpoint.consumes(), ct == null ? null : ct.split(";")[0].trim());
                    var body = new java.util.LinkedHashMap<String, Object>();
                    body.put("error", problem.getMessage());
                    body.putAll(problem.details());
                    response.setStatusCode(415).putHeader("Content-Type", "application/json").end(uk.bookinghub.http.Json.write(body));
                    return;
                }
                message = ct == null ? "Content-Type is missing; see GET /api/openapi.json for what this endpoint accepts"
                        : "Content-Type " + ct.split(";")[0].trim() + " is not accepted here; see GET /api/openapi.json for what this endpoint accepts";
            }
            response.setStatusCode(status).putHeader("Content-Type", "application/json")
                    .end(uk.bookinghub.http.Json.write(java.util.Map.of("error", message)));
        }));
    }

    private static boolean declaredAtMost(String contentLength, long max) {
        if (contentLength == null) {
            return true; // chunked: the limit is checked as it arrives
        }
        try {
            return Long.parseLong(contentLength.trim()) <= max;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String setting(String property, String env, String fallback) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? fallback : v.trim();
    }
}
