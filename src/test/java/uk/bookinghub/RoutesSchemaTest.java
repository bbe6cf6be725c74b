package uk.bookinghub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every file in {@code routes/} validates against the Camel YAML DSL JSON schema of the Camel in use
 * ({@code schema/camelYamlDsl.json} inside camel-yaml-dsl, the schema Kaoto and VS Code apply to
 * {@code *.camel.yaml}), so an operator editing a route there sees no false errors.
 */
class RoutesSchemaTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void everyRouteFileValidatesAgainstTheCamelYamlDslSchema() throws Exception {
        JsonSchema schema = schema();
        List<Path> files;
        try (Stream<Path> s = Files.list(Path.of("routes"))) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".camel.yaml")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        // one line per failing place (a value that fits none of an anyOf yields a message per alternative)
        Map<String, String> problems = new TreeMap<>();
        for (Path file : files) {
            for (ValidationMessage m : schema.validate(YAML.readTree(file.toFile()))) {
                problems.putIfAbsent(file.getFileName() + " " + m.getInstanceLocation(), m.getMessage());
            }
        }
        assertThat(problems).as("schema errors in routes/").isEmpty();
    }

    @Test
    void theSchemaCatchesWhatTheRouteFilesAvoid() throws Exception {
        // the two shapes the route files used to have: a boolean where the schema wants a string, and a placeholder for a number
        JsonNode handled = YAML.readTree("""
                - routeConfiguration:
                    id: probe
                    onException:
                      - onException:
                          exception: [java.lang.Exception]
                          handled:
                            constant: true
                """);
        JsonNode placeholder = YAML.readTree("""
                - routeConfiguration:
                    id: probe
                    errorHandler:
                      deadLetterChannel:
                        deadLetterUri: direct:x
                        redeliveryPolicy:
                          maximumRedeliveries: "{{hub.retry.max-redeliveries}}"
                """);
        assertThat(schema().validate(handled)).isNotEmpty();
        assertThat(schema().validate(placeholder)).isNotEmpty();
    }

    private static JsonSchema schema() throws Exception {
        try (InputStream in = RoutesSchemaTest.class.getResourceAsStream("/schema/camelYamlDsl.json")) {
            assertThat(in).as("schema/camelYamlDsl.json in camel-yaml-dsl").isNotNull();
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(in);
        }
    }
}
