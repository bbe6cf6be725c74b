package uk.bookinghub.messaging;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A hub with no Twilio and no SMTP credentials (the embedded default): messages are recorded as
 * not_configured with what to set, never lost and never faked as sent; /health says so.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MessagingNotConfiguredTest {

    private TestDatabase db;
    private RunningHub hub;
    private String key;

    @BeforeAll
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.SQLITE);
        hub = RunningHub.start(db.hubUrl(), Map.of());
        key = hub.onboard("{\"businessName\":\"Leeds Plumbing\",\"email\":\"office@leeds.example\",\"phone\":\"0113 496 0000\"}");
    }

    @AfterAll
    void stop() {
        hub.close();
        db.close();
    }

    @Test
    void messagesAreRecordedAsNotConfiguredAndHealthSaysWhy() {
        HttpResponse<String> r = hub.post("/api/messages", "application/json", "{\"kind\":\"confirmation\",\"phone\":\"07700 900123\","
                + "\"email\":\"ann@customer.example\",\"appointment\":{\"start\":\"2026-12-01T14:30\"}}", "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode messages = Jsons.read(r.body()).get("messages");
        assertThat(messages).hasSize(2);
        assertThat(messages.get(0).get("status").asText()).isEqualTo("not_configured");
        assertThat(messages.get(0).get("statusReason").asText()).contains("TWILIO_ACCOUNT_SID");
        assertThat(messages.get(1).get("status").asText()).isEqualTo("not_configured");
        assertThat(messages.get(1).get("statusReason").asText()).contains("SMTP_HOST");
        assertThat(messages.get(0).get("body").asText()).contains("Leeds Plumbing"); // rendered and kept: nothing lost

        JsonNode health = Jsons.read(hub.get("/health").body());
        assertThat(health.get("messaging").get("sms").asText()).isEqualTo("not configured");
        assertThat(health.get("messaging").get("email").asText()).isEqualTo("not configured");
        assertThat(health.get("messaging").get("outbox").get("due").asLong()).isZero();
        assertThat(health.get("services").get("twilio").asText()).isEqualTo("not configured");
    }

    @Test
    void twilioWebhooksAreRefusedWithoutAnAuthToken() {
        HttpResponse<String> r = hub.post("/webhooks/twilio/sms", "application/x-www-form-urlencoded", "From=%2B447700900123&To=%2B447700900999&Body=STOP",
                "X-Twilio-Signature", "whatever");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).contains("TWILIO_AUTH_TOKEN");
    }
}
