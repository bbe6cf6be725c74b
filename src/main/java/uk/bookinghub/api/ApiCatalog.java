package uk.bookinghub.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.apache.camel.CamelContext;
import org.apache.camel.model.Model;
import org.apache.camel.model.ValueDefinition;
import org.apache.camel.model.rest.ParamDefinition;
import org.apache.camel.model.rest.RestDefinition;
import org.apache.camel.model.rest.SecurityDefinition;
import org.apache.camel.model.rest.VerbDefinition;
import org.apache.camel.openapi.BeanConfig;
import org.apache.camel.openapi.RestOpenApiReader;
import org.apache.camel.openapi.RestOpenApiSupport;

import uk.bookinghub.http.Json;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The HTTP API as the route files declare it: every REST DSL verb of every {@code rest:} block,
 * with its route id, auth rules, content types and parameters. The front door looks endpoints up
 * here; {@link #problems()} lists every declaration the front door could not enforce (no route
 * id, no auth rule, an unknown rule), and the hub refuses to start with any; {@link #openApi()} is
 * the published description ({@code GET /api/openapi.json}).
 */
public final class ApiCatalog {

    private final CamelContext camel;
    private final String vapiHeader;
    private final AtomicReference<Snapshot> snapshot = new AtomicReference<>();
    /** What other capabilities require of every declaration (the audit log: a state-changing endpoint names its action). */
    private final List<java.util.function.Function<ApiEndpoint, String>> rules = new java.util.concurrent.CopyOnWriteArrayList<>();

    private record Snapshot(List<RestDefinition> rests, Map<String, ApiEndpoint> byRoute, List<String> problems,
                            Map<String, List<Template>> byShape) {
        Snapshot(List<RestDefinition> rests, Map<String, ApiEndpoint> byRoute, List<String> problems) {
            this(rests, byRoute, problems, shapes(byRoute));
        }

        /** The endpoints by method and number of path segments, in declaration order: a request is matched against its own few. */
        private static Map<String, List<Template>> shapes(Map<String, ApiEndpoint> byRoute) {
            Map<String, List<Template>> m = new java.util.HashMap<>();
            for (ApiEndpoint e : byRoute.values()) {
                String[] segments = e.path().split("/", -1);
                m.computeIfAbsent(shape(e.method(), segments.length), k -> new ArrayList<>()).add(new Template(segments, e));
            }
            m.replaceAll((k, v) -> List.copyOf(v));
            return Map.copyOf(m);
        }
    }

    /** A declared path cut at its slashes ({@code {name}} segments match any value). */
    private record Template(String[] segments, ApiEndpoint endpoint) {
        boolean matches(String[] actual) {
            for (int i = 0; i < segments.length; i++) {
                if (!segments[i].startsWith("{") && !segments[i].equals(actual[i])) {
                    return false;
                }
            }
            return true;
        }
    }

    private static String shape(String method, int segments) {
        return method.toUpperCase(Locale.ROOT) + " " + segments;
    }

    public ApiCatalog(CamelContext camel, String vapiHeader) {
        this.camel = camel;
        this.vapiHeader = vapiHeader;
    }

    /** The declaration behind a REST route, by the route's id; null when there is none. */
    public ApiEndpoint endpoint(String routeId) {
        Snapshot s = current();
        ApiEndpoint e = s.byRoute.get(routeId);
        if (e == null) {
            s = refresh(); // a route file was reloaded since
            e = s.byRoute.get(routeId);
        }
        return e;
    }

    public List<ApiEndpoint> endpoints() {
        return List.copyOf(current().byRoute.values());
    }

    /**
     * Whether the HTTP server should hand this path's body over as a stream: a POST that consumes
     * {@code text/csv} is a file upload (a lead file of 100 MB must not be grown in memory 4 MB at a time).
     */
    public boolean streamsUploads(String path) {
        // asked for every HTTP endpoint Camel adds (~100 at a start, and again at a reload): read from the declarations
        // as they are now, not a whole new snapshot each time (that was ~30 MB and ~0.1 s of every start)
        String p = path.startsWith("/") ? path : "/" + path;
        for (RestDefinition rest : new ArrayList<>(model().getRestDefinitions())) {
            if (Boolean.parseBoolean(text(rest.getDisabled()))) {
                continue;
            }
            for (VerbDefinition verb : rest.getVerbs()) {
                if (!Boolean.parseBoolean(text(verb.getDisabled())) && verb.asVerb().equalsIgnoreCase("POST")
                        && join(text(rest.getPath()), text(verb.getPath())).equals(p)
                        && types(text(verb.getConsumes() != null ? verb.getConsumes() : rest.getConsumes())).contains("text/csv")) {
                    return true; // the same rule as ApiEndpoint.streamed
                }
            }
        }
        return false;
    }

    private static List<String> types(String consumes) {
        return consumes == null ? List.of() : Arrays.stream(consumes.split("[,;]")).map(String::trim).filter(t -> !t.isEmpty()).toList();
    }

    /** The endpoint that serves {@code method} on {@code rawPath} (template segments match any value), or null. */
    public ApiEndpoint match(String method, String rawPath) {
        // on every request (the event loop's body limit and stopped-route checks): no scan of every declaration
        String[] actual = rawPath.split("/", -1);
        List<Template> candidates = current().byShape.get(shape(method, actual.length));
        if (candidates != null) {
            for (Template t : candidates) {
                if (t.matches(actual)) {
                    return t.endpoint();
                }
            }
        }
        return null;
    }

    /** What is wrong with the declarations (empty when every endpoint has a route id and a known auth rule). */
    public List<String> problems() {
        return refresh().problems;
    }

    /**
     * Adds a rule every declared endpoint must keep: it answers what is wrong with an endpoint, or
     * null. A broken rule is one of {@link #problems()}, so the hub does not start (and a route file
     * that breaks it is not reloaded).
     */
    public void require(java.util.function.Function<ApiEndpoint, String> rule) {
        rules.add(rule);
        invalidate();
    }

    /** Forgets what was read (a route file was reloaded). */
    public void invalidate() {
        snapshot.set(null);
    }

    private Snapshot current() {
        Snapshot s = snapshot.get();
        if (s == null || s.rests.size() != model().getRestDefinitions().size()) {
            s = refresh();
        }
        return s;
    }

    private Model model() {
        Model m = model;
        if (m == null) {
            m = camel.getCamelContextExtension().getContextPlugin(Model.class);
            model = m;
        }
        return m;
    }

    /** The context's route model (the same object for the context's life), looked up once. */
    private volatile Model model;

    // not synchronized: the model's lock is taken here, and a route being added holds it while it asks
    // for streamsUploads (a lock-order deadlock of the event loop and route reload); a snapshot is immutable
    private Snapshot refresh() {
        List<RestDefinition> rests = new ArrayList<>(model().getRestDefinitions());
        Map<String, ApiEndpoint> byRoute = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (RestDefinition rest : rests) {
            if (Boolean.parseBoolean(text(rest.getDisabled()))) {
                continue;
            }
            for (VerbDefinition verb : rest.getVerbs()) {
                if (Boolean.parseBoolean(text(verb.getDisabled()))) {
                    continue;
                }
                String method = verb.asVerb().toUpperCase(Locale.ROOT);
                String path = join(text(rest.getPath()), text(verb.getPath()));
                String where = method + " " + path + " (" + (rest.getResource() == null ? "?" : rest.getResource().getLocation()) + ")";
                // the REST DSL inlines a verb's "to: direct:<name>" route: the route that serves it has that route's id
                String to = verb.getTo() == null ? null : text(verb.getTo().getUri());
                String routeId = text(verb.getRouteId());
                if (to != null && to.startsWith("direct:")) {
                    routeId = to.substring("direct:".length()).replaceFirst("^//", "");
                    int q = routeId.indexOf('?');
                    routeId = q < 0 ? routeId : routeId.substring(0, q);
                }
                List<String> auth = new ArrayList<>();
                for (SecurityDefinition sd : verb.getSecurity()) {
                    auth.add(text(sd.getKey()));
                }
                if (routeId == null || routeId.isBlank()) {
                    problems.add(where + ": neither 'to: direct:<route id>' nor a routeId");
                    continue;
                }
                if (auth.isEmpty()) {
                    problems.add(where + ": no auth rule (security: - key: apiKey | adminToken | vapiSecret | twilioSignature | public)");
                    continue;
                }
                boolean known = true;
                for (String a : auth) {
                    if (FrontDoor.Rule.of(a) == null) {
                        problems.add(where + ": unknown auth rule '" + a + "'");
                        known = false;
                    }
                }
                if (auth.contains("public") && auth.size() > 1) {
                    problems.add(where + ": 'public' cannot be combined with another auth rule");
                    known = false;
                }
                if (!known) {
                    continue;
                }
                if (byRoute.containsKey(routeId)) {
                    problems.add(where + ": routeId " + routeId + " is already used by " + byRoute.get(routeId).method() + " " + byRoute.get(routeId).path());
                }
                String consumes = text(verb.getConsumes() != null ? verb.getConsumes() : rest.getConsumes());
                List<String> types = types(consumes);
                Map<String, ApiEndpoint.Param> params = new LinkedHashMap<>();
                for (ParamDefinition p : verb.getParams()) {
                    if (p.getType() == null || p.getType().name().equals("body")) {
                        continue;
                    }
                    List<String> allowed = p.getAllowableValues() == null ? List.of()
                            : p.getAllowableValues().stream().map(ValueDefinition::getValue).map(this::text).map(v -> v.toLowerCase(Locale.ROOT)).toList();
                    params.put(text(p.getName()), new ApiEndpoint.Param(text(p.getName()), p.getType().name(), text(p.getDataType()),
                            text(p.getDataFormat()), Boolean.TRUE.equals(p.getRequired()) || p.getType().name().equals("path"), allowed));
                }
                for (String segment : path.split("/")) {
                    if (segment.startsWith("{") && !params.containsKey(segment.substring(1, segment.length() - 1))) {
                        String name = segment.substring(1, segment.length() - 1);
                        params.put(name, new ApiEndpoint.Param(name, "path", "string", null, true, List.of()));
                    }
                }
                boolean partner = auth.contains("vapiSecret") || auth.contains("twilioSignature");
                boolean tolerant = partner || types.contains("text/csv");
                ApiEndpoint endpoint = new ApiEndpoint(routeId, method, path, List.copyOf(auth), types, params, tolerant, partner);
                for (var rule : rules) {
                    String broken = rule.apply(endpoint);
                    if (broken != null) {
                        problems.add(where + ": " + broken);
                    }
                }
                byRoute.put(routeId, endpoint);
            }
        }
        Snapshot s = new Snapshot(rests, byRoute, problems);
        snapshot.set(s);
        return s;
    }

    /** "GET /api/leads - the client's leads" from a REST consumer URI ({@code rest:get:/api:/leads?description=...}). */
    public static String describe(String restUri) {
        String u = restUri.replaceFirst("^rest:(//)?", "");
        int q = u.indexOf('?');
        String head = q < 0 ? u : u.substring(0, q);
        String[] parts = head.split(":", 3);
        String method = parts[0].toUpperCase(Locale.ROOT);
        String path = join(parts.length > 1 ? parts[1] : "", parts.length > 2 ? parts[2] : "");
        String words = null;
        if (q >= 0) {
            for (String pair : u.substring(q + 1).split("&")) {
                if (pair.startsWith("description=")) {
                    words = java.net.URLDecoder.decode(pair.substring("description=".length()), java.nio.charset.StandardCharsets.UTF_8);
                }
            }
        }
        return method + " " + path.replace("%7B", "{").replace("%7D", "}") + (words == null ? "" : " - " + words);
    }

    private String text(String s) {
        return s == null ? null : camel.resolvePropertyPlaceholders(s);
    }

    static String join(String base, String path) {
        String b = base == null ? "" : base.replaceAll("/+$", "");
        String p = path == null ? "" : path.startsWith("/") ? path : "/" + path;
        String all = b + p;
        return all.isEmpty() ? "/" : all;
    }

    /** The OpenAPI 3 description of every declared endpoint, with its auth schemes and error answers. */
    public JsonNode openApi() throws Exception {
        Snapshot s = current();
        BeanConfig config = new BeanConfig();
        config.setTitle("Booking hub API");
        Info info = new Info().title("Booking hub API").version("1.0")
                .description("The client, admin and webhook API of the booking hub. Every operation names its auth rule; errors are JSON {\"error\": \"...\"}.");
        config.setInfo(info);
        OpenAPI api = new RestOpenApiReader().read(camel, s.rests, config, camel.getName(), camel.getClassResolver());
        config.configure(api);
        api.setInfo(info);
        if (api.getComponents() == null) {
            api.setComponents(new io.swagger.v3.oas.models.Components());
        }
        api.getComponents().addSecuritySchemes("apiKey", new SecurityScheme().type(SecurityScheme.Type.APIKEY).in(SecurityScheme.In.HEADER)
                .name("X-API-Key").description("The client's API key (shown once at onboarding, or when the client creates one)."));
        api.getComponents().addSecuritySchemes("clientToken", new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer").bearerFormat("JWT")
                .description("Authorization: Bearer <token from POST /api/auth/token>: a short-lived HS256 JWT, accepted wherever apiKey is."));
        api.getComponents().addSecuritySchemes("adminToken", new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
                .description("Authorization: Bearer <HUB_ADMIN_TOKEN>."));
        api.getComponents().addSecuritySchemes("vapiSecret", new SecurityScheme().type(SecurityScheme.Type.APIKEY).in(SecurityScheme.In.HEADER)
                .name(vapiHeader).description("The shared secret Vapi sends (VAPI_WEBHOOK_SECRET), compared in constant time; or, when "
                + "VAPI_WEBHOOK_HMAC_SECRET is set, Vapi's HMAC credential (signature and timestamp headers, vapi.webhook.hmac-*)."));
        api.getComponents().addSecuritySchemes("twilioSignature", new SecurityScheme().type(SecurityScheme.Type.APIKEY).in(SecurityScheme.In.HEADER)
                .name("X-Twilio-Signature").description("Twilio's HMAC-SHA1 of PUBLIC_BASE_URL + path + the sorted form parameters, keyed with TWILIO_AUTH_TOKEN."));
        api.getComponents().addSecuritySchemes("streamTicket", new SecurityScheme().type(SecurityScheme.Type.APIKEY).in(SecurityScheme.In.QUERY)
                .name("ticket").description("A single-use stream ticket from POST /api/events/ticket, valid a minute (EventSource cannot send headers)."));
        Schema<?> error = new ObjectSchema().addProperty("error", new StringSchema().description("what was wrong, in words"));
        error.addRequiredItem("error");
        api.getComponents().addSchemas("Error", error);
        if (api.getPaths() != null) {
            api.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) -> complete(s, path, method, op)));
        }
        return Json.MAPPER.readTree(RestOpenApiSupport.getJsonFromOpenAPIAsString(api, config));
    }

    private void complete(Snapshot s, String path, PathItem.HttpMethod method, Operation op) {
        ApiEndpoint e = s.byRoute.values().stream()
                .filter(x -> x.method().equals(method.name()) && x.path().equals(path)).findFirst().orElse(null);
        if (e == null) {
            return;
        }
        op.setOperationId(e.routeId());
        if (e.auth().contains("public")) {
            op.setSecurity(new ArrayList<>()); // explicitly open
        } else {
            List<SecurityRequirement> security = new ArrayList<>();
            e.auth().forEach(a -> {
                security.add(new SecurityRequirement().addList(a));
                if (a.equals("apiKey") && !e.path().equals("/api/auth/token")) {
                    security.add(new SecurityRequirement().addList("clientToken")); // the front door takes either
                }
            });
            op.setSecurity(security);
        }
        if (e.hasBody() && !e.consumes().isEmpty() && op.getRequestBody() == null) {
            Content content = new Content();
            for (String type : e.consumes()) {
                content.addMediaType(type, new MediaType().schema(type.equals("application/json") ? new ObjectSchema() : new StringSchema()));
            }
            op.setRequestBody(new io.swagger.v3.oas.models.parameters.RequestBody().required(true).content(content)
                    .description("the fields are described in the README; a field of the wrong type, or a control character in a string, is a 400 naming it"));
        }
        ApiResponses responses = op.getResponses() == null ? new ApiResponses() : op.getResponses();
        if (responses.keySet().stream().noneMatch(k -> k.startsWith("2"))) {
            responses.addApiResponse(method == PathItem.HttpMethod.POST ? "201" : "200", new ApiResponse().description("done; the JSON body says what"));
        }
        boolean queryOrBody = e.hasBody() || !e.params().isEmpty();
        if (queryOrBody) {
            responses.addApiResponse("400", error("a parameter or the body is wrong; the error names it"));
        }
        if (!e.auth().contains("public")) {
            responses.addApiResponse("401", error("missing or invalid credentials"));
            if (e.auth().contains("twilioSignature") || e.auth().contains("adminToken")) {
                responses.addApiResponse("403", error(e.auth().contains("twilioSignature") ? "wrong or missing X-Twilio-Signature"
                        : e.auth().contains("apiKey") ? "the admin API is closed (HUB_ADMIN_TOKEN not set)"
                        : "the admin API is closed (HUB_ADMIN_TOKEN not set), or a client's key or token was sent"));
            } else if (e.auth().contains("apiKey")) {
                responses.addApiResponse("403", error("the admin token was sent: it is not a client's credential"));
            }
        }
        if (e.path().contains("{")) {
            responses.addApiResponse("404", error("no such object for this caller (another client's object is a 404 too)"));
        }
        if (e.auth().contains(FrontDoor.Rule.STREAM_TICKET.key)) {
            responses.addApiResponse("200", new ApiResponse().description("the stream: server-sent events (retry:, then id / event / data "
                    + "messages, a comment line every hub.events.heartbeat-ms), until the client or the hub ends it")
                    .content(new Content().addMediaType("text/event-stream", new MediaType().schema(new StringSchema()))));
            responses.addApiResponse("404", error("clientKey names a client the ticket does not open"));
            responses.addApiResponse("429", error("too many open streams: hub.events.max-streams-per-client, or hub.events.max-streams on this instance (Retry-After)"));
        }
        if (e.hasBody() && !e.consumes().isEmpty()) {
            responses.addApiResponse("415", error("Content-Type is not one of " + String.join(", ", e.consumes())));
        }
        if (e.hasBody()) {
            responses.addApiResponse("408", error("the body stopped arriving (nothing for hub.http.body-idle-timeout-ms); the connection is closed"));
            responses.addApiResponse("413", error("the body (its declared Content-Length) is over this endpoint's limit"));
        }
        if (!e.auth().equals(List.of("adminToken"))) {
            responses.addApiResponse("429", error("over a rate limit (README \"Rate limits\"): a client's requests a minute or imports a day, "
                    + "or requests without valid credentials from this address; Retry-After says when to try again"));
        }
        responses.addApiResponse("414", error("the request line (method and URL) is over " + uk.bookinghub.http.ServerLimits.MAX_REQUEST_LINE + " bytes"));
        responses.addApiResponse("503", error("the database is unavailable; nothing was stored, retry (Retry-After)"));
        op.setResponses(responses);
    }

    private static ApiResponse error(String description) {
        return new ApiResponse().description(description)
                .content(new Content().addMediaType("application/json", new MediaType().schema(new Schema<>().$ref("#/components/schemas/Error"))));
    }
}
