package uk.bookinghub.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * A Slack incoming webhook on loopback: answers 200 "ok" to a well-formed message (JSON with a
 * {@code text}), 400 "invalid_payload" otherwise, and scripted faults (429 with Retry-After, 500)
 * when told. Records every message it accepted and every request it saw.
 */
public final class SlackStub extends StubServer {

    /** A scripted answer: status, and Retry-After seconds for a 429 (null = none). */
    public record Fault(int status, Integer retryAfter) {
    }

    /** One request as it arrived, with when and what was answered. */
    public record Request(Instant at, JsonNode body, int answered) {
    }

    public final Recording<JsonNode> messages = new Recording<>();
    public final Recording<Request> requests = new Recording<>();
    public final Script<Fault> faults = new Script<>();

    private SlackStub() throws IOException {
        super("slack", 0, 4, 1);
        serve();
    }

    public static SlackStub start() {
        try {
            return new SlackStub();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The webhook URL to give the hub (SLACK_WEBHOOK_URL). */
    public String webhookUrl() {
        return url("127.0.0.1") + "/services/T000/B000/XXXX";
    }

    @Override
    protected void handle(HttpExchange ex) throws IOException {
        String raw = new String(readBody(ex), StandardCharsets.UTF_8);
        JsonNode body;
        try {
            body = Jsons.read(raw);
        } catch (RuntimeException e) {
            body = null;
        }
        Fault f = faults.take();
        if (f != null) {
            requests.add(new Request(Instant.now(), body, f.status()));
            if (f.retryAfter() != null) {
                ex.getResponseHeaders().set("Retry-After", String.valueOf(f.retryAfter()));
            }
            respond(ex, f.status(), "text/plain", f.status() == 429 ? "rate_limited" : "internal_error");
            return;
        }
        if (!"POST".equals(ex.getRequestMethod()) || body == null || !body.hasNonNull("text") || body.get("text").asText().isBlank()) {
            requests.add(new Request(Instant.now(), body, 400));
            respond(ex, 400, "text/plain", "invalid_payload");
            return;
        }
        requests.add(new Request(Instant.now(), body, 200));
        messages.add(body);
        respond(ex, 200, "text/plain", "ok");
    }
}
