package uk.bookinghub.privacy;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.analytics.AnalyticsReports;
import uk.bookinghub.api.Params;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.JsonBodies;
import uk.bookinghub.leads.SuppressionStore;
import uk.bookinghub.phones.PhoneCheck;
import uk.bookinghub.phones.PhoneClassifier;
import uk.bookinghub.security.Caller;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * UK GDPR for the hub's clients (the controllers of their customers' data; the hub processes it for them):
 * <ul>
 *   <li>{@code GET /api/clients/{clientKey}/export}: everything the hub holds for the client, one JSON
 *       document streamed from the database ({@link ExportStore});</li>
 *   <li>{@code POST /api/privacy/access}: everything the hub holds of one person (a number and / or an
 *       email) for the client, the subject access request;</li>
 *   <li>{@code POST /api/privacy/erasure}: that person's personal data erased from every table, one
 *       transaction per table group, after a suppression entry (a hash, never the value) so the person is
 *       never imported, called, texted or emailed by that client again; counts stay right.</li>
 * </ul>
 * A client acts on its own data (another client's key is a 404, as a wrong guess); an admin names the
 * client ({@code clientKey}). Each method returns the answer; the audit trail hooks on the route.
 */
public final class PrivacyApi {

    private static final Logger LOG = LoggerFactory.getLogger(PrivacyApi.class);
    private static final Pattern EMAIL = Pattern.compile("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");
    private static final Set<String> FIELDS = Set.of("phone", "email", "clientKey");

    /** The parts of the export that other capabilities own: settings, templates, analytics summary. */
    public interface ExportParts {
        Map<String, Object> settings(Client client);

        Object templates(Client client);

        Map<String, Object> analyticsSummary(Client client, LocalDate from, LocalDate to);
    }

    private final PrivacyStore store;
    private final ExportStore exports;
    private final SuppressionStore suppressions;
    private final ClientStore clients;
    private final PhoneClassifier phones;
    private final ExportParts parts;
    private final Clock clock;
    private final Semaphore exportSlots;

    PrivacyApi(PrivacyStore store, ExportStore exports, SuppressionStore suppressions, ClientStore clients, PhoneClassifier phones,
               ExportParts parts, Clock clock, int maxConcurrentExports) {
        this.store = store;
        this.exports = exports;
        this.suppressions = suppressions;
        this.clients = clients;
        this.phones = phones;
        this.parts = parts;
        this.clock = clock;
        this.exportSlots = new Semaphore(Math.max(1, maxConcurrentExports));
    }

    // ---- export ---------------------------------------------------------------------------------------

    /**
     * {@code GET /api/clients/{clientKey}/export}: the body is an InputStream the HTTP layer reads as it
     * sends (platform-http pumps it out in chunks, with back-pressure), so the document is never whole in
     * memory. At most {@code hub.privacy.max-concurrent-exports} run at once per hub (each holds a database
     * connection for its length): one more is a 503 with Retry-After.
     */
    public void export(Exchange exchange) {
        Caller caller = exchange.getProperty("caller", Caller.class);
        Params params = exchange.getProperty("params", Params.class);
        Client c = target(caller, params.text("clientKey"));
        Instant now = clock.instant();
        Map<String, Object> head = head(c, now);
        if (!exportSlots.tryAcquire()) {
            throw new HttpProblem(503, "too many exports are running on this hub; retry in a minute", Map.of("retryAfterSeconds", 60));
        }
        java.io.InputStream body = exports.open(c.id(), head, exportSlots::release); // (a failure to open releases the slot)
        LOG.info("[PRIVACY] export of client {} started by {}", c.clientKey(), caller.name());
        Message m = exchange.getMessage();
        m.getHeaders().clear();
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        m.setHeader(Exchange.CONTENT_TYPE, "application/json; charset=utf-8");
        m.setHeader("Content-Disposition", "attachment; filename=\"export-" + c.clientKey() + "-" + LocalDate.ofInstant(now, java.time.ZoneOffset.UTC) + ".json\"");
        m.setBody(body);
    }

    private Map<String, Object> head(Client c, Instant now) {
        Map<String, Object> head = new LinkedHashMap<>();
        head.put("format", "booking-hub client export");
        head.put("version", 1);
        head.put("exportedAt", now.toString());
        Map<String, Object> client = new LinkedHashMap<>();
        client.put("clientKey", c.clientKey());
        client.put("businessName", c.businessName());
        client.put("email", c.email());
        client.put("phone", c.phone());
        client.put("industry", c.industry());
        client.put("services", c.services());
        client.put("timezone", c.timezone());
        client.put("country", c.country());
        client.put("vapiAssistantId", c.vapiAssistantId());
        client.put("vapiPhoneNumberId", c.vapiPhoneNumberId());
        client.put("bookingLink", c.messaging().bookingLink());
        client.put("smsFromNumber", c.messaging().smsFromNumber());
        client.put("messagingServiceSid", c.messaging().messagingServiceSid());
        client.put("createdAt", c.createdAt() == null ? null : c.createdAt().toString());
        head.put("client", client);
        head.put("settings", parts.settings(c));
        head.put("templates", parts.templates(c));
        LocalDate today = LocalDate.ofInstant(now, AnalyticsReports.zone(c));
        LocalDate from = c.createdAt() == null ? today : LocalDate.ofInstant(c.createdAt(), AnalyticsReports.zone(c));
        Map<String, Object> analytics;
        try {
            analytics = parts.analyticsSummary(c, from.isAfter(today) ? today : from, today);
        } catch (uk.bookinghub.monitoring.UnreadableSettings e) {
            analytics = Map.of("unreadable", Map.of("setting", e.setting(), "reason", e.reason()));
        }
        head.put("analyticsSummary", analytics);
        // how many erased persons the client has: the entries are hashes, which say nothing to the client
        head.put("suppressedPersons", suppressions.count(c.id()));
        return head;
    }

    // ---- person requests ---------------------------------------------------------------------------------

    /** {@code POST /api/privacy/access}: everything the hub holds of the person for the client. */
    public Map<String, Object> access(Caller caller, byte[] body, String contentType) {
        Request r = request(caller, body, contentType);
        PrivacyStore.Person p = store.find(r.client().id(), r.phones(), r.emails());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("clientKey", r.client().clientKey());
        out.put("generatedAt", clock.instant().toString());
        out.put("identifiers", identifiers(p));
        out.put("suppressed", suppressed(r.client().id(), p));
        out.putAll(store.access(r.client().id(), p));
        LOG.info("[PRIVACY] access request for client {} by {}: {} lead(s)", r.client().clientKey(), caller.name(), p.leadIds().size());
        return out;
    }

    /**
     * {@code POST /api/privacy/erasure}: the suppression entries first (their own transaction: whatever
     * fails after, the person is never contacted again), then each table group in its own transaction.
     * A repeated request finds nothing left and changes nothing.
     */
    public Map<String, Object> erasure(Caller caller, byte[] body, String contentType) {
        Request r = request(caller, body, contentType);
        long clientId = r.client().id();
        PrivacyStore.Person p = store.find(clientId, r.phones(), r.emails());
        Instant now = clock.instant();
        int added = store.suppress(clientId, p, suppressions, caller.name(), now);
        Map<String, Object> erased = new LinkedHashMap<>();
        String country = r.client().country();
        Function<String, String> e164 = raw -> {
            PhoneCheck check = phones.check(raw, country);
            return check.valid() ? check.e164() : null;
        };
        erased.putAll(store.eraseLeads(clientId, p, raw -> p.phones().contains(e164.apply(raw)), now));
        Map<String, Integer> calls = store.eraseCalls(clientId, p, now);
        Map<String, Integer> appointments = store.eraseAppointments(clientId, p, now);
        erased.put("calls", calls.get("calls"));
        erased.put("toolCalls", calls.get("toolCalls") + appointments.get("toolCalls"));
        erased.putAll(store.eraseMessages(clientId, p, now));
        erased.putAll(store.eraseInbound(clientId, p));
        erased.put("appointments", appointments.get("appointments"));
        erased.put("calendarEvents", appointments.get("calendarEvents"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("clientKey", r.client().clientKey());
        out.put("erasedAt", now.toString());
        out.put("identifiers", Map.of("phones", p.phones().size(), "emails", p.emails().size()));
        out.put("suppressionsAdded", added);
        out.put("erased", erased);
        out.put("note", "the person's numbers and emails are kept only as SHA-256 hashes (suppression), so they are refused as 'suppressed' "
                + "by imports and web forms and never called, texted or emailed again by this client; counts and analytics totals are unchanged");
        LOG.info("[PRIVACY] erasure for client {} by {}: {}", r.client().clientKey(), caller.name(), erased);
        return out;
    }

    private Map<String, Object> identifiers(PrivacyStore.Person p) {
        Map<String, Object> ids = new LinkedHashMap<>();
        ids.put("phones", p.phones());
        ids.put("emails", p.emails());
        ids.put("leadIds", p.leadIds());
        return ids;
    }

    private boolean suppressed(long clientId, PrivacyStore.Person p) {
        List<String> hashes = new java.util.ArrayList<>();
        p.phones().forEach(x -> hashes.add(SuppressionStore.phoneHash(x)));
        p.emails().forEach(x -> hashes.add(SuppressionStore.emailHash(x)));
        return !suppressions.suppressed(Map.of(clientId, hashes)).isEmpty();
    }

    /** A person request: the client it is for, and the person's number and / or email, normalised. */
    private record Request(Client client, Set<String> phones, Set<String> emails) {
    }

    private Request request(Caller caller, byte[] body, String contentType) {
        JsonNode in = JsonBodies.object(body, contentType, 65536);
        Map<String, Object> problems = new LinkedHashMap<>();
        in.fieldNames().forEachRemaining(f -> {
            if (!FIELDS.contains(f)) {
                problems.put(f, "unknown field (phone, email, clientKey)");
            }
        });
        for (String f : FIELDS) {
            JsonNode v = in.get(f);
            if (v != null && !v.isNull() && !v.isTextual()) {
                problems.put(f, "text, not " + v.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        if (!problems.isEmpty()) {
            throw HttpProblem.badRequest("invalid request: " + String.join(", ", problems.keySet()), Map.of("fields", problems));
        }
        Client client = caller.admin() ? named(JsonBodies.text(in, "clientKey")) : own(caller, JsonBodies.text(in, "clientKey"));
        String phone = JsonBodies.text(in, "phone");
        String email = JsonBodies.text(in, "email");
        if (phone == null && email == null) {
            throw HttpProblem.badRequest("name the person: \"phone\" and / or \"email\"", Map.of("fields", Map.of("phone", "required without email")));
        }
        Set<String> phoneSet = new LinkedHashSet<>();
        if (phone != null) {
            PhoneCheck check = phones.check(phone, client.country());
            if (!check.valid()) {
                throw HttpProblem.badRequest("invalid phone '" + phone + "': " + check.reason(), Map.of("fields", Map.of("phone", check.reason())));
            }
            phoneSet.add(check.e164());
        }
        Set<String> emailSet = new LinkedHashSet<>();
        if (email != null) {
            if (!EMAIL.matcher(email).matches()) {
                throw HttpProblem.badRequest("not an email address: " + email, Map.of("fields", Map.of("email", "not an email address")));
            }
            emailSet.add(SuppressionStore.normaliseEmail(email));
        }
        return new Request(client, phoneSet, emailSet);
    }

    private Client named(String clientKey) {
        if (clientKey == null) {
            throw HttpProblem.badRequest("an admin names the client: \"clientKey\"", Map.of("fields", Map.of("clientKey", "required with the admin token")));
        }
        return clients.byKey(clientKey).orElseThrow(() -> HttpProblem.notFound("no client " + clientKey));
    }

    private static Client own(Caller caller, String clientKey) {
        if (clientKey != null && !clientKey.equals(caller.client().clientKey())) {
            throw HttpProblem.notFound("no client " + clientKey); // another client's data: a 404, as for any object not its own
        }
        return caller.client();
    }

    /** The client of a path's {clientKey}: the caller itself, or any for an admin; another client's is a 404. */
    private Client target(Caller caller, String clientKey) {
        if (!caller.admin() && (caller.client() == null || !caller.client().clientKey().equals(clientKey))) {
            throw HttpProblem.notFound("no client " + clientKey);
        }
        return clients.byKey(clientKey).orElseThrow(() -> HttpProblem.notFound("no client " + clientKey));
    }
}
