package uk.bookinghub.audit;

import uk.bookinghub.security.Caller;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The audit row of one HTTP request, in the making. The audit door creates it for every request
 * (exchange property {@code audit}) with the request id, the caller's IP and the endpoint's action;
 * the handler adds what it knows ({@link #client}, {@link #target}, {@link #detail}) and, where the
 * request changes data, writes the row in the same transaction as the change ({@link #write}), as
 * that transaction's last statement. After the route, the door writes the row of a request whose
 * in-transaction row did not commit (it failed: 4xx, 5xx) or that has none (a run of a job), with
 * the status of the answer.
 *
 * <p>Details are a small summary ({@code {"count": 1204}}): never a secret, never a body, never
 * personal data (phone numbers, emails, names): the audit log is never erased, so ids only.
 */
public final class Audit {

    private final AuditStore store;
    private final Clock clock;
    private final String action;
    private final String requestId;
    private final String ip;
    private final String keyPrefix;
    private final String tokenId;
    private final Supplier<Caller> caller;
    private Long clientId;
    private String clientKey;
    private List<String> targets = List.of();
    private final Map<String, Object> details = new LinkedHashMap<>();
    private volatile AuditEntry written;

    /**
     * {@code action}: the endpoint's (null: not audited); {@code keyPrefix} / {@code tokenId}: the prefix of
     * the X-API-Key sent, the {@code jti} of the bearer token sent (either may be null); {@code caller}: who
     * the front door found, asked when a row is made (null until it has).
     */
    Audit(AuditStore store, Clock clock, String action, String requestId, String ip, String keyPrefix, String tokenId, Supplier<Caller> caller) {
        this.store = store;
        this.clock = clock;
        this.action = action;
        this.requestId = requestId;
        this.ip = ip;
        this.keyPrefix = keyPrefix;
        this.tokenId = tokenId;
        this.caller = caller;
    }

    public String action() {
        return action;
    }

    public String requestId() {
        return requestId;
    }

    public String ip() {
        return ip;
    }

    /** The client the action concerns, when it is not the caller's own (an admin's action on a client, a new client). */
    public synchronized Audit client(long id, String key) {
        this.clientId = id;
        this.clientKey = key;
        return this;
    }

    /** The ids of what the action touched, typed: {@code "lead:12"}, {@code "import:imp_..."}, {@code "template:confirmation/sms"}. */
    public synchronized Audit target(String... ids) {
        this.targets = List.of(ids);
        return this;
    }

    /** One fact of the summary (a count, a kind, a reason); never a secret, a body or personal data. */
    public synchronized Audit detail(String name, Object value) {
        details.put(name, value);
        return this;
    }

    /**
     * Appends this request's row in the transaction on {@code c}, with the status the request answers
     * if the transaction commits. Call it last in the transaction: on PostgreSQL it holds the audit
     * chain's lock to the commit. Runs again harmlessly when the transaction is retried.
     */
    public AuditEntry write(Connection c, int status) throws SQLException {
        if (action == null) {
            throw new IllegalStateException("request " + requestId + " is to an endpoint with no audit action: add it to AuditActions");
        }
        AuditEntry e = store.append(c, draft(action, status, Map.of()));
        written = e;
        return e;
    }

    /** {@link #write} when there is a request to audit ({@code audit} not null: a webhook or a timer passes null). */
    public static void write(Audit audit, Connection c, int status) throws SQLException {
        if (audit != null) {
            audit.write(c, status);
        }
    }

    /** The row last written in a transaction (committed or not), or null. */
    AuditEntry written() {
        return written;
    }

    synchronized AuditEntry.Draft draft(String act, int status, Map<String, Object> extra) {
        Caller who = caller.get();
        Long id = clientId;
        String key = clientKey;
        if (id == null && who != null && who.client() != null) {
            id = who.client().id();
            key = who.client().clientKey();
        }
        Map<String, Object> d = new LinkedHashMap<>(details);
        d.putAll(extra);
        return new AuditEntry.Draft(clock.instant(), id, key, actor(who), act, targets, d, ip, requestId, status);
    }

    /** {@code admin}, {@code token:<jti>} or {@code key:<API key prefix>} for a client, the partner's name, or {@code anonymous}. */
    String actor(Caller who) {
        if (who == null) {
            return "anonymous";
        }
        if (who.admin()) {
            return "admin";
        }
        if (who.client() != null) {
            if (tokenId != null) {
                return "token:" + tokenId;
            }
            return keyPrefix != null ? "key:" + keyPrefix : "client:" + who.client().clientKey();
        }
        return who.partner() != null ? who.partner() : "anonymous";
    }
}
