package uk.bookinghub.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.Locale;

/** Reads a request body as a JSON object, or says exactly why it cannot (4xx). */
public final class JsonBodies {
    private JsonBodies() {
    }

    public static JsonNode object(byte[] body, String contentType, long maxBytes) {
        if (contentType == null || !isJson(contentType)) {
            throw new HttpProblem(415, "Content-Type must be application/json, got " + (contentType == null ? "none" : "'" + contentType + "'"));
        }
        if (body == null || body.length == 0) {
            throw HttpProblem.badRequest("empty body: expected a JSON object");
        }
        if (body.length > maxBytes) {
            throw new HttpProblem(413, "body is " + body.length + " bytes; the limit is " + maxBytes);
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw HttpProblem.badRequest("malformed JSON" + where + ": " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw HttpProblem.badRequest("unreadable body: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw HttpProblem.badRequest("expected a JSON object, got " + (node == null ? "nothing" : node.getNodeType().name().toLowerCase(Locale.ROOT)));
        }
        return node;
    }

    static boolean isJson(String contentType) {
        String ct = contentType.toLowerCase(Locale.ROOT);
        int semi = ct.indexOf(';');
        String mime = (semi < 0 ? ct : ct.substring(0, semi)).trim();
        return mime.equals("application/json") || (mime.startsWith("application/") && mime.endsWith("+json"));
    }

    /** Text of a field, or null when absent, null or not text-like. */
    public static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        if (v == null || v.isNull() || v.isContainerNode()) {
            return null;
        }
        String s = v.asText();
        return s.isBlank() ? null : s.trim();
    }
}
