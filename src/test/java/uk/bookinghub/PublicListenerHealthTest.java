package uk.bookinghub;

import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Health reflects the public listener: {@code /observe/health} has a check {@code public-listener}
 * that is UP while the public port is listened on and DOWN (the whole answer 503) once it is not,
 * so a hub nobody can reach never reports UP.
 */
class PublicListenerHealthTest {

    @Test
    void aHubThatNoLongerListensOnItsPublicPortIsNotUp() throws Exception {
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.SQLITE);
             RunningHub hub = RunningHub.start(db.hubUrl(), Map.of())) {
            HttpResponse<String> up = hub.get(hub.managementUrl("/observe/health"));
            assertThat(up.statusCode()).isEqualTo(200);
            assertThat(check(up)).isEqualTo("UP listening on 127.0.0.1:" + hub.port);

            VertxPlatformHttpRouter.lookup(hub.camel(), VertxPlatformHttpRouter.getRouterNameFromPort(hub.port)).getServer().stop();

            HttpResponse<String> down = hub.get(hub.managementUrl("/observe/health"));
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(Jsons.read(down.body()).get("status").asText()).isEqualTo("DOWN");
            assertThat(check(down)).isEqualTo("DOWN not listening on 127.0.0.1:" + hub.port + ": nobody can reach the hub");
        }
    }

    private static String check(HttpResponse<String> health) {
        for (JsonNode c : Jsons.read(health.body()).get("checks")) {
            if (c.get("name").asText().equals("public-listener")) {
                return c.get("status").asText() + " " + c.get("message").asText();
            }
        }
        return "no public-listener check in " + health.body();
    }
}
