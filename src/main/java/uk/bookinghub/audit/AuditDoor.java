package uk.bookinghub.audit;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.http.HttpServerRequest;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.apache.camel.spi.Synchronization;
import org.apache.camel.spi.SynchronizationRouteAware;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.api.ApiCatalog;
import uk.bookinghub.api.ApiEndpoint;
import uk.bookinghub.http.CallerAddress;
import uk.bookinghub.http.Json;
import uk.bookinghub.security.ApiKeys;
import uk.bookinghub.security.Caller;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Every REST request passes here first (routes/front-door.camel.yaml, before the front door): it gets
 * a request id (answered as {@code X-Request-Id}), its caller's IP ({@link CallerAddress}) and its
 * {@link Audit} (exchange property {@code audit}, with the endpoint's action from {@link AuditActions}).
 * When the route has run (before the answer is written, on the same thread), this door writes what the
 * handler did not commit itself:
 * <ul>
 *   <li>an authentication failure (401 or 403 before a caller was established), on any endpoint:
 *       action {@code auth_failure}, the reason the answer gave, the endpoint, which credential was
 *       presented (its kind, never its value);</li>
 *   <li>an audited request whose row is not in the log (the request failed and its transaction rolled
 *       back, or the action is a run with no transaction of its own): its row, with the answer's status;</li>
 *   <li>an audited request whose row committed but whose answer is an error: a second row with that
 *       status ({@code "committedAs"} says what the first one said).</li>
 * </ul>
 * A request refused by the rate limiter (429) is not written: it did nothing, and writing it would let a
 * flood fill the log; nor is one answered 503 because the database is unavailable (nothing was stored,
 * and the row could not be either: the caller retries). Webhooks of Vapi and Twilio are not audited (only their authentication failures).
 */
public final class AuditDoor implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(AuditDoor.class);
    /** The exchange property with the caller's IP address as the audit log records it. */
    public static final String CALLER_IP = "callerIp";
    public static final String PROPERTY = "audit";
    public static final String HEADER = "X-Request-Id";
    /** A request id a trusted proxy may hand on: letters, digits and . _ - only, at most 64. */
    private static final Pattern FORWARDED_ID = Pattern.compile("[A-Za-z0-9._-]{8,64}");

    private final ApiCatalog catalog;
    private final AuditStore store;
    private final CallerAddress addresses;
    private final Clock clock;

    public AuditDoor(ApiCatalog catalog, AuditStore store, CallerAddress addresses, Clock clock) {
        this.catalog = catalog;
        this.store = store;
        this.addresses = addresses;
        this.clock = clock;
    }

    @Override
    public void process(Exchange exchange) {
        HttpServerRequest request = exchange.getIn() instanceof HttpMessage hm ? hm.getRequest() : null;
        String socket = request == null || request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
        List<String> forwarded = request == null ? List.of() : request.headers().getAll("X-Forwarded-For");
        String ip = socket == null ? null : addresses.of(socket, forwarded);
        String requestId = requestId(request);
        if (request != null) {
            hm(exchange).getResponse().putHeader(HEADER, requestId); // on every answer, refusals included
        }
        String apiKey = request == null ? null : request.getHeader("X-API-Key");
        String authorization = request == null ? null : request.getHeader("Authorization");
        ApiEndpoint endpoint = catalog.endpoint(exchange.getFromRouteId());
        Audit audit = new Audit(store, clock, endpoint == null ? null : AuditActions.of(endpoint.routeId()), requestId, ip,
                apiKey == null || apiKey.isBlank() ? null : ApiKeys.prefix(apiKey.trim()), tokenId(authorization),
                () -> exchange.getProperty("caller", Caller.class));
        exchange.setProperty(PROPERTY, audit);
        exchange.setProperty(CALLER_IP, ip); // the rate limits count this address too (a trusted proxy's X-Forwarded-For)
        exchange.getExchangeExtension().addOnCompletion(new AfterRoute(audit, endpoint, credential(apiKey, authorization)));
    }

    /** The request's id: the one a trusted proxy sent ({@code X-Request-Id}), else a new one. */
    public String requestId(HttpServerRequest request) {
        String socket = request == null || request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
        if (request != null && addresses.isTrustedProxy(socket)) { // a trusted proxy's request id is kept
            String given = request.getHeader(HEADER);
            if (given != null && FORWARDED_ID.matcher(given).matches()) {
                return given;
            }
        }
        return UUID.randomUUID().toString();
    }

    /**
     * An authentication failure on an endpoint served outside the routes (the event stream's Vert.x
     * handler checks its own ticket): the same {@code auth_failure} row the door writes for a route.
     */
    public void authFailure(HttpServerRequest request, String requestId, int status, String endpoint, String reason, String credential) {
        String socket = request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
        String ip = socket == null ? null : addresses.of(socket, request.headers().getAll("X-Forwarded-For"));
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("reason", reason);
        d.put("endpoint", endpoint);
        d.put("credential", credential);
        AuditEntry e = store.append(new Audit(store, clock, null, requestId, ip, null, null, () -> null).draft(AuditActions.AUTH_FAILURE, status, d));
        LOG.warn("[AUDIT] auth failure {} from {}: {} ({}), row {}", status, ip, reason, endpoint, e.id());
    }

    private static HttpMessage hm(Exchange exchange) {
        return (HttpMessage) exchange.getIn();
    }

    /** The {@code jti} of a bearer JWT (the front door has checked its signature before a row uses it), or null. */
    static String tokenId(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String[] parts = authorization.substring(7).trim().split("\\.");
        if (parts.length != 3) {
            return null; // not a JWT (the admin token)
        }
        try {
            JsonNode claims = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(parts[1]));
            String jti = claims.path("jti").asText(null);
            return jti == null || jti.length() > 100 ? null : jti;
        } catch (Exception e) {
            return null;
        }
    }

    private static String credential(String apiKey, String authorization) {
        if (authorization != null && !authorization.isBlank()) {
            return authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? "Authorization: Bearer" : "Authorization";
        }
        return apiKey != null && !apiKey.isBlank() ? "X-API-Key" : "none";
    }

    /** Runs when the route is done, before the answer is written (SynchronizationRouteAware). */
    private final class AfterRoute implements Synchronization, SynchronizationRouteAware {
        private final Audit audit;
        private final ApiEndpoint endpoint;
        private final String credential;

        AfterRoute(Audit audit, ApiEndpoint endpoint, String credential) {
            this.audit = audit;
            this.endpoint = endpoint;
            this.credential = credential;
        }

        @Override
        public SynchronizationRouteAware getRouteSynchronization() {
            return this;
        }

        @Override
        public void onBeforeRoute(Route route, Exchange exchange) {
            // nothing: the door ran at the start
        }

        @Override
        public void onAfterRoute(Route route, Exchange exchange) {
            if (!route.getRouteId().equals(exchange.getFromRouteId())) {
                return; // a route this one called
            }
            exchange.getMessage().setHeader(HEADER, audit.requestId());
            int status = status(exchange);
            try {
                after(exchange, status);
            } catch (RuntimeException e) {
                LOG.error("[AUDIT] [CRITICAL ALERT] request {} ({} {}, answered {}): its audit row could not be written: {}", audit.requestId(),
                        endpoint == null ? "?" : endpoint.method(), endpoint == null ? exchange.getFromRouteId() : endpoint.path(), status, e.toString());
            }
        }

        private void after(Exchange exchange, int status) {
            Caller caller = exchange.getProperty("caller", Caller.class);
            if (caller == null) {
                if (status == 401 || status == 403) {
                    Map<String, Object> d = new LinkedHashMap<>();
                    d.put("reason", reason(exchange));
                    d.put("endpoint", endpoint == null ? exchange.getFromRouteId() : endpoint.method() + " " + endpoint.path());
                    d.put("credential", credential);
                    AuditEntry e = store.append(audit.draft(AuditActions.AUTH_FAILURE, status, d));
                    LOG.warn("[AUDIT] auth failure {} from {}: {} ({}), row {}", status, audit.ip(), d.get("reason"), d.get("endpoint"), e.id());
                }
                return; // refused before anyone was known (a credential in the URL, the per-IP limit): not an action
            }
            if (audit.action() == null || status == 429) {
                return;
            }
            if (status == 503 && audit.written() == null) {
                // the database is unavailable: nothing was stored, and this row could not be either (the caller retries)
                LOG.warn("[AUDIT] {} by {} answered 503 (database unavailable): no row", audit.action(), audit.requestId());
                return;
            }
            AuditEntry written = audit.written();
            if (written != null && store.contains(written.hash())) {
                if (status < 400) {
                    return; // committed with the change, as it answered
                }
                store.append(audit.draft(audit.action(), status, Map.of("committedAs", written.status())));
                return;
            }
            AuditEntry e = store.append(audit.draft(audit.action(), status, Map.of()));
            LOG.debug("[AUDIT] {} {} by {}: row {}", audit.action(), status, e.actor(), e.id());
        }

        @Override
        public void onComplete(Exchange exchange) {
            // written in onAfterRoute, on the worker thread, before the answer
        }

        @Override
        public void onFailure(Exchange exchange) {
            // idem
        }
    }

    /** The status the answer will have: the route's, or 500 for an exchange that failed without one. */
    static int status(Exchange exchange) {
        Object code = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE);
        if (code instanceof Number n) {
            return n.intValue();
        }
        if (code != null) {
            try {
                return Integer.parseInt(code.toString().trim());
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        return exchange.isFailed() ? 500 : 200;
    }

    /** The {@code error} of the JSON answer (the front door's words, which never hold the credential), at most 200 characters. */
    private static String reason(Exchange exchange) {
        Object body = exchange.getMessage().getBody();
        byte[] bytes = body instanceof io.vertx.core.buffer.Buffer b ? b.getBytes()
                : body instanceof byte[] a ? a : body instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : null;
        String reason = null;
        if (bytes != null) {
            try {
                reason = Json.MAPPER.readTree(bytes).path("error").asText(null);
            } catch (Exception e) {
                reason = null;
            }
        }
        if (reason == null) {
            return "refused";
        }
        return reason.length() > 200 ? reason.substring(0, 200) : reason;
    }
}
