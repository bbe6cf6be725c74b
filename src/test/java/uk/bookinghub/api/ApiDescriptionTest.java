package uk.bookinghub.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.StartRefusal;
import uk.bookinghub.support.TestDatabase;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The published API description ({@code GET /api/openapi.json}) is the API: it lists exactly the
 * endpoints the README documents and exactly the HTTP routes that run, each with its auth rule
 * and error answers; and an endpoint declared without an auth rule stops the hub from starting.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiDescriptionTest {

    private static final Pattern README_ENDPOINT = Pattern.compile("`((?:GET|POST|PUT|PATCH|DELETE)(?:/(?:GET|POST|PUT|PATCH|DELETE))*) (/[^`?\\s]*)(\\?[^`\\s]*)?`");

    private TestDatabase db;
    private RunningHub hub;
    private JsonNode api;

    @BeforeAll
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.SQLITE);
        hub = RunningHub.start(db.hubUrl(), Map.of());
        HttpResponse<String> r = hub.get("/api/openapi.json");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        api = Jsons.read(r.body());
    }

    @AfterAll
    void stop() {
        hub.close();
        db.close();
    }

    /** "METHOD /path" of every operation in the description, with the operation. */
    private Map<String, JsonNode> operations() {
        Map<String, JsonNode> ops = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = api.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> p = paths.next();
            for (Iterator<Map.Entry<String, JsonNode>> m = p.getValue().fields(); m.hasNext(); ) {
                Map.Entry<String, JsonNode> op = m.next();
                ops.put(op.getKey().toUpperCase() + " " + p.getKey(), op.getValue());
            }
        }
        return ops;
    }

    /** The README's endpoint table: "METHOD /path" with the query parameters it names. */
    static Map<String, Set<String>> readmeEndpoints() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("## What is there now");
        int end = readme.indexOf("\n\n", readme.indexOf("| --- |", start));
        Map<String, Set<String>> out = new TreeMap<>();
        for (String line : readme.substring(start, end).split("\n")) {
            if (!line.startsWith("| `")) {
                continue;
            }
            String first = line.substring(1, line.indexOf(" |", 2));
            Matcher m = README_ENDPOINT.matcher(first);
            while (m.find()) {
                Set<String> query = new TreeSet<>();
                if (m.group(3) != null) {
                    for (String pair : m.group(3).substring(1).split("&")) {
                        query.add(pair.split("=")[0]);
                    }
                }
                for (String method : m.group(1).split("/")) {
                    out.computeIfAbsent(method + " " + m.group(2), k -> new TreeSet<>()).addAll(query);
                }
            }
        }
        return out;
    }

    @Test
    void theDescriptionListsExactlyTheEndpointsTheReadmeDocuments() throws Exception {
        Map<String, Set<String>> readme = readmeEndpoints();
        assertThat(readme).as("README endpoint table").isNotEmpty();
        assertThat(operations().keySet()).containsExactlyInAnyOrderElementsOf(readme.keySet());
        Map<String, JsonNode> ops = operations();
        readme.forEach((endpoint, query) -> {
            Set<String> declared = new TreeSet<>();
            JsonNode params = ops.get(endpoint).get("parameters");
            if (params != null) {
                params.forEach(p -> {
                    if (p.get("in").asText().equals("query")) {
                        declared.add(p.get("name").asText());
                    }
                });
            }
            assertThat(declared).as("query parameters of " + endpoint + " named in the README").containsAll(query);
        });
    }

    @Test
    void everyRunningHttpRouteIsInTheDescriptionAndViceVersa() {
        Map<String, JsonNode> ops = operations();
        Set<String> described = new TreeSet<>();
        ops.values().forEach(op -> described.add(op.get("operationId").asText()));
        Set<String> serving = new TreeSet<>();
        for (Route r : hub.camel().getRoutes()) {
            String uri = r.getEndpoint().getEndpointUri();
            if (uri.startsWith("rest:") || uri.startsWith("platform-http:")) {
                serving.add(r.getRouteId());
            }
        }
        assertThat(serving).as("routes serving HTTP").containsExactlyInAnyOrderElementsOf(described);
    }

    @Test
    void everyOperationNamesItsAuthRuleAndItsErrorAnswers() {
        Set<String> schemes = new TreeSet<>();
        api.get("components").get("securitySchemes").fieldNames().forEachRemaining(schemes::add);
        assertThat(schemes).contains("apiKey", "adminToken", "vapiSecret", "twilioSignature");
        Map<String, Integer> publicOps = new HashMap<>();
        operations().forEach((name, op) -> {
            assertThat(op.has("security")).as(name + " declares its auth rule").isTrue();
            if (op.get("security").isEmpty()) {
                publicOps.put(name, 1);
            } else {
                op.get("security").forEach(req -> assertThat(schemes).as(name).contains(req.fieldNames().next()));
                assertThat(op.get("responses").has("401")).as(name + " documents 401").isTrue();
            }
            assertThat(op.get("summary").asText()).as(name + " summary").isNotBlank();
            assertThat(op.get("responses").has("503")).as(name + " documents 503").isTrue();
            assertThat(op.get("responses").has("414")).as(name + " documents 414 (URL too long)").isTrue();
            if (name.startsWith("POST ") || name.startsWith("PUT ") || name.startsWith("PATCH ")) {
                assertThat(op.get("responses").has("408")).as(name + " documents 408 (body stopped arriving)").isTrue();
                assertThat(op.get("responses").has("413")).as(name + " documents 413").isTrue();
            }
            if (name.contains("{")) {
                assertThat(op.get("responses").has("404")).as(name + " documents 404").isTrue();
            }
        });
        assertThat(publicOps.keySet()).containsExactlyInAnyOrder("GET /health", "GET /api/openapi.json", "GET /api/vapi/tools",
                "GET /dashboard", "GET /dashboard/dashboard.js", "GET /dashboard/dashboard.css", "GET /dashboard/session.js",
                "GET /onboarding", "GET /onboarding/onboarding.js", "GET /onboarding/onboarding.css",
                "POST /api/signup", "GET /signup/verify");
    }

    @Test
    void unknownPathsAndMethodsAnswerJson() {
        HttpResponse<String> missing = hub.get("/api/nothing-here");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(Jsons.read(missing.body()).get("error").asText()).contains("no such endpoint");
        HttpResponse<String> wrongMethod = hub.delete("/api/clients/me");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(Jsons.read(wrongMethod.body()).get("error").asText()).contains("method");
    }

    /** A verb without {@code security} in a route file: the hub refuses to start and says which verb. */
    @Test
    void anEndpointWithoutAnAuthRuleStopsTheHubFromStarting() throws Exception {
        String messages = StartRefusal.messages("open.camel.yaml", """
                - rest:
                    path: /api
                    get:
                      - path: /forgot-auth
                        description: an endpoint that forgot its auth rule
                        to: direct:forgot-auth
                - route:
                    id: forgot-auth
                    description: leaks everything
                    from:
                      uri: direct:forgot-auth
                      steps:
                        - setBody:
                            constant: secret
                """);
        assertThat(messages).as("the hub must refuse to start").isNotNull().contains("GET /api/forgot-auth").contains("no auth rule");
    }
}
