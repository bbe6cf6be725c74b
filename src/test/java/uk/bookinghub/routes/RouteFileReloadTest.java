package uk.bookinghub.routes;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A route edit is all or nothing, per file (hub.routes.reload on, profile prod, the real routes in
 * a temporary folder): a file that does not parse or does not build, or that takes a route id of
 * another file, is refused with one line naming the file, the route and what is wrong, and the
 * previous version answers throughout (a request every 50 ms, none answered other than 200); a
 * good edit is applied without a moment of 404; deleting a file or a route removes it; a shared
 * route configuration reloads the routes that use it or is refused whole; an editor's save
 * (truncate, then write) is waited out; route counters and timers survive a reload, those of the
 * reloaded routes included.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RouteFileReloadTest {

    private static final String PROBE = """
            - route:
                id: ops-probe
                description: A route an operator adds while the hub runs
                from:
                  uri: platform-http:/ops/probe
                  steps:
                    - setBody:
                        constant: "%s"
            """;
    private static final String PROBE_2 = """
            - route:
                id: ops-probe-2
                description: A second route in the same file
                from:
                  uri: platform-http:/ops/probe2
                  steps:
                    - setBody:
                        constant: "two"
            """;

    private Path routes;
    private TestDatabase db;
    private RunningHub hub;
    private RouteFileReloader reloader;
    private String apiKey;

    @BeforeAll
    void start() throws Exception {
        routes = Files.createTempDirectory("hub-routes-");
        try (var files = Files.list(Path.of("routes"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, routes.resolve(f.getFileName()));
            }
        }
        Files.writeString(routes.resolve("ops-probe.camel.yaml"), PROBE.formatted("version-1") + PROBE_2);
        db = TestDatabase.create(TestDatabase.Kind.SQLITE);
        hub = RunningHub.start(db.hubUrl(), Map.of("camel.main.profile", "prod", "hub.routes.reload", "true",
                "hub.routes-dir", routes.toString()));
        reloader = hub.camel().hasService(RouteFileReloader.class);
        assertThat(reloader).as("the hub's own reload watcher runs").isNotNull();
        apiKey = hub.onboard("{\"businessName\":\"Reload Plumbing\",\"email\":\"ops@reload.example\",\"phone\":\"+44 20 3123 4567\"}");
    }

    @AfterAll
    void stop() throws Exception {
        if (hub != null) {
            hub.close();
        }
        if (db != null) {
            db.close();
        }
        try (var files = Files.list(routes)) {
            files.forEach(f -> f.toFile().delete());
        }
        Files.deleteIfExists(routes);
    }

    /** Requests every 50 ms on the given paths while the body runs; returns the answers that were not 200. */
    private List<String> whileServing(ThrowingRunnable body, String... paths) throws Exception {
        List<String> bad = new CopyOnWriteArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger sent = new AtomicInteger();
        Thread poller = new Thread(() -> {
            while (running.get()) {
                for (String p : paths) {
                    var r = hub.get(p, "X-API-Key", apiKey);
                    sent.incrementAndGet();
                    if (r.statusCode() != 200) {
                        bad.add(p + " " + r.statusCode() + " " + r.body());
                    }
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        poller.start();
        try {
            body.run();
        } finally {
            running.set(false);
            poller.join();
        }
        assertThat(sent.get()).as("requests sent while the file changed").isGreaterThan(2);
        return bad;
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private String edit(String file, String from, String to) throws Exception {
        String original = Files.readString(routes.resolve(file));
        assertThat(original).contains(from);
        Files.writeString(routes.resolve(file), original.replace(from, to));
        return original;
    }

    private String refusedAfter(int before) {
        await().atMost(Duration.ofSeconds(30)).until(() -> reloader.refusals().size() > before);
        return reloader.refusals().get(before);
    }

    private String appliedAfter(int before) {
        await().atMost(Duration.ofSeconds(30)).until(() -> reloader.summaries().size() > before);
        return reloader.summaries().get(before);
    }

    @Test
    @Order(1)
    void aGoodEditIsAppliedWithoutAMomentOf404() throws Exception {
        int before = reloader.summaries().size();
        List<String> bad = whileServing(() -> {
            Files.writeString(routes.resolve("ops-probe.camel.yaml"), PROBE.formatted("version-2") + PROBE_2);
            await().atMost(Duration.ofSeconds(30)).until(() -> hub.get("/ops/probe").body().equals("version-2"));
        }, "/ops/probe", "/ops/probe2");
        assertThat(bad).isEmpty();
        assertThat(appliedAfter(before)).startsWith("Route file ops-probe.camel.yaml reloaded in ")
                .contains("added [], updated [ops-probe, ops-probe-2], removed []");
    }

    @Test
    @Order(2)
    void anUnknownBeanIsRefusedAndThePreviousVersionAnswersThroughout() throws Exception {
        int before = reloader.refusals().size();
        String[] original = new String[1];
        List<String> bad = whileServing(() -> {
            original[0] = edit("clients.camel.yaml", "ref: clientView", "ref: clientViewTypo");
            assertThat(refusedAfter(before)).startsWith("Route file clients.camel.yaml refused, route clients-me: ")
                    .contains("clientViewTypo").endsWith("the previous version keeps running");
        }, "/api/clients/me");
        assertThat(bad).isEmpty();
        assertThat(hub.get("/api/clients/me", "X-API-Key", apiKey).statusCode()).isEqualTo(200);
        Files.writeString(routes.resolve("clients.camel.yaml"), original[0]);
    }

    @Test
    @Order(3)
    void anUnknownMethodIsRefused() throws Exception {
        int before = reloader.refusals().size();
        String[] original = new String[1];
        List<String> bad = whileServing(() -> {
            original[0] = edit("clients.camel.yaml", "method: describe", "method: describeTypo");
            assertThat(refusedAfter(before)).startsWith("Route file clients.camel.yaml refused, route clients-me: ")
                    .contains("describeTypo");
        }, "/api/clients/me");
        assertThat(bad).isEmpty();
        Files.writeString(routes.resolve("clients.camel.yaml"), original[0]);
    }

    @Test
    @Order(4)
    void aMissingPlaceholderIsRefused() throws Exception {
        int before = reloader.refusals().size();
        List<String> bad = whileServing(() -> {
            Files.writeString(routes.resolve("ops-probe.camel.yaml"), PROBE.formatted("{{hub.no-such-key}}") + PROBE_2);
            assertThat(refusedAfter(before)).startsWith("Route file ops-probe.camel.yaml refused, route ops-probe: ")
                    .contains("hub.no-such-key");
        }, "/ops/probe", "/ops/probe2");
        assertThat(bad).isEmpty();
        assertThat(hub.get("/ops/probe").body()).isEqualTo("version-2");
    }

    @Test
    @Order(5)
    void aRouteIdUsedTwiceInTheFileIsRefused() throws Exception {
        int before = reloader.refusals().size();
        List<String> bad = whileServing(() -> {
            Files.writeString(routes.resolve("ops-probe.camel.yaml"), PROBE.formatted("version-3") + PROBE_2
                    + PROBE_2.replace("/ops/probe2", "/ops/probe3"));
            assertThat(refusedAfter(before)).startsWith("Route file ops-probe.camel.yaml refused, route ops-probe-2: the id is used twice in this file");
        }, "/ops/probe", "/ops/probe2");
        assertThat(bad).isEmpty();
        assertThat(hub.get("/ops/probe").body()).isEqualTo("version-2");
    }

    @Test
    @Order(6)
    void aRouteIdOfAnotherFileIsRefused() throws Exception {
        int before = reloader.refusals().size();
        Path other = routes.resolve("other.camel.yaml");
        List<String> bad = whileServing(() -> {
            Files.writeString(other, PROBE.formatted("stolen").replace("id: ops-probe", "id: clients-me"));
            assertThat(refusedAfter(before)).startsWith("Route file other.camel.yaml refused, route clients-me: the id already belongs to clients.camel.yaml");
            Files.delete(other);
        }, "/api/clients/me");
        assertThat(bad).isEmpty();
        assertThat(hub.camel().getRoute("clients-me").getSourceResource().getLocation()).endsWith("clients.camel.yaml");
    }

    @Test
    @Order(7)
    void aRouteRemovedFromItsFileIsRemoved() throws Exception {
        int before = reloader.summaries().size();
        Files.writeString(routes.resolve("ops-probe.camel.yaml"), PROBE.formatted("version-4"));
        assertThat(appliedAfter(before)).contains("added [], updated [ops-probe], removed [ops-probe-2]");
        assertThat(hub.camel().getRoute("ops-probe-2")).isNull();
        assertThat(metricLine("camel_exchanges_total{", "ops-probe-2")).as("a route removed for good takes its meters with it").isNull();
        assertThat(hub.get("/ops/probe2").statusCode()).isEqualTo(404);
        assertThat(hub.get("/ops/probe").body()).isEqualTo("version-4");
    }

    @Test
    @Order(8)
    void anEditorsSaveIsWaitedOut() throws Exception {
        int refused = reloader.refusals().size();
        int applied = reloader.summaries().size();
        Path probe = routes.resolve("ops-probe.camel.yaml");
        List<String> bad = whileServing(() -> {
            Files.writeString(probe, ""); // an editor truncates, then writes
            Thread.sleep(100);
            Files.writeString(probe, PROBE.formatted("version-5"));
            await().atMost(Duration.ofSeconds(30)).until(() -> hub.get("/ops/probe").body().equals("version-5"));
        }, "/ops/probe");
        assertThat(bad).isEmpty();
        assertThat(reloader.refusals()).hasSize(refused);
        assertThat(appliedAfter(applied)).contains("updated [ops-probe]");
    }

    @Test
    @Order(9)
    void routeTimersOfOtherFilesSurviveAReload() throws Exception {
        assertThat(hub.get("/api/clients/me", "X-API-Key", apiKey).statusCode()).isEqualTo(200);
        String timer = "camel_route_policy_seconds_count{";
        await().atMost(Duration.ofSeconds(10)).until(() -> metricLine(timer, "clients-me") != null);
        int before = reloader.summaries().size();
        Files.writeString(routes.resolve("ops-probe.camel.yaml"), PROBE.formatted("version-6"));
        appliedAfter(before);
        assertThat(metricLine(timer, "clients-me")).as("the timer of a route in another file").isNotNull();
        assertThat(metricLine("camel_exchanges_total{", "clients-me")).isNotNull();
    }

    /** Camel removes a route's meters with the route: a reload of its own file must not reset its counters and timers. */
    @Test
    @Order(9)
    void aReloadedRouteKeepsItsOwnCountersAndTimers() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(hub.get("/ops/probe").statusCode()).isEqualTo(200);
        }
        String counter = "camel_exchanges_total{";
        String timer = "camel_route_policy_seconds_count{";
        await().atMost(Duration.ofSeconds(10)).until(() -> metricValue(counter, "ops-probe") >= 3 && metricValue(timer, "ops-probe") >= 3);
        double exchanges = metricValue(counter, "ops-probe");
        double timed = metricValue(timer, "ops-probe");
        int before = reloader.summaries().size();
        Files.writeString(routes.resolve("ops-probe.camel.yaml"), PROBE.formatted("version-metrics"));
        assertThat(appliedAfter(before)).contains("updated [ops-probe]");
        assertThat(hub.get("/ops/probe").body()).isEqualTo("version-metrics");
        await().atMost(Duration.ofSeconds(10)).until(() -> metricValue(counter, "ops-probe") == exchanges + 1);
        assertThat(metricValue(timer, "ops-probe")).as("the route's timer counts on").isEqualTo(timed + 1);
    }

    private double metricValue(String name, String routeId) {
        String line = metricLine(name, routeId);
        return line == null ? -1 : Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    private String metricLine(String name, String routeId) {
        String text = hub.get(hub.managementUrl("/observe/metrics")).body();
        return text.lines().filter(l -> l.startsWith(name) && l.contains("route_id=\"" + routeId + "\"")).findFirst().orElse(null);
    }

    @Test
    @Order(10)
    void aSharedConfigurationChangeReloadsTheRoutesThatUseItOrIsRefusedWhole() throws Exception {
        int applied = reloader.summaries().size();
        String original = edit("error-handling.camel.yaml", "description: JSON error replies for HTTP routes",
                "description: JSON error replies for the HTTP routes");
        String summary = appliedAfter(applied);
        assertThat(summary).startsWith("Route file error-handling.camel.yaml reloaded in ")
                .contains("clients.camel.yaml: added [], updated [clients-activate, clients-list, clients-me, clients-onboard, clients-suspend, clients-update]");
        assertThat(hub.get("/api/clients/me", "X-API-Key", apiKey).statusCode()).isEqualTo(200);

        int refused = reloader.refusals().size();
        List<String> bad = whileServing(() -> {
            edit("error-handling.camel.yaml", "ref: httpErrorReply", "ref: httpErrorReplyTypo");
            assertThat(refusedAfter(refused)).contains("httpErrorReplyTypo").contains("(with error-handling.camel.yaml)");
        }, "/api/clients/me");
        assertThat(bad).isEmpty();
        // the running routes still use the good configuration: a refused request still gets its JSON 4xx
        assertThat(hub.get("/api/clients/me").statusCode()).isEqualTo(401);
        int restored = reloader.summaries().size();
        Files.writeString(routes.resolve("error-handling.camel.yaml"), original);
        appliedAfter(restored);
        assertThat(hub.get("/api/clients/me", "X-API-Key", apiKey).statusCode()).isEqualTo(200);
    }

    /** The webhook routes start first (ApiConfiguration: startup order by path); reloading their file keeps them working. */
    @Test
    @Order(10)
    void theWebhookRoutesFileReloadsLikeAnyOther() throws Exception {
        int before = reloader.summaries().size();
        String original = edit("vapi-webhooks.camel.yaml", "description: Vapi server messages - end-of-call reports",
                "description: Vapi's server messages - end-of-call reports");
        assertThat(appliedAfter(before)).startsWith("Route file vapi-webhooks.camel.yaml reloaded in ").contains("updated [vapi-webhooks]");
        assertThat(hub.postVapi("{\"message\":{\"type\":\"hang\",\"call\":{\"id\":\"c-reload\"}}}").statusCode()).isEqualTo(200);
        int restored = reloader.summaries().size();
        Files.writeString(routes.resolve("vapi-webhooks.camel.yaml"), original);
        appliedAfter(restored);
        assertThat(hub.postVapi("{\"message\":{\"type\":\"hang\",\"call\":{\"id\":\"c-reload-2\"}}}").statusCode()).isEqualTo(200);
    }

    @Test
    @Order(11)
    void deletingAFileRemovesItsRoutes() throws Exception {
        int before = reloader.summaries().size();
        Files.delete(routes.resolve("ops-probe.camel.yaml"));
        assertThat(appliedAfter(before)).startsWith("Route file ops-probe.camel.yaml deleted in ").contains("removed [ops-probe]");
        assertThat(hub.camel().getRoute("ops-probe")).isNull();
        assertThat(hub.get("/ops/probe").statusCode()).isEqualTo(404);
        assertThat(hub.get("/api/clients/me", "X-API-Key", apiKey).statusCode()).isEqualTo(200);
    }

    @Test
    @Order(12)
    void anEndpointWithoutAnAuthRuleIsRefused() throws Exception {
        int refused = reloader.refusals().size();
        Files.writeString(routes.resolve("ops-open.camel.yaml"), """
                - rest:
                    path: /ops
                    get:
                      - path: /open
                        to: direct:ops-open
                - route:
                    id: ops-open
                    from:
                      uri: direct:ops-open
                      steps:
                        - setBody:
                            constant: "open"
                """);
        assertThat(refusedAfter(refused)).startsWith("Route file ops-open.camel.yaml refused, ").contains("GET /ops/open").contains("no auth rule");
        assertThat(hub.camel().getRoute("ops-open")).isNull();
        assertThat(hub.get("/ops/open").statusCode()).isEqualTo(404);

        int applied = reloader.summaries().size(); // the refused declaration left nothing behind: the next file applies
        Files.writeString(routes.resolve("ops-probe.camel.yaml"), PROBE.formatted("version-7"));
        assertThat(appliedAfter(applied)).contains("added [ops-probe]");
        assertThat(hub.get("/ops/probe").body()).isEqualTo("version-7");
    }
}
