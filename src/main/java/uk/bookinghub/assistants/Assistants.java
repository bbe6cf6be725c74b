package uk.bookinghub.assistants;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.booking.BookingSettings;
import uk.bookinghub.booking.BookingTools;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Json;
import uk.bookinghub.http.Reply;
import uk.bookinghub.security.Secrets;

import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongFunction;

/**
 * The assistant per client: {@code GET /api/clients/me/assistant} (the rendered assistant, its secret
 * masked, and whether Vapi holds what the template and the client's details give now), {@code POST
 * /api/clients/me/assistant} (creates it once) and {@code POST /api/clients/me/assistant/sync} (PATCHes
 * it when it drifted). The admin onboarding tries the create too ({@link #afterOnboarding}).
 *
 * <p>Nothing half-made: one request at a time works on a client's assistant (a claim in the database,
 * which lapses if its holder dies); before the first {@code POST /assistant} the attempt is committed,
 * so when Vapi created an assistant whose id the hub never stored (Vapi answered after the hub's
 * timeout, the hub died, the database failed) the next attempt lists Vapi's assistants created since
 * then and adopts the one whose {@code metadata.hubClientKey} is this client's: never a second one.
 */
public final class Assistants {

    private static final Logger LOG = LoggerFactory.getLogger(Assistants.class);
    static final String MASK = "********";

    /** The hub's side of the tools' server: where Vapi sends tool calls and reports, and the secret header it sends back. */
    public record Server(String webhookUrl, String secretHeader, String secret) {
    }

    /** How long a claim lasts, how long a second request waits for one, how many assistants a recovery lists. */
    public record Limits(Duration claim, Duration claimWait, int listLimit, Duration healthCache) {
    }

    private final AssistantTemplate template;
    private final AssistantStore store;
    private final VapiAssistants vapi;
    private final ClientStore clients;
    private final LongFunction<String> bookingSettings;
    private final Server server;
    private final Limits limits;
    private final Clock clock;
    private volatile Object[] healthCached;

    public Assistants(AssistantTemplate template, AssistantStore store, VapiAssistants vapi, ClientStore clients,
                      LongFunction<String> bookingSettings, Server server, Limits limits, Clock clock) {
        this.template = template;
        this.store = store;
        this.vapi = vapi;
        this.clients = clients;
        this.bookingSettings = bookingSettings;
        this.server = server;
        this.limits = limits;
        this.clock = clock;
    }

    // ---- rendering ---------------------------------------------------------------------------

    /** The assistant as the template and the client's details give it now, and the details it was made from. */
    record Rendering(int templateVersion, ObjectNode assistant, String hash, Map<String, String> inputs) {
    }

    Rendering render(Client c) {
        AssistantTemplate.Loaded t = template.current();
        BookingSettings s;
        try {
            s = BookingSettings.fromJson(bookingSettings.apply(c.id()));
        } catch (RuntimeException e) {
            throw new HttpProblem(409, "the client's booking settings cannot be read (" + e.getMessage() + "): save them again with PUT /api/clients/"
                    + c.clientKey() + "/settings");
        }
        String services = services(c, s);
        String hours = hours(s);
        String link = c.messaging().bookingLink() == null ? "not available (take the booking on this call)" : c.messaging().bookingLink();
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("clientKey", c.clientKey());
        values.put("businessName", c.businessName());
        values.put("services", services);
        values.put("openingHours", hours);
        values.put("timezone", c.timezone());
        values.put("bookingLink", link);
        values.put("webhookUrl", server.webhookUrl());
        values.put("webhookSecretHeader", server.secretHeader());
        values.put("webhookSecret", server.secret() == null ? "" : server.secret());
        values.put("templateVersion", t.version());
        values.put("bookingTools", tools());
        ObjectNode rendered = AssistantTemplate.render(t.assistant(), values);
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("template", t.version() + ":" + t.fileHash());
        inputs.put("businessName", c.businessName());
        inputs.put("services", services);
        inputs.put("hours", hours);
        inputs.put("timezone", c.timezone());
        inputs.put("bookingLink", link);
        inputs.put("server", Secrets.sha256Hex(server.webhookUrl() + "\n" + server.secretHeader() + "\n" + server.secret()));
        return new Rendering(t.version(), rendered, Secrets.sha256Hex(Json.write(rendered)), inputs);
    }

