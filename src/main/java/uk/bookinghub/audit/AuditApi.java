package uk.bookinghub.audit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.api.Params;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.security.Caller;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code GET /api/audit-log?since=&until=&action=&limit=} (a client reads its own rows; an admin every
 * row, or one client's with {@code clientKey}) and {@code GET /api/admin/audit-log/verify}: the chain
 * checked from row 1 to the last, streamed.
 */
public final class AuditApi {

    private static final Logger LOG = LoggerFactory.getLogger(AuditApi.class);
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    private static final int FETCH = 1000;

    private final AuditStore store;
    private final ClientStore clients;

    public AuditApi(AuditStore store, ClientStore clients) {
        this.store = store;
        this.clients = clients;
    }

    public Map<String, Object> list(Caller caller, Params params) {
        String key = params.text("clientKey");
        Long clientId;
        ZoneId zone;
        if (caller.client() != null) {
            if (key != null && !key.equals(caller.client().clientKey())) {
                throw HttpProblem.notFound("no client " + key); // another client's log: a 404, as for any object not its own
            }
            clientId = caller.client().id();
            zone = ZoneId.of(caller.client().timezone());
        } else {
            clientId = key == null ? null : clients.byKey(key).map(Client::id).orElseThrow(() -> HttpProblem.notFound("no client " + key));
            zone = ZoneOffset.UTC;
        }
        Instant since = params.instant("since", zone);
        Instant until = params.instant("until", zone);
        if (since != null && until != null && !since.isBefore(until)) {
            throw HttpProblem.badRequest("since must be before until", Map.of("parameter", "since"));
        }
        String action = params.text("action");
        if (action != null && !actions().contains(action)) {
            throw HttpProblem.badRequest("action must be one of " + String.join(", ", actions()), Map.of("parameter", "action"));
        }
        Long limit = params.whole("limit");
        if (limit != null && (limit < 1 || limit > MAX_LIMIT)) {
            throw HttpProblem.badRequest("limit must be between 1 and " + MAX_LIMIT, Map.of("parameter", "limit"));
        }
        int n = limit == null ? DEFAULT_LIMIT : limit.intValue();
        List<Map<String, Object>> items = store.list(clientId, caller.admin(), since, until, action, n).stream().map(AuditEntry::view).toList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", items);
        out.put("count", items.size());
        out.put("limit", n);
        return out;
    }

    static TreeSet<String> actions() {
        TreeSet<String> all = new TreeSet<>(AuditActions.all().values());
        all.add(AuditActions.AUTH_FAILURE);
        return all;
    }

    /**
     * Every row in id order: ids 1, 2, 3, ... without a gap, each row's prevHash the hash of the row
     * before, each hash what the row's content gives. The first row that breaks one is named.
     */
    public Map<String, Object> verify() {
        long started = System.nanoTime();
        Chain chain = new Chain();
        store.walk(FETCH, chain::next);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rows", chain.rows);
        out.put("ok", chain.brokenId == null);
        if (chain.brokenId != null) {
            out.put("firstBrokenId", chain.brokenId);
            out.put("reason", chain.reason);
            LOG.error("[AUDIT] [CRITICAL ALERT] the audit log's chain is broken at row {}: {}", chain.brokenId, chain.reason);
        } else {
            out.put("lastId", chain.lastId);
            out.put("lastHash", chain.lastHash);
        }
        out.put("millis", (System.nanoTime() - started) / 1_000_000);
        LOG.info("[AUDIT] verified {} audit rows: {}", chain.rows, chain.brokenId == null ? "ok" : "broken at row " + chain.brokenId);
        return out;
    }

    /** The walk's state: the row before, and the first break. */
    static final class Chain {
        long rows;
        long lastId;
        String lastHash = AuditEntry.GENESIS;
        Long brokenId;
        String reason;

        void next(AuditEntry e) {
            rows++;
            if (brokenId == null) {
                if (e.id() != lastId + 1) {
                    broken(e.id(), e.id() <= lastId ? "row " + e.id() + " is out of order after row " + lastId
                            : "rows " + (lastId + 1) + (e.id() - 1 > lastId + 1 ? " to " + (e.id() - 1) : "") + " are missing before row " + e.id());
                } else if (!lastHash.equals(e.prevHash())) {
                    broken(e.id(), lastId == 0 ? "the first row's prev_hash is not the genesis value (64 zeros)"
                            : "its prev_hash is not the hash of row " + lastId + ": a row was removed, inserted or replaced");
                } else if (!e.computedHash().equals(e.hash())) {
                    broken(e.id(), "its content does not match its hash: the row was changed after it was written");
                }
            }
            lastId = e.id();
            lastHash = e.hash();
        }

        private void broken(long id, String why) {
            brokenId = id;
            reason = why;
        }
    }
}
