package uk.bookinghub;

import org.junit.jupiter.api.Test;

import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Ops edit routes live (the hub.routes.reload switch, here in profile prod): adding or changing a
 * file in the routes folder changes the running route, and the other routes keep serving.
 */
class RouteReloadTest {

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

    @Test
    void changingARouteFileChangesTheRunningRouteAndLeavesOthersServing() throws Exception {
        Path routes = Files.createTempDirectory("hub-routes-");
        try (var files = Files.list(Path.of("routes"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, routes.resolve(f.getFileName()));
            }
        }
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.SQLITE);
             RunningHub hub = RunningHub.start(db.hubUrl(), Map.of("camel.main.profile", "prod",
                     "hub.routes.reload", "true", "hub.routes-dir", routes.toString()))) {
            int notifiers = hub.camel().getManagementStrategy().getStartedEventNotifiers().size();
            Path probe = routes.resolve("ops-probe.camel.yaml");
            Files.writeString(probe, PROBE.formatted("version-1"));
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> hub.get("/ops/probe").body().equals("version-1"));

            Files.writeString(probe, PROBE.formatted("version-2"));
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> hub.get("/ops/probe").body().equals("version-2"));

            assertThat(hub.get("/health").statusCode()).isEqualTo(200);
            assertThat(hub.postVapi("{\"message\":{\"type\":\"hang\",\"call\":{\"id\":\"c-reload\"}}}").statusCode()).isEqualTo(200);
            assertThat(hub.camel().getRoute("vapi-webhooks")).isNotNull();
            // a reload leaves Camel's event notifiers as they were (issue 19: Camel's HTTP servers add one at every
            // reload, which every exchange then paid for; EventNotifiers removes the repeats)
            assertThat(hub.camel().getManagementStrategy().getStartedEventNotifiers()).hasSize(notifiers);
            assertThat(hub.camel().getCamelContextExtension().isEventNotificationApplicable()).isFalse();
        } finally {
            try (var files = Files.list(routes)) {
                files.forEach(f -> f.toFile().delete());
            }
            Files.deleteIfExists(routes);
        }
    }
}
