package uk.bookinghub.assistants;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import uk.bookinghub.http.Json;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The template is data ops edit: a value put into it stays one JSON string whatever it holds (no
 * field added, no placeholder expanded twice), Vapi's own variables pass through, and a broken file
 * is refused at start and ignored (the last good version kept) when edited later.
 */
class AssistantTemplateTest {

    @Test
    void theRepositorysTemplateLoadsWithAVersionAndAnAssistant() {
        AssistantTemplate t = new AssistantTemplate(Path.of("assistants"));
        assertThat(t.current().version()).isPositive();
        assertThat(t.current().assistant().has("model")).isTrue();
        assertThat(t.current().assistant().path("model").path("tools").asText()).isEqualTo("{{bookingTools}}");
    }

    @Test
    void valuesAreEscapedIntoStringsAndExpandedOnce() throws Exception {
        ObjectNode template = (ObjectNode) Json.MAPPER.readTree("{\"name\":\"{{businessName}} bookings\",\"voice\":{\"provider\":\"vapi\"},"
                + "\"prompt\":\"Hello {{ customer.name }}, {{businessName}} at {{timezone}}\",\"tools\":\"{{bookingTools}}\","
                + "\"metadata\":{\"v\":\"{{templateVersion}}\"},\"headers\":{\"{{header}}\":\"x\"}}");
        Map<String, Object> values = new LinkedHashMap<>();
        String evil = "A\", \"voice\": {\"provider\": \"evil\"}, \"b\": \"{{timezone}}\\u0000\n";
        values.put("businessName", evil);
        values.put("timezone", "Europe/London");
        values.put("bookingTools", List.of(Map.of("type", "function")));
        values.put("templateVersion", 7);
        values.put("header", "X-Vapi-Secret");
        ObjectNode out = AssistantTemplate.render(template, values);
        String text = Json.write(out);
        JsonNode back = Json.MAPPER.readTree(text);
        assertThat(back.get("name").asText()).isEqualTo(evil + " bookings");
        assertThat(back.path("voice").path("provider").asText()).isEqualTo("vapi");
        assertThat(back.has("b")).isFalse();
        assertThat(back.get("prompt").asText()).isEqualTo("Hello {{ customer.name }}, " + evil + " at Europe/London");
        assertThat(back.get("tools").isArray()).isTrue();
        assertThat(back.path("metadata").path("v").isInt()).isTrue();
        assertThat(back.path("headers").has("X-Vapi-Secret")).isTrue();
        assertThat(template.get("name").asText()).as("the template itself is unchanged").isEqualTo("{{businessName}} bookings");
    }

    @Test
    void aBrokenTemplateIsRefusedAtStartAndIgnoredWhenEditedLater(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(AssistantTemplate.FILE);
        assertThatThrownBy(() -> new AssistantTemplate(dir)).hasMessageContaining("cannot read the assistant template");
        Files.writeString(file, "{\"assistant\":{}}");
        assertThatThrownBy(() -> new AssistantTemplate(dir)).hasMessageContaining("templateVersion");
        Files.writeString(file, "{\"templateVersion\":1}");
        assertThatThrownBy(() -> new AssistantTemplate(dir)).hasMessageContaining("\"assistant\" object");

        Files.writeString(file, "{\"templateVersion\":1,\"assistant\":{\"name\":\"a\"}}");
        AssistantTemplate t = new AssistantTemplate(dir);
        Files.writeString(file, "{\"templateVersion\":2,\"assistant\":");
        assertThat(t.current().version()).isEqualTo(1);
        Files.writeString(file, "{\"templateVersion\":2,\"assistant\":{\"name\":\"b\"}}");
        assertThat(t.current().version()).isEqualTo(2);
        assertThat(t.current().assistant().get("name").asText()).isEqualTo("b");
    }
}
