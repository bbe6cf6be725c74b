package uk.bookinghub.security;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * SQL for {@code api_keys}: the keys of each client (only their SHA-256 and a prefix are stored).
 * Every look-up reads the row itself, never a cache, so a key revoked on one hub instance is
 * refused by every instance on its next request.
 */
final class ApiKeyStore {

    /** One key as stored: which client, its prefix, when made, last used and revoked (null: never). */
    /** A key's row; {@code tier} and {@code state} are its client's, read with it where the query joins the client (else null). */
    public record KeyRow(long id, long clientId, String prefix, Instant createdAt, Instant lastUsedAt, Instant revokedAt, String tier, String state) {
        public boolean revoked() {
            return revokedAt != null;
        }
    }

    /** What {@link #create} did: the new row, or why not (too many active keys, or the prefix or hash already taken). */
    public record Created(KeyRow row, boolean tooMany, boolean taken) {
    }

    private static final String COLUMNS = "k.id, k.client_id, k.key_prefix, k.created_at, k.last_used_at, k.revoked_at";

    private final Database db;

    public ApiKeyStore(Database db) {
        this.db = db;
    }

    /** The key with this hash, revoked or not, of a verified client (any state but pending_verification: a suspended client still reads). */
    public Optional<KeyRow> byHash(String keyHash) {
        return one("checking an API key", "select " + COLUMNS + ", c.tier, c.state from api_keys k join clients c on c.id = k.client_id "
                + "where k.key_hash = ? and c.state <> ?", keyHash, PENDING);
    }

    /** The key named by a token: the prefix within the verified client with this client key. */
    public Optional<KeyRow> byClientKeyAndPrefix(String clientKey, String prefix) {
        return one("checking a token's API key", "select " + COLUMNS + ", c.tier, c.state from api_keys k join clients c on c.id = k.client_id "
                + "where c.client_key = ? and k.key_prefix = ? and c.state <> ?", clientKey, prefix, PENDING);
    }

    private static final String PENDING = uk.bookinghub.clients.ClientState.PENDING_VERIFICATION.key();

    /** Every key of a client, oldest first, revoked ones too. */
    public List<KeyRow> list(long clientId) {
        return db.read("listing API keys", conn -> {
            try (PreparedStatement ps = conn.prepareStatement("select " + COLUMNS + " from api_keys k where k.client_id = ? order by k.created_at, k.id")) {
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    List<KeyRow> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(map(rs, db.dialect()));
                    }
                    return out;
                }
            }
        });
    }

    /**
     * A new key for the client, unless it already has {@code maxActive} active keys. The client's row
     * is written first in the same transaction, so two creations for one client (on two instances)
     * take turns and cannot both pass the count.
     */
    public Created create(long clientId, String prefix, String keyHash, Instant now, int maxActive, uk.bookinghub.audit.Audit audit) {
        return db.inTransaction("creating an API key", conn -> {
            try (PreparedStatement ps = conn.prepareStatement("update clients set active = active where id = ?")) {
                ps.setLong(1, clientId);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = conn.prepareStatement("select count(*) from api_keys where client_id = ? and revoked_at is null")) {
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) >= maxActive) {
                        return new Created(null, true, false);
                    }
                }
            }
            try (PreparedStatement ps = conn.prepareStatement("insert into api_keys (client_id, key_prefix, key_hash, created_at) values (?,?,?,?) "
                    + "on conflict do nothing")) {
                ps.setLong(1, clientId);
                ps.setString(2, prefix);
                ps.setString(3, keyHash);
                db.dialect().setInstant(ps, 4, now);
                if (ps.executeUpdate() == 0) {
                    return new Created(null, false, true);
                }
            }
            if (audit != null) { // the request's audit row, last in the transaction that made the key
                audit.target("api_key:" + prefix).write(conn, 201);
            }
            return new Created(one(conn, "select " + COLUMNS + " from api_keys k where k.key_hash = ?", keyHash).orElseThrow(), false, false);
        });
    }

    /** Revokes the client's key with this prefix (a key already revoked keeps its time); the row after, or empty if the client has none such. */
    public Optional<KeyRow> revoke(long clientId, String prefix, Instant now, uk.bookinghub.audit.Audit audit) {
        return db.inTransaction("revoking an API key", conn -> {
            try (PreparedStatement ps = conn.prepareStatement("update api_keys set revoked_at = ? where client_id = ? and key_prefix = ? and revoked_at is null")) {
                db.dialect().setInstant(ps, 1, now);
                ps.setLong(2, clientId);
                ps.setString(3, prefix);
                ps.executeUpdate();
            }
            Optional<KeyRow> row = one(conn, "select " + COLUMNS + " from api_keys k where k.client_id = ? and k.key_prefix = ?", clientId, prefix);
            if (row.isPresent() && audit != null) { // the request's audit row, last in the transaction that revoked the key
                audit.target("api_key:" + prefix).write(conn, 200);
            }
            return row;
        });
    }

    /**
     * Records that the key was used at {@code now}, unless that was already recorded after
     * {@code unlessAfter} (by this or another instance): one write per key and interval, however
     * many requests.
     */
    public void touch(long keyId, Instant now, Instant unlessAfter) {
        db.inTransaction("recording an API key's use", conn -> {
            try (PreparedStatement ps = conn.prepareStatement("update api_keys set last_used_at = ? where id = ? and (last_used_at is null or last_used_at < ?)")) {
                db.dialect().setInstant(ps, 1, now);
                ps.setLong(2, keyId);
                db.dialect().setInstant(ps, 3, unlessAfter);
                return ps.executeUpdate();
            }
        });
    }

    private Optional<KeyRow> one(String what, String sql, Object... args) {
        return db.read(what, conn -> one(conn, sql, args));
    }

    private Optional<KeyRow> one(Connection conn, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            db.dialect().bindAll(ps, List.of(args));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs, db.dialect())) : Optional.empty();
            }
        }
    }

    private static KeyRow map(ResultSet rs, Dialect dialect) throws SQLException {
        return new KeyRow(rs.getLong("id"), rs.getLong("client_id"), rs.getString("key_prefix"), dialect.getInstant(rs, "created_at"),
                dialect.getInstant(rs, "last_used_at"), dialect.getInstant(rs, "revoked_at"),
                rs.getMetaData().getColumnCount() > 6 ? rs.getString("tier") : null, rs.getMetaData().getColumnCount() > 7 ? rs.getString("state") : null);
    }
}
