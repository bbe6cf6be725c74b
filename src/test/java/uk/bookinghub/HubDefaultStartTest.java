package uk.bookinghub;

import org.junit.jupiter.api.Test;

import uk.bookinghub.support.HubProcess;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code java -jar target/booking-hub.jar} with no profile set runs the production configuration
 * (profile prod, route reload off); {@code HUB_ROUTES_RELOAD=true} is the operator's one switch for
 * live route reload, still in profile prod. Each hub is a separate JVM configured by environment
 * variables only, as an operator starts it.
 */
class HubDefaultStartTest {

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
    void theDefaultStartIsProfileProdWithRouteReloadOff() {
        try (HubProcess hub = HubProcess.start(List.of(), Map.of())) {
            assertThat(hub.log()).contains("Profile prod; live route reload off (HUB_ROUTES_RELOAD=true turns it on)");
            assertThat(hub.log()).doesNotContain("Profile dev");
            // the addresses each server really listens on (Camel's own summary says 0.0.0.0 for both)
            assertThat(hub.log()).contains("HTTP endpoints on http://127.0.0.1:" + hub.port + ":")
                    .contains("Management endpoints on http://127.0.0.1:" + hub.managementPort + " ")
                    .doesNotContain("http://0.0.0.0:");
        }
    }

    @Test
    void hubRoutesReloadTrueTurnsLiveReloadOnInProfileProd() throws Exception {
        try (HubProcess hub = HubProcess.start(List.of(), Map.of("HUB_ROUTES_RELOAD", "true"))) {
            assertThat(hub.log()).contains("Profile prod; live route reload on (watching " + hub.routesDir);
            Files.writeString(hub.routesDir.resolve("ops-probe.camel.yaml"), PROBE.formatted("reloaded"));
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> hub.get("/ops/probe").body().equals("reloaded"));
            assertThat(hub.get("/health").statusCode()).isEqualTo(200);
        }
    }
}
