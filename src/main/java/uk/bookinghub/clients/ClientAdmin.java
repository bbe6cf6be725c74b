package uk.bookinghub.clients;

import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.api.Params;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.JsonBodies;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code PUT /api/admin/clients/{clientKey}} (admin): changes what an admin may change on a client,
 * today its {@code tier}. The change applies at once: the client's next request is limited by its
 * new tier's numbers, on every instance. Answers the client as {@code GET /api/clients/me} shows it.
 * Also an admin's moves of a client's state (activate, suspend) and the list of clients.
 */
public final class ClientAdmin {

    private static final Logger LOG = LoggerFactory.getLogger(ClientAdmin.class);
    /** The fields this endpoint changes; any other is a 400 naming it, and nothing is changed. */
    private static final Set<String> FIELDS = Set.of("tier");

    private final ClientStore clients;
    private final long maxBodyBytes;
    private final java.time.Clock clock;

    public ClientAdmin(ClientStore clients, long maxBodyBytes, java.time.Clock clock) {
        this.clients = clients;
        this.maxBodyBytes = maxBodyBytes;
        this.clock = clock;
    }

    public Map<String, Object> update(Params params, byte[] body, String contentType, uk.bookinghub.audit.Audit audit) {
        String key = params.text("clientKey");
        Client client = clients.byKey(key).orElseThrow(() -> HttpProblem.notFound("no client " + key));
        JsonNode in = JsonBodies.object(body, contentType, maxBodyBytes);
        Map<String, Object> problems = new LinkedHashMap<>();
        for (Iterator<String> names = in.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                problems.put(name, "unknown field; this endpoint changes: " + String.join(", ", FIELDS));
            }
        }
        JsonNode given = in.get("tier");
        Tier tier = null;
        if (given == null || given.isNull()) {
            problems.put("tier", "required: " + Tier.names());
        } else {
            tier = Onboarding.tier(in, problems);
        }
        if (!problems.isEmpty()) {
            throw HttpProblem.badRequest("invalid client change", Map.of("fields", problems));
        }
        // written whatever this instance's cache says: another instance may have changed it a moment ago
        if (audit != null) {
            audit.client(client.id(), client.clientKey()).target("client:" + client.clientKey()).detail("tier", tier.key());
        }
        clients.updateTier(client.id(), tier, audit);
        LOG.info("[RATE LIMIT] client {}: tier set to {} by an admin (was {} here); its limits change with its next request",
                client.clientKey(), tier.key(), client.tier().key());
        return ClientView.of(clients.byKey(key).orElseThrow(() -> HttpProblem.notFound("no client " + key)));
    }

    /**
     * {@code POST /api/admin/clients/{clientKey}/activate}: a trial or suspended client becomes active
     * (what a suspension held goes out from the next pass of the dialler and the outbox). Already active:
     * answered as it is. Pending verification: 409, the owner has not proved its email yet.
     */
    public Map<String, Object> activate(Params params, uk.bookinghub.audit.Audit audit) {
        Client client = any(params);
        ClientState was = client.state();
        if (was == ClientState.PENDING_VERIFICATION) {
            throw new HttpProblem(409, "client " + client.clientKey() + " has not verified its email yet: it can be activated once it has",
                    Map.of("state", was.key()));
        }
        return change(client, Set.of(ClientState.TRIAL, ClientState.SUSPENDED), ClientState.ACTIVE, null, audit);
    }

    /**
     * {@code POST /api/admin/clients/{clientKey}/suspend} with an optional {@code {"reason": "..."}}: the
     * client, whatever its state, is suspended: it reads only, nothing is sent or dialled for it, and its
     * queued messages and leads are held (not failed, not dropped) until it is activated.
     */
    public Map<String, Object> suspend(Params params, byte[] body, String contentType, uk.bookinghub.audit.Audit audit) {
        Client client = any(params);
        String reason = null;
        if (body != null && body.length > 0) {
            JsonNode in = JsonBodies.object(body, contentType, maxBodyBytes);
            Map<String, Object> problems = new LinkedHashMap<>();
            for (Iterator<String> names = in.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!name.equals("reason")) {
                    problems.put(name, "unknown field; this endpoint takes: reason");
                }
            }
            JsonNode r = in.get("reason");
            if (r != null && !r.isNull() && (!r.isTextual() || r.asText().length() > 500)) {
                problems.put("reason", "text of at most 500 characters");
            }
            if (!problems.isEmpty()) {
                throw HttpProblem.badRequest("invalid suspension", Map.of("fields", problems));
            }
            reason = JsonBodies.text(in, "reason");
        }
        return change(client, Set.of(ClientState.PENDING_VERIFICATION, ClientState.TRIAL, ClientState.ACTIVE), ClientState.SUSPENDED, reason, audit);
    }

    private Map<String, Object> change(Client client, Set<ClientState> from, ClientState to, String reason, uk.bookinghub.audit.Audit audit) {
        ClientState was = client.state();
        if (audit != null) {
            audit.client(client.id(), client.clientKey()).target("client:" + client.clientKey()).detail("from", was.key()).detail("to", to.key());
        }
        boolean changed = was != to && clients.changeState(client.id(), from, to, reason, clock.instant(), audit);
        Client now = clients.anyByKey(client.clientKey()).orElseThrow(() -> HttpProblem.notFound("no client " + client.clientKey()));
        if (changed) {
            LOG.warn("[SIGNUP] client {}: {} -> {} by an admin{}", client.clientKey(), was.key(), to.key(), reason == null ? "" : " (" + reason + ")");
        } else if (now.state() != to) {
            throw new HttpProblem(409, "client " + client.clientKey() + " is " + now.state().key() + " now: not changed", Map.of("state", now.state().key()));
        }
        Map<String, Object> out = new LinkedHashMap<>(ClientView.of(now));
        ClientStore.StateNote note = clients.stateNote(now.id());
        out.put("stateChangedAt", note.since() == null ? null : note.since().toString());
        out.put("stateReason", note.reason());
        out.put("changed", changed);
        return out;
    }

    /** {@code GET /api/admin/clients?state=&page=&pageSize=}: clients, oldest first (key, name, state, tier, created). */
    public Map<String, Object> list(Params params) {
        String s = params.text("state");
        ClientState state = s == null ? null : ClientState.parse(s).orElseThrow(() -> HttpProblem.badRequest("state must be one of " + ClientState.names()));
        Params.Page page = params.page(50, 500);
        return clients.list(state, page.number(), page.size());
    }

    private Client any(Params params) {
        String key = params.text("clientKey");
        return clients.anyByKey(key).orElseThrow(() -> HttpProblem.notFound("no client " + key));
    }
}
