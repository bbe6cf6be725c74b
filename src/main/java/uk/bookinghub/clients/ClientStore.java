package uk.bookinghub.clients;

import com.fasterxml.jackson.core.type.TypeReference;

import uk.bookinghub.http.Json;
import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SQL for {@code clients}, and the first {@code api_keys} row of a client, written with it at
 * onboarding (the keys themselves are {@code uk.bookinghub.security.ApiKeyStore}'s). Look-ups that
 * webhooks make on every request (by client key, Vapi assistant id, Vapi phone number id) are cached
 * for a short time; only hits are cached, so a client onboarded on another instance is found at once.
 */
public final class ClientStore {

    private static final String COLUMNS = "id, client_key, business_name, contact_email, contact_phone, industry, services, "
            + "timezone, vapi_assistant_id, vapi_phone_number_id, created_at, country, booking_link, sms_from_number, messaging_service_sid, tier, state";

    private record Cached(Client client, long expiresAtNanos) {
    }

    private final Database db;
    private final long cacheTtlNanos;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public ClientStore(Database db, long cacheTtlMs) {
        this.db = db;
        this.cacheTtlNanos = cacheTtlMs * 1_000_000L;
    }

    /** Inserts the client, its hashed API key and the request's audit row in one transaction; empty if the client key is taken. */
    public Optional<Client> insert(NewClient c, String keyPrefix, String keyHash, uk.bookinghub.audit.Audit audit) {
        return db.inTransaction("onboarding a client", conn -> {
            if (exists(conn, c.clientKey())) {
                return Optional.empty();
            }
            Client client = insertRow(conn, c, null);
            insertKey(conn, client.id(), keyPrefix, keyHash, c.createdAt());
            if (audit != null) {
                audit.client(client.id(), c.clientKey()).target("client:" + c.clientKey(), "api_key:" + keyPrefix).write(conn, 201);
            }
            return Optional.of(client);
        });
    }

    /** A signup's further writes in its transaction (its verification token, its email in the outbox, its audit row). */
    @FunctionalInterface
    public interface SignupWork {
        void write(Connection conn, Client client) throws SQLException;
    }

    /**
     * A self-service signup: the client ({@code pending_verification}, no API key) and what {@code then}
     * writes, in one transaction. Empty when a client already has this email (its contact or signup
     * email) or this client key (the business name's slug): checked first, and decided by the unique
     * keys ({@code clients.client_key}, {@code clients.signup_email}) when two signups race.
     */
    public Optional<Client> insertSignup(NewClient c, String tokenHash, Instant expiresAt, SignupWork then) {
        try {
            return db.inTransaction("signing up a client", conn -> {
                if (exists(conn, c.clientKey()) || emailTaken(conn, c.email())) {
                    return Optional.<Client>empty();
                }
                Client client = insertRow(conn, c, c.email());
                try (PreparedStatement ps = conn.prepareStatement("insert into signup_tokens (client_id, token_hash, created_at, expires_at) values (?,?,?,?)")) {
                    ps.setLong(1, client.id());
                    ps.setString(2, tokenHash);
                    db.dialect().setInstant(ps, 3, c.createdAt());
                    db.dialect().setInstant(ps, 4, expiresAt);
                    ps.executeUpdate();
                }
                then.write(conn, client);
                return Optional.of(client);
            });
        } catch (RuntimeException e) {
            if (Dialect.isUniqueViolation(e)) {
                return Optional.empty(); // a concurrent signup with this email or name committed first
            }
            throw e;
        }
    }

    /** What following a verification link did: verified (the client, now in trial), or why not. */
    public enum Verified { DONE, UNKNOWN, USED, EXPIRED }

    public record Verification(Verified outcome, Client client) {
    }

    /**
     * Spends the verification token with this hash: one conditional update (unused and not expired at
     * {@code now}) lets exactly one request through, on any instance. That request, in the same
     * transaction, moves its client from {@code pending_verification} to {@code trial} (a client an admin
     * moved meanwhile keeps its state), gives it its first API key, does what {@code then} writes and
     * writes the request's audit row.
     * Any other request changes nothing and learns only unknown, used or expired.
     */
    public Verification verify(String tokenHash, Instant now, String keyPrefix, String keyHash, uk.bookinghub.audit.Audit audit, SignupWork then) {
        Verification v = db.inTransaction("verifying a signup", conn -> {
            int spent;
            try (PreparedStatement ps = conn.prepareStatement("update signup_tokens set used_at = ? where token_hash = ? and used_at is null and expires_at > ?")) {
                db.dialect().setInstant(ps, 1, now);
                ps.setString(2, tokenHash);
                db.dialect().setInstant(ps, 3, now);
                spent = ps.executeUpdate();
            }
            long clientId;
            try (PreparedStatement ps = conn.prepareStatement("select client_id, used_at from signup_tokens where token_hash = ?")) {
                ps.setString(1, tokenHash);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return new Verification(Verified.UNKNOWN, null);
                    }
                    clientId = rs.getLong(1);
                    if (spent == 0) {
                        return new Verification(db.dialect().getInstant(rs, "used_at") != null ? Verified.USED : Verified.EXPIRED, null);
                    }
                }
            }
            try (PreparedStatement ps = conn.prepareStatement("update clients set state = ?, active = ?, state_changed_at = ? where id = ? and state = ?")) {
                ps.setString(1, ClientState.TRIAL.key());
                ps.setBoolean(2, ClientState.TRIAL.legacyActive());
                db.dialect().setInstant(ps, 3, now);
                ps.setLong(4, clientId);
                ps.setString(5, ClientState.PENDING_VERIFICATION.key());
                ps.executeUpdate();
            }
            insertKey(conn, clientId, keyPrefix, keyHash, now);
            Client client = one(conn, "id", clientId).orElseThrow();
            then.write(conn, client);
            if (audit != null) {
                audit.client(client.id(), client.clientKey()).target("client:" + client.clientKey(), "api_key:" + keyPrefix)
                        .detail("state", client.state().key()).write(conn, 303);
            }
            return new Verification(Verified.DONE, client);
        });
        cache.clear();
        return v;
    }

    /**
     * Moves the client to {@code to} if it is now in one of {@code from} (one conditional update, so two
     * admins at once change it once); the legacy {@code active} column follows. The request's audit row
     * commits with it. False when the client was not in one of {@code from}.
     */
    public boolean changeState(long clientId, java.util.Set<ClientState> from, ClientState to, String reason, Instant now, uk.bookinghub.audit.Audit audit) {
        boolean changed = db.inTransaction("changing a client's state", conn -> {
            int n;
            try (PreparedStatement ps = conn.prepareStatement("update clients set state = ?, active = ?, state_changed_at = ?, state_reason = ? where id = ? and state in ("
                    + String.join(",", java.util.Collections.nCopies(from.size(), "?")) + ")")) {
                ps.setString(1, to.key());
                ps.setBoolean(2, to.legacyActive());
                db.dialect().setInstant(ps, 3, now);
                ps.setString(4, reason);
                ps.setLong(5, clientId);
                int i = 6;
                for (ClientState s : from) {
                    ps.setString(i++, s.key());
                }
                n = ps.executeUpdate();
            }
            uk.bookinghub.audit.Audit.write(audit, conn, n == 1 ? 200 : 409);
            return n == 1;
        });
        cache.clear();
        return changed;
    }

    /** A client by key whatever its state (pending verification too), read now: the admin's view. */
    public Optional<Client> anyByKey(String clientKey) {
        return db.read("looking up a client", conn -> one(conn, "client_key", clientKey));
    }

    /** Why the client is in its state, when an admin said (a suspension's reason), and since when. */
    public record StateNote(Instant since, String reason) {
    }

    public StateNote stateNote(long clientId) {
        return db.read("reading a client's state", conn -> {
            try (PreparedStatement ps = conn.prepareStatement("select state_changed_at, state_reason from clients where id = ?")) {
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? new StateNote(db.dialect().getInstant(rs, "state_changed_at"), rs.getString("state_reason")) : new StateNote(null, null);
                }
            }
        });
    }

    /** {@code GET /api/admin/clients}: clients (of one state, or all), oldest first: key, name, state, tier, created. */
    public Map<String, Object> list(ClientState state, int page, int pageSize) {
        uk.bookinghub.store.ListQuery q = new uk.bookinghub.store.ListQuery("id > ?", 0L).and("state = ?", state == null ? null : state.key());
        return db.read("listing clients", conn -> q.page(db.dialect(), conn, "clients", "client_key, business_name, state, tier, created_at", "id",
                page, pageSize, rs -> {
                    Map<String, Object> m = new java.util.LinkedHashMap<>();
                    m.put("clientKey", rs.getString("client_key"));
                    m.put("businessName", rs.getString("business_name"));
                    m.put("state", rs.getString("state"));
                    m.put("tier", rs.getString("tier"));
                    m.put("createdAt", String.valueOf(db.dialect().getInstant(rs, "created_at")));
                    return m;
                }));
    }

    private Optional<Client> one(Connection conn, String column, Object value) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("select " + COLUMNS + " from clients where " + column + " = ?")) {
            ps.setObject(1, value);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs, db.dialect())) : Optional.empty();
            }
        }
    }

    private static boolean emailTaken(Connection conn, String email) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("select 1 from clients where lower(contact_email) = ? or signup_email = ?")) {
            ps.setString(1, email);
            ps.setString(2, email);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private void insertKey(Connection conn, long clientId, String keyPrefix, String keyHash, Instant at) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("insert into api_keys (client_id, key_prefix, key_hash, created_at) values (?,?,?,?)")) {
            ps.setLong(1, clientId);
            ps.setString(2, keyPrefix);
            ps.setString(3, keyHash);
            db.dialect().setInstant(ps, 4, at);
            ps.executeUpdate();
        }
    }

    private Client insertRow(Connection conn, NewClient c, String signupEmail) throws SQLException {
        long id;
        try (PreparedStatement ps = conn.prepareStatement("insert into clients (client_key, business_name, contact_email, contact_phone, "
                    + "industry, services, timezone, vapi_assistant_id, vapi_phone_number_id, created_at, country, recent_contact_skip_days, "
                    + "recent_contact_warn_days, booking_link, sms_from_number, messaging_service_sid, tier, state, active, state_changed_at, signup_email) "
                    + "values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                ps.setString(1, c.clientKey());
                ps.setString(2, c.businessName());
                ps.setString(3, c.email());
                ps.setString(4, c.phone());
                ps.setString(5, c.industry());
                ps.setString(6, Json.write(c.services()));
                ps.setString(7, c.timezone());
                ps.setString(8, c.vapiAssistantId());
                ps.setString(9, c.vapiPhoneNumberId());
                db.dialect().setInstant(ps, 10, c.createdAt());
                ps.setString(11, c.country());
                ps.setInt(12, c.recentContactSkipDays());
                ps.setInt(13, c.recentContactWarnDays());
                ps.setString(14, c.messaging().bookingLink());
                ps.setString(15, c.messaging().smsFromNumber());
                ps.setString(16, c.messaging().messagingServiceSid());
                ps.setString(17, c.tier().key());
                ps.setString(18, c.state().key());
                ps.setBoolean(19, c.state().legacyActive());
                db.dialect().setInstant(ps, 20, c.createdAt());
                ps.setString(21, signupEmail);
                ps.executeUpdate();
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    keys.next();
                    id = keys.getLong(1);
                }
            }
        return new Client(id, c.clientKey(), c.businessName(), c.email(), c.phone(), c.industry(), c.services(),
                c.timezone(), c.vapiAssistantId(), c.vapiPhoneNumberId(), c.createdAt(), c.country(), c.messaging(), c.tier(), c.state());
    }

    private static boolean exists(Connection conn, String clientKey) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("select 1 from clients where client_key = ?")) {
            ps.setString(1, clientKey);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * A client's time zone (an IANA id, checked by the caller), in the caller's transaction; this instance's cache forgets
     * the old one at once (and should again after the commit: {@link #forgetCached}).
     */
    public void updateTimezone(Connection c, long clientId, String timezone) throws SQLException {
        cache.clear();
        try (PreparedStatement ps = c.prepareStatement("update clients set timezone = ? where id = ?")) {
            ps.setString(1, timezone);
            ps.setLong(2, clientId);
            ps.executeUpdate();
        }
    }

    /** Forgets the cached clients (after a change to one of them committed). */
    public void forgetCached() {
        cache.clear();
    }

    /** A client's tier; this instance's cache forgets the old one at once (others see it at the client's next API-key check). */
    /** Sets the client's tier; the request's audit row (or null) is written last in the same transaction. */
    public void updateTier(long clientId, Tier tier, uk.bookinghub.audit.Audit audit) {
        db.inTransaction("changing a client's tier", c -> {
            int n;
            try (PreparedStatement ps = c.prepareStatement("update clients set tier = ? where id = ?")) {
                ps.setString(1, tier.key());
                ps.setLong(2, clientId);
                n = ps.executeUpdate();
            }
            uk.bookinghub.audit.Audit.write(audit, c, 200);
            return n;
        });
        cache.clear();
    }

    public boolean clientKeyTaken(String clientKey) {
        return db.read("checking a client key", conn -> exists(conn, clientKey));
    }

    public Optional<Client> byKey(String clientKey) {
        return cached("key:" + clientKey, "client_key", clientKey);
    }

    public Optional<Client> byVapiPhoneNumberId(String id) {
        return cached("phone:" + id, "vapi_phone_number_id", id);
    }

    public Optional<Client> byVapiAssistantId(String id) {
        return cached("assistant:" + id, "vapi_assistant_id", id);
    }

    /** The client whose Twilio number this is (inbound SMS arrive addressed to it). */
    public Optional<Client> bySmsFromNumber(String e164) {
        return cached("sms:" + e164, "sms_from_number", e164);
    }

    public Optional<Client> byMessagingServiceSid(String sid) {
        return cached("mg:" + sid, "messaging_service_sid", sid);
    }

    public Optional<Client> byId(long id) {
        return cached("id:" + id, "id", id);
    }

    /**
     * The client with this id as an API key's row names it, with the tier and state read in the same
     * query: a cached client whose tier or state changed (an admin, a verification, on any instance) is
     * read again, so the change applies to the client's next request everywhere.
     */
    public Optional<Client> current(long id, String tier, String state) {
        Optional<Client> c = cached("id:" + id, "id", id);
        if (c.isPresent() && ((tier != null && !c.get().tier().key().equals(tier)) || (state != null && !c.get().state().key().equals(state)))) {
            cache.remove("id:" + id);
            c = cached("id:" + id, "id", id);
        }
        return c;
    }

    private Optional<Client> cached(String cacheKey, String column, Object value) {
        long now = System.nanoTime();
        Cached c = cache.get(cacheKey);
        if (c != null && c.expiresAtNanos() - now > 0) {
            return Optional.of(c.client());
        }
        Optional<Client> found = db.read("looking up a client", conn -> {
            // one verified client per value (a signup pending verification is nobody yet); the oldest wins if two share a Vapi id
            try (PreparedStatement ps = conn.prepareStatement("select " + COLUMNS + " from clients where " + column + " = ? and state <> ? order by id limit 1")) {
                ps.setObject(1, value);
                ps.setString(2, ClientState.PENDING_VERIFICATION.key());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(map(rs, db.dialect())) : Optional.<Client>empty();
                }
            }
        });
        found.ifPresent(client -> cache.put(cacheKey, new Cached(client, now + cacheTtlNanos)));
        return found;
    }

    private static Client map(ResultSet rs, Dialect dialect) throws SQLException {
        List<String> services;
        try {
            services = Json.MAPPER.readValue(rs.getString("services"), new TypeReference<List<String>>() { });
        } catch (Exception e) {
            services = List.of();
        }
        Instant created = dialect.getInstant(rs, "created_at");
        return new Client(rs.getLong("id"), rs.getString("client_key"), rs.getString("business_name"), rs.getString("contact_email"),
                rs.getString("contact_phone"), rs.getString("industry"), services, rs.getString("timezone"),
                rs.getString("vapi_assistant_id"), rs.getString("vapi_phone_number_id"), created, rs.getString("country"),
                new Client.Messaging(rs.getString("booking_link"), rs.getString("sms_from_number"), rs.getString("messaging_service_sid")),
                Tier.stored(rs.getString("tier")), ClientState.stored(rs.getString("state")));
    }

    /** What onboarding validated, ready to insert. */
    public record NewClient(String clientKey, String businessName, String email, String phone, String industry,
                            List<String> services, String timezone, String vapiAssistantId, String vapiPhoneNumberId,
                            Instant createdAt, String country, int recentContactSkipDays, int recentContactWarnDays,
                            Client.Messaging messaging, Tier tier, ClientState state) {
        public ClientState state() {
            return state == null ? ClientState.ACTIVE : state;
        }
    }
}
