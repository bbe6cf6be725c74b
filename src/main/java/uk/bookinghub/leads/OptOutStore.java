package uk.bookinghub.leads;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The opt-out list: per client ({@code client:<id>}) or global. Entries are never erased: removal
 * marks them inactive with who and when. Look-ups are cached for {@code ttlMs} (5 minutes by
 * default); a change made on this instance clears the cache at once.
 */
public final class OptOutStore {

    public static final String GLOBAL = "global";

    /** An opt-out entry as the API shows it. */
    public record OptOut(long id, String scope, String phone, String reason, String note, boolean active, Instant createdAt,
                         String createdBy, Instant removedAt, String removedBy) {
        public Map<String, Object> view() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("scope", scope.equals(GLOBAL) ? "global" : "client");
            m.put("phone", phone);
            m.put("reason", reason);
            m.put("note", note);
            m.put("active", active);
            m.put("createdAt", String.valueOf(createdAt));
            m.put("createdBy", createdBy);
            m.put("removedAt", removedAt == null ? null : removedAt.toString());
            m.put("removedBy", removedBy);
            return m;
        }
    }

    private record Cached(Set<String> numbers, long expiresAtNanos) {
    }

    private final Database db;
    private final Clock clock;
    private final long ttlNanos;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public OptOutStore(Database db, Clock clock, long ttlMs) {
        this.db = db;
        this.clock = clock;
        this.ttlNanos = ttlMs * 1_000_000L;
    }

    public static String scopeOf(Long clientId) {
        return clientId == null ? GLOBAL : "client:" + clientId;
    }

    /** Active opted-out numbers for a client: its own list plus the global one. */
    public Set<String> activeFor(long clientId) {
        Set<String> all = new HashSet<>(numbers(GLOBAL));
        all.addAll(numbers(scopeOf(clientId)));
        return all;
    }

    /** The reason a number is opted out for this client, if it is. */
    public Optional<String> reasonFor(long clientId, String e164) {
        if (!numbers(GLOBAL).contains(e164) && !numbers(scopeOf(clientId)).contains(e164)) {
            return Optional.empty();
        }
        return db.read("reading an opt-out", c -> {
            try (PreparedStatement ps = c.prepareStatement("select reason, scope_key from opt_outs where phone_e164 = ? and active = ? and scope_key in (?, ?) order by id")) {
                ps.setString(1, e164);
                ps.setBoolean(2, true);
                ps.setString(3, GLOBAL);
                ps.setString(4, scopeOf(clientId));
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1) + (GLOBAL.equals(rs.getString(2)) ? " (global)" : "")) : Optional.<String>empty();
                }
            }
        });
    }

    /**
     * Straight from the database (no cache: the sender asks right before sending, and an opt-out
     * taken on another instance must count at once): phone -> reason for the numbers opted out of
     * this client's messages (its own list or the global one).
     */
    public Map<String, String> activeReasons(long clientId, java.util.Collection<String> phones) {
        if (phones.isEmpty()) {
            return Map.of();
        }
        return db.read("checking opt-outs", c -> activeReasons(c, clientId, phones));
    }

    /** The same inside the caller's transaction (no second connection while one is held). */
    public Map<String, String> activeReasons(Connection c, long clientId, java.util.Collection<String> phones) throws SQLException {
        List<String> list = List.copyOf(new java.util.LinkedHashSet<>(phones));
        if (list.isEmpty()) {
            return Map.of();
        }
        {
            Map<String, String> out = new java.util.HashMap<>();
            String marks = String.join(",", java.util.Collections.nCopies(list.size(), "?"));
            try (PreparedStatement ps = c.prepareStatement("select phone_e164, reason, scope_key from opt_outs where active = ? and scope_key in (?, ?) "
                    + "and phone_e164 in (" + marks + ") order by id")) {
                ps.setBoolean(1, true);
                ps.setString(2, GLOBAL);
                ps.setString(3, scopeOf(clientId));
                for (int i = 0; i < list.size(); i++) {
                    ps.setString(4 + i, list.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.putIfAbsent(rs.getString(1), rs.getString(2) + (GLOBAL.equals(rs.getString(3)) ? " (global)" : ""));
                    }
                }
            }
            return out;
        }
    }

    private Set<String> numbers(String scope) {
        long now = System.nanoTime();
        Cached c = cache.get(scope);
        if (c != null && c.expiresAtNanos() - now > 0) {
            return c.numbers();
        }
        Set<String> loaded = db.read("loading opt-outs", conn -> {
            Set<String> s = new HashSet<>();
            try (PreparedStatement ps = conn.prepareStatement("select phone_e164 from opt_outs where scope_key = ? and active = ?")) {
                ps.setString(1, scope);
                ps.setBoolean(2, true);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        s.add(rs.getString(1));
                    }
                }
            }
            return Set.copyOf(s);
        });
        cache.put(scope, new Cached(loaded, now + ttlNanos));
        return loaded;
    }

    /**
     * Adds the opt-out (or returns the active one already there) and, in the same transaction,
     * skips the new / queued leads it covers. Returns the entry and whether it was created.
     */
    public Map.Entry<OptOut, Boolean> add(Long clientId, String e164, String reason, String note, String by) {
        return add(clientId, e164, reason, note, by, null);
    }

    /** {@link #add}, with the request's audit row in the same transaction ({@code audit} null: none). */
    public Map.Entry<OptOut, Boolean> add(Long clientId, String e164, String reason, String note, String by, uk.bookinghub.audit.Audit audit) {
        String scope = scopeOf(clientId);
        try {
            return db.inTransaction("adding an opt-out", c -> {
                // write first: on SQLite a transaction that reads and then writes can fail at once with
                // SQLITE_BUSY when another writer got in between; a leading write waits for the lock instead.
                // An active entry already there is a conflict on the partial unique index: nothing inserted.
                Instant now = clock.instant();
                int inserted;
                try (PreparedStatement ps = c.prepareStatement("insert into opt_outs (scope_key, client_id, phone_e164, reason, note, active, created_at, created_by) "
                        + "values (?,?,?,?,?,?,?,?) on conflict do nothing")) {
                    ps.setString(1, scope);
                    if (clientId == null) {
                        ps.setNull(2, java.sql.Types.BIGINT);
                    } else {
                        ps.setLong(2, clientId);
                    }
                    ps.setString(3, e164);
                    ps.setString(4, reason);
                    ps.setString(5, note);
                    ps.setBoolean(6, true);
                    db.dialect().setInstant(ps, 7, now);
                    ps.setString(8, by);
                    inserted = ps.executeUpdate();
                }
                if (inserted == 0) {
                    return audited(c, audit, Map.entry(active(c, scope, e164).orElseThrow(), false));
                }
                String sql = "update leads set status = 'skipped', status_reason = 'opted_out', updated_at = ? where "
                        + LeadKeys.numberCondition(clientId != null) + " and status in ('new', 'queued')";
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    db.dialect().setInstant(ps, 1, now);
                    bindNumber(ps, 2, clientId, e164);
                    ps.executeUpdate();
                }
                cancelQueuedMessages(c, clientId, e164, reason, now);
                return audited(c, audit, Map.entry(active(c, scope, e164).orElseThrow(), true));
            });
        } finally {
            cache.remove(scope); // takes effect at once on this instance
        }
    }

    private static Map.Entry<OptOut, Boolean> audited(Connection c, uk.bookinghub.audit.Audit audit, Map.Entry<OptOut, Boolean> added)
            throws SQLException {
        if (audit != null) {
            audit.target("opt_out:" + added.getKey().id()).detail("created", added.getValue()).write(c, added.getValue() ? 201 : 200);
        }
        return added;
    }

    /**
     * The lead.opted_out analytics event of a new entry: attributed to the client whose list it is
     * (none for a global one), with that client's newest lead with the number, when there is one.
     */
    public uk.bookinghub.analytics.AnalyticsEvent event(OptOut o) {
        Long clientId = o.scope().startsWith("client:") ? Long.valueOf(o.scope().substring("client:".length())) : null;
        Long leadId = clientId == null ? null : db.read("finding an opted-out lead", c -> {
            try (PreparedStatement ps = c.prepareStatement("select max(id) from leads where " + LeadKeys.numberCondition(true))) {
                bindNumber(ps, 1, clientId, o.phone());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next(); // max() always answers one row
                    long id = rs.getLong(1);
                    return rs.wasNull() ? null : id;
                }
            }
        });
        return uk.bookinghub.analytics.AnalyticsFacts.leadOptedOut(o.id(), clientId, null, leadId, GLOBAL.equals(o.scope()) ? "global" : "client",
                uk.bookinghub.analytics.AnalyticsFacts.optOutVia(o.createdBy()), o.createdAt());
    }

    /** Binds {@link LeadKeys#numberCondition}'s parameters from {@code at}; returns the next index. */
    private static int bindNumber(PreparedStatement ps, int at, Long clientId, String e164) throws SQLException {
        if (clientId != null) {
            ps.setLong(at++, clientId);
        }
        ps.setLong(at++, LeadKeys.ofE164OrZero(e164));
        return at;
    }

    /**
     * In the opt-out's own transaction: queued SMS to the number, and queued marketing emails to
     * leads with that number, are cancelled (skipped with the reason); nothing queued for it goes out.
     */
    private void cancelQueuedMessages(Connection c, Long clientId, String e164, String reason, Instant now) throws SQLException {
        String scope = clientId == null ? "" : " and client_id = ?";
        String why = "opted out: " + reason + (clientId == null ? " (global)" : "");
        try (PreparedStatement ps = c.prepareStatement("update messages set status = 'skipped', status_rank = 5, status_reason = ?, updated_at = ? "
                + "where status = 'queued' and ((channel = 'sms' and to_address = ?) or (channel = 'email' and marketing = ? and lead_id in "
                + "(select id from leads where " + LeadKeys.numberCondition(clientId != null) + ")))" + scope)) {
            int i = 1;
            ps.setString(i++, why);
            db.dialect().setInstant(ps, i++, now);
            ps.setString(i++, e164);
            ps.setBoolean(i++, true);
            i = bindNumber(ps, i, clientId, e164);
            if (clientId != null) {
                ps.setLong(i, clientId);
            }
            ps.executeUpdate();
        }
        // and the lead's follow-up sequence stops
        try (PreparedStatement ps = c.prepareStatement("update retry_queue set status = 'cancelled', reason = ?, updated_at = ? where status = 'pending' "
                + "and lead_id in (select id from leads where " + LeadKeys.numberCondition(clientId != null) + ")")) {
            ps.setString(1, why);
            db.dialect().setInstant(ps, 2, now);
            bindNumber(ps, 3, clientId, e164);
            ps.executeUpdate();
        }
    }

    /** The active entry of this scope (a client's list, or the global one for null) for the number. */
    public Optional<OptOut> activeEntry(Long clientId, String e164) {
        return db.read("reading an opt-out", c -> active(c, scopeOf(clientId), e164));
    }

    /** Marks the active entry inactive with who and when; empty when there was none. */
    public Optional<OptOut> remove(Long clientId, String e164, String by) {
        return remove(clientId, e164, by, null);
    }

    /** Marks the active entry inactive with who and when, with the request's audit row ({@code audit} null: none); empty when there was none. */
    public Optional<OptOut> remove(Long clientId, String e164, String by, uk.bookinghub.audit.Audit audit) {
        String scope = scopeOf(clientId);
        try {
            return db.inTransaction("removing an opt-out", c -> {
                Optional<OptOut> existing = active(c, scope, e164);
                if (existing.isEmpty()) {
                    return Optional.<OptOut>empty();
                }
                try (PreparedStatement ps = c.prepareStatement("update opt_outs set active = ?, removed_at = ?, removed_by = ? where id = ?")) {
                    ps.setBoolean(1, false);
                    db.dialect().setInstant(ps, 2, clock.instant());
                    ps.setString(3, by);
                    ps.setLong(4, existing.get().id());
                    ps.executeUpdate();
                }
                if (audit != null) {
                    audit.target("opt_out:" + existing.get().id()).write(c, 200);
                }
                return byId(c, existing.get().id());
            });
        } finally {
            cache.remove(scope);
        }
    }

    public List<OptOut> list(Long clientId, boolean includeInactive, int limit, int offset) {
        return db.read("listing opt-outs", c -> {
            try (PreparedStatement ps = c.prepareStatement("select * from opt_outs where scope_key = ?" + (includeInactive ? "" : " and active = ?")
                    + " order by id desc limit ? offset ?")) {
                int i = 1;
                ps.setString(i++, scopeOf(clientId));
                if (!includeInactive) {
                    ps.setBoolean(i++, true);
                }
                ps.setInt(i++, limit);
                ps.setInt(i, offset);
                return map(ps, db.dialect());
            }
        });
    }

    private Optional<OptOut> active(Connection c, String scope, String e164) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select * from opt_outs where scope_key = ? and phone_e164 = ? and active = ?")) {
            ps.setString(1, scope);
            ps.setString(2, e164);
            ps.setBoolean(3, true);
            return map(ps, db.dialect()).stream().findFirst();
        }
    }

    private Optional<OptOut> byId(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select * from opt_outs where id = ?")) {
            ps.setLong(1, id);
            return map(ps, db.dialect()).stream().findFirst();
        }
    }

    private static List<OptOut> map(PreparedStatement ps, Dialect d) throws SQLException {
        List<OptOut> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new OptOut(rs.getLong("id"), rs.getString("scope_key"), rs.getString("phone_e164"), rs.getString("reason"),
                        rs.getString("note"), rs.getBoolean("active"), d.getInstant(rs, "created_at"), rs.getString("created_by"),
                        d.getInstant(rs, "removed_at"), rs.getString("removed_by")));
            }
        }
        return out;
    }
}
