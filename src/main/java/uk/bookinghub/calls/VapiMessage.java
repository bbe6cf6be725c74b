package uk.bookinghub.calls;

import com.fasterxml.jackson.databind.JsonNode;

/** A Vapi server message: its {@code message.type} and the {@code message} object. */
public record VapiMessage(String type, JsonNode message) {
    /** For route expressions ({@code ${body.type}}). */
    public String getType() {
        return type;
    }

    public JsonNode call() {
        JsonNode c = message.get("call");
        return c != null && c.isObject() ? c : null;
    }
}
