package uk.bookinghub.security;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The token key is a secret of at least 256 bits or nothing: a shorter HUB_JWT_SECRET stops the
 * start with a message that names it (never its value); without one, no token is issued (503 saying
 * so) or accepted, and API keys go on working.
 */
class ClientTokensSecretTest {

    @Test
    void aShortSecretStopsTheStartNamingIt() {
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.SQLITE)) {
            assertThatThrownBy(() -> RunningHub.start(db.hubUrl(), Map.of("hub.auth.jwt-secret", "only-31-bytes-of-secret-1234567")).close())
                    .hasMessageContaining("HUB_JWT_SECRET (hub.auth.jwt-secret) is 31 bytes")
                    .hasMessageContaining("at least 32 bytes (256 bits)")
                    .hasMessageNotContaining("only-31-bytes-of-secret");
        }
    }

    @Test
    void withoutASecretNoTokenIsIssuedOrAcceptedAndKeysWork() {
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.SQLITE);
             RunningHub hub = RunningHub.start(db.hubUrl(), Map.of("hub.auth.jwt-secret", ""))) {
            String key = hub.onboard("{\"businessName\":\"No Tokens\",\"email\":\"none@token.example\",\"phone\":\"0113 496 0210\"}");
            HttpResponse<String> issue = hub.post("/api/auth/token", null, "", "X-API-Key", key);
            assertThat(issue.statusCode()).as(issue.body()).isEqualTo(503);
            JsonNode body = Jsons.read(issue.body());
            assertThat(body.get("error").asText()).contains("HUB_JWT_SECRET is not set");
            assertThat(body.get("reason").asText()).isEqualTo("not_configured");

            String someJwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuby10b2tlbnMifQ.c2lnbmF0dXJl";
            HttpResponse<String> use = hub.get("/api/clients/me", "Authorization", "Bearer " + someJwt);
            assertThat(use.statusCode()).as(use.body()).isEqualTo(401);
            assertThat(Jsons.read(use.body()).get("reason").asText()).isEqualTo("not_configured");
            assertThat(hub.get("/api/clients/me", "X-API-Key", key).statusCode()).isEqualTo(200);
        }
    }
}
