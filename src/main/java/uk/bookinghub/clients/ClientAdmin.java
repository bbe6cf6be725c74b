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
 */
public final class ClientAdmin {

    private static final Logger LOG = LoggerFactory.getLogger(ClientAdmin.class);
    /** The fields this endpoint changes; any other is a 400 naming it, and nothing is changed. */
    private static final Set<String> FIELDS = Set.of("tier");

    private final ClientStore clients;
    private final long maxBodyBytes;

    public ClientAdmin(ClientStore clients, long maxBodyBytes) {
        this.clients = clients;
        this.maxBodyBytes = maxBodyBytes;
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
}
