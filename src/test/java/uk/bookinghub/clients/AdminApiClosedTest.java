package uk.bookinghub.clients;

import org.junit.jupiter.api.Test;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** With no HUB_ADMIN_TOKEN and no VAPI_WEBHOOK_SECRET the admin API and the Vapi webhook are closed, not open. */
class AdminApiClosedTest {
    @Test
    void noTokenMeansClosed() {
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.SQLITE);
             RunningHub hub = RunningHub.start(db.hubUrl(), Map.of("hub.admin.token", "", "vapi.webhook.secret", ""))) {
            HttpResponse<String> r = hub.post("/api/clients/onboard", "application/json", "{}", "Authorization", "Bearer ");
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(Jsons.read(r.body()).get("error").asText()).contains("HUB_ADMIN_TOKEN is not set");
            HttpResponse<String> v = hub.post("/webhooks/vapi", "application/json", "{\"message\":{\"type\":\"hang\"}}", "X-Vapi-Secret", "");
            assertThat(v.statusCode()).isEqualTo(401);
            assertThat(Jsons.read(v.body()).get("error").asText()).contains("VAPI_WEBHOOK_SECRET is not configured");
        }
    }
}
