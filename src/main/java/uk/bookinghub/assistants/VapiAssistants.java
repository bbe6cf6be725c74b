package uk.bookinghub.assistants;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.http.base.HttpOperationFailedException;

import uk.bookinghub.http.Json;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Vapi's assistant API (protocols.md; Bearer private key): {@code POST /assistant} (201 with {@code id}),
 * {@code PATCH /assistant/{id}}, {@code GET /assistant?createdAtGe&limit} (a JSON array). Sent through the
 * {@code vapi-assistants} route (routes/assistants.camel.yaml: a visible partner call with its timeout,
 * {@code hub.assistants.vapi-timeout-ms}, no retry of its own). Every failure is a {@link VapiFailure}
 * saying what Vapi answered, or that it did not.
 */
public final class VapiAssistants {

    /** {@code vapi.private-key} and {@code vapi.base-url}, as the dialler reads them; null key = not configured. */
    public record Settings(String privateKey, String baseUrl) {
        public boolean configured() {
            return privateKey != null && baseUrl != null;
        }
    }

    /** Vapi refused ({@code httpStatus} its answer) or did not answer ({@code httpStatus} 0). */
    public static final class VapiFailure extends RuntimeException {
        private final int httpStatus;

        VapiFailure(int httpStatus, String message, Throwable cause) {
            super(message, cause);
            this.httpStatus = httpStatus;
        }

        public int httpStatus() {
            return httpStatus;
        }
    }

    private final Settings settings;
    private volatile ProducerTemplate partner;

    public VapiAssistants(Settings settings) {
        this.settings = settings;
    }

    public void camel(org.apache.camel.CamelContext camel) {
        this.partner = camel.createProducerTemplate();
    }

    public boolean configured() {
        return settings.configured();
    }

    public JsonNode create(JsonNode assistant) {
        return send("POST", "/assistant", null, assistant);
    }

    public JsonNode update(String id, JsonNode assistant) {
        return send("PATCH", "/assistant/" + URLEncoder.encode(id, StandardCharsets.UTF_8), null, assistant);
    }

    /** The assistants created at or after {@code since} (newest first, at most {@code limit}). */
    public List<JsonNode> listSince(Instant since, int limit) {
        JsonNode listed = send("GET", "/assistant", "limit=" + limit + "&createdAtGe="
                + URLEncoder.encode(since.toString(), StandardCharsets.UTF_8), null);
        List<JsonNode> out = new ArrayList<>();
        if (listed != null && listed.isArray()) {
            listed.forEach(out::add);
        }
        return out;
    }

    private JsonNode send(String method, String path, String query, JsonNode body) {
        if (partner == null) {
            throw new IllegalStateException("the vapi-assistants route is not wired");
        }
        Map<String, Object> headers = new HashMap<>();
        headers.put(Exchange.HTTP_METHOD, method);
        headers.put(Exchange.HTTP_URI, settings.baseUrl() + path);
        if (query != null) {
            headers.put(Exchange.HTTP_QUERY, query);
        }
        headers.put("Authorization", "Bearer " + settings.privateKey());
        headers.put(Exchange.CONTENT_TYPE, "application/json");
        String what = method + " " + path;
        try {
            String answer = partner.requestBodyAndHeaders("direct:vapi-assistants", body == null ? null : Json.write(body), headers, String.class);
            return answer == null || answer.isBlank() ? null : Json.MAPPER.readTree(answer);
        } catch (CamelExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof HttpOperationFailedException h) {
                throw new VapiFailure(h.getStatusCode(), "Vapi refused " + what + ": " + h.getStatusCode() + " " + reason(h.getResponseBody()), h);
            }
            throw new VapiFailure(0, "Vapi did not answer " + what + ": " + describe(cause), cause);
        } catch (java.io.IOException e) {
            throw new VapiFailure(0, "Vapi's answer to " + what + " is not JSON: " + e.getMessage(), e);
        }
    }

    /** Vapi's (NestJS) error body: {@code message} (a string, or a list for a 400) and {@code error}; else the text, cut short. */
    static String reason(String body) {
        if (body == null || body.isBlank()) {
            return "(no body)";
        }
        try {
            JsonNode n = Json.MAPPER.readTree(body);
            JsonNode m = n.get("message");
            if (m != null && m.isArray()) {
                List<String> parts = new ArrayList<>();
                m.forEach(x -> parts.add(x.asText()));
                return String.join("; ", parts);
            }
            if (m != null && m.isTextual()) {
                return m.asText();
            }
        } catch (java.io.IOException ignored) {
            // not JSON: the text itself
        }
        String t = body.strip().replaceAll("\\s+", " ");
        return t.length() > 300 ? t.substring(0, 300) + "…" : t;
    }

    private static String describe(Throwable t) {
        String name = t.getClass().getSimpleName();
        if (t instanceof java.net.SocketTimeoutException || name.contains("Timeout")) {
            return "no answer within the hub's timeout (hub.assistants.vapi-timeout-ms)";
        }
        return name + (t.getMessage() == null ? "" : " " + t.getMessage());
    }
}