    /** The booking tools as GET /api/vapi/tools serves them, each with the hub's server and secret header. */
    private List<Map<String, Object>> tools() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> tool : BookingTools.schemas(server.webhookUrl())) {
            Map<String, Object> t = new LinkedHashMap<>(tool);
            t.put("server", serverObject());
            out.add(t);
        }
        return out;
    }

    private Map<String, Object> serverObject() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("url", server.webhookUrl());
        s.put("headers", Map.of(server.secretHeader(), server.secret() == null ? "" : server.secret()));
        return s;
    }

    /** "Boiler service (60 min), Repair (90 min)" from the booking settings; else the services given at onboarding. */
    static String services(Client c, BookingSettings s) {
        if (!s.services().isEmpty()) {
            return String.join(", ", s.services().stream().map(x -> x.name() + " (" + x.minutes() + " min)").toList());
        }
        if (c.services() != null && !c.services().isEmpty()) {
            return String.join(", ", c.services());
        }
        return "ask the caller what they need";
    }

    /** "Mon 09:00-17:00; ...; Sat closed; Sun closed". */
    static String hours(BookingSettings s) {
        List<String> days = new ArrayList<>();
        for (DayOfWeek d : DayOfWeek.values()) {
            List<BookingSettings.Hours> h = s.businessHours().getOrDefault(d, List.of());
            String name = d.getDisplayName(java.time.format.TextStyle.SHORT, java.util.Locale.UK);
            days.add(name + " " + (h.isEmpty() ? "closed" : String.join(", ", h.stream().map(x -> x.open() + "-" + x.close()).toList())));
        }
        return String.join("; ", days);
    }

    // ---- GET ---------------------------------------------------------------------------------

    /** {@code GET /api/clients/me/assistant}. */
    public Map<String, Object> view(Client c) {
        return view(c, store.state(c.id()), render(c));
    }

    private Map<String, Object> view(Client c, AssistantStore.State s, Rendering r) {
        List<String> drift = drift(s, r);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("assistantId", s.assistantId());
        out.put("templateVersion", s.templateVersion());
        out.put("currentTemplateVersion", r.templateVersion());
        out.put("upToDate", s.assistantId() != null && drift.isEmpty());
        out.put("drift", drift);
        out.put("rendered", masked(r.assistant()));
        out.put("lastError", s.lastError());
        out.put("lastSyncedAt", s.syncedAt() == null ? null : s.syncedAt().toString());
        out.put("vapiConfigured", vapi.configured());
        return out;
    }

    /** What differs between what Vapi holds and what would be sent now; empty when nothing does (or there is no assistant yet). */
    static List<String> drift(AssistantStore.State s, Rendering r) {
        List<String> out = new ArrayList<>();
        if (s.assistantId() == null) {
            return out;
        }
        if (s.templateVersion() == null || s.inputs() == null) {
            out.add("template"); // an assistant the hub did not render (given at onboarding): its next sync sends the template
            return out;
        }
        Map<String, String> before = inputs(s.inputs());
        if (s.templateVersion() != r.templateVersion() || !r.inputs().get("template").equals(before.get("template"))) {
            out.add("template");
        }
        for (Map.Entry<String, String> e : r.inputs().entrySet()) {
            if (!e.getKey().equals("template") && !e.getValue().equals(before.get(e.getKey()))) {
                out.add(e.getKey());
            }
        }
        if (out.isEmpty() && !r.hash().equals(s.hash())) {
            out.add("rendered");
        }
        return out;
    }

    private static Map<String, String> inputs(String json) {
        Map<String, String> m = new LinkedHashMap<>();
        try {
            JsonNode n = Json.MAPPER.readTree(json);
            n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
        } catch (Exception e) {
            // unreadable: every input differs
        }
        return m;
    }

    /** The rendered assistant with the webhook secret replaced wherever it appears. */
    JsonNode masked(ObjectNode rendered) {
        ObjectNode copy = rendered.deepCopy();
        if (server.secret() != null && !server.secret().isEmpty()) {
            mask(copy, server.secret());
        }
        return copy;
    }

    private static void mask(JsonNode n, String secret) {
        if (n.isObject()) {
            ObjectNode o = (ObjectNode) n;
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isTextual() && e.getValue().asText().contains(secret)) {
                    e.setValue(TextNode.valueOf(e.getValue().asText().replace(secret, MASK)));
                } else {
                    mask(e.getValue(), secret);
                }
            }
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                JsonNode x = n.get(i);
                if (x.isTextual() && x.asText().contains(secret)) {
                    ((com.fasterxml.jackson.databind.node.ArrayNode) n).set(i, TextNode.valueOf(x.asText().replace(secret, MASK)));
                } else {
                    mask(x, secret);
                }
            }
        }
    }

    // ---- POST: create ------------------------------------------------------------------------

    /** {@code POST /api/clients/me/assistant}: 201 with the new (or recovered) assistant, 200 when it already has one. */
    public Reply create(Client c, uk.bookinghub.audit.Audit audit) {
        AssistantStore.State s = store.state(c.id());
        if (s.assistantId() != null) {
            target(audit, c, s.assistantId(), "existing");
            return new Reply(200, view(c, s, render(c)));
        }
        ready();
        Rendering r = render(c);
        String token = claim(c);
        if (token == null) {
            AssistantStore.State now = store.state(c.id());
            if (now.assistantId() != null) {
                target(audit, c, now.assistantId(), "existing");
                return new Reply(200, view(c, now, render(c)));
            }
            throw new HttpProblem(409, "another request is creating this client's assistant; try again in a moment");
        }
        try {
            s = store.state(c.id());
            if (s.assistantId() != null) { // stored by the holder before us
                target(audit, c, s.assistantId(), "existing");
                return new Reply(200, view(c, s, r));
            }
            String id = null;
            String how = "created";
            try {
                if (s.createStartedAt() != null) {
                    id = findCreated(c, s.createStartedAt());
                    if (id != null) {
                        how = "recovered";
                        vapi.update(id, r.assistant()); // what it holds may be an older rendering
                    }
                }
                if (id == null) {
                    store.createStarted(c.id(), clock.instant());
                    JsonNode created = vapi.create(r.assistant());
                    id = created == null ? null : created.path("id").asText(null);
                    if (id == null || id.isBlank()) {
                        throw new VapiAssistants.VapiFailure(502, "Vapi answered POST /assistant without an id", null);
                    }
                }
            } catch (VapiAssistants.VapiFailure f) {
                throw failed(c, f);
            }
            store.synced(c.id(), id, r.templateVersion(), r.hash(), Json.write(r.inputs()), clock.instant());
            clients.forgetCached();
            LOG.info("[ASSISTANT] client {}: assistant {} {} from template version {}", c.clientKey(), id, how, r.templateVersion());
            target(audit, c, id, how);
            return new Reply(201, view(c, store.state(c.id()), r));
        } finally {
            release(c, token);
        }
    }

    /** The assistant a lost attempt created: listed since the attempt, its metadata naming this client and its server this hub. */
    private String findCreated(Client c, Instant since) {
        for (JsonNode a : vapi.listSince(since.minusSeconds(300), limits.listLimit())) {
            if (c.clientKey().equals(a.path("metadata").path("hubClientKey").asText(null))
                    && (!a.path("server").has("url") || server.webhookUrl().equals(a.path("server").path("url").asText()))
                    && a.hasNonNull("id")) {
                return a.get("id").asText();
            }
        }
        return null;
    }

    // ---- POST: sync --------------------------------------------------------------------------

    /** {@code POST /api/clients/me/assistant/sync}: PATCHes the assistant when it drifted; {@code changed} says whether it did. */
    public Map<String, Object> sync(Client c, uk.bookinghub.audit.Audit audit) {
        AssistantStore.State s = store.state(c.id());
        if (s.assistantId() == null) {
            throw new HttpProblem(409, "this client has no assistant yet: POST /api/clients/me/assistant creates it");
        }
        Rendering r = render(c);
        if (drift(s, r).isEmpty()) {
            target(audit, c, s.assistantId(), "unchanged");
            return changed(false, view(c, s, r));
        }
        ready();
        String token = claim(c);
        if (token == null) {
            throw new HttpProblem(409, "another request is updating this client's assistant; try again in a moment");
        }
        try {
            s = store.state(c.id());
            r = render(c);
            List<String> drift = drift(s, r);
            if (drift.isEmpty()) {
                target(audit, c, s.assistantId(), "unchanged");
                return changed(false, view(c, s, r));
            }
            try {
                vapi.update(s.assistantId(), r.assistant());
            } catch (VapiAssistants.VapiFailure f) {
                throw failed(c, f);
            }
            store.synced(c.id(), s.assistantId(), r.templateVersion(), r.hash(), Json.write(r.inputs()), clock.instant());
            LOG.info("[ASSISTANT] client {}: assistant {} synced to template version {} (drift: {})", c.clientKey(), s.assistantId(),
                    r.templateVersion(), String.join(", ", drift));
            target(audit, c, s.assistantId(), "synced");
            if (audit != null) {
                audit.detail("drift", drift);
            }
            return changed(true, view(c, store.state(c.id()), r));
        } finally {
            release(c, token);
        }
    }

    private static Map<String, Object> changed(boolean changed, Map<String, Object> view) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("changed", changed);
        out.putAll(view);
        return out;
    }

    // ---- onboarding --------------------------------------------------------------------------

    /**
     * After {@code POST /api/clients/onboard}: creates the new client's assistant when Vapi is configured and
     * none was given; never fails the onboarding ({@code status} failed and {@code lastError} say why; the
     * client retries with {@code POST /api/clients/me/assistant}).
     */
    public Map<String, Object> afterOnboarding(Client c) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (c.vapiAssistantId() != null) {
            out.put("status", "given");
            out.put("assistantId", c.vapiAssistantId());
            return out;
        }
        if (!vapi.configured()) {
            out.put("status", "not configured");
            out.put("assistantId", null);
            out.put("lastError", "Vapi is not configured (VAPI_PRIVATE_KEY): POST /api/clients/me/assistant creates it later");
            return out;
        }
        try {
            Reply r = create(c, null);
            out.put("status", "created");
            @SuppressWarnings("unchecked")
            Map<String, Object> view = (Map<String, Object>) r.body();
            out.putAll(view);
        } catch (HttpProblem | VapiAssistants.VapiFailure e) {
            out.put("status", "failed");
            out.put("assistantId", null);
            out.put("lastError", e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("[ASSISTANT] client {}: the assistant could not be created at onboarding: {}", c.clientKey(), e.toString());
            out.put("status", "failed");
            out.put("assistantId", null);
            out.put("lastError", "the assistant could not be created: " + e.getMessage());
        }
        return out;
    }

    // ---- health ------------------------------------------------------------------------------

    /** {@code assistants} in GET /health: the hub-rendered assistants, and how many differ from what would be sent now. */
    public Map<String, Object> health() {
        Object[] cached = healthCached;
        long now = System.nanoTime();
        if (cached != null && now - (Long) cached[1] < limits.healthCache().toNanos()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) cached[0];
            return m;
        }
        int total = 0;
        int behind = 0;
        for (AssistantStore.Managed m : store.managed()) {
            total++;
            Client c = clients.byId(m.clientId()).orElse(null);
            try {
                if (c == null || !drift(m.state(), render(c)).isEmpty()) {
                    behind++;
                }
            } catch (RuntimeException e) {
                behind++; // settings that cannot be read: it cannot be shown current
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("outOfDate", behind);
        out.put("total", total);
        out.put("templateVersion", template.current().version());
        healthCached = new Object[] {out, now};
        return out;
    }

    /** At start: the template's version, and how many assistants were rendered from another one ({@code [ASSISTANT]}). */
    public void logAtStart() {
        int version = template.current().version();
        Map<Integer, Integer> byVersion = new java.util.TreeMap<>();
        for (AssistantStore.Managed m : store.managed()) {
            byVersion.merge(m.state().templateVersion(), 1, Integer::sum);
        }
        int behind = byVersion.entrySet().stream().filter(e -> e.getKey() != version).mapToInt(Map.Entry::getValue).sum();
        if (behind > 0) {
            LOG.warn("[ASSISTANT] template {} is version {}; {} assistant(s) were made from another version {}: out of date until synced "
                    + "(POST /api/clients/me/assistant/sync)", template.file(), version, behind, byVersion.keySet());
        } else {
            LOG.info("[ASSISTANT] template {} version {}; {} assistant(s), none from another version", template.file(), version,
                    byVersion.values().stream().mapToInt(Integer::intValue).sum());
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** Vapi and the webhook secret must be configured before anything is sent: a 409 naming what to set (a state of this hub, not an outage). */
    private void ready() {
        if (!vapi.configured()) {
            throw new HttpProblem(409, "Vapi is not configured on this hub: set VAPI_PRIVATE_KEY (vapi.private-key)");
        }
        if (server.secret() == null || server.secret().isEmpty()) {
            throw new HttpProblem(409, "the Vapi webhook secret is not set (VAPI_WEBHOOK_SECRET): the assistant's tool calls would be refused");
        }
    }

    /** Takes the client's claim, waiting up to {@code claimWait} for another holder; null when it is still held. */
    private String claim(Client c) {
        String token = UUID.randomUUID().toString();
        long deadline = System.nanoTime() + limits.claimWait().toNanos();
        while (true) {
            Instant now = clock.instant();
            if (store.claim(c.id(), token, now, now.plus(limits.claim()))) {
                return token;
            }
            if (System.nanoTime() - deadline > 0 || store.state(c.id()).assistantId() != null && store.state(c.id()).claimUntil() == null) {
                return null;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    private void release(Client c, String token) {
        try {
            store.release(c.id(), token);
        } catch (RuntimeException e) {
            LOG.warn("[ASSISTANT] client {}: claim not released ({}); it lapses after {}", c.clientKey(), e.getMessage(), limits.claim());
        }
    }

    /** Records why, logs it, and answers 502 (Vapi refused) or 503 (Vapi did not answer). */
    private HttpProblem failed(Client c, VapiAssistants.VapiFailure f) {
        store.failed(c.id(), f.getMessage());
        LOG.warn("[ASSISTANT] client {}: {}", c.clientKey(), f.getMessage());
        return new HttpProblem(f.httpStatus() == 0 ? 503 : 502, f.getMessage() + " (nothing was kept half-made: retry)");
    }

    private static void target(uk.bookinghub.audit.Audit audit, Client c, String assistantId, String how) {
        if (audit != null) {
            audit.client(c.id(), c.clientKey()).target("assistant:" + assistantId).detail("result", how);
        }
    }
}
