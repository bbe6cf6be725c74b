package uk.bookinghub.messaging;

import uk.bookinghub.api.Params;
import uk.bookinghub.clients.Client;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.store.Database;

import java.time.Instant;
import java.time.ZoneId;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /api/inbound-messages}: the SMS a client's customers sent to its number (replies to a
 * confirmation, "can we make it Tuesday?", STOP / START / HELP), newest first, each with what the hub
 * did with it and the client's lead with that number when there is one. A client sees only its own.
 */
public final class InboundMessages {

    static final Set<String> ACTIONS = Set.of("opt_out", "opt_in", "help", "message");

    private final InboundStore store;

    public InboundMessages(Database db) {
        this.store = new InboundStore(db);
    }

    public Map<String, Object> list(Client client, Params params) {
        String act = params.word("action");
        if (act != null && !ACTIONS.contains(act)) {
            throw HttpProblem.badRequest("action must be one of " + new java.util.TreeSet<>(ACTIONS));
        }
        ZoneId zone = ZoneId.of(client.timezone());
        String from = params.phone("phone", client.country());
        Instant after = params.instant("since", zone);
        Instant before = params.instant("until", zone);
        Params.Page page = params.page(50, 500);
        int pg = page.number();
        int size = page.size();
        return store.list(client.id(), from, act, after, before, pg, size);
    }
}
