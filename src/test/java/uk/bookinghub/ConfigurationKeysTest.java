package uk.bookinghub;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.Readme;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Configuration that explains itself: every key in application.properties and the profile files
 * is read by something, and the README's configuration table names only keys (and environment
 * variables) that exist.
 * <ul>
 * <li>{@code camel.main.*}, {@code camel.server.*}, {@code camel.management.*}, … are options in
 * camel-main's configuration metadata ({@code META-INF/camel-main-configuration-metadata.json});</li>
 * <li>{@code camel.component.<name>.<option>} is an option of that component's own metadata;</li>
 * <li>{@code camel.beans.<bean> = #class:…} is a class on the classpath, and
 * {@code camel.beans.<bean>.<property>} a setter of it;</li>
 * <li>the hub's own keys ({@code hub.*}, {@code vapi.*}, {@code twilio.*}, {@code mail.*},
 * {@code google.*}) appear in src/main or routes/, or as a {@code {{placeholder}}} in another key's
 * value (which is itself checked); any other namespace is an error.</li>
 * </ul>
 */
class ConfigurationKeysTest {

    private static final List<String> FILES = List.of("application.properties", "application-prod.properties",
            "application-dev.properties", "application-test.properties");
    private static final List<String> OWN = List.of("hub.", "vapi.", "twilio.", "mail.", "google.");

    private static Map<String, String> keys() throws IOException {
        Map<String, String> all = new LinkedHashMap<>();
        for (String f : FILES) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(Path.of(f))) {
                p.load(r);
            }
            for (String k : new TreeSet<>(p.stringPropertyNames())) {
                all.merge(k, p.getProperty(k).trim(), (a, b) -> a + "\n" + b);
            }
        }
        return all;
    }

    private static String camelCase(String kebab) {
        StringBuilder out = new StringBuilder();
        boolean up = false;
        for (char c : kebab.toCharArray()) {
            if (c == '-') {
                up = true;
            } else {
                out.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return out.toString();
    }

    private static Set<String> mainOptions() throws IOException {
        Set<String> names = new HashSet<>();
        try (InputStream in = org.apache.camel.main.Main.class.getResourceAsStream("/META-INF/camel-main-configuration-metadata.json")) {
            assertThat(in).as("camel-main-configuration-metadata.json on the classpath").isNotNull();
            JsonNode root = Jsons.read(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            root.path("properties").forEach(p -> names.add(p.path("name").asText().toLowerCase(java.util.Locale.ROOT)));
        }
        return names;
    }

    /** The text of src/main and routes/, where the hub's own keys are read. */
    private static String sources() throws IOException {
        StringBuilder all = new StringBuilder();
        for (String dir : List.of("src/main", "routes")) {
            try (Stream<Path> files = Files.walk(Path.of(dir))) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    all.append(Files.readString(f)).append('\n');
                }
            }
        }
        return all.toString();
    }

    @Test
    void everyKeyInThePropertiesFilesIsReadBySomething() throws Exception {
        Map<String, String> keys = keys();
        Set<String> main = mainOptions();
        String sources = sources();
        String values = String.join("\n", keys.values());
        List<String> problems = new ArrayList<>();
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            for (var e : keys.entrySet()) {
                String key = e.getKey();
                if (key.startsWith("camel.component.")) {
                    String[] parts = key.substring("camel.component.".length()).split("\\.", 2);
                    String json = parts.length < 2 ? null : camel.getComponentParameterJsonSchema(parts[0]);
                    if (json == null) {
                        problems.add(key + ": no component '" + parts[0] + "' on the classpath");
                    } else if (!Jsons.read(json).path("componentProperties").has(camelCase(parts[1]))) {
                        problems.add(key + ": component " + parts[0] + " has no option " + camelCase(parts[1]));
                    }
                } else if (key.startsWith("camel.beans.")) {
                    String[] parts = key.substring("camel.beans.".length()).split("\\.", 2);
                    String decl = keys.get("camel.beans." + parts[0]);
                    if (decl == null || !decl.startsWith("#class:")) {
                        problems.add(key + ": bean " + parts[0] + " is not declared with #class:");
                        continue;
                    }
                    Class<?> type;
                    try {
                        type = Class.forName(decl.substring("#class:".length()).replaceAll("[#(].*", "").trim());
                    } catch (ClassNotFoundException ex) {
                        problems.add(key + ": no class " + decl);
                        continue;
                    }
                    if (parts.length == 2) {
                        String setter = "set" + Character.toUpperCase(camelCase(parts[1]).charAt(0)) + camelCase(parts[1]).substring(1);
                        if (Stream.of(type.getMethods()).noneMatch(m -> m.getName().equals(setter) && m.getParameterCount() == 1)) {
                            problems.add(key + ": " + type.getName() + " has no " + setter);
                        }
                    }
                } else if (key.startsWith("camel.")) {
                    String option = camelCase(key.replaceAll("\\[.*]$", ""));
                    if (!main.contains(option.toLowerCase(java.util.Locale.ROOT))) {
                        problems.add(key + ": not a camel-main option (" + option + ")");
                    }
                } else if (OWN.stream().anyMatch(key::startsWith)) {
                    boolean read = sources.contains("\"" + key + "\"") || sources.contains("{{" + key + "}}") || sources.contains("{{" + key + ":")
                            || values.contains("{{" + key + "}}") || values.contains("{{" + key + ":");
                    if (!read) {
                        problems.add(key + ": read by nothing in src/main or routes/");
                    }
                } else {
                    problems.add(key + ": not a camel.* key nor one of the hub's namespaces " + OWN);
                }
            }
        }
        assertThat(problems).as("keys in " + FILES).isEmpty();
    }

    @Test
    void theReadmesConfigurationTableNamesOnlyKeysAndVariablesThatExist() throws Exception {
        Set<String> keys = keys().keySet();
        String props = String.join("\n", FILES.stream().map(f -> {
            try {
                return Files.readString(Path.of(f));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList());
        String hubApp = Files.readString(Path.of("src/main/java/uk/bookinghub/HubApp.java"));
        List<String> rows = Readme.load().section("Configuration").stream().filter(l -> l.startsWith("| ") && !l.startsWith("| key")
                && !l.startsWith("| ---")).toList();
        assertThat(rows).hasSizeGreaterThan(10);
        Pattern code = Pattern.compile("`([^`]+)`");
        List<String> problems = new ArrayList<>();
        Set<String> named = new TreeSet<>();
        for (String row : rows) {
            String[] cells = row.split("\\|");
            Matcher k = code.matcher(cells[1]);
            while (k.find()) {
                named.add(k.group(1));
                if (!keys.contains(k.group(1))) {
                    problems.add("key " + k.group(1) + " is not in " + FILES);
                }
            }
            Matcher v = code.matcher(cells[2]);
            while (v.find()) {
                String name = v.group(1);
                if (!name.matches("[A-Z][A-Z0-9_]+")) {
                    continue; // a value or a -D form, not a variable
                }
                if (!props.contains("{{env:" + name + ":") && !hubApp.contains("\"" + name + "\"")) {
                    problems.add("environment variable " + name + " is read by nothing");
                }
            }
        }
        assertThat(problems).isEmpty();
        assertThat(named).contains("hub.routes.reload", "hub.leads.copy-streams", "hub.database.url");
    }
}
