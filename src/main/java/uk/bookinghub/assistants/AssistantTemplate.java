package uk.bookinghub.assistants;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.http.Json;
import uk.bookinghub.security.Secrets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The versioned assistant template, {@code assistants/booking-assistant.json} (the folder moves with
 * {@code hub.assistants-dir} / {@code HUB_ASSISTANTS_DIR}, as the routes' folder does). Ops edit it in
 * place: the file is read again when it changes; a file that cannot be read or has no positive
 * {@code templateVersion} and {@code assistant} object is refused (at start-up the hub does not start;
 * later the last good version stays in use and the refusal is logged).
 *
 * <p>{@link #render} fills {@code {{name}}} placeholders inside the template's strings (and object keys)
 * with the given values: it works on the parsed JSON tree, so a value is always one JSON string,
 * escaped by the writer; a business name cannot add or change a field. A string that is exactly one
 * placeholder whose value is not text (the tools, the version number) becomes that JSON value.
 * Placeholders with no value are left as they are: Vapi's own call-time variables.
 */
public final class AssistantTemplate {

    private static final Logger LOG = LoggerFactory.getLogger(AssistantTemplate.class);
    public static final String FILE = "booking-assistant.json";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([A-Za-z][A-Za-z0-9]*)\\s*\\}\\}");

    /** One good read of the file: its version, the {@code assistant} object, and a hash of the file's text. */
    public record Loaded(int version, ObjectNode assistant, String fileHash) {
    }

    private final Path file;
    private volatile Loaded loaded;
    private volatile String lastText;

    /** Reads the template now: a missing or invalid file is an {@link IllegalStateException} naming it. */
    public AssistantTemplate(Path dir) {
        this.file = dir.resolve(FILE).toAbsolutePath().normalize();
        String text = read();
        this.loaded = parse(text);
        this.lastText = text;
    }

    public Path file() {
        return file;
    }

    /** The template as the file says now (read again when its text changed; a broken edit keeps the last good one). */
    public Loaded current() {
        String text;
        try {
            text = read();
        } catch (IllegalStateException e) {
            LOG.error("[ASSISTANT] {}; still using template version {}", e.getMessage(), loaded.version());
            return loaded;
        }
        if (!text.equals(lastText)) {
            try {
                Loaded next = parse(text);
                if (next.version() != loaded.version()) {
                    LOG.info("[ASSISTANT] template {} is now version {} (was {}): the clients' assistants are out of date until synced",
                            file, next.version(), loaded.version());
                }
                loaded = next;
            } catch (IllegalStateException e) {
                LOG.error("[ASSISTANT] {}; still using template version {}", e.getMessage(), loaded.version());
            }
            lastText = text;
        }
        return loaded;
    }

    private String read() {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the assistant template " + file + ": " + e);
        }
    }

    Loaded parse(String text) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException("the assistant template " + file + " is not JSON: " + e.getMessage());
        }
        JsonNode v = root == null ? null : root.get("templateVersion");
        if (v == null || !v.isIntegralNumber() || v.asInt() < 1) {
            throw new IllegalStateException("the assistant template " + file + " needs \"templateVersion\": a whole number from 1");
        }
        JsonNode assistant = root.get("assistant");
        if (assistant == null || !assistant.isObject()) {
            throw new IllegalStateException("the assistant template " + file + " needs an \"assistant\" object (what is sent to Vapi)");
        }
        return new Loaded(v.asInt(), (ObjectNode) assistant, Secrets.sha256Hex(text));
    }

    /** The template's {@code assistant} with the placeholders filled (a new tree; the template is not changed). */
    public static ObjectNode render(ObjectNode assistant, Map<String, Object> values) {
        return (ObjectNode) fill(assistant, values);
    }

    private static JsonNode fill(JsonNode node, Map<String, Object> values) {
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.set(text(e.getKey(), values), fill(e.getValue(), values));
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            node.forEach(n -> out.add(fill(n, values)));
            return out;
        }
        if (node.isTextual()) {
            Matcher whole = PLACEHOLDER.matcher(node.asText().strip());
            if (whole.matches() && values.containsKey(whole.group(1)) && !(values.get(whole.group(1)) instanceof CharSequence)) {
                return Json.MAPPER.valueToTree(values.get(whole.group(1)));
            }
            return JsonNodeFactory.instance.textNode(text(node.asText(), values));
        }
        return node.deepCopy();
    }

    /** One pass: a value is never searched for placeholders itself. */
    private static String text(String s, Map<String, Object> values) {
        Matcher m = PLACEHOLDER.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            Object v = values.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(v == null || !values.containsKey(m.group(1)) ? m.group() : String.valueOf(v)));
        }
        m.appendTail(out);
        return out.toString();
    }
}
