package uk.bookinghub.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.calls.VapiWebhook;
import uk.bookinghub.clients.ClientState;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Json;
import uk.bookinghub.http.JsonReply;
import uk.bookinghub.http.Upload;
import uk.bookinghub.limits.RateLimits;
import uk.bookinghub.messaging.TwilioWebhooks;
import uk.bookinghub.security.AdminAuth;
import uk.bookinghub.security.ApiKeys;
import uk.bookinghub.security.Caller;
import uk.bookinghub.security.ClientTokens;
import uk.bookinghub.security.Credential;

import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one front door of the HTTP API. Every REST route passes through it by declaration (the
 * global route configuration in {@code routes/front-door.camel.yaml} intercepts every
 * {@code rest:} consumer), before its handler runs:
 * <ol>
 *   <li>the endpoint's declaration is found ({@link ApiCatalog}); an endpoint without a declared
 *       auth rule is refused (fail closed);</li>
 *   <li>query and path parameters are checked against the declared ones (unknown, repeated,
 *       wrongly typed, credentials in the URL: 400 naming the parameter) and left typed in the
 *       exchange property {@code params} ({@link Params}), which handlers take as an argument;</li>
 *   <li>the body's content type against what the endpoint consumes (415);</li>
 *   <li>the caller against the endpoint's auth rules: {@code apiKey} (X-API-Key, or Authorization:
 *       Bearer with a client token, a JWT: {@link ClientTokens}), {@code adminToken} (Authorization:
 *       Bearer HUB_ADMIN_TOKEN), {@code vapiSecret}, {@code twilioSignature} or {@code public}
 *       ({@code streamTicket}, the event stream's, is checked by its own handler); the
 *       caller is left in the property {@code caller} (and {@code client}, and for a client the key
 *       prefix and token id it came with in {@code credential}). The admin token is never a client's
 *       credential and a client's key or token never opens an admin-only endpoint (403 for both);</li>
 *   <li>the rate limits ({@link RateLimits}): an address whose budget for requests without valid
 *       credentials is spent is answered 429 before its credentials are checked; a refused credential
 *       takes one from that budget; a client takes one from its tier's budget a minute, a public
 *       request (not the health probe) one from its address's, a webhook one from its address's
 *       ceiling when there is one; an import also one from the client's daily imports, once every
 *       other check has passed. The answer, whatever it is, carries {@code RateLimit-Limit},
 *       {@code RateLimit-Remaining} and {@code RateLimit-Reset} for the budget it took from (and
 *       {@code Retry-After} on a 429);</li>
 *   <li>a JSON body with a control character (NUL and friends, which PostgreSQL refuses) in a
 *       string: 400 naming the field.</li>
 * </ol>
 * A refused request is answered here with its JSON error and the route stops.
 */
public final class FrontDoor implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(FrontDoor.class);

    /** The auth rules a verb may name in its {@code security} list (several = any one of them). */
    public enum Rule {
        PUBLIC("public"), API_KEY("apiKey"), ADMIN_TOKEN("adminToken"), VAPI_SECRET("vapiSecret"), TWILIO_SIGNATURE("twilioSignature"),
        /** A single-use ticket in {@code ?ticket=} ({@code GET /api/events}): checked by the stream's own handler, not here. */
        STREAM_TICKET("streamTicket");

        public final String key;

        Rule(String key) {
            this.key = key;
        }

        public static Rule of(String key) {
            for (Rule r : values()) {
                if (r.key.equals(key)) {
                    return r;
                }
            }
            return null;
        }
    }

    private final ApiCatalog catalog;
    private final AdminAuth admin;
    private final ApiKeys apiKeys;
    private final ClientTokens tokens;
    private final VapiWebhook vapi;
    private final String vapiHeader;
    private final TwilioWebhooks twilio;
    private final RateLimits limits;
    private final JsonReply errorReply = JsonReply.error();

    /** Public endpoints that are health probes (load balancers poll them): not counted against an address. */
    private static final java.util.Set<String> PROBES = java.util.Set.of("/health");

    public FrontDoor(ApiCatalog catalog, AdminAuth admin, ApiKeys apiKeys, ClientTokens tokens, VapiWebhook vapi, String vapiHeader,
                     TwilioWebhooks twilio, RateLimits limits) {
        this.catalog = catalog;
        this.admin = admin;
        this.apiKeys = apiKeys;
        this.tokens = tokens;
        this.vapi = vapi;
        this.vapiHeader = vapiHeader;
        this.twilio = twilio;
        this.limits = limits;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        try {
            admit(exchange);
        } catch (RuntimeException refused) {
            if (refused instanceof RateLimits.Refused r) {
                rateLimitHeaders(exchange, r.quota(), r.retryAfterSeconds());
            }
            exchange.setProperty(Exchange.EXCEPTION_CAUGHT, refused);
            errorReply.process(exchange);
            exchange.removeProperty(Exchange.EXCEPTION_CAUGHT);
            exchange.setRouteStop(true);
        }
    }

    void admit(Exchange exchange) {
        ApiEndpoint e = catalog.endpoint(exchange.getFromRouteId());
        if (e == null) {
            LOG.error("[CRITICAL ALERT] route {} serves HTTP without a declared endpoint and auth rule: refused", exchange.getFromRouteId());
            throw new HttpProblem(500, "this endpoint has no declared auth rule and is closed");
        }
        Message m = exchange.getMessage();
        // credentials in the URL (where proxies and logs keep them) are refused before anything else; platform-http
        // would also merge them into the headers of the same name
        String rawQuery = m.getHeader(Exchange.HTTP_RAW_QUERY, String.class);
        ApiEndpoint.refuseCredentials(rawQuery, e.params());
        // then who is calling: an unauthenticated request learns nothing about parameters or bodies
        Caller caller = authenticateWithinLimits(e, exchange);
        // known from here on, also when the request is refused below (the audit log names who sent it)
        exchange.setProperty("caller", caller);
        if (caller.client() != null) {
            exchange.setProperty("client", caller.client());
            lifecycle(e, caller.client());
        }
        String uri = m.getHeader(Exchange.HTTP_URI, String.class);
        String rawPath = uri == null ? "" : uri.indexOf('?') < 0 ? uri : uri.substring(0, uri.indexOf('?'));
        ApiEndpoint.refuseDotSegments(rawPath);
        Map<String, String> query = e.query(rawQuery);
        Params params = e.typed(query, e.pathValues(rawPath));
        // platform-http copies query parameters into headers (and merges them with path parameters):
        // the handlers see only the checked values, in the params property
        for (String name : e.params().keySet()) {
            m.removeHeader(name);
        }
        if (e.hasBody() && !e.consumes().isEmpty()) {
            contentType(e, m.getHeader(Exchange.CONTENT_TYPE, String.class));
        }
        exchange.setProperty("params", params);
        if (e.hasBody() && !e.tolerantBody() && e.consumes().contains("application/json")) {
            controlCharacters(m.getBody());
        }
        if (caller.client() != null && e.streamed()) {
            // an upload is an import: one of the client's imports a day, whatever its size (its answer keeps the minute's headers)
            limits.importStarted(caller.client());
        }
    }

    /**
     * The POST endpoints a suspended client may still use: they trade its API key for a short-lived
     * read credential (a token for the dashboard, a ticket for the event stream) and change no data.
     */
    private static final java.util.Set<String> READ_CREDENTIALS = java.util.Set.of("auth-token", "events-ticket");

    /**
     * What the client's state allows ({@link ClientState}): a client pending verification nothing (it has
     * no key; any credential of it is refused here too), a suspended one reads only (GET, and the read
     * credentials above): any other request is a 403 that says so. Trial and active clients pass; a trial
     * client's sends and calls are limited where they are made (the messages API, the dialler, the outbox).
     */
    static void lifecycle(ApiEndpoint e, uk.bookinghub.clients.Client client) {
        ClientState state = client.state();
        if (state == ClientState.PENDING_VERIFICATION) {
            throw new HttpProblem(403, "client not verified: follow the link in the signup email first", Map.of("state", state.key()));
        }
        if (state == ClientState.SUSPENDED && !e.method().equals("GET") && !READ_CREDENTIALS.contains(e.routeId())) {
            throw new HttpProblem(403, "client suspended: it may only read (GET) until an admin activates it again; contact support",
                    Map.of("state", state.key(), "rule", "suspended clients read only"));
        }
    }

    /**
     * The caller (see {@link #authenticate}) within the rate limits: an address with its budget for
     * requests without valid credentials spent is refused before anything is checked; a refused
     * credential (401, 403) takes one from that budget (429 once it is spent); then the caller's own
     * budget: a client's by its tier, an anonymous caller's (a public endpoint other than a probe) by
     * its address, a partner webhook's by its address when that ceiling is on; admin is not limited.
     */
    private Caller authenticateWithinLimits(ApiEndpoint e, Exchange exchange) {
        boolean open = e.auth().contains(Rule.PUBLIC.key);
        if (!open) {
            limits.notSpent(() -> address(exchange));
        }
        Caller caller;
        try {
            caller = authenticate(e, exchange);
        } catch (HttpProblem refused) {
            if (refused.status() == 401 || refused.status() == 403) {
                rateLimitHeaders(exchange, limits.anonymous(address(exchange)), 0);
            }
            throw refused;
        }
        RateLimits.Quota quota = null;
        if (caller.client() != null) {
            quota = limits.client(caller.client());
        } else if (caller.partner() != null) {
            quota = limits.webhooksLimited() ? limits.webhook(address(exchange), caller.partner()) : null;
        } else if (!caller.admin() && !PROBES.contains(e.path())) {
            quota = limits.anonymous(address(exchange));
        }
        if (quota != null) {
            rateLimitHeaders(exchange, quota, 0);
        }
        if (caller.client() != null || caller.admin()) {
            noStore(exchange);
        }
        return caller;
    }

    /** The caller's IP address: as the audit door found it (behind a trusted proxy, its X-Forwarded-For), else the connection's peer. */
    static String address(Exchange exchange) {
        String known = exchange.getProperty("callerIp", String.class); // the audit door's: X-Forwarded-For from a trusted proxy
        if (known != null && !known.isBlank()) {
            return known;
        }
        if (exchange.getIn() instanceof HttpMessage http && http.getRequest().remoteAddress() != null) {
            return http.getRequest().remoteAddress().hostAddress();
        }
        return "unknown";
    }

    /**
     * The {@code RateLimit-*} headers (and {@code Retry-After} when {@code retryAfter > 0}) written on
     * the HTTP response itself, so that they stay whatever the handler does with the message's headers
     * (the handlers clear them before answering).
     */
    /**
     * An authenticated answer (a token, a client's or an admin's data) is kept by no cache or proxy:
     * {@code Cache-Control: no-store}, written on the response itself (platform-http drops a
     * Cache-Control message header).
     */
    static void noStore(Exchange exchange) {
        if (exchange.getIn() instanceof HttpMessage http) {
            http.getResponse().putHeader("Cache-Control", "no-store");
        }
    }

    static void rateLimitHeaders(Exchange exchange, RateLimits.Quota q, long retryAfter) {
        java.util.function.BiConsumer<String, String> put = exchange.getIn() instanceof HttpMessage http
                ? (name, value) -> http.getResponse().putHeader(name, value)
                : (name, value) -> exchange.getMessage().setHeader(name, value);
        if (q != null) {
            put.accept("RateLimit-Limit", Long.toString(q.limit()));
            put.accept("RateLimit-Remaining", Long.toString(q.remaining()));
            put.accept("RateLimit-Reset", Long.toString(q.resetSeconds()));
        }
        if (retryAfter > 0) {
            put.accept("Retry-After", Long.toString(retryAfter));
        }
    }

    private static void contentType(ApiEndpoint e, String contentType) {
        if (contentType == null || contentType.isBlank()) {
            throw unsupported(e.consumes(), null);
        }
        String mime = contentType.toLowerCase(Locale.ROOT);
        int semi = mime.indexOf(';');
        mime = (semi < 0 ? mime : mime.substring(0, semi)).trim();
        for (String c : e.consumes()) {
            if (c.equals(mime) || (c.equals("application/json") && mime.startsWith("application/") && mime.endsWith("+json"))) {
                return;
            }
        }
        throw unsupported(e.consumes(), mime);
    }

    /** The 415 of an endpoint that consumes {@code accepted}, for a request that sent {@code given} (null: none). */
    public static HttpProblem unsupported(List<String> accepted, String given) {
        return new HttpProblem(415, "Content-Type must be " + String.join(" or ", accepted) + ", got "
                + (given == null ? "none" : "'" + given + "'"), Map.of("accepted", accepted));
    }

    private Caller authenticate(ApiEndpoint e, Exchange exchange) {
        Message m = exchange.getMessage();
        List<String> rules = e.auth();
        String authorization = m.getHeader("Authorization", String.class);
        String apiKey = m.getHeader("X-API-Key", String.class);
        // a bearer value is the admin token, or (in the form of a JWT) a client's token: the admin token is
        // compared first, so an admin token that happens to have two dots stays the admin token
        boolean adminToken = admin.isAdminToken(authorization);
        String clientToken = adminToken ? null : AdminAuth.bearer(authorization);
        if (clientToken != null && !ClientTokens.looksLikeJwt(clientToken)) {
            clientToken = null;
        }
        // with several rules, the credential that was sent decides which one applies
        for (String key : rules) {
            Rule rule = Rule.of(key);
            switch (rule) {
                case PUBLIC -> {
                    return Caller.ANONYMOUS;
                }
                case ADMIN_TOKEN -> {
                    if (present(authorization) && clientToken == null) {
                        admin.check(authorization);
                        return Caller.ADMIN;
                    }
                }
                case API_KEY -> {
                    if (present(apiKey)) {
                        return client(exchange, apiKeys.authenticate(apiKey));
                    }
                    if (clientToken != null) {
                        return client(exchange, tokens.authenticate(clientToken));
                    }
                }
                case VAPI_SECRET -> {
                    // the shared secret header, or Vapi's HMAC signature over the raw body (VapiWebhook)
                    vapi.authenticate(m.getHeader(vapiHeader, String.class), name -> m.getHeader(name, String.class), m.getBody());
                    return Caller.partner("vapi");
                }
                case TWILIO_SIGNATURE -> {
                    exchange.setProperty(TwilioWebhooks.VERIFIED_PARAMS, twilio.verify(exchange, e.path()));
                    return Caller.partner("twilio");
                }
                case STREAM_TICKET -> // served by uk.bookinghub.events.EventStreams on the router; a request here means it is not there
                        throw new HttpProblem(503, "the event stream is served by its own handler, which is not running on this hub instance; reconnect");
            }
        }
        if (rules.contains(Rule.API_KEY.key) && present(authorization)) {
            // a client endpoint: the admin token is known but not a client (403); any other bearer value is not a credential here
            if (adminToken) {
                throw new HttpProblem(403, "client endpoint: send X-API-Key or Authorization: Bearer <client token>; the admin token is not a client's credential");
            }
            throw HttpProblem.unauthorized("Authorization on this endpoint takes a client token (Bearer <JWT from POST /api/auth/token>); or send X-API-Key");
        }
        if (rules.size() == 1 && rules.get(0).equals(Rule.ADMIN_TOKEN.key)) {
            // an admin-only endpoint: a client's valid API key or token is known but not allowed (403); a wrong one is a 401
            if (present(apiKey)) {
                apiKeys.authenticate(apiKey);
                throw new HttpProblem(403, "admin only: send Authorization: Bearer <admin token>; a client's API key does not open this endpoint");
            }
            if (clientToken != null) {
                tokens.authenticate(clientToken);
                throw new HttpProblem(403, "admin only: send Authorization: Bearer <admin token>; a client's token does not open this endpoint");
            }
            admin.check(null);
        }
        throw HttpProblem.unauthorized("missing credentials: send " + String.join(" or ", rules.stream().map(FrontDoor::credential).toList()));
    }

    private static boolean present(String header) {
        return header != null && !header.isBlank();
    }

    /** A client admitted by its key or token: the credential (key prefix, token id) is left in the property {@code credential}. */
    private static Caller client(Exchange exchange, Credential credential) {
        exchange.setProperty("credential", credential);
        return Caller.of(credential.client());
    }

    private static String credential(String rule) {
        return switch (Rule.of(rule)) {
            case API_KEY -> "X-API-Key: <your API key> (or Authorization: Bearer <token from POST /api/auth/token>)";
            case ADMIN_TOKEN -> "Authorization: Bearer <admin token>";
            case STREAM_TICKET -> "?ticket=<ticket from POST /api/events/ticket>";
            default -> rule;
        };
    }

    /** A JSON string with a C0 control character other than tab, newline and carriage return. */
    static void controlCharacters(Object body) {
        Upload u = Upload.of(body);
        byte[] b = u.array();
        if (!uk.bookinghub.http.ControlChars.present(b, u.offset(), u.length(), true)) {
            return;
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(b, u.offset(), u.length());
        } catch (Exception malformed) {
            throw HttpProblem.badRequest("the body has a control character (such as NUL) outside a JSON string, or is malformed JSON");
        }
        String where = find(root, "");
        throw HttpProblem.badRequest((where == null || where.isEmpty() ? "a value" : "field '" + where + "'")
                + " contains a control character (such as NUL, U+0000); remove it", Map.of("field", where == null ? "" : where));
    }

    private static String find(JsonNode node, String path) {
        if (node.isTextual()) {
            return hasControl(node.asText()) ? path : null;
        }
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                String p = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
                if (hasControl(f.getKey())) {
                    return p;
                }
                String found = find(f.getValue(), p);
                if (found != null) {
                    return found;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String found = find(node.get(i), path + "[" + i + "]");
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private static boolean hasControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                return true;
            }
        }
        return false;
    }
}
