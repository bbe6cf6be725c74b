package uk.bookinghub.leads;

import com.fasterxml.jackson.databind.JsonNode;

import uk.bookinghub.analytics.AnalyticsEvent;
import uk.bookinghub.api.Params;
import uk.bookinghub.audit.Audit;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.JsonBodies;
import uk.bookinghub.http.Reply;
import uk.bookinghub.phones.PhoneCheck;
import uk.bookinghub.phones.PhoneClassifier;
import uk.bookinghub.security.Caller;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET/POST /api/opt-outs}, {@code DELETE /api/opt-outs/{phone}}. A client manages its own
 * list; an admin manages the global list ({@code "scope":"global"}) or a named client's
 * ({@code "clientKey"}). Removal never erases: the entry is marked inactive with who and when.
 */
public final class OptOutsApi {

    public static final Set<String> REASONS = Set.of("user_request", "sms_stop", "compliance", "complaint", "tps", "do_not_call",
            "bounced", "other");

    private final OptOutStore store;
    private final ClientStore clients;
    private final PhoneClassifier phones;

    public OptOutsApi(OptOutStore store, ClientStore clients, PhoneClassifier phones) {
        this.store = store;
        this.clients = clients;
        this.phones = phones;
    }

    /**
     * Adds the opt-out; a new entry's lead.opted_out event goes with the answer, for the route's wire tap. Its audit row
     * ({@code opt_out_add}: the entry's id, scope and reason, never the number) commits with the entry.
     */
    public AnalyticsEvent.Recorded<Reply> add(Caller caller, byte[] body, String contentType, Audit audit) {
        JsonNode in = JsonBodies.object(body, contentType, 65536);
        Long clientId = scope(caller, JsonBodies.text(in, "scope"), JsonBodies.text(in, "clientKey"));
        audited(audit, caller, clientId);
        String phone = e164(JsonBodies.text(in, "phone"), clientId);
        String reason = JsonBodies.text(in, "reason");
        if (reason == null) {
            reason = "user_request";
        }
        if (!REASONS.contains(reason)) {
            throw HttpProblem.badRequest("reason must be one of " + REASONS);
        }
        audit.detail("reason", reason);
        Map.Entry<OptOutStore.OptOut, Boolean> r = store.add(clientId, phone, reason, JsonBodies.text(in, "note"), caller.name(), audit);
        Map<String, Object> out = new LinkedHashMap<>(r.getKey().view());
        out.put("created", r.getValue());
        return AnalyticsEvent.Recorded.of(new Reply(r.getValue() ? 201 : 200, out), r.getValue() ? List.of(store.event(r.getKey())) : List.of());
    }

    /** Marks the entry inactive; its audit row ({@code opt_out_remove}: the entry's id) commits with the change. */
    public Map<String, Object> remove(Caller caller, Params params, Audit audit) {
        Long clientId = scope(caller, params.text("scope"), params.text("clientKey"));
        audited(audit, caller, clientId);
        String phone = e164(params.text("phone"), clientId);
        return store.remove(clientId, phone, caller.name(), audit).map(OptOutStore.OptOut::view)
                .orElseThrow(() -> HttpProblem.notFound("no active opt-out for " + phone));
    }

    public Map<String, Object> list(Caller caller, Params params) {
        Long clientId = scope(caller, params.text("scope"), params.text("clientKey"));
        Params.Page page = params.page(100, 1000);
        List<Map<String, Object>> items = store.list(clientId, Boolean.TRUE.equals(params.flag("includeInactive")), page.size(), page.offset())
                .stream().map(OptOutStore.OptOut::view).toList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scope", clientId == null ? "global" : "client");
        out.put("items", items);
        out.put("page", page.number());
        out.put("pageSize", page.size());
        return out;
    }

    /** The list an audit row is about: the global one, or a client's (an admin's change to a client's list is that client's). */
    private void audited(Audit audit, Caller caller, Long clientId) {
        audit.detail("scope", clientId == null ? "global" : "client");
        if (caller.admin() && clientId != null) {
            clients.byId(clientId).ifPresent(c -> audit.client(c.id(), c.clientKey()));
        }
    }

    /** The client id the call is about, or null for the global list. */
    private Long scope(Caller caller, String scope, String clientKey) {
        if (!caller.admin()) {
            if ("global".equalsIgnoreCase(scope)) {
                throw new HttpProblem(403, "only an admin manages the global opt-out list");
            }
            if (clientKey != null && !clientKey.isBlank() && !clientKey.trim().equals(caller.client().clientKey())) {
                throw HttpProblem.notFound("no client " + clientKey); // another client's list: a 404, as for any object not its own
            }
            return caller.client().id();
        }
        if (clientKey != null && !clientKey.isBlank()) {
            return clients.byKey(clientKey.trim()).map(Client::id).orElseThrow(() -> HttpProblem.notFound("no client " + clientKey));
        }
        if ("global".equalsIgnoreCase(scope)) {
            return null;
        }
        throw HttpProblem.badRequest("an admin names the list: \"scope\":\"global\" or a \"clientKey\"");
    }

    private String e164(String raw, Long clientId) {
        String region = clientId == null ? "GB" : clients.byId(clientId).map(Client::country).orElse("GB");
        if (raw == null || raw.isBlank()) {
            throw HttpProblem.badRequest("phone is required");
        }
        PhoneCheck p = phones.check(raw, region);
        if (!p.valid()) {
            throw HttpProblem.badRequest("invalid phone '" + raw + "': " + p.reason());
        }
        return p.e164();
    }
}
